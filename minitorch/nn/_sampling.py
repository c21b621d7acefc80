"""Resampling: interpolate (nearest, nearest-exact, linear, bilinear, trilinear, bicubic, area) and the
deprecated upsample helpers.

Every mode but 'area' is separable: along each spatial axis the output is a fixed linear combination of
input positions, an (out, in) matrix built with torch's index and weight rules (align_corners, scale
factors, the clamping of edge taps). The op applies one matrix per axis, and its backward applies their
transposes, each a linear node. 'area' is adaptive average pooling, as in torch.
See https://pytorch.org/docs/stable/generated/torch.nn.functional.interpolate.html"""
import math

import numpy as np

from .. import _warnings
from .._device import array_module
from ._conv import _linear, adaptive_avg_pool2d
from ._pooling_nd import adaptive_avg_pool1d, adaptive_avg_pool3d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_CUBIC_A = -0.75
_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _compute_scale(size, out, align_corners, scale, dtype):
    """torch's area_pixel_compute_scale: input steps per output step, in the op's compute dtype."""
    if align_corners:
        return dtype(size - 1) / dtype(out - 1) if out > 1 else dtype(0)
    return dtype(1.0 / scale) if scale is not None and scale > 0 else dtype(size) / dtype(out)


def _nearest_matrix(size, out, scale, exact):
    """Each output position reads floor((o [+ 0.5]) * scale) (computed in float32, as torch does)."""
    o = np.arange(out)
    if not exact and out == size:
        src = o
    elif not exact and out == 2 * size:
        src = o >> 1
    else:
        s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(size) / np.float32(out)
        pos = (o.astype(np.float32) + np.float32(0.5)) * s if exact else o.astype(np.float32) * s
        src = np.minimum(np.floor(pos).astype(np.int64), size - 1)
    m = np.zeros((out, size))
    m[o, src] = 1
    return m


def _linear_matrix(size, out, align_corners, scale, dtype):
    """Two taps per output: floor(x) and the next one (clamped), weighted by the distance to x."""
    m = np.zeros((out, size))
    o = np.arange(out)
    if out == size:
        m[o, o] = 1
        return m
    ratio = _compute_scale(size, out, align_corners, scale, dtype)
    src = ratio * o.astype(dtype) if align_corners else np.maximum(ratio * (o.astype(dtype) + dtype(0.5)) - dtype(0.5),
                                                                     dtype(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), size - 1)
    lam1 = np.clip(src - i0.astype(dtype), 0, 1)
    i1 = i0 + (i0 < size - 1)
    np.add.at(m, (o, i0), dtype(1) - lam1)
    np.add.at(m, (o, i1), lam1)
    return m


def _cubic_weights(t):
    """The four cubic-convolution coefficients (A = -0.75) for fractional offsets t."""
    a = _CUBIC_A

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _cubic_matrix(size, out, align_corners, scale, dtype):
    """Four taps per output around floor(x) (x not clamped at 0), edge taps clamped into the input."""
    m = np.zeros((out, size))
    o = np.arange(out)
    ratio = _compute_scale(size, out, align_corners, scale, dtype)
    src = ratio * o.astype(dtype) if align_corners else ratio * (o.astype(dtype) + dtype(0.5)) - dtype(0.5)
    base = np.floor(src).astype(np.int64)
    t = (src - base.astype(dtype)).astype(dtype)
    for k, w in enumerate(_cubic_weights(t)):
        np.add.at(m, (o, np.clip(base - 1 + k, 0, size - 1)), w)
    return m


def _resample(input, mats, name):
    """Apply the (out, in) matrix mats[a] along spatial axis a of (N, C, *S), as a linear node."""
    xp = array_module(input._data)
    dtype = input._data.dtype
    mats = [xp.asarray(m.astype(dtype)) for m in mats]
    lead = input.dim() - len(mats)

    def along(a, ms):
        for axis, m in enumerate(ms):
            a = xp.moveaxis(xp.tensordot(a, m, axes=([lead + axis], [1])), -1, lead + axis)
        return a
    return _linear(input, lambda a: along(a, mats), lambda g: along(g, [m.T for m in mats]), name,
                   name.replace("Backward0", "BackwardBackward0"), saves=False)


