"""Stateless building blocks behind the nn layers (torch.nn.functional): call them with explicit weights.
See https://pytorch.org/docs/stable/nn.functional.html"""
from .. import _dispatch
from .._device import array_module
from ..autograd.grad_mode import no_grad
from ..ops._core import make, sum_to
from ..ops.inplace import inplace_variant
from ..ops.linalg import _check_mm, matmul, mm_grads
from ..ops.pointwise import _dtype_name, relu as _relu, where
from ._conv import (adaptive_avg_pool2d, avg_pool1d, avg_pool2d, conv1d, conv2d, conv_transpose2d, fold,  # noqa: F401
                    max_pool1d, max_pool2d, unfold)
from . import (_activations, _attention, _convnd, _ctc, _distance, _dropout, _embedding_bag, _grid, _layers, _likelihood_losses,
               _margin_losses, _normalization, _pooling_nd, _sampling, _shuffle)
from ._activations import *  # noqa: F401,F403 (relu6, selu, mish, glu, prelu, rrelu, shrinkage, gumbel_softmax ...)
from ._attention import *  # noqa: F401,F403 (scaled_dot_product_attention, multi_head_attention_forward)
from ._attention import _canonical_mask, _in_projection, _in_projection_packed, _mha_shape_check, _none_or_dtype  # noqa: F401
from ._convnd import *  # noqa: F401,F403 (conv3d, conv_transpose1d, conv_transpose3d, conv_tbc)
from ._ctc import *  # noqa: F401,F403 (ctc_loss)
from ._distance import *  # noqa: F401,F403 (cosine_similarity, pairwise_distance, pdist)
from ._dropout import *  # noqa: F401,F403 (dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout)
from ._embedding_bag import *  # noqa: F401,F403 (embedding_bag)
from ._grid import *  # noqa: F401,F403 (affine_grid, grid_sample)
from ._layers import *  # noqa: F401,F403 (normalisation, dropout, embedding, activations, losses)
from ._likelihood_losses import *  # noqa: F401,F403 (huber_loss, kl_div, poisson_nll_loss, gaussian_nll_loss)
from ._margin_losses import *  # noqa: F401,F403 (soft margin, multi-label, multi-class, ranking, embedding, triplet)
from ._normalization import *  # noqa: F401,F403 (instance_norm, rms_norm, local_response_norm)
from ._pooling_nd import *  # noqa: F401,F403 (3-D, adaptive, fractional, LP pooling, unpooling)
from ._sampling import *  # noqa: F401,F403 (interpolate, upsample*)
from ._shuffle import *  # noqa: F401,F403 (pixel_shuffle, pixel_unshuffle, channel_shuffle)

__all__ = ["linear", "relu", "relu_", "leaky_relu", "tanh", "sigmoid"]
__all__ += ["conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
            "adaptive_avg_pool2d", "unfold", "fold"]
for _part in (_layers, _activations, _dropout, _distance, _likelihood_losses, _margin_losses, _ctc, _normalization,
              _embedding_bag, _convnd, _pooling_nd, _sampling, _grid, _shuffle, _attention):
    __all__ += _part.__all__

