"""Strided views and their inverses: as_strided, unfold (sliding windows), the *_scatter ops that embed a
tensor where a view of another would be (diagonal_scatter, select_scatter, slice_scatter, as_strided_scatter),
diag_embed / diagflat, the in-place view ops (t_, transpose_, squeeze_, unsqueeze_, as_strided_ ...),
sum_to_size, narrow_copy, and the *_copy variants of the view ops (the same values, in new memory)."""
import numpy as np

from .._device import array_module
from .._tensor import Tensor, _wrap_dim
from ._core import make, sum_to
from .index import index_add
from .inplace import check_inplace
from .shape import (_basic, _mark_view, _view, _zeros, alias, diagonal, expand, narrow, permute,
                    select, split, split_with_sizes, squeeze, t, transpose, unbind, unsqueeze, view)


def _strided(xp, data, shape, strides):
    """A view of `data` with element `strides` (NumPy / CuPy's as_strided works in bytes)."""
    return xp.lib.stride_tricks.as_strided(data, shape, [s * data.itemsize for s in strides])


def _storage(input):
    """(the flat array of the memory `input` lives in, input's offset in it, where each of input's elements
    sits in it), all in elements."""
    data = input._data
    xp = array_module(data)
    owner = data
    while owner.base is not None and isinstance(owner.base, type(data)):
        owner = owner.base
    if owner is data or not owner.flags.c_contiguous:  # own memory (or memory NumPy code laid out): itself
        flat = data.reshape(-1) if data.flags.c_contiguous else data.copy().reshape(-1)
        return flat, 0, xp.arange(data.size).reshape(data.shape)
    offset = input.storage_offset()
    positions = _strided(xp, xp.arange(owner.size)[offset:], data.shape, input.stride()).copy()
    return owner.reshape(-1), offset, positions


def as_strided(input, size, stride, storage_offset=None):
    """A view of `input`'s memory with the given sizes and element strides, starting `storage_offset` elements
    into the memory (input's own offset by default)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    flat, offset, input_positions = _storage(input)
    offset = offset if storage_offset is None else int(storage_offset)
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    needed = offset + 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    if needed > flat.size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {flat.itemsize} requiring a storage size of {needed * flat.itemsize} are out "
                           f"of bounds for storage of size {flat.size * flat.itemsize}")
    xp = array_module(flat)
    out = _strided(xp, flat[offset:] if flat.size else flat, size, stride)

    def backward(g):
        return (_strided_grad(g, input, flat.size, offset, size, stride, input_positions),)
    return _mark_view(make(out, "AsStridedBackward0", (input,), backward, saves=False), input,
                      lambda t_: as_strided(t_, size, stride, storage_offset))


def _strided_grad(g, input, storage_size, offset, size, stride, input_positions):
    """as_strided's gradient: the output gradient summed into memory positions, then read at input's elements."""
    xp = array_module(g._data)
    where = _strided(xp, xp.arange(storage_size)[offset:], size, stride).reshape(-1)
    positions = Tensor._wrap(xp.asarray(where, dtype=np.int64))
    memory = index_add(Tensor._wrap(xp.zeros(storage_size, g._data.dtype)), 0, positions, g.reshape(-1))
    return memory[Tensor._wrap(input_positions.astype(np.int64).reshape(-1))].reshape(input_positions.shape)


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of `input` with `src` written where as_strided(input, size, stride, storage_offset) would look."""
    out = input.clone()
    target = as_strided(Tensor._wrap(out._data), size, stride, storage_offset)
    if target.shape != src.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(target.shape)}")
    target._data[...] = src._data
    xp = array_module(out._data)
    input_positions = xp.arange(out.numel()).reshape(out.shape)  # the copy is contiguous
    flat_size = out.numel()
    offset = 0 if storage_offset is None else int(storage_offset)

    def backward(g):
        covered = _strided_grad(Tensor._wrap(xp.ones(size, g._data.dtype)), input, flat_size, offset, size, stride,
                                input_positions)
        return (g * (covered == 0), as_strided(g.contiguous(), size, stride, storage_offset))
    return make(out._data, "AsStridedScatterBackward0", (input, src), backward, saves=False)


