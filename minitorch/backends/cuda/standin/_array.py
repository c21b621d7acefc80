"""The stand-in's `cupy.ndarray`: a NumPy array that lives on one simulated GPU and behaves as CuPy's
arrays do where that matters for correctness:

- it offers only the attributes `cupy.ndarray` has (`_api.NDARRAY_NAMES`);
- implicit conversion to NumPy raises TypeError, as in CuPy (`np.asarray(x)`); `.get()` copies to the host;
- a NumPy array mixed into an operation raises TypeError (CuPy's "Unsupported type"), naming the stand-in;
- an operand on another GPU than the current one raises ValueError, as CuPy does without peer access, and
  results land on the current GPU;
- reductions and scalar indexing give 0-d arrays, not NumPy scalars;
- an out-of-range index array raises `UncheckedIndexError`: CuPy would silently wrap it around;
- every wait for the GPU that CuPy would make (a host copy, a Python number, a boolean mask, an output
  whose size depends on the data) is counted in `SYNCS`, so tests can prove a path free of them.
"""
import numpy as np

from . import _api
from ._runtime import Device, getDevice, track_allocation

SYNCS = [0]
"""How many times the host waited for the GPU (read it through `standin.host_syncs()`)."""

IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy "
            "array explicitly.")


class UncheckedIndexError(IndexError):
    """An index array out of range reached CuPy, which does not check it (it wraps the index around)."""


def mixed(where):
    return TypeError(f"Unsupported type <class 'numpy.ndarray'> in {where}: a NumPy array was mixed into a "
                     f"cuda operation (CuPy stand-in)")


def unwrap(x, where):
    """The NumPy array behind a stand-in array (checking its device); containers are unwrapped element by
    element; NumPy arrays are refused."""
    if type(x) is ndarray:
        if x._device != getDevice():
            raise ValueError(f"The device where the array resides ({x._device}) is different from the current "
                             f"device ({getDevice()}). Peer access is unavailable between these devices.")
        return x._a
    if type(x) is np.ndarray:
        raise mixed(where)
    if type(x) in (list, tuple):
        return type(x)(unwrap(v, where) for v in x)
    return x


def wrap(result, sources=()):
    """A stand-in array for a NumPy result (0-d for NumPy scalars), recording which source array it is a
    view of; other results (shapes, dtypes, Python numbers) are returned unchanged."""
    if isinstance(result, np.ndarray):
        for s in sources:
            if type(s) is ndarray and result is s._a:
                return s
        out = ndarray._new(result)
        base = result.base
        if base is not None:
            for s in sources:
                if type(s) is ndarray and (base is s._a or base is s._a.base):
                    out._owner = s if s._owner is None else s._owner
                    out._device = s._device  # a view stays where its memory is
                    break
        return out
    if isinstance(result, np.generic):
        return ndarray._new(np.asarray(result))
    if isinstance(result, (list, tuple)):  # NumPy's named results (svd, eigh ...) come back as CuPy's tuples
        return (list if isinstance(result, list) else tuple)(wrap(r, sources) for r in result)
    return result


def call(fn, args, kwargs, where, owner=None):
    """fn on the unwrapped arguments, its result wrapped; `out=` receives the result in place. `owner` is
    the array whose method fn is."""
    out = kwargs.get("out")
    kwargs = {k: unwrap(v, where) for k, v in kwargs.items()}
    result = fn(*unwrap(args, where), **kwargs)
    if out is not None:
        return out
    if where.endswith(WRITABLE_VIEWS) and result.base is not None and result.base.flags.writeable:
        result.flags.writeable = True
    arrays = [a for a in args if type(a) is ndarray] + [v for a in args if type(a) in (list, tuple) for v in a]
    return wrap(result, arrays if owner is None else [owner] + arrays)


WRITABLE_VIEWS = (".diagonal",)
"""Views NumPy returns read-only and CuPy writable."""

DATA_SIZED = frozenset(("nonzero", "argwhere", "flatnonzero", "unique", "extract", "compress"))
"""Functions and methods whose output size depends on the data: CuPy waits for the GPU to learn it."""


