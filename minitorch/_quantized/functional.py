"""The quantized layers' arithmetic: Linear and Conv2d on quantized tensors (static quantization), and the
dynamically quantized Linear (float in, float out, int8 product inside).

Static (fbgemm's requantization): with acc the exact int32 product of (x - x_zero) and (w - w_zero),
    m = x_scale * w_scale (float32, per output channel)
    y = rint((acc + bias / m) * (m / y_scale)) + y_zero, clamped to [0, 255] ([y_zero, 255] with relu)
Dynamic: the input's range gives its scale and zero point (reduce_range halves the integer range), and
    y = acc * (x_scale * w_scale) + bias         in float32, the multiply-add rounded once.
The profiler and dispatch modes see these ops as quantized::linear, quantized::linear_dynamic and
quantized::conv2d (with _relu when fused)."""
import numpy as np

from .. import _dispatch, _dtype
from .._device import array_module
from .._tensor import Tensor
from ..nn import _conv
from ..ops.quantized import new_quantized
from . import qparams, storage
from .gemm import int_matmul

_f32 = np.float32


def quantized_op(name):
    """Decorator: `fn` is the op `name` of the lower layer (seen by the profiler and dispatch modes) and
    its kernel for quantized tensors."""
    def wrap(fn):
        for key in ("QuantizedCPU", "QuantizedCUDA"):
            _dispatch.register_kernel(name, key)(fn)
        return _dispatch.internal(name)(fn)
    return wrap


def _weight_params(weight):
    """(int8 rows (N, K), zero point per row, float32 scale per row) of a qint8 weight (out channels first)."""
    data = weight._data
    if data.qdtype is not _dtype.qint8:
        raise RuntimeError(f"quantized layers expect a qint8 weight, got {data.qdtype}")
    xp = array_module(data.ints)
    rows = data.ints.reshape(data.ints.shape[0], -1)
    if data.per_channel:
        if data.axis != 0:
            raise RuntimeError("per-channel quantized weights must be quantized along axis 0")
        return rows, data.zero_point, data.scale.astype(_f32)
    count = rows.shape[0]
    return rows, xp.full(count, data.zero_point, np.int64), xp.full(count, _f32(data.scale), _f32)


def _activation(input, name):
    """The per-tensor quint8 storage of a quantized input."""
    if not input.is_quantized:  # a float input: forgot the QuantStub, or wanted the dynamic module
        raise storage.not_quantized(name, input)
    data = input._data
    if data.per_channel or data.qdtype is not _dtype.quint8:
        raise RuntimeError(f"{name}: expected a per-tensor quint8 input, got {data.qdtype} ({data.qscheme})")
    return data


def requantize(acc, x_scale, w_scales, bias, scale, zero_point, relu):
    """int32 accumulators (rows, out channels) -> quint8 integers of the output (see the module docstring)."""
    xp = array_module(acc)
    multiplier = _f32(x_scale) * w_scales
    values = acc.astype(_f32)
    if bias is not None:
        values += bias._data.astype(_f32) / multiplier
    values *= multiplier / _f32(scale)
    q = xp.rint(values) + zero_point
    return xp.clip(q, zero_point if relu else 0, 255).astype(np.uint8)


def _check_bias(bias, out_features):
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_features):
        raise RuntimeError(f"bias should be a vector (1D Tensor) of {out_features} elements")


def _linear(input, weight, bias, scale, zero_point, relu):
    x = _activation(input, "quantized::linear")
    rows, w_zero, w_scale = _weight_params(weight)
    k = x.ints.shape[-1]
    if k != rows.shape[1]:
        raise RuntimeError(f"The number of rows in the packB should be equal to K: {k}")
    _check_bias(bias, rows.shape[0])
    acc = int_matmul(x.ints.reshape(-1, k), x.zero_point, rows, w_zero)
    out = requantize(acc, x.scale, w_scale, bias, scale, zero_point, relu)
    out = out.reshape(x.ints.shape[:-1] + (rows.shape[0],))
    return new_quantized(storage.QuantizedData.of(out, _dtype.quint8, float(scale), int(zero_point)))


@quantized_op("quantized::linear")
def linear(input, weight, bias, scale, zero_point):
    """Quantized input (quint8) @ quantized weight (qint8, per tensor or per channel).T + float bias,
    requantized to (scale, zero_point)."""
    return _linear(input, weight, bias, scale, zero_point, False)


@quantized_op("quantized::linear_relu")
def linear_relu(input, weight, bias, scale, zero_point):
    """linear followed by relu, fused into the requantization."""
    return _linear(input, weight, bias, scale, zero_point, True)


