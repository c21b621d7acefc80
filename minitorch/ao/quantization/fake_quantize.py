"""Fake quantization for quantization-aware training (QAT): modules that round a float tensor to the grid of
its quantization parameters and back, so that training sees the error int8 will make, while gradients
pass straight through (they are 0 only where a value was clamped).

- FakeQuantize: an observer (by default a moving average of min and max) updates scale and zero_point on
  every batch, then minitorch.fake_quantize_per_tensor_affine / _per_channel_affine applies them;
- FusedMovingAvgObsFakeQuantize: the same in one step, as torch's fused op does it: the moving average of
  min/max, then scale and zero point chosen by fbgemm's rule (`_quantized/qparams.py`, symmetric schemes
  keep the zero point in the middle), then the fake quantization.
`disable_observer` / `enable_fake_quant` ... switch either part off, e.g. to freeze the ranges late in
training. See https://pytorch.org/docs/stable/generated/torch.ao.quantization.fake_quantize.FakeQuantize.html"""
import numpy as np

from ... import _dtype, _qscheme
from ..._device import array_module
from ..._quiet import quiet_fp
from ..._quantized.qparams import choose_qparams
from ..._tensor import Tensor
from ...nn import Module
from ...ops.quantized import fake_quantize_per_channel_affine, fake_quantize_per_tensor_affine
from .observer import (MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver, _is_per_channel,
                       _is_per_tensor, _tensor, _with_args)

__all__ = ["FakeQuantizeBase", "FakeQuantize", "FusedMovingAvgObsFakeQuantize", "default_fake_quant",
           "default_weight_fake_quant", "default_per_channel_weight_fake_quant", "default_fused_act_fake_quant",
           "default_fused_wt_fake_quant", "default_fused_per_channel_wt_fake_quant", "disable_fake_quant",
           "enable_fake_quant", "disable_observer", "enable_observer"]


def _integer_range(dtype):
    """(min, max) of a quantized or integer dtype."""
    if isinstance(dtype, _dtype._QuantizedDtype):
        return dtype.qmin, dtype.qmax
    info = np.iinfo(dtype.np)
    return int(info.min), int(info.max)


class FakeQuantizeBase(Module):
    """What every fake quantizer has: the two switches, as uint8 buffers."""

    def __init__(self):
        super().__init__()
        self.register_buffer("fake_quant_enabled", _tensor([1], np.uint8))
        self.register_buffer("observer_enabled", _tensor([1], np.uint8))

    def forward(self, x):
        raise NotImplementedError

    def calculate_qparams(self, **kwargs):
        raise NotImplementedError

    def enable_fake_quant(self, enabled=True):
        self.fake_quant_enabled._data[0] = 1 if enabled else 0

    def disable_fake_quant(self):
        self.enable_fake_quant(False)

    def enable_observer(self, enabled=True):
        self.observer_enabled._data[0] = 1 if enabled else 0

    def disable_observer(self):
        self.enable_observer(False)

    @classmethod
    def with_args(cls, **kwargs):
        return _with_args(cls, **kwargs)


