"""Products beyond matmul: einsum, tensordot, kron, inner, the scaled-and-added products (addmm, addmv,
addr, addbmm, baddbmm), trace, cross, pairwise distances (cdist) and dist. Each forward is followed by its
backward; einsum and tensordot are written, as torch writes them, as permutes, reshapes and batched matrix
products, so they differentiate through those."""
import math
import string

import numpy as np

from .. import _dtype, _warnings
from .._device import array_module
from .._tensor import Tensor, _wrap_dim
from ._core import broadcast_shapes, make, sum_to
from .linalg import _check_not_bool, _mH, _mT, bmm, matmul, mm, mv, outer
from .pointwise import _dtype_name, _zeros_like, abs, eq, pow, sign, where
from .reduce import norm, sum
from .shape import cat, diagonal, expand, permute, reshape


# ----- einsum -------------------------------------------------------------------------------------------------------
def _parse_einsum(equation, operands):
    """The label lists of each operand and of the output; '...' becomes as many fresh labels as the dims it
    covers (broadcast among the operands), an implicit output is the labels used once, in order."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if len(operands) > len(terms) else
                           "einsum(): fewer operands were provided than specified in the equation")
    ellipsis_dims = 0
    parsed = []
    for i, (term, op) in enumerate(zip(terms, operands)):
        plain = term.replace("...", "")
        if "..." in term:
            covered = op.ndim - len(plain)
            if covered < 0:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(plain)}) is more than "
                                   f"the number of dimensions ({op.ndim}) for operand {i}")
            ellipsis_dims = max(ellipsis_dims, covered)
        elif len(plain) != op.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(plain)}) does not match the "
                               f"number of dimensions ({op.ndim}) for operand {i} and no ellipsis was given")
        parsed.append(term)
    fresh = [c for c in string.ascii_letters if c not in equation]
    dots = fresh[:ellipsis_dims]
    labels = []
    for term, op in zip(parsed, operands):
        head, _, tail = term.partition("...")
        middle = dots[ellipsis_dims - (op.ndim - len(head) - len(tail)):] if "..." in term else []
        labels.append(list(head) + middle + list(tail))
    if arrow:
        head, _, tail = output.partition("...")
        out = list(head) + (dots if "..." in output else []) + list(tail)
        for c in out:
            if c not in dots and not any(c in lab for lab in labels):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
    else:
        used = [c for lab in labels for c in lab if c not in dots]
        out = dots + sorted(c for c in set(used) if used.count(c) == 1)
    return labels, out


def einsum(*args):
    """Sums of products of the operands' elements as the equation names them ('ij,jk->ik' is a matrix product);
    also the sublist form einsum(op1, [0, 1], op2, [1, 2], [0, 2])."""
    if args and not isinstance(args[0], str):
        args = _from_sublists(args)
    equation, operands = args[0], list(args[1:])
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = list(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    labels, out = _parse_einsum(equation, operands)
    sizes = {}
    for i, (lab, op) in enumerate(zip(labels, operands)):
        for c, n in zip(lab, op.shape):
            if c in sizes and n != sizes[c] and 1 not in (n, sizes[c]):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast "
                                   f"with previously seen size {sizes[c]}")
            sizes[c] = n if c not in sizes or sizes[c] == 1 else sizes[c]
    if len(operands) == 1:  # as torch: the diagonals, a permute into output order (then the summed labels), a sum
        op, lab = _diagonals(operands[0], labels[0])
        summed = [c for c in lab if c not in out]
        op = permute(op, [lab.index(c) for c in out + summed])
        return sum(op, list(range(len(out), len(out) + len(summed)))) if summed else op
    terms = [_single(op, lab, out, labels[:i] + labels[i + 1:]) for i, (op, lab) in enumerate(zip(operands, labels))]
    result, have = terms[0]
    for i, (other, other_labels) in enumerate(terms[1:], start=1):
        later = [c for lab, _ in terms[i + 1:] for c in lab]
        result, have = _contract(result, have, other, other_labels, out, later)
    return _arrange(result, have, out)


def _from_sublists(args):
    """einsum's sublist form (op1, sublist1, op2, sublist2, ..., [output sublist]) as an equation and operands."""
    output = args[-1] if len(args) % 2 else None
    pairs = args[:-1] if len(args) % 2 else args
    operands, subscripts = list(pairs[0::2]), list(pairs[1::2])
    letters = string.ascii_letters

    def text(sub):
        return "".join("..." if s is Ellipsis else letters[s] for s in sub)
    equation = ",".join(text(s) for s in subscripts) + ("" if output is None else "->" + text(output))
    return (equation, *operands)


