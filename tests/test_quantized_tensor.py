"""Quantized tensors: quantize / dequantize bit for bit as torch 2.13's CPU kernels, the accessors, the repr,
the ops a quantized tensor supports through the dispatch door and torch's errors for the others, and
minitorch.save / load with the integers kept as integers."""
import copy
import operator
import warnings

import numpy as np
import pytest

import minitorch
from minitorch import _dispatch

pytestmark = pytest.mark.filterwarnings("ignore")  # torch's deprecation notices for quantization

QDTYPES = ["quint8", "qint8", "qint32"]


def _tricky_values(rng, scale, n=4000):
    """Values on, just above and just below the half-way points of the quantization grid, plus normals."""
    inv = np.float32(1) / np.float32(scale)
    ties = ((rng.integers(-300, 300, n) + 0.5) / inv).astype(np.float32)
    return np.concatenate([ties, np.nextafter(ties, np.float32(np.inf)), np.nextafter(ties, np.float32(-np.inf)),
                           rng.standard_normal(n).astype(np.float32) * 30,
                           np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 0.0, -0.0], np.float32)])


@pytest.mark.parametrize("qdtype", QDTYPES)
@pytest.mark.parametrize("scale", [0.1, 1 / 3, 0.0137, 0.00214854861, 7.5])
def test_quantize_per_tensor_is_bit_identical(torch, qdtype, scale):
    rng = np.random.default_rng(0)
    zero = {"quint8": 128, "qint8": -3, "qint32": 5}[qdtype]
    for n in (7, 61, None):  # short tensors take fbgemm's scalar tail, long ones its vector loop
        x = _tricky_values(rng, scale)[:n]
        expected = torch.quantize_per_tensor(torch.from_numpy(x), scale, zero, getattr(torch, qdtype))
        got = minitorch.quantize_per_tensor(minitorch.tensor(x), scale, zero, getattr(minitorch, qdtype))
        np.testing.assert_array_equal(got.int_repr().numpy(), expected.int_repr().numpy())
        deq = got.dequantize().numpy()
        np.testing.assert_array_equal(deq.view(np.int32), expected.dequantize().numpy().view(np.int32))


@pytest.mark.parametrize("qdtype", QDTYPES)
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_quantize_per_channel_is_bit_identical(torch, qdtype, axis):
    rng = np.random.default_rng(1)
    shape = [4, 5, 6]
    channels = shape[axis]
    scales = rng.uniform(0.001, 0.3, channels)
    low, high = {"quint8": (0, 255), "qint8": (-128, 127), "qint32": (-1000, 1000)}[qdtype]
    zeros = rng.integers(low, high, channels)
    x = (rng.standard_normal(shape) * 20).astype(np.float32)
    x.flat[:4] = [np.nan, np.inf, -np.inf, 0.5]
    expected = torch.quantize_per_channel(torch.from_numpy(x), torch.from_numpy(scales), torch.from_numpy(zeros),
                                          axis, getattr(torch, qdtype))
    got = minitorch.quantize_per_channel(minitorch.tensor(x), minitorch.tensor(scales), minitorch.tensor(zeros), axis,
                                         getattr(minitorch, qdtype))
    np.testing.assert_array_equal(got.int_repr().numpy(), expected.int_repr().numpy())
    np.testing.assert_array_equal(got.dequantize().numpy(), expected.dequantize().numpy())
    np.testing.assert_array_equal(got.q_per_channel_scales().numpy(), expected.q_per_channel_scales().numpy())
    np.testing.assert_array_equal(got.q_per_channel_zero_points().numpy(),
                                  expected.q_per_channel_zero_points().numpy())
    assert got.q_per_channel_axis() == axis and got.qscheme() is minitorch.per_channel_affine


