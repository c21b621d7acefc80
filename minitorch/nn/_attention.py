"""Attention: scaled_dot_product_attention, one node with its own backward, and
multi_head_attention_forward, the function behind nn.MultiheadAttention, composed as torch composes it
(in-projection, per-head attention, out-projection), with torch's mask handling.
See https://pytorch.org/docs/stable/generated/torch.nn.functional.scaled_dot_product_attention.html"""
import math

import numpy as np

from .. import _warnings
from .._creation import zeros, zeros_like
from .._device import array_module
from .._tensor import Tensor
from ..autograd import grad_mode
from ..ops._core import broadcast_shapes, make, sum_to
from ..ops.reduce import softmax
from ..ops.shape import cat
from . import functional as F
from ._layers import dropout, pad

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


# ----- scaled dot-product attention ---------------------------------------------------------------------------
def _fixed_bias(attn_mask, is_causal, shape, dtype, xp):
    """The constant part of the score bias: -inf where a bool mask is False or a causal query would look
    ahead (None when neither applies). A float mask is added on its own, as it may require grad."""
    bias = None
    if attn_mask is not None and not attn_mask.is_floating_point():
        bias = xp.where(attn_mask._data, 0.0, -np.inf).astype(dtype)
    if is_causal:
        ahead = xp.asarray(~np.tril(np.ones(shape[-2:], dtype=bool)))
        causal = xp.where(ahead, -np.inf, 0.0).astype(dtype)
        bias = causal if bias is None else bias + causal
    return bias


def _attention_weights(q, k, scale, bias, xp):
    """softmax(q k^T * scale + bias) over the keys (arrays); a row whose keys are all masked gives zeros (as
    torch's cpu kernels do), not NaN."""
    scores = xp.matmul(q, xp.swapaxes(k, -1, -2)) * q.dtype.type(scale)
    if bias is not None:
        scores = scores + bias
    top = scores.max(-1, keepdims=True)
    dead = top == -np.inf
    e = xp.exp(scores - xp.where(dead, 0, top))
    return xp.where(dead, 0, e / xp.where(dead, 1, e.sum(-1, keepdims=True))).astype(q.dtype, copy=False)