def _single(op, labels, out, others):
    """One operand with its repeated labels turned into diagonals and the labels no one else needs summed."""
    op, labels = _diagonals(op, labels)
    needed = set(out) | {c for lab in others for c in lab}
    gone = [k for k, c in enumerate(labels) if c not in needed]
    if gone:
        op = sum(op, gone)
        labels = [c for k, c in enumerate(labels) if k not in gone]
    return op, labels


def _diagonals(op, labels):
    """`op` with each repeated label turned into a diagonal (moved to the end), and its labels."""
    labels = list(labels)
    while True:
        repeated = next((c for c in labels if labels.count(c) > 1), None)
        if repeated is None:
            break
        first = labels.index(repeated)
        second = labels.index(repeated, first + 1)
        op = diagonal(op, 0, first, second)
        labels = [c for k, c in enumerate(labels) if k not in (first, second)] + [repeated]
    return op, labels


def _contract(a, la, b, lb, out, later):
    """a * b summed over the labels they share that the output and later operands do not need, as one batched
    matrix product: (batch, left, summed) @ (batch, summed, right)."""
    keep = set(out) | set(later)
    batch = [c for c in la if c in lb and c in keep]
    summed = [c for c in la if c in lb and c not in keep]
    if not summed:  # nothing to sum: a broadcast product, as torch computes it
        have = [c for c in out if c in la or c in lb] + [c for c in la + lb if c not in out]
        have = list(dict.fromkeys(have))
        return _aligned(a, la, have) * _aligned(b, lb, have), have
    left = [c for c in la if c not in lb]
    right = [c for c in lb if c not in la]
    size = {}
    for c, n in zip(la + lb, list(a.shape) + list(b.shape)):
        size[c] = max(size.get(c, 1), n)
    a = permute(a, [la.index(c) for c in batch + left + summed])
    b = permute(b, [lb.index(c) for c in batch + summed + right])
    batch_shape = [size[c] for c in batch]
    a = expand(a, batch_shape + list(a.shape[len(batch):]))
    b = expand(b, batch_shape + list(b.shape[len(batch):]))
    nb, nl, ns, nr = (math.prod(size[c] for c in group) for group in (batch, left, summed, right))
    product = bmm(reshape(a, nb, nl, ns), reshape(b, nb, ns, nr))
    return reshape(product, batch_shape + [size[c] for c in left + right]), batch + left + right


def _aligned(op, labels, order):
    """`op` permuted into `order` (the labels it has), with size-1 dims for the labels it lacks."""
    present = [c for c in order if c in labels]
    op = permute(op, [labels.index(c) for c in present])
    return reshape(op, [op.shape[present.index(c)] if c in present else 1 for c in order])


def _arrange(result, have, out):
    """The result's dims put in the output's order (no permute when they already are)."""
    order = [have.index(c) for c in out]
    return result if order == list(range(len(order))) else permute(result, order)


# ----- tensordot, kron, inner ---------------------------------------------------------------------------------------
def tensordot(a, b, dims=2, out=None):
    """Sum over the last `dims` dims of a and the first of b, or over the dim lists dims = (of a, of b)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[da]} in dim {da} "
                               f"and second has size {b.shape[db]} in dim {db}")
    dims_a = [_wrap_dim(d, a.ndim) for d in dims_a]
    dims_b = [_wrap_dim(d, b.ndim) for d in dims_b]
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    n = math.prod(a.shape[d] for d in dims_a)
    left = reshape(permute(a, free_a + dims_a), -1, n)
    right = reshape(permute(b, dims_b + free_b), n, -1)
    return reshape(mm(left, right), [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


def kron(input, other):
    """The Kronecker product: every element of input times the whole of other, in blocks."""
    ndim = max(input.ndim, other.ndim)
    a = reshape(input, (1,) * (ndim - input.ndim) + tuple(input.shape))
    b = reshape(other, (1,) * (ndim - other.ndim) + tuple(other.shape))
    spread_a = reshape(a, [s for n in a.shape for s in (n, 1)])
    spread_b = reshape(b, [s for n in b.shape for s in (1, n)])
    product = spread_a * spread_b
    shape = tuple(m * n for m, n in zip(a.shape, b.shape))
    return make(product._data.reshape(shape), "UnsafeViewBackward0", (product,),
                lambda g: (g.reshape(product.shape),), saves=False)


def inner(input, other):
    """The sum of products over the last dims (a plain product when either is 0-d)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


