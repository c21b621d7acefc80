"""The activations beyond the basic ones (relu6, selu, celu, mish, hardswish, hardsigmoid, logsigmoid, glu,
threshold, shrinkage, softsign, tanhshrink, softmin, prelu, rrelu, gumbel_softmax), their in-place forms
and layers, against PyTorch: values, gradients, grad_fn names, float64 gradcheck (and double backward),
random streams, reprs and errors."""
import warnings

import numpy as np
import pytest

import minitorch

from ._module_parity import outcome, same
from ._ops_parity import check_grads, compare, data

# (id, fn(lib, *tensors)); the input is standard normal data times 3 (so every branch is hit)
CASES = [
    ("relu6", lambda L, x: L.nn.functional.relu6(x)),
    ("selu", lambda L, x: L.nn.functional.selu(x)),
    ("celu", lambda L, x: L.nn.functional.celu(x, 0.7)),
    ("mish", lambda L, x: L.nn.functional.mish(x)),
    ("hardswish", lambda L, x: L.nn.functional.hardswish(x)),
    ("hardsigmoid", lambda L, x: L.nn.functional.hardsigmoid(x)),
    ("logsigmoid", lambda L, x: L.nn.functional.logsigmoid(x)),
    ("glu", lambda L, x: L.nn.functional.glu(x, 1)),
    ("glu_last", lambda L, x: L.nn.functional.glu(x)),
    ("threshold", lambda L, x: L.nn.functional.threshold(x, 0.4, -2.0)),
    ("hardshrink", lambda L, x: L.nn.functional.hardshrink(x, 0.8)),
    ("softshrink", lambda L, x: L.nn.functional.softshrink(x)),
    ("softsign", lambda L, x: L.nn.functional.softsign(x)),
    ("tanhshrink", lambda L, x: L.nn.functional.tanhshrink(x)),
    ("softmin", lambda L, x: L.nn.functional.softmin(x, 1)),
    ("softmin_dtype", lambda L, x: L.nn.functional.softmin(x, dim=0, dtype=L.float64)),
    ("rrelu_eval", lambda L, x: L.nn.functional.rrelu(x, 0.1, 0.4)),
]
SHAPES = {"glu": (3, 4, 2), "glu_last": (3, 2, 4)}


def _input(name, dtype):
    return data(SHAPES.get(name, (4, 6)), dtype, seed=3) * 3


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_torch(torch, name, fn, dtype):
    compare(torch, fn, _input(name, dtype))


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(name, fn):
    x = _input(name, "float64")
    x[np.abs(np.abs(x) - 0.8) < 0.05] += 0.2  # keep away from the kinks (0.4, +-0.5, +-0.8, +-3)
    x[np.abs(np.abs(x) - 3) < 0.05] += 0.2
    check_grads(fn, x)


@pytest.mark.parametrize("name", ["relu6", "selu", "celu", "mish", "hardswish", "hardsigmoid", "threshold",
                                  "rrelu", "elu", "leaky_relu", "hardtanh"])
def test_inplace_forms_match_torch(torch, name):
    """F.name(x, inplace=True) and F.name_(x): same object back, torch's node name, values and gradients."""
    args = {"threshold": (0.2, -1.0)}.get(name, ())

    def scenario(lib):
        F = lib.nn.functional
        x = lib.tensor([-4.0, -2.0, -0.5, 0.3, 1.0, 3.5, 7.0], requires_grad=True)
        results = []
        for call in ("keyword", "underscore"):
            y = x * 1
            if call == "keyword" and name != "hardtanh":
                out = getattr(F, name)(y, *args, inplace=True)
            elif call == "underscore" and hasattr(F, name + "_"):
                out = getattr(F, name + "_")(y, *args)
            else:
                continue
            out.sum().backward()
            results.append((out is y, out.grad_fn.name(), np.round(out.detach().numpy(), 5).tolist(),
                            np.round(x.grad.numpy(), 5).tolist()))
            x.grad = None
        return results
    same(scenario, torch)


