"""The first layers and their helpers against real PyTorch: Linear (default init, functional form, graph
structure, gradients), Identity, ReLU / LeakyReLU / Tanh / Sigmoid, and nn.init."""
import math
import warnings

import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch import nn
from minitorch.autograd import gradcheck, gradgradcheck

from ._module_parity import copy_state, outcome, same


def _array(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ----- Linear -------------------------------------------------------------------------------------------
def test_linear_structure(torch):
    def scenario(torch):
        m = torch.nn.Linear(4, 3)
        nb = torch.nn.Linear(2, 5, bias=False, dtype=torch.float64)
        return (repr(m), repr(nb), [(n, tuple(p.shape), str(p.dtype)) for n, p in m.named_parameters()],
                nb.bias, list(nb.state_dict()), str(nb.weight.dtype), m.in_features, m.out_features,
                torch.nn.Linear.__constants__)
    same(scenario, torch)


def test_linear_default_init_bounds():
    minitorch.manual_seed(0)
    m = nn.Linear(50, 40)
    bound = 1 / math.sqrt(50)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.9 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.01
    assert m.weight.is_leaf and m.weight.requires_grad
    minitorch.manual_seed(0)
    assert np.array_equal(nn.Linear(50, 40).weight.detach().numpy(), w)  # seeded: reproducible


@pytest.mark.parametrize("shape", [(4,), (2, 4), (5, 2, 4), (2, 3, 2, 4), (0, 4), "noncontiguous"])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_backward_match_torch(torch, shape, bias):
    ref = torch.nn.Linear(4, 3, bias=bias)
    ours = nn.Linear(4, 3, bias=bias)
    copy_state(ref, ours)
    x = _array((2, 5, 4) if shape == "noncontiguous" else shape, seed=1)
    xs = []
    for lib in (minitorch, torch):
        t = lib.tensor(x, requires_grad=True)
        xs.append((t, t.transpose(0, 1) if shape == "noncontiguous" else t))
    y, y_ref = ours(xs[0][1]), ref(xs[1][1])
    np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert y.grad_fn.name() == y_ref.grad_fn.name()
    y.pow(2).sum().backward()
    y_ref.pow(2).sum().backward()
    for a, b in ((xs[0][0].grad, xs[1][0].grad), (ours.weight.grad, ref.weight.grad)) + (
            ((ours.bias.grad, ref.bias.grad),) if bias else ()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


def test_linear_graph_matches_torch(torch):
    def scenario(torch):
        w = torch.ones(3, 4, requires_grad=True)
        b = torch.ones(3, requires_grad=True)
        x = torch.ones(2, 4, requires_grad=True)
        y = torch.nn.functional.linear(x, w, b)
        return [None if f is None else f.name() for f, _ in y.grad_fn.next_functions]
    assert same(scenario, torch) == ["torch::autograd::AccumulateGrad", "torch::autograd::AccumulateGrad",
                                     "TBackward0"]


def test_linear_errors(torch):
    def scenario(torch):
        linear = torch.nn.functional.linear
        w, b = torch.ones(3, 4), torch.ones(3)
        f64 = torch.float64
        return [outcome(lambda x, bias: linear(x, w, bias).tolist(), x, bias) for x, bias in [
            (torch.ones(2, 5), b), (torch.ones(2, 4, dtype=f64), b), (torch.ones(5), b), (torch.ones(3, 2, 5), b),
            (torch.ones(2, 5, dtype=f64), b), (torch.ones(2, 4), torch.ones(3, dtype=f64)),
            (torch.ones(2, 4), torch.ones(2)), (torch.ones(2, 4), torch.ones(2, 3, 1)),
            (torch.ones(2, 5), None), (torch.ones(2, 4), torch.ones(1, 3))]]
    same(scenario, torch)


def test_linear_gradcheck():
    rng = np.random.default_rng(2)
    w = minitorch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = minitorch.tensor(rng.standard_normal(3), requires_grad=True)
    for shape in ((4,), (2, 4), (2, 2, 4)):
        x = minitorch.tensor(rng.standard_normal(shape), requires_grad=True)
        assert gradcheck(F.linear, (x, w, b))
        assert gradcheck(lambda x, w: F.linear(x, w), (x, w))
    x = minitorch.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    assert gradgradcheck(F.linear, (x, w, b))


def test_identity(torch):
    def scenario(torch):
        m = torch.nn.Identity(54, unused="x")
        x = torch.ones(2)
        return m(x) is x, repr(m), list(m.parameters())
    same(scenario, torch)


# ----- activations --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,args", [("ReLU", ()), ("LeakyReLU", ()), ("LeakyReLU", (0.2,)), ("Tanh", ()),
                                       ("Sigmoid", ())])
