"""View and shape ops: reshape, transpose, expand, cat, split ... Where torch returns a view, so do these:
the result's array is a NumPy/CuPy view of the input's, so writes through one show in the other."""
import functools
import itertools
import math

import numpy as np

from .. import _dtype, _warnings
from .._device import array_module
from .._tensor import Tensor, _wrap_dim
from ..autograd import grad_mode
from ._core import check_same_device, make, make_multi, normalize_dims, sum_to


def _mark_view(out, input, replay, multi_output=False):
    """Record that `out` shares `input`'s memory: its `_base` (the tensor that owns the memory, as torch's
    `Tensor._base`), its version counter, and `_view_fn`, which remakes `out` from the base (replay(t)
    applies this view op to t), for `rebase_history`. Views of one of several outputs (split, unbind), and
    views of those, may not be modified in place while they require grad (torch's rule)."""
    out._base = input if input._base is None else input._base
    input._share_version(out)
    outer = input._view_fn
    out._view_fn = replay if input._base is None or replay is None else (
        None if outer is None else lambda base: replay(outer(base)))
    if multi_output or input._multi_output_view:
        out._multi_output_view = True
    return out


def _view(data, name, input, backward, replay):
    """Wrap `data`, a view of `input`'s array, as a view op's result (replay(t) makes the same view of t)."""
    return _mark_view(make(data, name, (input,), backward, saves=False), input, replay)


def rebase_history(view):
    """After an in-place change to `view` (already recorded as its grad_fn), move that history onto its
    base, as torch's CopySlices does: the base's gradient goes to the new history for the view's elements
    and to the base's old history for the rest; the view is then read from the new base again."""
    base, remake = view._base, view._view_fn
    if remake is None:
        return
    result = Tensor._wrap(view._data, True)
    result._grad_fn, result._output_nr = view._grad_fn, view._output_nr
    outside = array_module(base._data).ones(base._data.shape, bool)
    with grad_mode.no_grad():
        remake(Tensor._wrap(outside))._data[...] = False
    outside = Tensor._wrap(outside)
    node = make(base._data, "CopySlices", (base, result), lambda g: (g * outside, remake(g)), saves=False)
    base._grad_fn, base._output_nr, base._requires_grad = node._grad_fn, 0, True
    view._grad_fn, view._output_nr = remake(base)._grad_fn, 0


def _sizes(args, keyword=None, fn="reshape", arg="shape"):
    """The int tuple from `f(2, 3)`, `f((2, 3))`, `f([2, 3])`, `f(torch.Size(...))` or `f(shape=...)` (the
    keyword form, passed as `keyword`); 0-dim integer tensors count as ints."""
    if keyword is not None:
        args = (keyword,)
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    out = []
    for i, s in enumerate(args):
        if isinstance(s, Tensor) and s.ndim == 0 and s.dtype._category == 1:
            s = s.item()
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{fn}(): argument '{arg}' (position 1) must be tuple of ints, but found element of "
                            f"type {type(s).__name__} at pos {i}")
        out.append(int(s))
    return tuple(out)


def _zeros(like, shape):
    """A constant zero tensor of `shape` with `like`'s dtype and device (a missing gradient)."""
    xp = array_module(like._data)
    return Tensor._wrap(xp.zeros(shape, like._data.dtype))