class FakeQuantize(FakeQuantizeBase):
    """x -> (clamp(round(x / scale + zero_point), quant_min, quant_max) - zero_point) * scale, with scale and
    zero_point from `observer` (updated on every forward while the observer is enabled)."""

    def __init__(self, observer=MovingAverageMinMaxObserver, quant_min=None, quant_max=None, is_dynamic=False,
                 **observer_kwargs):
        super().__init__()
        if quant_min is not None and quant_max is not None:
            if quant_min > quant_max:
                raise AssertionError("quant_min must be less than or equal to quant_max")
            dtype = observer_kwargs.get("dtype", _dtype.quint8)
            dtype = getattr(getattr(observer, "p", None), "keywords", {}).get("dtype", dtype)
            low, high = _integer_range(dtype)
            if low > quant_min:
                raise AssertionError("quant_min out of bound")
            if quant_max > high:
                raise AssertionError("quant_max out of bound")
            observer_kwargs.update({"quant_min": quant_min, "quant_max": quant_max})
        observer_kwargs["is_dynamic"] = is_dynamic
        self.activation_post_process = observer(**observer_kwargs)
        self.quant_min = self.activation_post_process.quant_min
        self.quant_max = self.activation_post_process.quant_max
        self.is_dynamic = self.activation_post_process.is_dynamic
        float_zero = self.activation_post_process.qscheme is _qscheme.per_channel_affine_float_qparams
        self.register_buffer("scale", _tensor([1.0]))
        self.register_buffer("zero_point", _tensor([0], np.float32 if float_zero else np.int32))
        self.dtype = self.activation_post_process.dtype
        self.qscheme = self.activation_post_process.qscheme
        self.ch_axis = getattr(self.activation_post_process, "ch_axis", -1)
        if not (_is_per_channel(self.qscheme) or _is_per_tensor(self.qscheme)):
            raise AssertionError("Only per channel and per tensor quantization are supported in fake quantize got "
                                 f"qscheme: {self.qscheme}")
        self.is_per_channel = _is_per_channel(self.qscheme)

    def calculate_qparams(self):
        return self.activation_post_process.calculate_qparams()

    def _store_qparams(self, scale, zero_point):
        """Copy new parameters into the buffers (resized when the channel count changes), keeping dtypes."""
        self.scale = Tensor._wrap(scale.astype(np.float32))
        self.zero_point = Tensor._wrap(zero_point.astype(self.zero_point._data.dtype))

    def forward(self, X):
        if self.observer_enabled._data[0] == 1:
            self.activation_post_process(X.detach())
            scale, zero_point = self.calculate_qparams()
            self._store_qparams(scale._data, zero_point._data)
        if self.fake_quant_enabled._data[0] == 1:
            observer = self.activation_post_process
            if self.is_per_channel:
                return fake_quantize_per_channel_affine(X, self.scale, self.zero_point, self.ch_axis,
                                                        observer.quant_min, observer.quant_max)
            return fake_quantize_per_tensor_affine(X, self.scale, self.zero_point, observer.quant_min,
                                                   observer.quant_max)
        return X

    def extra_repr(self):
        observer = self.activation_post_process
        return (f"fake_quant_enabled={self.fake_quant_enabled}, observer_enabled={self.observer_enabled}, "
                f"quant_min={observer.quant_min}, quant_max={observer.quant_max}, dtype={self.dtype}, "
                f"qscheme={self.qscheme}, ch_axis={self.ch_axis}, scale={self.scale}, zero_point={self.zero_point}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """scale and zero_point load whatever their length (one entry per channel)."""
        for name in ("scale", "zero_point"):
            key = prefix + name
            if key in state_dict:
                setattr(self, name, Tensor._wrap(state_dict[key]._data.astype(getattr(self, name)._data.dtype)))
            elif strict:
                missing_keys.append(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


class FusedMovingAvgObsFakeQuantize(FakeQuantize):
    """FakeQuantize with a moving-average observer, fused as torch.fused_moving_avg_obs_fake_quant: the
    parameters come from the running min/max by fbgemm's rule (see the module docstring)."""

    def __init__(self, observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, **observer_kwargs):
        super().__init__(observer, quant_min, quant_max, **observer_kwargs)
        if not isinstance(self.activation_post_process,
                          (MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver)):
            raise AssertionError("Fused observer+fake_quant module only works with MovingAverageMinMaxObserver")
        self.register_buffer("fake_quant_enabled", _tensor([1], np.int64))
        self.register_buffer("observer_enabled", _tensor([1], np.int64))
        self.is_symmetric_quant = self.activation_post_process.qscheme in (_qscheme.per_tensor_symmetric,
                                                                           _qscheme.per_channel_symmetric)

    def extra_repr(self):
        observer = self.activation_post_process
        return (f"fake_quant_enabled={self.fake_quant_enabled}, observer_enabled={self.observer_enabled}, "
                f"scale={self.scale}, zero_point={self.zero_point}, dtype={self.dtype}, "
                f"quant_min={observer.quant_min}, quant_max={observer.quant_max}, qscheme={self.qscheme}, "
                f"reduce_range={observer.reduce_range}")

    @quiet_fp
    def _update_range(self, X):
        """The moving average of min and max, per tensor or per row (channel axis 0), in float32 (quietly: a
        first batch's average with the initial infinities is NaN, and then unused)."""
        observer, x = self.activation_post_process, X.detach()._data.astype(np.float32)
        if self.is_per_channel:
            if self.ch_axis != 0:
                raise RuntimeError("Per-channel FakeQuant in fused_moving_avg_obs_fake_quant is only supported on "
                                   "axis == 0")
            rows = x.reshape(x.shape[0], -1)
            low, high = rows.min(axis=1), rows.max(axis=1)
            if observer.min_val.numel() == 0:
                observer._update(np.full_like(low, np.inf), np.full_like(high, -np.inf))
        else:
            low, high = x.min(), x.max()
        xp = array_module(low)
        old_low, old_high = observer.min_val._data, observer.max_val._data
        c = np.float32(observer.averaging_constant)
        low = xp.where(xp.isinf(old_low), low, old_low + c * (low - old_low))
        high = xp.where(xp.isinf(old_high), high, old_high + c * (high - old_high))
        observer.min_val._data[...] = low
        observer.max_val._data[...] = high

    def forward(self, X):
        if self.observer_enabled._data[0] == 1:
            self._update_range(X)
        if self.fake_quant_enabled._data[0] != 1:
            return X
        observer = self.activation_post_process
        lows = np.atleast_1d(_host(observer.min_val._data))
        highs = np.atleast_1d(_host(observer.max_val._data))
        params = [choose_qparams(lo, hi, observer.quant_min, observer.quant_max, self.is_symmetric_quant)
                  for lo, hi in zip(lows, highs)]
        xp = array_module(X._data)
        self._store_qparams(xp.asarray([p[0] for p in params]), xp.asarray([p[1] for p in params]))
        if self.is_per_channel:
            return fake_quantize_per_channel_affine(X, self.scale, self.zero_point, self.ch_axis,
                                                    observer.quant_min, observer.quant_max)
        return fake_quantize_per_tensor_affine(X, self.scale, self.zero_point, observer.quant_min,
                                               observer.quant_max)


def _host(a):
    return a if type(a) is np.ndarray else a.get()


default_fake_quant = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                                            dtype=_dtype.quint8, qscheme=_qscheme.per_tensor_affine,
                                            reduce_range=True)
default_weight_fake_quant = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=-128,
                                                   quant_max=127, dtype=_dtype.qint8,
                                                   qscheme=_qscheme.per_tensor_symmetric, reduce_range=False)
default_per_channel_weight_fake_quant = FakeQuantize.with_args(
    observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127, dtype=_dtype.qint8,
    qscheme=_qscheme.per_channel_symmetric, reduce_range=False, ch_axis=0)
default_fused_act_fake_quant = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=_dtype.quint8)
default_fused_wt_fake_quant = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=-128, quant_max=127, dtype=_dtype.qint8,
    qscheme=_qscheme.per_tensor_symmetric)
default_fused_per_channel_wt_fake_quant = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127, dtype=_dtype.qint8,
    qscheme=_qscheme.per_channel_symmetric)


def _switch(method):
    def apply(module):
        if isinstance(module, FakeQuantizeBase):
            getattr(module, method)()
    apply.__name__ = method
    apply.__doc__ = f"`model.apply({method})`: {method.replace('_', ' ')} in every fake quantizer."
    return apply


disable_fake_quant = _switch("disable_fake_quant")
enable_fake_quant = _switch("enable_fake_quant")
disable_observer = _switch("disable_observer")
enable_observer = _switch("enable_observer")
