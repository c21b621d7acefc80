"""embedding_bag: the sum, mean or max of the embedding rows picked by each bag of indices, as one node
(torch's EmbeddingBagBackward0), without building the (indices, dim) matrix of embedding() in the graph.
See https://pytorch.org/docs/stable/generated/torch.nn.functional.embedding_bag.html"""
import numpy as np

from .. import _warnings
from .._creation import arange, zeros
from .._device import array_module
from ..backends.meta import has_data
from .._tensor import Tensor
from ..ops._core import make
from ..ops.index import _add_at, index_add
from ._layers import _renorm_rows

__all__ = ["embedding_bag"]


def _bags(indices, offsets, include_last_offset, count, type_name):
    """The bag number of every index and the number of bags (with include_last_offset the last offset only
    marks the end, and torch's last bag still runs to the end of the input)."""
    xp = array_module(indices)
    starts = offsets[:-1] if include_last_offset else offsets
    bags = starts.shape[0]
    if has_data(offsets) and offsets.shape[0]:  # meta offsets are taken as valid, as torch's meta kernel does
        if int(offsets[0]) != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {int(offsets[0])}\n[ {type_name}{{}} ]")
        if int(offsets[-1]) > count:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {count} but got offsets[-1] of "
                               f"{int(offsets[-1])}")
    return xp.searchsorted(starts, xp.arange(count), side="right") - 1, bags


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """For each bag (a row of a 2-D `input`, or the indices from offsets[i] to offsets[i + 1] of a 1-D one)
    the sum, mean or max of the rows of `weight` it picks; per_sample_weights scale each picked row (sum
    only); indices equal to padding_idx are left out (an empty bag gives zeros)."""
    if weight.dtype.name == "int64" and input.is_floating_point():
        _warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                       "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.")
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights (torch.Size({list(per_sample_weights.shape)})) is "
                         f"not None, then it must have the same shape as the input "
                         f"(torch.Size({list(input.shape)}))")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type "
                             f"{str(type(offsets)).replace('minitorch.', 'torch.')}")
        offsets = arange(0, input.numel(), input.shape[1], dtype=input.dtype, device=input.device)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if max_norm is not None:
        _renorm_rows(weight, input._data, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  f"GitHub.")
    return _embedding_bag(input, weight, offsets, mode, per_sample_weights, include_last_offset, padding_idx,
                          scale_grad_by_freq)


def _embedding_bag(input, weight, offsets, mode, per_sample_weights, include_last_offset, padding_idx,
                   scale_grad_by_freq):
    idx = input._data.astype(np.int64)
    w = weight._data
    xp = array_module(w)
    num, dim = w.shape
    if has_data(idx) and idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num):
        raise IndexError("index out of range in self")
    bag_of, bags = _bags(idx, offsets._data.astype(np.int64), include_last_offset, idx.shape[0], offsets.type())
    used = xp.ones(idx.shape, dtype=bool) if padding_idx is None else idx != (padding_idx % num)
    counts = xp.bincount(bag_of, weights=used.astype(w.dtype), minlength=bags)[:bags].astype(w.dtype)
    rows = w[idx]
    if per_sample_weights is not None:
        rows = rows * per_sample_weights._data[:, None]
    out = xp.zeros((bags, dim), dtype=w.dtype)
    sources = None  # max mode: the weight row each output value came from
    if mode == "max":
        sources = xp.zeros((bags, dim), dtype=np.int64)
        for b in range(bags if has_data(w) else 0):  # a meta bag has no values to pick from
            members = xp.nonzero(used & (bag_of == b))[0]
            if members.size:
                chosen = members[rows[members].argmax(0)]  # the first maximum wins, per column
                out[b] = rows[chosen, xp.arange(dim)]
                sources[b] = idx[chosen]
    else:
        _add_at(out, bag_of, xp.where(used[:, None], rows, 0))
        if mode == "mean":
            out = out / xp.maximum(counts, 1)[:, None]
    scale = xp.where(used, 1.0, 0.0).astype(w.dtype)
    if mode == "mean":
        scale = scale / xp.maximum(counts, 1)[xp.where(used, bag_of, 0)]
    if scale_grad_by_freq:
        freq = xp.bincount(idx, minlength=num)
        scale = scale / freq[idx]

    def backward(g):
        gw = gp = None
        if mode == "max":
            flat = Tensor._wrap((sources * dim + xp.arange(dim)).reshape(-1))
            kept = g * Tensor._wrap((counts > 0).astype(w.dtype)[:, None])
            gw = index_add(zeros(num * dim, dtype=g.dtype, device=g.device), 0, flat, kept.reshape(-1))
            return gw.reshape(weight.shape), None
        per_row = g.index_select(0, Tensor._wrap(xp.where(used, bag_of, 0))) * Tensor._wrap(scale[:, None])
        if weight._requires_grad:
            picked = per_row if per_sample_weights is None else per_row * per_sample_weights.unsqueeze(1)
            gw = index_add(zeros(weight.shape, dtype=g.dtype, device=g.device), 0, Tensor._wrap(idx), picked)
        if per_sample_weights is not None and per_sample_weights._requires_grad:
            gp = (per_row * weight.index_select(0, Tensor._wrap(idx))).sum(1)
        return gw, gp
    return make(out, "EmbeddingBagBackward0", (weight, per_sample_weights), backward)