def _check_sdpa(query, key, value, attn_mask):
    if query.shape[-1] != key.shape[-1]:
        rows = int(np.prod(query.shape[:-2]))
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{rows}, "
                           f"{query.shape[-1]}] but got: [{rows}, {key.shape[-1]}].")
    if not (query.dtype is key.dtype is value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{query.dtype.cpp_name} key.dtype: {key.dtype.cpp_name} and value.dtype: "
                           f"{value.dtype.cpp_name} instead.")
    if attn_mask is not None:
        broadcast_shapes(tuple(query.shape[:-1]) + (key.shape[-2],), attn_mask.shape)
    if attn_mask is not None and attn_mask.dtype.name != "bool" and attn_mask.dtype is not query.dtype:
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {attn_mask.dtype.cpp_name} and  query.dtype: "
                           f"{query.dtype.cpp_name} instead.")


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(Q K^T * scale + mask) V over (..., L, E) queries and (..., S, E) keys and values.

    attn_mask: bool (True = may attend) or additive float, broadcast to (..., L, S); is_causal: query i sees
    keys 0..i; scale defaults to 1/sqrt(E); enable_gqa lets key and value have fewer heads (dim -3) than
    query, each shared by a group of query heads."""
    _check_sdpa(query, key, value, attn_mask)
    heads, kv_heads = (query.shape[-3], key.shape[-3]) if query.dim() >= 3 else (1, 1)
    groups = 1
    if enable_gqa and heads != kv_heads:
        if heads % kv_heads or heads % value.shape[-3]:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
        groups = heads // kv_heads
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    flash = _flash_applies(query, key, value, attn_mask, dropout_p, groups)
    if not flash and is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if dropout_p > 0.0:
        return _attention_with_dropout(query, key, value, attn_mask, dropout_p, is_causal, scale, groups)
    name = "ScaledDotProductFlashAttentionForCpuBackward0" if flash else "UnsafeViewBackward0"
    return _attention(query, key, value, attn_mask, is_causal, scale, groups, name)


def _flash_applies(query, key, value, attn_mask, dropout_p, groups):
    """Whether torch's cpu kernel choice is its flash kernel (else its composed "math" kernel, whose last
    node is a view): 4-D inputs without broadcasting, one head size, no dropout, a 2-D or 4-D mask that
    needs no gradient. The node is named after that choice; with both a mask and is_causal the math kernel
    raises, the flash kernel applies both."""
    if dropout_p > 0.0 or not query.dim() == key.dim() == value.dim() == 4:
        return False
    heads = query.shape[1] // groups
    same_batch = query.shape[0] == key.shape[0] == value.shape[0] and heads == key.shape[1] == value.shape[1]
    one_size = query.shape[-1] == key.shape[-1] == value.shape[-1]
    mask_ok = attn_mask is None or (attn_mask.dim() in (2, 4) and not attn_mask.requires_grad)
    return same_batch and one_size and mask_ok


def _repeat_heads(t, groups):
    """Key or value heads repeated for each query head of their group (grouped-query attention)."""
    return t if groups == 1 else t.repeat_interleave(groups, -3)


def _attention(query, key, value, attn_mask, is_causal, scale, groups, name):
    """The attention node. Backward with P the weights and dO the output gradient:
    dV = P^T dO, dS = P * (dO V^T - rowsum(dO V^T * P)), dQ = dS K scale, dK = dS^T Q scale (summed over
    each group's shared heads), and d(float mask) = dS."""
    xp = array_module(query._data)
    q = query._data
    k, v = (xp.repeat(t._data, groups, axis=-3) if groups > 1 else t._data for t in (key, value))
    scores_shape = (q.shape[-2], k.shape[-2])
    fixed = _fixed_bias(attn_mask, is_causal, scores_shape, q.dtype, xp)
    float_mask = attn_mask if attn_mask is not None and attn_mask.is_floating_point() else None
    bias = fixed if float_mask is None else float_mask._data if fixed is None else fixed + float_mask._data
    weights = _attention_weights(q, k, scale, bias, xp)
    out = xp.matmul(weights, v)

    def backward(g):
        keys, values = _repeat_heads(key, groups), _repeat_heads(value, groups)
        if grad_mode._state["enabled"]:  # the weights as a graph of the inputs, for double backward
            scores = query @ keys.transpose(-1, -2) * scale
            if fixed is not None:
                scores = scores + Tensor._wrap(fixed)
            p = _safe_softmax(scores if float_mask is None else scores + float_mask)
        else:
            p = Tensor._wrap(weights)
        dp = g @ values.transpose(-1, -2)
        ds = p * (dp - (dp * p).sum(-1, keepdim=True))
        gq = sum_to(ds @ keys * scale, query.shape) if query._requires_grad else None
        gk = _sum_groups(ds.transpose(-1, -2) @ query * scale, key, groups) if key._requires_grad else None
        gv = _sum_groups(p.transpose(-1, -2) @ g, value, groups) if value._requires_grad else None
        gm = sum_to(ds, float_mask.shape) if float_mask is not None and float_mask._requires_grad else None
        return gq, gk, gv, gm
    return make(out, name, (query, key, value, float_mask), backward)


def _safe_softmax(scores):
    """softmax over the last dim, with zeros for rows that are all -inf."""
    dead = (scores == float("-inf")).all(-1, keepdim=True)
    return softmax(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


def _sum_groups(grad, like, groups):
    """A gradient over the repeated heads summed back onto the shared head, and onto like's shape."""
    if groups > 1:
        shape = tuple(grad.shape)
        grad = grad.reshape(*shape[:-3], shape[-3] // groups, groups, *shape[-2:]).sum(-3)
    return sum_to(grad, like.shape)


def _attention_with_dropout(query, key, value, attn_mask, dropout_p, is_causal, scale, groups):
    """The composed form torch's math kernel takes when dropout is on: every step a graph node."""
    keys, values = _repeat_heads(key, groups), _repeat_heads(value, groups)
    scores = query @ keys.transpose(-1, -2) * scale
    shape = tuple(scores.shape)
    if attn_mask is not None and not attn_mask.is_floating_point():
        scores = scores.masked_fill(~attn_mask, float("-inf"))
    elif attn_mask is not None:
        scores = scores + attn_mask
    if is_causal:
        ahead = Tensor._wrap(array_module(query._data).asarray(~np.tril(np.ones(shape[-2:], dtype=bool))))
        scores = scores.masked_fill(ahead, float("-inf"))
    return dropout(_safe_softmax(scores), dropout_p) @ values


# ----- multi-head attention -------------------------------------------------------------------------------------
def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask as the equivalent float mask (-inf where True) in target_type; float masks unchanged."""
    if mask is None:
        return None
    is_float = mask.is_floating_point()
    if mask.dtype.name != "bool" and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype is not other_type:
        _warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                       f"instead.")
    if not is_float:
        mask = zeros_like(mask, dtype=target_type).masked_fill_(mask, float("-inf"))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the call is batched, with torch's checks of the ranks."""
    if query.dim() == 3:
        kind, rank, mask_rank = "batched (3-D)", 3, 2
    elif query.dim() == 2:
        kind, rank, mask_rank = "unbatched (2-D)", 2, 1
    else:
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
                             f"tensor")
    if key.dim() != rank or value.dim() != rank:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {rank}-D but found {key.dim()}-D "
                             f"and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != mask_rank:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or {mask_rank}-D but "
                             f"found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.dim()}-D tensor instead")
        if rank == 2 and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"torch.Size({list(attn_mask.shape)})")
    return rank == 3


