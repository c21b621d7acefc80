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
from . import _layers
from ._layers import *  # noqa: F401,F403 (normalisation, dropout, embedding, activations, losses)

__all__ = ["linear", "relu", "relu_", "leaky_relu", "tanh", "sigmoid"]
__all__ += ["conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
            "adaptive_avg_pool2d", "unfold", "fold"]
__all__ += _layers.__all__

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


# The operators torch runs for functions not named after them.
ATEN = {"cross_entropy": "aten::cross_entropy_loss", "nll_loss": "aten::nll_loss_nd"}

# Each public function is an entry of the dispatch door, except tanh and sigmoid, which call the method.
globals().update({name: _dispatch.public(globals()[name], f"torch.nn.functional.{name}", aten=ATEN.get(name),
                                         torch_args=TORCH_ARGS.get(name))
                  for name in __all__ if name not in ("tanh", "sigmoid")})

# The functionals torch implements in C, and where torch keeps them: F.linear is torch._C._nn.linear, F.conv2d
# is torch.conv2d (the same objects). minitorch offers them there too, and fx's generated code names them so.
NATIVE_HOMES = {"linear": "torch._C._nn", "gelu": "torch._C._nn", "softplus": "torch._C._nn",
                "one_hot": "torch._C._nn", "avg_pool2d": "torch._C._nn", "conv1d": "torch", "conv2d": "torch",
                "conv_transpose2d": "torch", "avg_pool1d": "torch", "bilinear": "torch", "relu_": "torch"}
