"""Quantized tensors from float ones and back (`quantize_per_tensor`, `quantize_per_channel`, `dequantize`),
from integers (`_make_per_tensor_quantized_tensor` ...), the quantization-parameter methods
(`int_repr`, `q_scale` ...), and fake quantization: quantize then dequantize in float, with the
straight-through gradient that quantization-aware training uses.

The methods here are what a dense tensor gets; a quantized tensor's ops reach the kernels registered for
its dispatch key in `minitorch/_quantized/kernels.py`. See
https://pytorch.org/docs/stable/quantization-support.html"""
import numpy as np

from .. import _dtype, _warnings
from .._device import array_module
from .._quantized import storage
from .._tensor import Tensor
from ..autograd import grad_mode
from ..backends.meta import MetaDataError, has_data
from ._core import make

_DEPRECATED = [False]


def new_quantized(data):
    """A Tensor around a QuantizedData; warns once per process that these tensors are deprecated, as torch
    2.13 does on the first quantized tensor it creates."""
    if not _DEPRECATED[0]:
        _DEPRECATED[0] = True
        _warnings.warn(
            "torch.quantize_per_tensor, torch.quantize_per_channel and other quantized tensor creation functions "
            "that produce tensors with dtype torch.quint8, torch.qint8, and torch.qint32 are deprecated and will "
            "be removed in a future PyTorch release. Please see https://github.com/pytorch/pytorch/issues/184982 "
            "for more information.")
    return Tensor._wrap(data)


def _no_meta(name, *tensors):
    """Quantized tensors have no meta form (nor do torch's: its quantized ops have no meta kernels), so a
    meta input gets torch's "no Meta kernel" error from the door."""
    if any(not has_data(t._data) for t in tensors):
        raise MetaDataError(name)