# ----- reshaping -----------------------------------------------------------------------------------------
def _infer_size(shape, numel):
    """`shape` with its -1 (if any) filled in so that it holds `numel` elements; torch's errors otherwise."""
    infer, known = None, 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        else:
            known *= s
    if infer is None:
        if known == numel:
            return shape
    elif known == 0:
        if numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               f"unspecified dimension size -1 can be any value and is ambiguous")
    elif numel % known == 0:
        return shape[:infer] + (numel // known,) + shape[infer + 1:]
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def _viewable(data, shape):
    """Whether `data` can take `shape` without a copy: each new dimension must lie inside one run of old
    dimensions that are contiguous with each other in memory (torch's rule, and NumPy's)."""
    if data.size == 0:
        return True
    runs, outer = [], None
    for size, stride in zip(data.shape, data.strides):
        if size == 1:
            continue
        if runs and outer == stride * size:
            runs[-1] *= size
        else:
            runs.append(size)
        outer = stride
    new = iter([s for s in shape if s != 1])
    for run in runs:
        prod = 1
        while prod < run:
            prod *= next(new)
        if prod != run:
            return False
    return True


def _reshape_view(input, shape):
    old = input._data.shape
    return _view(input._data.reshape(shape), "ViewBackward0", input, lambda g: (g.reshape(old),),
                 lambda t: _reshape_view(t, shape))


def reshape(input, *args, shape=None):
    """A view when the memory layout allows one, otherwise a copy (torch's reshape contract)."""
    shape = _infer_size(_sizes(args, shape), input._data.size)
    if _viewable(input._data, shape):
        return _reshape_view(input, shape)
    from .convert import clone
    copy = clone(input)
    old = copy._data.shape
    return make(copy._data.reshape(shape), "UnsafeViewBackward0", (copy,), lambda g: (g.reshape(old),),
                saves=False)


def view(input, *args, size=None, dtype=None):
    """Always a view; `view(dtype)` reinterprets the bytes instead."""
    if dtype is not None or len(args) == 1 and isinstance(args[0], _dtype.dtype):
        return _view_dtype(input, dtype or args[0])
    shape = _infer_size(_sizes(args, size, "view", "size"), input._data.size)
    if not _viewable(input._data, shape):
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return _reshape_view(input, shape)


def _view_dtype(input, dtype):
    if dtype is input.dtype:
        return input
    return _mark_view(make(input._data.view(_dtype._check_available(dtype).np), "view", (), None), input, None)


def alias(input):
    """The same memory under a new tensor (AliasBackward0), as `Tensor.as_subclass` gives it."""
    return _view(input._data.view(), "AliasBackward0", input, lambda g: (g,), alias)


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    n = input._data.ndim
    start, end = _wrap_dim(start_dim, n), _wrap_dim(end_dim, n)
    if n == 0:
        return reshape(input, 1)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    shape = input._data.shape
    return reshape(input, shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])


def ravel(input):
    """A flat view of a contiguous copy (no copy when already contiguous)."""
    from .convert import contiguous
    return _reshape_view(contiguous(input), (input._data.size,))


def unflatten(input, dim, sizes):
    if input._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, input._data.ndim)
    sizes = _sizes((), sizes, "unflatten", "sizes")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    shape = input._data.shape
    try:
        sizes = _infer_size(sizes, shape[d])
    except RuntimeError as e:
        if "only one" in str(e):
            raise
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({shape[d]}) in the input tensor") from None
    return _reshape_view(input, shape[:d] + sizes + shape[d + 1:])


def squeeze(input, dim=None):
    shape = input._data.shape
    if dim is None:
        axes, name = tuple(i for i, s in enumerate(shape) if s == 1), "SqueezeBackward0"
    else:
        name = "SqueezeBackward2" if isinstance(dim, (tuple, list)) else "SqueezeBackward1"
        axes = tuple(d for d in normalize_dims(dim, len(shape)) if d < len(shape) and shape[d] == 1)
    return _view(input._data.squeeze(axes), name, input, lambda g: (g.reshape(shape),),
                 lambda t: squeeze(t, dim))


def unsqueeze(input, dim):
    d = _wrap_dim(dim, input._data.ndim + 1)
    xp = array_module(input._data)
    return _view(xp.expand_dims(input._data, d), "UnsqueezeBackward0", input, lambda g: (squeeze(g, d),),
                 lambda t: unsqueeze(t, d))


# ----- reordering dimensions -----------------------------------------------------------------------------
def _permuted(input, perm, name):
    return _view(input._data.transpose(perm), name, input, lambda g: (_permuted_back(g, perm, name),),
                 lambda t: _permuted(t, perm, name))


def _permuted_back(g, perm, name):
    """A permute's gradient: g permuted back. Without a graph to record, a plain tensor over the permuted
    array (no view of g to keep track of, so that the engine can hand it on without a copy)."""
    if not grad_mode._state["enabled"]:
        return Tensor._wrap(g._data.transpose(_inverse(perm)))
    return _permuted(g, _inverse(perm), name)


def _inverse(perm):
    """The permutation that undoes `perm` (for a transpose, `perm` itself)."""
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return tuple(inverse)


def permute(input, *args, dims=None):
    if not args and dims is None:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    dims = _sizes(args, dims, "permute", "dims")
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
                           f"to len(dims) = {len(dims)}")
    perm = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(perm)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permuted(input, perm, "PermuteBackward0")


