"""Quantized Linear: a qint8 weight (per tensor or per output channel), a float bias, and the output's
scale and zero point; forward is minitorch/_quantized/functional.py's exact integer linear. The weight
and bias live in a LinearPackedParams child, whose state_dict entries are torch's
(`_packed_params.dtype`, `_packed_params._packed_params` = (weight, bias))."""
from .... import _dtype, nn
from ...._creation import tensor, zeros
from ...._quantized import functional as qF
from ..intrinsic.modules import LinearReLU
from ....nn import Module
from .utils import WeightedQuantizedModule, _apply_packed, _empty_weight, _hide_packed_params_repr, \
    _quantize_weight

__all__ = ["LinearPackedParams", "Linear"]


class LinearPackedParams(Module):
    """Holds (weight, bias) of a quantized Linear (torch packs them for fbgemm; here they stay as they are)."""

    _version = 3

    def __init__(self, dtype=_dtype.qint8):
        super().__init__()
        if dtype is not _dtype.qint8:
            raise RuntimeError("Unsupported dtype on dynamic quantized linear!")
        self.dtype = dtype
        self.set_weight_bias(_empty_weight((1, 1)), None)

    def set_weight_bias(self, weight, bias):
        self._packed_params = (weight, bias)

    def _weight_bias(self):
        return self._packed_params

    def forward(self, x):
        return x

    def _apply(self, fn, recurse=True):
        """Module.to / cuda / cpu move the packed weight and bias too."""
        self._packed_params = _apply_packed(self._packed_params, fn)
        return super()._apply(fn, recurse)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "dtype"] = self.dtype
        destination[prefix + "_packed_params"] = self._weight_bias()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        version = local_metadata.get("version")
        self.dtype = _dtype.qint8 if version is None or version < 2 else state_dict.pop(prefix + "dtype")
        if version is None or version < 3:
            self.set_weight_bias(state_dict.pop(prefix + "weight"), state_dict.pop(prefix + "bias"))
        else:
            self.set_weight_bias(*state_dict.pop(prefix + "_packed_params"))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys, unexpected_keys,
                                      error_msgs)

    def __repr__(self):
        return repr(self._weight_bias())


class Linear(WeightedQuantizedModule):
    """y = x W^T + b on quantized tensors: quint8 in, quint8 out with (scale, zero_point), qint8 weight."""

    _version = 3
    _FLOAT_MODULE = (nn.Linear,)

    def __init__(self, in_features, out_features, bias_=True, dtype=_dtype.qint8):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bias = zeros(out_features) if bias_ else None
        if dtype is not _dtype.qint8:
            raise RuntimeError("Unsupported dtype specified for quantized Linear!")
        self._packed_params = LinearPackedParams(dtype)
        self._packed_params.set_weight_bias(_empty_weight((out_features, in_features)), bias)
        self.scale = 1.0
        self.zero_point = 0

    def _get_name(self):
        return "QuantizedLinear"

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, scale={self.scale}, "
                f"zero_point={self.zero_point}, qscheme={self.weight().qscheme()}")

    def __repr__(self):
        return _hide_packed_params_repr(self, LinearPackedParams)

    def forward(self, x):
        weight, bias = self._weight_bias()
        return qF.linear(x, weight, bias, self.scale, self.zero_point)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "scale"] = tensor(self.scale)
        destination[prefix + "zero_point"] = tensor(self.zero_point)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        self.scale = float(state_dict.pop(prefix + "scale"))
        self.zero_point = int(state_dict.pop(prefix + "zero_point"))
        version = local_metadata.get("version")
        if version is None or version == 1:
            state_dict[prefix + "_packed_params.weight"] = state_dict.pop(prefix + "weight")
            state_dict[prefix + "_packed_params.bias"] = state_dict.pop(prefix + "bias")
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys, unexpected_keys,
                                      error_msgs)

    def _weight_bias(self):
        return self._packed_params._weight_bias()

    def weight(self):
        return self._weight_bias()[0]

    def bias(self):
        return self._weight_bias()[1]

    def set_weight_bias(self, w, b):
        self._packed_params.set_weight_bias(w, b)

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """The quantized Linear of an observed float Linear (or LinearReLU, or QAT Linear): the weight is
        quantized with the qconfig's weight observer, the output parameters come from the module's
        activation observer."""
        if hasattr(mod, "weight_fake_quant"):
            weight_post_process, activation_post_process = mod.weight_fake_quant, mod.activation_post_process
        else:
            if type(mod) not in cls._FLOAT_MODULE:
                names = ", ".join(m.__name__ for m in cls._FLOAT_MODULE)
                raise AssertionError(f"nnq.{cls.__name__}.from_float only works for {names}, but got: {type(mod)}")
            if not hasattr(mod, "qconfig"):
                raise AssertionError("Input float module must have qconfig defined")
            activation_post_process = mod.activation_post_process
            if type(mod) is LinearReLU:
                mod = mod[0]
            weight_post_process = mod.qconfig.weight()
        if not use_precomputed_fake_quant:
            weight_post_process(mod.weight)
        if weight_post_process.dtype is not _dtype.qint8:
            raise AssertionError(f"Weight observer must have dtype torch.qint8, got {weight_post_process.dtype}")
        scale, zero_point = activation_post_process.calculate_qparams()
        qlinear = cls(mod.in_features, mod.out_features, dtype=weight_post_process.dtype)
        qlinear.set_weight_bias(_quantize_weight(mod.weight.float(), weight_post_process), mod.bias)
        qlinear.scale, qlinear.zero_point = float(scale), int(zero_point)
        return qlinear

