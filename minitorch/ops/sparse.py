"""Sparse layouts, the dense side: `to_sparse()` / `to_sparse_csr()` of a dense tensor, `to_dense()`, the
factories `sparse_coo_tensor` / `sparse_csr_tensor`, and torch's layout errors for the sparse-only methods
(`values()`, `indices()` ...) called on a dense tensor. The same methods on sparse tensors are kernels of the
sparse dispatch keys (minitorch/sparse/_kernels.py); the data they hold is minitorch/sparse/_data.py."""
import numpy as np

from .. import _creation, _dispatch
from .._device import array_module
from .._layout import sparse_coo, sparse_csr, strided
from .._tensor import Tensor
from ..backends.sparse import make_data, rows_of_crow
from ._core import make

__all__ = ["sparse_coo_tensor", "sparse_csr_tensor"]

# torch's names for the layouts in its error messages
LAYOUT_NAMES = {strided: "Strided", sparse_coo: "Sparse", sparse_csr: "SparseCsr"}


def layout_error(method, wanted, t):
    """torch's error for a layout-specific method called on a tensor of another layout."""
    return RuntimeError(f"{method} expected {wanted} layout but got {LAYOUT_NAMES[t.layout]}")


COO_ONLY = "sparse coordinate tensor"
CSR_ONLY = "sparse row compressed tensor"


# ----- conversions between arrays and sparse data (shared with the sparse kernels) ------------------------
def coo_of_array(a):
    """The COO data of the dense array `a`: its nonzero entries in row-major order (coalesced)."""
    xp = array_module(a)
    if a.ndim == 0:
        values = a.reshape(1)[a.reshape(1) != 0]
        return make_data(sparse_coo, (), xp.zeros((0, values.shape[0]), dtype=np.int64), values, coalesced=True)
    where = xp.nonzero(a)
    indices = xp.stack(where).astype(np.int64) if where else xp.zeros((0, 0), dtype=np.int64)
    return make_data(sparse_coo, a.shape, indices, a[where], coalesced=True)


def csr_of_array(a, index_dtype=np.int64):
    """The CSR data of the dense matrix `a`."""
    xp = array_module(a)
    rows, cols = xp.nonzero(a)
    return make_data(sparse_csr, a.shape, crow_of_rows(rows, a.shape[0], index_dtype), cols.astype(index_dtype),
                     a[rows, cols])


def crow_of_rows(rows, nrows, index_dtype=np.int64):
    """CSR's crow_indices for entries sorted by row: where each row's run starts and ends."""
    xp = array_module(rows)
    crow = xp.zeros(nrows + 1, dtype=index_dtype)
    if rows.shape[0]:
        crow[1:] = xp.cumsum(xp.bincount(rows, minlength=nrows))
    return crow


# ----- methods, dense side --------------------------------------------------------------------------------
def to_sparse(input, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    """This tensor in a sparse layout: COO by default (`layout=minitorch.sparse_csr` for CSR). Every dimension
    is sparse (minitorch has no hybrid tensors, whose entries are dense blocks)."""
    if layout is sparse_csr:
        return to_sparse_csr(input, dense_dim)
    if layout is strided:
        return input
    if layout not in (None, sparse_coo):
        raise NotImplementedError(f"minitorch: to_sparse(layout={layout}) is not supported (only sparse_coo and "
                                  "sparse_csr)")
    if sparse_dim is not None:
        if not 0 <= sparse_dim <= input.dim():
            raise RuntimeError(f"dense_to_sparse: sparse_dim argument must be in [0,{input.dim()}] range, but "
                               f"{sparse_dim} is given")
        if sparse_dim != input.dim():
            raise NotImplementedError("minitorch: hybrid sparse tensors (sparse_dim < dim) are not supported")
    return make(coo_of_array(input._data), "ToSparseBackward1", (input,), lambda g: (g.to_dense(),), saves=False)


def to_sparse_csr(input, dense_dim=None):
    """This matrix in the CSR layout: crow_indices, col_indices and values (int64 indices, as torch's)."""
    if dense_dim is not None and dense_dim != 0:
        raise RuntimeError(f"dense_to_sparse_csr: dense_dim argument must be in [0,0] range, but {dense_dim} is "
                           "given")
    check_matrix("to_sparse_csr", input)
    return make(csr_of_array(input._data), "ToSparseCsrBackward0", (input,), lambda g: (g.to_dense(),),
                saves=False)


def check_matrix(what, t):
    if t.dim() != 2:
        raise RuntimeError(f"minitorch: {what} supports 2-D tensors only (batched CSR is not implemented), got a "
                           f"{t.dim()}-D tensor")


def to_dense(input, dtype=None, *, masked_grad=None):
    """A dense tensor is its own dense form (in `dtype` if given)."""
    return input if dtype is None else input.to(dtype)


def _dense_refusal(method, wanted):
    def refuse(input):
        raise layout_error(method, wanted, input)
    refuse.__name__ = method
    refuse.__doc__ = f"The {method} of a sparse tensor (see torch.Tensor.{method}); a dense tensor has none."
    return refuse


values = _dense_refusal("values", "sparse tensor")
indices = _dense_refusal("indices", COO_ONLY)
crow_indices = _dense_refusal("crow_indices", CSR_ONLY)
col_indices = _dense_refusal("col_indices", CSR_ONLY)
coalesce = _dense_refusal("coalesce", COO_ONLY)
is_coalesced = _dense_refusal("is_coalesced", COO_ONLY)


def _nnz(input):
    """The number of stored entries of a sparse tensor."""
    raise _dispatch.not_implemented_for("aten::_nnz", _dispatch.dispatch_key_of(input))


def sparse_dim(input):
    """How many leading dimensions are sparse: none for a dense tensor."""
    return 0


def dense_dim(input):
    """How many trailing dimensions are dense: all of a dense tensor's."""
    return input.dim()


# ----- factories --------------------------------------------------------------------------------------------
def _array_arg(x, dtype=None, device=None):
    """The array of a tensor or of data (list, ndarray), on `device` (where a tensor argument is otherwise)."""
    if isinstance(x, Tensor):
        t = x if device is None else x.to(device)
        return t.detach()._data if dtype is None else t.to(dtype).detach()._data
    return _creation.tensor(x, dtype=dtype, device=device)._data


def _index_array(x, device):
    a = _array_arg(x, device=device)
    if a.dtype.kind not in "iu":
        a = a.astype(np.int64)
    return a


def _leaf(data, requires_grad):
    t = Tensor._wrap(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    """A sparse COO tensor from (ndim, nnz) `indices` and (nnz,) `values`; `size` defaults to the smallest
    that holds every index. Unlike torch, the indices are always checked (a wrong index is an error here,
    not a crash later)."""
    vals = _array_arg(values, dtype, device)
    idx = _index_array(indices, device or _device_of_values(vals)).astype(np.int64)
    if idx.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(idx.shape)}")
    if vals.ndim != 1:
        raise NotImplementedError("minitorch: hybrid sparse tensors (values with dense dimensions) are not "
                                  "supported")
    xp = array_module(idx)
    if size is None:
        size = tuple(int(m) + 1 for m in xp.max(idx, axis=1).tolist()) if idx.shape[1] else (0,) * idx.shape[0]
    size = tuple(size)
    if len(size) != idx.shape[0]:
        raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = {len(size)}, "
                           f"sparse_dim = {idx.shape[0]}, dense_dim = 0")
    if idx.shape[1] != vals.shape[0]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {idx.shape[1]}, nnz "
                           f"from values: {vals.shape[0]}")
    if idx.shape[1]:
        low, high = xp.min(idx, axis=1).tolist(), xp.max(idx, axis=1).tolist()
        for d, (lo, hi, n) in enumerate(zip(low, high, size)):
            if lo < 0:
                raise RuntimeError(f"found negative index {lo} for dim {d}")
            if hi >= n:
                raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {n} but found index {hi}")
    return _leaf(make_data(sparse_coo, size, idx, vals, coalesced=bool(is_coalesced) or idx.shape[1] <= 1),
                 requires_grad)


