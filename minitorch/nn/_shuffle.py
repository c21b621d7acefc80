"""Rearrangements of channels and pixels: pixel_shuffle (channels to space, for sub-pixel upsampling),
pixel_unshuffle (its inverse) and channel_shuffle (interleaving channel groups, as in ShuffleNet). Each
is a permutation: one linear node whose backward is the inverse permutation.
See https://pytorch.org/docs/stable/generated/torch.nn.PixelShuffle.html"""
from .._device import array_module
from ..ops._core import make
from ._conv import _linear

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"]


def _shuffle_pixels(a, r):
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r)."""
    lead, (c, h, w) = a.shape[:-3], a.shape[-3:]
    n = len(lead)
    a = a.reshape(lead + (c // (r * r), r, r, h, w))
    a = a.transpose(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return array_module(a).ascontiguousarray(a).reshape(lead + (c // (r * r), h * r, w * r))


def _unshuffle_pixels(a, r):
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W)."""
    lead, (c, h, w) = a.shape[:-3], a.shape[-3:]
    n = len(lead)
    a = a.reshape(lead + (c, h // r, r, w // r, r))
    a = a.transpose(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return array_module(a).ascontiguousarray(a).reshape(lead + (c * r * r, h // r, w // r))


def _check_rank(input, name):
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with {input.dim()} "
                           f"dimension(s)")


def pixel_shuffle(input, upscale_factor):
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r): each group of r^2 channels becomes an r x r block."""
    r = upscale_factor
    _check_rank(input, "pixel_shuffle")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if input.shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={input.shape[-3]} is not divisible by {r * r}")
    return _linear(input, lambda a: _shuffle_pixels(a, r), lambda g: _unshuffle_pixels(g, r),
                   "PixelShuffleBackward0", "PixelUnshuffleBackward0")


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W): the inverse of pixel_shuffle."""
    r = downscale_factor
    _check_rank(input, "pixel_unshuffle")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    for axis, label in ((-2, "height"), (-1, "width")):
        if input.shape[axis] % r:
            raise RuntimeError(f"pixel_unshuffle expects {label} to be divisible by downscale_factor, but "
                               f"input.size({axis})={input.shape[axis]} is not divisible by {r}")
    return _linear(input, lambda a: _unshuffle_pixels(a, r), lambda g: _shuffle_pixels(g, r),
                   "PixelUnshuffleBackward0", "PixelShuffleBackward0")


def _shuffle_channels(a, groups):
    """(N, C, *) -> (N, C, *) with channel g * (C / groups) + k moved to k * groups + g."""
    n, c, rest = a.shape[0], a.shape[1], a.shape[2:]
    a = a.reshape((n, groups, c // groups) + rest).swapaxes(1, 2)
    return array_module(a).ascontiguousarray(a).reshape((n, c) + rest)


def _check_groups(input, groups):
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    if input.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {input.shape[1]} channels and "
                           f"{groups} groups.")


def channel_shuffle(input, groups):
    """Interleave the channels of (N, C, *) from `groups` groups: the shuffle of ShuffleNet."""
    _check_groups(input, groups)
    inverse = input.shape[1] // groups  # shuffling with C / groups groups undoes it
    return _linear(input, lambda a: _shuffle_channels(a, groups), lambda g: _shuffle_channels(g, inverse),
                   "ChannelShuffleBackward0", "ChannelShuffleBackward0")


def _not_differentiable(g):
    raise RuntimeError("derivative for aten::native_channel_shuffle is not implemented")


def native_channel_shuffle(input, groups):
    """channel_shuffle without a derivative on cpu (torch's cpu kernel defines none); on other devices torch
    composes it of views, a permute and a copy, which differentiate as usual."""
    _check_groups(input, groups)
    if input.device.type != "cpu":
        n, c = input.shape[:2]
        return input.view(n, groups, c // groups, -1).permute(0, 2, 1, 3).contiguous().reshape(input.shape)
    return make(_shuffle_channels(input._data, groups), "torch::autograd::NotImplemented", (input,),
                _not_differentiable, saves=False)
