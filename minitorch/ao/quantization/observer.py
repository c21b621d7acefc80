"""Observers: modules that watch the tensors flowing through a model during calibration and turn what they
saw into quantization parameters (`calculate_qparams() -> (scale, zero_point)`).

- MinMaxObserver: the running minimum and maximum;
- MovingAverageMinMaxObserver: an exponential moving average of each batch's min and max;
- PerChannelMinMaxObserver / MovingAveragePerChannelMinMaxObserver: the same per index along `ch_axis`
  (a weight's output channels);
- HistogramObserver: a 2048-bin histogram, whose range is then narrowed to the one with the least L2
  quantization error (outliers stop stretching the scale);
- PlaceholderObserver: observes nothing; it carries the dtype to the module swap (dynamic quantization).

From a range [min, max] (widened to contain 0) and the integer range [qmin, qmax]:
    affine:     scale = (max - min) / (qmax - qmin),  zero_point = qmin - round(min / scale)
    symmetric:  scale = max(-min, max) / ((qmax - qmin) / 2),  zero_point = 0 (128 for quint8)
with scale at least `eps`. The arithmetic is float32, in torch's order, so the parameters are torch's
bit for bit. See https://pytorch.org/docs/stable/quantization-support.html"""
import functools
import math
import warnings

import numpy as np

from ... import _dtype, _qscheme
from ..._creation import _linspace_values
from ..._device import array_module
from ..._tensor import Tensor
from ...nn import Module

_f32 = np.float32
EPS = float(np.finfo(np.float32).eps)

__all__ = ["ObserverBase", "UniformQuantizationObserverBase", "MinMaxObserver", "MovingAverageMinMaxObserver",
           "PerChannelMinMaxObserver", "MovingAveragePerChannelMinMaxObserver", "HistogramObserver",
           "PlaceholderObserver", "NoopObserver", "default_observer", "default_weight_observer",
           "default_per_channel_weight_observer", "default_histogram_observer", "default_dynamic_quant_observer",
           "default_placeholder_observer", "default_float_qparams_observer", "weight_observer_range_neg_127_to_127",
           "per_channel_weight_observer_range_neg_127_to_127"]


# ----- factories with arguments: Observer.with_args(...) ---------------------------------------------------
class _PartialWrapper:
    """A constructor with preset keyword arguments (what QConfig holds); printed as torch prints it."""

    def __init__(self, p):
        self.p = p
        self.callable_args = {}

    def __call__(self, *args, **keywords):
        for name, make in self.callable_args.items():
            keywords.setdefault(name, make())
        return self.p(*args, **keywords)

    def __repr__(self):
        return repr(self.p) + repr(self.callable_args)

    def with_args(self, **kwargs):
        return _with_args(self, **kwargs)

    def with_callable_args(self, **kwargs):
        result = _PartialWrapper(self.p)
        result.callable_args = {**self.callable_args, **kwargs}
        return result


def _with_args(cls_or_self, **kwargs):
    """`cls.with_args(x=1)`: a factory of `cls` instances with those arguments."""
    wrapped = _PartialWrapper(functools.partial(cls_or_self, **kwargs))
    functools.update_wrapper(wrapped, cls_or_self)
    return wrapped


def _with_callable_args(cls_or_self, **kwargs):
    """Like with_args, but each value is a function called afresh for every instance."""
    return _PartialWrapper(functools.partial(cls_or_self)).with_callable_args(**kwargs)


# ----- helpers -----------------------------------------------------------------------------------------------
def _is_per_tensor(qscheme):
    return qscheme in _qscheme.PER_TENSOR


def _is_per_channel(qscheme):
    return qscheme in _qscheme.PER_CHANNEL


