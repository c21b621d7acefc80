"""Acceptance parity for the layer library (issue 4): the gaps an audit against torch 2.13 found —
Bilinear, F.pad (and Conv padding_mode), F.one_hot / normalize / relu_, nn.init draws that reproduce
torch's numbers, conv dtype errors, and grad_fn names a learner sees in printed outputs."""
import math

import numpy as np
import pytest

import minitorch
from minitorch import nn
from minitorch.autograd import gradcheck
from minitorch.nn import functional as F


def _pair(torch, array, requires_grad=True):
    """The same float64 values as a minitorch and a torch tensor."""
    return (minitorch.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def _close(ours, theirs, tol=1e-10):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


# ----- Bilinear ---------------------------------------------------------------------------------------------
def test_bilinear_repr_init_and_factory_kwargs(torch):
    for bias in (True, False):
        assert repr(nn.Bilinear(2, 3, 4, bias=bias)) == repr(torch.nn.Bilinear(2, 3, 4, bias=bias))
    minitorch.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = nn.Bilinear(2, 3, 4), torch.nn.Bilinear(2, 3, 4)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert a.detach().tolist() == b.detach().tolist()  # the same draws, bit for bit
    assert nn.Bilinear(2, 3, 4, dtype=minitorch.float64).weight.dtype is minitorch.float64


@pytest.mark.parametrize("shape1, shape2", [((5, 2), (5, 3)), ((2,), (3,)), ((6, 5, 2), (6, 5, 3))])
def test_bilinear_forward_backward_matches_torch(torch, shape1, shape2):
    rs = np.random.RandomState(0)
    x1, t1 = _pair(torch, rs.randn(*shape1))
    x2, t2 = _pair(torch, rs.randn(*shape2))
    w, tw = _pair(torch, rs.randn(4, 2, 3))
    b, tb = _pair(torch, rs.randn(4))
    ours, theirs = F.bilinear(x1, x2, w, b), torch.nn.functional.bilinear(t1, t2, tw, tb)
    _close(ours, theirs)
    ours.pow(2).sum().backward()
    theirs.pow(2).sum().backward()
    for a, t in ((x1, t1), (x2, t2), (w, tw), (b, tb)):
        _close(a.grad, t.grad)
    assert gradcheck(F.bilinear, (x1, x2, w, b))


def test_bilinear_errors_match_torch(torch):
    layers = nn.Bilinear(2, 3, 4), torch.nn.Bilinear(2, 3, 4)
    for s1, s2 in [((5, 3), (5, 3)), ((5, 2), (4, 3)), ((5, 2), (5, 4))]:
        messages = []
        for lib, layer in zip((minitorch, torch), layers):
            with pytest.raises(RuntimeError) as info:
                layer(lib.randn(*s1), lib.randn(*s2))
            messages.append(str(info.value))
        assert messages[0] == messages[1]


# ----- padding ----------------------------------------------------------------------------------------------
PADS = [((1, 2, 3, 4), (1, 2), "constant"), ((1, 2, 3, 4), (1, -1, 2, 0), "constant"),
        ((2, 3, 4), (0, 0, 1, 1, 1, 0), "constant"), ((1, 2, 3, 4), (1, 2, 2, 0), "reflect"),
        ((2, 3, 4), (2, 1), "reflect"), ((1, 2, 3, 4), (3, 1, 2, 5), "replicate"),
        ((1, 2, 3, 4), (1, 2, 3, 0), "circular"), ((2, 3, 4), (2, 1), "circular")]


@pytest.mark.parametrize("shape, pad, mode", PADS)
def test_pad_matches_torch(torch, shape, pad, mode):
    rs = np.random.RandomState(1)
    x, tx = _pair(torch, rs.randn(*shape))
    value = 1.5 if mode == "constant" else None
    ours, theirs = F.pad(x, pad, mode=mode, value=value), torch.nn.functional.pad(tx, pad, mode=mode, value=value)
    _close(ours, theirs)
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    weights = rs.randn(*ours.shape)
    (ours * minitorch.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    _close(x.grad, tx.grad)
    assert gradcheck(lambda t: F.pad(t, pad, mode=mode, value=value), (x,))


@pytest.mark.parametrize("call", ["pad(x, (1, 1, 1))", "pad(x, (1,) * 10)", "pad(x, (1, 1), mode='foo')",
                                  "pad(x, (1, 1), mode='reflect')", "pad(x, (5, 1, 0, 0), mode='reflect')",
                                  "pad(x, (1, 1, 1, 1), mode='reflect', value=2.)",
                                  "pad(x, (1, 1, 4, 0), mode='circular')", "pad(x, (-3, -2))"])
def test_pad_errors_match_torch(torch, call):
    errors = []
    for lib in (minitorch, torch):
        with pytest.raises((RuntimeError, NotImplementedError)) as info:
            eval(call, {"pad": lib.nn.functional.pad, "x": lib.zeros(1, 2, 3, 4)})
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_modes_match_torch(torch, mode):
    rs = np.random.RandomState(2)
    for nd, shape in ((1, (2, 2, 6)), (2, (1, 2, 5, 5))):
        ours = (nn.Conv1d if nd == 1 else nn.Conv2d)(2, 3, 3, padding=2, padding_mode=mode, dtype=minitorch.float64)
        theirs = (torch.nn.Conv1d if nd == 1 else torch.nn.Conv2d)(2, 3, 3, padding=2, padding_mode=mode,
                                                                   dtype=torch.float64)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(ours.weight.detach().numpy()))
            theirs.bias.copy_(torch.tensor(ours.bias.detach().numpy()))
        x, tx = _pair(torch, rs.randn(*shape))
        out, tout = ours(x), theirs(tx)
        _close(out, tout)
        out.sum().backward()
        tout.sum().backward()
        _close(x.grad, tx.grad)
        _close(ours.weight.grad, theirs.weight.grad)


# ----- one_hot, normalize, relu_ ----------------------------------------------------------------------------
def test_one_hot_matches_torch(torch):
    for values, classes in (([0, 2, 1], -1), ([[0], [2]], 4)):
        ours = F.one_hot(minitorch.tensor(values), classes)
        theirs = torch.nn.functional.one_hot(torch.tensor(values), classes)
        assert ours.tolist() == theirs.tolist() and ours.dtype is minitorch.int64
    for values, classes, dtype in (([0., 2.], -1, "float32"), ([0, 5], 3, "int64"), ([0, -1], -1, "int64"),
                                   ([], -1, "int64")):
        messages = []
        for lib in (minitorch, torch):
            with pytest.raises(RuntimeError) as info:
                lib.nn.functional.one_hot(lib.tensor(values, dtype=getattr(lib, dtype)), classes)
            messages.append(str(info.value))
        assert messages[0] == messages[1]


@pytest.mark.parametrize("kwargs", [{}, {"p": 1, "dim": 0}, {"dim": -1, "eps": 0.5}])
def test_normalize_matches_torch(torch, kwargs):
    rs = np.random.RandomState(3)
    data = rs.randn(3, 4)
    data[1] = 0  # a zero row: eps keeps it finite
    x, tx = _pair(torch, data)
    ours, theirs = F.normalize(x, **kwargs), torch.nn.functional.normalize(tx, **kwargs)
    _close(ours, theirs)
    ours.pow(3).sum().backward()
    theirs.pow(3).sum().backward()
    _close(x.grad, tx.grad)


def test_relu_in_place(torch):
    ours, theirs = minitorch.tensor([-1.0, 2.0]), torch.tensor([-1.0, 2.0])
    assert F.relu_(ours) is ours
    torch.nn.functional.relu_(theirs)
    assert ours.tolist() == theirs.tolist()


# ----- nn.init draws ----------------------------------------------------------------------------------------
INITS = ["uniform_(w, -0.3, 0.7)", "normal_(w, 1.0, 0.3)", "xavier_uniform_(w)", "xavier_normal_(w, gain=2)",
         "kaiming_uniform_(w, a=math.sqrt(5))", "kaiming_normal_(w, mode='fan_out')", "trunc_normal_(w)",
         "trunc_normal_(w, mean=1.0, std=0.5, a=1.5, b=3.0)", "trunc_normal_(w, std=0.02)", "orthogonal_(w)",
         "sparse_(w, 0.5)"]


@pytest.mark.parametrize("call", INITS)
def test_init_reproduces_torch_draws(torch, call):
    results = []
    for lib in (minitorch, torch):
        lib.manual_seed(0)
        w = lib.nn.Parameter(lib.empty(6, 4, dtype=lib.float64))
        out = eval(call, {"math": math, **vars(lib.nn.init), "w": w})
        assert out is w and w.is_leaf and w.grad_fn is None
        results.append(w.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12, atol=1e-12)


def test_linear_bias_uniform_is_bit_exact(torch):
    minitorch.manual_seed(0)
    torch.manual_seed(0)
    assert nn.Linear(2, 3).bias.tolist() == torch.nn.Linear(2, 3).bias.tolist()


# ----- errors and grad_fn names -----------------------------------------------------------------------------
@pytest.mark.parametrize("layer, x_dtype", [("Conv2d(3, 4, 3)", "float64"), ("Conv1d(3, 4, 3)", "float64"),
                                            ("Conv2d(3, 4, 3, bias=False)", "float64"),
                                            ("ConvTranspose2d(3, 4, 3)", "float64")])
def test_conv_dtype_mismatch_messages(torch, layer, x_dtype):
    messages = []
    for lib in (minitorch, torch):
        module = eval(layer, {**vars(lib.nn)})
        shape = (1, 3, 5) if "1d" in layer else (1, 3, 5, 5)
        with pytest.raises(RuntimeError) as info:
            module(lib.randn(*shape, dtype=getattr(lib, x_dtype)))
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_cross_entropy_probabilities_grad_fn(torch):
    logits = np.random.RandomState(4).randn(5, 4)
    probs = np.full((5, 4), 0.25)
    x, tx = _pair(torch, logits)
    ours = F.cross_entropy(x, minitorch.tensor(probs))
    theirs = torch.nn.functional.cross_entropy(tx, torch.tensor(probs))
    _close(ours, theirs)
    assert ours.grad_fn.name() == theirs.grad_fn.name() == "DivBackward1"


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_batch_first_output_grad_fn(torch, name):
    names = []
    for lib in (minitorch, torch):
        out, _ = getattr(lib.nn, name)(4, 5, batch_first=True)(lib.randn(3, 2, 4))
        names.append(out.grad_fn.name())
    assert names[0] == names[1]


@pytest.mark.parametrize("fn", ["smooth_l1_loss", "gelu", "dropout", "erf", "masked_select"])
def test_zero_dim_inputs(torch, fn):
    """0-d inputs, whose NumPy arithmetic yields NumPy scalars rather than arrays, work as in torch."""
    def run(lib):
        F = lib.nn.functional
        x = lib.tensor(0.7, requires_grad=True)
        out = {"smooth_l1_loss": lambda: F.smooth_l1_loss(x, lib.tensor(0.2)), "gelu": lambda: F.gelu(x),
               "dropout": lambda: F.dropout(x, 0.0), "erf": lambda: lib.erf(x),
               "masked_select": lambda: lib.masked_select(lib.tensor([1.0, 2.0]), lib.tensor(True))}[fn]()
        grad = lib.autograd.grad(out.sum(), x, allow_unused=True)[0] if out.requires_grad else None
        return repr(out), None if grad is None else round(grad.item(), 6)
    assert run(minitorch) == run(torch)


def test_linear_weight_grad_is_laid_out_like_the_weight(torch):
    """The gradient reaching a Linear weight has the weight's (row-major) strides, as in torch, and the
    same values, whether the input is a matrix, a batch of matrices, or transposed."""
    x = np.random.default_rng(0).standard_normal((6, 4, 5))
    for make_input in (lambda t: t[0], lambda t: t, lambda t: t[0].T.contiguous().T):
        grads = []
        for lib in (minitorch, torch):
            layer = lib.nn.Linear(5, 3).double()
            with lib.no_grad():
                layer.weight.copy_(lib.tensor(np.arange(15.0).reshape(3, 5) / 10))
                layer.bias.fill_(0.5)
            layer(make_input(lib.tensor(x))).pow(2).sum().backward()
            grads.append(layer.weight.grad)
        assert grads[0].stride() == grads[1].stride() == (5, 1)
        np.testing.assert_allclose(grads[0].numpy(), grads[1].numpy(), rtol=1e-12)
