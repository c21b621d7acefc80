"""Functional forms of the normalisation, dropout, embedding, activation and loss layers (re-exported by
`nn.functional`). Each op's backward sits next to its forward, written with tensor ops so that
`create_graph=True` can differentiate it again."""
import math
import warnings

import numpy as np

from .. import _dispatch, _dtype, _warnings
from .._creation import rand, zeros
from .._device import array_module
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.grad_mode import no_grad
from ..backends.cuda import ops as cuda_ops, uses_kernels
from ..ops._core import accumulator, broadcast_shapes, make, sum_to
from ..ops.index import index_add
from ..ops.inplace import inplace_variant
from ..ops.pointwise import (_check_bool_subtraction, _dtype_name, _sigmoid, _special, abs, clamp, erf, exp, gt, log,
                              sigmoid, sign, tanh,
                              where)
from ..ops.reduce import log_softmax as _log_softmax, softmax as _softmax

__all__ = ["batch_norm", "layer_norm", "group_norm", "dropout", "embedding", "elu", "gelu", "silu", "softplus",
           "hardtanh", "softmax", "log_softmax", "mse_loss", "l1_loss", "smooth_l1_loss", "cross_entropy",
           "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "bilinear", "pad", "one_hot",
           "normalize"]


_grad_state = grad_mode._state


def _shape_str(shape):
    return f"torch.Size({list(shape)})"


# ----- normalisation ------------------------------------------------------------------------------------
def _normalize(input, name, stat_shape, axes, weight, bias, affine_shape, eps, stats=None):
    """(x - mean) / sqrt(var + eps) * weight + bias as one node. The statistics are the mean and biased
    variance over `axes` of the input viewed as `stat_shape`, or the fixed arrays `stats` = (mean, var)."""
    data = input._data
    work = data.astype(np.float32) if data.dtype.itemsize < 4 else data
    xp = array_module(work)
    x = work.reshape(stat_shape)
    mean, var = (x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)) if stats is None else stats
    invstd = 1 / xp.sqrt(var + eps)
    out = ((x - mean) * invstd).reshape(data.shape)
    if weight is not None:
        out = out * weight._data.reshape(affine_shape)
    if bias is not None:
        out = out + bias._data.reshape(affine_shape)

    def backward(g):
        xs = input.reshape(stat_shape)
        if stats is None:
            mu = xs.mean(axes, keepdim=True)
            inv = ((xs - mu).pow(2).mean(axes, keepdim=True) + eps).rsqrt()
        else:
            mu, inv = Tensor._wrap(mean.astype(data.dtype)), Tensor._wrap(invstd.astype(data.dtype))
        xhat = (xs - mu) * inv
        gx = None
        if input._requires_grad:
            gy = (g if weight is None else g * weight.reshape(affine_shape)).reshape(stat_shape)
            if stats is None:
                gy = gy - gy.mean(axes, keepdim=True) - xhat * (gy * xhat).mean(axes, keepdim=True)
            gx = (gy * inv).reshape(data.shape)
        gw = gb = None
        if weight is not None and weight._requires_grad:
            gw = sum_to(g * xhat.reshape(data.shape), affine_shape).reshape(weight.shape)
        if bias is not None and bias._requires_grad:
            gb = sum_to(g, affine_shape).reshape(bias.shape)
        return gx, gw, gb
    return make(out.astype(data.dtype, copy=False), name, (input, weight, bias), backward)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Normalise each channel (dim 1) over the batch and spatial dims. In training the batch statistics
    are used and the running ones (when given) move towards them by `momentum`, with the unbiased
    variance; otherwise the running statistics are used."""
    shape = input.shape
    channels = shape[1] if len(shape) > 1 else 1
    for label, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                     ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{label} should contain {channels} elements not {t.numel()}")
    axes = (0,) + tuple(range(2, len(shape)))
    affine_shape = (channels,) + (1,) * (len(shape) - 2)
    if training:
        count = input.numel() // channels if channels else 0
        if count == 0:  # an empty batch: nothing to normalise and no statistics to update, as in torch
            out = input.clone()
            out = out if weight is None else out * weight[0]
            return out if bias is None else out + bias[0]
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{_shape_str(shape)}")
        out = _normalize(input, "NativeBatchNormBackward0", shape, axes, weight, bias, affine_shape, eps)
        if running_mean is not None or running_var is not None:
            data = input._data.astype(np.float64)
            with no_grad():
                if running_mean is not None:
                    batch_mean = data.mean(axis=axes)
                    running_mean.copy_(running_mean * (1 - momentum) + Tensor._wrap(batch_mean * momentum))
                if running_var is not None:
                    batch_var = data.var(axis=axes, ddof=1)
                    running_var.copy_(running_var * (1 - momentum) + Tensor._wrap(batch_var * momentum))
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    stats = (running_mean._data.reshape(affine_shape), running_var._data.reshape(affine_shape))
    stats = tuple(s.astype(np.float32) if s.dtype.itemsize < 4 else s for s in stats)
    return _normalize(input, "NativeBatchNormBackward0", shape, axes, weight, bias, affine_shape, eps, stats)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dims of each sample."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if input.shape[input.dim() - k:] != normalized_shape or k > input.dim():
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size"
                           f"{list(input.shape)}")
    axes = tuple(range(input.dim() - k, input.dim()))
    return _normalize(input, "NativeLayerNormBackward0", input.shape, axes, weight, bias, normalized_shape, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the channels (dim 1) into `num_groups` groups and normalise each group of each sample."""
    shape = input.shape
    if input.dim() < 2 or shape[1] % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {list(shape)} and num_groups={num_groups}")
    affine_shape = (shape[1],) + (1,) * (len(shape) - 2)
    return _normalize(input, "NativeGroupNormBackward0", (shape[0], num_groups, -1), (2,), weight, bias,
                      affine_shape, eps)


