"""QAT versions of the fused modules. ConvBn2d trains the convolution with its batch norm folded in, as
the quantized model will run it: the weight is scaled by gamma / sqrt(running_var + eps) before fake
quantization, the convolution's output is scaled back, and the batch norm then runs as usual (updating
its statistics until `freeze_bn_stats`)."""
import math

from ..... import nn
from ....._creation import zeros, zeros_like
from .....nn import functional as F, init
from .....nn.parameter import Parameter
from ... import qat as nnqat
from ..modules import ConvBn2d as FloatConvBn2d, ConvBnReLU2d as FloatConvBnReLU2d, ConvReLU2d as FloatConvReLU2d, \
    LinearReLU as FloatLinearReLU


class LinearReLU(nnqat.Linear):
    """Fake-quantized Linear followed by ReLU."""

    _FLOAT_MODULE = FloatLinearReLU

    def forward(self, input):
        return F.relu(F.linear(input, self.weight_fake_quant(self.weight), self.bias))

    def to_float(self):
        return FloatLinearReLU(super().to_float(), nn.ReLU())


class ConvReLU2d(nnqat.Conv2d):
    """Fake-quantized Conv2d followed by ReLU."""

    _FLOAT_MODULE = FloatConvReLU2d

    def forward(self, input):
        return F.relu(self._conv_forward(input, self.weight_fake_quant(self.weight), self.bias))


class ConvBn2d(nn.Conv2d):
    """Conv2d + BatchNorm2d trained with the batch norm folded into the fake-quantized weight."""

    _FLOAT_MODULE = FloatConvBn2d
    _version = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=None, padding_mode="zeros", eps=1e-05, momentum=0.1, freeze_bn=False, qconfig=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode)
        if not qconfig:
            raise AssertionError("qconfig must be provided for QAT module")
        self.qconfig = qconfig
        self.freeze_bn = freeze_bn if self.training else True
        self.bn = nn.BatchNorm2d(out_channels, eps, momentum, True, True)
        self.weight_fake_quant = qconfig.weight()
        if bias:
            self.bias = Parameter(zeros(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_bn_parameters()
        if self.training and not freeze_bn:
            self.update_bn_stats()
        else:
            self.freeze_bn_stats()

    def reset_running_stats(self):
        self.bn.reset_running_stats()

    def reset_bn_parameters(self):
        self.bn.reset_running_stats()
        init.uniform_(self.bn.weight)
        init.zeros_(self.bn.bias)
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def update_bn_stats(self):
        self.freeze_bn = False
        self.bn.training = True
        return self

    def freeze_bn_stats(self):
        self.freeze_bn = True
        self.bn.training = False
        return self

    def _forward(self, input):
        running_std = (self.bn.running_var + self.bn.eps).sqrt()
        scale_factor = self.bn.weight / running_std
        scaled_weight = self.weight_fake_quant(self.weight * scale_factor.reshape(-1, 1, 1, 1))
        zero_bias = zeros_like(self.bias, dtype=input.dtype) if self.bias is not None else \
            zeros(self.out_channels, dtype=input.dtype, device=scaled_weight.device)
        conv = self._conv_forward(input, scaled_weight, zero_bias)
        conv_orig = conv / scale_factor.reshape(1, -1, 1, 1)
        if self.bias is not None:
            conv_orig = conv_orig + self.bias.reshape(1, -1, 1, 1)
        return self.bn(conv_orig)

    def forward(self, input):
        return self._forward(input)

    def train(self, mode=True):
        """Like Module.train, but a frozen batch norm stays in eval mode."""
        self.training = mode
        if not self.freeze_bn:
            for module in self.children():
                module.train(mode)
        return self

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """The QAT module from a fused float ConvBn2d, sharing its conv and bn tensors."""
        if type(mod) is not cls._FLOAT_MODULE:
            raise AssertionError(f"qat.{cls.__name__}.from_float only works for {cls._FLOAT_MODULE.__name__}")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined")
        if not mod.qconfig:
            raise AssertionError("Input float module must have a valid qconfig")
        conv, bn = mod[0], mod[1]
        qat = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                  conv.groups, conv.bias is not None, conv.padding_mode, bn.eps, bn.momentum, False, mod.qconfig)
        qat.weight, qat.bias = conv.weight, conv.bias
        qat.bn.weight, qat.bn.bias = bn.weight, bn.bias
        qat.bn.running_mean, qat.bn.running_var = bn.running_mean, bn.running_var
        qat.bn.num_batches_tracked = bn.num_batches_tracked
        return qat


class ConvBnReLU2d(ConvBn2d):
    """ConvBn2d followed by ReLU."""

    _FLOAT_MODULE = FloatConvBnReLU2d

    def forward(self, input):
        return F.relu(self._forward(input))


def update_bn_stats(mod):
    """`model.apply(update_bn_stats)`: let the folded batch norms update their running statistics."""
    if type(mod) in (ConvBn2d, ConvBnReLU2d):
        mod.update_bn_stats()


def freeze_bn_stats(mod):
    """`model.apply(freeze_bn_stats)`: freeze the folded batch norms' running statistics."""
    if type(mod) in (ConvBn2d, ConvBnReLU2d):
        mod.freeze_bn_stats()
