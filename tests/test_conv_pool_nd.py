"""conv3d, conv_transpose1d/3d, conv_tbc, the 3-D / adaptive / fractional / LP pools, max unpooling, the
*_with_indices forms and their layers against PyTorch: values, indices, gradients, grad_fn names, float64
gradcheck with double backward, fractional pooling's random stream, reprs and errors."""
import warnings

import numpy as np
import pytest

import minitorch

from ._module_parity import copy_state, outcome, same
from ._ops_parity import check_grads, compare, data


def _F(name, *args, **kwargs):
    return lambda L, *t: getattr(L.nn.functional, name)(*t, *args, **kwargs)


X3, X4, X5 = data((2, 3, 9), seed=1), data((2, 3, 7, 6), seed=2), data((1, 3, 5, 4, 5), seed=3)
S5 = data((1, 1, 4, 3, 4), seed=3)  # a smaller 3-D input for the (slow) finite-difference checks
# (id, fn, arrays[, arrays for gradcheck])
CASES = [
    ("conv3d", _F("conv3d", stride=(1, 2, 1), padding=(1, 0, 1), dilation=(2, 1, 1), groups=3),
     [X5, data((6, 1, 2, 3, 2), seed=4), data((6,), seed=5)]),
    ("conv3d_same", _F("conv3d", padding="same"), [X5[:, :2, :3], data((2, 2, 3, 2, 3), seed=4)]),
    ("conv3d_unbatched", _F("conv3d", stride=2), [X5[0, :2], data((2, 2, 2, 2, 2), seed=4)]),
    ("conv_transpose1d", _F("conv_transpose1d", stride=2, padding=1, output_padding=1),
     [X3, data((3, 4, 3), seed=4), data((4,), seed=5)]),
    ("conv_transpose1d_groups", _F("conv_transpose1d", groups=3, dilation=2), [X3, data((3, 2, 2), seed=4)]),
    ("conv_transpose3d", _F("conv_transpose3d", stride=(2, 1, 2), padding=(1, 0, 0), output_padding=(1, 0, 1)),
     [X5[:1, :, :3, :4, :3], data((3, 2, 2, 3, 2), seed=4), data((2,), seed=5)]),
    ("conv_tbc", _F("conv_tbc", 1), [data((7, 2, 3), seed=1), data((3, 3, 5), seed=2), data((5,), seed=3)]),
    ("max_pool3d", _F("max_pool3d", (2, 3, 2), (1, 2, 2), (1, 1, 0), (2, 1, 1), True, True), [X5], [S5]),
    ("max_pool3d_with_indices", _F("max_pool3d_with_indices", 2), [X5[0]], [S5[0]]),
    ("max_pool1d_with_indices", _F("max_pool1d_with_indices", 3, 2, 1), [X3]),
    ("max_pool2d_with_indices", _F("max_pool2d_with_indices", 2, ceil_mode=True), [X4]),
    ("avg_pool3d", _F("avg_pool3d", (2, 3, 2), (1, 2, 2), (1, 1, 0), True), [X5], [S5]),
    ("avg_pool3d_exclude_pad", _F("avg_pool3d", 3, 2, 1, count_include_pad=False), [X5], [S5]),
    ("avg_pool3d_divisor", _F("avg_pool3d", 2, divisor_override=3), [X5[0]], [S5[0]]),
    ("adaptive_avg_pool1d", _F("adaptive_avg_pool1d", 4), [X3]),
    ("adaptive_avg_pool3d", _F("adaptive_avg_pool3d", (4, None, 3)), [X5], [S5]),
    ("adaptive_max_pool1d", _F("adaptive_max_pool1d", 4, True), [X3]),
    ("adaptive_max_pool1d_with_indices", _F("adaptive_max_pool1d_with_indices", 5), [X3[0]]),
    ("adaptive_max_pool2d", _F("adaptive_max_pool2d", (4, 5), True), [X4]),
    ("adaptive_max_pool2d_with_indices", _F("adaptive_max_pool2d_with_indices", (None, 4)), [X4]),
    ("adaptive_max_pool3d", _F("adaptive_max_pool3d", (4, 3, 2), True), [X5], [S5]),
    ("adaptive_max_pool3d_with_indices", _F("adaptive_max_pool3d_with_indices", 2), [X5[0]], [S5[0]]),
    ("lp_pool1d", _F("lp_pool1d", 2, 3, 2), [X3]),
    ("lp_pool2d", _F("lp_pool2d", 1.5, 2, ceil_mode=True), [np.abs(X4) + 0.1]),
    ("lp_pool2d_inf", _F("lp_pool2d", float("inf"), 2), [X4]),
    ("lp_pool3d", _F("lp_pool3d", 3, (2, 2, 1)), [np.abs(X5) + 0.1], [np.abs(S5) + 0.1]),
    ("max_unpool1d", lambda L, x: L.nn.functional.max_unpool1d(*L.nn.functional.max_pool1d(x, 2, return_indices=True),
                                                                2, output_size=[9]), [X3]),
    ("max_unpool2d", lambda L, x: L.nn.functional.max_unpool2d(*L.nn.functional.max_pool2d(x, 2, return_indices=True),
                                                                2, output_size=(2, 3, 7, 7)), [X4]),
    ("max_unpool3d", lambda L, x: L.nn.functional.max_unpool3d(
        *L.nn.functional.max_pool3d(x, 2, 2, 1, return_indices=True), 2, 2, 1),
     [X5[:, :, :4, :4, :4]], [X5[:, :1, :4, :4, :4]]),
]
CASES = [c if len(c) == 4 else c + (c[2],) for c in CASES]