# ----- the scaled-and-added products ---------------------------------------------------------------------------------
def _scaled_sum(input, product, beta, alpha, name, product_grads, operands):
    """beta * input + alpha * product (input ignored when beta is 0, as torch does); product_grads(g) gives the
    operands' gradients for an output gradient g of the product."""
    data = product._data * alpha if alpha != 1 else product._data
    target, have = tuple(data.shape), tuple(input.shape)
    for k in range(1, len(have) + 1):  # input must expand to the product's shape
        if k > len(target) or have[-k] not in (1, target[-k]):
            at = len(target) - k
            raise RuntimeError(f"The expanded size of the tensor ({target[at] if at >= 0 else -1}) must match the "
                               f"existing size ({have[-k]}) at non-singleton dimension {at}.  Target sizes: "
                               f"{list(target)}.  Tensor sizes: {list(have)}")
    if beta != 0:
        data = data + (input._data * beta if beta != 1 else input._data)
    data = data.astype(product._data.dtype, copy=False)

    def backward(g):
        grads = product_grads(g * alpha if alpha != 1 else g)
        own = sum_to(g * beta if beta != 1 else g, input.shape) if input._requires_grad and beta != 0 else \
            (_zeros_like(input) if input._requires_grad else None)
        return (own, *grads)
    return make(data, name, (input, *operands), backward)


def _product_grads(wanted, *grads):
    """The gradients of a product's operands that require grad (None for the others)."""
    return tuple(fn() if w._requires_grad else None for w, fn in zip(wanted, grads))


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2)."""
    return _scaled_sum(input, mm(mat1.detach(), mat2.detach()), beta, alpha, "AddmmBackward0",
                       lambda g: _product_grads((mat1, mat2), lambda: mm(g, _mH(mat2)),
                                                lambda: mm(_mH(mat1), g)), (mat1, mat2))


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec)."""
    return _scaled_sum(input, mv(mat.detach(), vec.detach()), beta, alpha, "AddmvBackward0",
                       lambda g: _product_grads((mat, vec), lambda: outer(g, vec.conj()),
                                                lambda: mv(_mH(mat), g)), (mat, vec))


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2)."""
    return _scaled_sum(input, outer(vec1.detach(), vec2.detach()), beta, alpha, "AddrBackward0",
                       lambda g: _product_grads((vec1, vec2), lambda: mv(g, vec2.conj()),
                                                lambda: mv(_mT(g), vec1.conj())), (vec1, vec2))


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2), per batch."""
    return _scaled_sum(input, bmm(batch1.detach(), batch2.detach()), beta, alpha, "BaddbmmBackward0",
                       lambda g: _product_grads((batch1, batch2), lambda: bmm(g, _mH(batch2)),
                                                lambda: bmm(_mH(batch1), g)), (batch1, batch2))


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * the sum over the batch of batch1[b] @ batch2[b]."""
    product = sum(bmm(batch1.detach(), batch2.detach()), 0)

    def grads(g):
        wide = expand(g.unsqueeze(0), (batch1.shape[0], *g.shape))
        return _product_grads((batch1, batch2), lambda: bmm(wide, _mH(batch2)),
                              lambda: bmm(_mH(batch1), wide))
    return _scaled_sum(input, product, beta, alpha, "AddbmmBackward0", grads, (batch1, batch2))


def chain_matmul(*matrices):
    """The product of the matrices in order (deprecated by torch in favour of linalg.multi_dot)."""
    _warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                   "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
                   "parameters.")
    matrices = matrices[0] if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)) else matrices
    if len(matrices) == 1:
        return matrices[0].clone()
    from .linalg_extra import multi_dot
    return multi_dot(list(matrices))


# ----- trace, cross, distances ------------------------------------------------------------------------------------
def trace(input):
    """The sum of the main diagonal of a matrix (int64 for integer input)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    data = input._data
    _check_not_bool("trace", data)
    out = array_module(data).trace(data)
    if data.dtype.kind in "biu":
        out = out.astype(np.int64)
    shape = data.shape

    def backward(g):
        xp = array_module(g._data)
        return (g * Tensor._wrap(xp.eye(*shape, dtype=g._data.dtype)),)
    return make(out, "TraceBackward0", (input,), backward, saves=False)