def calculate_qmin_qmax(quant_min, quant_max, has_customized_qrange, dtype, reduce_range):
    """The integer range an observer maps onto: the dtype's (7-bit with reduce_range), or the given one."""
    if has_customized_qrange:
        length = quant_max - quant_min + 1
        if dtype in (_dtype.qint8, _dtype.int8) and not 0 < length <= 256:
            raise AssertionError("quantization range should be positive and not exceed the maximum bit range "
                                 "(=256).")
        if dtype in (_dtype.qint32, _dtype.int32) and not 0 < length <= 2 ** 32:
            raise AssertionError("quantization range should be positive and not exceed the maximum bit range "
                                 "(=4294967296).")
        return (quant_min // 2, quant_max // 2) if reduce_range else (quant_min, quant_max)
    if dtype in (_dtype.qint8, _dtype.int8):
        return (-64, 63) if reduce_range else (-128, 127)
    if dtype in (_dtype.quint8, _dtype.uint8):
        return (0, 127) if reduce_range else (0, 255)
    if dtype in (_dtype.qint32, _dtype.int32):
        return -(2 ** 31), 2 ** 31 - 1
    return 0, 15


def _warn_not_run():
    warnings.warn("must run observer before calling calculate_qparams. Returning default values.", stacklevel=3)


def check_min_max_valid(min_val, max_val):
    """False (with a warning) for an observer that has seen nothing; an error when min > max."""
    if min_val.size == 0 or max_val.size == 0:
        _warn_not_run()
        return False
    if min_val.ndim == 0:
        if min_val == np.inf and max_val == -np.inf:
            _warn_not_run()
            return False
        if min_val > max_val:
            raise AssertionError(f"min {min_val} should be less than max {max_val}")
    elif bool((min_val > max_val).any()):
        raise AssertionError(f"min {Tensor._wrap(min_val)} should be less than max {Tensor._wrap(max_val)}")
    return True


def _tensor(values, dtype=np.float32, like=None):
    """A tensor of `values` on the device of array `like` (the host when None)."""
    xp = np if like is None else array_module(like)
    return Tensor._wrap(xp.asarray(values, dtype=dtype))


def _aminmax(x, axis=None):
    """Min and max of x (over all elements, or per row of a 2-d array with axis=1)."""
    return x.min(axis=axis), x.max(axis=axis)


def _channels_first(x, ch_axis):
    """x with ch_axis swapped to the front and the rest flattened: one row per channel."""
    order = list(range(x.ndim))
    order[ch_axis], order[0] = 0, ch_axis
    y = x.transpose(order)
    return y.reshape(y.shape[0], -1)


# ----- the observers -----------------------------------------------------------------------------------------
class ObserverBase(Module):
    """Any observer: forward(x) records statistics of x and returns x unchanged; calculate_qparams() turns
    them into (scale, zero_point)."""

    def __init__(self, dtype, is_dynamic=False):
        super().__init__()
        self.dtype = dtype
        self.is_dynamic = is_dynamic

    def forward(self, x):
        raise NotImplementedError

    def calculate_qparams(self, **kwargs):
        raise NotImplementedError

    with_args = classmethod(_with_args)
    with_callable_args = classmethod(_with_callable_args)


class UniformQuantizationObserverBase(ObserverBase):
    """Observers whose parameters come from a [min, max] range (see the module docstring)."""

    _version = 3

    def __init__(self, dtype=_dtype.quint8, qscheme=_qscheme.per_tensor_affine, reduce_range=False,
                 quant_min=None, quant_max=None, factory_kwargs=None, eps=EPS, is_dynamic=False, **kwargs):
        super().__init__(dtype=dtype, is_dynamic=is_dynamic, **kwargs)
        self.qscheme = qscheme
        if reduce_range:
            warnings.warn("Please use quant_min and quant_max to specify the range for observers.                   "
                          "  reduce_range will be deprecated in a future release of PyTorch.", stacklevel=2)
        self.reduce_range = reduce_range
        self.register_buffer("eps", _tensor([eps]))
        if qscheme not in _qscheme.PER_TENSOR + _qscheme.PER_CHANNEL:
            raise AssertionError("Default Observer only works for per_tensor_affine, per_tensor_symmetric, "
                                 "per_channel_affine, per_channel_symmetric and per_channel_float_qparams "
                                 "quantization scheme")
        if dtype not in (_dtype.qint8, _dtype.quint8, _dtype.qint32, _dtype.int8, _dtype.uint8, _dtype.int16,
                         _dtype.int32):
            raise AssertionError(f"Default Observer only works for (torch.qint8, torch.quint8, torch.qint32, "
                                 f"torch.int8, torch.uint8, torch.int16, torch.int32) data type, got {dtype}")
        self.has_customized_qrange = quant_min is not None and quant_max is not None
        if self.has_customized_qrange:
            if not quant_min <= 0 <= quant_max:
                raise AssertionError("Used-specified quantization range must include 0.")
            if quant_min >= quant_max:
                raise AssertionError("qmin must be strictly less than qmax for user-specified quantization range.")
        self.quant_min, self.quant_max = calculate_qmin_qmax(quant_min, quant_max, self.has_customized_qrange,
                                                             dtype, reduce_range)

    def _calculate_qparams(self, min_val, max_val):
        """(scale float32 tensor, zero_point tensor) from min/max arrays (0-d per tensor, 1-d per channel)."""
        like = min_val
        if not check_min_max_valid(min_val, max_val):
            return _tensor([1.0], like=like), _tensor([0], np.int64, like)
        xp = array_module(min_val)
        qmin, qmax = self.quant_min, self.quant_max
        eps = self.eps._data
        min_neg = xp.minimum(min_val, _f32(0))
        max_pos = xp.maximum(max_val, _f32(0))
        if self.qscheme in (_qscheme.per_tensor_symmetric, _qscheme.per_channel_symmetric):
            max_pos = xp.maximum(-min_neg, max_pos)
            scale = xp.maximum(max_pos / _f32((qmax - qmin) / 2), eps if min_val.ndim else eps[0])
            zero = 0
            if self.dtype in (_dtype.quint8, _dtype.uint8):
                zero = (qmin + qmax) // 2 if self.has_customized_qrange else 128
            zero_point = xp.full(min_val.shape, zero, dtype=np.int64)
        elif self.qscheme is _qscheme.per_channel_affine_float_qparams:
            scale = (max_val - min_val) / _f32(qmax - qmin)
            scale = xp.where(scale > eps, scale, _f32(1)).astype(_f32)
            zero_point = -1 * min_val / scale
        else:
            scale = xp.maximum((max_pos - min_neg) / _f32(qmax - qmin), eps if min_val.ndim else eps[0])
            zero_point = qmin - xp.rint(min_neg / scale).astype(np.int32)
            zero_point = xp.clip(zero_point, qmin, qmax).astype(np.int32)
        scale, zero_point = xp.asarray(scale, dtype=_f32), xp.asarray(zero_point)
        if scale.ndim == 0:
            scale, zero_point = scale.reshape(1), zero_point.reshape(1)
        return Tensor._wrap(scale), Tensor._wrap(zero_point)

    def reset_min_max_vals(self):
        raise NotImplementedError("Cannot reset min/max values in the given observer.")


def _check_qscheme(name, qscheme, per_channel):
    if per_channel and not _is_per_channel(qscheme):
        raise NotImplementedError(f"{name}'s qscheme only support torch.per_channel_symmetric, "
                                  "torch.per_channel_affine and torch.per_channel_affine_float_qparams.")
    if not per_channel and not _is_per_tensor(qscheme):
        raise NotImplementedError(f"{name}'s qscheme only support torch.per_tensor_symmetric and "
                                  "torch.per_tensor_affine.")


def _no_symmetric_reduced_quint8(observer):
    if (observer.qscheme in (_qscheme.per_tensor_symmetric, _qscheme.per_channel_symmetric)
            and observer.reduce_range and observer.dtype is _dtype.quint8):
        raise NotImplementedError("Cannot reduce range for symmetric quantization for quint8")


class MinMaxObserver(UniformQuantizationObserverBase):
    """Records the running minimum and maximum of what it sees (per tensor)."""

    def __init__(self, dtype=_dtype.quint8, qscheme=_qscheme.per_tensor_affine, reduce_range=False,
                 quant_min=None, quant_max=None, factory_kwargs=None, eps=EPS, is_dynamic=False, **kwargs):
        _check_qscheme("MinMaxObserver", qscheme, False)
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range, quant_min=quant_min,
                         quant_max=quant_max, factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        self.register_buffer("min_val", _tensor(np.inf))
        self.register_buffer("max_val", _tensor(-np.inf))
        _no_symmetric_reduced_quint8(self)

    def _set_range(self, low, high):
        xp = array_module(self.min_val._data)
        self.min_val._data[...] = xp.asarray(low, dtype=_f32)
        self.max_val._data[...] = xp.asarray(high, dtype=_f32)

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        low, high = _aminmax(x_orig.detach()._data.astype(_f32))
        xp = array_module(low)
        self._set_range(xp.minimum(low, self.min_val._data), xp.maximum(high, self.max_val._data))
        return x_orig

    def calculate_qparams(self):
        return self._calculate_qparams(self.min_val._data, self.max_val._data)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"

    def reset_min_max_vals(self):
        self._set_range(np.inf, -np.inf)


class MovingAverageMinMaxObserver(MinMaxObserver):
    """min and max as moving averages: m <- m + c * (batch value - m), starting at the first batch's."""

    def __init__(self, averaging_constant=0.01, dtype=_dtype.quint8, qscheme=_qscheme.per_tensor_affine,
                 reduce_range=False, quant_min=None, quant_max=None, eps=EPS, is_dynamic=False, **kwargs):
        _check_qscheme("MovingAverageMinMaxObserver", qscheme, False)
        self.averaging_constant = averaging_constant
        if is_dynamic and averaging_constant != 1:
            raise NotImplementedError("MovingAverageMinMaxObserver doesn't support dynamic quantization for "
                                      f"averaging constant of {averaging_constant}")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range, quant_min=quant_min,
                         quant_max=quant_max, eps=eps, is_dynamic=is_dynamic, **kwargs)

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        low, high = _aminmax(x_orig.detach()._data.astype(_f32))
        old_low, old_high = self.min_val._data, self.max_val._data
        if not (old_low == np.inf and old_high == -np.inf):
            c = _f32(self.averaging_constant)
            low, high = old_low + c * (low - old_low), old_high + c * (high - old_high)
        self._set_range(low, high)
        return x_orig


