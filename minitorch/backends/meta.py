"""The `meta` device: arrays with a shape, a dtype and strides but no data.

A meta tensor's `_data` is a `MetaArray`. Ops are written once against an array module `xp`; for meta arrays
that module is `meta_numpy` below, and MetaArray answers the NumPy array protocol (`__array_ufunc__`,
`__array_function__`, methods, operators, indexing), so every op computes its result's shape and dtype
without touching data, through the same code that computes values on cpu and cuda. What needs the values
(printing them, `item()`, a data-dependent shape such as `nonzero`) raises torch's errors.

An op's checks of its input values (indices in range, probabilities in [0, 1] ...) pass on meta, as they do
in torch's meta kernels: a meta array is taken to hold valid data, so `.any()` of one is False, `.all()`
True, and a boolean meta array is false in a condition."""
import math
import types

import numpy as np

__all__ = ["MetaArray", "MetaDataError", "has_data", "meta_numpy", "empty"]


class MetaDataError(NotImplementedError):
    """An op needed the values of a meta array (the door names the op in torch's message)."""


def has_data(array):
    """False for a meta array: checks that need values are skipped on meta, as torch's meta kernels do."""
    return type(array) is not MetaArray


def _contiguous_strides(shape, itemsize):
    strides, step = [], itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "writeable")

    def __init__(self, shape, strides, itemsize):
        self.c_contiguous = _is_contiguous(shape, strides, itemsize)
        self.f_contiguous = _is_contiguous(shape[::-1], strides[::-1], itemsize)
        self.writeable = True


def _is_contiguous(shape, strides, itemsize):
    expected = itemsize
    for n, s in zip(reversed(shape), reversed(strides)):
        if n != 1 and s != expected:
            return False
        expected *= n
    return True