def test_accessors_dtypes_and_metadata(torch):
    x = np.array([[-1.0, 0.0, 0.5], [1.26, 3.0, 100.0]], np.float32)
    t = torch.quantize_per_tensor(torch.from_numpy(x), 0.1, 10, torch.quint8)
    q = minitorch.quantize_per_tensor(minitorch.tensor(x), 0.1, 10, minitorch.quint8)
    assert (q.q_scale(), q.q_zero_point()) == (t.q_scale(), t.q_zero_point())
    assert q.dtype is minitorch.quint8 and repr(q.dtype) == repr(t.dtype)
    assert q.is_quantized and not minitorch.tensor(x).is_quantized
    assert repr(q.qscheme()) == repr(t.qscheme())
    assert q.int_repr().dtype is minitorch.uint8
    assert (tuple(q.shape), q.stride(), q.element_size(), q.nbytes, q.itemsize, str(q.device), repr(q.layout)) == \
        (tuple(t.shape), t.stride(), t.element_size(), t.nbytes, t.itemsize, str(t.device), repr(t.layout))
    assert (q.dim(), q.numel(), len(q), q.size(1), q.is_contiguous(), q.requires_grad, q.is_leaf) == \
        (t.dim(), t.numel(), len(t), t.size(1), t.is_contiguous(), t.requires_grad, t.is_leaf)
    assert q[1, 1].item() == t[1, 1].item()
    for qd in ("quint8", "qint8", "qint32"):
        mine, theirs = getattr(minitorch, qd), getattr(torch, qd)
        assert (repr(mine), mine.itemsize, mine.is_floating_point) == (repr(theirs), theirs.itemsize,
                                                                       theirs.is_floating_point)
    for name in ("per_tensor_affine", "per_channel_affine", "per_tensor_symmetric", "per_channel_symmetric",
                 "per_channel_affine_float_qparams"):
        assert repr(getattr(minitorch, name)) == repr(getattr(torch, name))


def test_scale_and_zero_point_given_as_tensors(torch):
    x = np.array([1.0, 2.0], np.float32)
    t = torch.quantize_per_tensor(torch.from_numpy(x), torch.tensor(0.05), torch.tensor(3), torch.qint8)
    q = minitorch.quantize_per_tensor(minitorch.tensor(x), minitorch.tensor(0.05), minitorch.tensor(3),
                                      minitorch.qint8)
    assert q.q_scale() == t.q_scale() == 0.05000000074505806
    assert repr(q) == repr(t)


@pytest.mark.parametrize("case", ["matrix", "wide", "scalar", "empty", "qint32", "negative_scale"])
def test_repr_matches_torch(torch, case):
    rng = np.random.default_rng(2)
    x = {"matrix": rng.standard_normal((2, 3)), "wide": rng.standard_normal((20, 30)), "scalar": np.array(2.5),
         "empty": np.zeros(0), "qint32": rng.standard_normal((2, 3)),
         "negative_scale": np.array([-1.0, 0.0, 0.5])}[case].astype(np.float32)
    special = {"qint32": (0.05, 0, "qint32"), "negative_scale": (-0.1, 3, "quint8")}
    scale, zero, qd = special.get(case, (1 / 3, 3, "qint8"))
    t = torch.quantize_per_tensor(torch.from_numpy(x), scale, zero, getattr(torch, qd))
    q = minitorch.quantize_per_tensor(minitorch.tensor(x), scale, zero, getattr(minitorch, qd))
    assert repr(q) == repr(t)


def test_per_channel_repr_matches_torch(torch):
    x = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)
    args = (np.array([0.1, 0.2, 0.3]), np.array([0, 1, -2]))
    t = torch.quantize_per_channel(torch.from_numpy(x), *map(torch.from_numpy, args), 0, torch.qint8)
    q = minitorch.quantize_per_channel(minitorch.tensor(x), *map(minitorch.tensor, args), 0, minitorch.qint8)
    assert repr(q) == repr(t)


def test_make_quantized_tensors_from_integers(torch):
    ints = np.array([[1, 2, 250]], np.uint8)
    t = torch._make_per_tensor_quantized_tensor(torch.from_numpy(ints), 0.5, 1)
    q = minitorch._make_per_tensor_quantized_tensor(minitorch.tensor(ints), 0.5, 1)
    assert repr(q) == repr(t)
    ints8 = np.array([[1, -2, 100]], np.int8)
    t = torch._make_per_channel_quantized_tensor(torch.from_numpy(ints8), torch.tensor([0.5]), torch.tensor([0]), 0)
    q = minitorch._make_per_channel_quantized_tensor(minitorch.tensor(ints8), minitorch.tensor([0.5]),
                                                     minitorch.tensor([0]), 0)
    assert repr(q) == repr(t)
    with pytest.raises(RuntimeError, match="requires quantized dtype like torch.quint8"):
        minitorch._make_per_tensor_quantized_tensor(minitorch.tensor([1, 2]), 0.5, 1)


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and message are what is compared
        return type(e), str(e).split("\n")[0]
    return None


