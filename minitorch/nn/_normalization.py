"""The normalisations beyond batch, layer and group norm: instance_norm (batch norm of each sample's
channels on their own), rms_norm (scaling by the root mean square, no centring) and local_response_norm
(each value divided by the energy of its neighbouring channels). Composed of existing ops, as torch
composes them. See https://pytorch.org/docs/stable/nn.functional.html#normalization-functions"""
import numpy as np

from ..autograd.grad_mode import no_grad
from ..ops.shape import cat
from ._layers import batch_norm

__all__ = ["instance_norm", "rms_norm", "local_response_norm"]


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample over its spatial positions: batch_norm of the input viewed as
    (1, N * C, ...). Running statistics (C,), when given, move towards the batch average of the samples'
    statistics."""
    shape = tuple(input.shape)
    if use_input_stats and int(np.prod(shape[2:])) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"torch.Size({list(shape)})")
    n, c = shape[0], shape[1]
    repeated = [t.repeat(n) if t is not None else None for t in (running_mean, running_var, weight, bias)]
    out = batch_norm(input.reshape(1, n * c, *shape[2:]), repeated[0], repeated[1], repeated[2], repeated[3],
                     use_input_stats, momentum, eps)
    with no_grad():
        for stat, moved in zip((running_mean, running_var), repeated[:2]):
            if stat is not None and use_input_stats:
                stat.copy_(moved.reshape(n, c).mean(0))
    return out.view(shape)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the last len(normalized_shape) dims, times weight; eps defaults to
    the machine epsilon of the input's dtype."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if k > input.dim() or tuple(input.shape[input.dim() - k:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*{', '.join(map(str, normalized_shape))}], but got input of size"
                           f"{list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(np.float64 if input.dtype.name == "float64" else np.float32).eps)
    dims = tuple(range(input.dim() - k, input.dim()))
    out = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels) ** beta; the window is centred on
    the channel (size // 2 before, (size - 1) // 2 after) and zero-padded at the ends."""
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got "
                         f"{input.dim()} dimensions)")
    if input.numel() == 0:
        return input
    squares = input * input
    channels = input.shape[1]
    before, after = size // 2, (size - 1) // 2
    pad_shape = list(input.shape)
    parts = []
    if before:
        pad_shape[1] = before
        parts.append(squares.new_zeros(pad_shape))
    parts.append(squares)
    if after:
        pad_shape[1] = after
        parts.append(squares.new_zeros(pad_shape))
    padded = cat(parts, 1) if len(parts) > 1 else squares
    window = padded.narrow(1, 0, channels)
    for i in range(1, size):
        window = window + padded.narrow(1, i, channels)
    return input / (window / size * alpha + k).pow(beta)
