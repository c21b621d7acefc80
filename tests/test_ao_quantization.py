"""minitorch.ao against torch.ao: observers' parameters, fake quantization (values and straight-through
gradients), fusion, the prepare / convert flows (reprs, state_dict keys, outputs), dynamic quantization
of Linear and LSTM, QAT, saving a quantized model, and the torchao-style quantize_."""
import copy
import warnings

import numpy as np
import pytest

import minitorch
from minitorch.autograd import gradcheck

pytestmark = pytest.mark.filterwarnings("ignore")  # torch's deprecation notices for quantization

mtq = minitorch.ao.quantization


def _args(kwargs, lib):
    return {k: (getattr(lib, v) if isinstance(v, str) and hasattr(lib, v) else v) for k, v in kwargs.items()}


def _batches(seed, shape, count):
    rng = np.random.default_rng(seed)
    kinds = [lambda: rng.standard_normal(shape), lambda: np.maximum(rng.standard_normal(shape), 0) * 3,
             lambda: rng.standard_normal(shape) * 0.01 + 2, lambda: rng.standard_normal(shape) ** 3]
    return [kinds[(seed + i) % 4]().astype(np.float32) for i in range(count)]


OBSERVERS = [
    ("MinMaxObserver", {}), ("MinMaxObserver", dict(dtype="qint8", qscheme="per_tensor_symmetric")),
    ("MinMaxObserver", dict(reduce_range=True)), ("MinMaxObserver", dict(quant_min=0, quant_max=127)),
    ("MovingAverageMinMaxObserver", {}),
    ("MovingAverageMinMaxObserver", dict(averaging_constant=0.3, dtype="qint8", qscheme="per_tensor_symmetric")),
    ("PerChannelMinMaxObserver", dict(ch_axis=1)),
    ("PerChannelMinMaxObserver", dict(dtype="qint8", qscheme="per_channel_symmetric")),
    ("PerChannelMinMaxObserver", dict(qscheme="per_channel_affine_float_qparams")),
    ("MovingAveragePerChannelMinMaxObserver", dict(averaging_constant=0.5)),
    ("HistogramObserver", {}), ("HistogramObserver", dict(reduce_range=True)),
    ("HistogramObserver", dict(dtype="qint8", qscheme="per_tensor_symmetric")), ("HistogramObserver", dict(bins=256)),
]


