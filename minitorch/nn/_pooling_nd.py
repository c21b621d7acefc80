"""Pooling beyond the 1-D / 2-D kernels of _conv.py: max_pool3d, avg_pool3d, the adaptive pools of every
rank (average and max), fractional max pooling, LP pooling, max unpooling and the `*_with_indices` forms.

Every window here is *separable*: along each spatial axis, output position o reads the input positions
`taps[o, t]` (t < T) where `valid[o, t]`. Fixed windows (o * stride - padding + t * dilation), adaptive
windows (floor(o * S / O) .. ceil((o + 1) * S / O)) and fractional ones (a random start per plane) are all
such tables. One gather per tap combination then gives every window's values at once, for a max (with
its flat index, for the backward and unpooling) or a sum. See
https://pytorch.org/docs/stable/nn.functional.html#pooling-functions"""
import itertools
import math

import numpy as np

from .._creation import rand
from .._device import array_module
from .._tensor import Tensor
from ..backends.meta import has_data
from ..ops._core import make
from ..ops.index import _add_at
from ..ops.pointwise import relu, sign
from ._conv import _linear, _lowest, _ntuple, _pool_out, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, \
    max_pool2d

__all__ = ["max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d", "max_pool3d_with_indices",
           "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "fractional_max_pool2d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d", "fractional_max_pool3d_with_indices",
           "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d"]


# ----- separable windows ----------------------------------------------------------------------------------
class _Axis:
    """The windows along one spatial axis: taps (P or 1, O, T) input positions, valid (same shape)."""

    def __init__(self, taps, valid):
        self.taps, self.valid = taps, valid
        self.out = taps.shape[1]


def _fixed_axis(size, k, s, p, d, out):
    o, t = np.arange(out)[:, None], np.arange(k)[None, :]
    taps = o * s - p + t * d
    return _Axis(taps[None], ((taps >= 0) & (taps < size))[None])


def _adaptive_axis(size, out):
    o = np.arange(out)
    start, end = (o * size) // out, -((-(o + 1) * size) // out)
    taps = start[:, None] + np.arange(int((end - start).max()))[None, :]
    return _Axis(taps[None], (taps < end[:, None])[None])


def _flat_taps(axes, combo, sizes, xp):
    """The flat input index (P or 1, *O) and validity of tap combination `combo`."""
    nd = len(axes)
    flat, ok = 0, True
    for a, (axis, t) in enumerate(zip(axes, combo)):
        shape = (axis.taps.shape[0],) + tuple(axis.out if b == a else 1 for b in range(nd))
        stride = math.prod(sizes[a + 1:])
        flat = flat + xp.asarray(axis.taps[:, :, t]).reshape(shape) * stride
        ok = ok & xp.asarray(axis.valid[:, :, t]).reshape(shape)
    return flat, ok


def _combos(axes):
    return itertools.product(*(range(axis.taps.shape[2]) for axis in axes))


def _planes(x, nd):
    """x (..., *S) as (P, prod S) and the leading shape."""
    lead = x.shape[:x.ndim - nd]
    return x.reshape((math.prod(lead), -1)), lead


def _window_max(x, axes):
    """(values, flat indices into each plane) of the maximum of each window; the first maximum wins and a
    NaN beats every number, as in torch."""
    nd = len(axes)
    xp = array_module(x)
    sizes = x.shape[x.ndim - nd:]
    planes, lead = _planes(x, nd)
    outs = tuple(axis.out for axis in axes)
    best = xp.full((planes.shape[0],) + outs, _lowest(x.dtype), dtype=x.dtype)
    where = xp.zeros(best.shape, dtype=np.int64)
    for combo in _combos(axes):
        flat, ok = _flat_taps(axes, combo, sizes, xp)
        flat = xp.broadcast_to(xp.where(ok, flat, 0), best.shape)
        v = xp.take_along_axis(planes, flat.reshape(planes.shape[0], -1), 1).reshape(best.shape)
        better = ok & ((v > best) | ((v != v) & (best == best)))
        best = xp.where(better, v, best)
        where = xp.where(better, flat, where)
    return best.reshape(lead + outs), where.reshape(lead + outs)


