"""Quantization schemes: how a quantized tensor maps its integers to real numbers, printed as torch prints
them (`torch.per_tensor_affine`). Per tensor: one scale and zero point for every element; per channel: one
pair for each index along an axis (a weight's output channels); symmetric schemes keep the zero point at
the middle of the integer range."""
from ._layout import layout


class qscheme:
    """One quantization scheme, e.g. `minitorch.per_channel_affine`. Compare with `is` or `==`. Printed and
    pickled as a layout is (`torch.<name>`). As in torch, the five below are the only ones: calling the
    class is a TypeError."""

    __slots__ = ("name",)
    __repr__, __reduce__ = layout.__repr__, layout.__reduce__

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create 'torch.qscheme' instances")


def _named(name):
    scheme = object.__new__(qscheme)
    scheme.name = name
    return scheme


per_tensor_affine = _named("per_tensor_affine")
per_channel_affine = _named("per_channel_affine")
per_tensor_symmetric = _named("per_tensor_symmetric")
per_channel_symmetric = _named("per_channel_symmetric")
per_channel_affine_float_qparams = _named("per_channel_affine_float_qparams")

PER_TENSOR = (per_tensor_affine, per_tensor_symmetric)
PER_CHANNEL = (per_channel_affine, per_channel_symmetric, per_channel_affine_float_qparams)