# ----- dropout and embedding ----------------------------------------------------------------------------
def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the survivors by 1/(1-p) (training only)."""
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        mask = zeros(input.shape, dtype=input.dtype, device=input.device)
    else:
        keep = rand(input.shape, device=input.device)._data >= p
        mask = Tensor._wrap((keep / (1 - p)).astype(input._data.dtype))
    return input.mul_(mask) if inplace else input * mask


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of `weight` picked by the integer indices `input`; the row `padding_idx` gets no gradient.
    With max_norm, the picked rows whose norm exceeds it are first rescaled in place."""
    if input._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar "
                           f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
                           f"embedding)")
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= num
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    shape = weight.shape

    def backward(g):
        flat = idx.reshape(-1).astype(np.int64)
        rows = g.reshape(-1, shape[1])
        if scale_grad_by_freq:  # each row's gradient divided by how often its index occurs
            counts = array_module(flat).bincount(flat, minlength=num)
            rows = rows / Tensor._wrap(counts[flat].astype(g._data.dtype).reshape(-1, 1))
        if padding_idx is not None:
            rows = rows * Tensor._wrap((idx.reshape(-1, 1) != padding_idx).astype(g._data.dtype))
        return (index_add(zeros(shape, dtype=g.dtype, device=g.device), 0, Tensor._wrap(flat), rows),)
    return make(weight._data[idx], "EmbeddingBackward0", (weight,), backward, saves=())


def _renorm_rows(weight, idx, max_norm, norm_type):
    """Scale the rows `idx` of `weight` in place so that none has a norm above max_norm (as torch does,
    outside autograd)."""
    xp = array_module(weight._data)
    rows = xp.unique(idx.reshape(-1))
    w = weight._data
    norms = (xp.abs(w[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    w[rows] = w[rows] * scale[:, None]
    weight._bump_version()


# ----- activations --------------------------------------------------------------------------------------
def _elu(input, alpha, name="EluBackward0"):
    x = input._data
    xp = array_module(x)
    out = xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0))).astype(x.dtype, copy=False)
    return make(out, name, (input,), lambda g: (where(gt(input, 0), g, g * alpha * exp(input)),))


def _elu_in_place(input, alpha):
    """torch names the node of the in-place form EluBackward1."""
    return _elu(input, alpha, "EluBackward1")


_elu_ = inplace_variant(_elu_in_place)


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, alpha * (exp(x) - 1) elsewhere."""
    return _elu_(input, alpha) if inplace else _elu(input, alpha)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(input, approximate="none"):
    """x * Phi(x) (Phi the standard normal CDF); approximate='tanh' uses torch's tanh formula."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    x = input._data
    xp = array_module(x)
    if approximate == "tanh":
        out = 0.5 * x * (1 + xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
    else:
        out = 0.5 * x * (1 + _special("erf", x * (1 / math.sqrt(2))))

    def backward(g):
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (input + 0.044715 * input.pow(3))
            t = tanh(inner)
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * input * input)
            return (g * (0.5 * (1 + t) + 0.5 * input * (1 - t * t) * d_inner),)
        cdf = 0.5 * (1 + erf(input * (1 / math.sqrt(2))))
        pdf = exp(-0.5 * input * input) * (1 / math.sqrt(2 * math.pi))
        return (g * (cdf + input * pdf),)
    return make(out.astype(x.dtype, copy=False), "GeluBackward0", (input,), backward)


