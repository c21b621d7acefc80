"""Factory functions: tensor, zeros, ones, arange, randn ... Each takes dtype=, device= and
requires_grad= where torch does, builds the array with the device's array module, and wraps it."""
import builtins
import numbers

import numpy as np

from . import _dtype
from ._device import CPU, array_module, as_device, device_of
from ._random import generator_for
from ._tensor import Tensor


def _xp(device):
    if device.type == "cpu":
        return np
    from .cuda import _cupy
    return _cupy()


def _finish(data, device, requires_grad):
    """Place a NumPy array on `device` and wrap it."""
    if device.type == "cuda":
        xp = _xp(device)
        with xp.cuda.Device(device.index):
            data = xp.asarray(data)
    t = Tensor._wrap(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _shape(size):
    """Accept `f(2, 3)`, `f((2, 3))`, `f([2, 3])` and `f(torch.Size([2, 3]))`."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"expected a sequence of integers or a single integer, got '{s!r}'")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _resolve_dtype(dtype, default=None):
    if dtype is None:
        dtype = default or _dtype.get_default_dtype()
    if not isinstance(dtype, _dtype.dtype):
        raise TypeError(f"dtype must be minitorch.dtype, not {type(dtype).__name__}")
    return _dtype._check_available(dtype)


# ----- from data ------------------------------------------------------------------------------------
def _infer_dtype(data):
    """torch's dtype for nested Python data: bool < int64 < default float."""
    kind = 0
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            kind = max(kind, x.dtype._category)
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (bool, np.bool_)):
            pass
        elif isinstance(x, (numbers.Integral,)):
            kind = max(kind, 1)
        elif isinstance(x, numbers.Real):
            kind = max(kind, 2)
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    return (_dtype.bool, _dtype.int64, _dtype.get_default_dtype())[kind]


def _check_ragged(data, depth=0, shape=None):
    """Raise torch's message for nested sequences of uneven length."""
    if shape is None:
        shape = []
    if isinstance(data, (list, tuple)):
        if len(shape) <= depth:
            shape.append(len(data))
        elif shape[depth] != len(data):
            raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} (got {len(data)})")
        for x in data:
            _check_ragged(x, depth + 1, shape)
    return shape


def _to_numpy(data):
    if isinstance(data, Tensor):
        return np.asarray(data.detach().cpu()._data)
    if isinstance(data, (list, tuple)):
        if any(isinstance(x, Tensor) for x in data):
            return np.array([_to_numpy(x) for x in data])
        _check_ragged(data)
    if type(data).__module__.startswith("cupy"):
        return data.get()
    return np.asarray(data)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (nested lists, numbers, NumPy arrays or tensors)."""
    if isinstance(data, Tensor) and device is None:
        device = data.device
    device = as_device(device)
    if dtype is None:
        if isinstance(data, Tensor):
            dtype = data.dtype
        elif isinstance(data, np.ndarray) or type(data).__module__.startswith("cupy"):
            dtype = _dtype.from_numpy_dtype(data.dtype)
        else:
            dtype = _infer_dtype(data)
    dtype = _resolve_dtype(dtype)
    arr = np.array(_to_numpy(data), dtype=dtype.np, copy=True)
    return _finish(arr, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with a tensor or NumPy array when dtype and device already match."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if device is not None or dtype is not None else data
    if isinstance(data, np.ndarray) and (device is None or as_device(device).type == "cpu"):
        if dtype is None or _resolve_dtype(dtype).np == data.dtype:
            return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray):
    """A tensor that shares memory with `ndarray`."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._wrap(ndarray)


