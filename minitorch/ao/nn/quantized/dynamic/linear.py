"""Dynamically quantized Linear: the weight is quantized once (qint8), the input on every call from its
own min and max (uint8, 7-bit with reduce_range as on x86); the output is float."""
from ..... import _dtype, nn
from ....._quantized import functional as qF
from ...intrinsic.modules import LinearReLU
from .. import linear as nnq
from ..utils import _quantize_weight

__all__ = ["Linear"]


class Linear(nnq.Linear):
    """Float in, float out; weight qint8. See https://pytorch.org/docs/stable/generated/
    torch.ao.nn.quantized.dynamic.Linear.html"""

    _version = 4

    def __init__(self, in_features, out_features, bias_=True, dtype=_dtype.qint8):
        super().__init__(in_features, out_features, bias_, dtype=dtype)
        self.version = 4

    def forward(self, x):
        weight, bias = self._weight_bias()
        return qF.linear_dynamic(x, weight, bias, reduce_range=self.version is not None and self.version >= 4)

    def _get_name(self):
        return "DynamicQuantizedLinear"

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"dtype={self._packed_params.dtype}, qscheme={self.weight().qscheme()}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        self.version = local_metadata.get("version")
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys, unexpected_keys,
                                      error_msgs)

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """From a float Linear (or LinearReLU) with a qconfig; its weight observer (the default dynamic
        qconfig's when none) gives the weight's scale and zero point."""
        float_modules = [nn.Linear, LinearReLU]
        if type(mod) not in float_modules:
            raise AssertionError("nn.quantized.dynamic.Linear.from_float only works for one of"
                                 + str([m.__name__ for m in float_modules]))
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined")
        if type(mod) is LinearReLU:
            mod = mod[0]
        if mod.qconfig is not None and mod.qconfig.weight is not None:
            weight_observer = mod.qconfig.weight()
        else:
            from ....quantization.qconfig import default_dynamic_qconfig
            weight_observer = default_dynamic_qconfig.weight()
        if weight_observer.dtype is not _dtype.qint8:
            raise AssertionError(f"The only supported dtypes for dynamic quantized linear are qint8 and float16 got: "
                                 f"{weight_observer.dtype}")
        weight_observer(mod.weight)
        qlinear = cls(mod.in_features, mod.out_features, dtype=weight_observer.dtype)
        qlinear.set_weight_bias(_quantize_weight(mod.weight.float(), weight_observer), mod.bias)
        return qlinear
