"""Stateless building blocks behind the nn layers (torch.nn.functional): call them with explicit weights.
See https://pytorch.org/docs/stable/nn.functional.html"""
from .. import _dispatch
from .._device import array_module
from ..ops._core import make, sum_to
from ..ops.inplace import inplace_variant
from ..ops.linalg import _check_mm, matmul, mm_grads, product
from ..ops.pointwise import _dtype_name, relu as _relu, where
from ..ops.shape import _expanded_shape
from ._conv import (adaptive_avg_pool2d, avg_pool1d, avg_pool2d, conv1d, conv2d, conv_transpose2d, fold,  # noqa: F401
                    max_pool1d, max_pool2d, unfold)
from . import (_activations, _attention, _convnd, _ctc, _distance, _dropout, _embedding_bag, _functional_utils,
               _grid, _grouped_mm, _layers, _likelihood_losses, _linear_cross_entropy, _margin_losses, _normalization,
               _pooling_nd, _sampling, _shuffle)
from ._activations import *  # noqa: F401,F403 (relu6, selu, mish, glu, prelu, rrelu, shrinkage, gumbel_softmax ...)
from ._attention import *  # noqa: F401,F403 (scaled_dot_product_attention, multi_head_attention_forward)
from ._attention import (_canonical_mask, _in_projection, _in_projection_packed, _mha_shape_check,  # noqa: F401
                         _none_or_dtype)
from ._convnd import *  # noqa: F401,F403 (conv3d, conv_transpose1d, conv_transpose3d, conv_tbc)
from ._ctc import *  # noqa: F401,F403 (ctc_loss)
from ._distance import *  # noqa: F401,F403 (cosine_similarity, pairwise_distance, pdist)
from ._dropout import *  # noqa: F401,F403 (dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout)
from ._embedding_bag import *  # noqa: F401,F403 (embedding_bag)
from ._functional_utils import *  # noqa: F401,F403 (assert_int_or_pair, boolean_dispatch, has_torch_function ...)
from ._grid import *  # noqa: F401,F403 (affine_grid, grid_sample)
from ._grouped_mm import *  # noqa: F401,F403 (grouped_mm)
from ._layers import *  # noqa: F401,F403 (normalisation, dropout, embedding, activations, losses)
from ._likelihood_losses import *  # noqa: F401,F403 (huber_loss, kl_div, poisson_nll_loss, gaussian_nll_loss)
from ._linear_cross_entropy import *  # noqa: F401,F403 (linear_cross_entropy)
from ._margin_losses import *  # noqa: F401,F403 (soft margin, multi-label, multi-class, ranking, embedding, triplet)
from ._normalization import *  # noqa: F401,F403 (instance_norm, rms_norm, local_response_norm)
from ._pooling_nd import *  # noqa: F401,F403 (3-D, adaptive, fractional and LP pooling, unpooling, *_with_indices)
from ._sampling import *  # noqa: F401,F403 (interpolate, upsample*)
from ._shuffle import *  # noqa: F401,F403 (pixel_shuffle, pixel_unshuffle, channel_shuffle)

__all__ = ["linear", "relu", "relu_", "leaky_relu", "leaky_relu_", "tanh", "sigmoid"]
__all__ += ["conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
            "adaptive_avg_pool2d", "unfold", "fold"]
for _part in (_layers, _activations, _attention, _convnd, _ctc, _distance, _dropout, _embedding_bag,
              _functional_utils, _grid, _grouped_mm, _likelihood_losses, _linear_cross_entropy, _margin_losses,
              _normalization, _pooling_nd, _sampling, _shuffle):
    __all__ += _part.__all__

