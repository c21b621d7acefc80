"""Recurrent layers against real PyTorch: RNN / LSTM / GRU and the cells (parameter names and shapes, reprs,
default init, outputs and gradients with copied weights, unbatched inputs, initial states, errors)."""
import math
import warnings

import numpy as np
import pytest

import minitorch
from minitorch import nn
from minitorch.autograd import gradcheck, gradgradcheck
from minitorch.nn.modules.rnn import _lstm_layer

from ._module_parity import copy_state, outcome, same


def _pair(torch, cls, *args, **kwargs):
    """The torch layer (seeded, float64) and a minitorch twin holding the same weights."""
    torch.manual_seed(0)
    ref = getattr(torch.nn, cls)(*args, dtype=torch.float64, **kwargs)
    mine = getattr(nn, cls)(*args, dtype=minitorch.float64, **kwargs)
    copy_state(ref, mine)
    return ref, mine


def _inputs(lib, *shapes):
    """Leaf float64 tensors of random values (the same for both libraries)."""
    rng = np.random.default_rng(1)
    return [lib.tensor(rng.standard_normal(s), dtype=lib.float64, requires_grad=True) for s in shapes]


def _flat(out):
    return [t for o in out for t in (o if isinstance(o, tuple) else (o,))]


def _run(lib, module, shapes, state_shapes, lstm):
    """Forward with the given input / state shapes, backward a weighted sum of all outputs; returns
    (outputs, input and state grads, parameter grads) as numpy arrays."""
    x, *states = _inputs(lib, shapes, *state_shapes)
    hx = None if not states else (tuple(states) if lstm else states[0])
    out = module(x) if hx is None else module(x, hx)
    outs = _flat(out if isinstance(out, tuple) else (out,))
    loss = sum((o * lib.arange(o.numel(), dtype=lib.float64).reshape(o.shape).cos()).sum() for o in outs)
    loss.backward()
    return ([o.detach().numpy() for o in outs], [t.grad.numpy() for t in [x, *states]],
            {n: p.grad.numpy() for n, p in module.named_parameters()})


def _assert_close(ours, theirs):
    (o1, g1, p1), (o2, g2, p2) = ours, theirs
    assert len(o1) == len(o2) and len(g1) == len(g2) and p1.keys() == p2.keys()
    for a, b in zip(o1 + g1, o2 + g2):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for name in p1:
        np.testing.assert_allclose(p1[name], p2[name], rtol=1e-10, atol=1e-12, err_msg=name)


CASES = [
    ("RNN", (3, 4), {}, (5, 2, 3), []),
    ("RNN", (3, 4, 2, "relu"), {"bias": False}, (5, 2, 3), [(2, 2, 4)]),
    ("RNN", (3, 4), {"batch_first": True, "num_layers": 2}, (2, 5, 3), [(2, 2, 4)]),
    ("RNN", (3, 4), {"bidirectional": True}, (4, 3), [(2, 4)]),
    ("LSTM", (3, 5), {}, (4, 2, 3), []),
    ("LSTM", (3, 5), {"num_layers": 2, "batch_first": True}, (2, 4, 3), [(2, 2, 5), (2, 2, 5)]),
    ("LSTM", (3, 5), {"bidirectional": True, "num_layers": 2, "proj_size": 2}, (4, 2, 3), []),
    ("LSTM", (3, 5), {"bias": False}, (4, 3), [(1, 5), (1, 5)]),
    ("GRU", (3, 4), {}, (5, 2, 3), [(1, 2, 4)]),
    ("GRU", (3, 4), {"num_layers": 3, "bidirectional": True, "batch_first": True}, (2, 3, 3), []),
    ("GRU", (3, 4), {"batch_first": True}, (5, 3), []),
]


@pytest.mark.parametrize("cls, args, kwargs, shape, state_shapes", CASES)
def test_outputs_and_gradients_match_torch(torch, cls, args, kwargs, shape, state_shapes):
    ref, mine = _pair(torch, cls, *args, **kwargs)
    lstm = cls == "LSTM"
    _assert_close(_run(minitorch, mine, shape, state_shapes, lstm), _run(torch, ref, shape, state_shapes, lstm))