@pytest.mark.parametrize("name,kwargs", OBSERVERS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_observer_qparams_match_torch(torch, name, kwargs, seed):
    theirs = getattr(torch.ao.quantization, name)(**_args(kwargs, torch))
    mine = getattr(mtq, name)(**_args(kwargs, minitorch))
    for x in _batches(seed, (6, 5, 4), 1 + seed):
        theirs(torch.from_numpy(x))
        mine(minitorch.tensor(x))
    (ts, tz), (ms, mz) = theirs.calculate_qparams(), mine.calculate_qparams()
    np.testing.assert_array_equal(ms.numpy(), ts.numpy())
    np.testing.assert_array_equal(mz.numpy(), tz.numpy())
    assert (repr(ms.dtype), repr(mz.dtype), tuple(ms.shape)) == (repr(ts.dtype), repr(tz.dtype), tuple(ts.shape))
    assert repr(mine) == repr(theirs)


def test_unobserved_observer_returns_defaults_with_torchs_warning(torch):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        scale, zero = mtq.MinMaxObserver().calculate_qparams()
    assert scale.tolist() == [1.0] and zero.tolist() == [0]
    assert "must run observer before calling calculate_qparams" in str(seen[0].message)


@pytest.mark.parametrize("call", [
    lambda q, m: q.MinMaxObserver(qscheme=m.per_channel_affine),
    lambda q, m: q.PerChannelMinMaxObserver(qscheme=m.per_tensor_affine),
    lambda q, m: q.MinMaxObserver(quant_min=1, quant_max=5),
    lambda q, m: q.MinMaxObserver(dtype=m.quint8, qscheme=m.per_tensor_symmetric, reduce_range=True),
    lambda q, m: q.HistogramObserver(is_dynamic=True),
    lambda q, m: q.QConfig(activation=q.MinMaxObserver(), weight=q.MinMaxObserver),
    lambda q, m: q.get_default_qconfig("arm"),
])
def test_configuration_errors_match_torch(torch, call):
    with pytest.raises(Exception) as theirs:
        call(torch.ao.quantization, torch)
    with pytest.raises(type(theirs.value)) as mine:
        call(mtq, minitorch)
    assert " ".join(str(mine.value).split()) == " ".join(str(theirs.value).split())


@pytest.mark.parametrize("backend", ["x86", "fbgemm", "qnnpack", "onednn"])
def test_default_qconfigs_print_as_torchs(torch, backend):
    def same(mine, theirs):
        return repr(mine).replace("minitorch.", "torch.") == repr(theirs)
    assert same(mtq.get_default_qconfig(backend), torch.ao.quantization.get_default_qconfig(backend))
    for version in (0, 1):
        assert same(mtq.get_default_qat_qconfig(backend, version),
                    torch.ao.quantization.get_default_qat_qconfig(backend, version))
    assert same(mtq.default_dynamic_qconfig, torch.ao.quantization.default_dynamic_qconfig)


# ----- fake quantization --------------------------------------------------------------------------------------
def test_fake_quantize_functions_match_torch(torch):
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.standard_normal(500) * 4, [np.nan, np.inf, -np.inf, 0.0]]).astype(np.float32)
    tx, mx = torch.from_numpy(x).requires_grad_(), minitorch.tensor(x, requires_grad=True)
    t = torch.fake_quantize_per_tensor_affine(tx, 0.037, 11, 0, 127)
    m = minitorch.fake_quantize_per_tensor_affine(mx, 0.037, 11, 0, 127)
    np.testing.assert_array_equal(m.detach().numpy(), t.detach().numpy())
    assert m.grad_fn.name() == t.grad_fn.name()
    g = rng.standard_normal(x.shape).astype(np.float32)
    t.backward(torch.from_numpy(g))
    m.backward(minitorch.tensor(g))
    np.testing.assert_array_equal(mx.grad.numpy(), tx.grad.numpy())
    w = rng.standard_normal((3, 40)).astype(np.float32)
    args = ([0.01, 0.02, 0.05], [0, -3, 4])
    t = torch.fake_quantize_per_channel_affine(torch.from_numpy(w), torch.tensor(args[0]),
                                               torch.tensor(args[1], dtype=torch.int32), 0, -128, 127)
    m = minitorch.fake_quantize_per_channel_affine(minitorch.tensor(w), minitorch.tensor(args[0]),
                                                   minitorch.tensor(args[1], dtype=minitorch.int32), 0, -128, 127)
    np.testing.assert_array_equal(m.numpy(), t.numpy())


def test_fake_quantize_gradient_is_straight_through():
    """The straight-through gradient is the derivative of the clamp that fake quantization rounds onto a
    grid: float64 finite differences of the clamp (taken as the value, with the fake quantizer's gradient)
    agree with it: 1 inside the range, 0 where values are clamped."""
    rng = np.random.default_rng(8)
    values = rng.uniform(-9, 9, 12)
    values = values[np.abs(np.abs(values) - 5.0) > 0.01]  # away from the clamp's kinks
    x = minitorch.tensor(values, dtype=minitorch.float64, requires_grad=True)

    def clamp_with_straight_through(t):
        fq = minitorch.fake_quantize_per_tensor_affine(t, 0.1, 0, -50, 50)
        return fq + (t.clamp(-5.0, 5.0) - fq).detach()
    assert gradcheck(clamp_with_straight_through, (x,), eps=1e-6, atol=1e-6)
    minitorch.fake_quantize_per_tensor_affine(x, 0.1, 0, -50, 50).sum().backward()
    assert x.grad.tolist() == [float(abs(v) < 5.0) for v in values]


@pytest.mark.parametrize("factory", ["default_fake_quant", "default_weight_fake_quant",
                                     "default_per_channel_weight_fake_quant", "default_fused_act_fake_quant",
                                     "default_fused_wt_fake_quant", "default_fused_per_channel_wt_fake_quant"])
def test_fake_quantize_modules_match_torch_over_steps(torch, factory):
    theirs, mine = getattr(torch.ao.quantization, factory)(), getattr(mtq, factory)()
    for step, x in enumerate(_batches(3, (4, 6), 5)):
        if step == 3:
            theirs.apply(torch.ao.quantization.disable_observer)
            mine.apply(mtq.disable_observer)
        t, m = theirs(torch.from_numpy(x)), mine(minitorch.tensor(x))
        np.testing.assert_array_equal(m.numpy(), t.detach().numpy())
        np.testing.assert_array_equal(mine.scale.numpy(), theirs.scale.numpy())
        np.testing.assert_array_equal(mine.zero_point.numpy(), theirs.zero_point.numpy())
    assert repr(mine) == repr(theirs)
    assert list(mine.state_dict()) == list(theirs.state_dict()) or set(mine.state_dict()) == set(theirs.state_dict())



