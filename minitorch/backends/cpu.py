"""BLAS vector updates on the CPU: `axpy` (y += a * x) and `scal` (x *= a), for the optimizers.

NumPy links a BLAS for its matrix products but offers no fused vector update: y += a * x as ufuncs is a
product into a scratch array and then an addition, two passes over memory and two roundings, where torch's
`y.add_(x, alpha=a)` is one pass of fused multiply-adds (on as many threads as its other kernels). This module
finds the BLAS library NumPy itself loaded (OpenBLAS in NumPy's wheels) and calls its axpy and scal through
ctypes: one pass, torch's rounding, and the threads OPENBLAS_NUM_THREADS gives NumPy's matrix products.
Where no such library is found (another BLAS vendor or packaging), `usable` is False for every array and
callers keep their ufunc path."""
import ctypes
import functools
import glob
import os

import numpy as np

# (symbol prefix, symbol suffix, integer type) of the CBLAS builds NumPy ships: scipy-openblas with 64-bit
# integers (NumPy 2), OpenBLAS with 64-bit integers (NumPy 1.26), and the plain 32-bit-integer names.
_NAMINGS = (("scipy_cblas_", "64_", ctypes.c_int64), ("cblas_", "64_", ctypes.c_int64),
            ("scipy_cblas_", "", ctypes.c_int), ("cblas_", "", ctypes.c_int))
_TYPES = {np.dtype(np.float32): ("s", ctypes.c_float), np.dtype(np.float64): ("d", ctypes.c_double)}


def _library_paths():
    """NumPy's bundled BLAS libraries: numpy.libs/ (Linux and Windows wheels) and numpy/.dylibs/ (macOS)."""
    package = os.path.dirname(np.__file__)
    for folder in (package + ".libs", os.path.join(package, ".dylibs")):
        yield from sorted(glob.glob(os.path.join(folder, "*openblas*")))


@functools.cache
def _routines():
    """{dtype: (axpy, scal)} from the first bundled library that exports a known naming, or {}."""
    for path in _library_paths():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix, integer in _NAMINGS:
            found = {}
            for dtype, (letter, scalar) in _TYPES.items():
                try:
                    axpy = getattr(library, f"{prefix}{letter}axpy{suffix}")
                    scal = getattr(library, f"{prefix}{letter}scal{suffix}")
                except AttributeError:
                    break
                axpy.argtypes = (integer, scalar, ctypes.c_void_p, integer, ctypes.c_void_p, integer)
                scal.argtypes = (integer, scalar, ctypes.c_void_p, integer)
                axpy.restype = scal.restype = None
                found[dtype] = (axpy, scal)
            else:
                return found
    return {}


def usable(*arrays):
    """Whether axpy and scal can run on these arrays: non-empty, writeable, C-contiguous NumPy arrays of one
    size and one float32 or float64 dtype (None entries are ignored), with the BLAS found."""
    first = arrays[0]
    if type(first) is not np.ndarray or not first.size or first.dtype not in _routines():
        return False
    return all(a is None or type(a) is np.ndarray and a.dtype == first.dtype and a.size == first.size
               and a.flags.c_contiguous and a.flags.writeable for a in arrays)


def axpy(alpha, x, y):
    """y += alpha * x in place, one fused multiply-add per element (arrays checked by `usable`)."""
    _routines()[y.dtype][0](y.size, float(alpha), x.ctypes.data, 1, y.ctypes.data, 1)


def scal(alpha, x):
    """x *= alpha in place (arrays checked by `usable`)."""
    _routines()[x.dtype][1](x.size, float(alpha), x.ctypes.data, 1)