def _number(value, kind, name):
    """A Python float/int from a number or a one-element tensor."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise RuntimeError(f"a Tensor with {value.numel()} elements cannot be converted to Scalar")
        return kind(value.item())
    if kind is int and not isinstance(value, (int, np.integer)):
        raise TypeError(f"quantize_per_tensor(): argument '{name}' must be int, not {type(value).__name__}")
    return kind(value)


def quantize_per_tensor(input, scale, zero_point, dtype):
    """Integers q = clamp(round(input / scale) + zero_point) of `dtype` (quint8, qint8 or qint32), one
    scale and zero point for the whole tensor. A list of tensors takes tensors of scales and zero points,
    one entry per tensor."""
    if isinstance(input, (list, tuple)):
        return [quantize_per_tensor(t, scale[i], zero_point[i], dtype) for i, t in enumerate(input)]
    storage.check_float_input(input)
    _no_meta("quantize_per_tensor", input)
    storage.check_qdtype(dtype, "new_qtensor")
    scale, zero_point = _number(scale, float, "scale"), _number(zero_point, int, "zero_point")
    storage.check_zero_points([zero_point], dtype, "quantize_tensor_per_tensor_affine")
    ints = storage.quantize_array(input._data, dtype, scale, zero_point)
    return new_quantized(storage.QuantizedData.of(ints, dtype, scale, zero_point))


def _channel_params(input, scales, zero_points, axis, where):
    """Per-channel parameters as arrays on input's device: (float64 scales, int64 zero points, axis)."""
    for name, t in (("scales", scales), ("zero_points", zero_points)):
        if not isinstance(t, Tensor):
            raise TypeError(f"quantize_per_channel(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if scales.dim() != 1:
        raise RuntimeError("scale tensor must have dimension 1")
    if zero_points.dim() != 1:
        raise RuntimeError("zero_points tensor must have dimension 1")
    if zero_points.is_floating_point():
        raise RuntimeError("zero_points tensor must be an integer tensor")
    if not 0 <= axis < input.dim():
        raise RuntimeError(f"Channel axis out of range in per channel affine {where}. Got: {axis}Expected: "
                           f"[0, {input.dim()})")
    channels = input.shape[axis]
    for t in (scales, zero_points):
        if t.numel() != channels:
            raise RuntimeError(f"length of scales must equal to channel, expected {channels} got, {t.numel()}")
    xp = array_module(input._data)
    as_device = (lambda a: a) if xp is np else xp.asarray
    return (as_device(scales._data.astype(np.float64) if scales.is_cpu else scales._data.get().astype(np.float64)),
            as_device(zero_points._data.astype(np.int64) if zero_points.is_cpu
                      else zero_points._data.get().astype(np.int64)))


def quantize_per_channel(input, scales, zero_points, axis, dtype):
    """Integers of `dtype` with one scale and zero point per index along `axis` (a weight's output
    channels): scales and zero_points are 1-d tensors with input.shape[axis] entries."""
    storage.check_float_input(input)
    _no_meta("quantize_per_channel", input, scales, zero_points)
    storage.check_qdtype(dtype, "new_qtensor")
    scales_a, zeros_a = _channel_params(input, scales, zero_points, axis, "quantization")
    storage.check_zero_points(_host(zeros_a).tolist(), dtype, "quantize_tensor_per_channel_affine")
    ints = storage.quantize_array_per_channel(input._data, dtype, scales_a, zeros_a, axis)
    return new_quantized(storage.QuantizedData.of(ints, dtype, scales_a, zeros_a, axis))


def _host(a):
    return a if type(a) is np.ndarray else a.get()


_QDTYPE_OF = {np.dtype(np.uint8): _dtype.quint8, np.dtype(np.int8): _dtype.qint8, np.dtype(np.int32): _dtype.qint32}


def _qdtype_of_ints(input):
    qdtype = _QDTYPE_OF.get(input._data.dtype)
    if qdtype is None:
        raise RuntimeError("Creation of quantized tensor requires quantized dtype like torch.quint8")
    return qdtype


def _make_per_tensor_quantized_tensor(input, scale, zero_point):
    """A quantized tensor whose integers are a copy of `input` (uint8 -> quint8, int8 -> qint8,
    int32 -> qint32), with the given scale and zero point."""
    _no_meta("_make_per_tensor_quantized_tensor", input)
    qdtype = _qdtype_of_ints(input)
    return new_quantized(storage.QuantizedData.of(input._data.copy(), qdtype, float(scale), int(zero_point)))


def _make_per_channel_quantized_tensor(input, scale, zero_point, axis):
    """A per-channel quantized tensor whose integers are a copy of `input`."""
    _no_meta("_make_per_channel_quantized_tensor", input, scale, zero_point)
    qdtype = _qdtype_of_ints(input)
    scales_a, zeros_a = _channel_params(input, scale, zero_point, axis, "quantization")
    return new_quantized(storage.QuantizedData.of(input._data.copy(), qdtype, scales_a, zeros_a, axis))


def dequantize(input):
    """The float32 values a quantized tensor stands for; a float tensor comes back as it is, and a list
    of tensors as a tuple of dequantized tensors."""
    if isinstance(input, (list, tuple)):
        return tuple(dequantize(t) for t in input)
    return input


def _dense_only(name):
    """A quantized-only method as a dense tensor sees it: torch's error for the cpu / cuda backends."""
    def method(self, *args):
        _no_meta(name, self)
        raise storage.not_quantized(f"aten::{name}", self)
    method.__name__ = name
    method.__doc__ = f"`{name}` of a quantized tensor (see minitorch/_quantized/kernels.py)."
    return method


# ----- fake quantization: quantize and dequantize in float, gradient straight through -----------------------
def _fake_quant(x, scale, zero_point, qmin, qmax):
    """(values, mask): x rounded to the grid of `scale` and `zero_point`, clamped to [qmin, qmax] in integer
    units, and where it was inside that range. scale (float32) and zero_point (integers, or floats for
    float qparams) broadcast against x; the arithmetic is torch's CPU kernel's, in x's dtype."""
    xp = array_module(x)
    inv = (np.float32(1) / scale).astype(x.dtype)
    if zero_point.dtype.kind == "f":
        q = xp.rint(x * inv + zero_point.astype(x.dtype))
    else:
        q = zero_point + xp.rint(x * inv)
        q = xp.where(xp.isnan(q), np.float64(np.iinfo(np.int64).min), q)  # C's float-to-int64 of NaN
    mask = (q >= qmin) & (q <= qmax)
    out = ((xp.clip(q, qmin, qmax) - zero_point) * scale.astype(np.float64)).astype(x.dtype)
    return out, mask


def _not_differentiable(function, **qparams):
    """torch's refusal of scale / zero_point tensors that require grad (fake quantization passes gradients
    to its input only; the learnable fake quantizers compute their own)."""
    for name, t in qparams.items():
        if isinstance(t, Tensor) and t.requires_grad and grad_mode.is_grad_enabled():
            raise RuntimeError(f"The function '{function}' is not differentiable with respect to argument "
                               f"'{name}'. This input cannot have requires_grad True.")


def _check_range(qmin, qmax):
    if qmin > qmax:
        raise RuntimeError("`quant_min` should be less than or         equal to `quant_max`.")


def _fake_quantize(input, scale, zero_point, qmin, qmax, node):
    if not input.is_floating_point():
        raise RuntimeError(f"fake_quantize: expected a floating point input, got {input.dtype}")
    out, mask = _fake_quant(input._data, scale, zero_point, qmin, qmax)
    return make(out, node, (input,), lambda g: (g * Tensor._wrap(mask),), saves=False)


def fake_quantize_per_tensor_affine(input, scale, zero_point, quant_min, quant_max):
    """dequantize(quantize(input)) with one scale and zero point (numbers, or one-element tensors), in
    input's float dtype; the gradient passes unchanged where input was inside the range and is 0 where it
    was clamped (the straight-through estimator)."""
    tensor_qparams = isinstance(scale, Tensor)
    _not_differentiable("_fake_quantize_per_tensor_affine_cachemask_tensor_qparams", scale=scale,
                        zero_point=zero_point)
    scale = np.asarray(np.float32(_number(scale, float, "scale")))
    zero_point = np.asarray(_number(zero_point, int, "zero_point"), dtype=np.int64)
    _check_range(quant_min, quant_max)
    if not quant_min <= int(zero_point) <= quant_max:
        raise RuntimeError("`zero_point` must be between `quant_min` and `quant_max`.")
    node = ("FakeQuantizePerTensorAffineCachemaskTensorQparamsBackward0" if tensor_qparams
            else "FakeQuantizePerTensorAffineCachemaskBackward0")
    return _fake_quantize(input, scale, zero_point, quant_min, quant_max, node)


def fake_quantize_per_channel_affine(input, scale, zero_point, axis, quant_min, quant_max):
    """fake_quantize_per_tensor_affine with one scale (float tensor) and zero point (int32, or float for
    float qparams) per index along `axis`."""
    if zero_point.dtype not in (_dtype.int32, _dtype.float32, _dtype.float16):
        raise RuntimeError(f"Zero-point must be Int32, Float or Half, found {zero_point.dtype.scalar_name}")
    _not_differentiable("fake_quantize_per_channel_affine_cachemask", scale=scale, zero_point=zero_point)
    _check_range(quant_min, quant_max)
    if not 0 <= axis < input.dim():
        raise RuntimeError(f"`axis` must be between 0 and number of dimensions of input ({input.dim()})")
    if scale.numel() != input.shape[axis] or zero_point.numel() != input.shape[axis]:
        raise RuntimeError("dimensions of scale and zero-point are not consistent with input tensor")
    shape = [1] * input.dim()
    shape[axis] = input.shape[axis]
    s = scale._data.astype(np.float32).reshape(shape)
    z = zero_point._data.reshape(shape)
    z = z.astype(np.int64) if zero_point.dtype is _dtype.int32 else z
    return _fake_quantize(input, s, z, quant_min, quant_max, "FakeQuantizePerChannelAffineCachemaskBackward0")


__all__ = ["quantize_per_tensor", "quantize_per_channel", "dequantize", "fake_quantize_per_tensor_affine",
           "fake_quantize_per_channel_affine", "_make_per_tensor_quantized_tensor",
           "_make_per_channel_quantized_tensor"]
_QUANTIZED_METHODS = ("int_repr", "q_scale", "q_zero_point", "q_per_channel_scales", "q_per_channel_zero_points",
                      "q_per_channel_axis", "qscheme")
_METHODS = {"dequantize": dequantize, **{name: _dense_only(name) for name in _QUANTIZED_METHODS}}
_INPLACE = {}