def synchronize():
    """Record a device-to-host wait."""
    SYNCS[0] += 1


def _check_key(key, shape):
    """The index key with its stand-in arrays unwrapped; raises UncheckedIndexError where an integer index
    array points outside its axis (NumPy would raise, CuPy would wrap silently)."""
    key = unwrap(key, "indexing")
    items = key if type(key) is tuple else (key,)
    widths = [0 if k is None or k is Ellipsis else np.ndim(k) if _kind(k) == "b" else 1 for k in items]
    axis = 0
    for k, width in zip(items, widths):
        if k is Ellipsis:
            axis += len(shape) - sum(widths)
        elif _kind(k) == "b":
            synchronize()  # the output size is the mask's count of True
        elif _kind(k) in "iu" and np.ndim(k) and axis < len(shape):
            k = np.asarray(k)
            if k.size and (k.max() >= shape[axis] or k.min() < -shape[axis]):
                raise UncheckedIndexError(f"index array out of range for axis {axis} of size {shape[axis]}: "
                                          f"CuPy does not check index arrays and would wrap it around")
        axis += width
    return key


def _kind(k):
    """The dtype kind of an index item that is an array or a list ('' for anything else)."""
    if isinstance(k, np.ndarray):
        return k.dtype.kind
    return np.asarray(k).dtype.kind if isinstance(k, list) else ""