@pytest.mark.parametrize("cls, args, kwargs, shape, state_shapes", [
    ("RNNCell", (3, 4), {}, (2, 3), []),
    ("RNNCell", (3, 4), {"nonlinearity": "relu", "bias": False}, (3,), [(4,)]),
    ("LSTMCell", (3, 4), {}, (2, 3), [(2, 4), (2, 4)]),
    ("LSTMCell", (3, 4), {}, (3,), []),
    ("GRUCell", (3, 4), {}, (2, 3), [(2, 4)]),
    ("GRUCell", (3, 4), {"bias": False}, (3,), []),
])
def test_cells_match_torch(torch, cls, args, kwargs, shape, state_shapes):
    ref, mine = _pair(torch, cls, *args, **kwargs)
    lstm = cls == "LSTMCell"
    _assert_close(_run(minitorch, mine, shape, state_shapes, lstm), _run(torch, ref, shape, state_shapes, lstm))


def test_structure_and_repr(torch):
    def scenario(torch):
        modules = [torch.nn.RNN(3, 4), torch.nn.RNN(3, 4, 2, "relu", False, True, 0.5, True),
                   torch.nn.LSTM(10, 20, num_layers=2, batch_first=True),
                   torch.nn.LSTM(3, 5, bidirectional=True, num_layers=2, proj_size=2),
                   torch.nn.GRU(3, 4, bias=False, dropout=0.25, num_layers=3),
                   torch.nn.RNNCell(3, 4), torch.nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
                   torch.nn.LSTMCell(3, 4), torch.nn.GRUCell(3, 4, bias=False)]
        return [(repr(m), [(n, tuple(p.shape)) for n, p in m.named_parameters()], list(m.state_dict()),
                 [[tuple(w.shape) for w in ws] for ws in m.all_weights] if hasattr(m, "all_weights") else None)
                for m in modules]
    same(scenario, torch)


def test_attributes(torch):
    def scenario(torch):
        m = torch.nn.RNN(3, 4, nonlinearity="relu", dropout=1)
        g = torch.nn.GRU(3, 4)
        return (m.mode, m.nonlinearity, m.dropout, type(m.dropout).__name__, m.num_layers, m.bidirectional,
                m.proj_size, g.mode, hasattr(g, "nonlinearity"), torch.nn.RNNCell(2, 3).nonlinearity,
                torch.nn.GRUCell(2, 3, bias=False).bias_ih)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(scenario, torch)


def test_default_init_bounds():
    minitorch.manual_seed(0)
    m = nn.LSTM(8, 64, num_layers=2)
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert all(p.is_leaf and p.requires_grad for p in m.parameters())
    assert nn.GRUCell(3, 100).weight_hh.detach().abs().max().item() <= 0.1


def test_unbatched_matches_batched_of_one():
    minitorch.manual_seed(0)
    m = nn.GRU(3, 4, num_layers=2)
    x = minitorch.randn(5, 3)
    out, h = m(x)
    out_b, h_b = m(x.unsqueeze(1))
    assert out.shape == (5, 4) and h.shape == (2, 4)
    assert minitorch.equal(out, out_b.squeeze(1)) and minitorch.equal(h, h_b.squeeze(1))


def test_dropout_between_layers(torch):
    """dropout=1 zeroes the second layer's input (deterministic); eval mode or the last layer skips it."""
    for train in (True, False):
        ref, mine = _pair(torch, "LSTM", 3, 4, num_layers=2, dropout=1.0)
        ref.train(train)
        mine.train(train)
        _assert_close(_run(minitorch, mine, (4, 2, 3), [], True), _run(torch, ref, (4, 2, 3), [], True))


def test_gradcheck_tiny_rnns():
    """Gradients w.r.t. the input, the initial state and every weight (the parameters are passed as
    gradcheck inputs, which it perturbs in place)."""
    minitorch.manual_seed(0)
    f64 = minitorch.float64
    for module, state in ((nn.RNN(2, 3, num_layers=2, dtype=f64), (2, 2, 3)),
                          (nn.LSTM(2, 3, bidirectional=True, proj_size=2, dtype=f64), None),
                          (nn.GRU(2, 3, batch_first=True, dtype=f64), (1, 3, 3))):
        x = minitorch.randn(3, 2, 2, dtype=f64, requires_grad=True)
        extra = () if state is None else (minitorch.randn(*state, dtype=f64, requires_grad=True),)

        def fn(x, *rest):
            out, hidden = module(x, *rest[:len(extra)])
            return out, *(hidden if isinstance(hidden, tuple) else (hidden,))
        assert gradcheck(fn, (x, *extra, *module.parameters()))


