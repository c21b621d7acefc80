"""Folding a batch norm into the convolution or linear layer before it, for inference (torch.nn.utils.fusion).

In eval mode a batch norm is an affine map per channel, y = (x - mean) / sqrt(var + eps) * gamma + beta, so it
can be merged into the weights and bias of the layer that feeds it: one layer instead of two, same outputs.
See https://pytorch.org/tutorials/intermediate/fx_conv_bn_fuser.html"""
import copy

from ...autograd.grad_mode import no_grad
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of `conv` whose weight and bias also apply `bn` (both in eval mode)."""
    assert not (conv.training or bn.training), "Fusion only for eval!"
    fused = copy.deepcopy(conv)
    assert bn.running_mean is not None and bn.running_var is not None
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)
    return fused


def _affine(bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """(scale, shift) per channel of an eval-mode batch norm."""
    scale = (bn_rv + bn_eps).rsqrt()
    if bn_w is not None:
        scale = scale * bn_w
    shift = -bn_rm * scale
    if bn_b is not None:
        shift = shift + bn_b
    return scale, shift


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """Parameters (weight, bias) of a convolution that computes conv followed by the batch norm."""
    with no_grad():
        scale, shift = _affine(bn_rm, bn_rv, bn_eps, bn_w, bn_b)
        shape = ([1, -1] if transpose else [-1, 1]) + [1] * (conv_w.dim() - 2)
        weight = (conv_w * scale.reshape(shape)).to(conv_w.dtype)
        bias = shift if conv_b is None else conv_b * scale + shift
        bias = bias.to(conv_w.dtype if conv_b is None else conv_b.dtype)
    return (Parameter(weight, conv_w.requires_grad),
            Parameter(bias, conv_w.requires_grad if conv_b is None else conv_b.requires_grad))


def fuse_linear_bn_eval(linear, bn):
    """A copy of `linear` whose weight and bias also apply `bn` (both in eval mode)."""
    assert not (linear.training or bn.training), "Fusion only for eval!"
    fused = copy.deepcopy(linear)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features == bn.num_features or bn.num_features == 1")
    assert bn.running_mean is not None and bn.running_var is not None
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """Parameters (weight, bias) of a linear layer that computes linear followed by the batch norm."""
    with no_grad():
        scale, shift = _affine(bn_rm, bn_rv, bn_eps, bn_w, bn_b)
        weight = linear_w * scale.unsqueeze(-1)
        bias = shift if linear_b is None else linear_b * scale + shift
    return Parameter(weight, linear_w.requires_grad), Parameter(bias, True if linear_b is None else
                                                                linear_b.requires_grad)