class MetaArray(np.lib.mixins.NDArrayOperatorsMixin):
    """Shape, dtype, byte strides and an element offset into a base's (absent) memory. Its operators are
    NumPy's ufuncs (NDArrayOperatorsMixin), answered by __array_ufunc__."""

    __slots__ = ("shape", "dtype", "strides", "offset", "base", "__weakref__")
    __array_priority__ = 2000

    def __init__(self, shape, dtype, strides=None, offset=0, base=None):
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(dtype)
        self.strides = tuple(strides) if strides is not None else _contiguous_strides(self.shape,
                                                                                      self.dtype.itemsize)
        self.offset = offset
        self.base = base

    # ----- attributes --------------------------------------------------------------------------------
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))
    itemsize = property(lambda self: self.dtype.itemsize)
    nbytes = property(lambda self: self.size * self.dtype.itemsize)
    flags = property(lambda self: _Flags(self.shape, self.strides, self.dtype.itemsize))
    T = property(lambda self: self.transpose())
    real = property(lambda self: self)

    def __repr__(self):
        return f"MetaArray(shape={self.shape}, dtype={self.dtype})"

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    # ----- what needs data ---------------------------------------------------------------------------
    def item(self, *args):
        raise RuntimeError("Tensor.item() cannot be called on meta tensors")

    __float__ = __int__ = __index__ = __complex__ = item

    def __bool__(self):
        """A check on values (`if bad.any()`, `if idx.min() < 0`) finds nothing wrong."""
        if self.dtype != np.bool_:
            self.item()
        return False

    def tolist(self):
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")

    get = tolist

    def __array__(self, dtype=None, copy=None):
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ----- views -------------------------------------------------------------------------------------
    def _view(self, shape, strides, offset=None):
        owner = self if self.base is None else self.base
        return MetaArray(shape, self.dtype, strides, self.offset if offset is None else offset, owner)

    def view(self, dtype=None, type=None):
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self._view(self.shape, self.strides)
        dtype = np.dtype(dtype)
        last = self.shape[-1] * self.dtype.itemsize // dtype.itemsize if self.shape else 1
        shape = self.shape[:-1] + (last,) if self.shape else ()
        return MetaArray(shape, dtype, None, self.offset, self if self.base is None else self.base)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]
        axes = tuple(axes) if axes else tuple(reversed(range(self.ndim)))
        axes = tuple(a % self.ndim for a in axes) if self.ndim else axes
        return self._view(tuple(self.shape[a] for a in axes), tuple(self.strides[a] for a in axes))

    def swapaxes(self, a, b):
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.transpose(axes)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        shape = _infer(tuple(int(n) for n in shape), self.size)
        if self.flags.c_contiguous:
            return self._view(shape, _contiguous_strides(shape, self.dtype.itemsize))
        return MetaArray(shape, self.dtype)

    def ravel(self, order="C"):
        return self.reshape(-1)

    def flatten(self, order="C"):
        return MetaArray((self.size,), self.dtype)

    def squeeze(self, axis=None):
        if axis is None:
            keep = [i for i, n in enumerate(self.shape) if n != 1]
        else:
            axes = {a % self.ndim for a in ((axis,) if isinstance(axis, int) else axis)}
            keep = [i for i in range(self.ndim) if i not in axes]
        return self._view(tuple(self.shape[i] for i in keep), tuple(self.strides[i] for i in keep))

    def __getitem__(self, key):
        keys = key if isinstance(key, tuple) else (key,)
        if any(isinstance(k, MetaArray) and k.dtype == np.bool_ for k in keys):
            raise MetaDataError("boolean mask indexing")
        if any(isinstance(k, (MetaArray, np.ndarray, list)) for k in keys):
            dummy = _zeros_like_shape(self.shape, np.int8)
            probe = dummy[tuple(_dummy(k, np.intp) if isinstance(k, MetaArray) else k for k in keys)]
            return MetaArray(probe.shape, self.dtype)
        buffer = np.empty(1, self.dtype)
        start = buffer.__array_interface__["data"][0]
        window = np.lib.stride_tricks.as_strided(buffer, self.shape, self.strides)[key]
        moved = (window.__array_interface__["data"][0] - start) // self.dtype.itemsize
        return self._view(window.shape, window.strides, self.offset + moved)

    def __setitem__(self, key, value):
        keys = key if isinstance(key, tuple) else (key,)
        if any(isinstance(k, MetaArray) and k.dtype == np.bool_ for k in keys):
            return  # a mask selects a data-dependent region: nothing to check
        region = self[key].shape
        if isinstance(value, (MetaArray, np.ndarray)):
            np.broadcast_shapes(value.shape, region)

    # ----- copies ------------------------------------------------------------------------------------
    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        if not copy and np.dtype(dtype) == self.dtype:
            return self
        return MetaArray(self.shape, dtype)

    def copy(self, order="C"):
        return MetaArray(self.shape, self.dtype)

    def fill(self, value):
        pass

    # ----- reductions --------------------------------------------------------------------------------
    def _reduce(self, axis, keepdims, dtype):
        axes = range(self.ndim) if axis is None else [a % max(self.ndim, 1) for a in
                                                      ((axis,) if isinstance(axis, int) else axis)]
        axes = set(axes)
        shape = tuple(1 if i in axes else n for i, n in enumerate(self.shape) if keepdims or i not in axes)
        return MetaArray(shape, dtype)

    def sum(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        return self._reduce(axis, keepdims, dtype or np.add.reduce(np.zeros(1, self.dtype)).dtype)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        return self._reduce(axis, keepdims, dtype or np.multiply.reduce(np.zeros(1, self.dtype)).dtype)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        return self._reduce(axis, keepdims, dtype or np.zeros(1, self.dtype).mean().dtype)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
        return self._reduce(axis, keepdims, dtype or np.zeros(2, self.dtype).var().dtype)

    std = var

    def max(self, axis=None, out=None, keepdims=False, **kwargs):
        return self._reduce(axis, keepdims, self.dtype)

    min = max

    def any(self, axis=None, out=None, keepdims=False, **kwargs):
        return False if axis is None and not keepdims else self._reduce(axis, keepdims, np.bool_)

    def all(self, axis=None, out=None, keepdims=False, **kwargs):
        return True if axis is None and not keepdims else self._reduce(axis, keepdims, np.bool_)

    def argmax(self, axis=None, out=None, keepdims=False):
        return self._reduce(axis, keepdims, np.intp)

    argmin = argmax

    def cumsum(self, axis=None, dtype=None, out=None):
        shape = (self.size,) if axis is None else self.shape
        return MetaArray(shape, dtype or np.add.accumulate(np.zeros(1, self.dtype)).dtype)

    cumprod = cumsum

    def nonzero(self):
        raise MetaDataError("nonzero")

    # ----- arithmetic: every operator is its ufunc -----------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        if method == "at":
            return None
        if method == "__call__":
            result = _ufunc_call(ufunc, inputs, kwargs)
        elif method in ("reduce", "accumulate"):
            array = inputs[0]
            axis = kwargs.get("axis", 0)
            probe = getattr(ufunc, method)(np.zeros(1, array.dtype), dtype=kwargs.get("dtype"))
            dtype = np.asarray(probe).dtype
            if method == "accumulate":
                result = MetaArray(array.shape, dtype)
            else:
                result = array._reduce(axis, kwargs.get("keepdims", False), dtype)
        elif method == "outer":
            a, b = inputs
            dtype = ufunc(np.zeros(1, a.dtype), np.zeros(1, b.dtype)).dtype
            result = MetaArray(tuple(a.shape) + tuple(b.shape), dtype)
        else:
            return NotImplemented
        if out is not None:
            return out[0] if len(out) == 1 else out
        return result

    def __array_function__(self, func, types_, args, kwargs):
        impl = _FUNCTIONS.get(func.__name__)
        if impl is None:
            impl = _by_dummies(func)
        return impl(*args, **kwargs)


def _shape_of(x):
    """The shape of an array or a Python number (without asking NumPy, which would ask MetaArray)."""
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


def _infer(shape, size):
    if -1 in shape:
        known = math.prod(n for n in shape if n != -1)
        shape = tuple(size // known if n == -1 and known else (0 if n == -1 else n) for n in shape)
    return shape


def _dummy(x, dtype=None):
    """A zero-filled read-only stand-in of x's shape that uses one element of memory (for probing shapes)."""
    return np.broadcast_to(np.zeros((), dtype or x.dtype), x.shape)


def _zeros_like_shape(shape, dtype):
    return np.broadcast_to(np.zeros((), dtype), shape)


def _probe_value(x):
    """What stands for an operand when probing a result dtype: a one-element array for arrays, the value
    itself for Python numbers (so NumPy's rules for numbers apply)."""
    if isinstance(x, (MetaArray, np.ndarray)):
        return np.zeros(1, x.dtype)
    return x


def _ufunc_call(ufunc, inputs, kwargs):
    arrays = [x for x in inputs if isinstance(x, (MetaArray, np.ndarray, np.generic))]
    if ufunc is np.matmul:
        a, b = inputs
        shape = _matmul_shape(_shape_of(a), _shape_of(b))
        dtype = np.matmul(np.zeros((1, 1), a.dtype), np.zeros((1, 1), b.dtype)).dtype
        return MetaArray(shape, kwargs.get("dtype") or dtype)
    shape = np.broadcast_shapes(*(_shape_of(x) for x in arrays))
    probe = {k: v for k, v in kwargs.items() if k in ("dtype", "casting")}
    with np.errstate(all="ignore"):
        sample = ufunc(*(_probe_value(x) for x in inputs), **probe)
    if isinstance(sample, tuple):
        return tuple(MetaArray(shape, np.asarray(s).dtype) for s in sample)
    return MetaArray(shape, np.asarray(sample).dtype)


def _matmul_shape(a, b):
    if not a or not b:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    a1, b1 = len(a) == 1, len(b) == 1
    a = (1,) + tuple(a) if a1 else tuple(a)
    b = tuple(b) + (1,) if b1 else tuple(b)
    if a[-1] != b[-2]:
        raise ValueError(f"matmul: Input operand 1 has a mismatch in its core dimension 0 (size {b[-2]} is "
                         f"different from {a[-1]})")
    batch = np.broadcast_shapes(a[:-2], b[:-2])
    shape = batch + (a[-2], b[-1])
    if a1:
        shape = shape[:-2] + shape[-1:]
    if b1:
        shape = shape[:-1]
    return shape


# Where a function's result shape depends on values, meta cannot answer (torch raises too).
_DATA_DEPENDENT = {"nonzero", "flatnonzero", "argwhere", "unique", "extract", "compress", "count_nonzero",
                   "array_equal"}


def _by_dummies(func, stand_in=None):
    """Any other NumPy function: run it on zero-strided stand-ins of the meta arrays (one element of memory
    each, or `stand_in(x)`) and keep only the result's shape and dtype."""
    name = func.__name__
    if name in _DATA_DEPENDENT:
        def refuse(*args, **kwargs):
            raise MetaDataError(name)
        return refuse

    def probe(*args, **kwargs):
        def swap(x):
            if isinstance(x, MetaArray):
                return (stand_in or _dummy)(x)
            if isinstance(x, (list, tuple)):
                return type(x)(swap(v) for v in x)
            return x
        with np.errstate(all="ignore"):
            result = func(*swap(args), **{k: swap(v) for k, v in kwargs.items()})
        return _as_meta(result)
    return probe


def _as_meta(result):
    if isinstance(result, (np.ndarray, np.generic)):
        return MetaArray(result.shape, result.dtype)
    if isinstance(result, (tuple, list)):
        items = [_as_meta(r) for r in result]
        return type(result)(*items) if hasattr(result, "_fields") else type(result)(items)
    return result


def _meta_args(*arrays):
    return [a if isinstance(a, MetaArray) else MetaArray(_shape_of(a), np.asarray(a).dtype) for a in arrays]


# ----- the meta array module: functions whose results are worked out from shapes ---------------------------
def empty(shape, dtype=float, order="C"):
    return MetaArray((shape,) if isinstance(shape, (int, np.integer)) else tuple(shape), dtype)


def _filled(shape, fill_value=None, dtype=None, order="C"):
    if dtype is None:
        dtype = np.asarray(fill_value).dtype if fill_value is not None else np.float64
    return empty(shape, dtype)


def _like(a, dtype=None, order="K", subok=True, shape=None):
    return empty(a.shape if shape is None else shape, dtype or a.dtype)


def asarray(a, dtype=None, order=None):
    if isinstance(a, MetaArray):
        return a if dtype is None else a.astype(dtype, copy=False)
    host = np.asarray(a, dtype=dtype)
    return MetaArray(host.shape, host.dtype)


def ascontiguousarray(a, dtype=None):
    a = asarray(a, dtype)
    return a if a.flags.c_contiguous else a.copy()


def broadcast_to(a, shape, subok=False):
    a = asarray(a)
    shape = tuple(shape)
    np.broadcast_shapes(a.shape, shape)
    lead = len(shape) - a.ndim
    strides = (0,) * lead + tuple(0 if n == 1 and m != 1 else s for n, m, s in zip(a.shape, shape[lead:],
                                                                                  a.strides))
    return a._view(shape, strides)


def as_strided(x, shape=None, strides=None, subok=False, writeable=True):
    x = asarray(x)
    return x._view(tuple(shape), tuple(strides))


def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = _meta_args(*arrays)
    if axis is None:
        return empty((sum(a.size for a in arrays),), dtype or np.result_type(*(a.dtype for a in arrays)))
    first = arrays[0]
    axis %= first.ndim
    for a in arrays[1:]:
        if a.ndim != first.ndim or any(n != m for i, (n, m) in enumerate(zip(a.shape, first.shape)) if i != axis):
            raise ValueError("all the input array dimensions except for the concatenation axis must match")
    shape = list(first.shape)
    shape[axis] = sum(a.shape[axis] for a in arrays)
    return empty(tuple(shape), dtype or np.result_type(*(a.dtype for a in arrays)))


def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = _meta_args(*arrays)
    first = arrays[0]
    if any(a.shape != first.shape for a in arrays):
        raise ValueError("all input arrays must have the same shape")
    axis %= first.ndim + 1
    shape = first.shape[:axis] + (len(arrays),) + first.shape[axis:]
    return empty(shape, dtype or np.result_type(*(a.dtype for a in arrays)))


def where(condition, x=None, y=None):
    if x is None:
        raise MetaDataError("nonzero")
    shapes = [_shape_of(v) for v in (condition, x, y)]
    dtype = np.where(True, _probe_value(x), _probe_value(y)).dtype
    return empty(np.broadcast_shapes(*shapes), dtype)


def tensordot(a, b, axes=2):
    if isinstance(axes, int):
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        axes_a, axes_b = ([x] if isinstance(x, int) else list(x) for x in axes)
    axes_a = [x % a.ndim for x in axes_a]
    axes_b = [x % b.ndim for x in axes_b]
    shape = tuple(n for i, n in enumerate(a.shape) if i not in axes_a) + \
        tuple(n for i, n in enumerate(b.shape) if i not in axes_b)
    return empty(shape, np.result_type(a.dtype, b.dtype))


def einsum(subscripts, *operands, **kwargs):
    dummies = [_dummy(o) if isinstance(o, MetaArray) else o for o in operands]
    inputs, _, output = subscripts.replace(" ", "").partition("->")
    sizes = {}
    for spec, op in zip(inputs.split(","), dummies):
        for letter, n in zip(spec.replace("...", ""), _shape_of(op)[-len(spec.replace("...", "")):] if spec else ()):
            sizes[letter] = n
    if "..." in subscripts:
        return _by_dummies(np.einsum)(subscripts, *operands, **kwargs)
    if not output and "->" not in subscripts:
        letters = "".join(sorted(c for c in set(inputs.replace(",", "")) if inputs.count(c) == 1))
        output = letters
    return empty(tuple(sizes[c] for c in output), np.result_type(*(o.dtype for o in dummies)))


def take_along_axis(arr, indices, axis):
    return empty(np.broadcast_shapes(arr.shape[:axis] + (1,) + arr.shape[axis + 1:], indices.shape)
                 if axis is not None else indices.shape, arr.dtype)


def moveaxis(a, source, destination):
    src = [s % a.ndim for s in ((source,) if isinstance(source, int) else source)]
    dst = [d % a.ndim for d in ((destination,) if isinstance(destination, int) else destination)]
    order = [i for i in range(a.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return a.transpose(order)


def expand_dims(a, axis):
    axes = (axis,) if isinstance(axis, int) else axis
    ndim = a.ndim + len(axes)
    axes = sorted(x % ndim for x in axes)
    shape, strides = list(a.shape), list(a.strides)
    for x in axes:
        shape.insert(x, 1)
        strides.insert(x, 0)
    return a._view(tuple(shape), tuple(strides))


def diagonal(a, offset=0, axis1=0, axis2=1):
    return _by_dummies(np.diagonal)(a, offset, axis1, axis2)


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    probe = np.arange(start, start + step, step, dtype=dtype)  # one element: the dtype NumPy picks
    return empty((max(0, math.ceil((stop - start) / step)),), probe.dtype)


def eye(n, m=None, k=0, dtype=float):
    return empty((n, n if m is None else m), dtype)


def _refuse(name):
    def refuse(*args, **kwargs):
        raise MetaDataError(name)
    refuse.__name__ = name
    return refuse


_FUNCTIONS = {
    "empty": empty, "zeros": empty, "ones": empty, "full": lambda shape, fill_value, dtype=None, order="C":
    _filled(shape, fill_value, dtype), "empty_like": _like, "zeros_like": _like, "ones_like": _like,
    "full_like": lambda a, fill_value, dtype=None, order="K", subok=True, shape=None: _like(a, dtype, shape=shape),
    "asarray": asarray, "array": asarray, "ascontiguousarray": ascontiguousarray, "broadcast_to": broadcast_to,
    "as_strided": as_strided, "concatenate": concatenate, "stack": stack, "where": where, "tensordot": tensordot,
    "einsum": einsum, "take_along_axis": take_along_axis, "moveaxis": moveaxis, "expand_dims": expand_dims,
    "diagonal": diagonal, "eye": eye, "arange": arange, "transpose": lambda a, axes=None: a.transpose(axes or ()),
    "reshape": lambda a, shape, order="C": a.reshape(shape), "squeeze": lambda a, axis=None: a.squeeze(axis),
    "ravel": lambda a, order="C": a.ravel(), "shape": lambda a: _shape_of(a), "ndim": lambda a: len(_shape_of(a)),
    "copyto": lambda dst, src, casting="same_kind", where=True: None,
    "sum": lambda a, axis=None, dtype=None, out=None, keepdims=False, **kw: a.sum(axis, dtype, keepdims=keepdims),
    "mean": lambda a, axis=None, dtype=None, out=None, keepdims=False, **kw: a.mean(axis, dtype, keepdims=keepdims),
    "prod": lambda a, axis=None, dtype=None, out=None, keepdims=False, **kw: a.prod(axis, dtype, keepdims=keepdims),
    "amax": lambda a, axis=None, out=None, keepdims=False, **kw: a.max(axis, keepdims=keepdims),
    "amin": lambda a, axis=None, out=None, keepdims=False, **kw: a.max(axis, keepdims=keepdims),
    "max": lambda a, axis=None, out=None, keepdims=False, **kw: a.max(axis, keepdims=keepdims),
    "min": lambda a, axis=None, out=None, keepdims=False, **kw: a.max(axis, keepdims=keepdims),
    "argmax": lambda a, axis=None, out=None, keepdims=False: a.argmax(axis, keepdims=keepdims),
    "argmin": lambda a, axis=None, out=None, keepdims=False: a.argmax(axis, keepdims=keepdims),
    "any": lambda a, axis=None, out=None, keepdims=False, **kw: a.any(axis, keepdims=keepdims),
    "all": lambda a, axis=None, out=None, keepdims=False, **kw: a.all(axis, keepdims=keepdims),
    "cumsum": lambda a, axis=None, dtype=None, out=None: a.cumsum(axis, dtype),
    "cumprod": lambda a, axis=None, dtype=None, out=None: a.cumsum(axis, dtype),
}
_FUNCTIONS.update({name: _refuse(name) for name in _DATA_DEPENDENT})


class _MetaNumpy(types.ModuleType):
    """The `xp` of meta arrays: NumPy's names, with array-making and shape-only functions answered above,
    ufuncs and dtypes taken from NumPy itself, and any other function probed on zero-strided stand-ins."""

    def __getattr__(self, name):
        if name in _FUNCTIONS:
            return _FUNCTIONS[name]
        value = getattr(np, name)
        if isinstance(value, (np.ufunc, type, np.dtype)) or not callable(value):
            return value
        return _by_dummies(value)


meta_numpy = _MetaNumpy("meta_numpy")
meta_numpy.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(as_strided=as_strided))


def _identities(x):
    """Identity matrices in x's shape (a well-conditioned stand-in for the linear-algebra functions, which
    refuse singular inputs); vectors are zeros."""
    if x.ndim < 2:
        return _dummy(x)
    return np.broadcast_to(np.eye(x.shape[-2], x.shape[-1], dtype=x.dtype), x.shape)


meta_numpy.linalg = types.SimpleNamespace(LinAlgError=np.linalg.LinAlgError, **{
    name: _by_dummies(getattr(np.linalg, name), _identities)
    for name in ("qr", "inv", "det", "norm", "svd", "svdvals", "eigh", "eigvalsh", "solve", "cholesky", "slogdet",
                 "pinv", "matrix_power", "lstsq", "eig", "eigvals", "matrix_rank") if hasattr(np.linalg, name)})