@pytest.mark.parametrize("call", [
    lambda m, x: m.quantize_per_tensor(x, 0.1, 300, m.quint8),
    lambda m, x: m.quantize_per_tensor(x, 0.1, -129, m.qint8),
    lambda m, x: m.quantize_per_tensor(x.double(), 0.1, 3, m.quint8),
    lambda m, x: m.quantize_per_tensor(x, 0.1, 3, m.float32),
    lambda m, x: m.quantize_per_channel(x, m.tensor([0.1, 0.2]), m.tensor([300, 3]), 0, m.quint8),
    lambda m, x: m.quantize_per_channel(x, m.tensor([0.1, 0.2, 0.3]), m.tensor([1, 2, 3]), 0, m.quint8),
    lambda m, x: m.quantize_per_channel(x, m.tensor([0.1, 0.2]), m.tensor([1, 2]), 2, m.quint8),
    lambda m, x: m.quantize_per_channel(x, m.tensor([[0.1, 0.2]]), m.tensor([1, 2]), 0, m.quint8),
    lambda m, x: x.int_repr(),
    lambda m, x: x.q_scale(),
    lambda m, x: m.quantize_per_tensor(x, 0.1, 3, m.quint8).q_per_channel_scales(),
    lambda m, x: m.quantize_per_channel(x, m.tensor([0.1, 0.2]), m.tensor([1, 2]), 0, m.quint8).q_scale(),
    lambda m, x: m.quantize_per_tensor(x, 0.1, 3, m.quint8).float(),
    lambda m, x: m.quantize_per_tensor(x, 0.1, 3, m.quint8).to(m.float32),
    lambda m, x: m.quantize_per_tensor(x, 0.1, 3, m.quint8).numpy(),
    lambda m, x: m.quantize_per_tensor(x, 0.1, 3, m.quint8).requires_grad_(),
    lambda m, x: m.relu(m.quantize_per_channel(x, m.tensor([0.1, 0.2]), m.tensor([1, 2]), 0, m.quint8)),
    lambda m, x: m.quantize_per_channel(x, m.tensor([0.1, 0.2]), m.tensor([1, 2]), 0, m.quint8).t(),
    lambda m, x: m.cat([m.quantize_per_channel(x, m.tensor([0.1, 0.2]), m.tensor([1, 2]), 0, m.quint8)] * 2),
    lambda m, x: m.quantize_per_tensor(x, 0.1, 3, m.quint8).short(),
    lambda m, x: m.quantize_per_tensor(x, 0.1, 3, m.quint8).tolist(),
    lambda m, x: operator.index(m.quantize_per_tensor(x[0, :1], 0.1, 3, m.quint8)),
    lambda m, x: bool(m.quantize_per_tensor(x, 0.1, 3, m.quint8)),
    lambda m, x: m.qscheme("per_tensor_affine"),
    lambda m, x: m.fake_quantize_per_tensor_affine(x, m.tensor(0.1, requires_grad=True), m.tensor(0), 0, 255),
    lambda m, x: m.fake_quantize_per_channel_affine(x, m.ones(3, requires_grad=True), m.zeros(3, dtype=m.int32),
                                                    1, 0, 255),
    lambda m, x: m.fake_quantize_per_channel_affine(x, m.ones(3), m.zeros(3, requires_grad=True), 1, 0, 255),
])
def test_errors_match_torch(torch, call):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    expected = _error(lambda: call(torch, torch.from_numpy(x)))
    got = _error(lambda: call(minitorch, minitorch.tensor(x)))
    assert expected is not None and got is not None
    assert got[0] is expected[0] or issubclass(got[0], expected[0]), (got, expected)
    if "Could not run" not in expected[1]:
        assert got[1] == expected[1]


@pytest.mark.parametrize("op", ["add", "sum", "mul", "exp", "matmul", "setitem"])
def test_unsupported_ops_raise_could_not_run(op):
    q = minitorch.quantize_per_tensor(minitorch.randn(2, 2), 0.1, 0, minitorch.qint8)
    call = {"add": lambda: q + q, "sum": lambda: q.sum(), "mul": lambda: q * 2, "exp": lambda: q.exp(),
            "matmul": lambda: q @ q, "setitem": lambda: q.__setitem__(0, 1.0)}[op]
    with pytest.raises(NotImplementedError, match=r"Could not run 'aten::\w+' with arguments from the "
                                                  r"'QuantizedCPU' backend"):
        call()


