"""Kernels of the sparse dispatch keys (SparseCPU / SparseCUDA for COO, SparseCsrCPU / SparseCsrCUDA for
CSR): the ops a sparse tensor supports, registered in the dispatch door's table. Any other op on a sparse
tensor raises torch's "Could not run 'aten::x' with arguments from the 'SparseCPU' backend".

Products run on SciPy's sparse matrices on the cpu and on cupyx.scipy.sparse (cuSPARSE) on a GPU; each
forward is followed by its backward. As in torch, the gradient of a sparse operand of `sparse.mm` keeps its
sparsity pattern (the dense gradient masked to the stored entries), while `F.linear` gives a CSR weight a
dense gradient."""
import numpy as np

from .. import _dispatch
from .._device import array_module
from .._layout import sparse_coo, sparse_csr, strided
from .._tensor import Tensor
from ..ops import sparse as dense_side
from ..ops._core import make, sum_to
from ..ops.index import _add_at
from ..ops.pointwise import _dtype_name
from ..backends.sparse import make_data

COO_KEYS = ("SparseCPU", "SparseCUDA")
CSR_KEYS = ("SparseCsrCPU", "SparseCsrCUDA")

# Entries whose dense implementation reads only what a sparse tensor's data offers (shape, dtype, device) or
# its autograd state; by aten name.
SHARED = (
    "dtype", "device", "layout", "is_cuda", "is_cpu", "is_meta", "is_sparse", "is_quantized", "shape", "ndim",
    "itemsize", "requires_grad", "grad_fn", "is_leaf", "grad", "retains_grad", "output_nr", "data", "size", "dim",
    "numel", "element_size", "is_floating_point", "is_complex", "get_device", "len", "requires_grad_", "detach",
    "detach_", "retain_grad", "register_hook", "register_post_accumulate_grad_hook", "repr", "format",
    "deepcopy", "backward",
)
for _name in SHARED:
    for _key in COO_KEYS + CSR_KEYS:
        _dispatch.share_dense_kernel("aten::" + _name, _key)


def kernel(name, keys):
    """Decorator: register `fn` as the kernel of aten op `name` for every key in `keys`."""
    def register(fn):
        for key in keys:
            _dispatch.register_kernel("aten::" + name, key)(fn)
        return fn
    return register


def check_same_device(a, b):
    if a.device != b.device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{a.device} and {b.device}!")


def is_sparse(t):
    return isinstance(t, Tensor) and t.layout is not strided


def with_values(data, values):
    """Sparse data with `data`'s indices (shared) and new values."""
    index_arrays = data.arrays()[:-1]
    return make_data(data.layout, data.shape, *index_arrays, values, **data.flags())


def coords(data):
    """The (row, col ...) index arrays of the stored entries, for reading a dense array at them."""
    if data.layout is sparse_csr:
        return data.rows(), data.col_indices.astype(np.int64)
    return tuple(data.indices)


# ----- conversions ----------------------------------------------------------------------------------------------
def dense_array(data):
    """The dense array a sparse tensor stands for (repeated COO entries add up)."""
    xp = data.xp
    out = xp.zeros(data.shape, dtype=data.dtype)
    if data.ndim == 0:
        out[()] = data.values.sum()
    elif data.layout is sparse_csr:
        out[coords(data)] = data.values
    else:
        _add_at(out, coords(data), data.values)
    return out


@kernel("to_dense", COO_KEYS + CSR_KEYS)
def to_dense(input, dtype=None, *, masked_grad=None):
    """The dense tensor; its gradient reaches the sparse tensor masked to the stored entries."""
    if dtype is not None and input.layout is sparse_csr:
        raise RuntimeError("dtype argument is not supported by sparse_csr_to_dense")
    data = input._data
    out = make(dense_array(data), "ToDenseBackward0", (input,),
               lambda g: (Tensor._wrap(with_values(data, g._data[coords(data)])),), saves=False)
    return out if dtype is None else out.to(dtype)