# The functions torch writes in Python, as they hand a call to __torch_function__: the first n arguments
# positionally, the named ones as keywords (the others arrive exactly as the caller passed them).
TORCH_ARGS = {
    "relu": (1, ("inplace",)), "leaky_relu": (1, ("negative_slope", "inplace")),
    "elu": (1, ("alpha", "inplace")), "silu": (1, ("inplace",)), "hardtanh": (1, ("min_val", "max_val", "inplace")),
    "softmax": (1, ("dim", "_stacklevel", "dtype")), "log_softmax": (1, ("dim", "_stacklevel", "dtype")),
    "dropout": (1, ("p", "training", "inplace")),
    "max_pool1d": (2, ("stride", "padding", "dilation", "ceil_mode", "return_indices")),
    "max_pool2d": (2, ("stride", "padding", "dilation", "ceil_mode", "return_indices")),
    "adaptive_avg_pool2d": (2, ()), "unfold": (2, ("dilation", "padding", "stride")),
    "fold": (3, ("dilation", "padding", "stride")), "pad": (2, ("mode", "value")),
    "embedding": (2, ("padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse")),
    "batch_norm": (3, ("weight", "bias", "training", "momentum", "eps")),
    "layer_norm": (2, ("weight", "bias", "eps")), "group_norm": (2, ("weight", "bias", "eps")),
    "normalize": (1, ("p", "dim", "eps", "out")),
    "mse_loss": (2, ("size_average", "reduce", "reduction", "weight")),
    "l1_loss": (2, ("size_average", "reduce", "reduction")),
    "smooth_l1_loss": (2, ("size_average", "reduce", "reduction", "beta")),
    "cross_entropy": (2, ("weight", "size_average", "ignore_index", "reduce", "reduction", "label_smoothing")),
    "nll_loss": (2, ("weight", "size_average", "ignore_index", "reduce", "reduction")),
    "binary_cross_entropy": (2, ("weight", "size_average", "reduce", "reduction")),
    "binary_cross_entropy_with_logits": (2, ("weight", "size_average", "reduce", "reduction", "pos_weight")),
}


def _addmm(bias, mat1, mat2):
    """bias + mat1 @ mat2 as one graph node (AddmmBackward0): the fused kernel torch's linear runs."""
    for name, t in (("mat1", mat1), ("self", bias)):
        if t.dtype is not mat2.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got {_dtype_name(t.dtype)} and "
                               f"{_dtype_name(mat2.dtype)}")
    _check_mm(mat1._data, mat2._data)
    with no_grad():
        bias.expand(mat1.shape[0], mat2.shape[1])  # torch's error when bias does not fit the output

    def backward(g):
        return (sum_to(g, bias.shape) if bias._requires_grad else None,) + mm_grads(g, mat1, mat2)
    return make(mat1._data @ mat2._data + bias._data, "AddmmBackward0", (bias, mat1, mat2), backward)


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias over the last dimension of `input` (weight: (out_features, in_features)).

    Built as torch builds it, so results carry the same grad_fn: one addmm for a matrix; a contiguous input
    of another rank is flattened to rows, passed through addmm and viewed back."""
    wt = weight.t()
    if bias is None:
        return matmul(input, wt)
    if input.dim() == 2:
        return _addmm(bias, input, wt)
    if input.dim() == 1 or input.is_contiguous():
        out = _addmm(bias, input.reshape(-1, input.shape[-1]), wt)
        return out.reshape(*input.shape[:-1], weight.shape[0])
    return matmul(input, wt) + bias


def relu(input, inplace=False):
    """max(input, 0) elementwise."""
    return input.relu_() if inplace else _relu(input)


def relu_(input):
    """In-place relu."""
    return input.relu_()


def _leaky_relu(input, negative_slope):
    data = input._data
    out = array_module(data).where(data > 0, data, data * data.dtype.type(negative_slope))
    return make(out, "LeakyReluBackward0", (input,),
                lambda g: (where(input > 0, g, g * negative_slope),))


_leaky_relu_ = inplace_variant(_leaky_relu)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """input where positive, negative_slope * input elsewhere."""
    return _leaky_relu_(input, negative_slope) if inplace else _leaky_relu(input, negative_slope)


def tanh(input):
    """Elementwise tanh (torch's F.tanh is the tensor method)."""
    return input.tanh()


def sigmoid(input):
    """Elementwise logistic function (torch's F.sigmoid is the tensor method)."""
    return input.sigmoid()


# Each public function is an entry of the dispatch door, except tanh and sigmoid, which call the method.
globals().update({name: _dispatch.public(globals()[name], f"torch.nn.functional.{name}",
                                         torch_args=TORCH_ARGS.get(name))
                  for name in __all__ if name not in ("tanh", "sigmoid")})
