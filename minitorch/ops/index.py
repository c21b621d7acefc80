"""Indexing: `tensor[key]` reads and writes, and the gather/scatter family (gather, scatter, index_select,
masked_fill, masked_select, nonzero, take ...). Reads follow torch step by step: ints select, slices
slice, None unsqueezes (all views), and any tensor/list/bool indices then pick elements in one copy."""
import collections.abc
import math
import operator

import numpy as np

from .. import _dispatch, _dtype, _warnings
from .._device import array_module
from ..backends.meta import has_data
from .._tensor import Tensor, _wrap_dim
from ..autograd import grad_mode
from ._core import broadcast_shapes, check_same_device, make, sum_to
from .inplace import check_inplace
from .shape import _basic, _view, _zeros, expand, rebase_history, unsqueeze, view

_grad_state = grad_mode._state


# CuPy's scatter_add runs CUDA's atomicAdd, which exists for int32, uint32, uint64 and the float types but
# bfloat16: other dtypes add in one of those and are cast back, which keeps integer wrap-around (int64 adds
# its bits as uint64) and makes bool addition a logical or.
_ATOMIC_ADD_AS = {np.dtype(np.bool_): np.int32, np.dtype(np.uint8): np.int32, np.dtype(np.int8): np.int32,
                  np.dtype(np.int16): np.int32, np.dtype(np.uint16): np.uint32, np.dtype(np.int64): np.uint64,
                  _dtype.bfloat16.np: np.float32}


def _add_at(target, key, values):
    """target[key] += values, adding once per occurrence of repeated indices."""
    xp = array_module(target)
    if xp is np or not has_data(target):
        xp.add.at(target, key, values)
        return
    from ..cuda import _cupyx
    wide = _ATOMIC_ADD_AS.get(target.dtype)
    if wide is None:
        _cupyx().scatter_add(target, key, values)
        return
    values = xp.asarray(values, dtype=target.dtype)
    if target.dtype == np.int64:  # same width: add the two's complement bits in place
        _cupyx().scatter_add(target.view(wide), key, values.view(wide))
        return
    acc = target.astype(wide)
    _cupyx().scatter_add(acc, key, values.astype(wide))
    target[...] = acc != 0 if target.dtype == np.bool_ else acc.astype(target.dtype)


def _multiply_at(target, key, values):
    """target[key] *= values, once per occurrence of repeated indices. CuPy has no multiply.at: on cuda
    the products go in rounds, each over the first remaining occurrence of every index."""
    xp = array_module(target)
    if xp is np or not has_data(target):
        xp.multiply.at(target, key, values)
        return
    flat = xp.arange(target.size).reshape(target.shape)[key]
    values = xp.broadcast_to(xp.asarray(values, dtype=target.dtype), flat.shape).reshape(-1)
    flat = flat.reshape(-1)
    plane = target.reshape(-1)
    while flat.size:
        positions, first = xp.unique(flat, return_index=True)
        plane[positions] *= values[first]
        rest = xp.ones(flat.size, dtype=bool)
        rest[first] = False
        flat, values = flat[rest], values[rest]


def _index_array(index, like):
    """The array of an index tensor, on the device of `like` (a cpu index may address a cuda tensor)."""
    data = index._data if isinstance(index, Tensor) else index
    if type(data) is not type(like):
        if type(like) is np.ndarray:
            raise RuntimeError("indices should be either on cpu or on the same device as the indexed tensor (cpu)")
        data = array_module(like).asarray(data)
    return data


# ----- the operators a read is made of, each seen by the profiler under torch's name ----------------------
@_dispatch.internal("aten::select")
def _select(input, key):
    """input[key] for full slices then one int: a view without that dimension."""
    return _basic(input, key, "SelectBackward0")


@_dispatch.internal("aten::slice")
def _slice(input, key):
    """input[key] for full slices then one slice: a view."""
    return _basic(input, key, "SliceBackward0")


_unsqueeze = _dispatch.internal("aten::unsqueeze")(unsqueeze)


