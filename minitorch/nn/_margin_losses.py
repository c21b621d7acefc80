"""Margin and embedding losses: soft_margin_loss, multilabel_margin_loss, multilabel_soft_margin_loss,
multi_margin_loss (one node each where torch has one), margin_ranking_loss, hinge_embedding_loss,
cosine_embedding_loss and the triplet losses (composed of tensor ops, as torch composes them).
See https://pytorch.org/docs/stable/nn.functional.html#loss-functions"""
import numpy as np

from .._creation import zeros_like
from .._device import array_module
from .._tensor import Tensor
from ..ops._core import make
from ..ops.index import _add_at
from ..ops.pointwise import minimum, where
from ._activations import logsigmoid
from ._distance import pairwise_distance
from ._layers import _check_reduction, _grad_of_reduction, _reduce, legacy_reduction

__all__ = ["soft_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss"]


def _reduction(size_average, reduce, reduction):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return reduction


def _no_target_grad(name, target):
    if target._requires_grad:
        raise RuntimeError(f"The function '{name}' is not differentiable with respect to argument 'target'. This "
                           f"input cannot have requires_grad True.")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)) for targets of +1 / -1: a smooth two-class margin."""
    reduction = _reduction(size_average, reduce, reduction)
    _no_target_grad("soft_margin_loss", target)
    x, y = input._data, target._data.astype(input._data.dtype)
    xp = array_module(x)
    data = xp.log1p(xp.exp(-x * y)).astype(x.dtype, copy=False)
    shape = data.shape

    def backward(g):
        return (_grad_of_reduction(g, shape, reduction) * -target * (-target * input).sigmoid(),)
    return make(_reduce(data, reduction), "SoftMarginLossBackward0", (input,), backward)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Per sample, the mean over classes of the binary cross-entropy of sigmoid(input) with {0, 1} targets."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def _frames(input):
    """(nframe, dim) of a multi-class input: (N, C), (C,) or a 0-dim score."""
    ndim = input.dim()
    if not ((ndim == 2 and input.shape[1] != 0) or (ndim == 1 and input.shape[0] != 0) or ndim == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    return (1, 1 if ndim == 0 else input.shape[0]) if ndim <= 1 else tuple(input.shape)


def _margin_node(input, name, per_sample, coefficients, reduction, per_frame_out):
    """A loss node over `input` from per-sample losses (nframe,) and coefficients(), the gradient of each
    sample's loss as rows (nframe, dim) (a tensor): the backward scales them by the upstream gradient."""
    nframe = per_sample.shape[0]
    data = per_sample if reduction == "none" else per_sample.sum() / nframe if reduction == "mean" \
        else per_sample.sum()
    if reduction == "none" and not per_frame_out:
        data = data.reshape(())

    def backward(g):
        rows = g.reshape(-1, 1) if reduction == "none" else g / nframe if reduction == "mean" else g
        return ((rows * coefficients()).reshape(input.shape),)
    return make(data.astype(input._data.dtype, copy=False), name, (input,), backward)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """For each sample: the sum over its target classes j (the indices in `target` before the first -1)
    and its non-target classes i of max(0, 1 - (x[j] - x[i])), divided by the number of classes."""
    reduction = _reduction(size_average, reduce, reduction)
    nframe, dim = _frames(input)
    if (input.dim() <= 1 and not (target.dim() <= 1 and target.numel() == dim)) or \
            (input.dim() == 2 and (target.dim() != 2 or tuple(target.shape) != (nframe, dim))):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    x = input._data.reshape(nframe, dim)
    t = target._data.reshape(nframe, dim).astype(np.int64)
    xp = array_module(x)
    if bool(((t < -1) | (t >= dim)).any()):
        raise RuntimeError("argument #2 'target' is out of range")
    listed = xp.cumprod(t >= 0, axis=1).astype(bool)  # the targets before the first -1
    safe = xp.where(listed, t, 0)
    is_target = ((safe[:, :, None] == xp.arange(dim)) & listed[:, :, None]).any(1)  # (nframe, class)
    x_target = xp.take_along_axis(x, safe, axis=1)  # (nframe, k)
    z = 1 - x_target[:, :, None] + x[:, None, :]  # (nframe, k, i)
    active = (z > 0) & listed[:, :, None] & ~is_target[:, None, :]
    per_sample = (z * active).sum((1, 2)) / dim
    coef = active.sum(1).astype(x.dtype) / dim
    pulls = -active.sum(2).astype(x.dtype) / dim
    at = xp.arange(nframe)[:, None] * dim + safe
    _add_at(coef.reshape(-1), at.ravel(), pulls.ravel())  # a class listed twice counts twice, as in torch
    coef = Tensor._wrap(coef)
    return _margin_node(input, "MultilabelMarginLossBackward0", per_sample, lambda: coef, reduction,
                        target.dim() > 1)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """The multi-class hinge loss: for each sample with class y, the sum over i != y of
    max(0, margin - x[y] + x[i]) ** p (times weight[y]), divided by the number of classes."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    nframe, dim = _frames(input)
    if not (target.dim() <= 1 and target.numel() == nframe):
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{nframe}], but got {list(target.shape)}. "
                           f"Input has shape {list(input.shape)}.")
    if weight is not None and weight.numel() != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got {list(weight.shape)}")
    if weight is not None and weight._requires_grad:
        raise RuntimeError("The function 'multi_margin_loss' is not differentiable with respect to argument "
                           "'weight'. This input cannot have requires_grad True.")
    x = input._data.reshape(nframe, dim)
    t = target._data.reshape(nframe).astype(np.int64)
    xp = array_module(x)
    if bool(((t < 0) | (t >= dim)).any()):
        raise RuntimeError("target out of range")
    z = margin - xp.take_along_axis(x, t[:, None], axis=1) + x
    active = (z > 0) & (xp.arange(dim) != t[:, None])
    w = xp.ones((nframe, 1), x.dtype) if weight is None else weight._data.astype(x.dtype)[t][:, None]
    per_sample = ((z if p == 1 else z * z) * active * w).sum(1) / dim
    scale = Tensor._wrap((active * w / dim).astype(x.dtype))
    at_target = Tensor._wrap((xp.arange(dim) == t[:, None]).astype(x.dtype))
    rows = Tensor._wrap(t[:, None])

    def coefficients():
        """d(sample loss)/dx as a tensor (for p = 2 a function of the input, so it differentiates again)."""
        if p == 1:
            each = scale
        else:
            scores = input.reshape(nframe, dim)
            each = 2 * (margin - scores.gather(1, rows) + scores) * scale
        return each - at_target * each.sum(1, keepdim=True)
    return _margin_node(input, "MultiMarginLossBackward0", per_sample, coefficients, reduction, target.dim() > 0)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin): input1 should rank above input2 where target is 1."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_size(input1)}, input2: {_size(input2)}, target: {_size(target)} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def _size(t):
    return f"torch.Size({list(t.shape)})"


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target is 1, max(0, margin - input) where target is -1 (input: a distance)."""
    reduction = _reduction(size_average, reduce, reduction)
    zeros = zeros_like(input)
    below_margin = where(target != 1, (margin - input).clamp_min(0), zeros)
    itself = where(target != -1, input, zeros)
    return _reduce(below_margin + itself, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where target is -1."""
    reduction = _reduction(size_average, reduce, reduction)
    dim = target.dim()
    if dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if dim == 1 and (input1.dim() != 2 or input2.dim() != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if dim == 0 and (input1.dim() != 1 or input2.dim() != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    mag1, mag2 = (input1 * input1).sum(dim) + eps, (input2 * input2).sum(dim) + eps
    cos = prod / (mag1 * mag2).sqrt()
    zeros = zeros_like(cos)
    loss = where(target == 1, 1 - cos, zeros) + where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _reduce(loss, reduction)


def _triplet(anchor, positive, negative, distance, margin, swap, reduction):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), where with swap the negative distance is
    the smaller of d(anchor, negative) and d(positive, negative)."""
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D "
                           f"inputs")
    dist_pos, dist_neg = distance(anchor, positive), distance(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, distance(positive, negative))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """The triplet loss with the p-norm pairwise distance."""
    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    return _triplet(anchor, positive, negative, lambda a, b: pairwise_distance(a, b, p, eps), margin, swap,
                    reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """The triplet loss with any distance function (pairwise_distance by default)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    return _triplet(anchor, positive, negative, distance_function or pairwise_distance, margin, swap, reduction)
