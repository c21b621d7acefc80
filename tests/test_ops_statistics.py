"""Statistics (nansum, nanmean, median, nanmedian, mode, quantile, nanquantile, aminmax, count_nonzero, std_mean,
var_mean, histc, histogram, histogramdd, bincount, cov, corrcoef, searchsorted, bucketize) against PyTorch:
values, dtypes, grad_fn names, gradients, return types, nan handling and errors; float64 gradcheck."""
import numpy as np
import pytest

from tests._core_parity import raises_same, same
from tests._ops_parity import check_grads, compare, cuda_matches_cpu, data

X = data((4, 5))  # distinct values: medians and modes have one answer
nan = float("nan")
WITH_NAN = np.array([[1.0, nan, 3.0, -2.0], [nan, nan, nan, nan], [0.5, 2.0, nan, 7.0]])


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": (0, 1)}])
def test_nansum_nanmean(torch, kwargs):
    compare(torch, lambda L, t: (L.nansum(t, **kwargs), L.nanmean(t, **kwargs), t.nansum(**kwargs)), WITH_NAN)
    check_grads(lambda L, t: (L.nansum(t, **kwargs), L.nanmean(t, **kwargs)), X)
    same(torch, lambda L: [L.nansum(L.tensor([[1, 2], [3, 4]]), **kwargs), L.nansum(L.tensor([1.0, nan]),
                                                                                        dtype=L.float64)])


@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_family(torch, name):
    compare(torch, lambda L, t: (getattr(L, name)(t), *getattr(L, name)(t, 1), *getattr(t, name)(0, True)), X)
    # (an all-nan row's index is wherever torch's partial sort leaves it: only the values are compared there)
    compare(torch, lambda L, t: (getattr(L, name)(t), getattr(L, name)(t, 1).values), WITH_NAN, grad=False)
    check_grads(lambda L, t: (getattr(L, name)(t), getattr(L, name)(t, 1).values), X)
    same(torch, lambda L: [getattr(L, name)(L.tensor([3.0, 3.0, 1.0, 5.0])), *getattr(L, name)(L.tensor(2.0), 0),
                           getattr(L, name)(L.tensor([[4, 1, 3], [2, 2, 9]])),
                           *getattr(L, name)(L.tensor([5, 1, 4]), 0),
                           getattr(L, name)(L.tensor([], dtype=L.float32))])
    compare(torch, lambda L, t: getattr(L, name)(t), np.array([3.0, 3.0, 1.0, 5.0, 3.0]))  # gradient shared by ties


def test_mode(torch):
    same(torch, lambda L: [*L.mode(L.tensor([1, 2, 2, 3, 3, 1, 1, 3])),
                           *L.mode(L.tensor([[5.0, 5, 1, 1], [2, 2, 2, 7]]), 1),
                           *L.mode(L.tensor([[5.0, 5, 1, 1], [2, 2, 2, 7]]), 0, keepdim=True), *L.mode(L.tensor(3.0))])
    compare(torch, lambda L, t: L.mode(t, 1).values, np.array([[1.0, 2.0, 2.0, 3.0], [4.0, 4.0, 5.0, 5.0]]))
    assert repr(__import__("minitorch").mode(__import__("minitorch").tensor([1, 1, 2]))) == \
        repr(torch.mode(torch.tensor([1, 1, 2])))


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantiles(torch, name, interpolation):
    def run(L, t):
        q = L.tensor([0.0, 0.25, 0.5, 0.66, 1.0], dtype=t.dtype)
        fn = getattr(L, name)
        return (fn(t, 0.3, interpolation=interpolation), fn(t, q, dim=1, interpolation=interpolation),
                fn(t, q, dim=0, keepdim=True, interpolation=interpolation),
                fn(t, 0.875, keepdim=True, interpolation=interpolation), getattr(t, name)(0.5, 1))
    compare(torch, run, X)
    compare(torch, run, WITH_NAN, grad=False)
    check_grads(lambda L, t: getattr(L, name)(t, L.tensor([0.2, 0.7], dtype=L.float64), dim=1,
                                              interpolation=interpolation), X)