def _device_of_values(a):
    from .._device import device_of
    return device_of(a)


def sparse_csr_tensor(crow_indices, col_indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None):
    """A sparse CSR matrix from its three arrays (int32 or int64 indices, kept as given). Unlike torch, the
    invariants are always checked, with torch's check_invariants messages."""
    vals = _array_arg(values, dtype, device)
    where = device or _device_of_values(vals)
    crow, col = _index_array(crow_indices, where), _index_array(col_indices, where)
    if crow.dtype != col.dtype:
        crow, col = crow.astype(np.int64), col.astype(np.int64)
    if crow.ndim != 1 or col.ndim != 1 or vals.ndim != 1:
        raise NotImplementedError("minitorch: batched or hybrid CSR tensors are not supported (crow_indices, "
                                  "col_indices and values must be 1-D)")
    xp = array_module(crow)
    if size is None:
        size = (crow.shape[0] - 1, int(xp.max(col)) + 1 if col.shape[0] else 0)
    size = tuple(size)
    check_csr(crow, col, vals, size)
    return _leaf(make_data(sparse_csr, size, crow, col, vals), requires_grad)


def check_csr(crow, col, vals, size):
    """torch's CSR invariants (`check_invariants=True`), with its messages."""
    if len(size) != 2:
        raise NotImplementedError(f"minitorch: CSR tensors are 2-D (got size {size})")
    xp = array_module(crow)
    nnz = vals.shape[0]
    if crow.shape[0] != size[0] + 1:
        raise RuntimeError(f"crow_indices.shape[-1] must be equal to the number of rows + 1 (={size[0] + 1}), but "
                           f"got {crow.shape[0]}")
    if col.shape[0] != nnz:
        raise RuntimeError(f"col_indices.shape[-1] must be equal to nnz (={nnz}) as defined by values.shape[0], "
                           f"but got {col.shape[0]}")
    if int(crow[0]) != 0:
        raise RuntimeError("`crow_indices[..., 0] == 0` is not satisfied.")
    if int(crow[-1]) != nnz:
        raise RuntimeError("`crow_indices[..., -1] == nnz` is not satisfied.")
    steps = xp.diff(crow)
    if bool((steps < 0).any()) or bool((steps > size[1]).any()):
        raise RuntimeError("`0 <= crow_indices[..., 1:] - crow_indices[..., :-1] <= ncols` is not satisfied.")
    if nnz and (int(col.min()) < 0 or int(col.max()) >= size[1]):
        raise RuntimeError("`0 <= col_indices < ncols` is not satisfied.")
    if nnz > 1:
        rows = rows_of_crow(crow, nnz)
        same_row = rows[1:] == rows[:-1]
        if bool((same_row & (col[1:] <= col[:-1])).any()):
            raise RuntimeError("`col_indices[..., crow_indices[..., i - 1]:crow_indices[..., i]] for all i = 1, "
                               "..., nrows are sorted and distinct along the last dimension values` is not "
                               "satisfied.")


_METHODS = {name: globals()[name] for name in (
    "to_sparse", "to_sparse_csr", "to_dense", "values", "indices", "crow_indices", "col_indices", "coalesce",
    "is_coalesced", "_nnz", "sparse_dim", "dense_dim")}
_INPLACE = {}