def _silu(input):
    x = input._data
    out = x * _sigmoid(array_module(x), x)

    def backward(g):
        s = sigmoid(input)
        return (g * s * (1 + input * (1 - s)),)
    return make(out, "SiluBackward0", (input,), backward)


_silu_ = inplace_variant(_silu)


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    return _silu_(input) if inplace else _silu(input)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    x = input._data
    xp = array_module(x)
    bx = x * beta
    out = xp.where(bx > threshold, x, xp.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)

    def backward(g):
        bx_t = input * beta
        return (where(gt(bx_t, threshold), g, g * sigmoid(bx_t)),)
    return make(out, "SoftplusBackward0", (input,), backward)


def _hardtanh(input, min_val, max_val):
    x = input._data
    out = array_module(x).clip(x, min_val, max_val).astype(x.dtype, copy=False)
    return make(out, "HardtanhBackward0", (input,),
                lambda g: (where((input > min_val) & (input < max_val), g, g * 0),))


_hardtanh_ = inplace_variant(_hardtanh)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _hardtanh_(input, min_val, max_val) if inplace else _hardtanh(input, min_val, max_val)


def _implicit_dim(name, ndim):
    _warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                   f"dim=X as an argument.")
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along `dim`."""
    if dim is None:
        dim = _implicit_dim("softmax", input.dim())
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along `dim`."""
    if dim is None:
        dim = _implicit_dim("log_softmax", input.dim())
    return _log_softmax(input, dim, dtype=dtype)


# ----- losses -------------------------------------------------------------------------------------------
def legacy_reduction(size_average, reduce, reduction):
    """The reduction string from the deprecated size_average / reduce flags (when either is given)."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='"
                  f"{'none' if reduce is False else 'mean' if size_average is not False else 'sum'}' instead.")
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss, reduction):
    """The elementwise loss (a tensor or an array) reduced as `reduction` says (an array of half or bfloat16
    accumulated in float32, as torch does)."""
    if reduction == "none":
        return loss
    if isinstance(loss, Tensor):
        return loss.mean() if reduction == "mean" else loss.sum()
    total = loss.mean(dtype=accumulator(loss)) if reduction == "mean" else loss.sum(dtype=accumulator(loss))
    return total.astype(loss.dtype, copy=False)


def _grad_of_reduction(g, shape, reduction):
    """The upstream gradient of a reduced loss spread over the elementwise loss of `shape`."""
    if reduction == "none":
        return g
    n = math.prod(shape)
    return g.expand(shape) / n if reduction == "mean" else g.expand(shape)


def _pointwise_loss(input, target, size_average, reduce, reduction):
    """The reduction string and the operands of an elementwise loss broadcast to one shape, with torch's size
    warning. Broadcasting first (torch's broadcast_tensors) makes a zero-dim target promote like a sized one."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.shape != input.shape:
        _warnings.warn(f"Using a target size ({_shape_str(target.shape)}) that is different to the input size "
                       f"({_shape_str(input.shape)}). This will likely lead to incorrect results due to "
                       f"broadcasting. Please ensure they have the same size.")
        shape = broadcast_shapes(input.shape, target.shape)  # torch's error where they do not broadcast
        input = input if input.shape == shape else input.expand(shape)
        target = target if target.shape == shape else target.expand(shape)
    return reduction, input, target


def _float_difference(input, target, kernel):
    """input - target as an array of their promoted dtype, which must be floating (torch's kernel error)."""
    dt = _dtype.promote_types(input.dtype, target.dtype)
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{dt.scalar_name}'")
    return input._data.astype(dt.np, copy=False) - target._data.astype(dt.np, copy=False)


def _in_dtype_of(grad, t):
    """A gradient computed in the promoted dtype, cast to the dtype of the operand it is for."""
    return grad if grad.dtype is t.dtype else grad.to(t.dtype)


def _two_sided(input, target, data, name, reduction, local_grad):
    """A loss node over same-shaped (input, target) whose elementwise derivative wrt input is
    local_grad(diff) and wrt target its negative."""
    shape = data.shape

    def backward(g):
        d = local_grad(input - target) * _grad_of_reduction(g, shape, reduction)
        return (_in_dtype_of(d, input) if input._requires_grad else None,
                _in_dtype_of(-d, target) if target._requires_grad else None)
    return make(_reduce(data, reduction), name, (input, target), backward)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target)^2, reduced."""
    reduction, input, target = _pointwise_loss(input, target, size_average, reduce, reduction)
    if weight is not None:
        return _reduce((input - target).pow(2) * weight, reduction)
    diff = _float_difference(input, target, "mse_cpu")
    return _two_sided(input, target, diff * diff, "MseLossBackward0", reduction, lambda d: 2 * d)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced (built from sub, abs and mean/sum, as torch builds it)."""
    reduction, input, target = _pointwise_loss(input, target, size_average, reduce, reduction)
    loss = (input - target).abs()
    return _reduce(loss if weight is None else loss * weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target)."""
    reduction, input, target = _pointwise_loss(input, target, size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    diff = _float_difference(input, target, "smooth_l1_cpu")
    xp = array_module(diff)
    ad = xp.abs(diff)
    data = xp.where(ad < beta, 0.5 * diff * diff / beta, ad - 0.5 * beta).astype(diff.dtype, copy=False)
    return _two_sided(input, target, data, "SmoothL1LossBackward0", reduction,
                      lambda d: where(abs(d) < beta, d / beta, sign(d)))


def _check_class_target(input, target, weight):
    """torch's checks of a class-index target against (N, C, ...) or (C,) scores."""
    if input.dim() == 1 and target.dim() == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    if input.dim() == 1 and target.dim() > 1 or input.dim() == 2 and target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.dim() >= 2 and (target.dim() == 0 or input.shape[0] != target.shape[0]):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.dim() else 0}).")
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_dtype_name(target.dtype)}")
    if input.dim() > 2 and tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, got "
                           f"{list(target.shape)}")
    classes = input.shape[1] if input.dim() > 1 else input.shape[0]
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")
    return classes


