"""Patterns from real PyTorch programs, and inputs a hostile or careless caller sends, each compared with torch:
indexing by any sequence of ints, the range check of `tensor(..., dtype=<integer>)`, negative strides, huge
allocations, empty batches in BatchNorm, unbatched nll_loss and NaN in binary_cross_entropy."""
import array
import collections

import numpy as np
import pytest

import minitorch


def outcome(fn):
    """('ok', dtype name, shape, values) or ('error', exception type name, message)."""
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001 - the exception itself is what is compared
        return ("error", type(e).__name__, str(e))
    return ("ok", str(r.dtype).split(".")[-1], tuple(r.shape), repr(r.tolist()))


def both(torch, fn):
    return outcome(lambda: fn(minitorch)), outcome(lambda: fn(torch))


# ----- indexing by sequences of ints ------------------------------------------------------------------------
SEQUENCES = {
    "range": lambda: range(2, 5),
    "empty range": lambda: range(0),
    "stepped range": lambda: range(7, 0, -3),
    "deque": lambda: collections.deque([1, 3]),
    "array.array": lambda: array.array("l", [4, 0]),
    "negative range": lambda: range(-3, 0),
}


@pytest.mark.parametrize("name", SEQUENCES)
def test_index_by_a_sequence_of_ints(name, torch):
    def read(lib):
        return lib.arange(20.0).reshape(10, 2)[SEQUENCES[name]()]

    def write(lib):
        x = lib.zeros(10)
        x[SEQUENCES[name]()] = 5.0
        return x
    assert both(torch, read)[0][0] == "ok"
    for fn in (read, write):
        mine, theirs = both(torch, fn)
        assert mine == theirs


def test_two_ranges_index_pairs_of_elements(torch):
    def fn(lib):
        return lib.arange(9).reshape(3, 3)[range(3), range(2, -1, -1)]
    mine, theirs = both(torch, fn)
    assert mine == theirs and mine[0] == "ok"


@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence:UserWarning")  # torch's, before its error
def test_index_by_a_string_is_refused(torch):
    mine, theirs = both(torch, lambda lib: lib.arange(3)["a"])
    assert mine[:2] == theirs[:2]


# ----- tensor(): integer range checks, negative strides, out of memory ---------------------------------------
RANGE_VALUES = (-256, -255, -129, -128, -1, 0, 127, 128, 255, 256, 2 ** 31, 2 ** 63 - 1, 2 ** 63, 1.5, -1.5, 300.7,
                float("inf"), float("nan"))


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64", "float16", "float32"])
def test_number_out_of_the_dtype_range(name, torch):
    for value in RANGE_VALUES:
        for data in (value, [0, value]):
            mine, theirs = both(torch, lambda lib: lib.tensor(data, dtype=getattr(lib, name)))
            assert mine[:2] == theirs[:2] and (mine[0] == "error" or mine == theirs), (data, mine, theirs)
            if mine[0] == "error" and mine[1] == "RuntimeError":
                assert mine[2] == theirs[2]


@pytest.mark.parametrize("make", ["from_numpy", "as_tensor", "tensor"])
def test_negative_strides_are_refused(make, torch):
    for arr in (np.arange(5.0)[::-1], np.arange(6).reshape(2, 3)[:, ::-2]):
        mine, theirs = both(torch, lambda lib: getattr(lib, make)(arr))
        assert mine == theirs and mine[:2] == ("error", "ValueError")
    positive = np.arange(6.0)[::2]
    assert both(torch, lambda lib: getattr(lib, make)(positive))[0][0] == "ok"


def test_impossible_allocation_is_torchs_runtime_error(torch):
    for size in ((2 ** 42,), (2 ** 40, 4)):
        mine, theirs = both(torch, lambda lib: lib.empty(*size))
        assert mine[:2] == theirs[:2] == ("error", "RuntimeError")
        assert mine[2] in theirs[2]  # torch prefixes the allocator's source location
        assert both(torch, lambda lib: lib.zeros(size))[0][:2] == ("error", "RuntimeError")


# ----- nn edge cases -------------------------------------------------------------------------------------------
def test_batch_norm_on_an_empty_batch(torch):
    def run(lib):
        bn = lib.nn.BatchNorm1d(3)
        with lib.no_grad():
            bn.weight.fill_(2.0)
            bn.bias.fill_(0.5)
        x = lib.ones(0, 3, requires_grad=True)
        y = bn(x)
        y.sum().backward()
        return (tuple(y.shape), y.grad_fn.name(), bn.running_mean.tolist(), bn.running_var.tolist(),
                int(bn.num_batches_tracked), tuple(x.grad.shape))
    assert run(minitorch) == run(torch)
    for lib in (minitorch, torch):
        with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input "
                                             r"size torch.Size\(\[1, 3\]\)"):
            lib.nn.BatchNorm1d(3)(lib.ones(1, 3))