# The functions torch writes in Python, as they hand a call to __torch_function__: the first n arguments
# positionally, the named ones as keywords (the others arrive exactly as the caller passed them). Taken from
# the handle_torch_function calls in torch/nn/functional.py.
TORCH_ARGS = {
    "threshold": (3, ("inplace",)), "adaptive_avg_pool2d": (2, ()), "adaptive_avg_pool3d": (2, ()),
    "adaptive_max_pool1d": (2, ("return_indices",)), "adaptive_max_pool1d_with_indices": (2, ("return_indices",)),
    "adaptive_max_pool2d": (2, ("return_indices",)), "adaptive_max_pool2d_with_indices": (2, ("return_indices",)),
    "adaptive_max_pool3d": (2, ("return_indices",)), "adaptive_max_pool3d_with_indices": (2, ("return_indices",)),
    "affine_grid": (2, ("align_corners",)), "alpha_dropout": (1, ("p", "training", "inplace")),
    "batch_norm": (3, ("weight", "bias", "training", "momentum", "eps")),
    "binary_cross_entropy": (2, ("weight", "size_average", "reduce", "reduction")),
    "binary_cross_entropy_with_logits": (2, ("weight", "size_average", "reduce", "reduction", "pos_weight")),
    "celu": (1, ("alpha", "inplace")),
    "cosine_embedding_loss": (3, ("margin", "size_average", "reduce", "reduction")),
    "cross_entropy": (2, ("weight", "size_average", "ignore_index", "reduce", "reduction", "label_smoothing")),
    "ctc_loss": (4, ("blank", "reduction", "zero_infinity")), "dropout": (1, ("p", "training", "inplace")),
    "dropout1d": (1, ("p", "training", "inplace")), "dropout2d": (1, ("p", "training", "inplace")),
    "dropout3d": (1, ("p", "training", "inplace")), "elu": (1, ("alpha", "inplace")),
    "embedding": (2, ("padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse")),
    "embedding_bag": (2, ("offsets", "max_norm", "norm_type", "scale_grad_by_freq", "mode", "sparse",
                          "per_sample_weights", "include_last_offset", "padding_idx")),
    "feature_alpha_dropout": (1, ("p", "training", "inplace")), "fold": (3, ("dilation", "padding", "stride")),
    "fractional_max_pool2d": (2, ("output_size", "output_ratio", "return_indices", "_random_samples")),
    "fractional_max_pool2d_with_indices": (2, ("output_size", "output_ratio", "return_indices", "_random_samples")),
    "fractional_max_pool3d": (2, ("output_size", "output_ratio", "return_indices", "_random_samples")),
    "fractional_max_pool3d_with_indices": (2, ("output_size", "output_ratio", "return_indices", "_random_samples")),
    "gaussian_nll_loss": (3, ("full", "eps", "reduction")), "glu": (1, ("dim",)),
    "grid_sample": (2, ("mode", "padding_mode", "align_corners")), "group_norm": (2, ("weight", "bias", "eps")),
    "gumbel_softmax": (1, ("tau", "hard", "eps", "dim")), "hardsigmoid": (1, ("inplace",)),
    "hardswish": (1, ("inplace",)), "hardtanh": (1, ("min_val", "max_val", "inplace")),
    "hinge_embedding_loss": (2, ("margin", "size_average", "reduce", "reduction")),
    "huber_loss": (2, ("reduction", "delta", "weight")),
    "instance_norm": (1, ("running_mean", "running_var", "weight", "bias", "use_input_stats", "momentum", "eps")),
    "interpolate": (1, ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias")),
    "kl_div": (2, ("size_average", "reduce", "reduction", "log_target")),
    "l1_loss": (2, ("size_average", "reduce", "reduction")), "layer_norm": (2, ("weight", "bias", "eps")),
    "leaky_relu": (1, ("negative_slope", "inplace")),
    "linear_cross_entropy": (3, ("linear_bias", "weight", "reduction", "ignore_index", "label_smoothing", "options")),
    "local_response_norm": (2, ("alpha", "beta", "k")), "log_softmax": (1, ("dim", "_stacklevel", "dtype")),
    "lp_pool1d": (3, ("stride", "ceil_mode")), "lp_pool2d": (3, ("stride", "ceil_mode")),
    "lp_pool3d": (3, ("stride", "ceil_mode")),
    "margin_ranking_loss": (3, ("margin", "size_average", "reduce", "reduction")),
    "max_pool1d": (2, ("stride", "padding", "dilation", "ceil_mode", "return_indices")),
    "max_pool1d_with_indices": (2, ("stride", "padding", "dilation", "ceil_mode", "return_indices")),
    "max_pool2d": (2, ("stride", "padding", "dilation", "ceil_mode", "return_indices")),
    "max_pool2d_with_indices": (2, ("stride", "padding", "dilation", "ceil_mode", "return_indices")),
    "max_pool3d": (2, ("stride", "padding", "dilation", "ceil_mode", "return_indices")),
    "max_pool3d_with_indices": (2, ("stride", "padding", "dilation", "ceil_mode", "return_indices")),
    "max_unpool1d": (3, ("stride", "padding", "output_size")),
    "max_unpool2d": (3, ("stride", "padding", "output_size")),
    "max_unpool3d": (3, ("stride", "padding", "output_size")), "mish": (1, ("inplace",)),
    "mse_loss": (2, ("size_average", "reduce", "reduction", "weight")),
    "multi_head_attention_forward": (13, ("training", "key_padding_mask", "need_weights", "attn_mask", "is_causal",
                                          "use_separate_proj_weight", "q_proj_weight", "k_proj_weight",
                                          "v_proj_weight", "static_k", "static_v", "average_attn_weights")),
    "multi_margin_loss": (2, ("p", "margin", "weight", "size_average", "reduce", "reduction")),
    "multilabel_margin_loss": (2, ("size_average", "reduce", "reduction")),
    "multilabel_soft_margin_loss": (2, ("weight", "size_average", "reduce", "reduction")),
    "nll_loss": (2, ("weight", "size_average", "ignore_index", "reduce", "reduction")),
    "normalize": (1, ("p", "dim", "eps", "out")), "pad": (2, ("mode", "value")),
    "poisson_nll_loss": (2, ("log_input", "full", "size_average", "eps", "reduce", "reduction")),
    "relu": (1, ("inplace",)), "relu6": (1, ("inplace",)), "rms_norm": (2, ("weight", "eps")),
    "rrelu": (1, ("lower", "upper", "training", "inplace")), "selu": (1, ("inplace",)), "silu": (1, ("inplace",)),
    "smooth_l1_loss": (2, ("size_average", "reduce", "reduction", "beta")),
    "soft_margin_loss": (2, ("size_average", "reduce", "reduction")), "softmax": (1, ("dim", "_stacklevel", "dtype")),
    "softmin": (1, ("dim", "_stacklevel", "dtype")), "softsign": (1, ()), "tanhshrink": (1, ()),
    "triplet_margin_loss": (3, ("margin", "p", "eps", "swap", "size_average", "reduce", "reduction")),
    "triplet_margin_with_distance_loss": (3, ("distance_function", "margin", "swap", "reduction")),
    "unfold": (2, ("dilation", "padding", "stride")),
}

# Names that are not entries of the dispatch door: tanh and sigmoid call the tensor methods, the deprecated
# upsample functions call interpolate (torch hands only that call to __torch_function__), the rest are helpers.
_NOT_ENTRIES = {"tanh", "sigmoid", "upsample", "upsample_nearest", "upsample_bilinear"} | set(_functional_utils.__all__)


@_dispatch.internal("aten::addmm")
def _addmm(bias, mat1, mat2):
    """bias + mat1 @ mat2 as one graph node (AddmmBackward0): the fused kernel torch's linear runs."""
    for name, t in (("mat1", mat1), ("self", bias)):
        if t.dtype is not mat2.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got {_dtype_name(t.dtype)} and "
                               f"{_dtype_name(mat2.dtype)}")
    _check_mm(mat1._data, mat2._data)
    out = product(mat1._data, mat2._data)
    _expanded_shape(bias, out.shape)  # torch's error when bias does not fit the output
    out += bias._data  # in place: the product's array is new, and one pass less than `product + bias`

    def backward(g):
        return (sum_to(g, bias.shape) if bias._requires_grad else None,) + mm_grads(g, mat1, mat2)
    return make(out, "AddmmBackward0", (bias, mat1, mat2), backward)


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