def _window_sum(x, axes):
    """The sum over each window's valid taps."""
    nd = len(axes)
    xp = array_module(x)
    planes, lead = _planes(x, nd)
    total = 0
    for combo in _combos(axes):
        flat, ok = _flat_taps(axes, combo, x.shape[x.ndim - nd:], xp)
        flat = xp.broadcast_to(xp.where(ok, flat, 0), (planes.shape[0],) + flat.shape[1:])
        v = xp.take_along_axis(planes, flat.reshape(planes.shape[0], -1), 1).reshape(flat.shape)
        total = total + xp.where(ok, v, 0)
    return total.reshape(lead + tuple(axis.out for axis in axes)).astype(x.dtype, copy=False)


def _window_spread(g, axes, sizes):
    """The adjoint of _window_sum: each window's value added back at its valid taps."""
    nd = len(axes)
    xp = array_module(g)
    rows, lead = _planes(g, nd)
    out = xp.zeros((rows.shape[0], math.prod(sizes)), dtype=g.dtype)
    plane_ids = xp.arange(rows.shape[0]).reshape((-1,) + (1,) * nd)
    for combo in _combos(axes):
        flat, ok = _flat_taps(axes, combo, sizes, xp)
        shape = (rows.shape[0],) + flat.shape[1:]
        at = xp.broadcast_to(plane_ids * out.shape[1] + xp.where(ok, flat, 0), shape)
        _add_at(out.reshape(-1), at.reshape(-1), xp.where(ok, rows.reshape(shape), 0).reshape(-1))
    return out.reshape(lead + tuple(sizes))


def _scatter(g, indices, sizes):
    """Each value of g added at its flat index of its plane: the gradient of a max pool, and unpooling."""
    xp = array_module(g)
    nd = len(sizes)
    lead = g.shape[:g.ndim - nd]
    planes = math.prod(lead)
    out = xp.zeros((planes, math.prod(sizes)), dtype=g.dtype)
    at = indices.reshape(planes, -1) + xp.arange(planes)[:, None] * out.shape[1]
    _add_at(out.reshape(-1), at.reshape(-1), g.reshape(-1))
    return out.reshape(lead + tuple(sizes))


def _gather(a, indices, nd):
    """The values of `a` (..., *S) at the flat indices (..., *O) of each plane: the adjoint of _scatter."""
    planes, _ = _planes(a, nd)
    xp = array_module(a)
    return xp.take_along_axis(planes, indices.reshape(planes.shape[0], -1), 1).reshape(indices.shape)


def _max_node(input, axes, name):
    """(values, int64 indices) of the max over `axes`' windows as one node (only values carry a gradient)."""
    nd = len(axes)
    sizes = tuple(input.shape[input.dim() - nd:])
    values, idx = _window_max(input._data, axes)

    def backward(g):
        return (_linear(g, lambda a: _scatter(a, idx, sizes), lambda a: _gather(a, idx, nd),
                        name.replace("Backward0", "BackwardBackward0"), name),)
    return make(values, name, (input,), backward, saves=(input,)), Tensor._wrap(idx)


# ----- max and average pooling over 3 dims ----------------------------------------------------------------
def _pool3d_args(input, kernel_size, stride, padding, dilation):
    if input.dim() not in (4, 5) or input.numel() == 0:
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    k = _ntuple(kernel_size, 3)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _ntuple(stride, 3)
    p, d = _ntuple(padding, 3), _ntuple(dilation, 3)
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {d[0]} dilationH: {d[1]} "
                           f"dilationW: {d[2]}")
    for kk, pp, dd in zip(k, p, d):
        if pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    return k, s, p, d


