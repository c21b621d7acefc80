"""Stateless building blocks behind the nn layers (torch.nn.functional): call them with explicit weights.
See https://pytorch.org/docs/stable/nn.functional.html"""
from .._device import array_module
from .._quiet import quiet_fp
from ..autograd.grad_mode import no_grad
from ..ops._core import make, sum_to
from ..ops.inplace import inplace_variant
from ..ops.linalg import _check_mm, matmul, mm_grads, product
from ..ops.pointwise import _dtype_name, relu as _relu, sigmoid, tanh, where
from ._conv import (adaptive_avg_pool2d, avg_pool1d, avg_pool2d, conv1d, conv2d, conv_transpose2d, fold,  # noqa: F401
                    max_pool1d, max_pool2d, unfold)
from . import _layers
from ._layers import *  # noqa: F401,F403 (normalisation, dropout, embedding, activations, losses)

__all__ = ["linear", "relu", "relu_", "leaky_relu", "tanh", "sigmoid"]
__all__ += ["conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
            "adaptive_avg_pool2d", "unfold", "fold"]
__all__ += _layers.__all__


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
    return make(product(mat1._data, mat2._data) + bias._data, "AddmmBackward0", (bias, mat1, mat2), backward)


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


for _name in __all__:  # NumPy's floating-point warnings stay off inside each function (minitorch/_quiet.py)
    globals()[_name] = quiet_fp(globals()[_name], __name__)
