"""More index-based writes: index_copy, index_fill, index_put, masked_scatter, put, scatter_reduce and
fill_diagonal_. Each returns a new tensor (the in-place forms write it back); each forward is followed by its
backward: the written positions take their gradient from the source, the others from the input."""
import numpy as np

from .. import _dtype
from .._device import array_module
from ..backends.meta import has_data
from .._tensor import Tensor
from ._core import broadcast_shapes, check_same_device, make, sum_to
from .index import (_add_at, _index_array, _multiply_at, _scatter_gather_key, _src_part, _vector_key, gather,
                    index_select, masked_fill, masked_select)
from .pointwise import eq, where

_REDUCE_NAMES = ("sum", "prod", "mean", "amax", "amin")


def _checked_vector(fn, input, dim, index):
    """(dim, key) for an index along dim, with torch's dtype and bounds checks."""
    if index.dtype is not _dtype.int64:
        raise RuntimeError(f"{fn}(): Expected a long tensor for index, but got {index.dtype.scalar_name}")
    if index.ndim > 1:
        raise IndexError(f"{fn}(): Index is supposed to be a vector")
    d, key = _vector_key(input, dim, index)
    size = (input._data.shape or (1,))[d]
    idx = key[d]
    bad = (idx < -size) | (idx >= size)
    if bad.any():
        raise IndexError(f"index {int(idx[bad][0])} is out of bounds for dimension {d} with size {size}")
    return d, key


def _zeroed_at(g, key):
    """g with the positions of `key` set to zero (a constant mask, so differentiable)."""
    mask = array_module(g._data).ones(g._data.shape or (1,), bool)
    mask[key] = False
    return g * Tensor._wrap(mask.reshape(g._data.shape))


def index_copy(input, dim, index, source):
    """A copy of input with the slices at `index` along dim replaced by those of `source`."""
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{input.dtype.scalar_name} and (source) {source.dtype.scalar_name}")
    d, key = _checked_vector("index_copy_", input, dim, index)
    if source.ndim and source.shape[d] != key[d].size or (input.ndim != source.ndim and source.ndim):
        raise IndexError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination slice "
                         f"shape: {list(input.shape[:d] + input.shape[d + 1:])} at dimension {d} and source slice "
                         f"shape: {list(source.shape[:d] + source.shape[d + 1:])} at dimension 0.")
    out = input._data.reshape(input._data.shape or (1,)).copy()
    out[key] = source._data.reshape(source._data.shape or (1,))

    def backward(g):
        return (_zeroed_at(g, key) if input._requires_grad else None,
                index_select(g, d, index).reshape(source.shape) if source._requires_grad else None)
    return make(out.reshape(input._data.shape), "IndexCopyBackward0", (input, source), backward, saves=(index,))


def index_fill(input, dim, index, value):
    """A copy of input with the slices at `index` along dim set to `value` (a number or a 0-d tensor)."""
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s).")
    d, key = _checked_vector("index_fill_", input, dim, index)
    out = input._data.reshape(input._data.shape or (1,)).copy()
    out[key] = value._data if isinstance(value, Tensor) else value
    vt = value if isinstance(value, Tensor) else None

    def backward(g):
        grads = [_zeroed_at(g, key) if input._requires_grad else None]
        if vt is not None:
            grads.append(index_select(g, d, index).sum() if vt._requires_grad else None)
        return tuple(grads)
    name = "IndexFillBackward1" if vt is not None else "IndexFillBackward0"
    return make(out.reshape(input._data.shape), name, (input,) + ((vt,) if vt is not None else ()), backward,
                saves=(index,))


def index_put(input, indices, values, accumulate=False):
    """A copy of input with values written at input[indices] (a tuple of index tensors), or added with
    accumulate=True (repeated positions then add up)."""
    if values.dtype is not input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{input.dtype.scalar_name} for the destination and {values.dtype.scalar_name} for the "
                           "source.")
    if len(indices) > max(input.ndim, 1):
        raise IndexError(f"too many indices for tensor of dimension {input.ndim} (got {len(indices)})")
    key = tuple(_index_array(i, input._data) if i is not None else slice(None) for i in indices)
    out = input._data.copy()
    region = out[key].shape
    vals = array_module(out).broadcast_to(values._data, region)
    if accumulate:
        _add_at(out, key, vals)
    else:
        out[key] = vals

    def backward(g):
        gi = (g if accumulate else _zeroed_at(g, key)) if input._requires_grad else None
        gv = sum_to(g[tuple(i for i in indices)], values.shape) if values._requires_grad else None
        return gi, gv
    return make(out, "IndexPutBackward0", (input, values), backward, saves=False)


