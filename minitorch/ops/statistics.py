"""Statistics: nan-ignoring sums and means, medians and modes, quantiles, aminmax, count_nonzero,
std_mean / var_mean, histograms and bin counts, covariance and correlation, and the sorted-sequence searches
(bucketize, searchsorted). Each differentiable forward is followed by its backward."""
import builtins
import math

import numpy as np

from .. import _dtype, _warnings
from .._device import array_module
from ..backends.meta import MetaDataError, has_data
from .._tensor import Tensor, _wrap_dim
from ._core import make, make_multi, normalize_dims
from .index import gather, scatter
from .pointwise import _dtype_name, _not_implemented, _zeros_like, clamp, eq, isnan, lerp, logical_not, sqrt, where
from .reduce import _axes, _reduce_extreme, _unreduce, mean, return_type, std, sum, var
from .shape import _view, diag, movedim
from .sorting import _stable_order, sort

_MEDIAN, _NANMEDIAN, _MODE = return_type("median"), return_type("nanmedian"), return_type("mode")
_AMINMAX = return_type("aminmax", ("min", "max"))
_HISTOGRAM = return_type("histogram", ("hist", "bin_edges"))
_HISTOGRAMDD = return_type("histogramdd", ("hist", "bin_edges"))


def _require_inexact(name, input):
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(f"{name}(): expected input to have floating point or complex dtype but got "
                           f"{_dtype_name(input.dtype)}")


