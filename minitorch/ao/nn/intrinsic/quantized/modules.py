"""Quantized LinearReLU and ConvReLU2d."""
from ....._quantized import functional as qF
from .....nn.utils.fusion import fuse_conv_bn_weights
from ...quantized import conv as nnq_conv, linear as nnq_linear
from .. import qat as nniqat
from ..modules import ConvReLU2d as FloatConvReLU2d, LinearReLU as FloatLinearReLU


class LinearReLU(nnq_linear.Linear):
    """Quantized Linear with the relu fused into its output."""

    _FLOAT_MODULE = (FloatLinearReLU,)

    def forward(self, x):
        weight, bias = self._weight_bias()
        return qF.linear_relu(x, weight, bias, self.scale, self.zero_point)

    def _get_name(self):
        return "QuantizedLinearReLU"


class ConvReLU2d(nnq_conv.Conv2d):
    """Quantized Conv2d with the relu fused into its output."""

    _FLOAT_MODULE = FloatConvReLU2d

    def forward(self, input):
        return self._conv(input, relu=True)

    def _get_name(self):
        return "QuantizedConvReLU2d"

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        if type(mod) is nniqat.ConvBnReLU2d:
            mod.weight, mod.bias = fuse_conv_bn_weights(mod.weight, mod.bias, mod.bn.running_mean,
                                                        mod.bn.running_var, mod.bn.eps, mod.bn.weight, mod.bn.bias)
        return super().from_float(mod, use_precomputed_fake_quant)
