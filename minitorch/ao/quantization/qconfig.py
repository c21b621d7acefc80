"""QConfig: which observer (or fake quantizer) watches a layer's output activation and which its weight.
A QConfig holds factories (classes, or `Observer.with_args(...)`), not instances: prepare() makes fresh
observers for every layer. get_default_qconfig(backend) / get_default_qat_qconfig(backend) give torch's
per-backend choices: x86 and fbgemm observe activations with a histogram over 7 bits (reduce_range keeps
their 16-bit intermediate sums from saturating) and weights per output channel, symmetric."""
from collections import namedtuple

from ...nn import Module, Identity
from . import fake_quantize as fq
from .observer import (HistogramObserver, MovingAverageMinMaxObserver, default_dynamic_quant_observer,
                       default_float_qparams_observer, default_observer, default_per_channel_weight_observer,
                       default_placeholder_observer, default_weight_observer)

__all__ = ["QConfig", "default_qconfig", "default_per_channel_qconfig", "default_dynamic_qconfig",
           "per_channel_dynamic_qconfig", "float_qparams_weight_only_qconfig", "default_qat_qconfig",
           "default_qat_qconfig_v2", "default_weight_only_qconfig", "default_activation_only_qconfig",
           "get_default_qconfig", "get_default_qat_qconfig"]

BACKENDS = ["fbgemm", "x86", "qnnpack", "onednn"]


class QConfig(namedtuple("QConfig", ["activation", "weight"])):
    """(activation, weight): observer or fake-quantize factories for a layer's output and its weight."""

    __slots__ = ()

    def __new__(cls, activation, weight):
        if isinstance(activation, Module) or isinstance(weight, Module):
            raise ValueError("QConfig received observer instance, please pass observer class instead. Use "
                             "MyObserver.with_args(x=1) to override arguments to constructor if needed")
        return super().__new__(cls, activation, weight)


default_qconfig = QConfig(activation=default_observer, weight=default_weight_observer)
default_per_channel_qconfig = QConfig(activation=default_observer, weight=default_per_channel_weight_observer)
default_dynamic_qconfig = QConfig(activation=default_dynamic_quant_observer, weight=default_weight_observer)
per_channel_dynamic_qconfig = QConfig(activation=default_dynamic_quant_observer,
                                      weight=default_per_channel_weight_observer)
float_qparams_weight_only_qconfig = QConfig(activation=default_placeholder_observer,
                                            weight=default_float_qparams_observer)
default_qat_qconfig = QConfig(activation=fq.default_fake_quant, weight=fq.default_weight_fake_quant)
default_qat_qconfig_v2 = QConfig(activation=fq.default_fused_act_fake_quant, weight=fq.default_fused_wt_fake_quant)
default_weight_only_qconfig = QConfig(activation=Identity, weight=fq.default_weight_fake_quant)
default_activation_only_qconfig = QConfig(activation=fq.default_fake_quant, weight=Identity)


def _check_backend(backend):
    if backend not in BACKENDS:
        raise AssertionError(f"backend: {backend} not supported. backend must be one of {BACKENDS}")


def get_default_qconfig(backend="x86", version=0):
    """The post-training (static) qconfig torch uses for `backend` ('x86', 'fbgemm', 'qnnpack', 'onednn')."""
    _check_backend(backend)
    if version != 0:
        raise AssertionError(f"Version number: {version} in get_default_qconfig is not supported. Version number "
                             "must be 0")
    per_channel = backend != "qnnpack"
    return QConfig(activation=HistogramObserver.with_args(reduce_range=backend in ("x86", "fbgemm")),
                   weight=default_per_channel_weight_observer if per_channel else default_weight_observer)


def get_default_qat_qconfig(backend="x86", version=1):
    """The quantization-aware-training qconfig torch uses for `backend`: fake quantizers with moving-average
    observers (fused with the fake quantization in version 1, the default)."""
    _check_backend(backend)
    if version not in (0, 1):
        raise AssertionError(f"Version number: {version}in get_default_qat_qconfig is not supported. Version "
                             "number must be 0 or 1")
    reduce = {"reduce_range": backend in ("x86", "fbgemm")} if backend != "onednn" else {}
    per_channel = backend != "qnnpack"
    if version == 0:
        activation = fq.FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                                               **reduce)
        weight = fq.default_per_channel_weight_fake_quant if per_channel else fq.default_weight_fake_quant
    else:
        activation = fq.FusedMovingAvgObsFakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0,
                                                                quant_max=255, **reduce)
        weight = fq.default_fused_per_channel_wt_fake_quant if per_channel else fq.default_fused_wt_fake_quant
    return QConfig(activation=activation, weight=weight)