def test_python_numbers_and_attributes_as_torch(torch):
    """Entries that are no operator (dtype, device, is_cpu, len ...) and those sharing an aten name (float(t)
    runs aten::item, t.cpu() aten::to) reach the quantized kind's own code."""
    def facts(lib):
        q = lib.quantize_per_tensor(lib.tensor([1.5]), 0.1, 3, lib.quint8)
        return [float(q), int(q), complex(q), bool(q), q.item(), str(q.dtype), str(q.device), q.is_cpu, q.is_cuda,
                len(q), tuple(q.shape), q.dim(), q.element_size(), q.cpu().int_repr().tolist(),
                q.to("cpu").q_zero_point()]
    assert facts(minitorch) == facts(torch)


def test_every_quantized_kernel_belongs_to_an_op_or_an_entry():
    """Kernels are registered by name: each name is an aten op or a public entry's name (no kernel lost to a
    renamed entry)."""
    atens = {op.name for op in _dispatch._OPS.values()}
    entries = set(_dispatch._NAMES.values())
    names = [name for name, kernels in _dispatch._KERNELS.items() if "QuantizedCPU" in kernels]
    assert len(names) > 50
    assert [name for name in names if name not in atens | entries] == []


def _both(torch, fn, *args):
    """fn applied to the same quantized tensor in torch and in minitorch."""
    x = np.random.default_rng(4).standard_normal((2, 3, 4)).astype(np.float32)
    t = torch.quantize_per_tensor(torch.from_numpy(x), 0.05, 7, torch.quint8)
    q = minitorch.quantize_per_tensor(minitorch.tensor(x), 0.05, 7, minitorch.quint8)
    return fn(t, *args), fn(q, *args)


@pytest.mark.parametrize("fn", [
    lambda t: t.view(4, 6), lambda t: t.reshape(-1), lambda t: t.flatten(1), lambda t: t.permute(2, 0, 1),
    lambda t: t.transpose(0, 2), lambda t: t[1, ::2], lambda t: t[[0, 1], 1], lambda t: t.unsqueeze(1),
    lambda t: t[:1].squeeze(0), lambda t: t.transpose(0, 1).contiguous(), lambda t: t.clone(),
    lambda t: t[:, :1].expand(2, 3, 4), lambda t: t.select(1, 2), lambda t: t.narrow(2, 1, 2),
    lambda t: type(t).relu(t), lambda t: t.relu_(), lambda t: copy.deepcopy(t), lambda t: t.detach(),
    lambda t: t.data,
])
def test_shape_ops_and_relu_keep_quantization(torch, fn):
    t, q = _both(torch, fn)
    assert repr(q) == repr(t)
    assert q.stride() == t.stride() and q.is_contiguous() == t.is_contiguous()


def test_functional_ops_on_quantized_tensors(torch):
    for fn in (lambda m, t: m.nn.functional.relu(t), lambda m, t: m.nn.functional.max_pool2d(t.unsqueeze(0), 2),
               lambda m, t: m.nn.functional.max_pool2d(t.unsqueeze(0), 3, 1, 1), lambda m, t: m.nn.ReLU()(t),
               lambda m, t: m.nn.Flatten()(t), lambda m, t: m.cat([t, t], 1)):
        t, q = _both(torch, lambda a: fn(torch if type(a).__module__.startswith("torch") else minitorch, a))
        assert repr(q) == repr(t)


def test_cat_requantizes_to_the_first_tensors_parameters(torch):
    x = np.array([[-1.0, 0.0, 0.5], [1.26, 3.0, 100.0]], np.float32)
    ts = [torch.quantize_per_tensor(torch.from_numpy(x), s, 10, torch.quint8) for s in (0.1, 0.2)]
    qs = [minitorch.quantize_per_tensor(minitorch.tensor(x), s, 10, minitorch.quint8) for s in (0.1, 0.2)]
    assert repr(minitorch.cat(qs)) == repr(torch.cat(ts))


def test_equal(torch):
    (t, q) = _both(torch, lambda a: a)
    assert minitorch.equal(q, q.clone()) and torch.equal(t, t.clone())
    other = minitorch.quantize_per_tensor(q.dequantize(), 0.05, 8, minitorch.quint8)
    assert not minitorch.equal(q, other)
    assert not minitorch.equal(q, q.dequantize())


def test_dequantize_of_float_tensors_and_lists(torch):
    x = minitorch.tensor([1.0, 2.0])
    assert minitorch.dequantize(x) is x
    q = minitorch.quantize_per_tensor(x, 0.5, 0, minitorch.quint8)
    out = minitorch.dequantize([q, q])
    assert isinstance(out, tuple) and len(out) == 2
    np.testing.assert_array_equal(out[0].numpy(), [1.0, 2.0])