def _linear_dynamic(input, weight, bias, reduce_range, relu):
    if input.dtype is not _dtype.float32:
        raise RuntimeError(f"dynamic quantized linear expects a float input, got {input.dtype}")
    rows, w_zero, w_scale = _weight_params(weight)
    x = input._data
    k = x.shape[-1]
    if k != rows.shape[1]:
        raise RuntimeError(f"The number of rows in the packB should be equal to K: {k}")
    _check_bias(bias, rows.shape[0])
    xp = array_module(x)
    flat = x.reshape(-1, k)
    low, high = (float(flat.min()), float(flat.max())) if flat.size else (0.0, 0.0)
    x_scale, x_zero = qparams.choose_qparams(low, high, 0, 255, reduce_range=reduce_range)
    xq = storage.quantize_array(flat, _dtype.quint8, x_scale, x_zero)
    acc = int_matmul(xq, x_zero, rows, w_zero).astype(_f32)
    multiplier = _f32(x_scale) * w_scale
    if bias is None:
        out = acc * multiplier
    else:  # acc * multiplier + bias rounded once, as fbgemm's fused multiply-add
        out = (acc.astype(np.float64) * multiplier + bias._data.astype(np.float64)).astype(_f32)
    if relu:
        xp.maximum(out, _f32(0), out=out)
    return Tensor._wrap(out.reshape(x.shape[:-1] + (rows.shape[0],)))


@quantized_op("quantized::linear_dynamic")
def linear_dynamic(input, weight, bias=None, reduce_range=True):
    """Float input @ quantized weight.T + bias with the input quantized on the fly from its own range."""
    return _linear_dynamic(input, weight, bias, reduce_range, False)


@quantized_op("quantized::linear_relu_dynamic")
def linear_relu_dynamic(input, weight, bias=None, reduce_range=True):
    return _linear_dynamic(input, weight, bias, reduce_range, True)


def _conv2d(input, weight, bias, stride, padding, dilation, groups, scale, zero_point, relu):
    """im2col of the quantized input (padded with its zero point, the integer of 0.0), then one exact
    integer product per group, then the requantization of Linear."""
    x = _activation(input, "quantized::conv2d")
    if x.ints.ndim != 4:
        raise RuntimeError(f"quantized::conv2d: expected a 4-d (N, C, H, W) input, got {x.ints.ndim} dims")
    wdata = weight._data
    out_channels, group_in, kh, kw = wdata.ints.shape
    n, c, h, w = x.ints.shape
    if c != group_in * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {group_in * groups} channels, but got {c} channels instead")
    _check_bias(bias, out_channels)
    xp = array_module(x.ints)
    pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    out_hw = tuple(_conv._out_size(size, k, s, p, p, d) for size, k, s, p, d in
                   zip((h, w), (kh, kw), stride, padding, dilation))
    padded = _conv._pad(x.ints, pads, value=x.zero_point)
    cols = _conv._im2col(padded, (kh, kw), stride, ((0, 0), (0, 0)), dilation, out_hw, channel_major=True)
    rows, w_zero, w_scale = _weight_params(weight)
    per_in, per_out = group_in * kh * kw, out_channels // groups
    acc = xp.concatenate([
        int_matmul(xp.ascontiguousarray(cols[g * per_in:(g + 1) * per_in].T), x.zero_point,
                   rows[g * per_out:(g + 1) * per_out], w_zero[g * per_out:(g + 1) * per_out])
        for g in range(groups)], axis=1)
    out = requantize(acc, x.scale, w_scale, bias, scale, zero_point, relu)
    out = xp.ascontiguousarray(out.reshape(n, out_hw[0], out_hw[1], out_channels).transpose(0, 3, 1, 2))
    return new_quantized(storage.QuantizedData.of(out, _dtype.quint8, float(scale), int(zero_point)))


@quantized_op("quantized::conv2d")
def conv2d(input, weight, bias, stride, padding, dilation, groups, scale, zero_point):
    """2-d convolution of a quantized input (quint8) with a quantized weight (qint8), requantized to
    (scale, zero_point); stride, padding and dilation are pairs."""
    return _conv2d(input, weight, bias, stride, padding, dilation, groups, scale, zero_point, False)


@quantized_op("quantized::conv2d_relu")
def conv2d_relu(input, weight, bias, stride, padding, dilation, groups, scale, zero_point):
    return _conv2d(input, weight, bias, stride, padding, dilation, groups, scale, zero_point, True)
