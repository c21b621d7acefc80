"""Spatial transformers: affine_grid (the sampling grid of an affine map) and grid_sample (read an image
at arbitrary normalised coordinates, bilinear, nearest or bicubic, with zeros, border or reflection
padding). Both are compositions of differentiable tensor ops, so the gradient reaches the image and the
grid (and the affine matrices); each is presented as torch's single node.
See https://pytorch.org/docs/stable/generated/torch.nn.functional.grid_sample.html"""
import numpy as np

from .. import _warnings
from .._creation import linspace, ones
from ..ops.shape import stack
from ..ops.pointwise import where
from ._composite import composite_node

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


# ----- affine_grid --------------------------------------------------------------------------------------------
def _base_coords(steps, align_corners, like):
    """The normalised pixel-centre coordinates of one axis: linspace(-1, 1), shrunk by (n - 1) / n when
    the corners are not aligned; a single step is 0."""
    if steps <= 1:
        return like.new_zeros(max(steps, 0))
    line = linspace(-1, 1, steps, dtype=like.dtype, device=like.device)
    return line if align_corners else line * ((steps - 1) / steps)


def _affine_grid(theta, size, align_corners):
    spatial = size[2:]
    axes = [_base_coords(n, align_corners, theta) for n in reversed(spatial)]  # x (width) first
    mesh = [a.reshape(*[-1 if i == len(axes) - 1 - k else 1 for i in range(len(axes))]).expand(*spatial)
            for k, a in enumerate(axes)]
    base = stack(mesh + [ones(tuple(spatial), dtype=theta.dtype, device=theta.device)], -1)
    rows = base.reshape(1, -1, len(spatial) + 1)
    return (rows @ theta.transpose(1, 2)).reshape(size[0], *spatial, len(spatial))


def affine_grid(theta, size, align_corners=None):
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps theta (N, 2, 3) (or (N, 3, 4))
    applied to the normalised coordinates of an output of `size`, for grid_sample."""
    if align_corners is None:
        _warnings.warn(_ALIGN_WARNING)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(v) for v in size]
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                             f"torch.Size({list(theta.shape)}).")
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                             f"torch.Size({list(theta.shape)}).")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if align_corners and min(size[2:]) == 1:
        _warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                       "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                       "of affine_grid for details.")
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    return composite_node("AffineGridGeneratorBackward0", lambda t: _affine_grid(t, size, align_corners), (theta,))


# ----- grid_sample --------------------------------------------------------------------------------------------
def _unnormalize(coord, size, align_corners):
    """[-1, 1] -> pixel coordinates: the corner pixels' centres (align_corners) or their outer edges."""
    return (coord + 1) / 2 * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2


def _reflect(coord, twice_low, twice_high):
    """Reflect coordinates into [twice_low / 2, twice_high / 2], as often as needed."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    coord = (coord - low).abs()
    extra = coord.fmod(span)
    flips = (coord / span).floor().detach()
    return where(flips.remainder(2) == 0, extra + low, span - extra + low)


def _pad_coordinates(coord, size, padding_mode, align_corners):
    """Where an out-of-range coordinate reads: itself (zeros), the nearest edge (border), or its mirror
    image (reflection)."""
    if padding_mode == "border":
        return coord.clamp(0, size - 1)
    if padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        return coord.clamp(0, size - 1)
    return coord


def _gather(planes, sizes, idx):
    """planes (N, C, prod S) read at the integer positions idx[a] (N, *O) per axis; 0 outside the input."""
    inside, flat = True, 0
    for a, (i, n) in enumerate(zip(idx, sizes)):
        inside = inside & (i >= 0) & (i < n)
        stride = int(np.prod(sizes[a + 1:]))
        flat = flat + i.clamp(0, n - 1) * stride
    n_, c = planes.shape[:2]
    at = flat.reshape(n_, 1, -1).expand(n_, c, flat[0].numel())
    values = planes.gather(2, at).reshape(n_, c, *flat.shape[1:])
    return values * inside.unsqueeze(1).to(planes.dtype)


def _cubic(t):
    a = -0.75
    return [((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
            ((a + 2) * t - (a + 3)) * t * t + 1,
            ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
            ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a]


def _grid_sample(input, grid, mode, padding_mode, align_corners):
    nd = input.dim() - 2
    sizes = tuple(input.shape[2:])
    planes = input.reshape(input.shape[0], input.shape[1], -1)
    # grid's last dim is (x, y[, z]): x indexes the last (width) axis
    coords = [_unnormalize(grid[..., nd - 1 - a], sizes[a], align_corners) for a in range(nd)]
    if mode == "bicubic":
        base = [c.floor().detach() for c in coords]
        weights = [_cubic(c - b) for c, b in zip(coords, base)]
        rows = []
        for i in range(4):
            y = _pad_coordinates(base[0] - 1 + i, sizes[0], padding_mode, align_corners).detach()
            taps = []
            for j in range(4):
                x = _pad_coordinates(base[1] - 1 + j, sizes[1], padding_mode, align_corners).detach()
                taps.append(_gather(planes, sizes, (y.long(), x.long())))
            rows.append(sum(t * w.unsqueeze(1) for t, w in zip(taps, weights[1])))
        return sum(r * w.unsqueeze(1) for r, w in zip(rows, weights[0]))
    coords = [_pad_coordinates(c, n, padding_mode, align_corners) for c, n in zip(coords, sizes)]
    if mode == "nearest":
        return _gather(planes, sizes, tuple(c.detach().round().long() for c in coords))
    low = [c.floor().detach() for c in coords]
    out = 0
    for corner in np.ndindex(*(2,) * nd):
        weight, idx = 1, []
        for c, lo, k in zip(coords, low, corner):
            weight = weight * ((c - lo) if k else (lo + 1 - c))
            idx.append((lo + k).long())
        out = out + _gather(planes, sizes, tuple(idx)) * weight.unsqueeze(1)
    return out


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample input (N, C, H, W) at the grid's (x, y) in [-1, 1] (grid (N, H_out, W_out, 2)), or a 5-D
    input at (x, y, z); the output is (N, C, H_out, W_out)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        _warnings.warn(_ALIGN_WARNING)
        align_corners = False
    if input.dim() not in (4, 5) or grid.dim() != input.dim():
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, but "
                           f"got grid with sizes {list(grid.shape)}")
    if mode == "bicubic" and input.dim() == 5:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    name = "GridSampler2DBackward0" if input.dim() == 4 else "GridSampler3DBackward0"
    return composite_node(name, lambda x, g: _grid_sample(x, g, mode, padding_mode, align_corners), (input, grid))
