"""What a sparse tensor holds in `_data`: its index and value arrays and its shape, never a dense array.

A sparse tensor is an ordinary `Tensor` whose `_data` is one of the classes below instead of an ndarray. The
class tells the dispatch door how to treat it: `dispatch_key` picks the kernels (minitorch/sparse/_kernels.py;
every other op raises torch's "Could not run 'aten::x' with arguments from the 'SparseCPU' backend"), `layout`
is what `Tensor.layout` reports. The arrays are NumPy arrays on the cpu and CuPy arrays on a GPU; products
run on SciPy's sparse matrices there and on `cupyx.scipy.sparse` here (`matrix()`).

- COO (`sparse_coo`): `indices`, an int64 (ndim, nnz) array of coordinates, and `values`, (nnz,). Entries may
  repeat until `coalesce()` sums them; `coalesced` records whether they are sorted and distinct.
- CSR (`sparse_csr`, 2-D): `crow_indices` (rows + 1,) where row i's entries are crow[i]:crow[i + 1] of
  `col_indices` (nnz,) and `values` (nnz,). The index arrays are int64 or int32 (half the memory, which is
  what `minitorch.sparse.sparsify` uses)."""
import math

import numpy as np

from .. import _dispatch
from .._device import array_module
from .._layout import sparse_coo, sparse_csr


class SparseData:
    """The part COO and CSR share: shape, dtype and numel as an ndarray would report them."""

    layout = None
    dispatch_key = None
    base = None  # never a view of another array (autograd's `make` asks)

    def __init__(self, shape, values):
        self.shape = tuple(int(s) for s in shape)
        self.values = values
        self._matrix = None

    @property
    def dtype(self):
        return self.values.dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        """The number of elements of the dense tensor it stands for (what `numel()` reports)."""
        return math.prod(self.shape)

    @property
    def itemsize(self):
        return self.values.itemsize

    @property
    def device_array(self):
        """An array on this tensor's device (`_device.device_of` asks it)."""
        return self.values

    @property
    def device(self):
        """The arrays' device, as CuPy reports it (`Tensor.get_device` asks it)."""
        return self.values.device

    @property
    def nnz(self):
        return int(self.values.shape[0])

    @property
    def xp(self):
        return array_module(self.values)

    def arrays_nbytes(self):
        """The memory the tensor really uses: its index and value arrays together."""
        return sum(int(a.nbytes) for a in self.arrays())

    def copy(self):
        return make_data(self.layout, self.shape, *(a.copy() for a in self.arrays()), **self.flags())

    def flags(self):
        """Keyword arguments of the constructor besides the arrays."""
        return {}

    def __iadd__(self, other):
        """Gradient accumulation (`grad += new`): the sum, as a new object (the layout may change nnz)."""
        from ..sparse._kernels import add_sparse
        return add_sparse(self, other)


class CooData(SparseData):
    """A sparse COO tensor's data on the cpu."""

    layout = sparse_coo
    dispatch_key = "SparseCPU"

    def __init__(self, shape, indices, values, coalesced=False):
        super().__init__(shape, values)
        self.indices = indices
        self.coalesced = bool(coalesced)

    def arrays(self):
        return (self.indices, self.values)

    def flags(self):
        return {"coalesced": self.coalesced}

    def matrix(self):
        """This 2-D tensor as a SciPy (or cupyx) COO matrix sharing its arrays; repeated entries add up."""
        if self._matrix is None:
            module = _scipy_sparse(self.values)
            self._matrix = module.coo_matrix((self.values, (self.indices[0], self.indices[1])), shape=self.shape)
        return self._matrix


class CsrData(SparseData):
    """A sparse CSR matrix's data on the cpu."""

    layout = sparse_csr
    dispatch_key = "SparseCsrCPU"

    def __init__(self, shape, crow_indices, col_indices, values):
        super().__init__(shape, values)
        self.crow_indices = crow_indices
        self.col_indices = col_indices

    def arrays(self):
        return (self.crow_indices, self.col_indices, self.values)

    def rows(self):
        """The row of each stored entry (the COO row indices), int64."""
        return rows_of_crow(self.crow_indices, self.nnz)

    def matrix(self):
        """This tensor as a SciPy (or cupyx) CSR matrix sharing its values array (made once, then kept)."""
        if self._matrix is None:
            module = _scipy_sparse(self.values)
            self._matrix = module.csr_matrix((self.values, self.col_indices, self.crow_indices), shape=self.shape,
                                             copy=False)
        return self._matrix


class CooDataCUDA(CooData):
    dispatch_key = "SparseCUDA"


class CsrDataCUDA(CsrData):
    dispatch_key = "SparseCsrCUDA"


KINDS = {sparse_coo: (CooData, CooDataCUDA), sparse_csr: (CsrData, CsrDataCUDA)}


def make_data(layout, shape, *arrays, **kwargs):
    """The data object of `layout` for these arrays, of the cpu or cuda class as the values' device says.
    Each one is counted alive by the dispatch door until it is freed, so that every op on any tensor that
    holds it goes past the door's fast path to its kernel."""
    cpu, cuda = KINDS[layout]
    cls = cpu if array_module(arrays[-1]) is np else cuda
    data = cls(shape, *arrays, **kwargs)
    _dispatch.track_nondense(data)
    return data


def rows_of_crow(crow, nnz):
    """The row of each of the `nnz` entries of a CSR matrix: the last row whose start is at or before it."""
    xp = array_module(crow)
    return xp.searchsorted(crow, xp.arange(nnz, dtype=crow.dtype), side="right").astype(np.int64) - 1


def _scipy_sparse(values):
    """scipy.sparse for NumPy arrays, cupyx.scipy.sparse for CuPy ones."""
    if array_module(values) is np:
        import scipy.sparse
        return scipy.sparse
    from ..cuda import _cupyx
    return _cupyx().scipy.sparse
