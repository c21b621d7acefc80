"""Sorting, selection, unique, multinomial, and the extra pointwise (tan, erf, lerp, addcmul ...) and shape
ops (tril, triu, diagonal, diag, repeat_interleave), compared with PyTorch: values, dtypes, grad_fn names and
errors, float64 gradcheck of each differentiable op, and multinomial's draws and statistics."""
import numpy as np
import pytest

import minitorch
from minitorch.autograd import gradcheck
from tests._core_parity import raises_same, same

DTYPES = ["float32", "float64", "int64", "int32", "uint8"]


def data(L, name, values=(3, 1, 2, 1, 0, 2, 5, 4)):
    return L.tensor(list(values), dtype=getattr(L, name)).reshape(2, 4)


def with_nan(L, name="float32"):
    return L.tensor([[3.0, float("nan"), 1.0, 1.0], [-0.0, 2.0, float("inf"), 2.0]], dtype=getattr(L, name))


def leaf(L, shape=(3, 4), seed=0):
    return L.tensor(np.random.default_rng(seed).normal(size=shape).tolist(), dtype=L.float64, requires_grad=True)


# ----- sort / argsort / msort -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("kwargs", [{}, {"descending": True}, {"dim": 0},
                                    {"dim": 0, "descending": True, "stable": True}])
def test_sort_matches_torch_with_ties(torch, name, kwargs):
    same(torch, lambda L: list(L.sort(data(L, name), **kwargs)) + [L.argsort(data(L, name), **kwargs),
                                                                  data(L, name).sort(**kwargs).indices])


@pytest.mark.parametrize("descending", [False, True])
def test_sort_nan_is_largest_and_result_type(torch, descending):
    same(torch, lambda L: list(L.sort(with_nan(L), descending=descending)))
    ours = minitorch.sort(minitorch.tensor([2.0, 1.0]))
    assert type(ours).__module__ == "torch.return_types" and type(ours).__name__ == "sort"
    assert repr(ours) == repr(torch.sort(torch.tensor([2.0, 1.0])))


def test_sort_grad_fn_names_zero_dim_bool_and_errors(torch):
    same(torch, lambda L: [L.sort(L.ones(3, requires_grad=True)).values, L.sort(L.ones(3, requires_grad=True),
                                                                                  stable=True).values,
                           *L.sort(L.tensor(3.0)), *L.sort(L.tensor([True, False, True]), descending=True),
                           L.msort(data(L, "int64"))])
    raises_same(torch, lambda L: L.sort(L.ones(3), dim=2))


def test_sort_gradcheck():
    x = leaf(minitorch)
    assert gradcheck(lambda t: minitorch.sort(t, 1, descending=True).values, (x,))
    assert gradcheck(lambda t: minitorch.sort(t, 0).values * 2, (x,))


# ----- topk / kthvalue --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["float32", "float64", "int64", "uint8"])
def test_topk_matches_torch_on_distinct_values(torch, name):
    values = (7, 1, 3, 0, 4, 9, 2, 8)
    same(torch, lambda L: [*L.topk(data(L, name, values), 2), *L.topk(data(L, name, values), 3, largest=False),
                           *data(L, name, values).topk(1, dim=0), *L.topk(data(L, name, values), 0)])


def test_topk_nan_unsorted_zero_dim_and_errors(torch):
    """nan counts as the largest value (the tie-free rows: torch picks among ties in no specified order)."""
    def nan_rows(L):
        return L.tensor([[3.0, float("nan"), 1.0, 0.5], [-0.0, 2.0, float("inf"), 1.5]])
    same(torch, lambda L: [*L.topk(nan_rows(L), 2), *L.topk(nan_rows(L), 2, largest=False), *L.topk(L.tensor(2.0), 1),
                           L.topk(L.tensor([1.0, 5, 3], requires_grad=True), 2).values])
    same(torch, lambda L: [*L.topk(L.tensor([5.0, 1, 3, 2, 4, 0]), 3, sorted=False)])
    for k in (5, -1):
        raises_same(torch, lambda L: L.topk(L.ones(4), k))
    raises_same(torch, lambda L: L.topk(L.tensor([True, False]), 1))


TIE_CASES = [  # (length, distinct values, k): k * 64 <= length takes torch's partial-sort path
    (7, 2, 3), (20, 3, 17), (64, 4, 1), (200, 5, 3), (300, 3, 150), (1000, 7, 15), (1000, 50, 700), (5000, 2, 80),
    (5000, 10, 4000)]