class PerChannelMinMaxObserver(UniformQuantizationObserverBase):
    """The running minimum and maximum of each index along `ch_axis`."""

    def __init__(self, ch_axis=0, dtype=_dtype.quint8, qscheme=_qscheme.per_channel_affine, reduce_range=False,
                 quant_min=None, quant_max=None, factory_kwargs=None, eps=EPS, is_dynamic=False, **kwargs):
        _check_qscheme(type(self).__name__, qscheme, True)
        if is_dynamic:
            raise NotImplementedError(f"{type(self).__name__} doesn't support dynamic quantization")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range, quant_min=quant_min,
                         quant_max=quant_max, factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        self.ch_axis = ch_axis
        self.register_buffer("min_val", _tensor([]))
        self.register_buffer("max_val", _tensor([]))
        _no_symmetric_reduced_quint8(self)

    def _batch_range(self, x_orig):
        return _aminmax(_channels_first(x_orig.detach()._data.astype(_f32), self.ch_axis), axis=1)

    def _update(self, low, high):
        """Replace the buffers (their length becomes the number of channels)."""
        self.min_val = Tensor._wrap(low.astype(_f32))
        self.max_val = Tensor._wrap(high.astype(_f32))

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        low, high = self._batch_range(x_orig)
        if self.min_val.numel():
            xp = array_module(low)
            low, high = xp.minimum(low, self.min_val._data), xp.maximum(high, self.max_val._data)
        self._update(low, high)
        return x_orig

    def calculate_qparams(self):
        return self._calculate_qparams(self.min_val._data, self.max_val._data)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Buffers of any length load (an unobserved observer's are empty)."""
        for name in ("min_val", "max_val"):
            key = prefix + name
            if key in state_dict:
                setattr(self, name, Tensor._wrap(state_dict[key]._data.copy()))
            elif strict:
                missing_keys.append(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys, unexpected_keys,
                                      error_msgs)

    def reset_min_max_vals(self):
        self._update(np.zeros(0, _f32), np.zeros(0, _f32))


class MovingAveragePerChannelMinMaxObserver(PerChannelMinMaxObserver):
    """Per-channel moving averages of the min and max."""

    def __init__(self, averaging_constant=0.01, ch_axis=0, dtype=_dtype.quint8,
                 qscheme=_qscheme.per_channel_affine, reduce_range=False, quant_min=None, quant_max=None, eps=EPS,
                 is_dynamic=False, **kwargs):
        super().__init__(ch_axis=ch_axis, dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max, eps=eps, is_dynamic=is_dynamic, **kwargs)
        self.averaging_constant = averaging_constant

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        low, high = self._batch_range(x_orig)
        if self.min_val.numel():
            c, old_low, old_high = _f32(self.averaging_constant), self.min_val._data, self.max_val._data
            low, high = old_low + c * (low - old_low), old_high + c * (high - old_high)
        self._update(low, high)
        return x_orig


# ----- the histogram observer ---------------------------------------------------------------------------------
def _floor_divide(a, b):
    """torch's floor division of floats (through fmod, which differs from floor(a / b) where a / b rounds
    up to an integer)."""
    mod = np.fmod(a, b)
    div = (a - mod) / b
    div = np.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)
    floor = np.floor(div)
    floor = np.where(div - floor > 0.5, floor + 1, floor)
    return np.where(div != 0, floor, np.copysign(0, a / b)).astype(a.dtype)


