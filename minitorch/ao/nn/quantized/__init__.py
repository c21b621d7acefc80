"""Quantized modules (torch.ao.nn.quantized): they take and return quantized tensors, hold int8 weights and
compute with exact integer products (`minitorch/_quantized`). convert() makes them from observed float
modules with `from_float`; nn.ReLU, nn.MaxPool2d and nn.Flatten need no quantized twin, as those ops
work on quantized tensors directly."""
from .conv import Conv2d
from .linear import Linear, LinearPackedParams
from .modules import DeQuantize, Quantize
from . import dynamic, functional

__all__ = ["Conv2d", "DeQuantize", "Linear", "LinearPackedParams", "Quantize", "dynamic", "functional"]