# ----- nan-ignoring reductions --------------------------------------------------------------------------------
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum with nan counted as zero (integer input sums as int64)."""
    data = input._data if dtype is None else input._data.astype(dtype.np)
    if data.dtype.kind in "biu" and dtype is None:
        data = data.astype(np.int64)
    xp = array_module(data)
    axes = _axes(dim, data.ndim)
    shape = data.shape
    clean = xp.where(xp.isnan(data), 0, data) if data.dtype.kind in "fc" else data
    out = clean.sum(axis=axes, keepdims=keepdim).astype(data.dtype, copy=False)

    def backward(g):  # a product, not a where: an infinite gradient times a nan position gives nan, as in torch
        return (_unreduce(g, shape, axes, keepdim).expand(shape) * logical_not(isnan(input)),)
    return make(out, "NansumBackward0", (input,), backward)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the elements that are not nan."""
    _require_inexact("nanmean", input)
    counted = sum(logical_not(isnan(input)), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / counted


# ----- medians and modes ---------------------------------------------------------------------------------------
def _lower_middle(count):
    return (count - 1) // 2


def median(input, dim=None, keepdim=False):
    """The lower median (nan if any element is nan); with `dim`, (values, indices) along it."""
    return _median(input, dim, keepdim, ignore_nan=False)


def nanmedian(input, dim=None, keepdim=False):
    """The lower median of the elements that are not nan; with `dim`, (values, indices) along it."""
    return _median(input, dim, keepdim, ignore_nan=True)


def _median(input, dim, keepdim, ignore_nan):
    data = input._data
    xp = array_module(data)
    name = "nanmedian" if ignore_nan else "median"
    node = name.capitalize() + "Backward"
    if dim is None:
        flat = data.reshape(-1)
        if not flat.size:
            return make(xp.full((), np.nan, data.dtype), node + "0", (input,), None)
        ordered = flat[_stable_order(flat, 0, False)]  # nan sorts last
        valid = int((~xp.isnan(flat)).sum()) if ignore_nan and data.dtype.kind == "f" else flat.size
        if not ignore_nan and data.dtype.kind == "f" and bool(xp.isnan(flat).any()):
            value = ordered[-1]
        else:
            value = ordered[_lower_middle(valid)] if valid else ordered[0]
        return _reduce_extreme(input, xp.asarray(value), tuple(range(data.ndim)), False, node + "0")
    d = _wrap_dim(dim, data.ndim)
    if data.ndim and data.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    if not data.ndim:
        values, indices = data.copy(), xp.zeros((), np.int64)
    else:
        order = _stable_order(data, d, False)  # nan last
        n = data.shape[d]
        isnan_ = xp.isnan(data) if data.dtype.kind == "f" else xp.zeros(data.shape, bool)
        nans = isnan_.sum(axis=d, keepdims=True)
        if ignore_nan:  # the lower middle of the values that are not nan (the first element if all are nan)
            pick = xp.where(nans == n, 0, _lower_middle(n - nans))
        else:
            pick = xp.full(nans.shape, _lower_middle(n))
        indices = xp.take_along_axis(order, pick.astype(np.int64), axis=d)
        if not ignore_nan:  # a row holding nan has its first nan as median
            first_nan = xp.expand_dims(xp.argmax(isnan_, axis=d), d)
            indices = xp.where(nans > 0, first_nan, indices)
        values = xp.take_along_axis(data, indices, axis=d)
        if not keepdim:
            values, indices = values.squeeze(d), indices.squeeze(d)
    result = _MEDIAN if name == "median" else _NANMEDIAN
    return result(_at_indices(input, values, indices, d, keepdim, node + "1"))


def _at_indices(input, values, indices, d, keepdim, node_name):
    """(values, indices) of a selection along dim d whose gradient goes to the selected positions."""
    kept = Tensor._wrap(indices)

    def backward(g):
        if not input._data.ndim:
            return (g,)
        idx = kept if keepdim else kept.unsqueeze(d)
        return (scatter(_zeros_like(input), d, idx, g if keepdim else g.unsqueeze(d)),)
    return make(values, node_name, (input,), backward, saves=(kept,)), Tensor._wrap(indices)


def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along `dim` (the smallest among equally frequent ones) and
    the last position where it occurs."""
    data = input._data
    xp = array_module(data)
    d = _wrap_dim(dim, data.ndim)
    if data.ndim and data.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    if not data.ndim:
        return _MODE(_at_indices(input, data.copy(), xp.zeros((), np.int64), 0, keepdim, "ModeBackward0"))
    rows = xp.moveaxis(data, d, -1).reshape(-1, data.shape[d])
    order = xp.argsort(rows, axis=-1, kind="stable")
    ordered = xp.take_along_axis(rows, order, axis=-1)
    n = rows.shape[-1]
    # run lengths of equal values in each sorted row; the longest run (the first, so the smallest value) wins
    starts = xp.concatenate([xp.ones((rows.shape[0], 1), bool), ordered[:, 1:] != ordered[:, :-1]], axis=-1)
    run_id = xp.cumsum(starts, axis=-1)
    lengths = _run_lengths(xp, run_id, n)
    best_run = xp.argmax(lengths, axis=-1)
    last = n - 1 - xp.argmax(xp.flip(run_id == best_run[:, None], -1), axis=-1)  # the run's end, sorted
    indices = xp.take_along_axis(order, last[:, None], axis=-1)[:, 0]
    values = xp.take_along_axis(rows, indices[:, None], axis=-1)[:, 0]
    out_shape = data.shape[:d] + data.shape[d + 1:]
    values, indices = values.reshape(out_shape), indices.reshape(out_shape).astype(np.int64)
    if keepdim:
        values, indices = xp.expand_dims(values, d), xp.expand_dims(indices, d)
    return _MODE(_at_indices(input, values, indices, d, keepdim, "ModeBackward0"))


def _run_lengths(xp, run_id, n):
    """Per row, how many elements carry each run id (0..n): a bincount of every row at once."""
    rows = run_id.shape[0]
    if not has_data(run_id):  # meta: the shape is all there is
        return xp.zeros((rows, n + 1), np.int64)
    flat = (run_id + (n + 1) * xp.arange(rows)[:, None]).reshape(-1)
    return xp.bincount(flat, minlength=rows * (n + 1)).reshape(rows, n + 1)


# ----- quantiles -----------------------------------------------------------------------------------------------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles along `dim` (of all elements by default), interpolating between the two nearest
    ranks as `interpolation` says; nan when the reduced elements hold a nan. A 1-D q adds a leading dim."""
    return _quantile(input, q, dim, keepdim, interpolation, "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile of the elements that are not nan (nan where all are)."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile")


def _quantile(input, q, dim, keepdim, interpolation, name):
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    scalar_q = not isinstance(q, Tensor)
    if scalar_q:
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
        q = Tensor._wrap(array_module(input._data).asarray([q], dtype=input._data.dtype))
    else:
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if bool(((q._data < 0) | (q._data > 1)).any()):
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        scalar_q, q = q.ndim == 0, q.reshape(-1)
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    rows = input.reshape(-1) if dim is None else movedim(input, _wrap_dim(dim, input.ndim), -1) if input.ndim \
        else input.reshape(1)
    ordered = sort(rows, -1).values  # nan last
    n = rows.shape[-1]
    nans = isnan(rows).sum(-1, keepdim=True)
    if name == "nanquantile":
        ranks = q.detach() * (n - nans - 1).to(q.dtype)  # (..., Q)
        missing = eq(nans, n)
    else:
        ranks = (q.detach() * (n - 1)).expand(*rows.shape[:-1], q.shape[0])
        missing = nans > 0
    ranks = clamp(ranks, min=0)
    if interpolation == "nearest":
        ranks = ranks.round()
    below = ranks.floor().long()
    above = ranks.ceil().long()
    low = gather(ordered, -1, below if interpolation != "higher" else above)
    if interpolation in ("linear", "midpoint"):
        weights = ranks - below if interpolation == "linear" else ranks * 0 + 0.5
        low = lerp(low, gather(ordered, -1, above), weights)
    out = where(missing, float("nan"), low)
    # lay out as torch does: q first (when a tensor), then the kept / reduced dims, ending in a squeeze
    out = movedim(out, -1, 0)
    if keepdim:
        spots = range(input.ndim) if dim is None else [_wrap_dim(dim, input.ndim)]
        for s in spots:
            out = out.unsqueeze(s + 1)
    if not scalar_q:
        out = out.unsqueeze(-1)
    axis = 0 if scalar_q else out.ndim - 1
    return _view(out._data.squeeze(axis), "SqueezeBackward4", out, lambda g: (g.unsqueeze(axis),),
                 lambda t: t.squeeze(axis))


# ----- extremes, counts and moments ------------------------------------------------------------------------------
def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over all elements or along `dim`."""
    data = input._data
    xp = array_module(data)
    axes = _axes(dim, data.ndim)
    if dim is not None and data.ndim and data.shape[axes[0]] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {axes[0]} to have non-zero size.")
    if data.size == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    shape = data.shape
    low, high = data.min(axis=axes, keepdims=keepdim), data.max(axis=axes, keepdims=keepdim)
    low, high = xp.asarray(low), xp.asarray(high)

    def backward(g_min, g_max):
        total = None
        for g, extreme in ((g_min, low), (g_max, high)):
            if g is None:
                continue
            hit = eq(input, _unreduce(Tensor._wrap(extreme), shape, axes, keepdim))
            part = _unreduce(g, shape, axes, keepdim) * hit / sum(hit, axes, keepdim=True)
            total = part if total is None else total + part
        return (total,)
    return _AMINMAX(make_multi((low, high), "AminmaxBackward0", (input,), backward, saves=True))


def count_nonzero(input, dim=None):
    """How many elements are not zero, over all elements or the given dims (int64)."""
    data = input._data
    axes = None if dim is None else normalize_dims(dim, data.ndim)
    return make(array_module(data).asarray((data != 0).sum(axis=axes, dtype=np.int64)), "count_nonzero", (), None)


def _moment_and_mean(input, dim, unbiased, keepdim, correction, name):
    """(var or std, mean) under one node, as torch's var_mean / std_mean."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(f"{name}_mean only support floating point and complex dtypes")
    moment = (std if name == "std" else var)(input.detach(), dim, unbiased, keepdim, correction=correction)
    average = mean(input.detach(), dim, keepdim)
    data = input._data
    shape, axes = data.shape, _axes(dim, data.ndim)
    count = math.prod(shape[a] for a in axes)
    dof = count - (1 if correction is None and unbiased else 0 if correction is None else correction)

    def backward(g_moment, g_mean):
        total = 0
        centered = input - mean(input, axes, keepdim=True)
        if g_moment is not None:
            g = _unreduce(g_moment, shape, axes, keepdim)
            if name == "std":
                s = _unreduce(std(input, dim, unbiased, keepdim, correction=correction), shape, axes, keepdim)
                g = g * (s != 0) / (2 * (s + eq(s, 0)))
            total = total + g * 2 * centered / dof
        if g_mean is not None:
            total = total + _unreduce(g_mean, shape, axes, keepdim).expand(shape) / count
        return (total,)
    return make_multi((moment._data, average._data), name.capitalize() + "MeanBackward0", (input,), backward)


def std_mean(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """(std, mean) over `dim` (all elements by default), in one pass."""
    return _moment_and_mean(input, dim, unbiased, keepdim, correction, "std")


def var_mean(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """(var, mean) over `dim` (all elements by default), in one pass."""
    return _moment_and_mean(input, dim, unbiased, keepdim, correction, "var")


# ----- histograms -------------------------------------------------------------------------------------------------
def _bin_positions(xp, values, lo, hi, bins):
    """The bin of each value for `bins` equal bins over [lo, hi] (hi falls in the last bin), -1 outside."""
    with np.errstate(invalid="ignore", divide="ignore"):
        pos = xp.floor((values - lo) * bins / (hi - lo))
    pos = xp.where(values == hi, bins - 1, pos)
    inside = (values >= lo) & (values <= hi)
    return xp.where(inside, pos, -1).astype(np.int64)


def histc(input, bins=100, min=0, max=0):
    """Counts in `bins` equal bins over [min, max] (the data's range when both are 0); values outside are
    ignored. Floating point input only; the counts have its dtype."""
    data = input._data
    if not input.is_floating_point():
        raise _not_implemented("histogram_cpu", data.dtype)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    xp = array_module(data)
    if not has_data(data):  # meta: the counts' shape is known without the values
        return make(xp.empty((bins,), data.dtype), "histc", (), None)
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    flat = data.reshape(-1).astype(np.float64)
    pos = _bin_positions(xp, flat, lo, hi, bins)
    counts = xp.bincount(pos[pos >= 0], minlength=bins)[:bins]
    return make(counts.astype(data.dtype), "histc", (), None)


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """(hist, bin_edges): the counts (or summed weights) of the elements in each bin; `bins` is a number of
    equal bins over `range` (the data's range by default) or a 1-D tensor of increasing edges."""
    hist, edges = _histogram(input.reshape(-1, 1), [bins], range, weight, density, "histogram")
    return _HISTOGRAM((hist, edges[0]))


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges): a D-dimensional histogram of the rows of `input` (N, D); bins is a number, a list of
    numbers (one per dim) or a list of edge tensors."""
    dims = input.shape[-1]
    if isinstance(bins, (int, np.integer)):
        bins = [bins] * dims
    hist, edges = _histogram(input.reshape(-1, dims), list(bins), range, weight, density, "histogramdd")
    return _HISTOGRAMDD((hist, tuple(edges)))


def _histogram(rows, bins, bounds, weight, density, name):
    data = rows._data
    if not rows.is_floating_point():
        raise _not_implemented("histogram_cpu", data.dtype)
    if not has_data(data):  # the bin edges come from the values
        raise MetaDataError(name)
    xp = array_module(data)
    edges = []
    flat_pos = xp.zeros(data.shape[0], np.int64)
    inside = xp.ones(data.shape[0], bool)
    for axis, b in enumerate(bins):
        column = data[:, axis]
        if isinstance(b, Tensor):
            if b.dtype is not rows.dtype:
                raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have the same dtype, but "
                                   f"got input with dtype {rows.dtype.cpp_name} and bins for dimension {axis} with "
                                   f"dtype {b.dtype.cpp_name}")
            e = b._data
            pos = xp.searchsorted(e, column, side="right") - 1
            pos = xp.where(column == e[-1], len(e) - 2, pos)
            ok = (column >= e[0]) & (column <= e[-1])
        else:
            if b <= 0:
                raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {b} for dimension {axis}")
            if bounds is not None:
                lo, hi = float(bounds[2 * axis]), float(bounds[2 * axis + 1])
            elif column.size:
                lo, hi = float(column.min()), float(column.max())
            else:
                lo, hi = 0.0, 1.0
            if lo == hi:  # a range of one value is widened to one unit around it
                lo, hi = lo - 0.5, hi + 0.5
            e = xp.linspace(lo, hi, b + 1).astype(data.dtype)
            pos = _bin_positions(xp, column.astype(np.float64), lo, hi, b)
            ok = pos >= 0
        edges.append(e)
        flat_pos = flat_pos * (len(e) - 1) + xp.where(ok, pos, 0)
        inside &= ok
    sizes = [len(e) - 1 for e in edges]
    weights = None if weight is None else weight._data.reshape(-1)[inside]
    counts = xp.bincount(flat_pos[inside], weights=weights, minlength=math.prod(sizes))
    hist = counts.astype(data.dtype).reshape(sizes)
    if density:
        volume = 1
        for axis, e in enumerate(edges):
            widths = xp.diff(e).reshape([-1 if a == axis else 1 for a in builtins.range(len(edges))])
            volume = volume * widths
        hist = hist / (hist.sum() * volume)
    return make(hist.astype(data.dtype), name, (), None), [make(e, name, (), None) for e in edges]


def bincount(input, weights=None, minlength=0):
    """How often each non-negative integer occurs in the 1-D `input` (or the summed weights)."""
    data = input._data
    if data.dtype.kind not in "iu" and data.dtype.kind != "b":
        raise _not_implemented("bincount_cpu", data.dtype)
    if not has_data(data):  # the length of the counts comes from the values
        raise MetaDataError("bincount")
    xp = array_module(data)
    if data.ndim != 1 or data.size and int(data.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return make(xp.bincount(data, minlength=minlength).astype(np.int64), "bincount", (), None)
    w = weights._data
    out_dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return make(xp.bincount(data, weights=w.astype(np.float64), minlength=minlength).astype(out_dtype), "bincount",
                (), None)


# ----- covariance and correlation -------------------------------------------------------------------------------
def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of `input` (observations in the columns), with
    optional integer frequency weights and real observation weights per column."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    observations = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        average = mean(x, 1)
        factor = observations - correction
    else:
        w_sum = w.sum()
        average = (x * w).sum(1) / w_sum
        if correction == 0:
            factor = w_sum
        elif aweights is None:
            factor = w_sum - correction
        else:
            factor = w_sum - correction * (w * aweights).sum() / w_sum
    if float(factor) <= 0:
        _warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                       "observations.")
        factor = clamp(factor, min=0) if isinstance(factor, Tensor) else 0
    centered = x - average.unsqueeze(1)
    weighted = centered if w is None else centered * w
    return (centered @ weighted.t().conj() / factor).squeeze()


def corrcoef(input):
    """The Pearson correlation coefficients of the variables in the rows of `input`, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    stddev = sqrt(diag(c))
    c = c / stddev.unsqueeze(1)
    c = c / stddev.unsqueeze(0)
    return clamp(c, -1, 1)


# ----- searching sorted sequences -----------------------------------------------------------------------------------
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """For each value of `input`, where it would go in the sorted last dim of `sorted_sequence` (the first
    such position, or the last with right=True / side='right'). `sorter` orders an unsorted sequence."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    boundaries = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    xp = array_module(boundaries)
    values = xp.asarray(input, dtype=boundaries.dtype) if scalar else input._data
    if sorter is not None:
        boundaries = xp.take_along_axis(boundaries, sorter._data, axis=-1)
    if boundaries.ndim > 1 and (scalar or boundaries.shape[:-1] != values.shape[:-1]):
        raise RuntimeError(
            f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries "
            f"tensor and input value tensor must match, but we got boundaries tensor {list(boundaries.shape)} and "
            f"input value tensor {list(values.shape)}")
    which = "right" if right else "left"
    if boundaries.ndim <= 1:
        out = xp.searchsorted(boundaries, values, side=which)
    else:
        flat_b = boundaries.reshape(-1, boundaries.shape[-1])
        flat_v = values.reshape(-1, values.shape[-1])
        out = xp.stack([xp.searchsorted(b, v, side=which) for b, v in zip(flat_b, flat_v)]).reshape(values.shape)
    return make(xp.asarray(out).astype(np.int32 if out_int32 else np.int64), "searchsorted", (), None)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The index of the bucket of each element, for the 1-D increasing `boundaries` (searchsorted's rule)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


__all__ = ["nansum", "nanmean", "median", "nanmedian", "mode", "quantile", "nanquantile", "aminmax", "count_nonzero",
           "std_mean", "var_mean", "histc", "histogram", "histogramdd", "bincount", "cov", "corrcoef", "searchsorted",
           "bucketize"]
_METHODS = {name: globals()[name] for name in __all__ if name not in ("std_mean", "var_mean", "histogramdd",
                                                                      "searchsorted", "bucketize")}
_INPLACE = {}