def _pool3d_out(input, k, s, p, d, ceil_mode):
    size = tuple(input.shape[-3:])
    out = tuple(_pool_out(size[a], k[a], s[a], p[a], d[a], ceil_mode) for a in range(3))
    if any(v < 1 for v in out):
        c = input.shape[-4]
        raise RuntimeError(f"Given input size: ({c}x{'x'.join(map(str, size))}). Calculated output size: "
                           f"({c}x{'x'.join(map(str, out))}). Output size is too small")
    return size, out


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """The maximum over each (dilated) window of (N, C, D, H, W), and where it was (flat in D * H * W)."""
    k, s, p, d = _pool3d_args(input, kernel_size, stride, padding, dilation)
    size, out = _pool3d_out(input, k, s, p, d, ceil_mode)
    axes = [_fixed_axis(size[a], k[a], s[a], p[a], d[a], out[a]) for a in range(3)]
    return _max_node(input, axes, "MaxPool3DWithIndicesBackward0")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each window of (N, C, D, H, W); with return_indices also where it was."""
    out = max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """max_pool1d returning (values, indices)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """max_pool2d returning (values, indices)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean over each window of (N, C, D, H, W); padding counts in the divisor unless
    count_include_pad=False; divisor_override replaces the divisor."""
    k, s, p, _ = _pool3d_args(input, kernel_size, stride, padding, 1)
    size = tuple(input.shape[-3:])
    if any(size[a] + 2 * p[a] < k[a] for a in range(3)):
        raise RuntimeError(f"input image (T: {size[0]} H: {size[1]} W: {size[2]}) smaller than kernel size "
                           f"(kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    size, out = _pool3d_out(input, k, s, p, (1, 1, 1), ceil_mode)
    axes = [_fixed_axis(size[a], k[a], s[a], p[a], 1, out[a]) for a in range(3)]
    xp = array_module(input._data)
    if divisor_override is not None:
        div = divisor_override
    else:
        counts = []
        for a in range(3):
            start = np.arange(out[a]) * s[a] - p[a]
            end = np.minimum(start + k[a], size[a] + p[a])
            if not count_include_pad:
                start, end = np.maximum(start, 0), np.minimum(end, size[a])
            counts.append(end - start)
        div = xp.asarray((counts[0][:, None, None] * counts[1][:, None] * counts[2]).astype(input._data.dtype))

    def forward(a):
        total = _window_sum(a, axes)
        return total / div if a.dtype.kind == "f" else (total // div).astype(a.dtype)
    return _linear(input, forward, lambda g: _window_spread(g / div, axes, size), "AvgPool3DBackward0",
                   "AvgPool3DBackwardBackward0", saves=(input,))


# ----- adaptive pooling -------------------------------------------------------------------------------------
def _output_size(output_size, input, nd, name):
    """The output size as an nd-tuple; None entries keep the input's size."""
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(size) != nd:
        raise RuntimeError(f"{name}() argument 'output_size' should contain {'one int' if nd == 1 else nd} "
                           f"(got {len(size)})")
    return tuple(input.shape[input.dim() - nd + a] if v is None else int(v) for a, v in enumerate(size))


def _check_adaptive_rank(input, nd, name, colon):
    if input.dim() not in (nd + 1, nd + 2):
        if nd == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument "
                               f"#1 'self' (while checking arguments for {name})")
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{':' if colon else ''} "
                           f"{list(input.shape)}")


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) to a fixed length, as torch runs it: a 2-D pool over a height of one."""
    _check_adaptive_rank(input, 1, "adaptive_avg_pool1d", False)
    (out,) = _output_size(output_size, input, 1, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, out)).squeeze(-2)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of (N, C, D, H, W) to a fixed (OD, OH, OW)."""
    _check_adaptive_rank(input, 3, "adaptive_avg_pool3d", False)
    out = _output_size(output_size, input, 3, "adaptive_avg_pool3d")
    size = tuple(input.shape[-3:])
    axes = [_adaptive_axis(size[a], out[a]) for a in range(3)]
    counts = [axis.valid[0].sum(1) for axis in axes]
    xp = array_module(input._data)
    div = xp.asarray((counts[0][:, None, None] * counts[1][:, None] * counts[2]).astype(input._data.dtype))
    return _linear(input, lambda a: _window_sum(a, axes) / div, lambda g: _window_spread(g / div, axes, size),
                   "AdaptiveAvgPool3DBackward0", "AdaptiveAvgPool3DBackwardBackward0", saves=(input,))