def test_deprecation_warning_once_as_torch(torch):
    from minitorch.ops import quantized
    quantized._DEPRECATED[0] = False
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        minitorch.quantize_per_tensor(minitorch.randn(2), 0.1, 0, minitorch.quint8)
        minitorch.quantize_per_tensor(minitorch.randn(2), 0.1, 0, minitorch.quint8)
    messages = [str(w.message) for w in seen if "deprecated" in str(w.message)]
    assert len(messages) == 1 and messages[0].startswith("torch.quantize_per_tensor, torch.quantize_per_channel")
    assert seen[0].filename == __file__


def test_fast_path_is_off_only_while_quantized_data_lives():
    import gc
    gc.collect()
    assert _dispatch._PLAIN[0]
    q = minitorch.quantize_per_tensor(minitorch.randn(3), 0.1, 0, minitorch.qint8)
    view = q.view(3)
    assert not _dispatch._PLAIN[0]
    del q, view
    gc.collect()
    assert _dispatch._PLAIN[0]


def test_quantized_ops_are_seen_by_dispatch_modes():
    from minitorch.ao.nn.quantized import Linear
    from minitorch.utils._python_dispatch import TorchDispatchMode
    seen = []

    class Record(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append(func.name)
            return func(*args, **(kwargs or {}))
    layer = Linear(4, 3)
    x = minitorch.quantize_per_tensor(minitorch.randn(2, 4), 0.1, 64, minitorch.quint8)
    with Record():
        layer(x).dequantize()
    assert "quantized::linear" in seen and "aten::dequantize" in seen


@pytest.mark.parametrize("per_channel", [False, True])
def test_save_and_load_keep_integers_on_disk(tmp_path, per_channel):
    x = minitorch.randn(4, 8)
    if per_channel:
        q = minitorch.quantize_per_channel(x, minitorch.rand(4) / 10 + 0.01, minitorch.zeros(4, dtype=minitorch.long),
                                           0, minitorch.qint8)
    else:
        q = minitorch.quantize_per_tensor(x, 0.03, -2, minitorch.qint8)
    path = tmp_path / "q.safetensors"
    minitorch.save({"w": q, "plain": x}, path)
    back = minitorch.load(path)
    assert minitorch.equal(back["w"], q) and repr(back["w"]) == repr(q)
    from safetensors.numpy import load_file
    arrays = load_file(str(path))
    assert arrays["w.int_repr"].dtype == np.int8 and arrays["w.int_repr"].shape == (4, 8)


def test_per_channel_view_must_keep_the_channel_axis_length():
    """torch builds such a view and fails later, when the tensor is used; minitorch refuses it at once."""
    q = minitorch.quantize_per_channel(minitorch.randn(2, 3), minitorch.tensor([0.1, 0.2]), minitorch.tensor([1, 2]),
                                       0, minitorch.quint8)
    assert q.reshape(2, 3, 1).q_per_channel_axis() == 0
    with pytest.raises(RuntimeError, match="length of scales must equal to channel, expected 3 got, 2"):
        q.view(3, 2)


def test_load_rejects_malformed_quantized_entries(tmp_path, monkeypatch):
    from minitorch._quantized import storage
    q = minitorch.quantize_per_tensor(minitorch.randn(3), 0.1, 0, minitorch.quint8)
    parts = storage.to_parts
    monkeypatch.setattr(storage, "to_parts", lambda t: {**parts(t), "dtype": "qint8"})
    path = tmp_path / "q.safetensors"
    minitorch.save(q, path)
    with pytest.raises(minitorch.serialization.SerializationError, match="malformed quantized tensor.*qint8 tensor "
                                                                         "needs torch.int8 integers"):
        minitorch.load(path)


def test_per_channel_copies_keep_their_channels():
    q = minitorch.quantize_per_channel(minitorch.randn(3, 4), minitorch.tensor([0.1, 0.2, 0.3]),
                                       minitorch.tensor([0, 1, 2]), 0, minitorch.qint8)
    assert minitorch.equal(q.clone(), q) and minitorch.equal(copy.deepcopy(q), q) and q.contiguous() is q
    assert q.unsqueeze(0).q_per_channel_axis() == 1 and q.unsqueeze(2).q_per_channel_axis() == 0
    assert q.unsqueeze(0).squeeze(0).q_per_channel_axis() == 0
    with pytest.raises(RuntimeError, match="indexing of a per-channel quantized tensor is not supported"):
        q[0]
