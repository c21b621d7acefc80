"""The connectionist temporal classification loss (ctc_loss): the negative log of the total probability of
all alignments of a target sequence to the input frames, by the forward-backward recursion of Graves et
al. (2006) in log space, vectorised over the batch and the extended target (a blank between and around the
labels). See https://pytorch.org/docs/stable/generated/torch.nn.functional.ctc_loss.html"""
import numpy as np

from .._creation import tensor
from .._device import array_module
from .._tensor import Tensor
from ..backends.meta import MetaDataError, has_data
from ..ops._core import make
from ..ops.pointwise import where

__all__ = ["ctc_loss"]


def _host(array):
    """A NumPy copy of a cpu, cuda or meta array; zeros stand in for a meta array's values (meta data is taken
    to be valid), so the recursion runs on them and only the shapes of its results are kept."""
    if not has_data(array):
        return np.zeros(array.shape, array.dtype)
    return np.asarray(array.get() if array_module(array) is not np else array)


def _lengths(value):
    """Per-sample lengths (a tensor or a sequence of ints) as an int64 array."""
    if isinstance(value, Tensor):
        return _host(value._data).reshape(-1).astype(np.int64)
    return np.asarray([value] if np.ndim(value) == 0 else list(value), dtype=np.int64)


def _logaddexp(*terms):
    out = terms[0]
    for t in terms[1:]:
        out = np.logaddexp(out, t)
    return out


def _extended(targets, target_lengths, blank, batch):
    """The extended targets l' (N, 2 * S + 1): blank, l1, blank, l2, ..., blank; and for each position
    whether the skip from s - 2 is allowed (a label that differs from the label two places back)."""
    longest = int(target_lengths.max()) if batch else 0
    labels = np.full((batch, longest), blank, dtype=np.int64)
    if targets.ndim == 1:  # the targets of all samples concatenated
        start = np.concatenate(([0], np.cumsum(target_lengths)[:-1]))
        for n in range(batch):
            labels[n, :target_lengths[n]] = targets[start[n]:start[n] + target_lengths[n]]
    else:
        for n in range(batch):
            labels[n, :target_lengths[n]] = targets[n, :target_lengths[n]]
    ext = np.full((batch, 2 * longest + 1), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return ext, skip


def _check(log_probs, targets, input_lengths, target_lengths, blank):
    steps, batch, classes = log_probs.shape
    where_ = " (while checking arguments for ctc_loss_allocate_outputs)"
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    if len(input_lengths) != batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(target_lengths) != batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    if targets.ndim == 1:
        total = int(target_lengths.sum())
        if targets.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got size "
                               f"{targets.shape[0]} for argument #2 'targets'" + where_)
    else:
        longest = int(target_lengths.max()) if batch else 0
        if targets.shape[1] < longest:
            raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension 1, but got size "
                               f"{targets.shape[1]} for argument #2 'targets'" + where_)
    if batch and int(input_lengths.max()) > steps:
        raise RuntimeError(f"Expected input_lengths to have value at most {steps}, but got value "
                           f"{int(input_lengths.max())}" + where_)


def _forward_backward(lp, ext, skip, input_lengths, target_lengths):
    """log alpha and log beta (T, N, S') of the recursion (both include the frame's own log-probability)
    and the negative log-likelihood per sample."""
    steps, batch, _ = lp.shape
    width = ext.shape[1]
    rows = np.arange(batch)[:, None]
    emit = lp[:, rows, ext]  # (T, N, S'): log p of each extended label at each frame
    ends = 2 * target_lengths + 1  # the used width of each sample's extended target
    inside = np.arange(width) < ends[:, None]
    alpha = np.full((steps, batch, width), -np.inf)
    alpha[0, :, 0] = emit[0, :, 0]
    if width > 1:
        alpha[0, :, 1] = np.where(target_lengths > 0, emit[0, :, 1], -np.inf)
    shifted = np.full((batch, width), -np.inf)
    for t in range(1, steps):
        prev = alpha[t - 1]
        one, two = shifted.copy(), shifted.copy()
        one[:, 1:], two[:, 2:] = prev[:, :-1], prev[:, :-2]
        alpha[t] = np.where(inside, emit[t] + _logaddexp(prev, one, np.where(skip, two, -np.inf)), -np.inf)
    last = input_lengths - 1
    a_end = alpha[last, np.arange(batch)]  # (N, S') at each sample's last frame
    final = np.take_along_axis(a_end, (ends - 1)[:, None], 1)[:, 0]
    before = np.take_along_axis(a_end, np.maximum(ends - 2, 0)[:, None], 1)[:, 0]
    nll = -np.where(target_lengths > 0, np.logaddexp(final, before), final)
    beta = np.full((steps, batch, width), -np.inf)
    at_end = (np.arange(width) == (ends - 1)[:, None]) | ((np.arange(width) == (ends - 2)[:, None]) &
                                                            (target_lengths > 0)[:, None])
    skip_next = np.zeros_like(skip)
    skip_next[:, :-2] = skip[:, 2:]
    for t in range(steps - 1, -1, -1):
        start = np.where(at_end, emit[t], -np.inf)
        if t + 1 < steps:
            nxt = beta[t + 1]
            one, two = shifted.copy(), shifted.copy()
            one[:, :-1], two[:, :-2] = nxt[:, 1:], nxt[:, 2:]
            step = np.where(inside, emit[t] + _logaddexp(nxt, one, np.where(skip_next, two, -np.inf)), -np.inf)
        else:
            step = start
        beta[t] = np.where((t == last)[:, None], start, np.where((t < last)[:, None], step, -np.inf))
    return alpha, beta, nll