def unfold(input, dimension, size, step):
    """A view of every window of `size` elements along `dimension`, `step` apart; the windows' elements form
    a new last dim."""
    data = input._data
    d = _wrap_dim(dimension, data.ndim) if data.ndim else 0
    length = data.shape[d] if data.ndim else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    windows = (length - size) // step + 1
    strides = input.stride() if data.ndim else ()
    shape = data.shape[:d] + (windows,) + data.shape[d + 1:] + (size,) if data.ndim else (size,)
    new_strides = (strides[:d] + (strides[d] * step,) + strides[d + 1:] + (strides[d],)) if data.ndim else (1,)
    xp = array_module(data)
    out = _strided(xp, data, shape, new_strides)

    def backward(g):
        if not data.ndim:
            return (g.reshape(()),)
        grad = _zeros(g, data.shape)
        starts = Tensor._wrap(xp.arange(windows, dtype=np.int64) * step)
        for k in range(size):
            grad = index_add(grad, d, starts + k, select(g, -1, k))
        return (grad,)
    return _view(out, "UnfoldBackward0", input, backward, lambda t_: unfold(t_, dimension, size, step))


# ----- scatters: the inverses of views --------------------------------------------------------------------------------
def _scatter_into(input, src, view_of, name):
    """A copy of `input` with `src` written into view_of(copy); the gradient splits into the rest (for input)
    and the view's part (for src)."""
    out = Tensor._wrap(input._data.copy())
    target = view_of(out)
    if target.shape != src.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(target.shape)}")
    target._data[...] = src._data

    def backward(g):  # input's part: g with the view zeroed (a scatter itself); src's part: the view of g
        return (_scatter_into(g, view_of(g) * 0, view_of, name) if input._requires_grad else None,
                view_of(g) if src._requires_grad else None)
    return make(out._data, name, (input, src), backward, saves=False)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of `input` with its `offset`-th diagonal (of dims dim1, dim2) replaced by `src`."""
    return _scatter_into(input, src, lambda t_: diagonal(t_, offset, dim1, dim2), "DiagonalScatterBackward0")


def select_scatter(input, src, dim, index):
    """A copy of `input` with input.select(dim, index) replaced by `src`."""
    return _scatter_into(input, src, lambda t_: select(t_, dim, index), "SelectScatterBackward0")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of `input` with input[start:end:step] along `dim` replaced by `src`."""
    return _scatter_into(input, src, lambda t_: _slice(t_, dim, start, end, step), "SliceScatterBackward0")


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonal (offset, of the new dims dim1 and dim2) holds the last dim of `input`, zeros
    elsewhere."""
    ndim = input.ndim + 1
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    data = input._data if input.ndim else input._data.reshape(1)
    length = data.shape[-1]
    n = length + abs(offset)
    xp = array_module(data)
    square = xp.zeros(data.shape[:-1] + (n, n), data.dtype)  # the two new dims last, moved into place after
    steps = xp.arange(length)
    square[..., steps + max(-offset, 0), steps + max(offset, 0)] = data
    out = xp.moveaxis(square, (-2, -1), (d1, d2))
    return make(out, "DiagEmbedBackward0", (input,), lambda g: (diagonal(g, offset, d1, d2),), saves=False)


def diagflat(input, offset=0):
    """A square matrix with the flattened `input` on its `offset`-th diagonal."""
    return diag_embed(input.reshape(-1), offset)


# ----- in-place views and small helpers ------------------------------------------------------------------------------
def _restride(self, view_op, name):
    """Make `self` the view view_op(self) of its own memory, in place; its history continues through a node
    named `name` (torch's names for the in-place view ops) with the view op's gradient."""
    if check_inplace(self):
        old = Tensor._wrap(self._data, True)
        old._grad_fn, old._output_nr = self._grad_fn, self._output_nr
        result = view_op(old)
        node = make(result._data, name, (old,), result._grad_fn._backward_fn, saves=False)._grad_fn
        self._grad_fn, self._output_nr = node, 0
    else:
        result = view_op(Tensor._wrap(self._data))
    self._data = result._data
    return self


def t_(self):
    return _restride(self, t, "TBackward1")


def transpose_(self, dim0, dim1):
    return _restride(self, lambda x: transpose(x, dim0, dim1), "TransposeBackward1")


def squeeze_(self, dim=None):
    name = "SqueezeBackward3" if dim is None else "SqueezeBackward5" if isinstance(dim, (tuple, list)) else \
        "SqueezeBackward4"
    return _restride(self, lambda x: squeeze(x, dim), name)


def unsqueeze_(self, dim):
    return _restride(self, lambda x: unsqueeze(x, dim), "UnsqueezeBackward1")


def as_strided_(self, size, stride, storage_offset=None):
    return _restride(self, lambda x: as_strided(x, size, stride, storage_offset), "AsStridedBackward1")


def sum_to_size(self, *size):
    """The sum of `self` down to `size` (to which self must be broadcastable); self itself when equal."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    shape = tuple(self.shape)
    if len(size) > len(shape) or any(s not in (1, n) for s, n in zip(reversed(size), reversed(shape))):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    if shape == size:
        return self
    return sum_to(self, size)


def narrow_copy(input, dim, start, length):
    """narrow(), as a copy."""
    piece = narrow(input.detach(), dim, start, length)
    d = _wrap_dim(dim, input.ndim)
    start = int(start) % input.shape[d] if input.shape[d] else 0

    def backward(g):
        grad = _zeros(g, input.shape)
        return (index_add(grad, d, Tensor._wrap(array_module(g._data).arange(start, start + g.shape[d])), g),)
    return make(piece._data.copy(), "NarrowCopyBackward0", (input,), backward, saves=False)


# ----- the *_copy variants -------------------------------------------------------------------------------------------
def _copy_variant(view_op, name):
    """`name`: view_op's result (or results) copied into new memory, with the view's gradient; the graph
    node is named after the view's, as torch's copy variants are ("PermuteBackward0_copy")."""
    def op(*args, **kwargs):
        result = view_op(*args, **kwargs)
        outs = result if isinstance(result, (tuple, list)) else (result,)
        copies = tuple(make(o._data.copy(), o._grad_fn.name() + "_copy" if o._grad_fn is not None else name,
                            (o,), lambda g: (g,), saves=False) for o in outs)
        return copies if isinstance(result, (tuple, list)) else copies[0]
    op.__name__ = name
    return op


def detach_copy(input):
    """A copy of `input` cut from the graph."""
    def backward(g):
        raise RuntimeError("derivative for aten::detach_copy is not implemented")
    return make(input._data.copy(), "torch::autograd::NotImplemented", (input,), backward, saves=False)


def _slice(input, dim=0, start=None, end=None, step=1):
    """input[start:end:step] along `dim` (torch's aten slice, which slice_copy copies)."""
    return _basic(input, (slice(None),) * _wrap_dim(dim, input.ndim) + (slice(start, end, step),), "SliceBackward0")


_COPIES = {"alias_copy": alias, "as_strided_copy": as_strided, "diagonal_copy": diagonal, "expand_copy": expand,
           "permute_copy": permute, "select_copy": select, "slice_copy": _slice,
           "split_copy": split, "split_with_sizes_copy": split_with_sizes, "squeeze_copy": squeeze, "t_copy": t,
           "transpose_copy": transpose, "unbind_copy": unbind, "unfold_copy": unfold, "unsqueeze_copy": unsqueeze,
           "view_copy": view}
globals().update({name: _copy_variant(op, name) for name, op in _COPIES.items()})

__all__ = ["as_strided", "as_strided_scatter", "diagonal_scatter", "select_scatter", "slice_scatter", "diag_embed",
           "diagflat", "narrow_copy", "detach_copy", *_COPIES]
_METHODS = {name: globals()[name] for name in ("as_strided", "as_strided_scatter", "diagonal_scatter",
                                                "select_scatter", "slice_scatter", "diag_embed", "diagflat",
                                                "narrow_copy", "unfold", "sum_to_size", "t_", "transpose_",
                                                "squeeze_", "unsqueeze_", "as_strided_")}
_METHODS.update({"swapaxes_": transpose_, "swapdims_": transpose_})
_INPLACE = {}
