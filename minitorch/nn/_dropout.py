"""Channel-wise dropout (dropout1d/2d/3d, which zero whole feature maps) and alpha dropout (which keeps the
mean and variance of SELU activations), as torch builds them: a random mask multiplied in, so the
gradient flows through the kept elements. See https://pytorch.org/docs/stable/nn.functional.html#dropout-functions"""
import math

from .. import _warnings
from .._creation import rand, zeros
from .._tensor import Tensor

__all__ = ["dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_SELU_NEGATIVE = 1.7580993408473766  # -(SELU's lowest value): where alpha dropout sends dropped elements


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep(shape, p, like):
    """A {0, 1} mask of `shape` in like's dtype: each entry kept (1) with probability 1 - p."""
    keep = rand(shape, device=like.device)._data >= p
    return Tensor._wrap(keep.astype(like._data.dtype))


def _noise_shape(input):
    """One draw per feature map: (N, C, 1, ...) for an input (N, C, ...)."""
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return tuple(input.shape[:2]) + (1,) * (input.dim() - 2)


def _dropout_impl(input, p, training, inplace, feature, alpha):
    """torch's one dropout routine: plain or per feature map, scaled by 1/(1-p) or alpha-shifted."""
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        mask = zeros((), dtype=input.dtype, device=input.device)
        return input.mul_(mask) if inplace else input * mask
    noise = _keep(_noise_shape(input) if feature else tuple(input.shape), p, input)
    if not alpha:
        mask = noise / (1 - p)
        return input.mul_(mask) if inplace else input * mask
    a = 1.0 / math.sqrt((_SELU_NEGATIVE ** 2 * p + 1) * (1 - p))
    b = (noise - 1) * (_SELU_NEGATIVE * a) + _SELU_NEGATIVE * a * p
    noise = noise * a
    return input.mul_(noise).add_(b) if inplace else input * noise + b


def _feature_dropout(input, p, training, inplace, batched, alpha=False):
    """Feature dropout of a batched input, or of an unbatched one viewed with a batch of one."""
    if batched:
        return _dropout_impl(input, p, training, inplace, True, alpha)
    if inplace:
        _dropout_impl(input.unsqueeze(0), p, training, True, True, alpha)
        return input
    return _dropout_impl(input.unsqueeze(0), p, training, False, True, alpha).squeeze(0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) with probability p; scale the rest by 1/(1-p)."""
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, input.dim() == 3)


def _deprecated_rank(name, ndim, spatial):
    _warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in an error "
                   "in a future release. To retain the behavior and silence this warning, please use dropout "
                   f"instead. Note that {name} exists to provide channel-wise dropout on inputs with {spatial} "
                   f"spatial dimensions, a channel dimension, and an optional batch dimension (i.e. {spatial + 1}D "
                   f"or {spatial + 2}D inputs).")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) with probability p; a 3-D input is taken as (N, C, L), as torch
    does (with its warning)."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (3, 4):
        _deprecated_rank("dropout2d", ndim, 2)
    if ndim == 3:
        _warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                       "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                       "This behavior will change in a future release to interpret the input as one without a "
                       "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                       "please switch to using dropout1d instead.")
    return _dropout_impl(input, p, training, inplace, True, False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (4, 5):
        _deprecated_rank("dropout3d", ndim, 3)
    return _feature_dropout(input, p, training, inplace, ndim == 5)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped elements are set to SELU's negative saturation and the result is
    scaled and shifted so that mean and variance stay those of the input."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, False, True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (dim 1)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, True, True)