def coalesced(data):
    """COO data with its entries sorted in row-major order and repeats summed."""
    if data.coalesced:
        return data
    xp = data.xp
    if data.ndim == 0:
        values = data.values.sum(keepdims=True)[: min(1, data.nnz)]
        return make_data(sparse_coo, (), data.indices[:, : values.shape[0]], values, coalesced=True)
    flat = xp.ravel_multi_index(tuple(data.indices), data.shape)
    keys, slot = xp.unique(flat, return_inverse=True)
    values = xp.zeros(keys.shape[0], dtype=data.dtype)
    _add_at(values, slot.reshape(-1), data.values)
    indices = xp.stack(xp.unravel_index(keys, data.shape)).astype(np.int64)
    return make_data(sparse_coo, data.shape, indices, values, coalesced=True)


@kernel("coalesce", COO_KEYS + CSR_KEYS)
def coalesce(input):
    """Sorted, distinct entries (repeats summed): the form `indices()` and `values()` need."""
    _coo_only("coalesce", input)
    data = coalesced(input._data)
    if data is input._data:
        return input
    return make(data, "CoalesceBackward0", (input,), lambda g: (g,), saves=False)


@kernel("is_coalesced", COO_KEYS + CSR_KEYS)
def is_coalesced(input):
    _coo_only("is_coalesced", input)
    return input._data.coalesced


def _coo_only(method, input):
    if input.layout is not sparse_coo:
        raise dense_side.layout_error(method, dense_side.COO_ONLY, input)


def csr_of_coo(data):
    data = coalesced(data)
    rows, cols = data.indices
    return make_data(sparse_csr, data.shape, dense_side.crow_of_rows(rows, data.shape[0]), cols, data.values)


@kernel("to_sparse_csr", COO_KEYS + CSR_KEYS)
def to_sparse_csr(input, dense_dim=None):
    if input.layout is sparse_csr:
        if dense_dim is not None:
            raise RuntimeError("to_sparse_csr: conversion from SparseCsr to SparseCsr with dense_dim argument "
                               "given is not supported")
        return input
    dense_side.check_matrix("to_sparse_csr", input)
    return make(csr_of_coo(input._data), "ToSparseCsrBackward0", (input,), lambda g: (g,), saves=False)