@pytest.mark.parametrize("target", [[0], [2], 1, [0, 1], [[0]]])
def test_nll_loss_of_unbatched_scores(target, torch):
    for reduction in ("mean", "sum", "none"):
        def fn(lib):
            x = lib.tensor([-1.0, -2.0, -3.0])
            return lib.nn.functional.nll_loss(x, lib.tensor(target), reduction=reduction)
        mine, theirs = both(torch, fn)
        assert mine == theirs
        mine, theirs = both(torch, lambda lib: lib.nn.functional.cross_entropy(lib.tensor([1.0, 2.0, 0.5]),
                                                                               lib.tensor(target)))
        assert mine[:2] == theirs[:2]
        if mine[0] == "ok":
            assert float(mine[3]) == pytest.approx(float(theirs[3]))


def test_nll_loss_of_unbatched_scores_has_a_gradient():
    x = minitorch.tensor([-1.0, -2.0, -3.0], requires_grad=True)
    minitorch.nn.functional.nll_loss(x, minitorch.tensor([2])).backward()
    assert x.grad.tolist() == [0.0, 0.0, -1.0]


def test_binary_cross_entropy_refuses_nan(torch):
    for values in ([float("nan")], [0.5, float("nan")], [1.5], [-0.1]):
        mine, theirs = both(torch, lambda lib: lib.nn.functional.binary_cross_entropy(
            lib.tensor(values), lib.ones(len(values))))
        assert mine == theirs and mine[0] == "error"


@pytest.mark.parametrize("data", [["a"], ["a", 1], [1, "a"], [["a"]], [[1], ["a"]], [1.5, "x"], [True, "x"]])
def test_strings_among_numbers(data, torch):
    mine, theirs = both(torch, lambda lib: lib.tensor(data))
    assert mine == theirs and mine[0] == "error"


def test_collating_a_mixed_int_and_str_batch(torch):
    import torch.utils.data
    from minitorch.utils.data import default_collate
    for batch in ([1, "a"], [(1, 2), ("a", 3)], [{"k": 1}, {"k": "x"}]):
        mine, theirs = outcome(lambda: default_collate(batch)), outcome(lambda: torch.utils.data.default_collate(batch))
        assert mine == theirs and mine[:2] == ("error", "TypeError")


# ----- NumPy's floating-point warnings never reach the user ------------------------------------------------
def overflowing_program(lib):
    """inf and nan made every way a program makes them: methods, functions, operators, in place, nn.functional,
    backward and an optimizer step."""
    F = lib.nn.functional
    x = lib.tensor([0.0, 1000.0, -1.0], requires_grad=True)
    h = lib.tensor([60000.0, 1.0], dtype=lib.float16)
    outs = [lib.log(x), x.exp(), x / 0, x ** 1000, x.sqrt(), lib.log1p(-x - 1), (h * h).sum(), h.var(),
            F.softplus(x * 1e30), F.mse_loss(x * 1e200, -x * 1e200), F.log_softmax(x * 1e308, 0)]
    (lib.log(x) * x.exp()).sum().backward()
    with lib.no_grad():
        y = x.detach().clone()
        y.div_(0)
    optimizer = lib.optim.Adam([x])
    x.grad = lib.tensor([float("inf"), 0.0, 1e308])
    optimizer.step()
    return [o.detach().double().tolist() for o in outs] + [y.tolist(), x.detach().tolist()]


def test_inf_and_nan_results_are_silent_as_in_torch(torch):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a user's "error" (or "default") filter comes before any of minitorch's
        mine = overflowing_program(minitorch)
        theirs = overflowing_program(torch)
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(np.array(a, dtype=float), np.array(b, dtype=float), rtol=1e-6)


