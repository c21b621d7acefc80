"""Factory functions: tensor, zeros, ones, arange, randn ... Each takes dtype=, device= and
requires_grad= where torch does, builds the array with the device's array module, and wraps it."""
from __future__ import annotations

import builtins
import functools
import math
from typing import Any, Sequence

import numpy as np

from . import _dtype, _warnings
from ._device import as_device, device as _device, factory_device
from .backends import meta
from ._random import Generator, generator_for
from ._tensor import Tensor
from .autograd.grad_mode import _state as _grad_state

_Number = int | float | bool
_DeviceLike = _device | str | int | None


def _xp(device):
    if device.type == "cpu":
        return np
    if device.type == "meta":
        return meta.meta_numpy
    from .cuda import _cupy
    return _cupy()


def _finish(data, device, requires_grad):
    """Place a NumPy array on `device` and wrap it; requires_grad is checked as torch's factories do."""
    if device.type == "meta":
        data = meta.MetaArray(data.shape, data.dtype)
    elif device.type == "cuda":
        xp = _xp(device)
        with xp.cuda.Device(device.index):
            data = xp.asarray(data)
    return _wrap_req(data, requires_grad)


def _out_of_memory(shape, np_dtype):
    """torch's error (a RuntimeError) for a host allocation the machine cannot make."""
    nbytes = math.prod(shape) * np.dtype(np_dtype).itemsize
    return RuntimeError(f"DefaultCPUAllocator: can't allocate memory: you tried to allocate {nbytes} bytes. "
                        "Error code 12 (Cannot allocate memory)")


def _check_strides(ndarray):
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making a copy "
                         "of your array  with array.copy().) ")


def _takes_out(factory):
    """torch's out= for a factory function: the tensor is made in out's dtype (another dtype= is an error) and on
    out's device, then written into out, which is resized as needed and returned."""
    name = factory.__name__

    @functools.wraps(factory)
    def make(*args, out=None, **kwargs):
        if out is None:
            return factory(*args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
        dtype = kwargs.get("dtype")
        if dtype is not None and dtype is not out.dtype:
            raise RuntimeError(f"dtype {dtype.scalar_name} does not match dtype of out parameter "
                               f"({out.dtype.scalar_name})")
        if out.requires_grad and _grad_state["enabled"]:
            raise RuntimeError(f"aten::{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        kwargs["dtype"] = out.dtype
        kwargs["device"] = kwargs.get("device") or out.device
        result = factory(*args, **kwargs)
        if name == "arange" and out.numel() and out.numel() != result.numel():
            _warnings.warn(f"The number of elements in the out tensor of shape {list(out.shape)} is {out.numel()} "
                           f"which does not match the computed number of elements {result.numel()}. Note that this "
                           f"may occur as a result of rounding error. The out tensor will be resized to a tensor of "
                           f"shape ({result.numel()},).")
        from .ops.out import write
        write(result, out, warn=False)
        return out
    return make


def _wrap_req(data, requires_grad):
    t = Tensor._wrap(data)
    if requires_grad:
        if data.dtype.kind != "f" and data.dtype != _dtype.bfloat16.np:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def _shape(size, fn):
    """Accept `f(2, 3)`, `f((2, 3))`, `f([2, 3])` and `f(torch.Size([2, 3]))`, with torch's errors."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    elif not size:
        raise TypeError(f'{fn}() missing 1 required positional arguments: "size"')
    out = []
    for s in size:
        if isinstance(s, Tensor) and s.numel() == 1 and not s.is_floating_point():
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(s).__name__}")
        out.append(int(s))
    if any(s < 0 for s in out):
        if fn == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {out}")
    return tuple(out)


def _resolve_dtype(dtype, default=None):
    if dtype is None:
        dtype = default or _dtype.get_default_dtype()
    if not isinstance(dtype, _dtype.dtype):
        raise TypeError(f"dtype must be minitorch.dtype, not {type(dtype).__name__}")
    return _dtype._check_available(dtype)


# ----- from data ------------------------------------------------------------------------------------
_SEQUENCES = (list, tuple, range)


def _leaf_dtype(x):
    """torch's dtype for one element of nested data."""
    t = type(x)
    if t is bool or t is np.bool_:
        return _dtype.bool
    if t is int:
        return _dtype.int64
    if t is float:
        return _dtype.get_default_dtype()
    if isinstance(x, np.generic):
        return _dtype.from_numpy_dtype(x.dtype)
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, str):  # (a string where the first number should be is tensor()'s ValueError instead)
        raise TypeError(f"new(): invalid data type '{t.__name__}'")
    raise RuntimeError(f"Could not infer dtype of {t.__name__}")


def _infer_dtype(data):
    """(dtype, has_tensors): the promoted dtype of every element of nested data (an empty sequence gives
    the default float), and whether some elements are tensors."""
    result = None
    has_tensors = False
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, _SEQUENCES):
            stack.extend(x)
            continue
        has_tensors = has_tensors or isinstance(x, Tensor)
        d = _dtype.from_numpy_dtype(x.dtype) if isinstance(x, np.ndarray) else _leaf_dtype(x)
        result = d if result is None else _dtype.promote_types(result, d)
    return result or _dtype.get_default_dtype(), has_tensors


