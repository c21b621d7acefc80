"""ELU, GELU, SiLU, Softplus, Hardtanh, Softmax, LogSoftmax against real PyTorch: values, gradients,
grad_fn names, gradcheck, in-place forms and reprs."""
import warnings

import numpy as np
import pytest

import minitorch
from minitorch.autograd import gradcheck, gradgradcheck

from ._layer_parity import compare, randn
from ._module_parity import same

CASES = [
    ("elu", {}), ("elu", {"alpha": 0.5}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}),
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 1.0}), ("hardtanh", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("softmax", {"dim": 1}), ("log_softmax", {"dim": 0}),
    ("softmax", {"dim": -1}),
]


def _f(name):
    return lambda lib, x, **kw: getattr(lib.nn.functional, name)(x, **kw)


@pytest.mark.parametrize("name,kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5)])
def test_functional_matches_torch(torch, name, kwargs, dtype, shape):
    x = randn(shape, dtype) * 3
    compare(torch, _f(name), [x], [True], dtype, **kwargs)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_gradcheck(name, kwargs):
    x = minitorch.tensor(randn((2, 3), np.float64, seed=2) * 2, requires_grad=True)
    fn = getattr(minitorch.nn.functional, name)
    assert gradcheck(lambda t: fn(t, **kwargs), (x,))


@pytest.mark.parametrize("name,kwargs", [("elu", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"}),
                                         ("silu", {}), ("softplus", {})])
def test_gradgradcheck(name, kwargs):
    x = minitorch.tensor(randn((2, 3), np.float64, seed=3), requires_grad=True)
    fn = getattr(minitorch.nn.functional, name)
    assert gradgradcheck(lambda t: fn(t, **kwargs), (x,))


@pytest.mark.parametrize("name", ["elu", "silu", "hardtanh"])
def test_inplace_matches_torch(torch, name):
    def scenario(lib):
        x = lib.tensor([-2.0, -0.5, 0.0, 0.5, 3.0], requires_grad=True)
        y = x * 1
        out = getattr(lib.nn.functional, name)(y, inplace=True)
        out.sum().backward()
        return (out is y, out.grad_fn.name(), np.round(out.detach().numpy(), 5).tolist(),
                np.round(x.grad.numpy(), 5).tolist())
    same(scenario, torch)


def test_large_inputs_stay_finite(torch):
    def scenario(lib):
        x = lib.tensor([-1e4, -50.0, 0.0, 50.0, 1e4])
        F = lib.nn.functional
        return [np.round(f(x).numpy(), 4).tolist() for f in (F.elu, F.gelu, F.silu, F.softplus)]
    same(scenario, torch)


def test_modules_and_reprs(torch):
    def scenario(lib):
        nn = lib.nn
        mods = [nn.ELU(), nn.ELU(0.5, inplace=True), nn.GELU(), nn.GELU("tanh"), nn.SiLU(), nn.SiLU(True),
                nn.Softplus(), nn.Softplus(2, 5), nn.Hardtanh(), nn.Hardtanh(-2.0, 3.0, True), nn.Softmax(1),
                nn.LogSoftmax(dim=-1), nn.Softmax()]
        x = lib.tensor([[-1.0, 0.5, 2.0], [3.0, -4.0, 0.0]])
        return [repr(m) for m in mods], [np.round(m(x * 1).numpy(), 5).tolist() for m in mods[:-1]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(scenario, torch)


def test_implicit_softmax_dim_warns_and_picks_torch_dim(torch):
    for lib in (minitorch, torch):
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            out = lib.nn.functional.softmax(lib.ones(2, 3))
        assert np.allclose(out.numpy(), 1 / 3)
        with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
            out = lib.nn.functional.log_softmax(lib.ones(2, 3, 4))
        assert np.allclose(out.numpy(), -np.log(2))  # 3-D: dim 0


def test_errors(torch):
    def scenario(lib):
        from ._module_parity import outcome
        F = lib.nn.functional
        x = lib.ones(3)
        return [outcome(F.gelu, x, approximate="bad")[:2], outcome(F.hardtanh, x, 2.0, 1.0)]
    same(scenario, torch)


@pytest.mark.cuda
@pytest.mark.parametrize("name,kwargs", CASES)
def test_cuda_matches_cpu(name, kwargs):
    x = randn((3, 5), np.float32)
    fn = getattr(minitorch.nn.functional, name)
    outs = []
    for device in ("cpu", "cuda"):
        t = minitorch.tensor(x, device=device, requires_grad=True)
        y = fn(t, **kwargs)
        (y * y).sum().backward()
        outs.append((y.detach().cpu().numpy(), t.grad.cpu().numpy()))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