@pytest.mark.parametrize("factory", ["default_fused_act_fake_quant", "default_fused_per_channel_wt_fake_quant"])
def test_fused_fake_quantize_warns_nothing(factory):
    """The first batch averages with the observer's initial infinities; as torch's kernel, without warnings."""
    fake_quant = getattr(mtq, factory)()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in _batches(2, (4, 6), 7):
            fake_quant(minitorch.tensor(x))

# ----- fusion -------------------------------------------------------------------------------------------------
def _copy_into(src, dst):
    """Load a torch module's state into the same minitorch architecture."""
    dst.load_state_dict({k: minitorch.tensor(v.detach().numpy()) for k, v in src.state_dict().items()})


def _conv_bn_model(lib, linear_bn=False):
    nn = lib.nn
    layers = [nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 25, 6)]
    layers += [nn.BatchNorm1d(6)] if linear_bn else [nn.ReLU()]
    return nn.Sequential(*layers)


@pytest.mark.parametrize("groups", [[["0", "1", "2"], ["4", "5"]], [["0", "1"]]])
@pytest.mark.parametrize("linear_bn", [False, True])
def test_fuse_modules_folds_batch_norm_as_torch(torch, groups, linear_bn):
    if linear_bn and groups[-1] == ["4", "5"]:
        groups = [["0", "1", "2"], ["4", "5"]]
    torch.manual_seed(0)
    tm, mm = _conv_bn_model(torch, linear_bn), _conv_bn_model(minitorch, linear_bn)
    with torch.no_grad():
        for bn in (tm[1], tm[5]):
            if isinstance(bn, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                bn.running_mean.uniform_(-1, 1), bn.running_var.uniform_(0.5, 2), bn.weight.uniform_(0.5, 1.5)
    _copy_into(tm, mm)
    tm.eval(), mm.eval()
    tf = torch.ao.quantization.fuse_modules(tm, groups)
    mf = mtq.fuse_modules(mm, groups)
    assert repr(mf) == repr(tf)
    for key, value in tf.state_dict().items():
        np.testing.assert_array_equal(mf.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    x = np.random.default_rng(0).standard_normal((3, 2, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(mf(minitorch.tensor(x)).detach().numpy(), tf(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_fuse_modules_errors_and_hooks(torch):
    model = minitorch.nn.Sequential(minitorch.nn.Linear(3, 3), minitorch.nn.Sigmoid())
    with pytest.raises(AssertionError, match="did not find fuser method for"):
        mtq.fuse_modules(model, ["0", "1"])
    relu_model = minitorch.nn.Sequential(minitorch.nn.Linear(3, 3), minitorch.nn.ReLU())
    calls = []
    relu_model[1].register_forward_hook(lambda m, i, o: calls.append("after"))
    fused = mtq.fuse_modules(relu_model, ["0", "1"])
    fused(minitorch.randn(2, 3))
    assert calls == ["after"] and type(fused[1]) is minitorch.nn.Identity
    bn = minitorch.nn.Sequential(minitorch.nn.Conv2d(1, 2, 3), minitorch.nn.BatchNorm2d(2))
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        mtq.fuse_modules(bn.train(), ["0", "1"])


# ----- static quantization ------------------------------------------------------------------------------------
def _static_model(lib):
    nn, q = lib.nn, lib.ao.quantization

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.quant, self.dequant = q.QuantStub(), q.DeQuantStub()
            self.conv, self.bn, self.relu = nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU()
            self.pool, self.flat = nn.MaxPool2d(2), nn.Flatten()
            self.fc, self.relu2, self.fc2 = nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)

        def forward(self, x):
            x = self.pool(self.relu(self.bn(self.conv(self.quant(x)))))
            return self.dequant(self.fc2(self.relu2(self.fc(self.flat(x)))))
    return Net()


@pytest.mark.parametrize("backend", ["x86", "qnnpack"])
def test_post_training_static_quantization_matches_torch(torch, backend, tmp_path):
    torch.manual_seed(1)
    tm, mm = _static_model(torch), _static_model(minitorch)
    _copy_into(tm, mm)
    tm.eval(), mm.eval()
    fuse = [["conv", "bn", "relu"], ["fc", "relu2"]]
    tf, mf = torch.ao.quantization.fuse_modules(tm, fuse), mtq.fuse_modules(mm, fuse)
    _copy_into(tf, mf)  # the same fused float weights (BatchNorm's running mean may differ by an ulp)
    tf.qconfig, mf.qconfig = torch.ao.quantization.get_default_qconfig(backend), mtq.get_default_qconfig(backend)
    tp, mp = torch.ao.quantization.prepare(tf), mtq.prepare(mf)
    assert repr(mp).replace("minitorch", "torch") == repr(tp)
    for x in _batches(7, (16, 1, 8, 8), 3):
        tp(torch.from_numpy(x)), mp(minitorch.tensor(x))
    tc, mc = torch.ao.quantization.convert(tp), mtq.convert(mp)
    assert repr(mc) == repr(tc)
    assert list(mc.state_dict()) == list(tc.state_dict())
    x = _batches(8, (64, 1, 8, 8), 1)[0]
    expected, got = tc(torch.from_numpy(x)).numpy(), mc(minitorch.tensor(x)).numpy()
    assert np.mean(np.abs(got - expected) <= tc.fc2.scale * 1.0001) >= 0.99
    assert np.mean(got.argmax(1) == expected.argmax(1)) >= 0.99
    path = tmp_path / "quantized.safetensors"
    minitorch.save(mc.state_dict(), path)
    fresh = mtq.convert(mtq.prepare(mf))
    fresh.load_state_dict(minitorch.load(path))
    np.testing.assert_array_equal(fresh(minitorch.tensor(x)).numpy(), got)


def test_quantized_module_state_dict_entries(torch):
    layer = minitorch.ao.nn.quantized.Linear(4, 3)
    theirs = torch.ao.nn.quantized.Linear(4, 3)
    mine_sd, their_sd = layer.state_dict(), theirs.state_dict()
    assert list(mine_sd) == list(their_sd)
    assert mine_sd["_packed_params.dtype"] is minitorch.qint8
    weight, bias = mine_sd["_packed_params._packed_params"]
    assert weight.dtype is minitorch.qint8 and bias.dtype is minitorch.float32
    conv = minitorch.ao.nn.quantized.Conv2d(2, 3, 3)
    assert list(conv.state_dict()) == list(torch.ao.nn.quantized.Conv2d(2, 3, 3).state_dict())
    assert repr(conv) == repr(torch.ao.nn.quantized.Conv2d(2, 3, 3))


# ----- dynamic quantization -----------------------------------------------------------------------------------
def _recurrent(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 5)
            self.lstm = nn.LSTM(5, 4, num_layers=2, batch_first=True, bidirectional=True)
            self.out = nn.Linear(8, 3)

        def forward(self, x):
            return self.out(self.lstm(self.fc(x))[0])
    return Net()


def test_dynamic_quantization_of_linear_and_lstm_matches_torch(torch):
    torch.manual_seed(2)
    tm, mm = _recurrent(torch), _recurrent(minitorch)
    _copy_into(tm, mm)
    tq = torch.ao.quantization.quantize_dynamic(tm, {torch.nn.Linear, torch.nn.LSTM}, dtype=torch.qint8)
    mq = mtq.quantize_dynamic(mm, {minitorch.nn.Linear, minitorch.nn.LSTM}, dtype=minitorch.qint8)
    assert repr(mq).replace("Net", "X") == repr(tq).replace("Net", "X")
    assert list(mq.state_dict()) == list(tq.state_dict())
    x = _batches(9, (3, 7, 6), 1)[0]
    # the integer products agree exactly; sigmoid / tanh may differ from torch's vectorized ones by an ulp
    np.testing.assert_allclose(mq(minitorch.tensor(x)).numpy(), tq(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_dynamic_default_spec_and_errors(torch):
    model = minitorch.nn.Sequential(minitorch.nn.Linear(4, 4), minitorch.nn.ReLU(), minitorch.nn.Linear(4, 2))
    quantized = mtq.quantize_dynamic(model)
    assert [type(m).__name__ for m in quantized] == ["Linear", "ReLU", "Linear"]
    assert quantized[0]._get_name() == "DynamicQuantizedLinear"
    assert type(model[0]) is minitorch.nn.Linear  # not in place by default
    with pytest.raises(ValueError, match="Don't know how to quantize with default settings for torch.float32"):
        mtq.quantize_dynamic(model, dtype=minitorch.float32)


# ----- quantization-aware training ----------------------------------------------------------------------------
def test_quantization_aware_training_converts_as_torch(torch):
    """Both libraries prepare the same QAT model; torch trains it; minitorch loads torch's trained state
    (fake-quantizer ranges included) and both convert: the quantized models then agree."""
    torch.manual_seed(3)
    tm, mm = _static_model(torch), _static_model(minitorch)
    _copy_into(tm, mm)
    fuse = [["conv", "bn", "relu"], ["fc", "relu2"]]
    tf, mf = torch.ao.quantization.fuse_modules_qat(tm.train(), fuse), mtq.fuse_modules_qat(mm.train(), fuse)
    tf.qconfig, mf.qconfig = torch.ao.quantization.get_default_qat_qconfig("x86"), mtq.get_default_qat_qconfig("x86")
    tp, mp = torch.ao.quantization.prepare_qat(tf), mtq.prepare_qat(mf)
    assert repr(mp).replace("minitorch", "torch") == repr(tp)
    optimizer = torch.optim.SGD(tp.parameters(), lr=0.05)
    rng = np.random.default_rng(3)
    for _ in range(2):
        x, y = torch.from_numpy(_batches(int(rng.integers(100)), (8, 1, 8, 8), 1)[0]), torch.from_numpy(
            rng.integers(0, 10, 8))
        loss = torch.nn.functional.cross_entropy(tp(x), y)
        optimizer.zero_grad(), loss.backward(), optimizer.step()
    state = tp.state_dict()
    mp.load_state_dict({k: minitorch.tensor(v.detach().numpy()) for k, v in state.items()})
    assert copy.deepcopy(mp)(minitorch.tensor(_batches(5, (4, 1, 8, 8), 1)[0])).grad_fn is not None  # trainable
    tc, mc = torch.ao.quantization.convert(tp.eval()), mtq.convert(mp.eval())
    assert repr(mc) == repr(tc)
    x = _batches(6, (40, 1, 8, 8), 1)[0]
    expected, got = tc(torch.from_numpy(x)).numpy(), mc(minitorch.tensor(x)).numpy()
    assert np.mean(np.abs(got - expected) <= tc.fc2.scale * 1.0001) >= 0.99


def test_prepare_qat_needs_training_mode():
    with pytest.raises(AssertionError, match="prepare_qat only works on models in training mode"):
        mtq.prepare_qat(minitorch.nn.Linear(2, 2).eval())


# ----- the torchao-style form ---------------------------------------------------------------------------------
@pytest.mark.parametrize("config", ["Int8DynamicActivationInt8WeightConfig", "Int8WeightOnlyConfig"])
def test_quantize_underscore_swaps_linear_layers_in_place(config):
    minitorch.manual_seed(0)
    model = minitorch.nn.Sequential(minitorch.nn.Linear(16, 32), minitorch.nn.ReLU(), minitorch.nn.Linear(32, 4))
    x = minitorch.randn(8, 16)
    expected = model(x).detach().numpy()
    assert mtq.quantize_(model, getattr(mtq, config)()) is None
    assert all(type(m) is not minitorch.nn.Linear for m in model)
    weight = model[0].weight() if callable(model[0].weight) else model[0].weight
    assert weight.dtype is minitorch.qint8 and weight.qscheme() is minitorch.per_channel_affine
    np.testing.assert_allclose(model(x).detach().numpy(), expected, atol=0.05)
    picky = minitorch.nn.Sequential(minitorch.nn.Linear(4, 4), minitorch.nn.Linear(4, 4))
    mtq.quantize_(picky, getattr(mtq, config)(), filter_fn=lambda m, name: name == "1")
    assert type(picky[0]) is minitorch.nn.Linear and type(picky[1]) is not minitorch.nn.Linear


def test_quantized_engine_setting_as_torch(torch):
    assert minitorch.backends.quantized.supported_engines == torch.backends.quantized.supported_engines
    assert minitorch.backends.quantized.engine == torch.backends.quantized.engine == "x86"
    minitorch.backends.quantized.engine = "qnnpack"
    try:
        assert minitorch.backends.quantized.engine == "qnnpack"
        with pytest.raises(RuntimeError, match="^foo is not a valid value for quantized engine$"):
            minitorch.backends.quantized.engine = "foo"
    finally:
        minitorch.backends.quantized.engine = "x86"