# ----- the two primitives behind advanced indexing ------------------------------------------------------
@_dispatch.internal("aten::index")
def _index(input, key, name="IndexBackward0", back_name="IndexPutImplBackward0"):
    """input[key] for a key holding index arrays: a copy; the gradient adds back into zeros, counting
    repeated indices once per occurrence."""
    shape = input._data.shape
    return make(input._data[key], name, (input,), lambda g: (_index_put_zeros(g, shape, key, back_name, name),),
                saves=())


def _index_put_zeros(grad, shape, key, name, forward_name):
    out = array_module(grad._data).zeros(shape, grad._data.dtype)
    _add_at(out, key, grad._data)
    return make(out, name, (grad,), lambda g: (_index(g, key, forward_name, name),), saves=())


# ----- reading: tensor[key] ------------------------------------------------------------------------------
def _as_items(key):
    """torch's reading of an index as a tuple of items: a list holding a slice, None, Ellipsis, a tensor or
    a sequence counts as a tuple (deprecated); any other non-tuple is one item."""
    if isinstance(key, tuple):
        return key
    if isinstance(key, list) and len(key) < 32 and any(
            isinstance(k, (Tensor, np.ndarray, list, tuple, slice)) or k is None or k is Ellipsis for k in key):
        _warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
                       "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
                       "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error "
                       "or a different result")
        return tuple(key)
    return (key,)


def _classify(item):
    """(kind, value) for one index item: 'int', 'slice', 'none', 'ellipsis', 'bool' (a scalar bool,
    which adds a dimension of size 1 or 0) or 'array' (an integer or mask array)."""
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ellipsis", None
    if isinstance(item, slice):
        return "slice", item
    if isinstance(item, (bool, np.bool_)):
        return "bool", bool(item)
    if isinstance(item, (int, np.integer)):
        return "int", int(item)
    if isinstance(item, Tensor):
        data = item._data
    elif isinstance(item, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(item).__name__}'")
    elif isinstance(item, (list, np.ndarray, collections.abc.Sequence)):  # range, deque, array.array ...
        data = np.asarray(item if isinstance(item, (list, np.ndarray)) else list(item))
        if data.size == 0 and not isinstance(item, np.ndarray):
            data = data.astype(np.int64)
    else:
        raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                         f"valid indices (got {type(item).__name__})")
    kind = data.dtype.kind
    if data.dtype in (np.int8, np.int16) and data.ndim or kind not in "biu":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if data.dtype == np.uint8:
        if data.ndim or isinstance(item, Tensor):
            _warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
                           "instead.")
            data = data.astype(bool)
    if data.ndim == 0:
        return ("bool", bool(data)) if data.dtype == np.bool_ else ("int", int(data))
    return "array", data


def _consumed(kind, value):
    if kind in ("int", "slice"):
        return 1
    if kind == "array":
        return value.ndim if value.dtype == np.bool_ else 1
    return 0


def _slice_bounds(s, size):
    """(start, stop, step) of slice `s` on a dimension of `size`, and whether it is written as the whole
    dimension (torch skips those inside a tuple index: `x[:, :]` is an alias, `x[-3:, :]` a slice)."""
    step = 1 if s.step is None else operator.index(s.step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step < 0:
        raise ValueError("step must be greater than zero")
    start = None if s.start is None else operator.index(s.start)
    stop = None if s.stop is None else operator.index(s.stop)
    whole = not start and (stop is None or stop >= size) and step == 1
    return slice(start, stop, step).indices(size), whole


def _locate(input, key, writing=False):
    """Apply the int, slice and None items of `key` to `input` (views, each with its own node, as torch
    records them). Returns the view, the advanced-index key still to apply to it (None when there is
    none; its bounds are not checked yet), whether a view was made and whether the index arrays are one
    mask. For a write, as in torch, a bare full slice makes no view and a bare True only adds its
    dimension."""
    items = [_classify(k) for k in _as_items(key)]
    ndim = input._data.ndim
    if ndim == 0 and any(kind == "int" for kind, _ in items):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                         "in C++ to convert a 0-dim tensor to a number")
    used = sum(_consumed(*it) for it in items)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    out, dim, arrays = input, 0, []
    ellipsis_left = ndim - used
    for position, (kind, value) in enumerate(items):
        if kind == "int":
            size = out._data.shape[dim]
            if not -size <= value < size:
                raise IndexError(f"index {value} is out of bounds for dimension {position} with size {size}")
            out = _select(out, (slice(None),) * dim + (value % size,))
        elif kind == "slice":
            (start, stop, step), whole = _slice_bounds(value, out._data.shape[dim])
            if not whole or not (writing or isinstance(key, tuple)):
                out = _slice(out, (slice(None),) * dim + (slice(start, max(stop, start), step),))
            dim += 1
        elif kind == "none" or kind == "bool":
            out = _unsqueeze(out, dim)
            if kind == "bool" and not (writing and key is True):
                arrays.append((dim, np.array([value])))
            dim += 1
        elif kind == "ellipsis":
            dim, ellipsis_left = dim + ellipsis_left, 0
        else:
            arrays.append((dim, value))
            dim += _consumed(kind, value)
    one_mask = len(arrays) == 1 and arrays[0][1].dtype == np.bool_
    return out, (_advanced_key(out._data, arrays) if arrays else None), out is not input, one_mask