@pytest.mark.parametrize("reverse, proj, bias", [(False, False, True), (True, True, True), (False, True, False)])
def test_lstm_layer_gradcheck_and_gradgradcheck(reverse, proj, bias):
    """nn.LSTM's fused layer node: first derivatives from its array backward, second derivatives through the
    tensor-op backward it records under create_graph; outputs used alone leave the others' gradients None."""
    minitorch.manual_seed(0)
    f64, hidden = minitorch.float64, 2
    real = 1 if proj else hidden
    xw, h0, c0, w_hh = (minitorch.randn(*s, dtype=f64, requires_grad=True)
                        for s in ((3, 2, 4 * hidden), (2, real), (2, hidden), (4 * hidden, real)))
    b_hh = minitorch.randn(4 * hidden, dtype=f64, requires_grad=True) if bias else None
    w_hr = minitorch.randn(real, hidden, dtype=f64, requires_grad=True) if proj else None
    given = tuple(t for t in (xw, h0, c0, w_hh, b_hh, w_hr) if t is not None)

    def layer(*args):
        it = iter(args)
        return _lstm_layer(*(next(it) if t is not None else None for t in (xw, h0, c0, w_hh, b_hh, w_hr)), reverse)
    assert gradcheck(layer, given) and gradgradcheck(layer, given)
    assert gradcheck(lambda *a: layer(*a)[0], given) and gradcheck(lambda *a: layer(*a)[2], given)


def test_lstm_double_backward_through_module(torch):
    """A gradient penalty through nn.LSTM (create_graph) differentiates to torch's numbers."""
    results = []
    for lib in (minitorch, torch):
        ref, mine = _pair(torch, "LSTM", 3, 4, num_layers=2, proj_size=2)
        module = mine if lib is minitorch else ref
        (x,) = _inputs(lib, (5, 2, 3))
        out, (h, c) = module(x)
        (gx,) = lib.autograd.grad((out.tanh().sum() + c.sum()), x, create_graph=True)
        (gx * gx).sum().backward()
        results.append([x.grad.numpy()] + [p.grad.numpy() for p in module.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype, kwargs", [("float32", {}), ("float32", {"proj_size": 2, "bidirectional": True}),
                                           ("float64", {"batch_first": True}), ("float64", {})])
def test_lstm_float32_and_grad_fn_names(torch, dtype, kwargs):
    """float32 numbers within rounding of torch's, and the output's grad_fn named as torch's CPU LSTM names it
    (one oneDNN layer node for float32 without projections, else a stack of steps)."""
    torch.manual_seed(0)
    ref = torch.nn.LSTM(3, 5, num_layers=2, dtype=getattr(torch, dtype), **kwargs)
    mine = nn.LSTM(3, 5, num_layers=2, dtype=getattr(minitorch, dtype), **kwargs)
    copy_state(ref, mine)
    x = np.random.default_rng(0).standard_normal((6, 4, 3)).astype(dtype)
    runs = []
    for lib, module in ((minitorch, mine), (torch, ref)):
        t = lib.tensor(x, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch: "LSTM with projections is not supported with oneDNN"
            out, (h, c) = module(t)
        (out.sin().sum() + 2 * h.sum() + (c * c).sum()).backward()
        runs.append((out.grad_fn.name(), [a.detach().numpy() for a in (out, h, c, t.grad)]
                     + [p.grad.numpy() for p in module.parameters()]))
    assert runs[0][0] == runs[1][0]
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-12}
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_allclose(a, b, **tol)


def test_lstm_on_meta(torch):
    """The fused LSTM layer runs forward and backward on meta tensors, with torch's shapes."""
    shapes = []
    for lib in (minitorch, torch):
        module = lib.nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True, device="meta")
        x = lib.empty(4, 2, 3, device="meta", requires_grad=True)
        out, (h, c) = module(x)
        (out.sum() + c.sum()).backward()
        grads = [x.grad, *(p.grad for p in module.parameters())]
        shapes.append([(tuple(t.shape), str(t.device)) for t in (out, h, c, *grads)])
    assert shapes[0] == shapes[1]


