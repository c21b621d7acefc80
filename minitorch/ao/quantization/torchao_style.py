"""The one-call form that torchao (torch's successor to eager-mode quantization) teaches:

    quantize_(model, Int8DynamicActivationInt8WeightConfig())   # int8 weights, inputs quantized per call
    quantize_(model, Int8WeightOnlyConfig())                    # int8 weights, float arithmetic

It changes the model in place, every nn.Linear that `filter_fn(module, fqn)` accepts (all of them by
default), and runs on the same quantized tensors and kernels as the eager API: the dynamic config swaps
in ao.nn.quantized.dynamic.Linear with per-channel weights; the weight-only config keeps the weight as a
per-channel qint8 tensor and multiplies in float (smaller, not faster)."""
from dataclasses import dataclass

from ... import nn
from ...nn import functional as F
from ..nn.quantized import dynamic as nnqd
from ..nn.quantized.utils import _quantize_weight
from .observer import default_per_channel_weight_observer
from .qconfig import per_channel_dynamic_qconfig

__all__ = ["quantize_", "Int8DynamicActivationInt8WeightConfig", "Int8WeightOnlyConfig", "Int8WeightOnlyLinear"]


@dataclass
class Int8DynamicActivationInt8WeightConfig:
    """int8 per-channel weights; activations quantized to uint8 on every call, integer products."""


@dataclass
class Int8WeightOnlyConfig:
    """int8 per-channel weights, dequantized into a float product."""


class Int8WeightOnlyLinear(nn.Module):
    """y = (x @ W_int8.T) * scale + b: the weight stored as qint8 (per output channel), the product in float."""

    def __init__(self, linear):
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        observer = default_per_channel_weight_observer()
        observer(linear.weight)
        self.register_buffer("weight", _quantize_weight(linear.weight.detach().float(), observer))
        self.bias = linear.bias

    def forward(self, x):
        w = self.weight
        out = F.linear(x, w.int_repr().float()) * w.q_per_channel_scales().float()
        return out if self.bias is None else out + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, weight=int8 per channel"


def _is_linear(module, fqn):
    return type(module) is nn.Linear


def _swap(module, config):
    if isinstance(config, Int8DynamicActivationInt8WeightConfig):
        module.qconfig = per_channel_dynamic_qconfig
        return nnqd.Linear.from_float(module)
    if isinstance(config, Int8WeightOnlyConfig):
        return Int8WeightOnlyLinear(module)
    raise TypeError(f"quantize_: unknown config {config!r}")


def quantize_(model, config, filter_fn=None, device=None):
    """Quantize, in place, every submodule that `filter_fn(module, fully_qualified_name)` selects (every
    nn.Linear by default) as `config` says. Returns None, as torchao's does."""
    filter_fn = _is_linear if filter_fn is None else filter_fn
    if filter_fn(model, ""):
        raise ValueError("quantize_ changes submodules in place: pass the model that contains the layer")
    for name, module in list(model.named_modules()):
        if name and filter_fn(module, name):
            parent, _, leaf = name.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, leaf, _swap(module, config))
    if device is not None:
        model.to(device)
