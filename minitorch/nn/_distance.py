"""Distances between vectors: cosine_similarity and pairwise_distance (composed of tensor ops, as torch
composes them) and pdist, the distances between all pairs of rows as one node.
See https://pytorch.org/docs/stable/nn.functional.html#distance-functions"""
import math

import numpy as np

from .._creation import zeros
from .._device import array_module
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops._core import broadcast_shapes, make
from ..ops.index import index_add
from ..ops.pointwise import where
from ..ops.reduce import vector_p_norm

__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x1 . x2 / (max(|x1|, eps) * max(|x2|, eps)) along `dim`: each input is divided by its own norm
    first (which keeps the result within [-1, 1]); the clamp at eps is not differentiated, as in torch."""
    shape = broadcast_shapes(x1.shape, x2.shape)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    norms = []
    for x in (x1, x2):
        n = x.norm(2, dim, keepdim=True).clone()
        with no_grad():
            n.clamp_min_(eps)
        norms.append(n)
    return ((x1 / norms[0]) * (x2 / norms[1])).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of x1 - x2 + eps over the last dimension (of the broadcast shape)."""
    return vector_p_norm(x1 - x2 + eps, p, max(x1.dim(), x2.dim()) - 1, keepdim, node="NormBackward1")


def pdist(input, p=2):
    """The p-norm distances between every pair of rows i < j of an (N, M) input, in row-major order of
    the pairs: N * (N - 1) / 2 values."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    x = input._data
    xp = array_module(x)
    rows_i, rows_j = (xp.asarray(r) for r in np.triu_indices(x.shape[0], 1))
    diff = x[rows_i] - x[rows_j]
    size = xp.abs(diff)
    if p == 0:
        dist = (diff != 0).sum(-1).astype(x.dtype)
    elif p == math.inf:
        dist = size.max(-1) if diff.shape[-1] else xp.zeros(diff.shape[0], x.dtype)
    else:
        dist = (size ** p).sum(-1) ** (1.0 / p)

    def backward(g):
        if p == 0:
            return (zeros(input.shape, dtype=input.dtype, device=input.device),)
        d = input.index_select(0, Tensor._wrap(rows_i)) - input.index_select(0, Tensor._wrap(rows_j))
        if p == math.inf:
            part = d.sign() * (d.abs() == Tensor._wrap(dist).unsqueeze(-1))
        elif p == 1:
            part = d.sign()
        else:  # the norm again as a tensor, so that the gradient differentiates too
            n = d.norm(p, -1, keepdim=True)
            part = where(n == 0, 0.0, d.sign() * d.abs() ** (p - 1) / where(n == 0, 1.0, n) ** (p - 1))
        rows = g.unsqueeze(-1) * part
        out = zeros(input.shape, dtype=rows.dtype, device=input.device)
        return (index_add(index_add(out, 0, Tensor._wrap(rows_i), rows), 0, Tensor._wrap(rows_j), -rows),)
    return make(dist.astype(x.dtype, copy=False), "PdistBackward0", (input,), backward)