def _per_dim(value, dim, input, what, given, wanted):
    """A size or scale factor per spatial dim: one value repeated, or a sequence of exactly dim values."""
    if not isinstance(value, (list, tuple)):
        return [value] * dim
    if len(value) != dim:
        raise ValueError(f"Input and {what} must have the same number of spatial dimensions, but got input with "
                         f"spatial dimensions of {list(input.shape[2:])} and {given} {value}. Please provide input "
                         f"tensor in (N, C, d1, d2, ...,dK) format and {wanted} format.")
    return list(value)


def _output_geometry(input, size, scale_factor, mode, recompute_scale_factor):
    """(output size per spatial dim, scale factors or None) with torch's checks."""
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        output_size = _per_dim(size, dim, input, "output", "output size of", "output size in (o1, o2, ...,oK)")
        if not all(isinstance(v, (int, np.integer)) for v in output_size):
            raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                            f"Tuple[int, int, int], but got size with types {[type(v) for v in size]}")
        output_size, scales = [int(v) for v in output_size], None
    elif scale_factor is not None:
        scales = [float(s) for s in _per_dim(scale_factor, dim, input, "scale_factor", "scale_factor of shape",
                                             "scale_factor in (s1, s2, ...,sK)")]
        output_size = None
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(input.shape[2 + i] * scales[i]) for i in range(dim)]
        scales = None
    if output_size is None:
        output_size = [int(math.floor(input.shape[2 + i] * scales[i])) for i in range(dim)]
    return output_size, scales


def _check_mode_rank(input, mode):
    """torch's errors for a mode used with the wrong input rank."""
    rank = _RANK.get(mode)
    if rank is not None and input.dim() in (3, 4, 5) and input.dim() != rank + 2:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {rank + 2}D input")
    if input.dim() not in (3, 4, 5) or mode not in ("nearest", "nearest-exact", "area", *_RANK):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: {_MODES} (got {mode})")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of (N, C, *S) to `size`, or by `scale_factor`, with the given mode.
    align_corners=True maps the corner pixels' centres onto each other (linear and cubic modes only)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                             "bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    output_size, scales = _output_geometry(input, size, scale_factor, mode, recompute_scale_factor)
    if antialias:
        if not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
            raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires "
                             "a 4-D tensor as input")
        raise NotImplementedError("interpolate(antialias=True) is not supported by minitorch")
    _check_mode_rank(input, mode)
    dim = input.dim() - 2
    if mode == "area":
        pool = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}[dim]
        return pool(input, output_size)
    sizes = input.shape[2:]
    scales = scales or [None] * dim
    dtype = np.float64 if input._data.dtype == np.float64 else np.float32
    if mode in ("nearest", "nearest-exact"):
        mats = [_nearest_matrix(sizes[a], output_size[a], scales[a], mode == "nearest-exact") for a in range(dim)]
        name = f"Upsample{'NearestExact' if mode == 'nearest-exact' else 'Nearest'}{dim}DBackward0"
    elif mode == "bicubic":
        mats = [_cubic_matrix(sizes[a], output_size[a], align_corners, scales[a], dtype) for a in range(dim)]
        name = "UpsampleBicubic2DBackward0"
    else:
        mats = [_linear_matrix(sizes[a], output_size[a], align_corners, scales[a], dtype) for a in range(dim)]
        name = f"Upsample{mode.capitalize()}{dim}DBackward0"
    return _resample(input, mats, name)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated: interpolate."""
    _warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(mode='nearest')."""
    _warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(mode='bilinear', align_corners=True)."""
    _warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
