"""interpolate (every mode, size or scale factor, align_corners, recompute_scale_factor), the upsample
helpers, grid_sample and affine_grid, pixel and channel shuffle, and the padding, upsampling, shuffle and
fold layers, against PyTorch: values, gradients (to the grid and the affine matrices too), node names,
float64 gradcheck, reprs, warnings and errors."""
import warnings

import numpy as np
import pytest

from ._module_parity import outcome, same
from ._ops_parity import check_grads, compare, data

_INPUTS = {1: data((2, 3, 5), seed=1), 2: data((2, 2, 5, 4), seed=2), 3: data((1, 2, 3, 4, 3), seed=3)}
_MODES = [("nearest", (1, 2, 3)), ("nearest-exact", (1, 2, 3)), ("linear", (1,)), ("bilinear", (2,)),
          ("trilinear", (3,)), ("bicubic", (2,)), ("area", (1, 2, 3))]
_SIZES = [{"scale_factor": 2}, {"scale_factor": 0.7}, {"size": 7}, {"scale_factor": 1.6,
                                                                     "recompute_scale_factor": True}]
INTERPOLATE = [(mode, nd, sizes, corners) for mode, ranks in _MODES for nd in ranks for sizes in _SIZES
               for corners in ([None] if mode in ("nearest", "nearest-exact", "area") else [False, True])]


@pytest.mark.parametrize("mode,nd,sizes,corners", INTERPOLATE)
def test_interpolate_matches_torch(torch, mode, nd, sizes, corners):
    def fn(lib, x):
        return lib.nn.functional.interpolate(x, mode=mode, align_corners=corners, **sizes)
    compare(torch, fn, _INPUTS[nd])
    compare(torch, fn, _INPUTS[nd].astype(np.float32))


@pytest.mark.parametrize("mode,nd", [("nearest", 2), ("bilinear", 2), ("bicubic", 2), ("trilinear", 3), ("area", 1),
                                     ("nearest-exact", 1)])
def test_interpolate_gradcheck(mode, nd):
    corners = None if mode in ("nearest", "area", "nearest-exact") else True
    check_grads(lambda L, x: L.nn.functional.interpolate(x, scale_factor=1.5, mode=mode, align_corners=corners),
                _INPUTS[nd][:1, :1])


def test_upsample_helpers_warn_and_match(torch):
    def scenario(lib):
        F = lib.nn.functional
        x = lib.tensor(_INPUTS[2])
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            outs = [F.upsample(x, scale_factor=2, mode="bilinear"), F.upsample_nearest(x, size=(3, 7)),
                    F.upsample_bilinear(x, scale_factor=1.5)]
        return [str(w.message) for w in seen], [np.round(o.numpy(), 9).tolist() for o in outs]
    same(scenario, torch)


def test_interpolate_errors(torch):
    def scenario(lib):
        F = lib.nn.functional
        x = lib.ones(1, 2, 4, 4)
        return [outcome(F.interpolate, x, size=3, scale_factor=2), outcome(F.interpolate, x),
                outcome(F.interpolate, x, size=(3, 3, 3)), outcome(F.interpolate, x, scale_factor=(2, 2, 2)),
                outcome(F.interpolate, x, size=3, mode="nearest", align_corners=True),
                outcome(F.interpolate, x, size=3, mode="linear"), outcome(F.interpolate, x, size=3, mode="trilinear"),
                outcome(F.interpolate, x, size=3, mode="bogus"), outcome(F.interpolate, lib.ones(2, 3), size=3),
                outcome(F.interpolate, x, size=3, recompute_scale_factor=True),
                outcome(F.interpolate, lib.ones(1, 2, 4), size=3, mode="bilinear", antialias=True)]
    same(scenario, torch)


# ----- grid_sample and affine_grid ----------------------------------------------------------------------------
GRIDS = [(mode, padding, corners, nd) for mode in ("bilinear", "nearest", "bicubic")
         for padding in ("zeros", "border", "reflection") for corners in (False, True)
         for nd in ((2,) if mode == "bicubic" else (2, 3))]