@pytest.mark.parametrize("length, levels, k", TIE_CASES)
def test_topk_breaks_ties_as_torch(torch, length, levels, k):
    """Among equal values torch's cpu topk picks, and orders, by the exact steps of the C++ library's
    selection and sort algorithms: the same indices, sorted or not, largest or smallest, nan included."""
    rng = np.random.default_rng(length + k)
    values = rng.integers(0, levels, length).astype(np.float32)
    values[rng.random(length) < 0.05] = np.nan
    values[rng.random(length) < 0.05] = -0.0
    for largest in (True, False):
        for sorted_ in (True, False):
            ours = minitorch.topk(minitorch.tensor(values), k, largest=largest, sorted=sorted_).indices
            theirs = torch.topk(torch.tensor(values), k, largest=largest, sorted=sorted_).indices
            assert ours.tolist() == theirs.tolist()
    rows = values[:length - length % 4].reshape(4, -1)
    kk = min(k, rows.shape[1])
    assert minitorch.topk(minitorch.tensor(rows), kk, dim=1).indices.tolist() == \
        torch.topk(torch.tensor(rows), kk, dim=1).indices.tolist()
    assert minitorch.topk(minitorch.tensor(rows), 2, dim=0, largest=False).indices.tolist() == \
        torch.topk(torch.tensor(rows), 2, dim=0, largest=False).indices.tolist()


def test_kthvalue_matches_torch(torch):
    values = (7, 1, 3, 0, 4, 9, 2, 8)
    same(torch, lambda L: [*L.kthvalue(data(L, "float32", values), 2),
                           *L.kthvalue(data(L, "int64", values), 1, 0, True),
                           *L.kthvalue(L.tensor([1.0, float("nan"), 0.0]), 3), *L.kthvalue(L.tensor(2.0), 1),
                           L.kthvalue(L.tensor([3.0, 1, 2], requires_grad=True), 2).values])
    for scenario in (lambda L: L.kthvalue(L.ones(2, 3), 4, dim=1), lambda L: L.kthvalue(L.ones(2, 3), 0),
                     lambda L: L.kthvalue(L.tensor(2.0), 2), lambda L: L.kthvalue(L.tensor([True, False]), 1)):
        raises_same(torch, scenario)


def test_topk_kthvalue_gradcheck():
    x = leaf(minitorch)
    assert gradcheck(lambda t: minitorch.topk(t, 2).values, (x,))
    assert gradcheck(lambda t: minitorch.topk(t, 2, dim=0, largest=False).values, (x,))
    assert gradcheck(lambda t: minitorch.kthvalue(t, 3).values, (x,))
    assert gradcheck(lambda t: minitorch.kthvalue(t, 2, 0, keepdim=True).values, (x,))


# ----- unique -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", DTYPES)
def test_unique_matches_torch(torch, name):
    same(torch, lambda L: [L.unique(data(L, name)),
                           list(L.unique(data(L, name), sorted=False, return_inverse=True, return_counts=True)),
                           list(data(L, name).unique(return_counts=True)),
                           list(L.unique(data(L, name, (1, 2, 1, 2, 0, 5, 0, 5)).reshape(4, 2), dim=0,
                                         return_inverse=True, return_counts=True))])


def test_unique_nan_bool_zero_dim_grad_fn_and_errors(torch):
    same(torch, lambda L: [list(L.unique(L.tensor([1.0, float("nan"), float("nan"), 1.0]), return_counts=True)),
                           list(L.unique(L.tensor([True, False, True]), return_counts=True)),
                           list(L.unique(L.tensor(3), return_inverse=True)),
                           L.unique(L.tensor([2.0, 1.0], requires_grad=True)),
                           L.unique(L.ones(2, 2, requires_grad=True), dim=1)])
    raises_same(torch, lambda L: L.unique(L.ones(2, 3), dim=2))
    raises_same(torch, lambda L: L.unique(L.tensor([2.0, 1.0], requires_grad=True)).sum().backward())


# ----- multinomial ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [(10, True), (3, False), (1, False), (1, True), (4, False)])
@pytest.mark.parametrize("name", ["float32", "float64"])
def test_multinomial_draws_torch_numbers_for_a_seed(torch, args, name):
    def scenario(L):
        L.manual_seed(3)
        p = L.tensor([[0.1, 0.2, 0.3, 0.4], [0.5, 0.0, 0.25, 0.25]], dtype=getattr(L, name))
        return [L.multinomial(p, *args), p[0].multinomial(*args), L.multinomial(p, 2, replacement=True)]
    same(torch, scenario)


