"""More factory functions: the signal windows (hann, hamming, blackman, bartlett, kaiser), scalar_tensor,
the deprecated inclusive range, asarray, frombuffer and empty_strided. Like the factories of _creation.py
they take dtype=, device= and requires_grad= as torch does."""
import math

import numpy as np

from . import _dtype, _warnings
from ._creation import _finish, _resolve_dtype, _xp, arange, empty, tensor
from ._device import as_device
from ._tensor import Tensor

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window", "scalar_tensor",
           "range", "asarray", "frombuffer", "empty_strided"]


# ----- windows ---------------------------------------------------------------------------------------------
# Each window is computed in its dtype, in the order of torch's own arithmetic, so that the values round as
# torch's do (for float16 in float32, as torch's cpu kernels do).
def _window(name, window_length, periodic, dtype, device, requires_grad, values):
    """A window of `window_length` points from values(n, N), n = 0 .. N-1 in the computing dtype, with N
    the length plus one when periodic (the extra last point is dropped)."""
    dtype = _resolve_dtype(dtype)
    device = as_device(device)
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype={dtype.cpp_name}, "
                           f"device={device}, layout=Strided (default), requires_grad=false (default), "
                           "pinned_memory=false, memory_format=(nullopt))")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    work = np.float64 if dtype is _dtype.float64 else np.float32
    if window_length <= 1:
        data = np.ones(window_length, work)
    else:
        period = window_length + 1 if periodic else window_length
        data = values(np.arange(period, dtype=work), period, work)[:window_length]
    return _finish(data.astype(dtype.np), device, requires_grad)


def _cosine(alpha, beta):
    """The values alpha - beta cos(2 pi n / (N - 1)) of the Hamming family."""
    def values(n, N, work):
        return np.cos(n * work(2 * math.pi / (N - 1))) * work(-beta) + work(alpha)
    return values


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """alpha - beta cos(2 pi n / (N - 1))."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad, _cosine(alpha, beta))


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """0.5 - 0.5 cos(2 pi n / (N - 1)): the Hamming window with alpha = beta = 0.5."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, _cosine(0.5, 0.5))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    def values(n, N, work):
        angle = n * work(math.pi / (N - 1))
        return np.cos(angle * work(4)) * work(0.08) - np.cos(angle * work(2)) * work(0.5) + work(0.42)
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, values)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The triangle 1 - |2n / (N - 1) - 1|."""
    def values(n, N, work):
        ramp = n * work(2.0 / (N - 1))
        half = ((N - 1) >> 1) + 1
        ramp[half:] = ramp[half:] * work(-1) + work(2)
        return ramp
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, values)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  requires_grad=False):
    """I0(beta sqrt(1 - ((n - a) / a)^2)) / I0(beta), a = (N - 1) / 2."""
    def values(n, N, work):
        a = work((N - 1) / 2.0)
        inside = np.clip(work(1) - ((n - a) / a) ** 2, 0, None)
        return (np.i0(work(beta) * np.sqrt(inside)) / np.i0(work(beta))).astype(work)
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, values)


# ----- scalars, ranges and buffers -----------------------------------------------------------------------------
def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A 0-d tensor holding the number `s` (in the default float dtype unless `dtype` says otherwise)."""
    return tensor(float(s) if dtype is None and not isinstance(s, complex) else s,
                  dtype=dtype, device=device, requires_grad=requires_grad)


def range(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Values from start to end inclusive, `step` apart, in the default float dtype (deprecated by torch in
    favour of arange, which excludes end)."""
    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    _warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                   "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                   "[start, end).")
    dtype = _resolve_dtype(dtype)
    count = math.floor((end - start) / step) + 1
    return arange(0, count, dtype=_dtype.float64, device=device).mul(step).add(start).to(dtype).requires_grad_(
        requires_grad)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """`obj` as a tensor: a tensor or NumPy array is shared, not copied, when dtype and device allow (unless
    copy=True); other data is converted."""
    if isinstance(obj, Tensor):
        out = obj.to(device=device or obj.device, dtype=dtype or obj.dtype, copy=bool(copy))
    elif isinstance(obj, np.ndarray) and not copy and (device is None or as_device(device).type == "cpu"):
        out = Tensor._wrap(obj if dtype is None else obj.astype(dtype.np, copy=False))
    else:
        out = tensor(obj, dtype=dtype, device=device)
    if copy is False and isinstance(obj, (Tensor, np.ndarray)) and out._data is not getattr(obj, "_data", obj):
        raise ValueError("can't alias tensor from a different device or dtype without copying (copy=False)")
    return out.requires_grad_(requires_grad) if requires_grad else out


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor sharing the memory of an object with the buffer protocol (bytes, bytearray, array ...)."""
    view = memoryview(buffer)
    size = view.nbytes - offset
    if offset < 0 or size < 0:
        raise ValueError(f"both buffer length ({view.nbytes}) and offset ({offset}) must be positive, and the "
                         "offset must be less than the buffer length")
    if count == 0 or count < -1:
        raise ValueError(f"count must be either -1 or a positive integer, but got {count}" if count < -1 else
                         "both buffer length and count must be greater than 0")
    if count == -1:
        if size % dtype.itemsize:
            raise ValueError(f"buffer length ({size} bytes) after offset ({offset} bytes) must be a multiple of "
                             f"element size ({dtype.itemsize})")
        count = size // dtype.itemsize
    data = np.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset)
    out = Tensor._wrap(data)
    return out.requires_grad_(requires_grad) if requires_grad else out


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialised tensor with the given sizes and element strides (in memory just large enough)."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    dtype = _resolve_dtype(dtype)
    device = as_device(device or "cpu")
    xp = _xp(device)
    needed = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    memory = empty(needed, dtype=dtype, device=device)._data
    data = xp.lib.stride_tricks.as_strided(memory, size, [s * memory.itemsize for s in stride])
    out = Tensor._wrap(data)
    return out.requires_grad_(requires_grad) if requires_grad else out
