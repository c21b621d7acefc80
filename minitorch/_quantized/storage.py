"""What a quantized tensor holds: an integer array plus the numbers that map it to real values.

A quantized Tensor's `_data` is a `QuantizedData` (or, on a GPU, a `QuantizedCUDAData`): `ints`, the
uint8 / int8 / int32 array (a NumPy or CuPy array, possibly a strided view), its quantized dtype and either
one scale and zero point (per tensor) or one pair per index along `axis` (per channel). Real value =
(int - zero_point) * scale. The class attributes `dispatch_key` and `is_quantized` make the dispatch door
send every op on such a tensor to the kernels registered for that key (`kernels.py`).

The arithmetic of quantize and dequantize follows torch's CPU kernels (fbgemm) bit for bit:

- per tensor, 8-bit: q = clamp(rint(x * (1/scale) + zero_point)) with the multiply-add rounded once, as
  the fused multiply-add of fbgemm's AVX2 loop does; NaN becomes the top of the range;
- per tensor, 32-bit and every per-channel case: t = x * (1/scale) rounded to float32, then
  rint(zero_point + t) rounded again, clamped in double precision; NaN becomes the integer that C's
  float-to-int conversion gives (INT32_MIN, whose low byte is 0);
- dequantize per tensor: float32(scale) * float32(q - zero_point) (the difference in int32); per channel:
  (float32(q) - float32(zero_point)) times the double scale, rounded to float32.
All are written against the array module, so the same code runs on CuPy arrays."""
import numpy as np

from .. import _dispatch, _dtype, _qscheme
from .._device import array_module
from .._layout import strided

_f32, _f64 = np.float32, np.float64


class QuantizedData:
    """The storage of a quantized cpu tensor (see the module docstring). Array-like attributes (shape,
    strides, itemsize ...) describe the integers, so Tensor's own shape/size/stride code works as is."""

    dispatch_key = "QuantizedCPU"
    is_quantized = True
    layout = strided
    device = "cpu"  # as NumPy 2 arrays say; a GPU's copy reports its CuPy device

    __slots__ = ("ints", "qdtype", "qscheme", "scale", "zero_point", "axis", "__weakref__")

    def __init__(self, ints, qdtype, scale, zero_point, axis=None):
        """Per tensor: scale a Python float, zero_point an int, axis None. Per channel: scale a float64 array
        and zero_point an int64 array, one entry per index along `axis`."""
        self.ints = ints
        self.qdtype = qdtype
        self.scale, self.zero_point, self.axis = scale, zero_point, axis
        self.qscheme = _qscheme.per_tensor_affine if axis is None else _qscheme.per_channel_affine
        _dispatch.track_nondense(self)  # the door's fast path stays off while quantized data is alive

    @staticmethod
    def of(ints, qdtype, scale, zero_point, axis=None):
        """A new storage of the class for the integers' device (cpu or cuda)."""
        cls = QuantizedData if type(ints) is np.ndarray else QuantizedCUDAData
        return cls(ints, qdtype, scale, zero_point, axis)

    def like(self, ints, axis=None):
        """Other integers (a view or a result) with this storage's dtype and parameters."""
        return QuantizedData.of(ints, self.qdtype, self.scale, self.zero_point,
                                self.axis if axis is None else axis)

    def copy(self):
        return self.like(self.ints.copy())

    @property
    def per_channel(self):
        return self.axis is not None

    # ----- what Tensor's dense code reads from its array ---------------------------------------------
    shape = property(lambda self: self.ints.shape)
    ndim = property(lambda self: self.ints.ndim)
    size = property(lambda self: self.ints.size)
    dtype = property(lambda self: self.ints.dtype)
    itemsize = property(lambda self: self.ints.itemsize)
    nbytes = property(lambda self: self.ints.nbytes)
    strides = property(lambda self: self.ints.strides)
    flags = property(lambda self: self.ints.flags)


class QuantizedCUDAData(QuantizedData):
    """The storage of a quantized cuda tensor: the same, with CuPy arrays."""

    dispatch_key = "QuantizedCUDA"
    __slots__ = ()
    device = property(lambda self: self.ints.device)


# ----- the arithmetic -------------------------------------------------------------------------------------
def not_quantized(aten, tensor):
    """torch's error for a quantized-only op reached with a dense tensor."""
    key = "CUDA" if tensor.is_cuda else "CPU"
    return NotImplementedError(
        f"Could not run '{aten}' with arguments from the '{key}' backend. This could be because the operator "
        f"doesn't exist for this backend. '{aten}' is only available for these backends: [QuantizedCPU, "
        "QuantizedCUDA].")


def check_float_input(x):
    """torch quantizes float32 tensors only."""
    if x.dtype is not _dtype.float32:
        raise RuntimeError(f"Quantize only works on Float Tensor, got {x.dtype.scalar_name}")


def check_qdtype(qdtype, where):
    if not isinstance(qdtype, _dtype._QuantizedDtype):
        raise RuntimeError(f"ScalarType {getattr(qdtype, 'scalar_name', qdtype)} is not supported in {where}.")