def test_silent_after_import_inside_catch_warnings():
    """A filter added at import is dropped when `catch_warnings` exits, as it does around many imports."""
    import subprocess
    import sys
    code = ("import warnings\nwith warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
            "    import minitorch\nwarnings.simplefilter('error')\nfrom tests.test_torch_programs import "
            "overflowing_program\noverflowing_program(minitorch)\nprint('silent')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=__file__.rsplit("/tests/", 1)[0])
    assert done.returncode == 0 and done.stdout == "silent\n", done.stderr


def test_the_users_own_numpy_still_warns():
    import warnings
    overflowing_program(minitorch)
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        np.log(np.zeros(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning, match="overflow"):
            np.exp(np.array([1000.0]))


# ----- half and bfloat16 reductions accumulate in float32 ---------------------------------------------------------
def data_1000(lib, dtype):
    return (lib.arange(1000.0) / 10).to(getattr(lib, dtype))


LOW_PRECISION = {
    "sum": lambda L, x: x.sum(), "mean": lambda L, x: x.mean(), "var": lambda L, x: x.var(),
    "std": lambda L, x: x.std(), "var dim 0": lambda L, x: x.reshape(100, -1).var(0),
    "std dim 1": lambda L, x: x.reshape(100, -1).std(1), "var unbiased=False": lambda L, x: x.var(unbiased=False),
    "cumsum": lambda L, x: x.cumsum(0), "cumsum of ones": lambda L, x: L.ones(3000, dtype=x.dtype).cumsum(0),
    "sum of ones dim 0": lambda L, x: L.ones(3000, 2, dtype=x.dtype).sum(0),
    "mean of ones dim 0": lambda L, x: L.ones(3000, 2, dtype=x.dtype).mean(0),
    "logsumexp": lambda L, x: x.logsumexp(0), "norm": lambda L, x: x.norm(), "norm p=1": lambda L, x: L.norm(x, p=1),
    "norm p=3": lambda L, x: L.norm(x, p=3), "softmax": lambda L, x: (x / 100).softmax(0),
    "log_softmax": lambda L, x: (x / 100).log_softmax(0), "dot": lambda L, x: L.dot(x, x),
    "matmul": lambda L, x: x.reshape(1, -1) @ x.reshape(-1, 1), "mv": lambda L, x: L.mv(x.reshape(1, -1), x),
    "mm": lambda L, x: L.mm(x.reshape(10, -1), x.reshape(-1, 10)),
    "bmm": lambda L, x: L.bmm(x.reshape(2, 5, -1), x.reshape(2, -1, 5)),
    "linear": lambda L, x: L.nn.functional.linear(x.reshape(10, -1), x.reshape(10, -1), x[:10]),
    "layer_norm": lambda L, x: L.nn.functional.layer_norm(x.reshape(10, -1), (100,)),
    "mse_loss": lambda L, x: L.nn.functional.mse_loss(x, x * 0),
    "l1_loss": lambda L, x: L.nn.functional.l1_loss(x, x * 0),
    "smooth_l1_loss": lambda L, x: L.nn.functional.smooth_l1_loss(x, x * 0),
    "cross_entropy": lambda L, x: L.nn.functional.cross_entropy((x / 100).reshape(10, -1),
                                                                L.zeros(10, dtype=L.int64)),
}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", LOW_PRECISION)
def test_low_precision_reductions_accumulate_like_torch(name, dtype, torch):
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes", reason="bfloat16 needs ml_dtypes")
    mine = LOW_PRECISION[name](minitorch, data_1000(minitorch, dtype))
    theirs = LOW_PRECISION[name](torch, data_1000(torch, dtype))
    assert str(mine.dtype) == str(theirs.dtype) and tuple(mine.shape) == tuple(theirs.shape)
    step = 2.0 ** -10 if dtype == "float16" else 2.0 ** -7  # one rounding of the result, relative
    np.testing.assert_allclose(np.array(mine.double().tolist()), np.array(theirs.double().tolist()),
                               rtol=2 * step, atol=1e-6)


def test_the_reported_half_precision_cases(torch):
    assert (minitorch.arange(1000.0) / 10).half().var().item() == 834.0
    assert minitorch.ones(3000, dtype=minitorch.float16).cumsum(0)[-1].item() == 3000.0
    assert (minitorch.arange(1000.0) / 10).half().std().item() == (torch.arange(1000.0) / 10).half().std().item()


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_prod_is_the_rounded_exact_product(dtype):
    """torch multiplies 2-byte floats in their own precision (vectorised, so its rounding errors pile up);
    minitorch accumulates in float32 and rounds once."""
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes", reason="bfloat16 needs ml_dtypes")
    x = data_1000(minitorch, dtype) / 1000 + 1
    exact = np.prod(np.array(x.double().tolist()))
    assert x.prod().dtype is getattr(minitorch, dtype)
    assert x.prod().double().item() == pytest.approx(exact, rel=2.0 ** -7) or not np.isfinite(x.prod().item())


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_gradients_of_reductions(dtype, torch):
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes", reason="bfloat16 needs ml_dtypes")
    grads = []
    for lib in (minitorch, torch):
        x = data_1000(lib, dtype).requires_grad_()
        (x.var() + x.cumsum(0).sum() / 1000 + x.softmax(0).max()).backward()
        grads.append(np.array(x.grad.double().tolist()))
    assert str(x.grad.dtype).endswith(dtype)
    np.testing.assert_allclose(grads[0], grads[1], rtol=0.02, atol=1e-3)