def test_prelu_matches_torch(torch):
    for shape, weight in [((4, 3, 5), data((3,), seed=1)), ((4, 3), data((1,), seed=2)), ((6,), data((1,), seed=3)),
                          ((2, 3, 2, 2), np.abs(data((3,), seed=4)))]:
        compare(torch, lambda L, x, w: L.nn.functional.prelu(x, w), data(shape, seed=5), weight)
        check_grads(lambda L, x, w: L.nn.functional.prelu(x, w), data(shape, seed=5), weight)


def test_rrelu_training_draws_torch_stream(torch):
    """In training each non-positive element draws its slope from U(lower, upper) in torch's order."""
    def scenario(lib):
        lib.manual_seed(7)
        x = lib.tensor(data((5, 4), seed=6), requires_grad=True)
        y = lib.nn.functional.rrelu(x, 0.1, 0.3, training=True)
        y.sum().backward()
        after = lib.rand(2)  # the generator moved on by exactly the draws made
        return np.round(y.detach().numpy(), 6).tolist(), np.round(x.grad.numpy(), 6).tolist(), \
            np.round(after.numpy(), 6).tolist(), y.grad_fn.name()
    same(scenario, torch)


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_draws_torch_stream(torch, hard):
    def scenario(lib):
        lib.manual_seed(3)
        logits = lib.tensor(data((4, 5), seed=2), requires_grad=True)
        y = lib.nn.functional.gumbel_softmax(logits, tau=0.5, hard=hard)
        (y * lib.tensor(data((4, 5), seed=9))).sum().backward()
        return np.round(y.detach().numpy(), 6).tolist(), np.round(logits.grad.numpy(), 6).tolist()
    same(scenario, torch)


def test_layers_reprs_and_values(torch):
    def scenario(lib):
        nn = lib.nn
        layers = [nn.ReLU6(), nn.ReLU6(inplace=True), nn.SELU(), nn.SELU(True), nn.CELU(), nn.CELU(0.5, True),
                  nn.Mish(), nn.Mish(True), nn.Hardswish(), nn.Hardsigmoid(True), nn.LogSigmoid(), nn.Softmin(1),
                  nn.Softmax2d(), nn.GLU(), nn.GLU(0), nn.Threshold(0.1, 20), nn.Threshold(0.1, 2, True),
                  nn.Hardshrink(), nn.Softshrink(0.3), nn.Softsign(), nn.Tanhshrink(), nn.PReLU(), nn.PReLU(4, 0.1),
                  nn.RReLU(), nn.RReLU(0.1, 0.3, True)]
        x = lib.tensor(data((2, 4, 2, 2), "float32", seed=1) * 3)
        values = []
        for layer in layers:
            layer.eval()
            values.append(np.round(layer(x * 1).detach().numpy(), 5).tolist())
        return [repr(m) for m in layers], values, [sorted(type(m).__constants__) for m in layers
                                                   if hasattr(type(m), "__constants__")]
    same(scenario, torch)


def test_prelu_layer_parameters(torch):
    def scenario(lib):
        m = lib.nn.PReLU(3, init=0.2)
        return [(n, tuple(p.shape), np.round(p.detach().numpy(), 6).tolist()) for n, p in m.named_parameters()]
    same(scenario, torch)


def test_errors(torch):
    def scenario(lib):
        F, nn = lib.nn.functional, lib.nn
        x = lib.ones(3, 5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [outcome(F.glu, x), outcome(F.glu, lib.tensor(1.0)), outcome(F.softshrink, x, -1.0),
                    outcome(F.prelu, lib.ones(2, 3), lib.ones(2)), outcome(F.prelu, x, lib.ones(1, 1)),
                    outcome(F.rrelu, x, 0.5, 0.1), outcome(nn.Softmax2d(), x),
                    outcome(F.hardswish, lib.ones(3, dtype=lib.long)),
                    outcome(F.prelu, x, lib.ones(1, dtype=lib.float64))]
    same(scenario, torch)


def test_gumbel_softmax_eps_is_deprecated(torch):
    for lib in (minitorch, torch):
        with pytest.warns(UserWarning, match="`eps` parameter is deprecated and has no effect."):
            lib.nn.functional.gumbel_softmax(lib.ones(2, 3), eps=1e-5)


def test_softmin_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        out = minitorch.nn.functional.softmin(minitorch.ones(2, 3))
    assert np.allclose(out.numpy(), 1 / 3)