def transpose(input, dim0, dim1):
    n = input._data.ndim
    d0, d1 = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    perm = list(range(n))
    if n:
        perm[d0], perm[d1] = d1, d0
    return _permuted(input, tuple(perm), "TransposeBackward0")


def t(input):
    n = input._data.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    return _permuted(input, tuple(range(n))[::-1], "TBackward0")


def _T(self):
    n = self._data.ndim
    if n == 0:
        _warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.")
    elif n != 2:
        _warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                       "deprecated and it will throw an error in a future release. Consider `x.mT` to transpose "
                       "batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
                       "dimensions of a tensor.")
    return _permuted(self, tuple(range(n))[::-1], "PermuteBackward0")


def _mT(self, attr="mT"):
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.{attr} is only supported on matrices or batches of matrices. Got "
                           f"{self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


def _H(self):
    n = self._data.ndim
    if n != 2:
        hint = " For batches of matrices, consider using tensor.mH" if n > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {n}-D tensor.{hint}")
    return transpose(self, 0, 1)


def movedim(input, source, destination):
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    n = input._data.ndim
    s = [_wrap_dim(d, n) for d in src]
    t_ = [_wrap_dim(d, n) for d in dst]
    for name, given, wrapped in (("source", src, s), ("destination", dst, t_)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    perm = [None] * n
    for a, b in zip(s, t_):
        perm[b] = a
    rest = iter(d for d in range(n) if d not in s)
    return _permuted(input, tuple(p if p is not None else next(rest) for p in perm), "PermuteBackward0")


def flip(input, *args, dims=None):
    """A reversed copy (torch's flip does not return a view)."""
    dims = _sizes(args, dims, "flip", "dims")
    axes = normalize_dims(dims, input._data.ndim) if input._data.ndim else ()
    xp = array_module(input._data)
    return make(xp.flip(input._data, axes).copy(), "FlipBackward0", (input,), lambda g: (flip(g, dims),),
                saves=False)


def roll(input, shifts, dims=None):
    shifts_t = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is not None:
        dims_t = (dims,) if isinstance(dims, int) else tuple(dims)
        if len(shifts_t) != len(dims_t):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts_t)}, dims:{len(dims_t)}")
        axes = normalize_dims(dims_t, input._data.ndim)
    else:
        axes = None
    xp = array_module(input._data)
    back = tuple(-s for s in shifts_t)
    return make(xp.roll(input._data, shifts_t if axes is not None else shifts_t[0], axes), "RollBackward0",
                (input,), lambda g: (roll(g, back, dims),), saves=False)


# ----- broadcasting and repeating -------------------------------------------------------------------------
def _expanded_shape(input, sizes):
    """The target of expand(sizes), with torch's errors; -1 keeps an existing size."""
    shape = input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(f"expand({input.type()}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
                           f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(shape)})")
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
        else:
            old = shape[i - lead]
            if s == -1:
                s = old
            elif old != 1 and s != old:
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({old}) "
                                   f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor "
                                   f"sizes: {list(shape)}")
        target.append(s)
    return tuple(target)


def expand(input, *args, size=None):
    """A broadcast view (read-only, since its elements alias each other)."""
    target = _expanded_shape(input, _sizes(args, size, "expand", "size"))
    old = input._data.shape
    xp = array_module(input._data)
    return _view(xp.broadcast_to(input._data, target), "ExpandBackward0", input, lambda g: (sum_to(g, old),),
                 lambda t: expand(t, target))


def expand_as(input, other):
    return expand(input, other.shape)


def repeat(input, *args, repeats=None):
    reps = _sizes(args, repeats, "repeat", "repeats")
    shape = input._data.shape
    if len(reps) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    padded = (1,) * (len(reps) - len(shape)) + shape
    target = [r * s for r, s in zip(reps, padded)]
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(target)}: {target}")
    xp = array_module(input._data)
    out = xp.tile(input._data.reshape(padded), reps)

    def backward(g):
        split = g.reshape([n for pair in zip(reps, padded) for n in pair])
        from .reduce import sum as _sum
        return (_sum(split, tuple(range(0, 2 * len(reps), 2))).reshape(shape),)
    return make(out, "RepeatBackward0", (input,), backward, saves=False)


def tile(input, dims):
    dims = _sizes((), dims, "tile", "dims")
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