class ndarray:
    """cupy.ndarray on the stand-in: `ndarray(shape, dtype)` allocates on the current GPU."""

    __slots__ = ("_a", "_device", "_owner", "__weakref__")  # CuPy arrays take weak references too
    __array_priority__ = 100

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._a = _garbage(np.empty(shape, dtype, order=order))
        self._device = getDevice()
        self._owner = None
        track_allocation(self._a, self._device)

    @classmethod
    def _new(cls, a):
        self = object.__new__(cls)
        self._a, self._device, self._owner = a, getDevice(), None
        if a.base is None:
            track_allocation(a, self._device)
        return self

    # ----- attributes --------------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    base = property(lambda self: self._owner)
    device = property(lambda self: Device(self._device))
    T = property(lambda self: wrap(self._a.T, (self,)))
    mT = property(lambda self: wrap(np.swapaxes(self._a, -1, -2), (self,)))
    real = property(lambda self: wrap(self._a.real, (self,)))
    imag = property(lambda self: wrap(self._a.imag, (self,)))

    @property
    def data(self):
        return _MemoryPointer(self._a.__array_interface__["data"][0], self._device)

    # ----- host transfers ----------------------------------------------------------------------------
    def get(self, stream=None, order="C", out=None, blocking=True):
        """A NumPy copy in host memory (the only way out, as in CuPy)."""
        synchronize()
        if out is not None:
            np.copyto(out, self._a)
            return out
        return np.array(self._a, order=order)

    def set(self, arr, stream=None):
        if type(arr) is not np.ndarray:
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray (got {type(arr).__name__})")
        if arr.shape != self._a.shape:
            raise ValueError("Shape mismatch")
        np.copyto(self._a, arr)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT)

    def item(self):
        synchronize()
        return self._a.item()

    def tolist(self):
        synchronize()
        return self._a.tolist()

    def __bool__(self):
        synchronize()
        return bool(self._a)

    def __float__(self):
        synchronize()
        return float(self._a)

    def __int__(self):
        synchronize()
        return int(self._a)

    def __complex__(self):
        synchronize()
        return complex(self._a)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __dlpack_device__(self):
        return (2, self._device)  # kDLCUDA

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    # ----- indexing ------------------------------------------------------------------------------------
    def __getitem__(self, key):
        return wrap(self._a[_check_key(key, self._a.shape)], (self,))

    def __setitem__(self, key, value):
        self._a[_check_key(key, self._a.shape)] = unwrap(value, "__setitem__")

    def scatter_add(self, slices, value):
        _scatter(np.add, self, slices, value)

    def scatter_max(self, slices, value):
        _scatter(np.maximum, self, slices, value)

    def scatter_min(self, slices, value):
        _scatter(np.minimum, self, slices, value)

    # ----- NumPy protocols: CuPy answers NumPy functions called on its arrays --------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from . import cupy
        mine = getattr(cupy, ufunc.__name__, None)
        if mine is None:
            return NotImplemented
        return mine(*inputs, **kwargs) if method == "__call__" else getattr(mine, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from . import cupy
        mine = getattr(cupy, func.__name__, None)
        if mine is None or any(t is np.ndarray for t in types):
            return NotImplemented
        return mine(*args, **kwargs)


class _MemoryPointer:
    """cupy.cuda.MemoryPointer: an address on a device."""

    def __init__(self, ptr, device_id):
        self.ptr = ptr
        self.device = Device(device_id)


def _garbage(a):
    """Fill fresh memory with what uninitialised GPU memory may hold: NaN for floats, a byte pattern for the
    rest, so that a kernel or op that forgets to write an element shows it."""
    if a.dtype.kind == "f" or a.dtype.name == "bfloat16":
        a.fill(np.nan)
    elif a.size:
        a.view(np.uint8).fill(0xA5)
    return a


def _scatter(ufunc, a, slices, value):
    """CuPy's scatter ops: atomic updates, so only the dtypes CUDA has atomics for when an integer array
    indexes."""
    key = _check_key(slices, a._a.shape)
    items = key if type(key) is tuple else (key,)
    if ufunc is np.add and any(isinstance(k, (np.ndarray, list)) and np.asarray(k).dtype.kind in "iu"
                               for k in items) and a.dtype.name not in _api.SCATTER_ADD_DTYPES:
        raise TypeError("scatter_add only supports int32, float16, float32, float64, uint32, uint64, as data type")
    ufunc.at(a._a, key, unwrap(value, f"{ufunc.__name__}.at"))


def _delegate(name):
    def method(self, *args, **kwargs):
        if name in DATA_SIZED:
            synchronize()
        result = call(getattr(self._a, name), args, kwargs, f"ndarray.{name}", self)
        if self._device != getDevice() and not (type(result) is ndarray and result._device == self._device):
            unwrap(self, f"ndarray.{name}")  # a kernel on another GPU than the array's: CuPy's error
        return result
    method.__name__ = name
    return method


def _binary(ufunc, reflected=False):
    def op(self, other):
        if type(other) not in (ndarray, np.ndarray) and getattr(other, "__array_priority__", 0) > 100:
            return NotImplemented  # e.g. a Tensor: its reflected operator decides
        args = (other, self) if reflected else (self, other)
        return call(ufunc, args, {}, ufunc.__name__)
    return op


def _inplace(ufunc):
    def op(self, other):
        ufunc(self._a, unwrap(other, ufunc.__name__), out=self._a)
        return self
    return op


_BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
           "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "matmul": np.matmul,
           "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor, "lshift": np.left_shift,
           "rshift": np.right_shift, "divmod": np.divmod}
_COMPARE = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
            "ge": np.greater_equal}
_UNARY = {"neg": np.negative, "pos": np.positive, "abs": np.absolute, "invert": np.invert}

for _name, _ufunc in _BINARY.items():
    setattr(ndarray, f"__{_name}__", _binary(_ufunc))
    setattr(ndarray, f"__r{_name}__", _binary(_ufunc, reflected=True))
    if _name not in ("divmod", "matmul"):
        setattr(ndarray, f"__i{_name}__", _inplace(_ufunc))
for _name, _ufunc in _COMPARE.items():
    setattr(ndarray, f"__{_name}__", _binary(_ufunc))
for _name, _ufunc in _UNARY.items():
    setattr(ndarray, f"__{_name}__", lambda self, _u=_ufunc: call(_u, (self,), {}, _u.__name__))
ndarray.__hash__ = None
for _name in sorted(_api.NDARRAY_NAMES):
    if not _name.startswith("_") and not hasattr(ndarray, _name) and hasattr(np.ndarray, _name):
        setattr(ndarray, _name, _delegate(_name))
