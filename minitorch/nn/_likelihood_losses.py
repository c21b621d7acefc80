"""Regression and likelihood losses beyond MSE and L1: huber_loss, kl_div, poisson_nll_loss and
gaussian_nll_loss. torch composes the last three of tensor ops in Python or C++, and so do we (their
graphs then carry torch's node names); huber_loss is one node. See
https://pytorch.org/docs/stable/nn.functional.html#loss-functions"""
import math

from .. import _warnings
from .._creation import ones_like
from .._device import array_module
from ..autograd.grad_mode import no_grad
from ..ops.pointwise import where
from ._layers import _check_reduction, _pointwise_loss, _reduce, _two_sided, legacy_reduction

__all__ = ["huber_loss", "kl_div", "poisson_nll_loss", "gaussian_nll_loss"]


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (d = input - target): MSE near zero,
    L1 far away. An optional `weight` (input's shape) scales each element's loss."""
    _check_reduction(reduction)
    _pointwise_loss(input, target, None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    diff = input._data - target._data
    xp = array_module(diff)
    ad = xp.abs(diff)
    data = xp.where(ad < delta, 0.5 * diff * diff, delta * (ad - 0.5 * delta)).astype(diff.dtype, copy=False)

    def local_grad(d):
        return d.clamp(-delta, delta)
    if weight is None:
        return _two_sided(input, target, data, "HuberLossBackward0", reduction, local_grad)
    return _reduce(_two_sided(input, target, data, "HuberLossBackward0", "none", local_grad) * weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """The Kullback-Leibler divergence sum(target * (log target - input)) of log-probabilities `input`
    from the probabilities `target` (log-probabilities with log_target=True). 'batchmean' divides the sum
    by the batch size, the definition of KL divergence; 'mean' divides by the element count (torch warns)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        _warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                       "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                       "'mean' will be changed to behave the same as 'batchmean' in the next major release.")
    if reduction != "batchmean":
        _check_reduction(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogx(target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() != 0 else total
    return _reduce(loss, reduction)


def _xlogx(t):
    """t * log(t), 0 where t == 0 (torch's xlogy(t, t))."""
    return t * where(t == 0, 1.0, t).log()


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """The negative log-likelihood of `target` counts under Poisson(rate): exp(input) - target * input
    for log rates (log_input=True), else input - target * log(input + eps); `full` adds the Stirling term
    target log target - target + 0.5 log(2 pi target) for targets above 1."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log var + (input - target)^2 / var) (+ 0.5 log 2 pi when full), with var clamped at eps
    (the clamp itself is not differentiated). `var` may be one number, input's shape, that shape without
    its last dim, or differ from it in one dim of size 1 (heteroscedastic)."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and
                  sum(b for a, b in zip(input.shape, var.shape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)