def check_zero_points(zero_points, qdtype, where):
    """Zero points must be integers of the quantized dtype's range (torch's messages)."""
    for z in zero_points:
        if z > qdtype.qmax:
            raise RuntimeError(f"{where} zero_point {z} is above upper bound.")
        if z < qdtype.qmin:
            raise RuntimeError(f"{where} zero_point {z} is below lower bound.")


def _clamp_cast(xp, v, qdtype, nan_to):
    """Rounded float values -> the integer storage: NaN to `nan_to`, the rest clamped to the range."""
    v = xp.clip(v.astype(_f64), qdtype.qmin, qdtype.qmax)
    v = xp.where(xp.isnan(v), _f64(nan_to), v)
    return xp.asarray(v.astype(qdtype.storage.np))  # an array also for 0-d inputs


def quantize_array(x, qdtype, scale, zero_point):
    """Per-tensor quantization of a float32 array (see the module docstring for the rounding)."""
    xp = array_module(x)
    inv = _f32(1) / _f32(scale)
    if qdtype is _dtype.qint32:
        v = xp.rint(_f32(zero_point) + (x * inv).astype(_f32))
        return _clamp_cast(xp, v, qdtype, qdtype.qmin)
    # x * inv is exact in double precision; adding the zero point and rounding to float32 then rounds once,
    # as a fused multiply-add does.
    v = xp.rint((x.astype(_f64) * _f64(inv) + zero_point).astype(_f32))
    return _clamp_cast(xp, v, qdtype, qdtype.qmax)


def _channel_shape(ndim, axis, count):
    shape = [1] * ndim
    shape[axis] = count
    return tuple(shape)


def quantize_array_per_channel(x, qdtype, scales, zero_points, axis):
    """Per-channel quantization of a float32 array: the scales (float64) and zero points (int64) are
    arrays with one entry per index along `axis`."""
    xp = array_module(x)
    shape = _channel_shape(x.ndim, axis, scales.shape[0])
    inv = (_f32(1) / scales.astype(_f32)).reshape(shape)
    v = xp.rint(zero_points.astype(_f32).reshape(shape) + (x * inv).astype(_f32))
    return _clamp_cast(xp, v, qdtype, np.iinfo(np.int32).min if qdtype is _dtype.qint32 else 0)


def dequantize_data(data):
    """The float32 values a QuantizedData stands for."""
    ints, xp = data.ints, array_module(data.ints)
    if not data.per_channel:
        diff = ints.astype(_f32) - _f32(data.zero_point) if ints.itemsize == 1 else \
            (ints - np.int32(data.zero_point)).astype(_f32)  # int32 arithmetic, wrapping as in C
        return xp.asarray(diff * _f32(data.scale))
    shape = _channel_shape(ints.ndim, data.axis, data.scale.shape[0])
    diff = ints.astype(_f32) - data.zero_point.astype(_f32).reshape(shape)
    return (diff.astype(_f64) * data.scale.reshape(shape)).astype(_f32)


# ----- to and from plain tensors (minitorch.save / load) ----------------------------------------------------------
def to_parts(t):
    """A quantized tensor as JSON-able fields and plain tensors: {"dtype": "qint8", "int_repr": integers,
    "scale": float or tensor, "zero_point": int or tensor, "axis": None or int}. Per-channel parameters are
    stored compactly when that loses nothing: scales as float32 when every one is a float32 value (those
    from observers are), zero points in the integers' own dtype (they lie in its range)."""
    from .._tensor import Tensor
    data = t._data
    parts = {"dtype": data.qdtype.name, "int_repr": Tensor._wrap(data.ints), "axis": data.axis}
    if not data.per_channel:
        return {**parts, "scale": data.scale, "zero_point": data.zero_point}
    scale = data.scale.astype(_f32)
    exact = bool((scale.astype(_f64) == data.scale).all())
    return {**parts, "scale": Tensor._wrap(scale if exact else data.scale),
            "zero_point": Tensor._wrap(data.zero_point.astype(data.ints.dtype))}


def from_parts(ints, qdtype_name, scale, zero_point, axis):
    """The quantized tensor of `to_parts` (ValueError for inconsistent fields)."""
    from ..ops.quantized import new_quantized
    qdtype = _dtype._BY_NAME.get(qdtype_name)
    if not isinstance(qdtype, _dtype._QuantizedDtype) or ints._data.dtype != qdtype.storage.np:
        raise ValueError(f"a {qdtype_name} tensor needs {getattr(qdtype, 'storage', '?')} integers, got "
                         f"{ints.dtype}")
    if axis is None:
        if not isinstance(scale, float) or not isinstance(zero_point, int) or isinstance(zero_point, bool):
            raise ValueError("a per-tensor quantized tensor needs a float scale and an int zero point")
        return new_quantized(QuantizedData.of(ints._data, qdtype, scale, zero_point))
    channels = ints.shape[axis] if isinstance(axis, int) and 0 <= axis < ints.dim() else None
    if channels is None or tuple(scale.shape) != (channels,) or tuple(zero_point.shape) != (channels,):
        raise ValueError("a per-channel quantized tensor needs one scale and zero point per channel of its axis")
    return new_quantized(QuantizedData.of(ints._data, qdtype, scale._data.astype(np.float64),
                                          zero_point._data.astype(np.int64), axis))