def test_aminmax_count_nonzero_moments(torch):
    compare(torch, lambda L, t: (*L.aminmax(t), *L.aminmax(t, dim=1), *t.aminmax(dim=0, keepdim=True)), X)
    check_grads(lambda L, t: (*L.aminmax(t), *L.aminmax(t, dim=1)), X)
    same(torch, lambda L: [L.aminmax(L.tensor([[1, 5], [3, 2]]), dim=1), L.aminmax(L.tensor([2.0, 2.0, 1.0]))])
    same(torch, lambda L: [L.count_nonzero(L.tensor([[0, 1], [2, 0]])), L.count_nonzero(L.tensor([[0, 1], [2, 0]]), 0),
                           L.tensor([[0.0, 1.0], [2.0, 0.0]]).count_nonzero(dim=(0, 1))])
    for kwargs in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"correction": 0}, {"dim": 1, "unbiased": False}):
        compare(torch, lambda L, t: (*L.std_mean(t, **kwargs), *L.var_mean(t, **kwargs)), X)
        check_grads(lambda L, t: (*L.std_mean(t, **kwargs), *L.var_mean(t, **kwargs)), X)


def test_histograms_and_bincount(torch):
    values = np.array([1.0, 2.0, 1.0, 4.0, 3.5, -1.0, 2.25])
    same(torch, lambda L: [L.histc(L.tensor(values), bins=4), L.histc(L.tensor(values), bins=3, min=1, max=3),
                           L.tensor(values).histc(5), L.histc(L.tensor([2.0, 2.0]), bins=2),
                           L.histc(L.tensor(values, dtype=L.float64), bins=6, min=-2, max=4)])
    same(torch, lambda L: [*L.histogram(L.tensor(values), bins=3), *L.histogram(L.tensor(values), 4, range=(0.0, 4.0)),
                           *L.histogram(L.tensor(values), bins=L.tensor([0.0, 1.5, 4.0], dtype=L.float64),
                                        weight=L.ones(7, dtype=L.float64) * 2),
                           *L.histogram(L.tensor(values), 3, density=True), *L.histogram(L.tensor([2.0, 2.0]), bins=2),
                           *L.tensor(values).histogram(2)])
    same(torch, lambda L: [L.histogramdd(L.tensor([[0.0, 1], [1, 0], [2, 2], [0.5, 0.5]]), bins=[2, 2]).hist,
                           *L.histogramdd(L.tensor([[0.0, 1], [1, 0], [2, 2]]), bins=3).bin_edges,
                           L.histogramdd(L.tensor([[0.0, 1], [1, 0]]), bins=[1, 2], range=[0.0, 1.0, 0.0, 2.0]).hist])
    same(torch, lambda L: [L.bincount(L.tensor([1, 1, 3])), L.bincount(L.tensor([1, 1, 3]), minlength=6),
                           L.bincount(L.tensor([1, 1, 3]), weights=L.tensor([0.5, 1, 2])),
                           L.bincount(L.tensor([0, 2]), weights=L.tensor([1.0, 2.0], dtype=L.float64)),
                           L.bincount(L.tensor([], dtype=L.int64)), L.tensor([2, 0, 2]).bincount()])
    assert repr(__import__("minitorch").histogram(__import__("minitorch").tensor([1.0, 2.0]), 2)) == \
        repr(torch.histogram(torch.tensor([1.0, 2.0]), 2))


@pytest.mark.parametrize("kwargs", [{}, {"correction": 0}, {"correction": 3}, {"fweights": "f"}, {"aweights": "a"},
                                    {"fweights": "f", "aweights": "a"}])