@kernel("to_sparse", COO_KEYS + CSR_KEYS)
def to_sparse(input, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    if layout is sparse_csr:
        return to_sparse_csr(input, dense_dim)
    if input.layout is sparse_coo:
        if sparse_dim is not None and sparse_dim != input.dim():
            raise RuntimeError("to_sparse: conversion from Sparse to Sparse with sparse_dim argument "
                               "!=self.sparse_dim() is not supported")
        return input
    data = input._data
    indices = data.xp.stack((data.rows(), data.col_indices.astype(np.int64)))
    coo = make_data(sparse_coo, data.shape, indices, data.values, coalesced=True)
    return make(coo, "ToSparseBackward1", (input,), lambda g: (g,), saves=False)


# ----- the parts of a sparse tensor -----------------------------------------------------------------------------
def _part(name, layouts, attribute):
    """The kernel of a method returning one index array of the layouts in `layouts` (int, no gradient)."""
    wanted = dense_side.COO_ONLY if layouts == (sparse_coo,) else dense_side.CSR_ONLY

    @kernel(name, COO_KEYS + CSR_KEYS)
    def part(input):
        if input._data.layout not in layouts:
            raise dense_side.layout_error(name, wanted, input)
        _check_coalesced(input, name)
        return Tensor._wrap(getattr(input._data, attribute))
    part.__name__ = name


def _check_coalesced(input, what):
    if input.layout is sparse_coo and not input._data.coalesced:
        raise RuntimeError(f"Cannot get {what} on an uncoalesced tensor, please call .coalesce() first")


_part("indices", (sparse_coo,), "indices")
_part("crow_indices", (sparse_csr,), "crow_indices")
_part("col_indices", (sparse_csr,), "col_indices")


@kernel("values", COO_KEYS + CSR_KEYS)
def values(input):
    """The stored values, sharing memory; their gradient comes back as a sparse tensor of the same pattern."""
    _check_coalesced(input, "values")
    data = input._data
    return make(data.values, "ValuesBackward0", (input,), lambda g: (Tensor._wrap(with_values(data, g._data)),),
                saves=False)


@kernel("_nnz", COO_KEYS + CSR_KEYS)
def _nnz(input):
    return input._data.nnz


@kernel("sparse_dim", COO_KEYS + CSR_KEYS)
def sparse_dim(input):
    return input.dim()


@kernel("dense_dim", COO_KEYS + CSR_KEYS)
def dense_dim(input):
    return 0


@kernel("sum", COO_KEYS + CSR_KEYS)
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum of all entries (a dense 0-d tensor; its gradient is dense, as torch's)."""
    if dim is not None or dtype is not None:
        raise _dispatch.not_implemented_for("aten::sum", _dispatch.dispatch_key_of(input))
    shape = input.shape
    return make(input._data.values.sum(), "SumBackward0", (input,), lambda g: (g.expand(shape),), saves=False)


@kernel("t", COO_KEYS)
def t(input):
    """The transpose of a COO matrix: its two index rows swapped (no longer in row-major order)."""
    data = input._data
    if data.ndim != 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, but got {data.ndim} "
                           "sparse and 0 dense dimensions")
    swapped = make_data(sparse_coo, data.shape[::-1], data.indices[::-1].copy(), data.values,
                        coalesced=data.nnz <= 1)
    return make(swapped, "TBackward0", (input,), lambda g: (g.t(),), saves=False)


@kernel("clone", COO_KEYS + CSR_KEYS)
def clone(input, *, memory_format=None):
    return make(input._data.copy(), "CloneBackward0", (input,), lambda g: (g,), saves=False)


@kernel("numpy", COO_KEYS + CSR_KEYS)
def numpy(input, *, force=False):
    raise TypeError(f"can't convert {dense_side.LAYOUT_NAMES[input.layout]} layout tensor to numpy. Use "
                    "Tensor.to_dense() first.")


@kernel("stride", CSR_KEYS)
def stride(input, dim=None):
    raise RuntimeError("Sparse CSR tensors do not have strides")


@kernel("is_contiguous", CSR_KEYS)
def is_contiguous(input, memory_format=None):
    raise RuntimeError("Sparse CSR tensors do not have is_contiguous")


# ----- sums ------------------------------------------------------------------------------------------------
def add_sparse(a, b):
    """The sum of two sparse datas of one layout and shape (new data; CSR through SciPy / cupyx)."""
    if a.layout is sparse_coo:
        xp = a.xp
        both = make_data(sparse_coo, a.shape, xp.concatenate((a.indices, b.indices), axis=1),
                         xp.concatenate((a.values, b.values)))
        return coalesced(both)
    total = (a.matrix() + b.matrix()).tocsr()
    total.sum_duplicates()
    index = a.crow_indices.dtype
    return make_data(sparse_csr, a.shape, total.indptr.astype(index), total.indices.astype(index), total.data)


@kernel("add", COO_KEYS + CSR_KEYS)
def add(input, other, *, alpha=1):
    """sparse + sparse of one layout and shape (what gradient accumulation needs)."""
    if not (is_sparse(other) and is_sparse(input) and other.layout is input.layout) or alpha != 1:
        raise _dispatch.not_implemented_for("aten::add", _dispatch.dispatch_key_of(input))
    if input.shape != other.shape:
        raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size "
                           f"{list(input.shape)} while other has size {list(other.shape)} (FYI: op2-sparse "
                           "addition does not yet support broadcasting)")
    check_same_device(input, other)
    return make(add_sparse(input._data, other._data), "AddBackward0", (input, other), lambda g: (g, g), saves=False)


# ----- products ------------------------------------------------------------------------------------------------
def sparse_times(data, b, transpose=False):
    """S @ b (S.T @ b with transpose: the CSC view of the same arrays) for a dense 2-D array b; a single
    column takes one SpMV."""
    m = data.matrix().T if transpose else data.matrix()
    xp = array_module(b)
    if b.shape[1] == 1:
        return xp.asarray(m @ b[:, 0]).reshape(-1, 1)
    return xp.asarray(m @ xp.ascontiguousarray(b))


def times_sparse(a, data, transpose=False):
    """a @ S (a @ S.T with transpose) for a dense 2-D array a, as (S.T @ a.T).T, made C-contiguous."""
    return array_module(a).ascontiguousarray(sparse_times(data, a.T, not transpose).T)