def _adaptive_max(input, output_size, nd, name):
    _check_adaptive_rank(input, nd, name, True)
    out = _output_size(output_size, input, nd, name)
    size = tuple(input.shape[-nd:])
    axes = [_adaptive_axis(size[a], out[a]) for a in range(nd)]
    return _max_node(input, axes, f"AdaptiveMaxPool{nd}DBackward0")


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of max pooling of (N, C, L) to a fixed length (a 2-D pool over a height of one)."""
    _check_adaptive_rank(input, 1, "adaptive_max_pool1d", False)
    (out,) = _output_size(output_size, input, 1, "adaptive_max_pool1d")
    values, indices = _adaptive_max(input.unsqueeze(-2), (1, out), 2, "adaptive_max_pool2d")
    return values.squeeze(-2), indices.squeeze(-2)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of max pooling of (N, C, H, W) to a fixed (OH, OW)."""
    return _adaptive_max(input, output_size, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of max pooling of (N, C, D, H, W) to a fixed (OD, OH, OW)."""
    return _adaptive_max(input, output_size, 3, "adaptive_max_pool3d")


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) to a fixed length; with return_indices also where each maximum was."""
    out = adaptive_max_pool1d_with_indices(input, output_size)
    return out if return_indices else out[0]


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling of (N, C, H, W) to a fixed (OH, OW)."""
    out = adaptive_max_pool2d_with_indices(input, output_size)
    return out if return_indices else out[0]


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of (N, C, D, H, W) to a fixed (OD, OH, OW)."""
    out = adaptive_max_pool3d_with_indices(input, output_size)
    return out if return_indices else out[0]


# ----- fractional max pooling -------------------------------------------------------------------------------
def _fractional_axis(samples, size, out, pool):
    """Window starts from one uniform sample per plane, as torch draws them: with alpha = (size - pool) /
    (out - 1), start i = int((i + u) * alpha) - int(u * alpha), and the last window ends at the input's end.
    Computed in the samples' dtype, as torch's kernel does."""
    u = samples[:, None]
    starts = np.zeros((samples.shape[0], out), dtype=np.int64)
    if out > 1:
        alpha = samples.dtype.type(size - pool) / samples.dtype.type(out - 1)
        i = np.arange(out - 1, dtype=samples.dtype)[None, :]
        starts[:, :-1] = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    starts[:, -1] = size - pool
    taps = starts[:, :, None] + np.arange(pool)
    return _Axis(taps, np.ones(taps.shape, dtype=bool))


def _fractional(input, kernel_size, output_size, output_ratio, random_samples, nd):
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(input.shape)}")
    size = tuple(input.shape[-nd:])
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:  # torch's len() here refuses a lone number (a TypeError) too
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,)
        ratio = ratio * nd if len(ratio) == 1 else ratio
        output_size = tuple(int(size[a] * ratio[a]) for a in range(nd))
    out, k = _ntuple(output_size, nd), _ntuple(kernel_size, nd)
    # torch's checks: 2-D allows windows that just fit (H then W), 3-D wants one spare element (T, W, H)
    checks = [(0, "height"), (1, "width")] if nd == 2 else [(0, "time"), (2, "width"), (1, "height")]
    for a, label in checks:
        if out[a] + k[a] - 1 > size[a] - (nd == 3):
            raise RuntimeError(f"{name}{'()' if nd == 2 else '_out()'}: pool {label} {k[a]} too large relative to "
                               f"input {label} {size[a]}")
    if random_samples is None:
        batch = 1 if input.dim() == nd + 1 else input.shape[0]
        random_samples = rand(batch, input.shape[-nd - 1], nd, dtype=input.dtype, device=input.device)
    if has_data(random_samples._data):
        samples = np.asarray(random_samples.cpu()._data).reshape(-1, nd)
    else:  # meta samples have no values: any valid windows give the output's shape
        samples = np.zeros((math.prod(random_samples.shape[:-1]), nd), dtype=random_samples._data.dtype)
    # torch pairs the samples with the axes last-first for 2-D (W, H) and first-first for 3-D (T, H, W)
    order = (1, 0) if nd == 2 else (0, 1, 2)
    axes = [_fractional_axis(samples[:, order[a]], size[a], out[a], k[a]) for a in range(nd)]
    return _max_node(input, axes, f"FractionalMaxPool{nd}DBackward0")


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """(values, indices) of fractional max pooling of (N, C, H, W): windows of kernel_size at
    pseudo-random, increasing starts, so the output can be any size between H / 2 and H."""
    return _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 2)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """(values, indices) of fractional max pooling of (N, C, D, H, W)."""
    return _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 3)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Fractional max pooling of (N, C, H, W); with return_indices also where each maximum was."""
    out = _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 2)
    return out if return_indices else out[0]


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Fractional max pooling of (N, C, D, H, W)."""
    out = _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 3)
    return out if return_indices else out[0]


