"""Reductions and softmax: forward and backward parity with PyTorch (values, dtypes, shapes, grad_fn
names), gradcheck in float64, double backward, and torch's error messages."""
import math
import warnings

import numpy as np
import pytest

import minitorch

from ._ops_parity import check_grads, compare, data, flat, same_error

FLOATS = ("float32", "float64")
INTS = ("int64", "int32", "uint8", "bool")


# ----- sum, mean, prod, cumsum --------------------------------------------------------------------------
SUMS = {
    "sum": lambda lib, x: x.sum(),
    "sum_dim": lambda lib, x: x.sum(1),
    "sum_neg_dim_keepdim": lambda lib, x: lib.sum(x, -1, keepdim=True),
    "sum_tuple": lambda lib, x: x.sum((0, 2)),
    "sum_list_keepdim": lambda lib, x: x.sum([2, 0], True),
    "sum_empty_dims": lambda lib, x: x.sum(dim=()),
    "sum_none_keepdim": lambda lib, x: x.sum(None, keepdim=True),
    "sum_dtype": lambda lib, x: x.sum(1, dtype=lib.float64),
    "mean": lambda lib, x: x.mean(),
    "mean_dim": lambda lib, x: x.mean(-2),
    "mean_tuple_keepdim": lambda lib, x: lib.mean(x, (0, 1), keepdim=True),
    "mean_dtype": lambda lib, x: x.mean(dtype=lib.float64),
    "prod": lambda lib, x: x.prod(),
    "prod_dim": lambda lib, x: x.prod(1),
    "prod_dim_keepdim": lambda lib, x: lib.prod(x, 0, True),
    "cumsum": lambda lib, x: x.cumsum(1),
    "cumsum_neg": lambda lib, x: lib.cumsum(x, dim=-1),
    "cumsum_dtype": lambda lib, x: x.cumsum(0, dtype=lib.float64),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", sorted(SUMS))
def test_sum_mean_prod_cumsum_parity(torch, case, dtype):
    compare(torch, SUMS[case], data((2, 3, 4), dtype))


@pytest.mark.parametrize("case", sorted(SUMS))
def test_sum_mean_prod_cumsum_gradcheck(case):
    check_grads(SUMS[case], data((2, 3, 2)))


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("case", ["sum", "sum_dim", "sum_tuple", "prod", "prod_dim", "cumsum", "cumsum_dtype",
                                  "mean_dtype"])
def test_integer_sums_parity(torch, case, dtype):
    out = compare(torch, SUMS[case], data((2, 3, 4), dtype))
    if case in ("sum", "prod", "cumsum"):
        assert out[0].dtype is minitorch.int64


def test_sum_grad_fn_names(torch):
    x = minitorch.ones(2, 3, requires_grad=True)
    assert x.sum().grad_fn.name() == "SumBackward0"
    assert x.sum(0).grad_fn.name() == "SumBackward1"
    assert x.mean().grad_fn.name() == "MeanBackward0"
    assert x.mean(1).grad_fn.name() == "MeanBackward1"


@pytest.mark.parametrize("zeros", [[], [(0, 1)], [(0, 1), (0, 2)], [(1, 0), (0, 2)]])
@pytest.mark.parametrize("case", ["prod", "prod_dim", "prod_dim_keepdim"])
def test_prod_with_zeros(torch, case, zeros):
    x = data((2, 3))
    for i, j in zeros:
        x[i, j] = 0.0
    compare(torch, SUMS[case], x)
    check_grads(SUMS[case], x)


def test_empty_sums(torch):
    for case in ("sum", "sum_dim", "mean", "mean_dim", "prod", "cumsum"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compare(torch, SUMS[case], data((0, 3, 2)))


def test_zero_dim_reductions(torch):
    x = np.array(1.5)
    for fn in (lambda lib, t: t.sum(0), lambda lib, t: t.mean(-1), lambda lib, t: t.prod(0),
               lambda lib, t: t.cumsum(0), lambda lib, t: t.max(0), lambda lib, t: t.argmax(0),
               lambda lib, t: t.amax(0), lambda lib, t: t.softmax(0), lambda lib, t: t.logsumexp(0)):
        compare(torch, fn, x)


ERRORS = {
    "mean_int": (lambda lib, x: x.mean(), "int64"),
    "mean_bool_dim": (lambda lib, x: x.mean(0), "bool"),
    "sum_dim_range": (lambda lib, x: x.sum(3), "float32"),
    "sum_dim_repeated": (lambda lib, x: x.sum((0, -3)), "float32"),
    "var_int": (lambda lib, x: x.var(), "int64"),
    "std_int": (lambda lib, x: x.std(0), "int32"),
    "softmax_int": (lambda lib, x: x.softmax(0), "int64"),
    "softmax_int_last_dim": (lambda lib, x: x.softmax(-1), "bool"),
    "log_softmax_int": (lambda lib, x: lib.log_softmax(x, 0), "int32"),
    "softmax_dim_range": (lambda lib, x: x.softmax(-4), "float32"),
    "argmax_bool": (lambda lib, x: x.argmax(), "bool"),
    "argmin_bool": (lambda lib, x: x.argmin(1), "bool"),
    "norm_int": (lambda lib, x: x.norm(), "int64"),
    "norm_order": (lambda lib, x: x.norm("abc"), "float32"),
    "max_dim_range": (lambda lib, x: x.max(5), "float32"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors(torch, case):
    fn, dtype = ERRORS[case]
    same_error(torch, fn, data((2, 3, 4), dtype))


EMPTY_ERRORS = {
    "max": lambda lib, x: x.max(),
    "min": lambda lib, x: lib.min(x),
    "max_dim": lambda lib, x: x.max(0),
    "min_dim": lambda lib, x: x.min(0, keepdim=True),
    "amax": lambda lib, x: x.amax(),
    "amin_dim": lambda lib, x: x.amin((1, 0)),
    "amax_neg_dim": lambda lib, x: x.amax(-2),
    "argmax": lambda lib, x: x.argmax(),
    "argmin_dim": lambda lib, x: x.argmin(0),
    "norm_inf": lambda lib, x: x.norm(math.inf),
    "norm_neg_inf_dim": lambda lib, x: x.norm(-math.inf, 0),
    "norm_inf_neg_dim": lambda lib, x: x.norm(math.inf, (1, -2)),
}


@pytest.mark.parametrize("case", sorted(EMPTY_ERRORS))
def test_empty_reduction_errors(torch, case):
    same_error(torch, EMPTY_ERRORS[case], data((0, 3)))


def test_empty_reduction_over_nonempty_dim(torch):
    for fn in (lambda lib, x: x.max(1), lambda lib, x: x.amax(1), lambda lib, x: x.argmin(1),
               lambda lib, x: x.norm(math.inf, 1), lambda lib, x: x.logsumexp(0), lambda lib, x: x.softmax(0)):
        compare(torch, fn, data((0, 3)))


# ----- max, min, amax, amin, argmax, argmin ---------------------------------------------------------------
EXTREMES = {
    "max": lambda lib, x: x.max(),
    "min": lambda lib, x: lib.min(x),
    "max_dim": lambda lib, x: x.max(1),
    "min_dim_keepdim": lambda lib, x: lib.min(x, -1, keepdim=True),
    "max_kw": lambda lib, x: lib.max(x, dim=0),
    "amax": lambda lib, x: x.amax(),
    "amax_tuple": lambda lib, x: x.amax((0, 2)),
    "amin_keepdim": lambda lib, x: lib.amin(x, 1, keepdim=True),
    "argmax": lambda lib, x: x.argmax(),
    "argmin_dim": lambda lib, x: lib.argmin(x, 1),
    "argmax_keepdim": lambda lib, x: x.argmax(dim=-1, keepdim=True),
    "argmax_none_keepdim": lambda lib, x: x.argmax(keepdim=True),
}


@pytest.mark.parametrize("dtype", FLOATS + ("int64", "int32", "uint8"))
@pytest.mark.parametrize("case", sorted(EXTREMES))
def test_extremes_parity(torch, case, dtype):
    compare(torch, EXTREMES[case], data((2, 3, 4), dtype))


@pytest.mark.parametrize("case", ["max", "min", "max_dim", "amax", "amax_tuple"])
def test_extremes_bool(torch, case):
    compare(torch, EXTREMES[case], data((2, 3, 4), "bool"))


@pytest.mark.parametrize("case", [c for c in sorted(EXTREMES) if not c.startswith("arg")])
def test_extremes_gradcheck(case):
    check_grads(EXTREMES[case], data((2, 3, 2)))


@pytest.mark.parametrize("case", sorted(EXTREMES))
def test_extremes_ties(torch, case):
    """Ties: max()/amax share the gradient evenly, max(dim) gives it to the returned index."""
    x = np.array([[[1.0, 3.0], [3.0, 2.0], [3.0, 3.0]], [[0.0, 0.0], [-1.0, 0.0], [0.0, 0.0]]])
    compare(torch, EXTREMES[case], x)


def test_max_nan(torch):
    x = np.array([[[1.0, np.nan, 3.0], [2.0, 1.0, 0.0]]])
    for case in ("max_dim", "argmax", "argmin_dim", "amax_tuple"):
        compare(torch, EXTREMES[case], x, grad=False)


def test_max_of_two_tensors(torch):
    compare(torch, lambda lib, a, b: lib.max(a, b), data((2, 3)), data((3,), seed=1))
    compare(torch, lambda lib, a, b: a.min(b), data((2, 3)), data((2, 1), seed=1))


def test_max_return_type(torch):
    x = data((2, 3))
    ours, theirs = minitorch.tensor(x).max(1), torch.tensor(x).max(1)
    assert type(ours).__name__ == type(theirs).__name__ == "max"
    assert isinstance(ours, tuple) and len(ours) == 2
    assert ours.n_fields == theirs.n_fields and ours.n_sequence_fields == theirs.n_sequence_fields
    values, indices = ours
    assert values is ours.values and indices is ours.indices
    assert repr(ours) == repr(theirs)
    assert repr(minitorch.tensor(x).min(0, True)) == repr(torch.tensor(x).min(0, True))
    assert ours.indices.dtype is minitorch.int64 and not ours.indices.requires_grad


def test_max_indices_do_not_require_grad():
    x = minitorch.tensor(data((2, 3)), requires_grad=True)
    values, indices = x.max(0)
    assert values.requires_grad and values.grad_fn.name() == "MaxBackward0"
    assert not indices.requires_grad and indices.grad_fn is None


# ----- var, std, logsumexp, norm -------------------------------------------------------------------------
STATS = {
    "var": lambda lib, x: x.var(),
    "var_dim": lambda lib, x: x.var(1),
    "var_biased": lambda lib, x: lib.var(x, 1, unbiased=False),
    "var_unbiased_positional": lambda lib, x: x.var(False),
    "var_correction": lambda lib, x: x.var((0, 2), correction=2, keepdim=True),
    "std": lambda lib, x: x.std(),
    "std_dim_keepdim": lambda lib, x: lib.std(x, -1, True, True),
    "std_correction0": lambda lib, x: x.std(dim=0, correction=0),
    "logsumexp": lambda lib, x: x.logsumexp(1),
    "logsumexp_tuple_keepdim": lambda lib, x: lib.logsumexp(x, (0, 2), keepdim=True),
    "norm": lambda lib, x: x.norm(),
    "norm_fro": lambda lib, x: lib.norm(x, "fro"),
    "norm_dim": lambda lib, x: x.norm(dim=1),
    "norm_1_keepdim": lambda lib, x: x.norm(1, 2, True),
    "norm_inf": lambda lib, x: x.norm(math.inf),
    "norm_neg_inf_dim": lambda lib, x: x.norm(-math.inf, (0, 1)),
    "norm_3": lambda lib, x: lib.norm(x, p=3, dim=-1),
    "norm_half": lambda lib, x: x.norm(0.5),
    "norm_0": lambda lib, x: x.norm(0, 1),
    "norm_fro_tuple": lambda lib, x: x.norm("fro", (1, 2)),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", sorted(STATS))
def test_stats_parity(torch, case, dtype):
    compare(torch, STATS[case], data((2, 3, 4), dtype))


@pytest.mark.parametrize("case", sorted(STATS))
def test_stats_gradcheck(case):
    check_grads(STATS[case], data((2, 3, 2)))


def test_logsumexp_is_stable(torch):
    x = np.array([[1e4, 1e4, 0.0], [-1e4, -np.inf, -1e4], [np.inf, 1.0, 2.0]], dtype=np.float32)
    compare(torch, lambda lib, t: t.logsumexp(1), x, grad=False)
    compare(torch, lambda lib, t: t.logsumexp(0), x[:2, :], grad=False)
    compare(torch, lambda lib, t: t.logsumexp(1), data((2, 3), "int64"))


def test_norm_and_std_at_zero(torch):
    """A zero norm or std gets a zero gradient, as in torch (not nan)."""
    for case in ("norm", "norm_dim", "norm_3", "std", "std_dim_keepdim"):
        compare(torch, STATS[case], np.zeros((2, 3, 4)))
    compare(torch, STATS["norm_inf"], np.array([1.0, -3.0, 3.0]))


def test_var_without_degrees_of_freedom(torch):
    """correction >= the number of elements: the value is nan, the gradient follows torch's rules."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in (lambda lib, x: x.var(correction=2), lambda lib, x: x.var(0, correction=2),
                   lambda lib, x: x.std(), lambda lib, x: x.var(-1, keepdim=True)):
            compare(torch, fn, np.array([1.5]))
        compare(torch, lambda lib, x: x.var(correction=3), np.array([1.0, 1.0, 2.0]))


def test_empty_integer_softmax(torch):
    compare(torch, lambda lib, x: x.softmax(0), np.zeros((0, 3), np.int64))


def test_var_degrees_of_freedom_warning(torch):
    for lib in (minitorch, torch):
        with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
            out = lib.tensor([1.0]).var()
        assert math.isnan(out.item())


# ----- softmax, log_softmax --------------------------------------------------------------------------------
SOFTMAX = {
    "softmax": lambda lib, x: x.softmax(1),
    "softmax_neg": lambda lib, x: lib.softmax(x, -1),
    "log_softmax": lambda lib, x: x.log_softmax(0),
    "log_softmax_fn": lambda lib, x: lib.log_softmax(x, dim=2),
    "softmax_dtype": lambda lib, x: lib.softmax(x, 1, dtype=lib.float64),
    "log_softmax_dtype": lambda lib, x: x.log_softmax(-1, dtype=lib.float64),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", sorted(SOFTMAX))
def test_softmax_parity(torch, case, dtype):
    compare(torch, SOFTMAX[case], data((2, 3, 4), dtype))


@pytest.mark.parametrize("case", sorted(SOFTMAX))
def test_softmax_gradcheck(case):
    check_grads(SOFTMAX[case], data((2, 3, 2)))


@pytest.mark.parametrize("case", ["softmax", "log_softmax_fn"])
def test_softmax_large_logits_are_finite(torch, case):
    x = np.array([[[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]]], dtype=np.float32)
    out = compare(torch, SOFTMAX[case], x)[0]
    assert np.isfinite(out.detach().numpy()).all()


def test_softmax_of_integers_with_dtype(torch):
    compare(torch, SOFTMAX["softmax_dtype"], data((2, 3, 4), "int64"))


# ----- all, any ----------------------------------------------------------------------------------------------
LOGICAL = {
    "all": lambda lib, x: x.all(),
    "any": lambda lib, x: lib.any(x),
    "all_dim": lambda lib, x: x.all(1),
    "any_keepdim": lambda lib, x: x.any(-1, keepdim=True),
    "all_tuple": lambda lib, x: lib.all(x, dim=(0, 2)),
}


@pytest.mark.parametrize("dtype", ("bool", "uint8", "int64", "float32"))
@pytest.mark.parametrize("case", sorted(LOGICAL))
def test_all_any_parity(torch, case, dtype):
    x = data((2, 3, 4), dtype)
    x.reshape(-1)[::3] = 1 if dtype != "bool" else True
    compare(torch, LOGICAL[case], x)
    compare(torch, LOGICAL[case], np.ones((2, 3, 4), dtype))


def test_all_any_empty(torch):
    compare(torch, LOGICAL["all"], np.zeros((0,), bool))
    compare(torch, LOGICAL["any"], np.zeros((0, 2), bool))


# ----- autograd bookkeeping ----------------------------------------------------------------------------------
SECOND_BACKWARD = {
    "sum": lambda x: x.sum(),
    "mean": lambda x: x.mean(),
    "cumsum": lambda x: x.cumsum(0).sum(),
    "max": lambda x: x.max(),
    "max_dim": lambda x: x.max(0)[0],
    "amax": lambda x: x.amax(),
    "prod": lambda x: x.prod(),
    "var": lambda x: x.var(),
    "norm": lambda x: x.norm(),
    "logsumexp": lambda x: x.logsumexp(0),
    "softmax": lambda x: x.softmax(0).sum(),
}


@pytest.mark.parametrize("case", sorted(SECOND_BACKWARD))
def test_second_backward_without_retain_graph(torch, case):
    """Ops that save tensors refuse a second backward (torch's error); the others allow it."""
    outcomes = []
    for lib in (minitorch, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        out = SECOND_BACKWARD[case](x)
        out.backward()
        try:
            out.backward()
            outcomes.append(None)
        except RuntimeError as e:
            outcomes.append(str(e))
    assert outcomes[0] == outcomes[1]


def test_reduction_methods_and_functions_are_bound():
    for name in ("sum", "mean", "prod", "cumsum", "max", "min", "amax", "amin", "argmax", "argmin", "var",
                 "std", "logsumexp", "norm", "softmax", "log_softmax", "all", "any"):
        assert callable(getattr(minitorch, name)) and callable(getattr(minitorch.Tensor, name))


def test_numpy_argument_names(torch):
    compare(torch, lambda lib, x: x.sum(axis=1, keepdims=True), data((2, 3, 4)))
    compare(torch, lambda lib, x: lib.max(x, axis=0, keepdims=True), data((2, 3, 4)))
    compare(torch, lambda lib, x: lib.softmax(x, axis=-1), data((2, 3, 4)))
    compare(torch, lambda lib, x: x.std(axis=(0, 1)), data((2, 3, 4)))


@pytest.mark.cuda
@pytest.mark.parametrize("case", sorted(SUMS) + sorted(EXTREMES) + sorted(STATS) + sorted(SOFTMAX)
                         + sorted(LOGICAL))
def test_cuda_matches_cpu(case):
    """Each reduction on the GPU gives the cpu's values, dtypes and gradients."""
    fn = {**SUMS, **EXTREMES, **STATS, **SOFTMAX, **LOGICAL}[case]
    x = data((2, 3, 4))
    results = []
    for device in ("cpu", "cuda"):
        t = minitorch.tensor(x, device=device, requires_grad=True)
        outs = flat(fn(minitorch, t))
        live = [o for o in outs if o.requires_grad]
        grads = minitorch.autograd.grad(live, t, [minitorch.ones_like(o) for o in live],
                                        allow_unused=True) if live else ()
        assert all(o.device.type == device for o in outs)
        results.append(([o.dtype for o in outs], [o.detach().cpu().numpy() for o in outs],
                        [g.cpu().numpy() for g in grads if g is not None]))
    (cpu_dtypes, cpu_values, cpu_grads), (gpu_dtypes, gpu_values, gpu_grads) = results
    assert cpu_dtypes == gpu_dtypes
    for a, b in zip(cpu_values + cpu_grads, gpu_values + gpu_grads):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