def histc(x, bins, low, high):
    """torch.histc of a float32 array over [low, high] (float32 arithmetic, torch's binning rule)."""
    xp = array_module(x)
    low, high = _f32(low), _f32(high)
    if low == high:
        low, high = low - _f32(1), high + _f32(1)
    x = x[(x >= low) & (x <= high)]
    pos = ((x - low) * _f32(bins) / (high - low)).astype(np.int64)
    pos = xp.where(pos == bins, bins - 1, pos)
    return xp.bincount(pos, minlength=bins).astype(_f32)


class HistogramObserver(UniformQuantizationObserverBase):
    """A histogram of everything seen over [min, max] (widened as new batches need), then the narrowest
    range whose quantization error (L2, over the histogram) stops improving: outliers are clipped."""

    def __init__(self, bins=2048, dtype=_dtype.quint8, qscheme=_qscheme.per_tensor_affine, reduce_range=False,
                 quant_min=None, quant_max=None, factory_kwargs=None, eps=EPS, is_dynamic=False, **kwargs):
        _check_qscheme("HistogramObserver", qscheme, False)
        if is_dynamic:
            raise NotImplementedError("HistogramObserver doesn't support dynamic quantization")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range, quant_min=quant_min,
                         quant_max=quant_max, factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        self.bins = bins
        self.register_buffer("histogram", _tensor(np.zeros(bins)))
        self.register_buffer("min_val", _tensor(np.inf))
        self.register_buffer("max_val", _tensor(-np.inf))
        self.dst_nbins = 2 ** (8 * dtype.itemsize)
        self.upsample_rate = 16  # the old histogram is spread over 16x finer bins when the range grows

    def _set(self, histogram, low, high):
        self.histogram = Tensor._wrap(histogram.astype(_f32))
        self.min_val = Tensor._wrap(np.asarray(low, dtype=_f32))
        self.max_val = Tensor._wrap(np.asarray(high, dtype=_f32))

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        x = x_orig.detach()._data.astype(_f32)
        x = x if type(x) is np.ndarray else x.get()
        low, high = _aminmax(x)
        if low == -np.inf or high == np.inf:
            warnings.warn("torch.inf detected in input tensor, ignoring input", stacklevel=2)
            x = x[np.abs(x) != np.inf]
            if x.size == 0:
                return x_orig
            low, high = _aminmax(x)
        old_low, old_high = self.min_val._data, self.max_val._data
        if old_low == np.inf or old_high == -np.inf:
            self._set(histc(x, self.bins, low, high), low, high)
            return x_orig
        new_low, new_high = min(old_low, low), max(old_high, high)
        update = histc(x, self.bins, new_low, new_high)
        if new_low == old_low and new_high == old_high:
            self._set(self.histogram._data + update, new_low, new_high)
        else:
            self._set(self._combine(old_low, old_high, update, new_low, new_high), new_low, new_high)
        return x_orig

    def _combine(self, old_low, old_high, update, new_low, new_high):
        """The old histogram moved onto the bins of the new range, plus the new batch's histogram: each old
        bin is split into 16 finer ones, whose centres fall into the new bins."""
        old = self.histogram._data
        if old_low == old_high:
            return update + histc(np.asarray([old_low], _f32), self.bins, new_low, new_high) * old.sum(dtype=_f32)
        rate = self.upsample_rate
        fine = np.repeat(old, rate) / _f32(rate)
        bin_size = (old_high - old_low) / _f32(self.bins * rate)
        centers = _linspace_values(float(old_low), float(old_high), self.bins * rate + 1, np.dtype(_f32))[:-1] \
            + _f32(0.5) * bin_size
        edges = _linspace_values(float(new_low), float(new_high), self.bins + 1, np.dtype(_f32))
        where = np.clip(np.searchsorted(edges, centers, side="right") - 1, 0, self.bins - 1)
        moved = np.zeros(self.bins, _f32)
        np.add.at(moved, where, fine)  # summed in float32, in order, as torch.bincount does
        return update + moved

    def _quantization_error(self, start, end):
        """L2 error of quantizing the histogram with the range of bins [start, end] onto dst_nbins levels:
        each source bin's mass is spread uniformly and compared with the centre of its level. float32
        arithmetic with the Python numbers rounded to float32 first, as torch's tensor-scalar ops do."""
        bin_width = (float(self.max_val._data) - float(self.min_val._data)) / self.bins
        dst_width = bin_width * (end - start + 1) / self.dst_nbins
        if dst_width == 0.0:
            return 0.0
        begin = (np.arange(self.bins) - start).astype(_f32) * _f32(bin_width)
        stop = begin + _f32(bin_width)
        top = self.dst_nbins - 1
        dst_begin = np.clip(_floor_divide(begin, _f32(dst_width)), 0, top)
        dst_begin_center = (dst_begin + _f32(0.5)) * _f32(dst_width)
        dst_end = np.clip(_floor_divide(stop, _f32(dst_width)), 0, top)
        density = self.histogram._data / _f32(bin_width)
        half = _f32(dst_width / 2)

        def norm(lo, hi):
            return density * ((hi * hi * hi - lo * lo * lo) / _f32(3))
        total = np.zeros(self.bins, _f32)
        total += norm(begin - dst_begin_center, np.ones(self.bins, _f32) * half)
        total += (dst_end - dst_begin - _f32(1)) * norm(-half, half)
        dst_end_center = dst_end * _f32(dst_width) + half
        total += norm(-half, stop - dst_end_center)
        return float(total.sum(dtype=_f32))

    def _non_linear_param_search(self):
        """Move the range's ends inwards, a quantile step at a time, while the quantization error drops."""
        histogram = self.histogram._data
        bin_width = (self.max_val._data - self.min_val._data) / _f32(self.bins)
        total = float(histogram.sum(dtype=_f32))
        cumulative = np.cumsum(histogram.astype(np.float64)).astype(_f32)  # torch accumulates in double
        step, alpha, beta = 1e-5, 0.0, 1.0
        start, end = 0, self.bins - 1
        best = math.inf
        while alpha < beta:
            next_alpha, next_beta = alpha + step, beta - step
            left, right = start, end
            lower, upper = _f32(next_alpha * total), _f32(next_beta * total)
            while left < end and cumulative[left] < lower:
                left += 1
            while right > start and cumulative[right] > upper:
                right -= 1
            next_start, next_end = start, end
            if left - start > end - right:
                next_start, alpha = left, next_alpha
            else:
                next_end, beta = right, next_beta
            if next_start == start and next_end == end:
                continue
            error = self._quantization_error(next_start, next_end)
            if error > best:
                break
            best, start, end = error, next_start, next_end
        low = self.min_val._data + bin_width * _f32(start)
        high = self.min_val._data + bin_width * _f32(end + 1)
        return low, high

    def calculate_qparams(self):
        if self.min_val._data == np.inf and self.max_val._data == -np.inf:
            warnings.warn("must run observer before calling calculate_qparams.                                    "
                          "Returning default scale and zero point ", stacklevel=2)
            return _tensor([1.0]), _tensor([0], np.int64)
        if self.bins != self.histogram.numel():
            raise AssertionError("The number of bins in histogram should be equal to the number of bins supplied "
                                 "while making this observer")
        low, high = self._non_linear_param_search()
        return self._calculate_qparams(np.asarray(low, _f32), np.asarray(high, _f32))

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