def test_cov_corrcoef(torch, kwargs):
    def run(L, t):
        weights = {"f": L.tensor([1, 2, 1, 3, 1]), "a": L.tensor([0.5, 1.0, 2.0, 1.0, 0.25], dtype=t.dtype)}
        extra = {k: weights.get(v, v) for k, v in kwargs.items()}
        return L.cov(t, **extra), t.cov(**extra), L.cov(t[0], **extra)
    compare(torch, run, X)
    check_grads(run, X[:2])
    compare(torch, lambda L, t: (L.corrcoef(t), t.corrcoef(), L.corrcoef(t[0])), X)
    check_grads(lambda L, t: L.corrcoef(t), X[:2])


def test_searchsorted_and_bucketize(torch):
    same(torch, lambda L: [L.bucketize(L.tensor([1, 5, 9]), L.tensor([1, 3, 5, 7, 9])),
                           L.bucketize(L.tensor([[1.0, 5.5], [9.0, 0.0]]), L.tensor([1.0, 3, 5, 7, 9]), right=True),
                           L.bucketize(3, L.tensor([1, 3, 5]), out_int32=True),
                           L.searchsorted(L.tensor([[1, 3, 5], [2, 4, 6]]), L.tensor([[3], [5]])),
                           L.searchsorted(L.tensor([1, 3, 5]), 3, side="right"),
                           L.searchsorted(L.tensor([1, 3, 5]), L.tensor([[0, 3], [6, 4]]), right=True),
                           L.searchsorted(L.tensor([5, 1, 3]), L.tensor([2, 4]), sorter=L.tensor([1, 2, 0])),
                           L.searchsorted(L.tensor([1.0, 2.0]), L.tensor([1.5]), out_int32=True)])


@pytest.mark.parametrize("call", [
    lambda L: L.quantile(L.tensor([1, 2]), 0.5),
    lambda L: L.quantile(L.tensor([1.0, 2]), L.tensor(0.5, dtype=L.float64)),
    lambda L: L.quantile(L.tensor([1.0, 2]), 1.5),
    lambda L: L.quantile(L.tensor([1.0, 2]), L.ones(2, 2) * 0.5),
    lambda L: L.quantile(L.tensor([1.0, 2]), 0.5, interpolation="x"),
    lambda L: L.quantile(L.tensor([]), 0.5),
    lambda L: L.nanquantile(L.tensor([1.0, 2]), L.tensor([2.0])),
    lambda L: L.bincount(L.tensor([1.0, 2])),
    lambda L: L.bincount(L.tensor([-1])),
    lambda L: L.bincount(L.tensor([[1]])),
    lambda L: L.histc(L.tensor([1, 2])),
    lambda L: L.histc(L.tensor([1.0, 2]), bins=-1),
    lambda L: L.histc(L.tensor([1.0, 2]), min=3, max=1),
    lambda L: L.histogram(L.tensor([1.0, 2], dtype=L.float64), bins=L.tensor([0.0, 3.0])),
    lambda L: L.searchsorted(L.tensor([1, 2]), L.tensor([1]), side="left", right=True),
    lambda L: L.searchsorted(L.tensor([[1, 2]]), L.tensor([[1], [2]])),
    lambda L: L.searchsorted(L.tensor([1, 2]), L.tensor([1]), side="up"),
    lambda L: L.bucketize(L.tensor([1]), L.tensor([[1, 2]])),
    lambda L: L.mode(L.tensor([])),
    lambda L: L.median(L.ones(2, 0), 1),
    lambda L: L.cov(L.ones(2, 2, 2)),
    lambda L: L.nanmean(L.tensor([1, 2])),
    lambda L: L.var_mean(L.tensor([1, 2])),
    lambda L: L.aminmax(L.tensor([])),
    lambda L: L.aminmax(L.ones(2, 0), dim=1),
])
def test_errors_match_torch(torch, call):
    raises_same(torch, call)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    cuda_matches_cpu(lambda L, t: (L.nansum(t, 1), L.nanmean(t), L.median(t), L.median(t, 1).values,
                                   L.quantile(t, 0.3, dim=0), L.aminmax(t, dim=1).max, L.std_mean(t, 1)[0], L.cov(t),
                                   L.histc(t.detach(), 4), L.mode(t.detach(), 1).values), X.astype("float32"))