def _nll(input, target, weight, ignore_index, reduction, name):
    """-weight[t] * input[n, t, ...] per position, as one node; input (N, C, ...) or (C,)."""
    x = input._data
    xp = array_module(x)
    scores = x if x.ndim == 2 else xp.moveaxis(x.reshape((1,) + x.shape) if x.ndim == 1 else x, 1, -1)  # (N, ..., C)
    t = target._data.astype(np.int64).reshape(scores.shape[:-1])
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= scores.shape[-1]))
    if bad.any():
        raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    safe = xp.where(valid, t, 0)
    if weight is None:
        row_w = valid.astype(x.dtype)
    else:
        row_w = xp.where(valid, weight._data.astype(x.dtype)[safe], x.dtype.type(0)).astype(x.dtype)
    picked = (scores[xp.arange(len(safe)), safe] if scores.ndim == 2 else
              xp.take_along_axis(scores, safe[..., None], axis=-1)[..., 0])
    loss = -picked * row_w
    total = row_w.sum()
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            data = loss.sum() / total
    else:
        data = _reduce(loss, reduction)
    if x.ndim == 1:
        data = data.reshape(()) if reduction == "none" else data

    def backward(g):
        hit = xp.arange(scores.shape[-1]) == safe[..., None]
        with np.errstate(invalid="ignore", divide="ignore"):
            per_row = xp.where(valid, -row_w / (total if reduction == "mean" else 1), 0)
        coef = (hit * per_row[..., None]).astype(x.dtype)
        if coef.ndim > 2:  # classes back to dim 1
            coef = xp.ascontiguousarray(xp.moveaxis(coef, -1, 1))
        coef = Tensor._wrap(coef.reshape(x.shape))
        if reduction == "none":
            g = g.unsqueeze(1) if x.ndim > 1 else g
        return (g * coef,)
    return make(data, name, (input,), backward)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """The negative log-likelihood of class indices `target` under log-probabilities `input` (N, C, ...)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_class_target(input, target, weight)
    return _nll_nd(input, target, weight, ignore_index, reduction)


def _nll_nd(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """nll_loss once its arguments are checked: one node for scores of any rank (torch's nll_loss_nd)."""
    if input.dim() == 1 and target.dim() == 1:  # unbatched scores with a one-element target
        target = target.reshape(())
    if input.dim() <= 2:
        return _nll(input, target, weight, ignore_index, reduction, "NllLossBackward0")
    if input.dim() == 4:
        return _nll(input, target, weight, ignore_index, reduction, "NllLoss2DBackward0")
    n, c = input.shape[:2]
    out = _nll(input.reshape(n, c, 1, -1), target.reshape(n, 1, -1), weight, ignore_index, reduction,
               "NllLoss2DBackward0")
    return out.reshape(target.shape) if reduction == "none" else out


# The two operators cross_entropy runs, seen by the profiler inside aten::cross_entropy_loss as in torch.
_log_softmax_op = _dispatch.internal("aten::log_softmax")(_log_softmax)
_nll_loss_op = _dispatch.internal("aten::nll_loss_nd")(_nll_nd)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax over the class dim (1, or 0 for unbatched input) followed by the negative log-likelihood
    of class-index targets, or by -sum(target * log p) for class-probability targets (same shape as input).
    log_softmax subtracts the maximum, so the loss stays finite for huge logits."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 1 if input.dim() >= 2 else 0
    if target.shape == input.shape and not target.is_floating_point():
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{_dtype_name(target.dtype)}")
    if uses_kernels(input._data) and target.shape != input.shape and input.numel():
        _check_class_target(input, target, weight)
        return _cross_entropy_kernel(input, target, weight, ignore_index, reduction, label_smoothing, class_dim)
    logp = _log_softmax_op(input, class_dim)
    if target.shape == input.shape:
        return _cross_entropy_probabilities(input, logp, target, weight, reduction, label_smoothing, class_dim)
    classes = _check_class_target(input, target, weight)
    loss = _nll_loss_op(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return loss
    w_shape = (classes,) + (1,) * (input.dim() - class_dim - 1)
    scaled = logp if weight is None else logp * weight.reshape(w_shape)
    xp = array_module(target._data)
    valid = xp.asarray(target._data != ignore_index)
    smooth = where(Tensor._wrap(valid), -scaled.sum(class_dim), 0.0)
    if reduction == "mean":
        picked = valid if weight is None else xp.where(valid, weight._data[xp.where(valid, target._data, 0)], 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            smooth = smooth.sum() / float(picked.sum())
    else:
        smooth = _reduce(smooth, reduction)
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def _cross_entropy_kernel(input, target, weight, ignore_index, reduction, label_smoothing, class_dim):
    """cross_entropy of class indices on cuda as one node over the fused kernels of softmax.cu (classes
    moved last, one row per position). Its backward is the backward kernel, or, when a graph of the
    backward is wanted (create_graph), the same gradient built from tensor ops:
    g * (softmax(x) * ((1 - eps) * w[t] + eps * sum(w) / C) - (1 - eps) * w[t] * onehot(t) - eps * w / C)."""
    xp = array_module(input._data)
    x = xp.moveaxis(input._data, class_dim, -1)
    classes = x.shape[-1]
    rows = x.reshape(-1, classes)
    t = target._data.reshape(-1)
    w = None if weight is None else weight._data
    loss, lse, row_weight = cuda_ops.cross_entropy(rows, t, w, ignore_index, label_smoothing)
    total = row_weight.sum()
    data = (loss.reshape(x.shape[:-1]) if reduction == "none" else
            loss.sum() if reduction == "sum" else loss.sum() / total)

    def backward(g):
        grad_rows = g.reshape(-1) if reduction == "none" else g / Tensor._wrap(total) if reduction == "mean" else g
        if not _grad_state["enabled"]:
            gx = cuda_ops.cross_entropy_backward(grad_rows._data, rows, t, lse, w, ignore_index, label_smoothing)
        else:
            eps, ones = label_smoothing, xp.ones(classes, rows.dtype)
            per_class = ones if w is None else w.astype(rows.dtype)
            wsum = per_class.sum()
            onehot = (xp.arange(classes) == t[:, None]) * (row_weight * (1 - eps))[:, None]
            kept = (t != ignore_index)[:, None]
            scale = Tensor._wrap((row_weight * (1 - eps) + kept[:, 0] * (eps * wsum / classes)).astype(rows.dtype))
            shift = Tensor._wrap((onehot + kept * (eps / classes) * per_class).astype(rows.dtype))
            p = _softmax(input.movedim(class_dim, -1).reshape(-1, classes), -1)
            gx = grad_rows.reshape(-1, 1) * (p * scale.unsqueeze(1) - shift)
            return (gx.reshape(x.shape).movedim(-1, class_dim),)
        return (Tensor._wrap(xp.moveaxis(gx.reshape(x.shape), -1, class_dim)),)
    return make(data, "NllLossBackward0" if label_smoothing == 0 else "AddBackward0", (input,), backward)


def _cross_entropy_probabilities(input, logp, target, weight, reduction, label_smoothing, class_dim):
    classes = input.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    prod = logp * target
    if weight is not None:
        prod = prod * weight.reshape((classes,) + (1,) * (input.dim() - class_dim - 1))
    loss = -prod.sum(class_dim)
    if reduction == "mean":  # torch divides by the Python count (a DivBackward1 node)
        count = input.numel() // classes if input.dim() >= 2 else 1
        total = loss.sum()
        data = total._data / total._data.dtype.type(count)
        return make(data, "DivBackward1", (total,), lambda g: (g / count,), saves=False)
    return _reduce(loss, reduction)


def _check_same_size(input, target, message):
    if target.shape != input.shape:
        raise ValueError(message.format(_shape_str(target.shape), _shape_str(input.shape)))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(t log x + (1 - t) log(1 - x)) with each log clamped at -100 (so x = 0 or 1 stays finite)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_same_size(input, target, "Using a target size ({}) that is different to the input size ({}) is "
                                    "deprecated. Please ensure they have the same size.")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {_dtype_name(target.dtype)} but expected {_dtype_name(input.dtype)}")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for '{_dtype_name(input.dtype)}'")
    x, t = input._data, target._data
    xp = array_module(x)
    if not ((x >= 0) & (x <= 1)).all():  # nan fails too, as in torch
        raise RuntimeError("all elements of input should be between 0 and 1")
    with np.errstate(divide="ignore"):
        log_x, log_1mx = xp.maximum(xp.log(x), -100), xp.maximum(xp.log1p(-x), -100)
    data = -(t * log_x + (1 - t) * log_1mx)
    w = None if weight is None else weight.expand(input.shape)
    if w is not None:
        data = data * w._data
    shape = x.shape

    def backward(g):
        g = _grad_of_reduction(g, shape, reduction)
        if w is not None:
            g = g * w
        gi = gt_ = None
        if input._requires_grad:
            gi = g * (input - target) / clamp((1 - input) * input, min=1e-12)
        if target._requires_grad:
            gt_ = g * (clamp(log(1 - input), min=-100) - clamp(log(input), min=-100))
        return gi, gt_
    return make(_reduce(data.astype(x.dtype, copy=False), reduction), "BinaryCrossEntropyBackward0",
                (input, target), backward)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross-entropy of sigmoid(input), computed from the logits as
    (1 - t) x + lw (log(1 + exp(-|x|)) + max(-x, 0)), lw = 1 + (pos_weight - 1) t: never overflows."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_same_size(input, target, "Target size ({}) must be the same as input size ({})")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{_dtype_name(input.dtype)}'")
    if target.dtype is _dtype.bool:
        _check_bool_subtraction(target, target)
    if not target.is_floating_point():  # torch's result has the target's dtype, which integers cannot hold
        raise RuntimeError(f"result type {_dtype_name(input.dtype)} can't be cast to the desired output type "
                           f"{_dtype_name(target.dtype)}")
    dt = _dtype.promote_types(input.dtype, target.dtype).np
    x, t = input._data.astype(dt, copy=False), target._data.astype(dt, copy=False)
    xp = array_module(x)
    softplus_neg = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)  # log(1 + exp(-x))
    lw = 1 if pos_weight is None else 1 + (pos_weight._data - 1) * t
    data = (1 - t) * x + lw * softplus_neg
    if weight is not None:
        data = data * weight._data
    shape = x.shape

    def backward(g):
        g = _grad_of_reduction(g, shape, reduction)
        if weight is not None:
            g = g * weight
        lw_t = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
        gi = gt_ = None
        if input._requires_grad:
            gi = g * ((1 - target) - lw_t * sigmoid(-input))
        if target._requires_grad:
            sp = softplus(-input)
            gt_ = g * (-input + (0 if pos_weight is None else (pos_weight - 1) * sp))
        return (_in_dtype_of(sum_to(gi, input.shape), input) if gi is not None else None,
                _in_dtype_of(sum_to(gt_, target.shape), target) if gt_ is not None else None)
    data = xp.broadcast_to(data, shape).astype(target._data.dtype)  # torch's result has the target's dtype
    return make(_reduce(data, reduction), "BinaryCrossEntropyWithLogitsBackward0", (input, target),
                backward)