def _in_projection_packed(q, k, v, w, b=None):
    """q, k, v through the three row blocks of the packed in-projection w (3E, E): one GEMM when q, k and
    v are the same tensor (self-attention), two when k is v."""
    e = q.shape[-1]
    if k is v:
        if q is k:
            proj = F.linear(q, w, b).unflatten(-1, (3, e)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
            return proj[0], proj[1], proj[2]
        w_q, w_kv = w.split([e, e * 2])
        b_q, b_kv = (None, None) if b is None else b.split([e, e * 2])
        kv = F.linear(k, w_kv, b_kv).unflatten(-1, (2, e)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        return F.linear(q, w_q, b_q), kv[0], kv[1]
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return F.linear(q, w_q, b_q), F.linear(k, w_k, b_k), F.linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    """q, k, v through their own projection weights (key and value may have other widths)."""
    eq, ek, ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for label, w, want in (("query", w_q, (eq, eq)), ("key", w_k, (eq, ek)), ("value", w_v, (eq, ev))):
        if tuple(w.shape) != want:
            raise AssertionError(f"expecting {label} weights shape of {want}, but got torch.Size({list(w.shape)})")
    for label, b in (("query", b_q), ("key", b_k), ("value", b_v)):
        if b is not None and tuple(b.shape) != (eq,):
            raise AssertionError(f"expecting {label} bias shape of {(eq,)}, but got torch.Size({list(b.shape)})")
    return F.linear(q, w_q, b_q), F.linear(k, w_k, b_k), F.linear(v, w_v, b_v)


def _check_attn_mask(attn_mask, tgt_len, src_len, bsz, num_heads):
    if attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is torch.Size({list(attn_mask.shape)}), but should be "
                               f"{(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.dim() == 3:
        if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is torch.Size({list(attn_mask.shape)}), but should be "
                               f"{(bsz * num_heads, tgt_len, src_len)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")


def _static(t, name, bsz, num_heads, head_dim):
    if t.shape[0] != bsz * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {bsz * num_heads}, but got {t.shape[0]}")
    if t.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t.shape[2]}")
    return t


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention of (L, N, E) queries over (S, N, E) keys and values (unbatched: (L, E)):
    project, split into heads, attend, join the heads and project out. Returns (output, weights), the
    weights (N, L, S) averaged over the heads (or per head) when need_weights, else None."""
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask",
                                       query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # scaled_dot_product_attention builds the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims torch.Size({list(key.shape[:2])}) do not match "
                                 f"value's torch.Size({list(value.shape[:2])})")
        for name, w in (("q_proj_weight", q_proj_weight), ("k_proj_weight", k_proj_weight),
                        ("v_proj_weight", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name} is None")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, b_q, b_k, b_v)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape torch.Size({list(key.shape)}) does not match value shape "
                                 f"torch.Size({list(value.shape)})")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    if attn_mask is not None:
        attn_mask = _check_attn_mask(attn_mask, tgt_len, key.shape[0], bsz, num_heads)
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k, v = cat([k, bias_k.repeat(1, bsz, 1)]), cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = pad(attn_mask, (0, 1)) if attn_mask is not None else None
        key_padding_mask = pad(key_padding_mask, (0, 1)) if key_padding_mask is not None else None
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k is set but bias_v is None" if bias_k is not None else
                             "bias_v is set but bias_k is None")
    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.view(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_k is None else \
        _static(static_k, "static_k", bsz, num_heads, head_dim)
    v = v.view(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_v is None else \
        _static(static_v, "static_v", bsz, num_heads, head_dim)
    if add_zero_attn:
        k = cat([k, zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype, device=k.device)], dim=1)
        v = cat([v, zeros((bsz * num_heads, 1, head_dim), dtype=v.dtype, device=v.device)], dim=1)
        attn_mask = pad(attn_mask, (0, 1)) if attn_mask is not None else None
        key_padding_mask = pad(key_padding_mask, (0, 1)) if key_padding_mask is not None else None
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(
            bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = q * math.sqrt(1.0 / float(q.shape[-1])) @ k.transpose(-2, -1)
        weights = softmax(scores if attn_mask is None else attn_mask + scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = F.linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        return (out, weights) if is_batched else (out.squeeze(1), weights.squeeze(0))
    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 and attn_mask.dim() == 3 else \
            attn_mask.view(bsz, num_heads, -1, src_len)
    q, k, v = (t.view(bsz, num_heads, -1, head_dim) for t in (q, k, v))
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = F.linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
    return (out, None) if is_batched else (out.squeeze(1), None)
