"""Indexing (tensor[key] reads and writes) and the gather/scatter family: forward and backward parity
with PyTorch (values, dtypes, shapes, grad_fn chains), gradcheck in float64, memory sharing of views,
in-place rules and torch's error messages."""
import warnings

import numpy as np
import pytest

import minitorch

from ._ops_parity import check_grads, compare, cuda_matches_cpu, data, same_error

DTYPES = ("float32", "float64", "int64")


def chain(t):
    """The grad_fn names from `t` back along first inputs, as torch records them."""
    names, fn = [], t.grad_fn
    while fn is not None and fn.next_functions:
        names.append(fn.name())
        fn = fn.next_functions[0][0]
    return names


# ----- reading ----------------------------------------------------------------------------------------------
GETITEM = {
    "int": lambda lib, x: x[1],
    "negative_int": lambda lib, x: x[-1, -2],
    "int_slice": lambda lib, x: x[0, 1:3],
    "slice_steps": lambda lib, x: x[::2, 1::2, :4:3],
    "bare_full_slice": lambda lib, x: x[:],
    "full_slices": lambda lib, x: x[:, :, 0:5],
    "slice_past_end": lambda lib, x: x[1:10, -2:],
    "empty_slice": lambda lib, x: x[2:1],
    "ellipsis": lambda lib, x: x[...],
    "ellipsis_int": lambda lib, x: x[..., 1],
    "int_ellipsis_int": lambda lib, x: x[0, ..., 1],
    "none": lambda lib, x: x[None],
    "none_middle": lambda lib, x: x[:, None, 1],
    "ellipsis_none": lambda lib, x: x[..., None],
    "empty_tuple": lambda lib, x: x[()],
    "zero_dim_int_tensor": lambda lib, x: x[lib.tensor(1)],
    "numpy_int": lambda lib, x: x[np.int64(2), np.array(1)],
    "list": lambda lib, x: x[[0, 2]],
    "repeated_list": lambda lib, x: x[[0, 2, 0, 0]],
    "negative_list": lambda lib, x: x[[-1, 0]],
    "long_tensor": lambda lib, x: x[lib.tensor([2, 0, 2])],
    "int_tensor": lambda lib, x: x[:, lib.tensor([1, 1], dtype=lib.int32)],
    "2d_index": lambda lib, x: x[lib.tensor([[0, 1], [2, 0]])],
    "numpy_index": lambda lib, x: x[np.array([1, 1])],
    "empty_list": lambda lib, x: x[[]],
    "int_and_list": lambda lib, x: x[0, [0, 3, 0]],
    "int_slice_list": lambda lib, x: x[0, :, [0, 1]],
    "slice_and_list": lambda lib, x: x[1:, [0, 2]],
    "two_lists": lambda lib, x: x[[0, 1], [1, 2]],
    "lists_apart": lambda lib, x: x[[0, 1], :, [1, 2]],
    "lists_adjacent_after_slice": lambda lib, x: x[:, [0, 1], [1, 4]],
    "broadcast_lists": lambda lib, x: x[[0, 2], [[0], [1]]],
    "none_and_list": lambda lib, x: x[:, None, [0, 1]],
    "list_none_list": lambda lib, x: x[[0, 1], None, [1, 2]],
    "mask": lambda lib, x: x[x > 0],
    "mask_2d": lambda lib, x: x[x[:, :, 0] > 0],
    "mask_after_slice": lambda lib, x: x[:, x[0, :, 0] > 0],
    "mask_after_int": lambda lib, x: x[1, x[0] > 0],
    "mask_and_list": lambda lib, x: x[lib.tensor([True, False, True]), :, [1, 3]],
    "list_of_bools": lambda lib, x: x[[True, False, True]],
    "numpy_mask": lambda lib, x: x[np.array([False, True, True])],
    "true": lambda lib, x: x[True],
    "false": lambda lib, x: x[False],
    "zero_dim_bool_tensor": lambda lib, x: x[lib.tensor(True), 1],
    "slice_tensor_bounds": lambda lib, x: x[lib.tensor(1):lib.tensor(3)],
    "sequence_as_tuple": lambda lib, x: x[[[0, 1]]],
    "scalar_none": lambda lib, x: x[0, 0, 0][None],
    "scalar_ellipsis": lambda lib, x: x[0, 0, 0][...],
    "whole_slices_in_tuple": lambda lib, x: x[0:3, :10, -5:],
    "empty_result_skips_bounds": lambda lib, x: x[[7, -9], 2:2],
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", GETITEM)
def test_getitem_parity(torch, case, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(torch, GETITEM[case], data((3, 4, 5), dtype))


@pytest.mark.parametrize("case", GETITEM)
def test_getitem_chain(torch, case):
    """The same sequence of nodes (SelectBackward0, SliceBackward0, UnsqueezeBackward0, IndexBackward0 ...)."""
    seen = []
    for lib in (minitorch, torch):
        x = lib.tensor(data((3, 4, 5)), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seen.append(chain(GETITEM[case](lib, x)))
    assert seen[0] == [n.replace("torch::autograd::", "") for n in seen[1]]


@pytest.mark.parametrize("case", [c for c in GETITEM if c not in ("false", "empty_slice", "empty_list",
                                                                  "empty_result_skips_bounds")])
def test_getitem_gradcheck(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_grads(GETITEM[case], data((3, 4, 5)))


def test_repeated_indices_accumulate(torch):
    x = minitorch.ones(3, requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    compare(torch, lambda lib, x: x[[[0, 0], [1, 0]], [2, 2]], data((3, 4)))


def test_deprecated_sequence_index_warns(torch):
    for lib in (minitorch, torch):
        with pytest.warns(UserWarning, match="Using a non-tuple sequence for multidimensional indexing"):
            lib.zeros(3, 4)[[[0, 1]]]


def test_uint8_index_is_a_mask_with_warning(torch):
    for lib in (minitorch, torch):
        with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
            assert lib.arange(3)[lib.tensor([1, 0, 1], dtype=lib.uint8)].tolist() == [0, 2]


VIEW_KEYS = {"int": 1, "slice": (slice(1, None), slice(None, None, 2)), "none": (None, 0), "ellipsis": Ellipsis,
             "bare_slice": slice(None), "ints": (0, 1), "list": [0, 2], "mask": (np.array([True, False, True]),)}


@pytest.mark.parametrize("case", VIEW_KEYS)
def test_getitem_views_share_memory(torch, case):
    """Basic indexing gives views (writes reach the base, in both directions); index arrays give copies."""
    seen = []
    for lib in (minitorch, torch):
        base = lib.arange(12.0).reshape(3, 4)
        v = base[VIEW_KEYS[case]]
        v.mul_(10)
        base.add_(1)
        seen.append((base.tolist(), v.tolist(), v._is_view()))
    assert seen[0] == seen[1]


# ----- writing ----------------------------------------------------------------------------------------------
def _set(key, value_shape=None, value=None):
    """fn(lib, x[, v]): y = x * 1 (a non-leaf), y[key] = v (or a number), return y."""
    def fn(lib, x, *v):
        y = x * 1
        y[key(lib, y) if callable(key) else key] = v[0] if v else value
        return y
    return fn, value_shape


SETITEM = {
    "int_number": _set(0, value=5.0),
    "int_tensor": _set(1, (4, 5)),
    "int_broadcast": _set((slice(None), 1), (5,)),
    "slices": _set((slice(1, None), slice(None, None, 2)), (2, 1, 5)),
    "leading_ones_dropped": _set(0, (1, 1, 4, 5)),
    "none": _set(None, (3, 4, 5)),
    "ellipsis": _set(Ellipsis, (5,)),
    "bare_slice": _set(slice(None), (4, 1)),
    "list": _set([0, 2], (4, 5)),
    "list_number": _set([2, 0], value=-1.0),
    "int_and_list": _set((0, [1, 3]), (2, 5)),
    "lists": _set(([0, 1], slice(None), [1, 2]), (4,)),
    "mask_number": _set(lambda lib, y: y > 0, value=0.0),
    "mask_tensor": _set(lambda lib, y: y < 0, ()),
    "mask_rows": _set(lambda lib, y: lib.tensor([True, False, True]), (5,)),
    "true": _set(True, (3, 4, 5)),
    "zero_dim_index": _set(lambda lib, y: lib.tensor(2), value=3.0),
    "whole_number": _set(Ellipsis, value=2.0),
    "whole_zero_dim": _set(slice(None), ()),
    "false": _set(False, (2,)),
    "mask_fill_other_dtype": _set(lambda lib, y: y > 0, (1, 1)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", SETITEM)
def test_setitem_parity(torch, case, dtype):
    fn, vshape = SETITEM[case]
    arrays = [data((3, 4, 5), dtype)] + ([data(vshape, dtype, seed=1)] if vshape is not None else [])
    compare(torch, fn, *arrays)


@pytest.mark.parametrize("case", SETITEM)
def test_setitem_gradcheck(case):
    fn, vshape = SETITEM[case]
    check_grads(fn, data((3, 4, 5)), *([data(vshape, seed=1)] if vshape is not None else []))


@pytest.mark.parametrize("case", SETITEM)
def test_setitem_node(torch, case):
    """CopySlices, IndexPutBackward0 or CopyBackwards, with torch's next_functions."""
    fn, vshape = SETITEM[case]
    seen = []
    for lib in (minitorch, torch):
        x = lib.tensor(data((3, 4, 5)), requires_grad=True)
        v = [lib.tensor(data(vshape, seed=1), requires_grad=True)] if vshape is not None else []
        node = fn(lib, x, *v).grad_fn
        seen.append((node.name(), type(node).__name__,
                     [f.name() if f is not None else None for f, _ in node.next_functions]))
    assert seen[0] == seen[1]


def test_setitem_value_dtype_and_device(torch):
    compare(torch, _set(0, (4, 5))[0], data((3, 4, 5), "float32"), data((4, 5), "float64"))
    compare(torch, _set(lambda lib, y: y > 0, ())[0], data((3, 4, 5), "float64"), data((), "float32"))
    compare(torch, _set(0, value=2.7)[0], data((3, 4, 5), "int64"))
    compare(torch, _set(0, ())[0], data((3, 4, 5), "int64"), data((), "float64"), grad=False)


def test_setitem_into_constant_tracks_value(torch):
    def fn(lib, v):
        out = lib.zeros(3, 4, dtype=v.dtype)
        out[1] = v
        out[[0, 2], 1:3] = v[:2] * 2
        return out
    compare(torch, fn, data((4,)))
    check_grads(fn, data((4,)))


def _chained_setitem(lib, w, x):
    out = lib.zeros(3, 4, dtype=w.dtype)
    for i in range(3):
        out[i][1:] = w[i] * x
        out[i][0] = x.sum()
    return out


def _setitem_through_views(lib, x, v):
    y = x * 2
    y.t()[1:][0] = v[:3]
    y.unsqueeze(0)[0, 2, [0, 3]] = v[2:]
    return y


@pytest.mark.parametrize("fn,shapes", [(_chained_setitem, [(3,), (3,)]), (_setitem_through_views, [(3, 4), (4,)])])
def test_setitem_on_views_updates_the_base(torch, fn, shapes):
    """x[i][j] = v writes through a view of x; as in torch, x's history (CopySlices) then includes it."""
    arrays = [data(s, seed=i) for i, s in enumerate(shapes)]
    compare(torch, fn, *arrays)
    check_grads(fn, *arrays)


def test_setitem_writes_show_in_views(torch):
    seen = []
    for lib in (minitorch, torch):
        base = lib.zeros(3, 4)
        row, col = base[1], base[:, 2]
        base[1, 2] = 7.0
        base[[0, 2], 0] = lib.tensor([1.0, 2.0])
        row[0] = -1.0
        seen.append((base.tolist(), row.tolist(), col.tolist(), base._version, row._version))
    assert seen[0] == seen[1]


def test_setitem_no_grad_on_leaf(torch):
    w = minitorch.zeros(2, 3, requires_grad=True)
    with minitorch.no_grad():
        w[0] = 1.0
        w[[1]] = 2.0
    assert w.tolist() == [[1.0] * 3, [2.0] * 3] and w.grad_fn is None and w.requires_grad


# ----- gather / scatter / masks -------------------------------------------------------------------------------
IDX = [[0, 3], [2, 2], [1, 0]]  # rows of a (3, 4) input, repeated entries included
PERM = [[3, 0], [1, 2], [0, 1]]  # no repeats within a row: scatter's result is well defined
OPS = {
    "gather": (lambda lib, x: x.gather(1, lib.tensor(IDX)), [(3, 4)]),
    "gather_dim0": (lambda lib, x: lib.gather(x, 0, lib.tensor([[0, 2, 2, 1]])), [(3, 4)]),
    "gather_int32": (lambda lib, x: x.gather(-1, lib.tensor(IDX, dtype=lib.int32)), [(3, 4)]),
    "gather_wider_index": (lambda lib, x: x.gather(1, lib.tensor([[0, 1, 1, 1, 0, 3]])), [(3, 4)]),
    "scatter_src": (lambda lib, x, s: x.scatter(1, lib.tensor(PERM), s), [(3, 4), (3, 2)]),
    "scatter_value": (lambda lib, x: lib.scatter(x, 1, lib.tensor(PERM), 2.5), [(3, 4)]),
    "scatter_add": (lambda lib, x, s: x.scatter_add(1, lib.tensor(IDX), s), [(3, 4), (3, 2)]),
    "scatter_add_dim0": (lambda lib, x, s: lib.scatter_add(x, 0, lib.tensor([[0, 0, 2, 0]]), s), [(3, 4), (1, 4)]),
    "index_select": (lambda lib, x: x.index_select(1, lib.tensor([3, 0, 3])), [(3, 4)]),
    "index_select_int32": (lambda lib, x: lib.index_select(x, 0, lib.tensor([2, 2], dtype=lib.int32)), [(3, 4)]),
    "index_select_0d": (lambda lib, x: x.index_select(1, lib.tensor(1)), [(3, 4)]),
    "index_add": (lambda lib, x, s: x.index_add(0, lib.tensor([0, 2, 0]), s), [(3, 4), (3, 4)]),
    "index_add_alpha": (lambda lib, x, s: lib.index_add(x, 1, lib.tensor([1, 1]), s, alpha=2), [(3, 4), (3, 2)]),
    "masked_fill": (lambda lib, x: x.masked_fill(x > 0, -1.0), [(3, 4)]),
    "masked_fill_broadcast": (lambda lib, x: x.masked_fill(lib.tensor([True, False, False, True], device=x.device), 0),
                              [(3, 4)]),
    "masked_fill_grows": (lambda lib, x: lib.masked_fill(x, lib.tensor([[True], [False]], device=x.device), 3),
                          [(4,)]),
    "masked_fill_tensor": (lambda lib, x, v: x.masked_fill(x < 0, v), [(3, 4), ()]),
    "masked_select": (lambda lib, x: x.masked_select(x > 0), [(3, 4)]),
    "masked_select_broadcast": (
        lambda lib, x: lib.masked_select(x, lib.tensor([True, False, True, True], device=x.device)), [(3, 4)]),
    "masked_select_grows": (
        lambda lib, x: x.masked_select(lib.tensor([[True], [False], [True]], device=x.device)), [(4,)]),
    "take": (lambda lib, x: x.take(lib.tensor([[0, 11], [-1, 0]])), [(3, 4)]),
    "take_transposed": (lambda lib, x: lib.take(x.t(), lib.tensor([1, 4])), [(3, 4)]),
    "masked_fill_inplace": (lambda lib, x: (x * 1).masked_fill_(x > 0, 2.0), [(3, 4)]),
    "scatter_inplace": (lambda lib, x, s: (x * 1).scatter_(1, lib.tensor(PERM), s), [(3, 4), (3, 2)]),
    "scatter_add_inplace": (lambda lib, x, s: (x * 1).scatter_add_(1, lib.tensor(IDX), s), [(3, 4), (3, 2)]),
    "index_add_inplace": (lambda lib, x, s: (x * 1).index_add_(0, lib.tensor([1, 1]), s), [(3, 4), (2, 4)]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", OPS)
def test_ops_parity(torch, case, dtype):
    fn, shapes = OPS[case]
    compare(torch, fn, *[data(s, dtype, seed=i) for i, s in enumerate(shapes)])


@pytest.mark.parametrize("case", OPS)
def test_ops_gradcheck(case):
    fn, shapes = OPS[case]
    check_grads(fn, *[data(s, seed=i) for i, s in enumerate(shapes)])


def test_scatter_reads_the_leading_block_of_a_larger_src(torch):
    compare(torch, lambda lib, x, s: x.scatter(1, lib.tensor(PERM), s), data((3, 4)), data((4, 3)), grad=False)
    compare(torch, lambda lib, x, s: x.scatter_add(0, lib.tensor([[0, 2]]), s), data((3, 4)), data((2, 3)),
            grad=False)


def test_masked_fill_int_with_float_value(torch):
    compare(torch, lambda lib, x: x.masked_fill(x > 0, 2.5), data((3, 4), "int64"))
    compare(torch, lambda lib, x: x.masked_fill(x > 0, True), data((3, 4), "float32"))


def test_scatter_reduce_forward_and_missing_derivative(torch):
    for reduce in ("add", "multiply"):
        compare(torch, lambda lib, x: x.scatter(1, lib.tensor(IDX), 2.0, reduce=reduce), data((3, 4)), grad=False)
    seen = []
    for lib in (minitorch, torch):
        y = lib.ones(3, 4, requires_grad=True).scatter(1, lib.tensor(IDX), 2.0, reduce="add")
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        seen.append((y.grad_fn.name(), str(info.value)))
    assert seen[0] == seen[1]


NONZERO = {
    "nonzero": lambda lib, x: x.nonzero(),
    "nonzero_tuple": lambda lib, x: lib.nonzero(x, as_tuple=True),
    "nonzero_0d": lambda lib, x: x[0, 0].nonzero(),
    "nonzero_0d_tuple": lambda lib, x: x[0, 1].nonzero(as_tuple=True),
    "argwhere": lambda lib, x: lib.argwhere(x),
    "where_condition": lambda lib, x: lib.where(x > 0),
}


@pytest.mark.parametrize("dtype", ("float32", "int64", "bool"))
@pytest.mark.parametrize("case", NONZERO)
def test_nonzero(torch, case, dtype):
    arr = data((3, 4), dtype)
    arr[0, 0], arr[0, 1] = 0, 1
    compare(torch, NONZERO[case], arr, grad=False)


def test_second_backward(torch):
    """Ops that keep index tensors for backward free them after it (torch's error); views do not."""
    seen = []
    for lib in (minitorch, torch):
        row = []
        for fn in (lambda x: x[1:], lambda x: x[[0, 0]], lambda x: x.gather(1, lib.tensor([[0], [1]])),
                   lambda x: x.masked_fill(x > 0, 1.0), lambda x: x.index_select(0, lib.tensor([1]))):
            y = fn(lib.ones(2, 3, requires_grad=True)).sum()
            y.backward()
            try:
                y.backward()
                row.append("ok")
            except RuntimeError as e:
                row.append(str(e)[:60])
        seen.append(row)
    assert seen[0] == seen[1]


# ----- errors -------------------------------------------------------------------------------------------------
ERRORS = {
    "index_range": lambda lib, x: x[5],
    "index_negative_range": lambda lib, x: x[-4],
    "index_second_dim": lambda lib, x: x[0, 4],
    "too_many": lambda lib, x: x[0, 0, 0, 0],
    "list_range": lambda lib, x: x[[5]],
    "list_negative_range": lambda lib, x: x[[-4]],
    "list_range_later_dim": lambda lib, x: x[:, [7]],
    "lists_range_second": lambda lib, x: x[:, [0], [7]],
    "tensor_range": lambda lib, x: x[lib.tensor(5)],
    "float_tensor": lambda lib, x: x[lib.tensor([0.0, 1.0])],
    "float_0d_tensor": lambda lib, x: x[0, lib.tensor(1.0)],
    "int16_tensor": lambda lib, x: x[lib.tensor([0, 1], dtype=lib.int16)],
    "float": lambda lib, x: x[1.0],
    "string": lambda lib, x: x["a"],
    "mask_shape": lambda lib, x: x[lib.ones(2, dtype=lib.bool)],
    "mask_shape_2d": lambda lib, x: x[lib.ones(3, 5, dtype=lib.bool)],
    "mask_shape_after_slice": lambda lib, x: x[:, lib.ones(4, 4, dtype=lib.bool)],
    "mask_shape_after_int": lambda lib, x: x[0, lib.ones(3, dtype=lib.bool)],
    "broadcast": lambda lib, x: x[[0, 1], [0, 1, 2]],
    "negative_step": lambda lib, x: x[::-1],
    "zero_step": lambda lib, x: x[::0],
    "0d_int": lambda lib, x: x[0, 0, 0][0],
    "set_leaf_view": lambda lib, x: x.__setitem__(0, 1.0),
    "set_leaf_index": lambda lib, x: x.__setitem__([0], 1.0),
    "set_leaf_full": lambda lib, x: x.__setitem__(slice(None), 1.0),
    "set_shape": lambda lib, x: (x * 1).__setitem__(0, lib.ones(3)),
    "set_shape_extra_dims": lambda lib, x: (x * 1).__setitem__(0, lib.ones(2, 4, 5)),
    "set_shape_advanced": lambda lib, x: (x * 1).__setitem__([0, 1], lib.ones(3, 4, 5)),
    "set_advanced_dtype": lambda lib, x: (x * 1).__setitem__([0], lib.ones(4, 5).float()),
    "set_two_masks_dtype": lambda lib, x: (x * 1).__setitem__((x[:, 0, 0] > 9, x[0, :, 0] > 9), lib.ones(1).float()),
    "set_shape_before_bounds": lambda lib, x: (x * 1).__setitem__([7], lib.ones(2, 2)),
    "set_list": lambda lib, x: (x * 1).__setitem__(0, [1.0]),
    "set_numpy": lambda lib, x: (x * 1).__setitem__(0, np.ones(5)),
    "gather_float_index": lambda lib, x: x.gather(1, lib.tensor([[0.0]])),
    "gather_range": lambda lib, x: x.gather(1, lib.tensor([[[4]]])),
    "gather_negative": lambda lib, x: x.gather(1, lib.tensor([[[-1]]])),
    "gather_ndim": lambda lib, x: x.gather(1, lib.tensor([0])),
    "gather_size": lambda lib, x: x.gather(1, lib.zeros(4, 1, 1, dtype=lib.long)),
    "gather_dim": lambda lib, x: x.gather(3, lib.zeros(1, 1, 1, dtype=lib.long)),
    "scatter_dtype": lambda lib, x: x.scatter(1, lib.zeros(1, 1, 1, dtype=lib.long), lib.ones(1, 1, 1).float()),
    "scatter_src_size": lambda lib, x: x.scatter(1, lib.zeros(2, 2, 1, dtype=lib.long), lib.ones(1, 1, 1)),
    "scatter_size": lambda lib, x: x.scatter(1, lib.zeros(4, 1, 1, dtype=lib.long), 1.0),
    "scatter_ndim": lambda lib, x: x.scatter(1, lib.zeros(4, dtype=lib.long), 1.0),
    "scatter_range": lambda lib, x: x.scatter(2, lib.tensor([[[5]]]), 1.0),
    "scatter_index_dtype": lambda lib, x: x.scatter(2, lib.tensor([[[0.0]]]), 1.0),
    "scatter_reduce": lambda lib, x: x.scatter(2, lib.tensor([[[0]]]), 1.0, reduce="mean"),
    "scatter_add_range": lambda lib, x: x.scatter_add(2, lib.tensor([[[-1]]]), lib.ones(1, 1, 1)),
    "index_select_2d": lambda lib, x: x.index_select(0, lib.tensor([[0]])),
    "index_select_dtype": lambda lib, x: x.index_select(0, lib.tensor([0.0])),
    "index_select_range": lambda lib, x: x.index_select(1, lib.tensor([4])),
    "index_select_negative": lambda lib, x: x.index_select(1, lib.tensor([-1])),
    "index_add_dtype": lambda lib, x: x.index_add(0, lib.tensor([0]), lib.ones(1, 4, 5).float()),
    "index_add_index_dtype": lambda lib, x: x.index_add(0, lib.tensor([0.0]), lib.ones(1, 4, 5)),
    "index_add_shape": lambda lib, x: x.index_add(0, lib.tensor([0]), lib.ones(1, 4, 4)),
    "index_add_count": lambda lib, x: x.index_add(0, lib.tensor([0, 1, 2]), lib.ones(1, 4, 5)),
    "index_add_range": lambda lib, x: x.index_add(0, lib.tensor([3]), lib.ones(1, 4, 5)),
    "masked_fill_uint8": lambda lib, x: x.masked_fill(lib.ones(5, dtype=lib.uint8), 1.0),
    "masked_fill_long": lambda lib, x: x.masked_fill(lib.ones(5, dtype=lib.long), 1.0),
    "masked_fill_float": lambda lib, x: x.masked_fill(lib.ones(5), 1.0),
    "masked_fill_value_dims": lambda lib, x: x.masked_fill(x > 0, lib.ones(1)),
    "masked_fill_broadcast": lambda lib, x: x.masked_fill(lib.ones(4, dtype=lib.bool), 1.0),
    "masked_fill_inplace_shape": lambda lib, x: (x * 1).masked_fill_(lib.ones(2, 3, 4, 5, dtype=lib.bool), 1.0),
    "masked_select_dtype": lambda lib, x: x.masked_select(lib.ones(5, dtype=lib.uint8)),
    "masked_select_broadcast": lambda lib, x: x.masked_select(lib.ones(3, dtype=lib.bool)),
    "take_range": lambda lib, x: x.take(lib.tensor([60])),
    "take_negative_range": lambda lib, x: x.take(lib.tensor([-61])),
    "take_dtype": lambda lib, x: x.take(lib.tensor([0], dtype=lib.int32)),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors(torch, case):
    def fn(lib, x):
        x.requires_grad_(case.startswith("set_leaf"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ERRORS[case](lib, x)
    same_error(torch, fn, data((3, 4, 5)))


@pytest.mark.cuda
@pytest.mark.parametrize("case", ["int_slice", "slice_steps", "none_middle", "repeated_list", "long_tensor",
                                  "lists_apart", "broadcast_lists", "mask", "mask_and_list", "numpy_mask", "false"])
def test_getitem_cuda_matches_cpu(case):
    cuda_matches_cpu(GETITEM[case], data((3, 4, 5)))


@pytest.mark.cuda
@pytest.mark.parametrize("case", SETITEM)
def test_setitem_cuda_matches_cpu(case):
    fn, vshape = SETITEM[case]
    cuda_matches_cpu(fn, data((3, 4, 5)), *([data(vshape, seed=1)] if vshape is not None else []))


@pytest.mark.cuda
@pytest.mark.parametrize("case", OPS)
def test_ops_cuda_matches_cpu(case):
    fn, shapes = OPS[case]
    cuda_matches_cpu(fn, *[data(s, seed=i) for i, s in enumerate(shapes)])


@pytest.mark.cuda
def test_cuda_nonzero_and_cpu_indices():
    x = minitorch.tensor(data((3, 4)), device="cuda")
    assert x.nonzero().device.type == "cuda"
    assert x[x > 0].tolist() == x.cpu()[x.cpu() > 0].tolist()
    assert x[minitorch.tensor([2, 0])].tolist() == x.cpu()[[2, 0]].tolist()
