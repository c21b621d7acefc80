"""Quantized Conv2d: a qint8 weight (out, in/groups, KH, KW), a float bias and the output's scale and zero
point; forward is the exact integer convolution of minitorch/_quantized/functional.py (im2col padded
with the input's zero point, then one integer product per group)."""
from .... import _dtype, nn
from ...._creation import tensor, zeros
from ...._quantized import functional as qF
from ....nn.modules.conv import _ntuple
from ....nn.utils.fusion import fuse_conv_bn_weights
from ..intrinsic import qat as nniqat
from ..intrinsic.modules import ConvReLU2d
from .utils import WeightedQuantizedModule, _apply_packed, _empty_weight, _quantize_weight

__all__ = ["Conv2d"]


def _pair(value):
    return _ntuple(value, 2)


class Conv2d(WeightedQuantizedModule):
    """2-d convolution of a quantized (quint8) input with a qint8 weight, output quint8 with (scale,
    zero_point). Only zero padding."""

    _FLOAT_MODULE = nn.Conv2d
    _NNIQAT_CONV_BN_MODULE = nniqat.ConvBn2d
    _NNI_CONV_RELU_MODULE = ConvReLU2d

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        if out_channels <= 0:
            raise ValueError(f"out_channels must be greater than 0, got {out_channels}")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode != "zeros":
            raise ValueError(f"'padding_mode' {padding_mode} is not supported by quantized convolution")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _pair(kernel_size), _pair(stride)
        self.padding, self.dilation = _pair(padding), _pair(dilation)
        self.transposed, self.output_padding = False, (0, 0)
        self.groups, self.padding_mode = groups, padding_mode
        weight = _empty_weight((out_channels, in_channels // groups) + self.kernel_size)
        self.set_weight_bias(weight, zeros(out_channels) if bias else None)
        self.scale = 1.0
        self.zero_point = 0

    def _get_name(self):
        return "QuantizedConv2d"

    def set_weight_bias(self, qweight, bias_float):
        self._packed_params = (qweight, bias_float)

    def _weight_bias(self):
        return self._packed_params

    def _apply(self, fn, recurse=True):
        """Module.to / cuda / cpu move the packed weight and bias too."""
        self._packed_params = _apply_packed(self._packed_params, fn)
        return super()._apply(fn, recurse)

    def weight(self):
        return self._packed_params[0]

    def bias(self):
        return self._packed_params[1]

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
             f"scale={self.scale}, zero_point={self.zero_point}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias() is None:
            s += ", bias=False"
        return s

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        weight, bias = self._weight_bias()
        destination[prefix + "weight"] = weight
        destination[prefix + "bias"] = bias
        destination[prefix + "scale"] = tensor(self.scale)
        destination[prefix + "zero_point"] = tensor(self.zero_point)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        self.set_weight_bias(state_dict.pop(prefix + "weight"), state_dict.pop(prefix + "bias"))
        self.scale = float(state_dict.pop(prefix + "scale"))
        self.zero_point = int(state_dict.pop(prefix + "zero_point"))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys, unexpected_keys,
                                      error_msgs)

    def _conv(self, input, relu):
        if input.dim() != 4:
            raise ValueError("Input shape must be `(N, C, H, W)`!")
        op = qF.conv2d_relu if relu else qF.conv2d
        weight, bias = self._weight_bias()
        return op(input, weight, bias, self.stride, self.padding, self.dilation, self.groups, self.scale,
                  self.zero_point)

    def forward(self, input):
        return self._conv(input, relu=False)

    @classmethod
    def get_qconv(cls, mod, activation_post_process, weight_post_process=None):
        """The quantized conv of float conv `mod` with its weight quantized by `weight_post_process`."""
        if weight_post_process is None:
            weight_post_process = mod.qconfig.weight()
        weight_post_process(mod.weight)
        if weight_post_process.dtype is not _dtype.qint8:
            raise AssertionError(f"Weight observer must have a dtype of qint8, got {weight_post_process.dtype}")
        qconv = cls(mod.in_channels, mod.out_channels, mod.kernel_size, mod.stride, mod.padding, mod.dilation,
                    mod.groups, mod.bias is not None, mod.padding_mode)
        qconv.set_weight_bias(_quantize_weight(mod.weight.float(), weight_post_process), mod.bias)
        if activation_post_process is None or activation_post_process.dtype is _dtype.float32:
            return qconv  # dynamic quantization needs no output parameters
        scale, zero_point = activation_post_process.calculate_qparams()
        qconv.scale, qconv.zero_point = float(scale), int(zero_point)
        return qconv

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """From an observed float Conv2d or ConvReLU2d, or a QAT Conv2d / ConvBn2d (its batch norm folded in)."""
        if hasattr(mod, "weight_fake_quant"):
            if type(mod) is cls._NNIQAT_CONV_BN_MODULE:  # ConvBnReLU2d: nniq.ConvReLU2d has folded it
                mod.weight, mod.bias = fuse_conv_bn_weights(mod.weight, mod.bias, mod.bn.running_mean,
                                                            mod.bn.running_var, mod.bn.eps, mod.bn.weight,
                                                            mod.bn.bias)
            if not hasattr(mod, "activation_post_process"):
                raise AssertionError("Input QAT module must have observer attached")
            return cls.get_qconv(mod, mod.activation_post_process, mod.weight_fake_quant)
        if type(mod) is not cls._FLOAT_MODULE:
            raise AssertionError(f"nnq.{cls.__name__}.from_float only works for {cls._FLOAT_MODULE.__name__} but "
                                 f"got: {type(mod).__name__}")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined.")
        activation_post_process = getattr(mod, "activation_post_process", None)
        if type(mod) is cls._NNI_CONV_RELU_MODULE:
            mod = mod[0]
        return cls.get_qconv(mod, activation_post_process, mod.qconfig.weight())