def _leaky_relu(input, negative_slope, name="LeakyReluBackward0"):
    data = input._data
    out = array_module(data).where(data > 0, data, data * data.dtype.type(negative_slope))
    return make(out, name, (input,), lambda g: (where(input > 0, g, g * negative_slope),))


# torch names the node of the in-place form LeakyReluBackward1
_leaky_relu_ = inplace_variant(lambda input, negative_slope: _leaky_relu(input, negative_slope, "LeakyReluBackward1"))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """input where positive, negative_slope * input elsewhere."""
    return _leaky_relu_(input, negative_slope) if inplace else _leaky_relu(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    """In-place leaky_relu."""
    return _leaky_relu_(input, negative_slope)


def tanh(input):
    """Elementwise tanh (torch's F.tanh is the tensor method)."""
    return input.tanh()


def sigmoid(input):
    """Elementwise logistic function (torch's F.sigmoid is the tensor method)."""
    return input.sigmoid()


# The operators torch runs for functions not named after them.
ATEN = {"cross_entropy": "aten::cross_entropy_loss", "nll_loss": "aten::nll_loss_nd"}

# Each public function is an entry of the dispatch door (see _NOT_ENTRIES).
globals().update({name: _dispatch.public(globals()[name], f"torch.nn.functional.{name}", aten=ATEN.get(name),
                                         torch_args=TORCH_ARGS.get(name))
                  for name in __all__ if name not in _NOT_ENTRIES})
threshold.__name__ = threshold.__qualname__ = "_threshold"  # noqa: F405 (torch's F.threshold is its _threshold)

# The functionals torch implements in C, and where torch keeps them: F.linear is torch._C._nn.linear, F.conv2d
# is torch.conv2d (the same objects). minitorch offers them there too, and fx's generated code names them so.
NATIVE_HOMES = {**dict.fromkeys(("linear", "gelu", "softplus", "softshrink", "one_hot", "avg_pool2d", "avg_pool3d",
                                  "elu_", "hardtanh_", "leaky_relu_", "scaled_dot_product_attention"), "torch._C._nn"),
                **dict.fromkeys(("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                                 "conv_transpose3d", "conv_tbc", "avg_pool1d", "adaptive_avg_pool1d", "bilinear",
                                 "relu_", "celu_", "selu_", "rrelu_", "threshold_", "prelu", "hardshrink",
                                 "cosine_similarity", "pairwise_distance", "pdist", "pixel_shuffle",
                                 "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"), "torch")}