# ----- observers that do not observe ---------------------------------------------------------------------------
class PlaceholderObserver(ObserverBase):
    """Observes nothing: it carries the dtype (and is_dynamic) to the module swap, as dynamic quantization
    needs (the input's range is measured on every call instead)."""

    def __init__(self, dtype=_dtype.float32, custom_op_name="", compute_dtype=None, quant_min=None,
                 quant_max=None, qscheme=None, eps=None, is_dynamic=False):
        super().__init__(dtype=dtype, is_dynamic=is_dynamic)
        self.qscheme = _qscheme.per_tensor_affine if qscheme is None else qscheme
        self.quant_min, self.quant_max = quant_min, quant_max
        self.eps = EPS if eps is None else eps
        self.custom_op = custom_op_name

    def forward(self, x):
        return x

    def extra_repr(self):
        return f"dtype={self.dtype}, is_dynamic={self.is_dynamic}"

    def calculate_qparams(self):
        raise Exception("calculate_qparams should not be called for PlaceholderObserver")


class NoopObserver(ObserverBase):
    """Observes nothing and has no parameters (for ops that need none, e.g. float16)."""

    def __init__(self, dtype=_dtype.float16, custom_op_name=""):
        super().__init__(dtype=dtype)
        self.dtype = dtype
        self.custom_op = custom_op_name

    def forward(self, x):
        return x

    def calculate_qparams(self):
        raise Exception("calculate_qparams should not be called for NoopObserver")