def _nested_shape(data):
    """The shape torch reads from nested data: the lengths along the first elements."""
    shape = []
    x = data
    while True:
        if isinstance(x, np.ndarray):
            return shape + list(x.shape)
        if isinstance(x, str):  # torch reads the first element's type as the kind of data
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        if not isinstance(x, _SEQUENCES):
            return shape
        shape.append(len(x))
        if not len(x):
            return shape
        x = x[0]


def _check_nested(data, shape, dtype):
    """Raise torch's errors for ragged data (every sequence must match the shape of the first ones)."""
    stack = [(data, 0)]
    while stack:
        x, depth = stack.pop()
        if isinstance(x, np.ndarray):
            if list(x.shape) != shape[depth:]:
                raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} "
                                 f"(got {x.shape[0] if x.ndim else 0})")
        elif isinstance(x, _SEQUENCES):
            if depth == len(shape):
                name = type(x).__name__
                raise TypeError(f"must be real number, not {name}" if dtype.is_floating_point else
                                f"'{name}' object cannot be interpreted as an integer")
            if len(x) != shape[depth]:
                raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} (got {len(x)})")
            stack.extend((item, depth + 1) for item in x)
        elif depth < len(shape):
            raise TypeError("not a sequence")
        elif isinstance(x, Tensor) and x.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")


def _numbers(data):
    """Nested data with every tensor element replaced by its Python number."""
    if isinstance(data, Tensor):
        return data._data.reshape(()).item() if data.is_cpu else data._data.get().reshape(()).item()
    if isinstance(data, _SEQUENCES):
        return [_numbers(x) for x in data]
    return data


def _host_array(data):
    """`data` (a tensor, NumPy or CuPy array) as a NumPy array, without copying what is already one."""
    if isinstance(data, Tensor):
        data = data._data
    return data if isinstance(data, np.ndarray) else data.get()


