"""index_copy, index_fill, index_put, masked_scatter, put, scatter_reduce (every reduction, with and without
the input's own values) and fill_diagonal_ against PyTorch: values, dtypes, grad_fn names, gradients, in-place
and method forms, errors; float64 gradcheck with double backward."""
import numpy as np
import pytest

from tests._core_parity import raises_same, same
from tests._ops_parity import check_grads, compare, cuda_matches_cpu, data

X = data((4, 3))
S = data((2, 3), seed=1)


def idx(L, values):
    return L.tensor(values)


CASES = {
    "index_copy": lambda L, x, s: (L.index_copy(x, 0, idx(L, [2, 0]), s), x.index_copy(1, idx(L, [2, 1, 0]), x)),
    "index_fill": lambda L, x, s: (L.index_fill(x, 0, idx(L, [1, 3]), 2.5), x.index_fill(1, idx(L, [0]), s[0, 0]),
                                   x.index_fill(-1, idx(L, [2, 2]), -1.0)),
    "index_put": lambda L, x, s: (L.index_put(x, (idx(L, [0, 3]),), s), x.index_put((idx(L, [1, 1]), idx(L, [0, 2])),
                                                                                     s[0, :2]),
                                  L.index_put(x, (idx(L, [0, 0, 2]),), s[:1], accumulate=True),
                                  x.index_put((idx(L, [1]), idx(L, [2])), s[1, 1], True)),
    "masked_scatter": lambda L, x, s: (L.masked_scatter(x, x > 0, L.cat([s.reshape(-1), s.reshape(-1)])),
                                       x.masked_scatter(L.tensor([True, False, True]), L.cat([s, s]))),
    "put": lambda L, x, s: (L.put(x, idx(L, [0, 5, -1]), s[0]), x.put(idx(L, [1, 1, 2]), s[1], accumulate=True)),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(torch, name):
    compare(torch, CASES[name], X, S)


@pytest.mark.parametrize("name", CASES)
def test_gradcheck(name):
    check_grads(CASES[name], X, S)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(torch, reduce, include_self):
    index = np.array([[0, 1, 0], [2, 2, 0]])

    def run(L, x, s):
        i = L.tensor(index)
        return (L.scatter_reduce(x, 0, i, s, reduce, include_self=include_self),
                x.scatter_reduce(1, i[:, :2], s[:, :2], reduce, include_self=include_self))
    compare(torch, run, X, S)
    compare(torch, run, np.round(X), np.round(S))  # ties: amax / amin share the gradient
    check_grads(run, X, S)
    same(torch, lambda L: L.scatter_reduce(L.tensor([[5, 1], [2, 7]]), 0, L.tensor([[1, 0], [1, 1]]),
                                           L.tensor([[3, 4], [9, 0]]), reduce, include_self=include_self))


def test_in_place_forms_and_fill_diagonal(torch):
    same(torch, lambda L: [L.tensor(X).index_copy_(0, L.tensor([1]), L.tensor(S[:1])),
                           L.tensor(X).index_fill_(1, L.tensor([0, 2]), 7.0),
                           L.tensor(X).index_put_((L.tensor([2]),), L.tensor(S[0]), accumulate=True),
                           L.index_put_(L.tensor(X), (L.tensor([0]),), L.tensor(S[1])),
                           L.tensor(X).masked_scatter_(L.tensor(X) < 0, L.tensor(X) * 10),
                           L.tensor(X).put_(L.tensor([3]), L.tensor([9.0])),
                           L.tensor(X).scatter_reduce_(0, L.tensor([[1, 1, 1]]), L.tensor(S[:1]), "amax"),
                           L.zeros(3, 3).fill_diagonal_(4.0), L.zeros(5, 2).fill_diagonal_(1.0),
                           L.zeros(7, 3).fill_diagonal_(2.0, wrap=True), L.zeros(2, 4).fill_diagonal_(3),
                           L.zeros(2, 2, 2).fill_diagonal_(5.0)])


@pytest.mark.parametrize("call", [
    lambda L: L.index_copy(L.ones(3), 0, L.tensor([0], dtype=L.int32), L.ones(1)),
    lambda L: L.index_copy(L.ones(3), 0, L.tensor([0]), L.ones(1, dtype=L.float64)),
    lambda L: L.index_fill(L.ones(3), 0, L.tensor([5]), 1.0),
    lambda L: L.index_fill(L.ones(3), 0, L.tensor([0]), L.ones(2)),
    lambda L: L.index_put(L.ones(3), (L.tensor([0]),), L.ones(1, dtype=L.float64)),
    lambda L: L.masked_scatter(L.ones(3), L.tensor([1, 0, 1]), L.ones(3)),
    lambda L: L.masked_scatter(L.ones(3), L.tensor([True, True, True]), L.ones(2)),
    lambda L: L.put(L.ones(3), L.tensor([0, 1]), L.ones(1)),
    lambda L: L.put(L.ones(3), L.tensor([7]), L.ones(1)),
    lambda L: L.scatter_reduce(L.ones(3), 0, L.tensor([0]), L.ones(1), "median"),
    lambda L: L.ones(3).fill_diagonal_(1.0),
    lambda L: L.ones(2, 3, 3).fill_diagonal_(1.0),
])
def test_errors_match_torch(torch, call):
    raises_same(torch, call)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    cuda_matches_cpu(lambda L, x, s: (L.index_copy(x, 0, L.tensor([2, 0], device=x.device), s),
                                      L.put(x, L.tensor([0, 5], device=x.device), s[0, :2]),
                                      L.scatter_reduce(x, 0, L.tensor([[0, 1, 0], [2, 2, 0]], device=x.device), s,
                                                       "amax")),
                     X.astype("float32"), S.astype("float32"))
