"""Dynamically quantized fused modules (torch.ao.nn.intrinsic.quantized.dynamic)."""
from ......_quantized import functional as qF
from ...modules import LinearReLU as FloatLinearReLU
from ....quantized.dynamic import linear as nnqd_linear

__all__ = ["LinearReLU"]


class LinearReLU(nnqd_linear.Linear):
    """Dynamic quantized Linear followed by relu (on the float output)."""

    _FLOAT_MODULE = (FloatLinearReLU,)

    def forward(self, x):
        weight, bias = self._weight_bias()
        return qF.linear_relu_dynamic(x, weight, bias, reduce_range=True)

    def _get_name(self):
        return "DynamicQuantizedLinearReLU"
