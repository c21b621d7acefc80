"""The stand-in's `cupyx.scipy.sparse`: CSR, CSC and COO matrices on a simulated GPU, backed by SciPy's, with
the restrictions of cupyx that matter for minitorch: the arrays must be stand-in arrays (NumPy arrays are
refused), values float32 or float64 (cuSPARSE's types here), and indices are kept as int32."""
import numpy as np
import scipy.sparse

from ._array import unwrap, wrap

_WHERE = "cupyx.scipy.sparse"


class spmatrix:
    """A cupyx sparse matrix: a SciPy one whose arrays come back as stand-in arrays (the same objects where
    they are the arrays it was made from, as cupyx shares them)."""

    def __init__(self, matrix, sources=()):
        if matrix.dtype not in (np.float32, np.float64):
            raise ValueError(f"Only bool, float32, float64, complex64 and complex128 are supported, got {matrix.dtype}")
        self._m = matrix
        self._sources = sources

    @staticmethod
    def _of(matrix, sources=()):
        """The stand-in matrix of the kind of SciPy's `matrix`, around it."""
        cls = _KIND[type(matrix)]
        obj = cls.__new__(cls)
        spmatrix.__init__(obj, matrix, sources)
        return obj

    def _part(self, name):
        return wrap(getattr(self._m, name), self._sources)

    data = property(lambda self: self._part("data"))
    indices = property(lambda self: self._part("indices"))
    indptr = property(lambda self: self._part("indptr"))
    shape = property(lambda self: self._m.shape)
    dtype = property(lambda self: self._m.dtype)

    @property
    def T(self):
        return self._of(self._m.T, self._sources)

    def __matmul__(self, other):
        return wrap(self._m @ unwrap(other, _WHERE))

    def __add__(self, other):
        return self._of(self._m + other._m)

    def tocsr(self):
        return self._of(self._m.tocsr())

    def sum_duplicates(self):
        self._m.sum_duplicates()


class csr_matrix(spmatrix):
    def __init__(self, arg, shape=None, dtype=None, copy=False):
        data, indices, indptr = arg
        arrays = [unwrap(a, _WHERE) for a in (data, indices, indptr)]
        super().__init__(scipy.sparse.csr_matrix((arrays[0], arrays[1].astype(np.int32), arrays[2].astype(np.int32)),
                                                 shape=shape, copy=copy), (data,))


class csc_matrix(spmatrix):
    pass


class coo_matrix(spmatrix):
    def __init__(self, arg, shape=None, dtype=None, copy=False):
        data, (row, col) = arg
        arrays = [unwrap(a, _WHERE) for a in (data, row, col)]
        super().__init__(scipy.sparse.coo_matrix((arrays[0], (arrays[1].astype(np.int32), arrays[2].astype(np.int32))),
                                                 shape=shape, copy=copy), (data,))


_KIND = {scipy.sparse.csr_matrix: csr_matrix, scipy.sparse.csc_matrix: csc_matrix, scipy.sparse.coo_matrix: coo_matrix}