def masked_scatter(input, mask, source):
    """A copy of input (broadcast with mask) with the elements of `source`, in order, where mask is True."""
    if mask.dtype is not _dtype.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.scalar_name}")
    if source.dtype is not input.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got "
                           f"{input.dtype.scalar_name} and {source.dtype.scalar_name}")
    check_same_device(input, mask)
    shape = broadcast_shapes(input.shape, mask.shape)
    xp = array_module(input._data)
    m = xp.broadcast_to(_index_array(mask, input._data), shape)
    out = xp.broadcast_to(input._data, shape).copy()
    if has_data(m):  # meta: which elements change is not known, the result's shape is
        count = int(m.sum())
        if count > source.numel():
            raise RuntimeError("Number of elements of source < number of ones in mask")
        out[m] = source._data.reshape(-1)[:count]
    full_mask = Tensor._wrap(xp.asarray(m))

    def backward(g):
        gi = sum_to(masked_fill(g, full_mask, 0), input.shape) if input._requires_grad else None
        gs = None
        if source._requires_grad:
            picked = masked_select(g, full_mask)
            flat = xp.zeros(source.numel(), g._data.dtype)
            gs = _into_front(picked, flat).reshape(source.shape)
        return gi, gs
    return make(out, "MaskedScatterBackward0", (input, source), backward, saves=False)


def _into_front(values, zeros):
    """`values` (1-D) followed by `zeros` beyond them, differentiably."""
    n = values.shape[0]
    out = zeros.copy()
    out[:n] = values._data
    return make(out, "ConstantPadNdBackward0", (values,), lambda g: (g[:n],), saves=False)


def put(input, index, source, accumulate=False):
    """A copy of input, read as a flat array, with `source` written (or added) at the flat `index`."""
    if index.dtype is not _dtype.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {index.dtype.scalar_name}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{input.dtype.scalar_name} and source.dtype = {source.dtype.scalar_name}")
    if index.numel() != source.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    n = input.numel()
    idx = _index_array(index, input._data).reshape(-1)
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {int(idx[bad][0])} on a tensor of {n} elements.")
    out = input._data.copy().reshape(-1)
    key = (idx % n if n else idx,)
    if accumulate:
        _add_at(out, key, source._data.reshape(-1))
    else:
        out[key] = source._data.reshape(-1)

    def backward(g):
        flat = g.reshape(-1)
        gi = (g if accumulate else _zeroed_at(flat, key).reshape(input.shape)) if input._requires_grad else None
        gs = flat[Tensor._wrap(key[0])].reshape(source.shape) if source._requires_grad else None
        return gi, gs
    return make(out.reshape(input._data.shape), "PutBackward0", (input, source), backward, saves=False)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """input with the elements of src reduced into the positions index names along dim: reduce is 'sum',
    'prod', 'mean', 'amax' or 'amin'; with include_self=False the input's own values there are left out."""
    if reduce not in _REDUCE_NAMES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    d, key = _scatter_gather_key("scatter", input, dim, index, src)
    xp = array_module(input._data)
    data = input._data.reshape(input._data.shape or (1,))
    values = _src_part(src, index)
    out = data.copy()
    hit = xp.zeros(out.shape, np.int64)
    _add_at(hit, key, xp.ones(values.shape, np.int64))
    touched = hit > 0
    if not include_self:
        identity = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
        if out.dtype.kind in "iub" and reduce in ("amax", "amin"):
            info = np.iinfo(out.dtype) if out.dtype.kind != "b" else None
            identity = (info.min if reduce == "amax" else info.max) if info else reduce == "amin"
        out[touched] = identity
    if reduce in ("sum", "mean"):
        _add_at(out, key, values)
        if reduce == "mean":
            count = hit + (1 if include_self else 0)
            count = xp.maximum(count, 1)
            out = (out / count).astype(out.dtype) if out.dtype.kind == "f" else out // count
    elif reduce == "prod":
        _multiply_at(out, key, values)
    else:
        (xp.maximum if reduce == "amax" else xp.minimum).at(out, key, values)
    result = out.reshape(input._data.shape)
    counts = Tensor._wrap(hit.reshape(input._data.shape))

    def backward(g):
        return _scatter_reduce_grads(g, input, d, index, src, reduce, include_self, Tensor._wrap(result), counts)
    return make(result, "ScatterReduceBackward0", (input, src), backward, saves=(index,))


