"""Quantized fused modules (torch.ao.nn.intrinsic.quantized): the relu happens in the requantization
(outputs below the zero point are clamped to it)."""
from .modules import ConvReLU2d, LinearReLU
from . import dynamic

__all__ = ["ConvReLU2d", "LinearReLU"]