_IMAGES = {2: (data((2, 2, 5, 4), seed=4), np.random.default_rng(5).uniform(-1.3, 1.3, (2, 3, 4, 2))),
           3: (data((1, 2, 3, 4, 3), seed=6), np.random.default_rng(7).uniform(-1.2, 1.2, (1, 2, 3, 2, 3)))}


@pytest.mark.parametrize("mode,padding,corners,nd", GRIDS)
def test_grid_sample_matches_torch(torch, mode, padding, corners, nd):
    def fn(lib, x, grid):
        return lib.nn.functional.grid_sample(x, grid, mode=mode, padding_mode=padding, align_corners=corners)
    compare(torch, fn, *_IMAGES[nd])


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("padding", ["zeros", "reflection"])
def test_grid_sample_gradcheck(mode, padding):
    image, grid = _IMAGES[2]
    check_grads(lambda L, x, g: L.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding,
                                                             align_corners=False), image[:1, :1], grid[:1, :2])


@pytest.mark.parametrize("size", [[2, 3, 4, 5], [2, 3, 4, 5, 2], [2, 1, 1, 3]])
@pytest.mark.parametrize("corners", [False, True])
def test_affine_grid_matches_torch(torch, size, corners):
    theta = data((2, 2, 3) if len(size) == 4 else (2, 3, 4), seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size grids with align_corners
        compare(torch, lambda L, t: L.nn.functional.affine_grid(t, size, align_corners=corners), theta)
        check_grads(lambda L, t: L.nn.functional.affine_grid(t, size, align_corners=corners), theta)


def test_spatial_transformer_round_trip(torch):
    """affine_grid then grid_sample with the identity map gives the image back (align_corners=False)."""
    def scenario(lib):
        x = lib.tensor(_IMAGES[2][0])
        theta = lib.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]] * 2, dtype=lib.float64)
        grid = lib.nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
        return np.round(lib.nn.functional.grid_sample(x, grid, align_corners=False).numpy(), 9).tolist()
    assert np.allclose(same(scenario, torch), _IMAGES[2][0])


def test_grid_errors_and_warnings(torch):
    def scenario(lib):
        F = lib.nn.functional
        x, grid, theta = lib.ones(1, 2, 3, 3), lib.zeros(1, 2, 2, 2), lib.zeros(1, 2, 3)
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            F.grid_sample(x, grid)
            F.affine_grid(theta, [1, 2, 3, 3])
            F.affine_grid(theta, [1, 2, 1, 3], align_corners=True)
        return [str(w.message) for w in seen], [
            outcome(F.grid_sample, x, grid, mode="area"), outcome(F.grid_sample, x, grid, padding_mode="wrap"),
            outcome(F.grid_sample, x, lib.zeros(1, 2, 2, 3), align_corners=True),
            outcome(F.grid_sample, x, lib.zeros(2, 2, 2, 2), align_corners=True),
            outcome(F.grid_sample, lib.ones(1, 2, 2, 2, 2), lib.zeros(1, 2, 2, 2, 3), mode="bicubic",
                    align_corners=True),
            outcome(F.affine_grid, lib.zeros(1, 2, 3, dtype=lib.long), [1, 2, 3, 3], align_corners=False),
            outcome(F.affine_grid, theta, [1, 2, 3, 3, 3], align_corners=False),
            outcome(F.affine_grid, theta, [1, 2, 3], align_corners=False),
            outcome(F.affine_grid, theta, [1, 2, 0, 3], align_corners=False)]
    same(scenario, torch)


# ----- shuffles ---------------------------------------------------------------------------------------------------
SHUFFLES = [
    ("pixel_shuffle", lambda L, x: L.nn.functional.pixel_shuffle(x, 2), (2, 8, 3, 2)),
    ("pixel_shuffle_5d", lambda L, x: L.nn.functional.pixel_shuffle(x, 3), (2, 2, 9, 2, 2)),
    ("pixel_unshuffle", lambda L, x: L.nn.functional.pixel_unshuffle(x, 2), (2, 3, 4, 6)),
    ("channel_shuffle", lambda L, x: L.nn.functional.channel_shuffle(x, 3), (2, 6, 2, 3)),
    ("native_channel_shuffle", lambda L, x: L.nn.functional.native_channel_shuffle(x, 2), (2, 6, 4)),
]


