"""Functional forms of the quantized ops (torch.ao.nn.quantized.functional): quantized tensors in and out,
weights given explicitly."""
from .... import _dtype
from ...._quantized import functional as qF
from ....nn import functional as F
from ....nn.modules.conv import _ntuple

__all__ = ["linear", "conv2d", "max_pool2d"]


def linear(input, weight, bias=None, scale=None, zero_point=None):
    """Quantized input @ qint8 weight.T + float bias, requantized to (scale, zero_point) (the input's when
    not given)."""
    scale = input.q_scale() if scale is None else scale
    zero_point = input.q_zero_point() if zero_point is None else zero_point
    return qF.linear(input, weight, bias, scale, zero_point)


def conv2d(input, weight, bias, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros", scale=1.0,
           zero_point=0, dtype=_dtype.quint8):
    """2-d convolution of a quint8 input with a qint8 weight, output quint8 with (scale, zero_point)."""
    if padding_mode != "zeros":
        raise NotImplementedError("Only zero-padding is supported!")
    if input.dtype is not _dtype.quint8:
        raise NotImplementedError("Only torch.quint8 is supported for activation tensor!")
    if weight.dtype is not _dtype.qint8:
        raise NotImplementedError("Only torch.qint8 is supported for weight tensor!")
    if input.dim() != 4:
        raise ValueError("Input shape must be `(N, C, H, W)`!")
    return qF.conv2d(input, weight, bias, _ntuple(stride, 2), _ntuple(padding, 2), _ntuple(dilation, 2), groups,
                     scale, zero_point)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max pooling of a quantized tensor (the output keeps its scale and zero point)."""
    if return_indices:
        raise NotImplementedError("return_indices is not yet implemented!")
    return F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode)