def _is_activation_post_process(module):
    from .fake_quantize import FakeQuantizeBase
    return isinstance(module, (ObserverBase, FakeQuantizeBase))


default_observer = MinMaxObserver.with_args(quant_min=0, quant_max=127)
default_placeholder_observer = PlaceholderObserver
default_weight_observer = MinMaxObserver.with_args(dtype=_dtype.qint8, qscheme=_qscheme.per_tensor_symmetric)
weight_observer_range_neg_127_to_127 = MinMaxObserver.with_args(
    dtype=_dtype.qint8, qscheme=_qscheme.per_tensor_symmetric, quant_min=-127, quant_max=127, eps=2 ** -12)
default_histogram_observer = HistogramObserver.with_args(quant_min=0, quant_max=127)
default_per_channel_weight_observer = PerChannelMinMaxObserver.with_args(
    dtype=_dtype.qint8, qscheme=_qscheme.per_channel_symmetric)
per_channel_weight_observer_range_neg_127_to_127 = PerChannelMinMaxObserver.with_args(
    dtype=_dtype.qint8, qscheme=_qscheme.per_channel_symmetric, quant_min=-127, quant_max=127, eps=2 ** -12)
default_dynamic_quant_observer = PlaceholderObserver.with_args(
    dtype=_dtype.quint8, quant_min=0, quant_max=255, is_dynamic=True)
default_float_qparams_observer = PerChannelMinMaxObserver.with_args(
    dtype=_dtype.quint8, qscheme=_qscheme.per_channel_affine_float_qparams, ch_axis=0)