# ----- indexing views -------------------------------------------------------------------------------------
def _basic(input, key, name):
    """`input[key]` for a key of ints and slices: a view whose gradient pads the incoming one with zeros."""
    shape = input._data.shape
    # the trailing Ellipsis keeps an all-int key from returning a NumPy scalar (a copy) instead of a view
    return _view(input._data[key + (Ellipsis,)], name, input, lambda g: (_embed(g, shape, key, name),),
                 lambda t: _basic(t, key, name))


def _embed(grad, shape, key, name):
    """Zeros of `shape` with `grad` written at `key`: the gradient of `_basic`, itself differentiable."""
    out = array_module(grad._data).zeros(shape, grad._data.dtype)
    out[key] = grad._data
    return make(out, name.replace("Backward0", "BackwardBackward0"), (grad,), lambda g: (_basic(g, key, name),),
                saves=False)


def select(input, dim, index):
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    index = int(index)
    if not -shape[d] <= index < shape[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shape)} at dimension {dim}")
    return _basic(input, (slice(None),) * d + (index % shape[d],), "SelectBackward0")


def _slice(input, dim, start, stop, step=1):
    return _basic(input, (slice(None),) * dim + (slice(start, stop, step),), "SliceBackward0")


def narrow(input, dim, start, length):
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    size, start, length = shape[d], int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _slice(input, d, start, start + length)


# ----- joining ---------------------------------------------------------------------------------------------
def _tensor_list(tensors, fn):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    for i, t_ in enumerate(tensors):
        if not isinstance(t_, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t_).__name__}")
    return tensors


def _joined(tensors, ref):
    """The promoted dtype of `tensors` and their arrays cast to it; all must be on `ref`'s device."""
    dtype = functools.reduce(_dtype.promote_types, [t_.dtype for t_ in tensors])
    for t_ in tensors:
        check_same_device(ref, t_)
    return dtype, [t_._data.astype(dtype.np, copy=False) for t_ in tensors]


def _cast_back(g, t_):
    return g if g.dtype is t_.dtype else g.to(t_.dtype)


def cat(tensors, dim=0, *, axis=None):
    """Join along an existing dimension (`axis` is NumPy's name for it). As in torch, 1-D empty tensors are
    skipped (legacy behaviour)."""
    dim = dim if axis is None else axis
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t_ in enumerate(tensors):
        if t_._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    used = [i for i, t_ in enumerate(tensors) if t_._data.shape != (0,)] or [0]
    ref = tensors[used[0]]
    shape = ref._data.shape
    d = _wrap_dim(dim, len(shape))
    for i in used:
        other = tensors[i]._data.shape
        if len(other) != len(shape):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(shape)} and {len(other)}")
        for k, (a, b) in enumerate(zip(shape, other)):
            if k != d and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {a} but "
                                   f"got size {b} for tensor number {i} in the list.")
    dtype, arrays = _joined(tensors, ref)
    xp = array_module(ref._data)
    out = xp.concatenate([arrays[i] for i in used], axis=d)
    offsets = {}
    start = 0
    for i in used:
        offsets[i] = start
        start += tensors[i]._data.shape[d]

    def backward(g):
        return tuple(None if not t_._requires_grad else _zeros(t_, (0,)) if i not in offsets else
                     _cast_back(narrow(g, d, offsets[i], t_._data.shape[d]), t_) for i, t_ in enumerate(tensors))
    return make(out, "CatBackward0", tuple(tensors), backward, saves=False)


def concatenate(tensors, axis=0):
    return cat(tensors, axis)


def stack(tensors, dim=0, *, axis=None):
    dim = dim if axis is None else axis
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t_ in enumerate(tensors):
        if t_._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(t_._data.shape)} at entry {i}")
    d = _wrap_dim(dim, len(shape) + 1)
    dtype, arrays = _joined(tensors, tensors[0])
    out = array_module(tensors[0]._data).stack(arrays, axis=d)

    def backward(g):
        return tuple(_cast_back(select(g, d, i), t_) if t_._requires_grad else None
                     for i, t_ in enumerate(tensors))
    return make(out, "StackBackward0", tuple(tensors), backward, saves=False)


