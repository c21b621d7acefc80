"""Quantization schemes: how a quantized tensor maps its integers to real numbers, printed as torch prints
them (`torch.per_tensor_affine`). Per tensor: one scale and zero point for every element; per channel: one
pair for each index along an axis (a weight's output channels); symmetric schemes keep the zero point at
the middle of the integer range."""


class qscheme:
    """One quantization scheme, e.g. `minitorch.per_channel_affine`. Compare with `is` or `==`."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name


per_tensor_affine = qscheme("per_tensor_affine")
per_channel_affine = qscheme("per_channel_affine")
per_tensor_symmetric = qscheme("per_tensor_symmetric")
per_channel_symmetric = qscheme("per_channel_symmetric")
per_channel_affine_float_qparams = qscheme("per_channel_affine_float_qparams")

PER_TENSOR = (per_tensor_affine, per_tensor_symmetric)
PER_CHANNEL = (per_channel_affine, per_channel_symmetric, per_channel_affine_float_qparams)