def test_multinomial_generator_is_reproducible_and_separate():
    p = minitorch.tensor([1.0, 2.0, 3.0, 4.0])
    g = minitorch.Generator().manual_seed(7)
    first = minitorch.multinomial(p, 20, True, generator=g)
    minitorch.manual_seed(0)  # the default generator does not affect `g`
    again = minitorch.multinomial(p, 20, True, generator=minitorch.Generator().manual_seed(7))
    assert first.tolist() == again.tolist() and first.dtype is minitorch.int64
    assert minitorch.multinomial(p, 20, True, generator=g).tolist() != first.tolist()


def test_multinomial_frequencies_follow_the_weights():
    minitorch.manual_seed(0)
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    draws = minitorch.multinomial(minitorch.tensor(weights.tolist()), 20000, replacement=True).numpy()
    expected = weights / weights.sum() * draws.size
    chi2 = (((np.bincount(draws, minlength=4) - expected) ** 2) / expected).sum()
    assert chi2 < 16.3  # the 0.999 quantile of chi-squared with 3 degrees of freedom
    first = np.array([minitorch.multinomial(minitorch.tensor(weights.tolist()), 2)[0].item() for _ in range(3000)])
    # without replacement the first pick still follows the weights; the second differs from it
    expected = weights / weights.sum() * first.size
    assert (((np.bincount(first, minlength=4) - expected) ** 2) / expected).sum() < 16.3
    pairs = minitorch.multinomial(minitorch.ones(50, 4), 4).numpy()
    assert (np.sort(pairs, axis=1) == np.arange(4)).all()


@pytest.mark.parametrize("scenario", [
    lambda L: L.multinomial(L.ones(4), 5), lambda L: L.multinomial(L.ones(4), 0),
    lambda L: L.multinomial(L.tensor([1, 2]), 1), lambda L: L.multinomial(L.tensor([-1.0, 2]), 1),
    lambda L: L.multinomial(L.tensor([-1.0, 2]), 2, True), lambda L: L.multinomial(L.tensor([0.0, 0]), 1),
    lambda L: L.multinomial(L.tensor([0.0, 0]), 2, True), lambda L: L.multinomial(L.ones(2, 2, 2), 1),
    lambda L: L.multinomial(L.tensor(1.0), 1), lambda L: L.multinomial(L.tensor([float("inf"), 1.0]), 2, True)])
def test_multinomial_errors(torch, scenario):
    raises_same(torch, scenario)


# ----- pointwise --------------------------------------------------------------------------------------------
UNARY = ["tan", "atan", "asin", "acos", "sinh", "cosh", "erf", "erfc", "square", "nan_to_num", "arctan"]
SAMPLE = [-2.5, -0.5, -0.0, 0.3, 0.9, 3.0, float("inf"), float("nan")]


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("name", ["float32", "float64", "int64", "bool"])
def test_unary_forward(torch, op, name):
    def scenario(L):
        x = L.tensor([True, False] if name == "bool" else SAMPLE if name.startswith("float") else [-3, 0, 1, 2],
                     dtype=getattr(L, name))
        return [getattr(L, op)(x), getattr(x, op)()]
    same(torch, scenario)


@pytest.mark.parametrize("op", UNARY)
def test_unary_grad_fn_and_gradcheck(torch, op):
    same(torch, lambda L: getattr(L, op)(L.tensor([0.3, -0.5], requires_grad=True)))
    x = minitorch.tensor([0.3, -0.5, 0.7, 0.1], dtype=minitorch.float64, requires_grad=True)
    assert gradcheck(getattr(minitorch, op), (x,))


def test_nan_to_num_values_and_inplace(torch):
    def scenario(L):
        f = L.tensor([float("nan"), float("inf"), -float("inf"), 1.0])
        g = f.clone()
        g.nan_to_num_(nan=2.0)
        return [L.nan_to_num(f, nan=2.0, posinf=3.0), L.nan_to_num(f.half()), L.nan_to_num(f.double(), neginf=-1.0), g,
                L.tensor([1.0, 2.0]).tan_()]
    same(torch, scenario)


@pytest.mark.parametrize("weight", [0.3, 0.5, 0.9, -1.0, "tensor"])
def test_lerp(torch, weight):
    def scenario(L):
        a = L.tensor([[0.3, -0.5, 2.0]], requires_grad=True)
        b = L.tensor([[1.0], [4.0]], requires_grad=True)
        w = L.tensor([0.2, 0.7, 1.0], requires_grad=True) if weight == "tensor" else weight
        out = L.lerp(a, b, w)
        out.sum().backward()
        return [out, a.grad, b.grad] + ([w.grad] if weight == "tensor" else [])
    same(torch, scenario)


@pytest.mark.parametrize("scenario", [
    lambda L: L.lerp(L.tensor([1, 2]), L.tensor([1, 2]), 0.5),
    lambda L: L.lerp(L.ones(3), L.ones(3, dtype=L.float64), 0.5),
    lambda L: L.lerp(L.ones(3), L.ones(3), L.ones(3, dtype=L.float64)),
    lambda L: L.addcdiv(L.ones(3), L.tensor([1, 2, 3]), L.tensor([1, 2, 3]))])