def cross(input, other, dim=None):
    """The cross product of 3-vectors along `dim` (by default, with torch's deprecation warning, the first dim
    of size 3)."""
    if dim is None:
        _warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                       "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                       "with that of linalg.cross in a future release.")
        shape = broadcast_shapes(input.shape, other.shape)
        dim = next((d for d, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim)


def linalg_cross(input, other, *, dim=-1):
    """torch.linalg.cross: the cross product along `dim` (of size 3), the other dims broadcasting."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
                           f"{other.shape[d]}")
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        dt = _dtype.promote_types(input.dtype, other.dtype).np
        a, b = a.astype(dt), b.astype(dt)
    out = array_module(a).cross(a, b, axisa=d, axisb=d, axisc=d)

    def backward(g):
        return (sum_to(linalg_cross(other.conj().expand_as(g), g, dim=d), input.shape) if input._requires_grad
                else None,
                sum_to(linalg_cross(g, input.conj().expand_as(g), dim=d), other.shape) if other._requires_grad
                else None)
    return make(out, "LinalgCrossBackward0", (input, other), backward)


def dist(input, other, p=2):
    """The p-norm of input - other (broadcast)."""
    difference = (input - other)

    def backward(g):
        # the gradient of the norm of the difference, to input (+) and to other (-)
        with_graph = norm(difference, p)
        grad = _norm_grad(difference, with_graph, p) * g
        return (sum_to(grad, input.shape) if input._requires_grad else None,
                sum_to(-grad, other.shape) if isinstance(other, Tensor) and other._requires_grad else None)
    value = norm(difference.detach(), p)
    return make(value._data, "DistBackward0", (input, other), backward)


def _norm_grad(x, value, p):
    """d ||x||_p / dx, with torch's conventions: 0 for p = 0, sign at the maxima for p = inf, 0 where x is 0."""
    if p == 0:
        return _zeros_like(x)
    if p == 1:
        return sign(x)
    if p == float("inf") or p == float("-inf"):
        hit = eq(abs(x), value)
        return sign(x) * hit / hit.sum()
    if p == 2:
        return where(eq(value, 0), 0.0, x / value)
    return where(eq(value, 0), 0.0, sign(x) * pow(abs(x), p - 1) / pow(value, p - 1))


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between every row of x1 (..., P, M) and every row of x2 (..., R, M): (..., P, R).
    For p = 2 with many rows (or compute_mode 'use_mm_for_euclid_dist') it is computed, as torch does, from
    squared norms and one matrix product."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D"
                           if x1.ndim < 2 else f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if not x1.is_floating_point():
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {_dtype_name(x1.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or compute_mode == modes[0] and
                         (x1.shape[-2] > 25 or x2.shape[-2] > 25))
    batch = broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    a = expand(x1, (*batch, *x1.shape[-2:]))
    b = expand(x2, (*batch, *x2.shape[-2:]))
    if use_mm:
        return _euclidean_by_mm(a, b)
    difference = a.unsqueeze(-2) - b.unsqueeze(-3)  # (..., P, R, M)
    value = norm(difference.detach(), p, -1)

    def backward(g):
        grad = _rowwise_norm_grad(difference, p) * g.unsqueeze(-1)
        return (sum_to(grad.sum(-2), x1.shape) if x1._requires_grad else None,
                sum_to(-grad.sum(-3), x2.shape) if x2._requires_grad else None)
    return make(value._data, "CdistBackward0", (x1, x2), backward)


def _rowwise_norm_grad(x, p):
    """d ||x||_p / dx along the last dim of x (rows of differences)."""
    value = norm(x, p, -1, keepdim=True)
    if p == 0:
        return _zeros_like(x)
    if p == 1:
        return sign(x)
    if p == float("inf"):
        return sign(x) * eq(abs(x), value)
    return where(eq(value, 0), 0.0, sign(x) * pow(abs(x), p - 1) / pow(value, p - 1))


def _euclidean_by_mm(x1, x2):
    """sqrt(|a|^2 + |b|^2 - 2 a.b) for every pair of rows, from one matrix product of padded rows."""
    n1 = (x1 * x1).sum(-1, keepdim=True)
    n2 = (x2 * x2).sum(-1, keepdim=True)
    left = cat([x1 * -2, n1, n1 * 0 + 1], -1)
    right = cat([x2, n2 * 0 + 1, n2], -1)
    result = matmul(left, _mT(right)).clamp_min(1e-30).sqrt()
    return result.view(result.shape)


__all__ = ["einsum", "tensordot", "kron", "inner", "addmm", "addmv", "addr", "baddbmm", "addbmm",
           "chain_matmul", "trace", "cross", "dist", "cdist"]
_METHODS = {name: globals()[name] for name in ("kron", "inner", "addmm", "addmv", "addr", "baddbmm", "addbmm",
                                                "trace", "cross", "dist")}
_INPLACE = {name + "_": globals()[name] for name in ("addmm", "addmv", "addr", "baddbmm", "addbmm")}
