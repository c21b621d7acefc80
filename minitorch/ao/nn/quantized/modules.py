"""The ends of a quantized region: Quantize (float -> quantized with fixed parameters, from a QuantStub's
observer) and DeQuantize (quantized -> float)."""
from .... import _dtype
from ...._creation import tensor
from ....nn import Module
from ....ops.quantized import quantize_per_tensor

__all__ = ["Quantize", "DeQuantize"]


class Quantize(Module):
    """quantize_per_tensor(x, scale, zero_point, dtype); scale and zero_point are buffers."""

    def __init__(self, scale, zero_point, dtype, factory_kwargs=None):
        super().__init__()
        self.register_buffer("scale", tensor([scale]))
        self.register_buffer("zero_point", tensor([zero_point], dtype=_dtype.int64))
        self.dtype = dtype

    def forward(self, X):
        return quantize_per_tensor(X, float(self.scale), int(self.zero_point), self.dtype)

    @staticmethod
    def from_float(mod, use_precomputed_fake_quant=False):
        """From a QuantStub whose observer has seen the calibration data."""
        if not hasattr(mod, "activation_post_process"):
            raise AssertionError("Input float module must have activation_post_process")
        scale, zero_point = mod.activation_post_process.calculate_qparams()
        return Quantize(scale.float().item(), zero_point.long().item(), mod.activation_post_process.dtype)

    def extra_repr(self):
        return f"scale={self.scale}, zero_point={self.zero_point}, dtype={self.dtype}"


class DeQuantize(Module):
    """x.dequantize(): back to float32."""

    def forward(self, Xq):
        return Xq.dequantize()

    @staticmethod
    def from_float(mod, use_precomputed_fake_quant=False):
        return DeQuantize()