@pytest.mark.cuda
def test_lstm_cuda_matches_cpu():
    minitorch.manual_seed(0)
    module = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    x = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32)
    runs = []
    for device in ("cpu", "cuda"):
        module.zero_grad()
        module.to(device)
        t = minitorch.tensor(x, device=device, requires_grad=True)
        out, (h, c) = module(t)
        (out.sin().sum() + (c * c).sum()).backward()
        runs.append([a.detach().cpu().numpy() for a in (out, h, c, t.grad, *(p.grad for p in module.parameters()))])
    for a, b in zip(*runs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_float32_default(torch):
    ref, mine = _pair(torch, "GRU", 3, 4)
    mine32 = nn.GRU(3, 4)
    ref32 = torch.nn.GRU(3, 4)
    copy_state(ref, mine32)
    copy_state(ref, ref32)
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    out, h = mine32(minitorch.tensor(x))
    out_t, h_t = ref32(torch.tensor(x))
    assert out.dtype == minitorch.float32
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_construction_errors(torch):
    def scenario(torch):
        calls = [lambda: torch.nn.RNN(3, 4, nonlinearity="sigmoid"), lambda: torch.nn.GRU(3, 4, proj_size=1),
                 lambda: torch.nn.RNN(3, 4, proj_size=1), lambda: torch.nn.LSTM(3, 4, dropout=1.5),
                 lambda: torch.nn.LSTM(3, 4, dropout=True), lambda: torch.nn.LSTM(3, 4, bias=1),
                 lambda: torch.nn.LSTM(3, 4, batch_first=None), lambda: torch.nn.LSTM(3.0, 4),
                 lambda: torch.nn.LSTM(0, 4), lambda: torch.nn.LSTM(3, 4.5), lambda: torch.nn.LSTM(3, 0),
                 lambda: torch.nn.LSTM(3, 4, num_layers=0), lambda: torch.nn.LSTM(3, 4, proj_size=-1),
                 lambda: torch.nn.LSTM(3, 4, proj_size=4), lambda: torch.nn.RNNBase("XYZ", 3, 4)]
        return [outcome(c) if isinstance(outcome(c), tuple) else "ok" for c in calls]
    same(scenario, torch)


def test_dropout_warning(torch):
    for lib in (minitorch, torch):
        with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1, but got "
                                             "dropout=0.5 and num_layers=1"):
            lib.nn.GRU(3, 4, dropout=0.5)


def test_forward_errors(torch):
    def scenario(torch):
        rnn, lstm, gru = torch.nn.RNN(3, 4), torch.nn.LSTM(3, 4), torch.nn.GRU(3, 4, batch_first=True)
        z = torch.zeros
        calls = [lambda: rnn(z(2, 3, 3, 1)), lambda: lstm(z(3)), lambda: gru(z(1, 2, 3, 4)),
                 lambda: rnn(z(5, 2, 3), z(2, 4)), lambda: rnn(z(5, 3), z(1, 1, 4)),
                 lambda: lstm(z(5, 2, 3), (z(1, 2, 4), z(2, 4))), lambda: lstm(z(5, 3), (z(1, 1, 4), z(1, 4))),
                 lambda: rnn(z(5, 2, 2)), lambda: lstm(z(5, 2, 3, dtype=torch.float64)),
                 lambda: rnn(z(5, 2, 3), z(1, 3, 4)), lambda: gru(z(5, 2, 3), z(1, 2, 4)),
                 lambda: lstm(z(5, 2, 3), (z(1, 2, 5), z(1, 2, 4))),
                 lambda: lstm(z(5, 2, 3), (z(1, 2, 4), z(2, 2, 4)))]
        return [outcome(c) for c in calls]
    same(scenario, torch)


def test_cell_errors(torch):
    def scenario(torch):
        z = torch.zeros
        cell, lcell, gcell = torch.nn.RNNCell(3, 4), torch.nn.LSTMCell(3, 4), torch.nn.GRUCell(3, 4)
        bad = torch.nn.RNNCell(3, 4)
        bad.nonlinearity = "gelu"
        calls = [lambda: cell(z(1, 2, 3)), lambda: cell(z(2, 3), z(1, 2, 4)), lambda: cell(z(2, 5)),
                 lambda: cell(z(2, 3), z(3, 4)), lambda: cell(z(2, 3), z(2, 5)), lambda: lcell(z(2, 2, 3)),
                 lambda: lcell(z(2, 3), (z(2, 4), z(1, 2, 4))), lambda: lcell(z(2, 3), (z(2, 4), z(2, 5))),
                 lambda: gcell(z(2, 3, 1)), lambda: gcell(z(2, 3), z(3, 4)), lambda: bad(z(2, 3))]
        return [outcome(c) for c in calls]
    same(scenario, torch)