def _advanced_key(data, arrays):
    """The NumPy/CuPy key for index arrays at given dims of `data` (the view the int, slice and None items
    made): masks become their nonzero indices, as in torch, with its mask-shape and broadcast errors."""
    key = [slice(None)] * (arrays[-1][0] + arrays[-1][1].ndim)
    for dim, arr in arrays:
        arr = _index_array(arr, data)
        if arr.dtype == np.bool_:
            for j, m in enumerate(arr.shape):
                if m != data.shape[dim + j]:
                    raise IndexError(f"The shape of the mask {list(arr.shape)} at index {j} does not match the "
                                     f"shape of the indexed tensor {list(data.shape)} at index {dim + j}")
            key[dim:dim + arr.ndim] = arr.nonzero()
        else:
            key[dim] = arr
    parts = [k for k in key if not isinstance(k, slice)]
    try:
        _indexed_shape(data.shape, key)
    except RuntimeError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(p.shape)) for p in parts)) from None
    return tuple(key)


def _indexed_shape(shape, key):
    """The shape of data[key] for a key of full slices and index arrays: the arrays' broadcast shape goes
    where the arrays are when they are adjacent, else in front (NumPy's rule, and torch's)."""
    at = [d for d, k in enumerate(key) if not isinstance(k, slice)]
    index_shape = ()
    for d in at:
        index_shape = broadcast_shapes(index_shape, key[d].shape)
    rest = [n for d, n in enumerate(shape) if d not in at]
    first = at[0] if at == list(range(at[0], at[-1] + 1)) else 0
    return tuple(rest[:first]) + index_shape + tuple(rest[first:])


def _checked(data, key):
    """`key` after torch's bounds check, which only runs when the result has elements; for an empty result
    the indices are clipped instead (nothing is read, but NumPy would still check them)."""
    empty = math.prod(_indexed_shape(data.shape, key)) == 0
    key = list(key)
    for k, d in enumerate(d for d, p in enumerate(key) if not isinstance(p, slice)):
        p, size = key[d], data.shape[d]
        if empty:
            key[d] = array_module(p).clip(p, -size, size - 1) if size else p
            continue
        bad = (p < -size) | (p >= size)
        if bad.any():
            raise IndexError(f"index {int(p[bad].ravel()[0])} is out of bounds for dimension {k} with size {size}")
    return tuple(key)


def getitem(self, key):
    out, adv, made_view, _ = _locate(self, key)
    if adv is not None:
        return _index(out, _checked(out._data, adv))
    return out if made_view else _alias(self)


def _alias(input):
    return _view(input._data[...], "AliasBackward0", input, lambda g: (g,), _alias)


