"""Scans and integrals (cumprod, cummax, cummin, logcumsumexp, diff, trapezoid, trapz, cumulative_trapezoid)
against PyTorch: values, dtypes, grad_fn names and gradients (zeros in cumprod included), ties and nan in
cummax / cummin, large values in logcumsumexp, errors; float64 gradcheck with double backward."""
import numpy as np
import pytest

from tests._core_parity import raises_same, same
from tests._ops_parity import check_grads, compare, cuda_matches_cpu, data

X = data((3, 5))
WITH_ZEROS = np.array([[1.5, 0.0, -2.0, 3.0, 0.5], [0.0, 0.0, 1.0, 2.0, -1.0], [2.0, -1.0, 0.5, 0.0, 4.0]])


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scans_match_torch(torch, dim, dtype):
    compare(torch, lambda L, t: (L.cumprod(t, dim), t.cumprod(dim), L.logcumsumexp(t, dim), t.logcumsumexp(dim),
                                 *L.cummax(t, dim), *t.cummin(dim)), X.astype(dtype))
    compare(torch, lambda L, t: L.cumprod(t, dim), WITH_ZEROS.astype(dtype))


@pytest.mark.parametrize("fn", [
    lambda L, t: L.cumprod(t, 1), lambda L, t: L.cumprod(t, 0), lambda L, t: L.logcumsumexp(t, 1),
    lambda L, t: L.cummax(t, 1).values, lambda L, t: L.cummin(t, 0).values,
])
def test_scan_gradcheck(fn):
    check_grads(fn, X)


def test_cumprod_gradcheck_with_zeros():
    check_grads(lambda L, t: L.cumprod(t, 1), WITH_ZEROS)
    check_grads(lambda L, t: L.cumprod(t, 0), WITH_ZEROS)


def test_special_values_and_dtypes(torch):
    nan, inf = float("nan"), float("inf")
    same(torch, lambda L: [*L.cummax(L.tensor([1.0, nan, 2.0, nan, 3.0]), 0),
                           *L.cummin(L.tensor([3.0, 1.0, 1.0, 2.0, 1.0]), 0),
                           *L.cummax(L.tensor([[2, 2, 1], [0, 3, 3]]), 1), *L.cummax(L.tensor(4.0), 0),
                           L.cumprod(L.tensor([1, 2, 3], dtype=L.int32), 0), L.cumprod(L.tensor([True, False]), 0),
                           L.cumprod(L.tensor([1, 2, 3]), 0, dtype=L.float64), L.cumprod(L.tensor(3.0), 0),
                           L.logcumsumexp(L.tensor([1000.0, 1000.0, -inf, 1e-3]), 0),
                           L.logcumsumexp(L.tensor([-inf, -inf]), 0),
                           L.tensor([1.0, 2.0, 3.0]).cumprod_(0)])
    assert repr(__import__("minitorch").cummax(__import__("minitorch").tensor([1, 3, 2]), 0)) == \
        repr(torch.cummax(torch.tensor([1, 3, 2]), 0))


def test_logcumsumexp_gradient_with_mixed_signs_and_large_values(torch):
    big = np.array([[700.0, -700.0, 3.0, 710.0], [1.0, 2.0, 3.0, 4.0]])
    compare(torch, lambda L, t: L.logcumsumexp(t, 1), big)


@pytest.mark.parametrize("kwargs", [{}, {"n": 2}, {"dim": 0}, {"n": 3, "dim": 1}, {"n": 0}, {"n": 7}])
def test_diff_matches_torch(torch, kwargs):
    compare(torch, lambda L, t: (L.diff(t, **kwargs), t.diff(**kwargs)), X)
    if kwargs.get("n", 1) < 5:
        check_grads(lambda L, t: L.diff(t, **kwargs), X)


def test_diff_prepend_append_and_bool(torch):
    compare(torch, lambda L, t, p, a: L.diff(t, 2, 1, prepend=p, append=a), X, X[:, :2], X[:, :1])
    same(torch, lambda L: [L.diff(L.tensor([True, False, False, True])),
                           L.diff(L.tensor([1, 4, 9]), prepend=L.tensor([0])),
                           L.diff(L.tensor([[1, 2], [4, 8]]), dim=0, append=L.tensor([[0, 0]]))])


@pytest.mark.parametrize("name", ["trapezoid", "trapz", "cumulative_trapezoid"])
def test_trapezoid_family_matches_torch(torch, name):
    x = np.sort(data((5,), seed=3))
    compare(torch, lambda L, y: (getattr(L, name)(y), getattr(L, name)(y, dx=0.25), getattr(L, name)(y, dim=0)), X)
    compare(torch, lambda L, y, s: (getattr(L, name)(y, s), getattr(L, name)(y.t(), s, dim=0)), X, x)
    compare(torch, lambda L, y, s: getattr(L, name)(y, s), X, np.sort(X, axis=1))
    check_grads(lambda L, y, s: getattr(L, name)(y, s), X, x)
    same(torch, lambda L: [getattr(L, name)(L.tensor([1, 2, 3])), getattr(L, name)(L.zeros(2, 0))])


@pytest.mark.parametrize("call", [
    lambda L: L.diff(L.tensor(1.0)),
    lambda L: L.diff(L.tensor([1.0]), n=-1),
    lambda L: L.diff(L.tensor([1.0]), prepend=L.tensor([[1.0]])),
    lambda L: L.cumprod(L.tensor([1.0]), 1),
    lambda L: L.cummax(L.ones(2, 2), 2),
    lambda L: L.logcumsumexp(L.tensor([1, 2]), 0),
    lambda L: L.trapezoid(L.ones(3), L.ones(2)),
    lambda L: L.cumprod(L.tensor([1.0], requires_grad=True), 0, dtype=L.int64),
])
def test_errors_match_torch(torch, call):
    raises_same(torch, call)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    cuda_matches_cpu(lambda L, t: (L.cumprod(t, 1), L.logcumsumexp(t, 0), L.cummax(t, 1).values,
                                   L.cummin(t, 0).values, L.diff(t), L.trapezoid(t)), X.astype("float32"))