@pytest.mark.parametrize("name,fn,shape", SHUFFLES, ids=[c[0] for c in SHUFFLES])
def test_shuffles_match_torch(torch, name, fn, shape):
    if name == "native_channel_shuffle":  # no derivative in torch either: compare values and the node only
        def scenario(lib):
            out = fn(lib, lib.tensor(data(shape), requires_grad=True))
            return out.detach().numpy().tolist(), out.grad_fn.name(), outcome(out.sum().backward)
        same(scenario, torch)
        return
    compare(torch, fn, data(shape))
    check_grads(fn, data(shape))


def test_shuffle_errors(torch):
    def scenario(lib):
        F = lib.nn.functional
        return [outcome(F.pixel_shuffle, lib.ones(2, 5, 3, 3), 2), outcome(F.pixel_shuffle, lib.ones(5, 3), 2),
                outcome(F.pixel_shuffle, lib.ones(4, 3, 3), 0), outcome(F.pixel_unshuffle, lib.ones(2, 4, 7, 6), 2),
                outcome(F.pixel_unshuffle, lib.ones(2, 4, 6, 7), 2), outcome(F.pixel_unshuffle, lib.ones(4, 6, 6), 0),
                outcome(F.channel_shuffle, lib.ones(2, 5, 3), 2), outcome(F.channel_shuffle, lib.ones(2, 4, 3), 0),
                outcome(F.channel_shuffle, lib.ones(4), 2)]
    same(scenario, torch)


# ----- layers ------------------------------------------------------------------------------------------------------
def test_layers_match_torch(torch):
    def scenario(lib):
        nn = lib.nn
        x1, x2, x3 = (lib.tensor(data(s, seed=i)) for i, s in enumerate([(2, 3, 5), (2, 4, 6, 4), (1, 2, 3, 4, 3)]))
        layers = [(nn.PixelShuffle(2), x2), (nn.PixelUnshuffle(2), x2), (nn.ChannelShuffle(2), x2),
                  (nn.Upsample(scale_factor=2), x2), (nn.Upsample(size=3, mode="bilinear", align_corners=True), x2),
                  (nn.Upsample(scale_factor=(1.5, 2.0), mode="bicubic"), x2), (nn.UpsamplingNearest2d(size=(3, 7)), x2),
                  (nn.UpsamplingBilinear2d(scale_factor=2), x2), (nn.Unfold((2, 3), padding=1), x2),
                  (nn.Fold(4, 2), lib.tensor(data((2, 8, 9), seed=7))), (nn.ConstantPad1d(2, 3.5), x1),
                  (nn.ConstantPad2d((1, 2, 0, 1), -1.0), x2), (nn.ConstantPad3d(1, 0.5), x3),
                  (nn.ZeroPad1d((1, 0)), x1), (nn.ZeroPad2d(1), x2), (nn.ZeroPad3d((1, 0, 0, 1, 1, 0)), x3),
                  (nn.ReflectionPad1d(2), x1), (nn.ReflectionPad2d((1, 2, 2, 1)), x2), (nn.ReflectionPad3d(1), x3),
                  (nn.ReplicationPad1d((3, 1)), x1), (nn.ReplicationPad2d(2), x2),
                  (nn.ReplicationPad3d((1, 2, 0, 1, 2, 0)), x3), (nn.CircularPad1d(2), x1),
                  (nn.CircularPad2d((1, 0, 2, 1)), x2), (nn.CircularPad3d(1), x3)]
        return [(repr(m), sorted(getattr(type(m), "__constants__", [])), np.round(m(x).numpy(), 9).tolist())
                for m, x in layers], [outcome(nn.CircularPad2d(1), x3)]
    same(scenario, torch)
