"""Graded tests for chapter 01 (a simple custom module), checked against minitorch's nn.Linear and
hand-computed values."""
import math

import numpy as np
import pytest

import minitorch as torch
from minitorch import nn
from minitorch.nn import functional as F


def _close(a, b, tol=1e-5):
    return np.allclose(np.asarray(a.detach().numpy()), np.asarray(b), rtol=tol, atol=tol)


# ----- ch01.1 MyLinear ----------------------------------------------------------------------------------
@pytest.mark.exercise("ch01.1", points=1)
def test_mylinear_parameters_and_forward(ch01):
    m = ch01.MyLinear(4, 3)
    params = list(m.named_parameters())
    assert [(n, tuple(p.shape)) for n, p in params] == [("weight", (4, 3)), ("bias", (3,))]
    for _, p in params:
        assert isinstance(p, nn.Parameter) and p.requires_grad
        assert p.dtype == torch.float32 and p.device == torch.device("cpu")
    x = torch.randn(2, 4)
    expected = x.numpy() @ m.weight.detach().numpy() + m.bias.detach().numpy()
    out = m(x)
    assert out.shape == (2, 3) and _close(out, expected)
    assert m(x[0]).shape == (3,)


@pytest.mark.exercise("ch01.1", points=1)
def test_mylinear_draws_weight_then_bias_from_randn(ch01):
    torch.manual_seed(7)
    m = ch01.MyLinear(5, 2)
    torch.manual_seed(7)
    w, b = torch.randn(5, 2), torch.randn(2)
    assert torch.equal(m.weight.detach(), w) and torch.equal(m.bias.detach(), b)


@pytest.mark.exercise("ch01.1", points=1)
def test_mylinear_factory_kwargs(ch01):
    m = ch01.MyLinear(3, 2, device="cpu", dtype=torch.float64)
    assert m.weight.dtype == torch.float64 and m.bias.dtype == torch.float64
    assert m.weight.device.type == "cpu"
    assert m(torch.ones(3, dtype=torch.float64)).dtype == torch.float64


@pytest.mark.exercise("ch01.1", points=1)
def test_mylinear_backward(ch01):
    m = ch01.MyLinear(3, 2)
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    m(x).sum().backward()
    # d(sum)/dW[i, j] = sum over the batch of x[:, i]; d(sum)/db[j] = batch size
    assert _close(m.weight.grad, [[5.0, 5.0], [7.0, 7.0], [9.0, 9.0]])
    assert _close(m.bias.grad, [2.0, 2.0])


# ----- ch01.2 Square ------------------------------------------------------------------------------------
@pytest.mark.exercise("ch01.2", points=1)
def test_square_forward_and_grad(ch01):
    sq = ch01.Square()
    x = torch.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    y = sq(x)
    assert _close(y, [4.0, 0.25, 9.0])
    y.sum().backward()
    assert _close(x.grad, [-4.0, 1.0, 6.0])


@pytest.mark.exercise("ch01.2", points=1)
def test_square_is_a_stateless_module(ch01):
    sq = ch01.Square()
    assert _close(sq(torch.tensor([[3.0]])), [[9.0]])
    assert isinstance(sq, nn.Module)
    assert list(sq.parameters()) == [] and list(sq.buffers()) == []
    assert repr(sq) == "Square()"


# ----- ch01.3 count_parameters --------------------------------------------------------------------------
@pytest.mark.exercise("ch01.3", points=1)
def test_count_parameters_layers(ch01):
    assert ch01.count_parameters(nn.Linear(4, 3)) == 15
    assert ch01.count_parameters(nn.Linear(4, 3, bias=False)) == 12
    assert ch01.count_parameters(nn.ReLU()) == 0
    n = ch01.count_parameters(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
    assert n == 58 and type(n) is int


@pytest.mark.exercise("ch01.3", points=1)
def test_count_parameters_shared_and_trainable(ch01):
    shared = nn.Linear(4, 4)
    assert ch01.count_parameters(nn.Sequential(shared, shared)) == 20  # a shared layer counts once
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    net[0].requires_grad_(False)
    assert ch01.count_parameters(net) == 58
    assert ch01.count_parameters(net, trainable_only=True) == 18


# ----- ch01.4 Affine ------------------------------------------------------------------------------------
@pytest.mark.exercise("ch01.4", points=1)
def test_affine_matches_linear(ch01):
    a = ch01.Affine(4, 3)
    assert (a.in_features, a.out_features) == (4, 3)
    assert [(n, tuple(p.shape)) for n, p in a.named_parameters()] == [("weight", (3, 4)), ("bias", (3,))]
    ref = nn.Linear(4, 3)
    a.load_state_dict(ref.state_dict())
    x = torch.randn(5, 4)
    assert _close(a(x), ref(x).detach())


@pytest.mark.exercise("ch01.4", points=1)
def test_affine_without_bias(ch01):
    a = ch01.Affine(4, 3, bias=False)
    assert a.bias is None
    assert [n for n, _ in a.named_parameters()] == ["weight"]
    assert list(a.state_dict()) == ["weight"]
    x = torch.randn(2, 4)
    assert _close(a(x), F.linear(x, a.weight).detach())


@pytest.mark.exercise("ch01.4", points=1)
def test_affine_repr(ch01):
    assert repr(ch01.Affine(4, 3)) == "Affine(in_features=4, out_features=3, bias=True)"
    assert repr(ch01.Affine(2, 7, bias=False)) == "Affine(in_features=2, out_features=7, bias=False)"


@pytest.mark.exercise("ch01.4", points=1)
def test_affine_init_like_linear(ch01):
    torch.manual_seed(0)
    a = ch01.Affine(100, 200)
    bound = 1 / math.sqrt(100)
    for p in (a.weight, a.bias):
        values = p.detach().numpy()
        assert np.abs(values).max() <= bound
    std = a.weight.detach().numpy().std()
    assert abs(std - bound / math.sqrt(3)) < 0.1 * bound / math.sqrt(3)  # std of U(-b, b) is b / sqrt(3)