def from_dlpack(ext_tensor):
    """A tensor sharing memory with any object that speaks DLPack (NumPy, CuPy, torch ...)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    dev_type, dev_id = ext_tensor.__dlpack_device__()
    if int(dev_type) == 1:
        return Tensor._wrap(np.from_dlpack(ext_tensor))
    from .cuda import _cupy
    return Tensor._wrap(_cupy().from_dlpack(ext_tensor))


# ----- filled -------------------------------------------------------------------------------------------
def _filled(fill, size, dtype, device, requires_grad, default=None):
    device = as_device(device)
    dtype = _resolve_dtype(dtype, default)
    xp = _xp(device)
    shape = _shape(size)
    if device.type == "cuda":
        with xp.cuda.Device(device.index):
            data = xp.full(shape, fill, dtype=dtype.np) if fill is not None else xp.empty(shape, dtype.np)
        return _wrap_req(data, requires_grad)
    data = np.full(shape, fill, dtype=dtype.np) if fill is not None else np.empty(shape, dtype.np)
    return _wrap_req(data, requires_grad)


def _wrap_req(data, requires_grad):
    t = Tensor._wrap(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _filled(0, size, dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _filled(1, size, dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    return _filled(None, size, dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    return _filled(fill_value, (size,), dtype, device, requires_grad)


def _like(input, dtype, device):
    return (dtype or input.dtype), (device if device is not None else input.device)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    dtype, device = _like(input, dtype, device)
    return zeros(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    dtype, device = _like(input, dtype, device)
    return ones(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    dtype, device = _like(input, dtype, device)
    return empty(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    dtype, device = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    device = as_device(device)
    dtype = _resolve_dtype(dtype)
    return _finish(np.eye(n, n if m is None else m, dtype=dtype.np), device, requires_grad)


# ----- ranges ---------------------------------------------------------------------------------------------
def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Values from start (default 0) up to but excluding end. Integer arguments give int64."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in vals)
        dtype = _dtype.get_default_dtype() if is_float else _dtype.int64
    dtype = _resolve_dtype(dtype)
    n = builtins.max(0, int(np.ceil((vals[1] - vals[0]) / vals[2])))
    data = (vals[0] + np.arange(n, dtype=np.float64) * vals[2]) if dtype.is_floating_point \
        else vals[0] + np.arange(n, dtype=np.int64) * vals[2]
    return _finish(data.astype(dtype.np), as_device(device), requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = _resolve_dtype(dtype)
    data = np.linspace(float(start), float(end), steps, dtype=np.float64).astype(dtype.np)
    return _finish(data, as_device(device), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    dtype = _resolve_dtype(dtype)
    data = np.logspace(float(start), float(end), steps, base=base).astype(dtype.np)
    return _finish(data, as_device(device), requires_grad)


# ----- random ----------------------------------------------------------------------------------------------
def _random(size, dtype, device, requires_grad, generator, draw):
    device = as_device(device)
    dtype = _resolve_dtype(dtype)
    shape = _shape(size)
    rng = generator_for(device, generator).rng
    if device.type == "cuda":
        with _xp(device).cuda.Device(device.index):
            data = draw(rng, shape, dtype)
    else:
        data = draw(rng, shape, dtype)
    return _wrap_req(data.astype(dtype.np, copy=False), requires_grad)


def _real(dtype):
    if not dtype.is_floating_point:
        raise RuntimeError(f"expected a floating point dtype, got {dtype}")
    return np.float64 if dtype is _dtype.float64 else np.float32


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Uniform samples from [0, 1)."""
    return _random(size, dtype, device, requires_grad, generator,
                   lambda rng, shape, dt: rng.random(shape, dtype=_real(dt)))


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Standard normal samples."""
    return _random(size, dtype, device, requires_grad, generator,
                   lambda rng, shape, dt: rng.standard_normal(shape, dtype=_real(dt)))


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    """Integers uniform in [low, high); `randint(high, size)` also works, as in torch."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return _random((size,), dtype or _dtype.int64, device, requires_grad, generator,
                   lambda rng, shape, dt: _integers(rng, low, high, shape))


def _integers(rng, low, high, shape):
    if hasattr(rng, "integers"):
        return rng.integers(low, high, shape, dtype=np.int64)
    return rng.randint(low, high, shape, dtype=np.int64)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _random((n,), dtype or _dtype.int64, device, requires_grad, generator,
                   lambda rng, shape, dt: rng.permutation(n))


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad=False):
    """Normal samples; `mean` and `std` may be tensors (broadcast together) or numbers with `size`."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))
        z = randn(shape, generator=generator, dtype=ref.dtype, device=ref.device)
        return z * std + mean
    if size is None:
        raise TypeError("normal() missing required argument 'size' when mean and std are numbers")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return randn(size, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad) * std + mean


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    dtype, device = _like(input, dtype, device)
    return rand(input.shape, dtype=dtype, device=device, requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    dtype, device = _like(input, dtype, device)
    return randn(input.shape, dtype=dtype, device=device, requires_grad=requires_grad, generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(input, dtype, device)
    return randint(low, high, input.shape, dtype=dtype, device=device)


# ----- argument parsing shared with Tensor.to and Module.to ------------------------------------------------
def parse_to_args(*args, device=None, dtype=None, non_blocking=False, copy=False, memory_format=None):
    """(device, dtype, non_blocking, copy) from torch's `to(...)` call forms."""
    for a in args:
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, bool):
            non_blocking = a
        elif a is not None:
            device = a
    return (as_device(device) if device is not None else None), dtype, non_blocking, copy
