"""A CuPy stand-in for machines without a GPU: `cupy` and `cupyx` namespaces backed by NumPy, so that
minitorch's cuda code paths (the `xp` ops, device bookkeeping, kernel wrappers) run in CI.

Set MINITORCH_CUDA_STANDIN=1 before the first use of `minitorch.cuda`: then `minitorch.cuda.is_available()`
is True, with two simulated GPUs. The stand-in offers only what CuPy 14 offers (`_api`), refuses what CuPy
refuses (implicit conversion to NumPy, NumPy arrays mixed into GPU operations, operands on another GPU),
does not check what CuPy does not check (out-of-range index arrays raise `UncheckedIndexError` here instead
of wrapping silently), and runs each `.cu` kernel as a NumPy reference after checking its launch
(`_kernels`). It proves the Python around the GPU; a real GPU run remains the proof of the kernels."""
import math
import types

import numpy as np

from . import _api, _runtime
from ._array import (DATA_SIZED, SYNCS, UncheckedIndexError, _check_key, _garbage, call, ndarray, synchronize,
                     unwrap, wrap)
from ._kernels import OutOfBounds, RawModule

__all__ = ["cupy", "cupyx", "host_syncs", "UncheckedIndexError", "OutOfBounds"]


def host_syncs():
    """How many times so far the host has waited for a simulated GPU (see `_array`)."""
    return SYNCS[0]


class ufunc:
    """cupy.ufunc: a NumPy ufunc on stand-in arrays; `.at` only where CuPy implements it."""

    def __init__(self, np_ufunc):
        self._u = np_ufunc
        self.name = np_ufunc.__name__
        self.nin, self.nout, self.nargs, self.types = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs, np_ufunc.types

    def __call__(self, *args, **kwargs):
        return call(self._u, args, kwargs, f"cupy.{self.name}")

    def at(self, a, indices, b=None):
        if self.name not in _api.UFUNC_AT:
            raise NotImplementedError(f"`{self.name}.at` is not supported yet")
        if self.name == "add":
            return a.scatter_add(indices, b)
        self._u.at(unwrap(a, f"{self.name}.at"), _check_key(indices, a.shape), unwrap(b, f"{self.name}.at"))

    def reduce(self, *args, **kwargs):
        return call(self._u.reduce, args, kwargs, f"cupy.{self.name}.reduce")

    def accumulate(self, *args, **kwargs):
        return call(self._u.accumulate, args, kwargs, f"cupy.{self.name}.accumulate")

    def outer(self, *args, **kwargs):
        return call(self._u.outer, args, kwargs, f"cupy.{self.name}.outer")


def _function(np_fn, name):
    def fn(*args, **kwargs):
        if name in DATA_SIZED:
            synchronize()
        return call(np_fn, args, kwargs, f"cupy.{name}")
    fn.__name__ = fn.__qualname__ = name
    return fn


# ----- functions whose CuPy behaviour differs from NumPy's ----------------------------------------------
def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    """A copy on the current GPU; NumPy arrays and nested sequences are uploaded (an explicit transfer)."""
    if type(obj) is ndarray:
        if obj._device == _runtime.getDevice() and copy is False:
            return obj if dtype is None or np.dtype(dtype) == obj.dtype else obj.astype(dtype)
        obj = obj._a  # from another GPU: a peer copy
    return wrap(np.array(obj, dtype=dtype, order=order, ndmin=ndmin, copy=True))


def asarray(a, dtype=None, order=None, *, blocking=False):
    return array(a, dtype, copy=False, order=order or "K")


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    """The host copy of a stand-in array (anything else goes through np.asarray)."""
    return a.get(order=order, out=out) if type(a) is ndarray else np.asarray(a, order=order)


def empty(shape, dtype=float, order="C"):
    return ndarray(shape, dtype, order=order)


def empty_like(prototype, dtype=None, order="K", subok=None, shape=None):
    return wrap(_garbage(np.empty_like(unwrap(prototype, "cupy.empty_like"), dtype, order, shape=shape)))


def get_array_module(*args):
    return cupy if any(type(a) is ndarray for a in args) else np


def _erf(name):
    scalar = getattr(math, name)

    def fn(x):
        a = unwrap(x, f"cupyx.scipy.special.{name}")
        out_type = np.float64 if a.dtype == np.float64 else np.float32
        return wrap(np.vectorize(scalar, otypes=[np.float64])(a).astype(out_type))
    return fn


class RandomState:
    """cupy.random.RandomState: draws on the current GPU (NumPy's PCG64 here, so not CuPy's numbers)."""

    def __init__(self, seed=None):
        self._g = np.random.Generator(np.random.PCG64(seed))

    def random_sample(self, size=None, dtype=float):
        return wrap(self._g.random(size, dtype=np.dtype(dtype).type))

    def standard_normal(self, size=None, dtype=float):
        return wrap(self._g.standard_normal(size, dtype=np.dtype(dtype).type))

    def randint(self, low, high=None, size=None, dtype=int):
        return wrap(self._g.integers(low, high, size, dtype=dtype))

    def permutation(self, num):
        return wrap(self._g.permutation(num))


_SPECIAL = {
    "ndarray": ndarray, "ufunc": ufunc, "array": array, "asarray": asarray, "asanyarray": asarray,
    "asnumpy": asnumpy, "empty": empty, "empty_like": empty_like, "get_array_module": get_array_module,
    "RawModule": RawModule, "get_default_memory_pool": _runtime.get_default_memory_pool,
    "get_default_pinned_memory_pool": _runtime.get_default_pinned_memory_pool,
    "cuda": types.SimpleNamespace(Device=_runtime.Device, runtime=_runtime.runtime,
                                  get_device_id=_runtime.getDevice, MemoryPool=_runtime.MemoryPool,
                                  Event=_runtime.Event, get_elapsed_time=_runtime.get_elapsed_time),
    "random": types.SimpleNamespace(RandomState=RandomState),
    "linalg": types.SimpleNamespace(**{n: _function(getattr(np.linalg, n), f"linalg.{n}")
                                       for n in sorted(_api.LINALG_NAMES)}),
    "fft": types.SimpleNamespace(**{n: _function(getattr(np.fft, n), f"fft.{n}") for n in sorted(_api.FFT_NAMES)}),
    "lib": types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
        as_strided=lambda x, shape=None, strides=None: wrap(
            np.lib.stride_tricks.as_strided(unwrap(x, "as_strided"), shape, strides), (x,)))),
}


def _namespace():
    """The `cupy` module of the stand-in: CuPy's names only, each backed by NumPy."""
    module = types.ModuleType("cupy", __doc__)
    module.__version__ = "14.2.0+standin"
    for name in sorted(_api.CUPY_NAMES):
        value = _SPECIAL.get(name)
        if value is None and hasattr(np, name):
            value = getattr(np, name)
            if isinstance(value, np.ufunc):
                value = ufunc(value)
            elif callable(value) and not isinstance(value, type):
                value = _function(value, name)
        if value is not None:
            setattr(module, name, value)
    return module


cupy = _namespace()
"""The stand-in `cupy` module."""

cupyx = types.ModuleType("cupyx")
cupyx.scatter_add = lambda a, slices, value: a.scatter_add(slices, value)
cupyx.scatter_max = lambda a, slices, value: a.scatter_max(slices, value)
cupyx.scatter_min = lambda a, slices, value: a.scatter_min(slices, value)
cupyx.scipy = types.SimpleNamespace(special=types.SimpleNamespace(erf=_erf("erf"), erfc=_erf("erfc")))
"""The stand-in `cupyx` module (the parts minitorch uses)."""
