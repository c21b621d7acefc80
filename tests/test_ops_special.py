"""Special functions (lgamma, digamma, polygamma, mvlgamma, erfinv, i0, sinc, logit, xlogy, igamma, igammac)
against PyTorch over wide ranges and at their poles and edges: values, dtypes, grad_fn names, gradients,
method and in-place forms, errors; float64 gradcheck with double backward."""
import numpy as np
import pytest

import minitorch
from minitorch.autograd import gradcheck
from tests._core_parity import raises_same, same
from tests._ops_parity import check_grads, compare, cuda_matches_cpu

rng = np.random.default_rng(0)
SPREAD = np.concatenate([rng.uniform(-9.7, 25, 40), [0.5, 1.0, 2.0, 1e-6, -0.5, 170.3]]).reshape(2, 23)
POSITIVE = rng.uniform(0.3, 12, (3, 5))
UNIT = rng.uniform(-0.999, 0.999, (3, 5))
PROBABILITY = rng.uniform(0.02, 0.98, (3, 5))
BESSEL = np.concatenate([rng.uniform(-40, 40, 12), [0.0, 15.0, -15.5, 300.0]]).reshape(4, 4)

UNARY = [
    ("lgamma", SPREAD), ("digamma", SPREAD), ("erfinv", UNIT), ("i0", BESSEL), ("sinc", SPREAD),
    ("logit", PROBABILITY),
]


@pytest.mark.parametrize("name,x", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_matches_torch(torch, name, x, dtype):
    compare(torch, lambda L, t: (getattr(L, name)(t), getattr(t, name)()), x.astype(dtype))


@pytest.mark.parametrize("name,x", UNARY, ids=[u[0] for u in UNARY])
def test_unary_gradcheck_inplace_and_integers(torch, name, x):
    small = np.clip(x[:, :4], -30, 30) if name == "i0" else x[:, :4]
    check_grads(lambda L, t: getattr(L, name)(t), small)
    compare(torch, lambda L, t: getattr(t.detach().clone(), name + "_")(), x)
    same(torch, lambda L: getattr(L, name)(L.tensor([1, 2, 3])).dtype)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
def test_polygamma_matches_torch(torch, n):
    compare(torch, lambda L, t: (L.polygamma(n, t), t.polygamma(n), t.detach().clone().polygamma_(n)), SPREAD)
    check_grads(lambda L, t: L.polygamma(n, t), POSITIVE[:2, :3])


def test_poles_and_edges(torch):
    inf, nan = float("inf"), float("nan")
    edges = [0.0, -0.0, -1.0, -2.0, -2.5, 1e-300, inf, -inf, nan]
    same(torch, lambda L: [L.mvlgamma(L.tensor([3, 4]), 2), L.lgamma(L.tensor(edges, dtype=L.float64)),
                           L.digamma(L.tensor(edges, dtype=L.float64)),
                           L.polygamma(1, L.tensor([-3.0, -0.5, 0.25], dtype=L.float64)),
                           L.polygamma(2, L.tensor([0.0, -1.0], dtype=L.float64)),
                           L.erfinv(L.tensor([-1.0, 1.0, 1.5, nan, 0.0])), L.i0(L.tensor([inf, -inf, nan])),
                           L.sinc(L.tensor([0.0, 1.0, inf])), L.logit(L.tensor([0.0, 1.0, 1.5, -0.5])),
                           L.logit(L.tensor([0.0, 0.3, 1.0, 1.5]), eps=0.1),
                           L.xlogy(L.tensor([0.0, 0.0, 2.0, 1.0]), L.tensor([0.0, nan, 3.0, -1.0])),
                           L.xlogy(2, L.tensor([3.0])), L.xlogy(L.tensor([2.0]), 3),
                           L.xlogy(L.tensor([2]), L.tensor([3])),
                           L.igamma(L.tensor([0.0, 1.0, 2.0, 0.5, 3.0, -1.0, 1.0]),
                                    L.tensor([1.0, 0.0, 2.0, 100.0, inf, 1.0, -1.0])),
                           L.igammac(L.tensor([0.0, 1.0, 2.0]), L.tensor([1.0, 0.0, inf]))])


@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_incomplete_gamma_matches_torch(torch, name):
    a = np.concatenate([POSITIVE.ravel(), [0.01, 30.0, 2.5]])
    x = np.concatenate([rng.uniform(0.01, 20, POSITIVE.size), [0.01, 28.0, 40.0]])
    compare(torch, lambda L, p, q: (getattr(L, name)(p.detach(), q), getattr(p.detach(), name)(q)), a, x)
    compare(torch, lambda L, p, q: getattr(p.detach().clone(), name + "_")(q.detach()), a.astype("float32"),
            x.astype("float32"))
    check_grads(lambda L, q: getattr(L, name)(L.tensor(a[:4], dtype=L.float64), q), x[:4])


def test_mvlgamma_xlogy_logit(torch):
    compare(torch, lambda L, t: (L.mvlgamma(t, 1), L.mvlgamma(t, 4), t.mvlgamma(2), t.detach().clone().mvlgamma_(3)),
            POSITIVE + 2)
    check_grads(lambda L, t: L.mvlgamma(t, 3), POSITIVE[:2, :3] + 2)
    compare(torch, lambda L, a, b: (L.xlogy(a, b), a.xlogy(b), L.xlogy(a, 2.5), L.xlogy(3, b)), UNIT, POSITIVE)
    check_grads(lambda L, a, b: L.xlogy(a, b), UNIT[:2, :3], POSITIVE[:2, :3])
    compare(torch, lambda L, t: (L.logit(t, 0.2), t.logit(eps=0.3)), PROBABILITY)
    check_grads(lambda L, t: L.logit(t, 0.2), PROBABILITY[:2, :3])


@pytest.mark.parametrize("call", [
    lambda L: L.polygamma(-1, L.tensor([1.0])),
    lambda L: L.mvlgamma(L.tensor([3.0]), 0),
    lambda L: L.igamma(L.tensor([1, 2]), L.tensor([1, 2])),
    lambda L: L.igamma(L.tensor([1.0], requires_grad=True), L.tensor([2.0])).sum().backward(),
    lambda L: L.tensor([1, 2]).lgamma_(),
])
def test_errors_match_torch(torch, call):
    raises_same(torch, call)


def test_gradcheck_of_i0_at_zero_and_large():
    x = minitorch.tensor([0.0, 14.9, 15.1, -20.0], dtype=minitorch.float64, requires_grad=True)
    assert gradcheck(minitorch.i0, (x,))


@pytest.mark.cuda
def test_cuda_matches_cpu():
    cuda_matches_cpu(lambda L, a, b: (L.lgamma(a), L.digamma(a), L.polygamma(2, a), L.i0(a), L.sinc(a),
                                      L.xlogy(b, a), L.igamma(a.detach(), b)),
                     POSITIVE.astype("float32"), PROBABILITY.astype("float32"))