def test_lerp_addcdiv_errors(torch, scenario):
    raises_same(torch, scenario)


def test_addcmul_addcdiv(torch):
    def scenario(L):
        a = L.tensor([0.3, -0.5, 2.0], requires_grad=True)
        b = L.tensor([[1.0], [4.0]], requires_grad=True)
        c = L.tensor([2.0, 3.0, -1.0], requires_grad=True)
        out = L.addcmul(a, b, c, value=0.5) + L.addcdiv(a, b, c, value=2)
        out.sum().backward()
        i = L.tensor([1, -2, 3])
        return [out, a.grad, b.grad, c.grad, L.addcmul(a, b, c), L.addcdiv(a, b, c), L.addcmul(i, i, i, value=2),
                L.addcmul(i, i, i, value=0.5), L.addcdiv(i, i, a), a.detach().clone().addcmul_(c, c)]
    same(torch, scenario)


def test_lerp_addcmul_addcdiv_gradcheck():
    a, b, c = leaf(minitorch, (3,), 1), leaf(minitorch, (2, 1), 2), leaf(minitorch, (3,), 3)
    assert gradcheck(lambda a, b, c: minitorch.lerp(a, b, c), (a, b, c))
    assert gradcheck(lambda a, b: minitorch.lerp(a, b, 0.7), (a, b))
    assert gradcheck(lambda a, b, c: minitorch.addcmul(a, b, c, value=-2), (a, b, c))
    assert gradcheck(lambda a, b, c: minitorch.addcdiv(a, b, c, value=0.5), (a, b, c))


# ----- shape --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["float32", "int64", "bool"])
def test_tril_triu_diag_diagonal(torch, name):
    def scenario(L):
        m = L.arange(24).reshape(2, 3, 4).to(getattr(L, name))
        return [L.tril(m), L.triu(m, 1), m.tril(-1), m[0].triu(-2), L.diagonal(m), L.diagonal(m, 1, 1, 2),
                m.diagonal(-1, -1, 0), L.diag(m[0]), L.diag(m[0], 2), L.diag(m[0, 0]), L.diag(m[0, 0], -1)]
    same(torch, scenario)


def test_shape_grad_fns_views_and_errors(torch):
    def scenario(L):
        m = L.arange(12.0).reshape(3, 4).requires_grad_()
        d = m.detach().clone()
        view = d.diagonal()
        view += 100
        t = d.clone()
        t.tril_(1)
        return [L.tril(m), L.triu(m), L.diagonal(m), L.diag(m), L.diag(m[0]), d, t]
    same(torch, scenario)
    for bad in (lambda L: L.tril(L.arange(3)), lambda L: L.diag(L.zeros(2, 2, 2)),
                lambda L: L.diagonal(L.ones(2, 2), 0, 0, 0)):
        raises_same(torch, bad)


def test_repeat_interleave(torch):
    def scenario(L):
        m = L.arange(6.0).reshape(2, 3).requires_grad_()
        return [L.repeat_interleave(m, 2), L.repeat_interleave(m, 2, dim=0), m.repeat_interleave(3, dim=1),
                L.repeat_interleave(m, L.tensor([1, 0, 2]), dim=1), L.repeat_interleave(m, L.tensor([2]), dim=0),
                L.repeat_interleave(L.tensor([2, 0, 1])), L.repeat_interleave(L.tensor(4.0), 2)]
    same(torch, scenario)
    for bad in (lambda L: L.repeat_interleave(L.ones(3, 2), L.tensor([1, 2]), dim=0),
                lambda L: L.repeat_interleave(L.ones(3), -1), lambda L: L.repeat_interleave(L.tensor([1.0]))):
        raises_same(torch, bad)


def test_shape_gradcheck():
    x = leaf(minitorch, (2, 3, 4))
    for fn in (lambda t: minitorch.tril(t, 1), lambda t: minitorch.triu(t, -1),
               lambda t: minitorch.diagonal(t, 1, 1, 2),
               lambda t: minitorch.diag(t[0], -1), lambda t: minitorch.diag(t[0, 0], 1),
               lambda t: minitorch.repeat_interleave(t, 2, dim=1),
               lambda t: minitorch.repeat_interleave(t, minitorch.tensor([2, 0, 1, 3]), dim=2)):
        assert gradcheck(fn, (x,))
    assert minitorch.autograd.gradgradcheck(lambda t: minitorch.diagonal(t) ** 2, (x,))
