"""Fused modules (torch.ao.nn.intrinsic): sequences that quantization treats as one layer, so that one
observer sits after the whole (conv + bn + relu is one int8 layer with a fused relu)."""
from .modules import BNReLU2d, ConvBn2d, ConvBnReLU2d, ConvReLU2d, LinearBn1d, LinearReLU, _FusedModule  # noqa: F401
from . import qat, quantized

__all__ = ["BNReLU2d", "ConvBn2d", "ConvBnReLU2d", "ConvReLU2d", "LinearBn1d", "LinearReLU"]