def hstack(tensors):
    tensors = [t_ if t_._data.ndim else reshape(t_, 1) for t_ in _tensor_list(tensors, "hstack")]
    return cat(tensors, 0 if tensors and tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    tensors = _tensor_list(tensors, "vstack")
    return cat([t_ if t_._data.ndim >= 2 else reshape(t_, 1, -1) if t_._data.ndim == 0 else unsqueeze(t_, 0)
                for t_ in tensors], 0)


# ----- splitting ---------------------------------------------------------------------------------------------
def _split(input, d, sizes, name):
    """Views of consecutive pieces of `sizes` along `d`, sharing one graph node."""
    data = input._data
    lead = (slice(None),) * d
    keys = [lead + (slice(s, s + n),) for s, n in zip([0, *itertools.accumulate(sizes)], sizes)]
    datas = [data[k] for k in keys]

    def backward(*grads):
        return (cat([g if g is not None else _zeros(input, a.shape) for g, a in zip(grads, datas)], d),)
    outs = make_multi(datas, name, (input,), backward)
    return tuple(_mark_view(o, input, lambda t, k=k: _basic(t, k, "SliceBackward0"), True)
                 for o, k in zip(outs, keys))


def split(tensor, split_size_or_sections, dim=0):
    d = _wrap_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        return split_with_sizes(tensor, split_size_or_sections, d)
    n = int(split_size_or_sections)
    if n < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={n}")
    if n == 0 and size != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
    sizes = [min(n, size - s) for s in range(0, size, n)] if size else [0]
    return _split(tensor, d, sizes, "SplitBackward0")


def split_with_sizes(input, split_sizes, dim=0):
    d = _wrap_dim(dim, input._data.ndim)
    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                           f"split_sizes={sizes}")
    size = input._data.shape[d]
    if sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size "
                           f"at dimension {dim}), but got split_sizes={sizes}")
    return _split(input, d, sizes, "SplitWithSizesBackward0")


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if size == 0:
        return _split(input, d, [0] * chunks, "SplitWithSizesBackward0")
    return split(input, -(-size // chunks), d)


def unbind(input, dim=0):
    """Views of each slice along `dim`; the gradient stacks the slices' gradients back together."""
    if input._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, input._data.ndim)
    data = input._data
    lead = (slice(None),) * d
    keys = [lead + (i,) for i in range(data.shape[d])]
    datas = [data[k + (Ellipsis,)] for k in keys]

    def backward(*grads):
        return (stack([g if g is not None else _zeros(input, a.shape) for g, a in zip(grads, datas)], d),)
    outs = make_multi(datas, "UnbindBackward0", (input,), backward)
    return tuple(_mark_view(o, input, lambda t, k=k: _basic(t, k, "SelectBackward0"), True)
                 for o, k in zip(outs, keys))


# ----- triangles, diagonals and repeat_interleave --------------------------------------------------------
def _triangle(input, diagonal, name):
    data = input._data
    if data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    out = getattr(array_module(data), name)(data, diagonal)
    return make(out, name.capitalize() + "Backward0", (input,), lambda g: (_triangle(g, diagonal, name),),
                saves=False)


def tril(input, diagonal=0):
    """The lower triangle of the last two dims (on and below the `diagonal`-th diagonal), zeros elsewhere."""
    return _triangle(input, diagonal, "tril")


def triu(input, diagonal=0):
    """The upper triangle of the last two dims (on and above the `diagonal`-th diagonal), zeros elsewhere."""
    return _triangle(input, diagonal, "triu")


def _diagonal_view(data, offset, d1, d2):
    """NumPy's diagonal, made writable (it is a view of `data`, as torch's is)."""
    out = array_module(data).diagonal(data, offset, d1, d2)
    if isinstance(out, np.ndarray):
        out.flags.writeable = True
    return out


def diagonal(input, offset=0, dim1=0, dim2=1):
    """A view of the `offset`-th diagonal of the dims dim1 and dim2, which are dropped; the diagonal
    becomes the last dim."""
    data = input._data
    d1, d2 = _wrap_dim(dim1, data.ndim), _wrap_dim(dim2, data.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    shape = data.shape
    return _view(_diagonal_view(data, offset, d1, d2), "DiagonalBackward0", input,
                 lambda g: (_diagonal_scatter(g, shape, offset, d1, d2),),
                 lambda t: diagonal(t, offset, d1, d2))


def _diagonal_scatter(grad, shape, offset, d1, d2):
    """Zeros of `shape` with `grad` on the diagonal: the gradient of `diagonal`, itself differentiable."""
    out = array_module(grad._data).zeros(shape, grad._data.dtype)
    _diagonal_view(out, offset, d1, d2)[...] = grad._data
    return make(out, "DiagonalBackwardBackward0", (grad,), lambda g: (diagonal(g, offset, d1, d2),), saves=False)


def _diagonal_of(matrix, offset):
    """diagonal() for diag, whose argument named `diagonal` hides the function."""
    return diagonal(matrix, offset)


def diag(input, diagonal=0):
    """A 1-D tensor as the `diagonal`-th diagonal of a square matrix; of a matrix, that diagonal (a copy)."""
    data = input._data
    if data.ndim == 1:
        n = data.shape[0] + abs(diagonal)
        shape = (n, n)
        out = _diagonal_scatter(Tensor._wrap(data), shape, diagonal, 0, 1)._data
        return make(out, "DiagEmbedBackward0", (input,), lambda g: (_diagonal_of(g, diagonal),), saves=False)
    if data.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {data.ndim}D")
    shape = data.shape
    return make(_diagonal_view(data, diagonal, 0, 1).copy(), "DiagonalBackward0_copy", (input,),
                lambda g: (_diagonal_scatter(g, shape, diagonal, 0, 1),), saves=False)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (each slice along `dim`; of the flattened input without dim) repeated `repeats`
    times in place (an int, or a tensor with one count per element). With only a tensor of counts,
    the indices 0, 1 ... each repeated its count of times."""
    if repeats is None:
        return _repeat_indices(input)
    if dim is None:
        input, dim = input.reshape(-1), 0
    data = input._data
    d = _wrap_dim(dim, data.ndim)
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        size = data.shape[d] if data.ndim else 1
        counts = repeats if repeats.numel() != 1 else Tensor._wrap(
            array_module(repeats._data).full(size, repeats._data.reshape(-1)[0], repeats._data.dtype))
        if counts.numel() != size:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{counts.numel()} and input.size({d}) = {size}")
        from .index import index_select
        return index_select(input, d, _repeat_indices(counts))
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    shape = data.shape
    out = array_module(data).repeat(data, repeats, axis=d) if data.ndim else data.reshape(1).repeat(repeats)

    def backward(g):
        split = shape[:d] + (shape[d] if shape else 1, repeats) + shape[d + 1:]
        return (g.reshape(split).sum(d + 1).reshape(shape),)
    return make(out, "ViewBackward0", (input,), backward, saves=False)


def _repeat_indices(repeats):
    """0, 1 ... each repeated as many times as `repeats` (a 1-D integer tensor) says."""
    counts = repeats._data
    if counts.dtype.kind not in "iu":
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{repeats.dtype.scalar_name}'")
    if counts.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if bool((counts < 0).any()):
        raise RuntimeError("repeats can not be negative")
    xp = array_module(counts)
    counts = counts.reshape(-1)
    return make(xp.repeat(xp.arange(counts.shape[0], dtype=np.int64), counts), "repeat_interleave", (), None)


__all__ = ["reshape", "flatten", "ravel", "unflatten", "squeeze", "unsqueeze", "permute", "transpose", "swapaxes",
           "swapdims", "t", "movedim", "moveaxis", "flip", "roll", "tile", "select", "narrow", "cat", "concat",
           "concatenate", "stack", "hstack", "vstack", "split", "split_with_sizes", "chunk", "unbind", "tril", "triu",
           "diagonal", "diag", "repeat_interleave"]
swapaxes = swapdims = transpose
moveaxis = movedim
concat = cat

_METHODS = {name: globals()[name] for name in __all__ if name not in ("cat", "concat", "concatenate", "stack",
                                                                       "hstack", "vstack")}
_METHODS.update({
    "view": view, "view_as": view_as, "reshape_as": reshape_as, "expand": expand, "expand_as": expand_as,
    "repeat": repeat, "split": lambda self, split_size, dim=0: split(self, split_size, dim),
    "T": property(_T), "mT": property(_mT), "mH": property(lambda self: _mT(self, "mH")), "H": property(_H),
    "adjoint": lambda self: transpose(self, -2, -1), "_base": None, "_is_view": lambda self: self._base is not None,
    "_multi_output_view": False, "_view_fn": None,
})
_INPLACE = {"tril_": tril, "triu_": triu}