def masked_product(x, y, data):
    """(x @ y.T) read only at the stored entries of `data`: sum_j x[row, j] * y[col, j] for each entry."""
    rows, cols = coords(data)
    return (x[rows] * y[cols]).sum(axis=1)


def _check_product(sparse, dense, sparse_first):
    if dense.dim() != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {dense.dim()}-D tensor")
    a, b = (sparse, dense) if sparse_first else (dense, sparse)
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    if dense.dtype is not sparse.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(dense.dtype)} but found {_dtype_name(sparse.dtype)}")
    if sparse.dtype.name not in ("float32", "float64"):
        raise NotImplementedError(f"minitorch: sparse products of {sparse.dtype} are not supported (float32 and "
                                  "float64 are)")
    check_same_device(sparse, dense)


@kernel("mm", COO_KEYS + CSR_KEYS)
def mm(input, mat2):
    """sparse @ dense or dense @ sparse, a dense result (torch.mm, `@`, matmul)."""
    return product(input, mat2, "MmBackward0")


@kernel("_sparse_mm", COO_KEYS + CSR_KEYS)
def sparse_mm(mat1, mat2):
    """torch.sparse.mm: the product of `mm`, recorded as torch's sparse addmm node."""
    return product(mat1, mat2, "SparseAddmmBackward0")


def product(input, mat2, node):
    """input @ mat2, one of them sparse: a dense result; the sparse operand's gradient keeps its pattern."""
    if is_sparse(input) and is_sparse(mat2):
        raise NotImplementedError("minitorch: products of two sparse tensors are not implemented")
    if input.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if is_sparse(input):
        _check_product(input, mat2, True)
        s, d = input._data, mat2._data

        def backward(g):
            return (Tensor._wrap(with_values(s, masked_product(g._data, d, s))) if input._requires_grad else None,
                    Tensor._wrap(sparse_times(s, g._data, True)) if mat2._requires_grad else None)
        return make(sparse_times(s, d), node, (input, mat2), backward)
    _check_product(mat2, input, False)
    s, d = mat2._data, input._data

    def backward_right(g):
        return (Tensor._wrap(times_sparse(g._data, s, True)) if input._requires_grad else None,
                Tensor._wrap(with_values(s, masked_product(d.T, g._data.T, s))) if mat2._requires_grad else None)
    return make(times_sparse(d, s), "MmBackward0", (input, mat2), backward_right)


@kernel("matmul", COO_KEYS + CSR_KEYS)
def matmul(input, other):
    if input.dim() == 2 and other.dim() == 2:
        return mm(input, other)
    raise NotImplementedError("minitorch: matmul with a sparse operand needs two matrices")


@kernel("linear", COO_KEYS + CSR_KEYS)
def linear(input, weight, bias=None):
    """input @ weight.T + bias with a CSR weight: one SpMM per call. The gradient of the input is g @ weight
    (sparse again); the weight's is dense, as in torch."""
    if is_sparse(input) or not is_sparse(weight) or (bias is not None and is_sparse(bias)):
        raise _dispatch.not_implemented_for("aten::linear", _dispatch.dispatch_key_of(weight))
    rows = input if input.dim() == 2 else input.reshape(-1, input.shape[-1])
    w = weight._data
    if rows.shape[1] != w.shape[1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows.shape[0]}x{rows.shape[1]} and "
                           f"{w.shape[1]}x{w.shape[0]})")
    if rows.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(rows.dtype)} but found {_dtype_name(weight.dtype)}")
    check_same_device(rows, weight)
    out = times_sparse(rows._data, w, True)
    if bias is not None:
        out += bias._data

    def backward(g):
        return (sum_to(g, bias.shape) if bias is not None and bias._requires_grad else None,
                Tensor._wrap(times_sparse(g._data, w)) if rows._requires_grad else None,
                Tensor._wrap(g._data.T @ rows._data) if weight._requires_grad else None)
    result = make(out, "AddmmBackward0" if bias is not None else "MmBackward0", (bias, rows, weight), backward)
    if input.dim() == 2:
        return result
    shape = (*input.shape[:-1], w.shape[0])
    if bias is not None:
        return result.reshape(shape)
    return make(out.reshape(shape), "UnsafeViewBackward0", (result,), lambda g: (g.reshape(out.shape),), saves=False)