def _scatter_reduce_grads(g, input, d, index, src, reduce, include_self, result, counts):
    """The gradients of scatter_reduce for input and src (torch's rules: sum and mean spread the gradient,
    prod multiplies by the other factors, amax / amin share it evenly among the elements that reached the
    extreme)."""
    touched = counts > 0
    if reduce == "sum":
        gi = g if include_self else where(touched, 0.0, g)
        return gi, gather(g, d, index)
    if reduce == "mean":
        n = counts + (1 if include_self else 0)
        n = where(n == 0, 1, n).to(g.dtype)
        gi = g / n if include_self else where(touched, 0.0, g)
        return gi, gather(g / n, d, index)
    if reduce == "prod":
        return _prod_grads(g, input, d, index, src, include_self, result, touched)
    # amax / amin: the elements equal to the result share its gradient (torch counts the input's element among
    # them even with include_self=False, and then gives it none)
    chosen = gather(result, d, index)
    src_hits = eq(src, chosen).to(g.dtype)
    self_hits = eq(input, result).to(g.dtype)
    from .index import scatter_add
    share = scatter_add(self_hits, d, index, src_hits)
    gi = g * self_hits / share
    if not include_self:
        gi = where(touched, 0.0, gi)
    return gi, gather(g / share, d, index) * src_hits


def _prod_grads(g, input, d, index, src, include_self, result, touched):
    """Each factor's gradient is g times the product of the other factors of its group: result / x where x is
    not zero; for a zero, the product of the group's non-zero factors when it is the only zero, else 0."""
    from .index import scatter_add
    result = scatter_reduce(input, d, index, src, "prod", include_self=include_self)  # live, for double backward
    ones = where(touched, 1.0, 1.0).to(g.dtype)
    base = where(input == 0, 1.0, input) if include_self else ones
    nonzero_src = where(src == 0, 1.0, src)
    nonzero_product = scatter_reduce(base, d, index, nonzero_src, "prod")
    zeros = scatter_add((input == 0).to(g.dtype) if include_self else ones * 0, d, index, (src == 0).to(g.dtype))

    def others(x, product, count, total):
        return where(x == 0, where(count == 1, product, 0.0), total / where(x == 0, 1.0, x))
    gi = g * others(input, nonzero_product, zeros, result) if include_self else where(touched, 0.0, g)
    gs = gather(g, d, index) * others(src, gather(nonzero_product, d, index), gather(zeros, d, index),
                                      gather(result, d, index))
    return gi, gs


def fill_diagonal_(self, fill_value, wrap=False):
    """Write fill_value on the main diagonal of self (all dims equal, or a 2-D tensor: its first min(m, n) rows;
    with wrap, a tall matrix's diagonal starts again below)."""
    from .inplace import check_inplace, commit, _old_value
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    xp = array_module(self._data)
    flat = xp.arange(self.numel())
    step = sum(self.stride())
    n = min(self.shape)
    positions = flat[::step][:n] if not (wrap and self.ndim == 2) else flat[::self.shape[1] + 1]
    mask = xp.zeros(self.numel(), bool)
    mask[positions] = True
    mask = Tensor._wrap(mask.reshape(self.shape))
    source = _old_value(self) if check_inplace(self) else self
    return commit(self, masked_fill(source, mask, fill_value))


__all__ = ["index_copy", "index_fill", "index_put", "masked_scatter", "put", "scatter_reduce"]
_METHODS = {name: globals()[name] for name in __all__}
_METHODS["fill_diagonal_"] = fill_diagonal_
_INPLACE = {name + "_": globals()[name] for name in __all__}