def tensor(data: Any, *, dtype: _dtype.dtype | None = None, device: _DeviceLike = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (nested sequences of numbers, NumPy arrays or tensors)."""
    if isinstance(data, Tensor):
        _warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                       "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                       "torch.tensor(sourceTensor).")
        device = data.device if device is None else device
    if isinstance(data, np.ndarray):
        _check_strides(data)
    if isinstance(data, (Tensor, np.ndarray)) or hasattr(data, "__dlpack_device__") and hasattr(data, "get"):
        arr = _host_array(data)
        dtype = _resolve_dtype(dtype or _dtype.from_numpy_dtype(arr.dtype))
        return _finish(np.array(arr, dtype=dtype.np), factory_device(device), requires_grad)
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    shape = _nested_shape(data)
    inferred, has_tensors = _infer_dtype(data)
    dtype = _resolve_dtype(dtype or inferred)
    if 0 not in shape:
        _check_nested(data, shape, inferred)
    checked = dtype is not inferred and dtype._category == 1  # numbers stored in an integer dtype
    try:
        with np.errstate(over="ignore"):  # a number too large for a narrow float is inf, silently as in torch
            arr = np.array(_numbers(data) if has_tensors else data, dtype=inferred.np if checked else dtype.np)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    if checked:
        _check_fits(arr, dtype)
        arr = arr.astype(dtype.np)
    return _finish(arr, factory_device(device), requires_grad)


def _check_fits(arr, dtype):
    """torch's range check when numbers are stored in an integer dtype: an integer may wrap around an
    unsigned type from as low as minus its maximum (uint8 takes -255 .. 255), a float must lie in range."""
    if not arr.size:
        return
    info = np.iinfo(dtype.np)
    if arr.dtype.kind == "f":
        lo, hi = info.min, info.max
        if np.isnan(arr).any():
            lo = hi = None
    else:
        lo, hi = (-int(info.max) if info.min == 0 else int(info.min)), int(info.max)
    if lo is None or arr.min() < lo or arr.max() > hi:
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")


def as_tensor(data: Any, dtype: _dtype.dtype | None = None, device: _DeviceLike = None) -> Tensor:
    """Like `tensor`, but shares memory with a tensor or NumPy array when dtype and device already match."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if device is not None or dtype is not None else data
    if isinstance(data, np.ndarray) and factory_device(device).type == "cpu":
        if dtype is None or _resolve_dtype(dtype).np == data.dtype:
            return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor that shares memory with `ndarray`."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    _check_strides(ndarray)
    return Tensor._wrap(ndarray)


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A tensor sharing memory with any object that speaks DLPack (NumPy, CuPy, torch ...)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    dev_type, dev_id = ext_tensor.__dlpack_device__()
    if int(dev_type) == 1:
        return from_numpy(np.from_dlpack(ext_tensor))
    from .cuda import _cupy
    return Tensor._wrap(_cupy().from_dlpack(ext_tensor))


# ----- filled -------------------------------------------------------------------------------------------
def _filled(fill, shape, dtype, device, requires_grad):
    device = factory_device(device)
    dtype = _resolve_dtype(dtype)
    xp = _xp(device)
    if device.type == "cuda":
        with xp.cuda.Device(device.index):
            data = xp.full(shape, fill, dtype=dtype.np) if fill is not None else xp.empty(shape, dtype.np)
    else:
        try:
            data = xp.full(shape, fill, dtype=dtype.np) if fill is not None else xp.empty(shape, dtype.np)
        except MemoryError:
            raise _out_of_memory(shape, dtype.np) from None
    return _wrap_req(data, requires_grad)


@_takes_out
def zeros(*size: int | Sequence[int], out: Tensor | None = None, dtype: _dtype.dtype | None = None, layout=None,
          device: _DeviceLike = None, requires_grad: bool = False) -> Tensor:
    return _filled(0, _shape(size, "zeros"), dtype, device, requires_grad)


@_takes_out
def ones(*size: int | Sequence[int], out: Tensor | None = None, dtype: _dtype.dtype | None = None, layout=None,
         device: _DeviceLike = None, requires_grad: bool = False) -> Tensor:
    return _filled(1, _shape(size, "ones"), dtype, device, requires_grad)


@_takes_out
def empty(*size: int | Sequence[int], out: Tensor | None = None, dtype: _dtype.dtype | None = None, layout=None,
          device: _DeviceLike = None, requires_grad: bool = False, pin_memory: bool = False,
          memory_format=None) -> Tensor:
    return _filled(None, _shape(size, "empty"), dtype, device, requires_grad)


@_takes_out
def full(size: Sequence[int], fill_value: _Number, *, out: Tensor | None = None, dtype: _dtype.dtype | None = None,
         layout=None, device: _DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """`size` filled with `fill_value`; the dtype follows the value (bool, int64 or the default float)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    return _filled(fill_value, _shape((size,), "full"), dtype, device, requires_grad)


def _like(input, dtype, device):
    return (dtype or input.dtype), (device if device is not None else input.device)


def zeros_like(input: Tensor, *, dtype: _dtype.dtype | None = None, layout=None, device: _DeviceLike = None,
               requires_grad: bool = False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return zeros(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: _dtype.dtype | None = None, layout=None, device: _DeviceLike = None,
              requires_grad: bool = False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return ones(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: _dtype.dtype | None = None, layout=None, device: _DeviceLike = None,
               requires_grad: bool = False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return empty(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: _Number, *, dtype: _dtype.dtype | None = None, layout=None,
              device: _DeviceLike = None, requires_grad: bool = False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


@_takes_out
def eye(n: int, m: int | None = None, *, out: Tensor | None = None, dtype: _dtype.dtype | None = None, layout=None,
        device: _DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (m defaults to n)."""
    m = n if m is None else m
    for name, v in (("n", n), ("m", m)):
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    dtype = _resolve_dtype(dtype)
    return _finish(np.eye(n, m, dtype=dtype.np), factory_device(device), requires_grad)


# ----- ranges ---------------------------------------------------------------------------------------------
def _number(v):
    return v.item() if isinstance(v, (Tensor, np.generic)) else v


@_takes_out
def arange(start: _Number, end: _Number | None = None, step: _Number = 1, *, out: Tensor | None = None,
           dtype: _dtype.dtype | None = None, layout=None, device: _DeviceLike = None,
           requires_grad: bool = False) -> Tensor:
    """Values from start (default 0) up to but excluding end, `step` apart. Integer arguments give int64,
    any float the default float dtype; an integer dtype truncates float arguments first, as torch does."""
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    is_float = any(isinstance(v, float) for v in (start, end, step))
    dtype = _resolve_dtype(dtype, _dtype.get_default_dtype() if is_float else _dtype.int64)
    if not dtype.is_floating_point and is_float:
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("step must be nonzero")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = math.ceil((end - start) / step)
    if dtype.is_floating_point:
        data = start + np.arange(n, dtype=np.float64) * step
    else:
        data = start + np.arange(n, dtype=np.int64) * step
    return _finish(data.astype(dtype.np), factory_device(device), requires_grad)


def _linspace_values(start, end, steps, np_dtype):
    """torch's linspace: start + i*step for the first half, end - (steps-1-i)*step for the second, in the
    output's float dtype (double for integer outputs, then truncated)."""
    compute = np_dtype if np_dtype.kind == "f" else np.dtype(np.float64)
    if steps == 1:
        return np.array([start], dtype=compute)
    lo, hi = compute.type(start), compute.type(end)
    step = (hi - lo) / compute.type(steps - 1)
    i = np.arange(steps)
    half = steps // 2
    first = lo + step * i[:half].astype(compute)
    second = hi - step * (steps - 1 - i[half:]).astype(compute)
    return np.concatenate([first, second])


@_takes_out
def linspace(start: _Number, end: _Number, steps: int, *, out: Tensor | None = None, dtype: _dtype.dtype | None = None,
             layout=None, device: _DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """`steps` values evenly spaced from start to end, both included."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = _resolve_dtype(dtype)
    data = _linspace_values(float(_number(start)), float(_number(end)), steps, dtype.np)
    return _finish(data.astype(dtype.np), factory_device(device), requires_grad)


@_takes_out
def logspace(start: _Number, end: _Number, steps: int, base: _Number = 10.0, *, out: Tensor | None = None,
             dtype: _dtype.dtype | None = None, layout=None, device: _DeviceLike = None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = _resolve_dtype(dtype)
    exponents = _linspace_values(float(_number(start)), float(_number(end)), steps, dtype.np)
    data = np.power(exponents.dtype.type(base), exponents)
    return _finish(data.astype(dtype.np), factory_device(device), requires_grad)


# ----- random ----------------------------------------------------------------------------------------------
def _random(shape, dtype, device, requires_grad, generator, draw):
    """A tensor of `shape` filled by draw(engine, n) with the generator for `device` (see _random.py); meta
    tensors draw nothing."""
    device = factory_device(device)
    if device.type == "meta":
        return _wrap_req(meta.empty(shape, dtype.np), requires_grad)
    engine = generator_for(device, generator).engine
    n = math.prod(shape)
    if device.type == "cuda":
        with _xp(device).cuda.Device(device.index):
            data = draw(engine, n).reshape(shape)
    else:
        data = draw(engine, n).reshape(shape)
    return _wrap_req(data.astype(dtype.np, copy=False), requires_grad)


def _check_floating(dtype, kernel):
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{dtype.scalar_name}'")


@_takes_out
def rand(*size: int | Sequence[int], generator: Generator | None = None, out: Tensor | None = None,
         dtype: _dtype.dtype | None = None, layout=None, device: _DeviceLike = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1) (on cpu, torch's own stream)."""
    dtype = _resolve_dtype(dtype)
    _check_floating(dtype, "check_uniform_bounds")
    return _random(_shape(size, "rand"), dtype, device, requires_grad, generator,
                   lambda engine, n: engine.uniform(n, dtype.np))


@_takes_out
def randn(*size: int | Sequence[int], generator: Generator | None = None, out: Tensor | None = None,
          dtype: _dtype.dtype | None = None, layout=None, device: _DeviceLike = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples (on cpu, torch's own stream)."""
    dtype = _resolve_dtype(dtype)
    _check_floating(dtype, "normal_kernel_cpu")
    return _random(_shape(size, "randn"), dtype, device, requires_grad, generator,
                   lambda engine, n: engine.normal(n, dtype.np, 0.0, 1.0))


@_takes_out
def randint(low: int = 0, high: int | None = None, size: Sequence[int] | None = None, *,
            generator: Generator | None = None, out: Tensor | None = None, dtype: _dtype.dtype | None = None,
            layout=None, device: _DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Integers uniform in [low, high); `randint(high, size)` also works, as in torch."""
    if size is None:
        low, high, size = 0, low, high
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = _resolve_dtype(dtype, _dtype.int64)
    shape = _shape((size,), "randint")
    return _random(shape, dtype, device, requires_grad, generator,
                   lambda engine, n: engine.integers(int(low), int(high), (n,)))


@_takes_out
def randperm(n: int, *, generator: Generator | None = None, out: Tensor | None = None,
             dtype: _dtype.dtype | None = None, layout=None, device: _DeviceLike = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (on cpu, torch's own shuffle)."""
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = _resolve_dtype(dtype, _dtype.int64)
    return _random((n,), dtype, device, requires_grad, generator, lambda engine, count: engine.permutation(count))


@_takes_out
def normal(mean: Tensor | float = 0.0, std: Tensor | float = 1.0, size: Sequence[int] | None = None, *,
           generator: Generator | None = None, out: Tensor | None = None, dtype: _dtype.dtype | None = None,
           layout=None, device: _DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Normal samples; `mean` and `std` may be tensors (broadcast together) or numbers with `size`."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if isinstance(std, Tensor) and builtins.bool((std._data < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        if not isinstance(std, Tensor) and std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        ref = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))
        z = randn(shape, generator=generator, dtype=ref.dtype, device=ref.device)
        return z * std + mean
    if size is None:
        raise TypeError(f"normal() received an invalid combination of arguments - got "
                        f"({type(mean).__name__}, {type(std).__name__}), but expected a size for number "
                        f"mean and std")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    dtype = _resolve_dtype(dtype)
    _check_floating(dtype, "normal_kernel_cpu")
    return _random(_shape((size,) if isinstance(size, int) else tuple(size), "normal"), dtype, device,
                   requires_grad, generator, lambda engine, n: engine.normal(n, dtype.np, float(mean), float(std)))


def rand_like(input: Tensor, *, dtype: _dtype.dtype | None = None, layout=None, device: _DeviceLike = None,
              requires_grad: bool = False, memory_format=None, generator: Generator | None = None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return rand(input.shape, dtype=dtype, device=device, requires_grad=requires_grad, generator=generator)


def randn_like(input: Tensor, *, dtype: _dtype.dtype | None = None, layout=None, device: _DeviceLike = None,
               requires_grad: bool = False, memory_format=None, generator: Generator | None = None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return randn(input.shape, dtype=dtype, device=device, requires_grad=requires_grad, generator=generator)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, dtype: _dtype.dtype | None = None,
                 layout=None, device: _DeviceLike = None, requires_grad: bool = False, memory_format=None,
                 generator: Generator | None = None) -> Tensor:
    """Like randint with input's shape, dtype and device; `randint_like(x, high)` draws from [0, high)."""
    if high is None:
        low, high = 0, low
    dtype, device = _like(input, dtype, device)
    return randint(low, high, tuple(input.shape), dtype=dtype, device=device, requires_grad=requires_grad,
                   generator=generator)


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