# ----- writing: tensor[key] = value ---------------------------------------------------------------------
def _value_tensor(self, value, region_shape, advanced, one_mask):
    """`value` as torch's setitem prepares it: a number becomes a zero-dim tensor; leading size-1 dims are
    dropped (a view); for a region without index arrays it is then expanded to the region's shape. The
    result's gradient is the region's (summed where it broadcasts). With index arrays a value must have
    self's dtype, unless it is a single element written through one mask (torch fills those)."""
    if not isinstance(value, Tensor):
        if not isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
            raise TypeError(f"can't assign a {_type_path(value)} to a {self.type()}")
        return Tensor._wrap(array_module(self._data).asarray(value).astype(self._data.dtype))
    check_same_device(self, value)
    shape = value._data.shape
    if not advanced and (shape == region_shape or not shape):
        return value
    stripped = shape[next((i for i, n in enumerate(shape) if n != 1), len(shape)):]
    v = view(value, stripped) if not advanced or stripped != shape else value
    if not advanced:
        return v if stripped == region_shape else expand(v, region_shape)
    try:
        if len(stripped) > len(region_shape) or broadcast_shapes(stripped, region_shape) != region_shape:
            raise RuntimeError
    except RuntimeError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(stripped)} cannot be broadcast to "
                           f"indexing result of shape {list(region_shape)}") from None
    if value.dtype is not self.dtype and not (one_mask and value._data.size == 1):
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{self.dtype.scalar_name} for the destination and {value.dtype.scalar_name} for the "
                           f"source.")
    return v


def _type_path(value):
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__name__}"


def setitem(self, key, value):
    """Write `value` into the region `key` selects, in place. Differentiable with respect to self's other
    elements and to value; torch names the node CopySlices (a view of self was written), IndexPutBackward0
    (index arrays into self itself), or CopyBackwards / FillBackward3 (all of self, from a tensor / from a
    number or zero-dim tensor)."""
    if key is False:
        return
    with grad_mode.no_grad():
        target, adv, made_view, one_mask = _locate(Tensor._wrap(self._data), key, writing=True)
    region_shape = target._data.shape if adv is None else _indexed_shape(target._data.shape, adv)
    vt = _value_tensor(self, value, region_shape, adv is not None, one_mask)
    if adv is not None:
        adv = _checked(target._data, adv)
    if self._requires_grad and self._grad_fn is None and _grad_state["enabled"] and made_view:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    recording = check_inplace(self, vt)
    data = _index_array(vt._data, self._data).astype(self._data.dtype, copy=False)
    try:
        target._data[... if adv is None else adv] = data
    except ValueError as e:
        if "read-only" not in str(e):
            raise
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the "
                           "operation.") from None
    self._bump_version()
    if not recording:
        return
    outside = array_module(self._data).ones(self._data.shape, bool)
    with grad_mode.no_grad():
        view_of_outside = _locate(Tensor._wrap(outside), key, writing=True)[0]
    view_of_outside._data[... if adv is None else adv] = False
    outside = Tensor._wrap(outside)
    vshape = vt._data.shape

    def backward(g):
        gv = None
        if vt._requires_grad:
            gv = sum_to(getitem(g, key), vshape)
            gv = gv if gv.dtype is vt.dtype else gv.to(vt.dtype)
        return g * outside, gv
    filled = vt._data.ndim == 0 and region_shape != ()  # torch fills a region from a zero-dim value
    name = ("CopySlices" if made_view else "IndexPutBackward0" if adv is not None else
            "FillBackward3" if filled else "CopyBackwards")
    out = make(self._data, name, (self, vt), backward, saves=() if adv is not None else False)
    self._grad_fn, self._output_nr, self._requires_grad = out._grad_fn, 0, True
    if self._base is not None:
        rebase_history(self)


# ----- gather / scatter ---------------------------------------------------------------------------------------
def _check_long_or_int(index, message):
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(message)


def _along(index, dim):
    """The key that pairs every position of `index` with the element it names along `dim`."""
    xp = array_module(index)
    n = index.ndim
    return tuple(index if d == dim else xp.arange(s).reshape([s if k == d else 1 for k in range(n)])
                 for d, s in enumerate(index.shape))