# ----- LP pooling ------------------------------------------------------------------------------------------
def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd, max_pool, avg_pool):
    """(sum over each window of x ** p) ** (1 / p), composed of ops as torch composes it; p = +-inf is a
    max pool of |x| (or minus one of -|x|)."""
    if norm_type == math.inf:
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    area = math.prod(_ntuple(kernel_size, nd))
    return (sign(out) * relu(out.abs())).mul(area).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each window of (N, C, L)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, max_pool1d, avg_pool1d)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each window of (N, C, H, W)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, max_pool2d, avg_pool2d)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each window of (N, C, D, H, W)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, max_pool3d, avg_pool3d)


# ----- max unpooling ---------------------------------------------------------------------------------------
def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """torch's output size of max unpooling: (in - 1) * stride + kernel - 2 * padding, or the requested
    one when it lies strictly within one stride of that."""
    nd = len(kernel_size)
    default = [(input.shape[input.dim() - nd + a] - 1) * stride[a] + kernel_size[a] - 2 * padding[a]
               for a in range(nd)]
    if output_size is None:
        return default
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                         f"length of '{len(output_size)}'")
    for a in range(nd):
        low, high = default[a] - stride[a], default[a] + stride[a]
        if not low < output_size[a] < high:
            raise ValueError(f'invalid output_size "{output_size}" (dim {a} must be between {low} and {high})')
    return list(output_size)


def _max_unpool(input, indices, size, name):
    """Zeros of `size` per plane with input's values put at their indices (the adjoint of gathering)."""
    nd = len(size)
    if indices.dtype.name != "int64":
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype.scalar_name}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}")
    idx = indices._data
    plane = math.prod(size)
    invalid = ((idx < 0) | (idx >= plane)).reshape(-1)
    if bool(invalid.any()):
        bad = int(idx.reshape(-1)[int(invalid.argmax())])
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, size))})")
    return _linear(input, lambda a: _scatter(a, idx, size), lambda g: _gather(g, idx, nd), name,
                   name.replace("Backward0", "BackwardBackward0"))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool1d (up to the non-maxima, which become zeros)."""
    k = _ntuple(kernel_size, 1)
    s, p = (k if stride is None else _ntuple(stride, 1)), _ntuple(padding, 1)
    size = _unpool_output_size(input, k, s, p, output_size)
    return _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), (size[0], 1), "MaxUnpool2DBackward0").squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d: (N, C, H, W) from the pooled values and their indices."""
    k = _ntuple(kernel_size, 2)
    s, p = (k if stride is None else _ntuple(stride, 2)), _ntuple(padding, 2)
    return _max_unpool(input, indices, tuple(_unpool_output_size(input, k, s, p, output_size)),
                       "MaxUnpool2DBackward0")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool3d: (N, C, D, H, W) from the pooled values and their indices."""
    k = _ntuple(kernel_size, 3)
    s, p = (k if stride is None else _ntuple(stride, 3)), _ntuple(padding, 3)
    return _max_unpool(input, indices, tuple(_unpool_output_size(input, k, s, p, output_size)),
                       "MaxUnpool3DBackward0")