# ----- bilinear, padding, one_hot, normalize ------------------------------------------------------------
def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = input1 @ weight[o] @ input2 + bias[o]; weight is (out, in1, in2)."""
    out, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {in2}")
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for d, (a, b) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if a != b:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {a} and {b}")
    if bias is not None and bias.shape[0] != out:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but expected "
                           f"{out}")
    batch = input1.shape[:-1]
    left = input1.reshape(-1, in1) @ weight.permute(1, 0, 2).reshape(in1, out * in2)   # (N, out*in2)
    y = (left.reshape(-1, out, in2) * input2.reshape(-1, 1, in2)).sum(-1).reshape(*batch, out)
    return y if bias is None else y + bias


_PAD_SUPPORT = ("Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad) // 2 dims: pad = (last_lo, last_hi, second_last_lo, ...). 'constant' fills
    `value` (negative pads crop); 'reflect', 'replicate' and 'circular' repeat the input's own values."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {input.dim()}")
    if mode == "constant":
        return _constant_pad(input, pad, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if not 1 <= k <= 3 or input.dim() not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
                                  + _PAD_SUPPORT)
    return _index_pad(input, pad, mode, k)


def _constant_pad(input, pad, value):
    data = input._data
    nd = data.ndim
    shape, src, dst = list(data.shape), [slice(None)] * nd, [slice(None)] * nd
    for i in range(len(pad) // 2):
        d, lo, hi = nd - 1 - i, pad[2 * i], pad[2 * i + 1]
        size = shape[d]
        shape[d] = size + lo + hi
        if shape[d] < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        src[d] = slice(max(-lo, 0), size - max(-hi, 0))
        dst[d] = slice(max(lo, 0), shape[d] - max(hi, 0))
    out = array_module(data).full(shape, value, dtype=data.dtype)
    out[tuple(dst)] = data[tuple(src)]
    return make(out, "ConstantPadNdBackward0", (input,), lambda g: (_constant_pad(g, [-p for p in pad], 0),),
                saves=False)


def _index_pad(input, pad, mode, k):
    """Non-constant padding as a gather along each padded dim; the backward adds the gradient back."""
    data = input._data
    xp = array_module(data)
    nd = data.ndim
    picks = []
    for i in range(k):
        d, lo, hi = nd - 1 - i, pad[2 * i], pad[2 * i + 1]
        size = data.shape[d]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({lo}, {hi}) at dimension {d} of input "
                               f"{list(data.shape)}")
        if mode == "circular" and (lo > size or hi > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        pos = np.arange(-lo, size + hi)
        if mode == "reflect":
            pos = np.abs(pos)
            pos = np.where(pos >= size, 2 * (size - 1) - pos, pos)
        idx = np.clip(pos, 0, size - 1) if mode == "replicate" else pos % size
        picks.append((d, xp.asarray(idx.astype(np.int64))))
    out = data
    for d, idx in picks:
        out = xp.take(out, idx, axis=d)

    def backward(g):
        for d, idx in picks:
            shape = list(g.shape)
            shape[d] = data.shape[d]
            g = index_add(zeros(shape, dtype=g.dtype, device=g.device), d, Tensor._wrap(idx), g)
        return (g,)
    name = "torch::autograd::CopySlices" if mode == "circular" else \
        f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{k}DBackward0"
    return make(out, name, (input,), backward, saves=False)


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape (*tensor.shape, num_classes) with a 1 at each class index."""
    data = tensor._data
    if data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = array_module(data)
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    if data.size:
        if (data < 0).any():
            raise RuntimeError("Class values must be non-negative.")
        if (data >= num_classes).any():
            raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._wrap((data[..., None] == xp.arange(num_classes)).astype(np.int64))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps); written into `out` when given (spectral norm updates its
    u and v buffers in place so)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom if out is None else out.copy_(input / denom)