def _ctc(log_probs, ext, skip, input_lengths, target_lengths, zero_infinity):
    """The per-sample loss node (CtcLossBackward0). Its gradient is torch's: exp(lp) - exp(lcab + nll - lp)
    per frame before the input length, the gradient with respect to the logits of a log_softmax that
    produced `log_probs` (so it is right when log_probs come from log_softmax, as the docs require)."""
    data = log_probs._data
    xp = array_module(data)
    lp = _host(data).astype(np.float64)
    alpha, beta, nll = _forward_backward(lp, ext, skip, input_lengths, target_lengths)
    infinite = np.isinf(nll)
    loss = np.where(infinite & zero_infinity, 0.0, nll)

    def grad_array():
        steps, batch, classes = lp.shape
        ab = alpha + beta
        top = np.max(np.where(np.isfinite(ab), ab, -np.inf), axis=2, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        onehot = ext[:, :, None] == np.arange(classes)  # (N, S', C)
        summed = np.einsum("tns,nsc->tnc", np.exp(ab - top), onehot)
        with np.errstate(divide="ignore"):
            lcab = np.log(summed) + top
        grad = np.exp(lp) - np.exp(lcab + nll[None, :, None] - lp)
        grad = np.where((np.arange(steps)[:, None] < input_lengths)[:, :, None], grad, 0.0)
        grad = np.where((infinite & zero_infinity)[None, :, None], 0.0, grad)
        return xp.asarray(grad.astype(data.dtype))

    def backward(g):
        return (g.reshape(1, -1, 1) * Tensor._wrap(grad_array()),)
    return make(xp.asarray(loss.astype(data.dtype)), "CtcLossBackward0", (log_probs,), backward)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """CTC loss of log-probabilities (T, N, C) (or (T, C) unbatched) against targets (N, S) padded or the
    concatenation of all targets; input_lengths and target_lengths per sample. reduction 'mean' divides
    each loss by its target length before averaging over the batch."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor):
        raise TypeError("ctc_loss(): input_lengths and target_lengths must both be tensors or both be "
                        "sequences of ints")
    unbatched = log_probs.dim() == 2
    lp_in = log_probs.unsqueeze(1) if unbatched else log_probs
    if not has_data(log_probs._data) and isinstance(input_lengths, Tensor):
        raise MetaDataError("ctc_loss")  # torch's meta kernel, too, takes the lengths only as ints
    t = _host(targets._data).astype(np.int64)
    if unbatched:
        t = t.reshape(1, -1)
    ins, outs = _lengths(input_lengths), _lengths(target_lengths)
    _check(lp_in, t, ins, outs, blank)
    ext, skip = _extended(t, outs, blank, lp_in.shape[1])
    loss = _ctc(lp_in, ext, skip, ins, outs, zero_infinity)
    if zero_infinity:
        loss = where(loss == float("inf"), 0.0, loss)
    if reduction == "mean":
        lengths = tensor(np.maximum(outs, 1), dtype=loss.dtype, device=loss.device)
        loss = (loss / lengths).mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss.squeeze(0) if unbatched and reduction == "none" else loss