def test_activation_values_grads_and_repr(torch, name, args):
    x = _array((3, 4), seed=3)

    def scenario(torch):
        layer = getattr(torch.nn, name)(*args)
        t = torch.tensor(x, requires_grad=True)
        y = layer(t)
        y.sum().backward()
        return (repr(layer), y.grad_fn.name(), np.round(y.detach().numpy(), 5).tolist(),
                np.round(t.grad.numpy(), 5).tolist())
    same(scenario, torch)


def test_inplace_activations(torch):
    x = _array(5, seed=4)

    def scenario(torch):
        out = []
        for layer in (torch.nn.ReLU(inplace=True), torch.nn.LeakyReLU(0.1, inplace=True)):
            t = torch.tensor(x)
            y = layer(t)
            out.append((repr(layer), y is t, np.round(t.numpy(), 5).tolist()))
        a = torch.tensor(x, requires_grad=True) * 1
        y = torch.nn.functional.leaky_relu(a, 0.3, inplace=True)
        y.sum().backward()
        out.append(y is a)
        return out
    same(scenario, torch)


def test_functional_activations_gradcheck():
    x = minitorch.tensor(np.array([-1.5, -0.3, 0.4, 2.0]), requires_grad=True)
    for fn in (F.relu, F.tanh, F.sigmoid, F.leaky_relu, lambda t: F.leaky_relu(t, 0.2)):
        assert gradcheck(fn, (x,))
    assert gradgradcheck(lambda t: F.leaky_relu(t, 0.2) * t, (x,))


# ----- init ---------------------------------------------------------------------------------------------
def test_calculate_gain(torch):
    def scenario(torch):
        gain = torch.nn.init.calculate_gain
        names = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose2d", "sigmoid", "tanh", "relu",
                 "leaky_relu", "selu"]
        return ([gain(n) for n in names], gain("leaky_relu", 0.2), gain("leaky_relu", 1),
                outcome(gain, "leaky_relu", True), outcome(gain, "leaky_relu", "x"), outcome(gain, "gelu"))
    same(scenario, torch)


def test_fan_in_fan_out(torch):
    def scenario(torch):
        fans = torch.nn.init._calculate_fan_in_and_fan_out
        return ([fans(torch.empty(*s)) for s in ((3, 4), (8, 3, 5, 5), (2, 6, 7))], outcome(fans, torch.empty(3)),
                outcome(torch.nn.init.kaiming_uniform_, torch.empty(2, 2), mode="fan_middle"))
    same(scenario, torch)


@pytest.mark.parametrize("fn,kwargs,expected_std", [
    ("uniform_", {"a": -2.0, "b": 4.0}, 6 / math.sqrt(12)),
    ("normal_", {"mean": 1.0, "std": 0.5}, 0.5),
    ("xavier_uniform_", {"gain": 2.0}, 2.0 * math.sqrt(2.0 / 300)),
    ("xavier_normal_", {}, math.sqrt(2.0 / 300)),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, 1 / math.sqrt(100) / math.sqrt(3)),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2.0 / 200)),
])
def test_random_init_statistics(fn, kwargs, expected_std):
    w = nn.Parameter(minitorch.empty(200, 100))
    out = getattr(nn.init, fn)(w, **kwargs)
    data = w.detach().numpy()
    assert out is w and w.is_leaf and w.grad_fn is None and w.requires_grad
    assert abs(data.std() - expected_std) < 0.03 * expected_std
    if fn == "normal_":
        assert abs(data.mean() - 1.0) < 0.01


def test_init_generator_and_dtype():
    g = minitorch.Generator().manual_seed(3)
    a = nn.init.normal_(minitorch.empty(5, dtype=minitorch.float64), generator=g)
    g.manual_seed(3)
    b = nn.init.normal_(minitorch.empty(5, dtype=minitorch.float64), generator=g)
    assert a.dtype is minitorch.float64 and np.array_equal(a.numpy(), b.numpy())
    h = nn.init.uniform_(minitorch.empty(4, dtype=minitorch.float16), -1, 1)
    assert h.dtype is minitorch.float16 and np.abs(h.numpy()).max() <= 1


def test_constant_inits(torch):
    def scenario(torch):
        p = torch.nn.Parameter(torch.empty(2, 2))
        out = [torch.nn.init.constant_(p, 0.5).tolist(), torch.nn.init.zeros_(p).tolist(),
               torch.nn.init.ones_(p).tolist(), p.is_leaf, p.requires_grad]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.nn.init.kaiming_uniform_(torch.empty(0, 3))
        return out, [str(w.message) for w in caught]
    same(scenario, torch)
