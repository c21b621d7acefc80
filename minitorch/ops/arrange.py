"""Arranging tensors: at-least-n-d views, broadcasting, grids and products of index sets (meshgrid,
cartesian_prod, combinations), block_diag, column / row / depth stacking, tensor_split and h / v / d splits,
flips and rot90, vander, take_along_dim, and the index factories tril_indices, triu_indices, unravel_index.

Where torch writes an op as a composition of others (meshgrid as views and expands, column_stack as a cat)
so is it written here, so the results carry the same grad_fn as torch's."""
import itertools
import warnings

import numpy as np

from .. import _dtype
from .._creation import _resolve_dtype, _xp, empty
from .._device import array_module, as_device
from .._size import Size
from .._tensor import Tensor, _wrap_dim
from ._core import broadcast_shapes as _broadcast_pair, make
from .index import gather
from .scan import cumprod
from .shape import _split, _tensor_list, cat, expand, flatten, flip, hstack, narrow, reshape, stack, unsqueeze, vstack


# ----- at least n dims and broadcasting ---------------------------------------------------------------------------
def _atleast(tensors, ndim):
    """The views with at least `ndim` dims: one tensor in, one out; several (or a list) in, a tuple out."""
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    items = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    for t in items:
        if not isinstance(t, Tensor):
            got = type(t).__name__
            raise TypeError(f"atleast_{ndim}d() received an invalid combination of arguments - got ({got}), but "
                            f"expected one of:\n * (Tensor input)\n      didn't match because some of the arguments "
                            f"have invalid types: (!{got}!)\n * (tuple of Tensors tensors)\n      didn't match because "
                            f"some of the arguments have invalid types: (!{got}!)\n")
    out = []
    for t in items:
        if t.ndim == 0:
            t = reshape(t, (1,) * ndim)
        if ndim >= 2 and t.ndim == 1:
            t = unsqueeze(t, 0)
        if ndim >= 3 and t.ndim == 2:
            t = unsqueeze(t, -1)
        out.append(t)
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    """The tensors as at least 1-D (a 0-d tensor becomes one element)."""
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    """The tensors as at least 2-D (a vector becomes one row)."""
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    """The tensors as at least 3-D (a vector becomes (1, n, 1), a matrix (m, n, 1))."""
    return _atleast(tensors, 3)


def broadcast_to(input, size):
    """`input` expanded to `size` (a view)."""
    return expand(input, size)


def broadcast_shapes(*shapes):
    """The shape that tensors of these shapes broadcast to."""
    out = []
    for i, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if any(s < 0 for s in shape):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
        out = [1] * (len(shape) - len(out)) + out
        for k in range(1, len(shape) + 1):
            if shape[-k] != 1 and out[-k] not in (1, shape[-k]):
                raise RuntimeError(f"Attempting to broadcast a dimension of length {shape[-k]} at {-k}! Mismatching "
                                   f"argument at index {i} had {shape}; but expected shape should be broadcastable "
                                   f"to {out}")
            out[-k] = shape[-k] if out[-k] == 1 else out[-k]
    return Size(out)


def broadcast_tensors(*tensors):
    """Views of all the tensors expanded to their common broadcast shape (a tensor of that shape itself)."""
    tensors = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    shape = ()
    for t in tensors:
        shape = _broadcast_pair(shape, t.shape)
    return tuple(t if tuple(t.shape) == tuple(shape) else expand(t, shape) for t in tensors)


