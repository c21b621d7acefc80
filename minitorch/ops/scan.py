"""Scans along a dimension (cumprod, cummax, cummin, logcumsumexp; cumsum is in reduce.py) and the
differences and integrals built on them: diff, trapezoid / trapz, cumulative_trapezoid. Each forward is
followed by its backward, written with tensor ops so that `create_graph=True` differentiates it again."""
import numpy as np

from .. import _dtype
from .._device import array_module
from .._tensor import Tensor, _wrap_dim
from ._core import make
from .index import scatter_add
from .._creation import empty_like
from .pointwise import _conj, _not_implemented, _zeros_like, exp, log, logical_xor, where
from .reduce import _check_grad_dtype, _int_to_long, _reverse_cumsum, return_type, sum
from .shape import cat, flip, narrow, select, stack

_CUMMAX, _CUMMIN = return_type("cummax"), return_type("cummin")


def _scan_dim(input, dim):
    return _wrap_dim(dim, input._data.ndim)


# ----- cumprod ---------------------------------------------------------------------------------------------
def cumprod(input, dim, *, dtype=None):
    """Running products along `dim` (integer and bool input accumulate in int64, or in `dtype`)."""
    _check_grad_dtype(input, dtype)
    data = _int_to_long(input._data, dtype)
    d = _scan_dim(input, dim)
    out = array_module(data).cumprod(data, axis=d) if data.ndim else data.copy()

    def backward(g):
        return (_cumprod_grad(g, input if dtype is None else input.to(dtype), d).to(input.dtype),)
    return make(out, "CumprodBackward0", (input,), backward)


def _cumprod_grad(g, x, d):
    """d out_j / d x_k = prod of x_i for i <= j, i != k. Without zeros that is out_j / x_k, so the gradient is
    reverse_cumsum(g * out) / x; with zeros, prefix_k * S_k where prefix_k is the product before k and
    S_k = g_k + x_(k+1) S_(k+1) sums the later gradients times the products between (a reverse scan)."""
    if not x._data.ndim:
        return g
    if not bool((x._data == 0).any()):
        return _reverse_cumsum(g * _conj(cumprod(x, d)), d) / _conj(x)
    n = x.shape[d]
    ones = narrow(x, d, 0, 1) * 0 + 1
    prefix = _conj(cat([ones, narrow(cumprod(x, d), d, 0, n - 1)], d))
    sums = [select(g, d, n - 1)]
    for k in range(n - 2, -1, -1):
        sums.append(select(g, d, k) + _conj(select(x, d, k + 1)) * sums[-1])
    return prefix * stack(sums[::-1], d)


# ----- cummax / cummin -------------------------------------------------------------------------------------
def _cumulative_extreme(input, dim, name, result_type):
    """(values, indices) of the running max or min along `dim`: a tie or a nan moves the index to the newer
    element (nan, once seen, stays the value)."""
    data = input._data
    d = _scan_dim(input, dim)
    xp = array_module(data)
    if not data.ndim:
        values, indices = data.copy(), xp.zeros((), np.int64)
    else:
        ufunc = xp.maximum if name == "cummax" else xp.minimum
        values = ufunc.accumulate(data, axis=d)
        newer = values == data
        if data.dtype.kind in "fc":
            newer |= xp.isnan(data)
        positions = xp.arange(data.shape[d]).reshape((-1,) + (1,) * (data.ndim - d - 1))
        indices = xp.maximum.accumulate(xp.where(newer, positions, 0), axis=d).astype(np.int64)
    kept = Tensor._wrap(indices)

    def backward(g):
        if not g._data.ndim:
            return (g,)
        return (scatter_add(_zeros_like(g), d, kept, g),)
    values = make(values, name.capitalize() + "Backward0", (input,), backward, saves=(kept,))
    return result_type((values, Tensor._wrap(indices)))


def cummax(input, dim):
    """(values, indices): the largest element so far along `dim` and where it is."""
    return _cumulative_extreme(input, dim, "cummax", _CUMMAX)


def cummin(input, dim):
    """(values, indices): the smallest element so far along `dim` and where it is."""
    return _cumulative_extreme(input, dim, "cummin", _CUMMIN)


