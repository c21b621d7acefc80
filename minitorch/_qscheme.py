"""Quantization schemes: how a quantized tensor maps its integers to real numbers, printed as torch prints
them (`torch.per_tensor_affine`). Per tensor: one scale and zero point for every element; per channel: one
pair for each index along an axis (a weight's output channels); symmetric schemes keep the zero point at
the middle of the integer range."""
from ._layout import layout


class qscheme:
    """One quantization scheme, e.g. `minitorch.per_channel_affine`. Compare with `is` or `==`. Named,
    printed and pickled as a layout is (`torch.<name>`)."""

    __slots__ = ("name",)
    __init__, __repr__, __reduce__ = layout.__init__, layout.__repr__, layout.__reduce__


per_tensor_affine = qscheme("per_tensor_affine")
per_channel_affine = qscheme("per_channel_affine")
per_tensor_symmetric = qscheme("per_tensor_symmetric")
per_channel_symmetric = qscheme("per_channel_symmetric")
per_channel_affine_float_qparams = qscheme("per_channel_affine_float_qparams")

PER_TENSOR = (per_tensor_affine, per_tensor_symmetric)
PER_CHANNEL = (per_channel_affine, per_channel_symmetric, per_channel_affine_float_qparams)
