"""Vector and matrix norms as torch.linalg computes them (vector_norm, matrix_norm, norm), and the
per-slice norm behind weight normalisation (norm_except_dim, _weight_norm). Each is built from other
ops as torch builds it, so results carry torch's grad_fn (LinalgVectorNormBackward0, AmaxBackward0 ...)."""
import math

from .._tensor import _wrap_dim
from ..autograd.grad_mode import no_grad
from ._core import make
from .decompositions import _check_matrix, svdvals
from .pointwise import _dtype_name
from .reduce import amax, amin, norm as _vector_norm, sum

_MATRIX_ORDERS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """(sum |x|^ord)^(1/ord) over `dim` (all elements by default); ord inf / -inf is max / min |x|, 0 the
    number of non-zeros."""
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, not str")
    return _vector_norm(x, ord, dim, keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A norm of each matrix over the two dims `dim`: 'fro' (Frobenius), 'nuc' (sum of singular values),
    2 / -2 (largest / smallest singular value), 1 / -1 (largest / smallest column sum of |A|), inf / -inf
    (largest / smallest row sum)."""
    if ord not in _MATRIX_ORDERS or isinstance(ord, bool):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    _check_matrix("linalg.matrix_norm", A)
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    d0, d1 = (_wrap_dim(d, A.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, {dims[1]})")
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        # the two dims go last, the reduction runs over the singular values of each matrix
        order = [d for d in range(A.ndim) if d not in (d0, d1)] + [d0, d1]
        values = svdvals(A.permute(order))
        result = sum(values, -1) if ord == "nuc" else (amax if ord == 2 else amin)(values, -1)
        if keepdim:
            result = result.unsqueeze(-1).unsqueeze(-1).permute([order.index(d) for d in range(A.ndim)])
        return result
    # 1 sums |A| over d0 (the rows) and takes the max over d1; inf the other way round
    if abs(ord) == math.inf:
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    return (amax if ord > 0 else amin)(vector_norm(A, 1, d0, keepdim), d1, keepdim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: a matrix norm over `dim` when it names two dims (or, without dim, when ord is
    given and A is 2-D), else a vector norm (2-norm of all elements when neither is given)."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    if dim is None and ord is not None and A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.ndim}D.")
    if isinstance(ord, str) or ord is not None and (dim is None and A.ndim == 2 or dim is not None
                                                    and len(dim) == 2):
        return matrix_norm(A, ord, (0, 1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def norm_except_dim(v, pow=2, dim=0):
    """The `pow`-norm of each slice of v along `dim`, shaped to broadcast against v (size 1 in every
    other dim); dim=-1 gives the norm of all of v."""
    if dim == -1:
        return v.norm(pow)
    last = v.ndim - 1
    if dim not in (0, last):
        return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)
    shape = [1] * v.ndim
    shape[dim] = v.shape[dim]
    rows = v.reshape(v.shape[0], -1) if dim == 0 else v.reshape(-1, v.shape[last])
    return rows.norm(pow, 1 if dim == 0 else 0).reshape(shape)


def _weight_norm(v, g, dim=0):
    """w = g * v / ||v||, the norm taken over every dim but `dim` (weight normalisation: g sets each
    slice's length, v its direction). For dim 0 or the last dim this is one node, as torch's fused kernel
    (WeightNormInterfaceBackward0); otherwise it is composed of ops."""
    if v.device != g.device:
        raise RuntimeError(f"weight_norm: expected v_in and g_in to be on the same device, but v_in is on "
                           f"{v.device} and g_in is on {g.device}")
    if dim not in (0, v.ndim - 1) or "Half" in (_dtype_name(v.dtype), _dtype_name(g.dtype)):
        return v * (g / norm_except_dim(v, 2, dim))
    others = tuple(d for d in range(v.ndim) if d != dim)

    def backward(grad):
        norms = norm_except_dim(v, 2, dim)
        projection = (grad * v).sum(others, keepdim=True)
        g_g = projection / norms
        g_v = g / norms * (grad - v * (projection / (norms * norms)))
        return (g_v if v._requires_grad else None, g_g.reshape(g.shape) if g._requires_grad else None)
    with no_grad():
        data = (v * (g / norm_except_dim(v, 2, dim)))._data
    return make(data, "WeightNormInterfaceBackward0", (v, g), backward)


__all__ = ["norm_except_dim", "_weight_norm"]
_METHODS = {}
_INPLACE = {}