# ----- grids and index sets ------------------------------------------------------------------------------------------
def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 0-d / 1-d tensors: with indexing 'ij' output k varies along dim k; with 'xy' the first
    two dims swap (Cartesian). Without `indexing`, 'ij' with torch's warning."""
    tensors = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=3)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t!r}")
    for t in tensors[1:]:
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    order = [1, 0, *range(2, len(tensors))] if swap else list(range(len(tensors)))  # output dim -> input
    sizes = [tensors[i].numel() for i in order]
    out = []
    for i, t in enumerate(tensors):
        view_shape = [1] * len(tensors)
        view_shape[order.index(i)] = -1
        out.append(expand(reshape(t, view_shape), sizes))
    return tuple(out)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows (the tensor itself for one input)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([flatten(g) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """The r-element combinations of the elements of a 1-D tensor, as rows, in lexicographic index order
    (itertools.combinations, or combinations_with_replacement)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return make(array_module(input._data).empty((0,), input._data.dtype), "combinations", (), None)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    xp = array_module(input._data)
    columns = [input[Tensor._wrap(xp.asarray(rows[:, k]))] for k in range(r)]
    return stack(columns, 1)


def block_diag(*tensors):
    """The tensors (0-d, 1-d as one row, or 2-d) placed along the diagonal of one zero matrix."""
    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions")
        blocks.append(t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t)
    if not blocks:
        return make(np.empty((1, 0), _dtype.get_default_dtype().np), "block_diag", (), None)
    dtype = blocks[0].dtype
    for b in blocks[1:]:
        dtype = _dtype.promote_types(dtype, b.dtype)
    xp = array_module(blocks[0]._data)
    rows, cols = sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)
    out = xp.zeros((rows, cols), dtype.np)
    corners, r, c = [], 0, 0
    for b in blocks:
        out[r:r + b.shape[0], c:c + b.shape[1]] = b._data
        corners.append((r, c))
        r, c = r + b.shape[0], c + b.shape[1]
    shapes = [t.shape for t in tensors]

    def backward(g):
        return tuple(g[r:r + b.shape[0], c:c + b.shape[1]].reshape(shape).to(t.dtype)
                     for (r, c), b, shape, t in zip(corners, blocks, shapes, tensors))
    return make(out, "BlockDiagBackward0", tuple(tensors), backward, saves=False)


# ----- stacking and splitting --------------------------------------------------------------------------------------
def column_stack(tensors):
    """The tensors side by side as columns (0-d and 1-d tensors become one column each)."""
    tensors = _tensor_list(tensors, "column_stack")
    return hstack([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors])


def row_stack(tensors):
    """vstack under its NumPy name."""
    return vstack(tensors)


def dstack(tensors):
    """The tensors, made at least 3-D, joined along dim 2 (depth)."""
    return cat(atleast_3d(_tensor_list(tensors, "dstack")), 2)


def tensor_split(input, indices_or_sections, dim=0):
    """Views of `input` cut along `dim`: into n nearly equal parts (the first size % n one longer), or at the
    given indices."""
    d = _wrap_dim(dim, input.ndim)
    size = input.shape[d]
    if isinstance(indices_or_sections, Tensor):
        if indices_or_sections.dtype is not _dtype.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{indices_or_sections.dtype.scalar_name}")
        if indices_or_sections.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {indices_or_sections.ndim} dims")
        indices_or_sections = indices_or_sections.item() if indices_or_sections.ndim == 0 else \
            indices_or_sections.tolist()
    if isinstance(indices_or_sections, (int, np.integer)):
        n = int(indices_or_sections)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        sizes = [size // n + (1 if i < size % n else 0) for i in range(n)]
    else:
        bounds = [min(max(int(i), 0), size) for i in indices_or_sections]
        starts = [0] + bounds
        ends = bounds + [size]
        sizes = [max(0, e - s) for s, e in zip(starts, ends)]
        if any(e < s for s, e in zip(starts, ends)):  # decreasing indices give empty pieces at their start
            return tuple(narrow(input, d, min(s, size), max(0, e - s)) for s, e in zip(starts, ends))
    out, start = [], 0
    for n in sizes:
        out.append(narrow(input, d, start, n))
        start += n
    return tuple(out)


def _split_along(input, sections, dim, name, min_dims):
    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor "
                           f"with {input.ndim} dimensions!")
    if isinstance(sections, (int, np.integer)):
        size = input.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
                               f"{size} is not divisible by the split_size {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):
    """tensor_split along dim 1 (dim 0 for a vector); a number of sections must divide the size."""
    return _split_along(input, indices_or_sections, 1 if input.ndim > 1 else 0, "hsplit", 1)


def vsplit(input, indices_or_sections):
    """tensor_split along dim 0, for tensors of 2 or more dims."""
    return _split_along(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    """tensor_split along dim 2, for tensors of 3 or more dims."""
    return _split_along(input, indices_or_sections, 2, "dsplit", 3)


def _unsafe_split(input, sizes, dim, name):
    """The pieces of split, as one node named as torch's unsafe splits (their outputs are not tracked as views)."""
    d = _wrap_dim(dim, input.ndim)
    return _split(input, d, sizes, name)


def unsafe_split(input, split_size, dim=0):
    return _unsafe_split(input, [p.shape[_wrap_dim(dim, input.ndim)] for p in input.split(split_size, dim)], dim,
                         "UnsafeSplitBackward0")


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    input.split(list(split_sizes), dim)  # torch's checks
    return _unsafe_split(input, list(split_sizes), dim, "UnsafeSplitWithSizesBackward0")


def unsafe_chunk(input, chunks, dim=0):
    return _unsafe_split(input, [p.shape[_wrap_dim(dim, input.ndim)] for p in input.chunk(chunks, dim)], dim,
                         "UnsafeSplitBackward0")


# ----- flips, rotation and vander -------------------------------------------------------------------------------------
def fliplr(input):
    """Reversed along dim 1 (left / right)."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    """Reversed along dim 0 (up / down)."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


def rot90(input, k=1, dims=(0, 1)):
    """Rotated by k quarter turns in the plane of `dims`, from the first towards the second."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    a, b = _wrap_dim(dims[0], input.ndim), _wrap_dim(dims[1], input.ndim)
    if a == b:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    k %= 4
    data = array_module(input._data).rot90(input._data, k, (a, b)).copy()
    return make(data, "Rot90Backward0", (input,), lambda g: (rot90(g, -k, dims),), saves=False)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a vector: columns x^0 ... x^(N-1), highest power first unless increasing.
    Integer and bool input give int64."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dtype = _dtype.int64 if x.dtype._category <= 1 else x.dtype
    base = x.to(dtype)
    result = empty(x.shape[0], n, dtype=dtype, device=x.device)
    if n > 0:
        result[:, 0] = 1
        if n > 1:
            result[:, 1:] = cumprod(unsqueeze(base, 1).expand(-1, n - 1), 1)
    return result if increasing else flip(result, 1)


# ----- gathering, index factories -------------------------------------------------------------------------------------
def take_along_dim(input, indices, dim=None):
    """Elements of `input` at `indices` along `dim` (of the flattened input without dim); input and indices
    broadcast against each other except along dim."""
    if indices.dtype is not _dtype.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{indices.dtype.scalar_name}")
    if dim is None:
        return gather(reshape(input, -1), 0, reshape(indices, -1))
    if input.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.ndim} dimensions for input, and {indices.ndim} dimensions for indices")
    d = _wrap_dim(dim, input.ndim)
    shape = list(_broadcast_pair(input.shape[:d] + (1,) + input.shape[d + 1:],
                                 indices.shape[:d] + (1,) + indices.shape[d + 1:]))
    input_shape, index_shape = list(shape), list(shape)
    input_shape[d], index_shape[d] = input.shape[d], indices.shape[d]
    return gather(expand(input, input_shape), d, expand(indices, index_shape))


def _triangle_indices(row, col, offset, lower, dtype, device):
    xp = _xp(as_device(device or "cpu"))
    rows, cols = np.tril_indices(row, offset, col) if lower else np.triu_indices(row, offset, col)
    pairs = np.stack([rows, cols]).astype(_resolve_dtype(dtype, _dtype.int64).np).reshape(2, -1)
    return make(xp.asarray(pairs), "indices", (), None)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
    """The (row, column) coordinates of the lower triangle of a row x col matrix (below diagonal `offset`)."""
    return _triangle_indices(row, col, offset, True, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
    """The (row, column) coordinates of the upper triangle of a row x col matrix (above diagonal `offset`)."""
    return _triangle_indices(row, col, offset, False, dtype, device)


def unravel_index(indices, shape):
    """The coordinates in a tensor of `shape` of each flat index (a tuple of int64 tensors, one per dim)."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a tensor, but got {type(indices)}")
    if indices.dtype._category != 1:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(tuple(shape)))
    total = int(np.prod(shape))
    data = indices._data
    xp = array_module(data)
    flat = data % total if total else data  # torch wraps indices outside the shape around
    coords = xp.unravel_index(flat, shape) if shape else ()
    return tuple(make(xp.asarray(c, dtype=np.int64), "unravel_index", (), None) for c in coords)


__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "broadcast_to", "broadcast_shapes", "broadcast_tensors",
           "meshgrid", "cartesian_prod", "combinations", "block_diag", "column_stack", "row_stack", "dstack",
           "tensor_split", "hsplit", "vsplit", "dsplit", "unsafe_split", "unsafe_split_with_sizes", "unsafe_chunk",
           "fliplr", "flipud", "rot90", "vander", "take_along_dim", "tril_indices", "triu_indices", "unravel_index"]
_METHODS = {name: globals()[name] for name in ("broadcast_to", "tensor_split", "hsplit", "vsplit", "dsplit",
                                                "unsafe_split", "unsafe_split_with_sizes", "unsafe_chunk", "fliplr",
                                                "flipud", "rot90", "take_along_dim")}
_INPLACE = {}