def _scatter_gather_key(fn, input, dim, index, src=None):
    """Checks shared by gather and scatter (torch's wording); returns (dim, key into input)."""
    d = _wrap_dim(dim, max(input._data.ndim, 1))
    _check_long_or_int(index, f"{fn}(): Expected dtype int32/int64 for index")
    shape, ishape = input._data.shape or (1,), index._data.shape or (1,)
    if len(ishape) != len(shape):
        what = "input" if fn == "gather" else "self"
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {what} tensor")
    if fn == "gather":
        for k, (i, s) in enumerate(zip(ishape, shape)):
            if k != d and i > s:
                raise RuntimeError(f"Size does not match at dimension {k} expected index {list(index.shape)} to be "
                                   f"no larger than self {list(input.shape)} apart from dimension {d}")
    elif (any(i > s for k, (i, s) in enumerate(zip(ishape, shape)) if k != d)
          or src is not None and any(i > s for i, s in zip(ishape, src._data.shape or (1,)))):
        tail = f" and to be no larger size than src {list(src.shape)}" if src is not None else ""
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self {list(input.shape)} "
                           f"apart from dimension {d}{tail}")
    idx = _index_array(index, input._data).reshape(ishape)
    bad = (idx < 0) | (idx >= shape[d])
    if bad.any():
        raise RuntimeError(f"index {int(idx[bad].ravel()[0])} is out of bounds for dimension {d} with size "
                           f"{shape[d]}")
    return d, _along(idx, d)


def gather(input, dim, index, *, sparse_grad=False):
    d, key = _scatter_gather_key("gather", input, dim, index)
    data = input._data.reshape(input._data.shape or (1,))
    out = data[key].reshape(index._data.shape)
    shape = input._data.shape
    return make(out, "GatherBackward0", (input,),
                lambda g: (scatter_add(_zeros(g, shape), d, index, g),), saves=(index,))


def _src_part(src, index):
    """The leading block of `src` that matches `index`'s shape (torch reads only that much)."""
    data = src._data.reshape(src._data.shape or (1,))
    return data[tuple(slice(0, n) for n in (index._data.shape or (1,)))]


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """Write src (a tensor) or value (a number) into input at index along dim; a copy."""
    if src is None and value is None:
        raise TypeError("scatter() received an invalid combination of arguments - got (int, Tensor), but expected "
                        "one of:\n * (int dim, Tensor index, Tensor src)\n * (int dim, Tensor index, Tensor src, *, "
                        "str reduce)\n * (int dim, Tensor index, Number value)\n * (int dim, Tensor index, Number "
                        "value, *, str reduce)\n")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if src is not None and src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    d, key = _scatter_gather_key("scatter", input, dim, index, src)
    out = input._data.reshape(input._data.shape or (1,)).copy()
    xp = array_module(out)
    vals = _src_part(src, index) if src is not None else xp.full(index._data.shape or (1,), value, out.dtype)
    if reduce is None:
        out[key] = vals
    elif reduce == "add":
        _add_at(out, key, vals)
    else:
        _multiply_at(out, key, vals)
    out = out.reshape(input._data.shape)
    if reduce is not None:
        def not_implemented(g):
            raise RuntimeError("derivative for aten::scatter is not implemented")
        return make(out, "NotImplemented", (input, src), not_implemented, saves=False)
    if src is None:
        return make(out, "ScatterBackward1", (input,), lambda g: (scatter(g, d, index, 0),), saves=(index,))
    return make(out, "ScatterBackward0", (input, src),
                lambda g: (scatter(g, d, index, 0), gather(g, d, index)), saves=(index,))


def scatter_add(input, dim, index, src):
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    d, key = _scatter_gather_key("scatter", input, dim, index, src)
    out = input._data.reshape(input._data.shape or (1,)).copy()
    _add_at(out, key, _src_part(src, index))
    return make(out.reshape(input._data.shape), "ScatterAddBackward0", (input, src),
                lambda g: (g, gather(g, d, index)), saves=(index,))


# ----- index_select / index_add ---------------------------------------------------------------------------
def _vector_key(input, dim, index):
    d = _wrap_dim(dim, max(input._data.ndim, 1))
    return d, (slice(None),) * d + (_index_array(index, input._data).reshape(-1),)


def index_select(input, dim, index):
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    _check_long_or_int(index, "index_select(): Expected dtype int32 or int64 for index")
    d, key = _vector_key(input, dim, index)
    size = (input._data.shape or (1,))[d]
    idx = key[d]
    bad = (idx < 0) | (idx >= size)
    if bad.any():
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(idx[bad][0])} axis_dim={size}")
    shape = input._data.shape
    data = input._data.reshape(shape or (1,))
    return make(data[key], "IndexSelectBackward0", (input,),
                lambda g: (index_add(_zeros(g, shape), d, index, g),), saves=(index,))