# ----- logcumsumexp ----------------------------------------------------------------------------------------
def logcumsumexp(input, dim):
    """log(cumsum(exp(input))) along `dim`, computed without overflow."""
    data = input._data
    if data.dtype.kind in "biu":
        raise _not_implemented("logcumsumexp_out_cpu", data.dtype)
    d = _scan_dim(input, dim)
    out = array_module(data).logaddexp.accumulate(data, axis=d) if data.ndim else data.copy()

    def backward(g):
        # grad_k = sum_(j >= k) g_j exp(x_k - out_j), summed in log space for the positive and the negative
        # parts of g; the dtype's lowest number stands for log(0), so that no inf - inf appears
        if not g._data.ndim:
            return (g,)
        result = logcumsumexp(input, d)
        log_abs = log(g.abs())
        lowest = float(np.finfo(g._data.dtype).min)

        def part(mask):
            logs = where(mask, log_abs, lowest) - result
            return exp(flip(logcumsumexp(flip(logs, d), d), d) + input)
        return (part(g > 0) - part(g < 0),)
    return make(out, "LogcumsumexpBackward0", (input,), backward)


# ----- differences and integrals ----------------------------------------------------------------------------
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along `dim` (bool tensors: xor of neighbours), after joining `prepend`
    and `append` at the ends."""
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _scan_dim(input, dim)
    parts = [t for t in (prepend, input, append) if t is not None]
    for t in parts:
        if t.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    out = cat(parts, d) if len(parts) > 1 else input
    if n == 0:  # a copy, as torch returns
        return empty_like(out).copy_(out)
    for _ in range(n):
        length = out.shape[d]
        if length == 0:
            break
        later, earlier = narrow(out, d, 1, length - 1), narrow(out, d, 0, length - 1)
        out = logical_xor(later, earlier) if out.dtype is _dtype.bool else later - earlier
    return out


def _mul_scalar(t, factor):
    """t * factor, as torch's internal multiplication by a number (MulBackward1)."""
    return make(t._data * t._data.dtype.type(factor), "MulBackward1", (t,), lambda g: (g * factor,), saves=False)


def _div_scalar(t, divisor):
    """t / divisor, as torch's internal division by a number (DivBackward1)."""
    return make(t._data / t._data.dtype.type(divisor), "DivBackward1", (t,), lambda g: (g / divisor,), saves=False)


def _spacing_and_pairs(y, x, dx, d, name):
    """The neighbour sums y_(k+1) + y_k along d, and the spacing: a number (dx, 1 by default) or the
    differences of the sample points x (broadcast against y)."""
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both 'x' and 'dx'")
    if not y.is_floating_point():
        y = y.to(_dtype.get_default_dtype())
    length = y.shape[d]
    pairs = narrow(y, d, 1, length - 1) + narrow(y, d, 0, length - 1) if length else y
    if x is None:
        return pairs, 1.0 if dx is None else dx
    if x.ndim == 1:
        if x.shape[0] != length:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        x = x.reshape((-1,) + (1,) * (y.ndim - d - 1))
    spacing = diff(x, dim=d - y.ndim if x.ndim == y.ndim else -1 - (y.ndim - 1 - d))
    return pairs, spacing


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along `dim`: sum of (y_k + y_(k+1)) / 2 times the spacing (dx, or the gaps of x)."""
    d = _scan_dim(y, dim)
    if y.shape[d] == 0:
        return sum(y, d) if y.is_floating_point() else sum(y.to(_dtype.get_default_dtype()), d)
    pairs, spacing = _spacing_and_pairs(y, x, dx, d, "trapezoid")
    if isinstance(spacing, Tensor):
        return _div_scalar(sum(spacing * pairs, d), 2)
    return _mul_scalar(sum(pairs, d), spacing / 2)


def trapz(y, x=None, *, dx=None, dim=-1):
    """trapezoid under its older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal rule along `dim` (one element fewer than y)."""
    from .reduce import cumsum
    d = _scan_dim(y, dim)
    pairs, spacing = _spacing_and_pairs(y, x, dx, d, "cumulative_trapezoid")
    if isinstance(spacing, Tensor):
        return _div_scalar(cumsum(spacing * pairs, d), 2)
    return cumsum(_mul_scalar(pairs, spacing / 2), d)


__all__ = ["cumprod", "cummax", "cummin", "logcumsumexp", "diff", "trapezoid", "trapz", "cumulative_trapezoid"]
_METHODS = {name: globals()[name] for name in ("cumprod", "cummax", "cummin", "logcumsumexp", "diff")}
_INPLACE = {"cumprod_": cumprod}