@pytest.mark.parametrize("name,fn,arrays,_", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(torch, name, fn, arrays, _):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # padding='same' with an even kernel
        compare(torch, fn, *arrays)
        compare(torch, fn, *[a.astype(np.float32) for a in arrays])


@pytest.mark.parametrize("name,fn,_,arrays", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(name, fn, _, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_grads(fn, *arrays)


@pytest.mark.parametrize("nd,shape", [(2, (2, 3, 7, 6)), (3, (2, 2, 6, 7, 5))])
@pytest.mark.parametrize("size", ["output_size", "output_ratio"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fractional_max_pool_draws_torch_stream(torch, nd, shape, size, dtype):
    """The window starts come from rand(N, C, nd) of the default generator, as in torch."""
    kwargs = {"output_size": (4, 3, 3)[:nd]} if size == "output_size" else {"output_ratio": (0.6, 0.7, 0.5)[:nd]}
    name = f"fractional_max_pool{nd}d"

    def fn(lib, x):
        lib.manual_seed(3)
        return getattr(lib.nn.functional, name)(x, (2, 3, 2)[:nd], return_indices=True, **kwargs)

    def with_indices(lib, x):
        lib.manual_seed(3)
        return getattr(lib.nn.functional, name + "_with_indices")(x, (2, 3, 2)[:nd], **kwargs)
    compare(torch, fn, data(shape, dtype, seed=4))
    compare(torch, with_indices, data(shape, dtype, seed=4))
    small = (1, 2, 5, 5, 5)[:nd + 2]  # 3-D keeps one spare element per axis, as torch requires
    samples = minitorch.rand(1, 2, nd, dtype=minitorch.float64)
    check_grads(lambda L, x: getattr(L.nn.functional, name)(x, 2, output_size=(3, 3, 3)[:nd],
                                                           _random_samples=samples), data(small, seed=4))


def test_layers_match_torch(torch):
    layers = {}
    for lib in (minitorch, torch):
        lib.manual_seed(0)
        nn = lib.nn
        layers[lib.__name__] = [
            nn.Conv3d(3, 4, (2, 3, 2), stride=(1, 2, 1), padding=1, dtype=lib.float64),
            nn.Conv3d(3, 3, 3, padding="same", groups=3, padding_mode="circular", dtype=lib.float64),
            nn.Conv3d(3, 2, 2, padding=1, padding_mode="reflect", bias=False, dtype=lib.float64),
            nn.ConvTranspose1d(3, 4, 3, stride=2, dtype=lib.float64),
            nn.ConvTranspose3d(3, 2, 2, stride=2, padding=1, dilation=2, dtype=lib.float64),
            nn.MaxPool3d(2, stride=1, padding=1), nn.AvgPool3d((2, 1, 2), 1, (1, 0, 1), True, False, 3),
            nn.AdaptiveAvgPool3d((3, None, 2)), nn.AdaptiveMaxPool3d(2), nn.LPPool3d(2, 2),
            nn.FractionalMaxPool3d(2, output_ratio=0.5)]
        layers[lib.__name__][-1].eval()
    for ours, theirs in zip(layers["minitorch"], layers["torch"]):
        copy_state(theirs, ours)

    def scenario(lib):
        lib.manual_seed(1)
        x = lib.tensor(data((2, 3, 4, 5, 4), seed=6))
        outs = [m(x if not isinstance(m, lib.nn.ConvTranspose1d) else x[:, :, 0, 0]) for m in layers[lib.__name__]]
        return [repr(m) for m in layers[lib.__name__]], [np.round(o.detach().numpy(), 9).tolist() for o in outs]
    same(scenario, torch)


def test_other_layers_and_reprs(torch):
    def scenario(lib):
        lib.manual_seed(0)
        nn = lib.nn
        x1, x2 = lib.tensor(data((2, 3, 8), seed=1)), lib.tensor(data((2, 3, 8, 6), seed=2))
        pool1, pool2 = nn.MaxPool1d(2, return_indices=True), nn.MaxPool2d(2, return_indices=True)
        values1, idx1 = pool1(x1)
        values2, idx2 = pool2(x2)
        layers = [nn.AdaptiveAvgPool1d(3), nn.AdaptiveMaxPool1d(2), nn.AdaptiveMaxPool2d((3, None), True),
                  nn.LPPool1d(2, 3), nn.LPPool2d(1.5, 2, 1), nn.MaxUnpool1d(2), nn.MaxUnpool2d(2, 2, 0),
                  nn.MaxUnpool3d(2, 1, 1), nn.FractionalMaxPool2d(2, output_size=3),
                  nn.ConvTranspose1d(2, 3, 2, bias=False), nn.ConvTranspose3d(2, 4, (1, 2, 3), groups=2)]
        outs = [layers[0](x1), layers[1](x1), layers[2](x2)[1], layers[3](x1), layers[4](x2.abs()),
                layers[5](values1, idx1), layers[6](values2, idx2), layers[6](values2, idx2, output_size=[9, 7])]
        return [repr(m) for m in layers], [np.round(o.numpy(), 9).tolist() for o in outs]
    same(scenario, torch)


def test_conv_transpose_output_size(torch):
    layers = {}
    for lib in (minitorch, torch):
        lib.manual_seed(0)
        layers[lib.__name__] = (lib.nn.ConvTranspose1d(2, 3, 3, stride=3, dtype=lib.float64),
                                lib.nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1, dtype=lib.float64))
    for ours, theirs in zip(layers["minitorch"], layers["torch"]):
        copy_state(theirs, ours)

    def scenario(lib):
        one, three = layers[lib.__name__]
        x1, x3 = lib.tensor(data((1, 2, 4), seed=1)), lib.tensor(data((1, 2, 3, 3, 3), seed=2))
        return [tuple(one(x1, output_size=[13]).shape), tuple(one(x1, output_size=(1, 3, 14)).shape),
                tuple(three(x3, output_size=[6, 5, 6]).shape), outcome(one, x1, output_size=[20]),
                outcome(one, x1, output_size=[1, 13]), outcome(three, x3[0], output_size=[1, 2, 3, 4])]
    same(scenario, torch)


def test_errors(torch):
    def scenario(lib):
        F, nn = lib.nn.functional, lib.nn
        x5 = lib.ones(2, 3, 4, 4, 4)
        x3 = lib.ones(2, 3, 4)
        return [outcome(F.conv3d, x5, lib.ones(2, 2, 2, 2, 2)), outcome(F.conv3d, x5, lib.ones(2, 3, 5, 5, 5)),
                outcome(F.conv3d, lib.ones(2, 3, 4), lib.ones(2, 3, 2, 2, 2)),
                outcome(F.conv3d, x5, lib.ones(2, 3, 2, 2, 2), stride=(1, 2)),
                outcome(F.conv_transpose1d, x3, lib.ones(3, 2, 2), output_padding=2),
                outcome(F.conv_transpose3d, x5, lib.ones(2, 2, 2, 2, 2)),
                outcome(F.conv_tbc, x3, lib.ones(2, 3, 5), lib.ones(5)),
                outcome(F.conv_tbc, x3, lib.ones(2, 4, 5), lib.ones(4)),
                outcome(F.max_pool3d, x5, 2, padding=2), outcome(F.max_pool3d, x5, 5),
                outcome(F.max_pool3d, lib.ones(4, 4, 4), 2), outcome(F.max_pool3d, x5, 2, stride=0),
                outcome(F.max_pool3d, x5, 2, dilation=0), outcome(F.avg_pool3d, x5, 5),
                outcome(F.avg_pool3d, x5, 2, divisor_override=0),
                outcome(F.adaptive_avg_pool3d, lib.ones(4, 4, 4), 2),
                outcome(F.adaptive_max_pool3d, lib.ones(4, 4, 4), 2),
                outcome(F.adaptive_max_pool2d, lib.ones(4, 4), 2), outcome(F.adaptive_max_pool1d, x5[0], 2),
                outcome(F.adaptive_avg_pool1d, x3, (2, 2)),
                outcome(F.fractional_max_pool2d, lib.ones(2, 3, 4, 4), 2),
                *[outcome(F.fractional_max_pool2d, lib.ones(2, 3, 4, 4), 2, size) for size in ((4, 2), (2, 4))],
                *[outcome(F.fractional_max_pool3d, x5, 2, size) for size in ((3, 2, 2), (2, 3, 2), (2, 2, 3))],
                outcome(F.fractional_max_pool2d, lib.ones(2, 3, 4, 4), 2, output_ratio=0.5),
                outcome(F.max_unpool2d, lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 2, dtype=lib.long), 2,
                        output_size=(9, 9)),
                outcome(F.max_unpool2d, lib.ones(1, 1, 2, 2), lib.full((1, 1, 2, 2), 20), 2),
                outcome(F.max_unpool2d, lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 3, dtype=lib.long), 2),
                outcome(nn.FractionalMaxPool2d, 2), outcome(nn.FractionalMaxPool2d, 2, 3, 0.5),
                outcome(nn.FractionalMaxPool3d, 2, output_ratio=1.5),
                outcome(nn.ConvTranspose3d, 2, 2, 2, padding_mode="reflect")]
    same(scenario, torch)