def index_add(input, dim, index, source, *, alpha=1):
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {index.dtype.scalar_name}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_add_(): self ({input.dtype.scalar_name}) and source "
                           f"({source.dtype.scalar_name}) must have the same scalar type")
    d, key = _vector_key(input, dim, index)
    shape, sshape = input._data.shape, source._data.shape
    if len(shape) != len(sshape) or any(a != b for k, (a, b) in enumerate(zip(shape, sshape)) if k != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified "
                           f"dimension. Got self.shape = {list(shape)} source.shape = {list(sshape)}")
    idx = key[d]
    count = (sshape or (1,))[d]
    if idx.size != count:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({count}), for dim: {d}")
    size = (shape or (1,))[d]
    bad = (idx < 0) | (idx >= size)
    if bad.any():
        raise RuntimeError(f"index {int(idx[bad][0])} is out of bounds for dimension {d} with size {size}")
    out = input._data.reshape(shape or (1,)).copy()
    src = source._data.reshape(sshape or (1,))
    _add_at(out, key, src if alpha == 1 else src * alpha)

    def backward(g):
        gs = None
        if source._requires_grad:
            gs = index_select(g, d, index).reshape(sshape)
            gs = gs if alpha == 1 else gs * alpha
        return g, gs
    return make(out.reshape(shape), "IndexAddBackward0", (input, source), backward, saves=(index,))


# ----- masks ----------------------------------------------------------------------------------------------
def masked_fill(input, mask, value):
    """input with `value` where mask is True (mask broadcasts; the result has the broadcast shape)."""
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.cpp_name}")
    vt = None
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        vt, value = value, value.item()
    check_same_device(input, mask)
    shape = broadcast_shapes(mask._data.shape, input._data.shape)
    xp = array_module(input._data)
    m = _index_array(mask, input._data)
    out = xp.broadcast_to(input._data, shape).copy()
    out[xp.broadcast_to(m, shape)] = out.dtype.type(value)
    ishape = input._data.shape

    def backward(g):
        gi = sum_to(masked_fill(g, mask, 0), ishape) if input._requires_grad else None
        gv = None
        if vt is not None and vt._requires_grad:
            gv = (g * mask).sum()
            gv = gv if gv.dtype is vt.dtype else gv.to(vt.dtype)
        return gi, gv
    name = "MaskedFillBackward0" if vt is None else "MaskedFillBackward1"
    return make(out, name, (input, vt), backward, saves=(mask,))


def masked_select(input, mask):
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    check_same_device(input, mask)
    shape = broadcast_shapes(mask._data.shape, input._data.shape)
    xp = array_module(input._data)
    key = xp.broadcast_to(_index_array(mask, input._data), shape).nonzero()
    out = xp.broadcast_to(input._data, shape)[key]
    ishape = input._data.shape

    def backward(g):
        return (sum_to(_index_put_zeros(g, shape, key, "MaskedScatterBackward0", "MaskedSelectBackward0"), ishape),)
    return make(out, "MaskedSelectBackward0", (input,), backward, saves=(mask,))


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-D tensor per dimension."""
    data = input._data
    xp = array_module(data)
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in (data if data.ndim else data.reshape(1)).nonzero())
    return Tensor._wrap(xp.argwhere(data).astype(np.int64))


def argwhere(input):
    return nonzero(input)


def take(input, index):
    """Elements of input read as a flat array, at `index` (negative counts from the end)."""
    if index._data.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype.scalar_name}")
    n = input._data.size
    idx = _index_array(index, input._data)
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {int(idx[bad].ravel()[0])} on a tensor of {n} "
                         f"elements.")
    key = (idx,)
    shape = input._data.shape

    def backward(g):
        return (_index_put_zeros(g, (n,), key, "PutBackward0", "TakeBackward0").reshape(shape),)
    return make(input._data.reshape(-1)[key], "TakeBackward0", (input,), backward, saves=(index,))


__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_add", "masked_fill", "masked_select",
           "nonzero", "argwhere", "take"]
_METHODS = {name: globals()[name] for name in __all__}
_METHODS.update({"__getitem__": getitem, "__setitem__": setitem})
_INPLACE = {"masked_fill_": masked_fill, "scatter_": scatter, "scatter_add_": scatter_add, "index_add_": index_add}
