"""Reductions (sum, mean, max ...) and the normalisations built on them (softmax, log_softmax).
Each forward is followed by its backward, written with tensor ops so that `create_graph=True` works."""
import builtins
import functools
import math
import warnings

import numpy as np

from .. import _dtype, _warnings
from .._device import array_module
from .._tensor import Tensor, _wrap_dim
from ..autograd import grad_mode
from ..backends.cuda import ops as cuda_ops, uses_kernels
from ._core import accumulator, make, normalize_dims, on_arrays, widened
from .pointwise import _detached_or_live, _dtype_name, abs, eq, exp, maximum, minimum, ne, sign, where

_grad_state = grad_mode._state


# ----- helpers ----------------------------------------------------------------------------------------
def _axes(dim, ndim):
    """The reduced axes as a tuple: None or an empty sequence mean every axis, as in torch. A zero-dim
    tensor accepts dim 0 or -1 and has no axis to reduce."""
    if dim is None or isinstance(dim, (tuple, list)) and not dim:
        return tuple(range(ndim))
    axes = normalize_dims(dim, ndim)
    return axes if ndim else ()


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _unreduce(g, shape, axes, keepdim):
    """A reduction's output gradient reshaped with size-1 reduced axes, so it broadcasts over the input."""
    return g if keepdim else g.reshape(_kept_shape(shape, axes))


def _int_to_long(data, dtype):
    """torch's accumulation dtype: `dtype` when given, int64 for bool and integer input."""
    if dtype is not None:
        return data.astype(dtype.np)
    return data.astype(np.int64) if data.dtype.kind in "biu" else data


def _check_grad_dtype(input, dtype):
    if dtype is not None and not dtype.is_floating_point and input._requires_grad and _grad_state["enabled"]:
        raise RuntimeError(f"Autograd not support dtype: {_dtype_name(dtype)}")


def _back_to(g, input):
    """A gradient computed in another dtype (the op's dtype= argument), cast back to the input's."""
    return g if g._data.dtype == input._data.dtype else g.to(input.dtype)


def _dims_as_given(dim, axes):
    """The dims as the caller wrote them, paired with their axes: torch's messages quote them so."""
    return zip((dim,) if isinstance(dim, (int, np.integer)) else tuple(dim), axes)


def _check_nonempty(name, data, dims, all_dims):
    """torch's errors for max/min-like reductions (no identity) over nothing; `dims` pairs (label, axis)."""
    if all_dims:
        if data.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               f"Specify the reduction dim with the 'dim' argument.")
        return
    for label, a in dims:
        if data.shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {label} to have non-zero size.")


def _require_float(name, input):
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {_dtype_name(input.dtype)}")


def _float_data(input):
    d = input._data
    return d.astype(_dtype.get_default_dtype().np) if d.dtype.kind in "biu" else d


def _numpy_names(fn):
    """torch also accepts NumPy's names for these arguments: axis= for dim=, keepdims= for keepdim=."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        for numpy_name, name in (("axis", "dim"), ("keepdims", "keepdim")):
            if numpy_name in kwargs:
                if name in kwargs:
                    raise TypeError(f"{fn.__name__}() got an unexpected keyword argument '{numpy_name}'")
                kwargs[name] = kwargs.pop(numpy_name)
        return fn(*args, **kwargs)
    return op


class _ReturnType(tuple):
    """What torch.max(x, dim), torch.linalg.qr and friends return (torch.return_types.<op>): a tuple whose
    items are also attributes named by the class's `_fields` (values and indices, Q and R ...)."""

    __slots__ = ()
    _fields = ()
    n_unnamed_fields = 0

    def __new__(cls, sequence):
        return tuple.__new__(cls, sequence)

    def __repr__(self):
        items = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{items})"


def return_type(name, fields=("values", "indices")):
    """The torch.return_types.<name> class of a result with these named items."""
    namespace = {"__slots__": (), "__module__": "torch.return_types", "__qualname__": name, "_fields": fields,
                 "n_fields": len(fields), "n_sequence_fields": len(fields)}
    namespace.update({field: property(lambda self, i=i: self[i]) for i, field in enumerate(fields)})
    return type(name, (_ReturnType,), namespace)


_MAX_RESULT, _MIN_RESULT = return_type("max"), return_type("min")


# ----- sums and products ------------------------------------------------------------------------------
@_numpy_names
def sum(input, dim=None, keepdim=False, *, dtype=None):
    _check_grad_dtype(input, dtype)
    data = _int_to_long(input._data, dtype)
    shape = data.shape
    axes = _axes(dim, data.ndim)

    def backward(g):
        if g._data.ndim:
            g = _unreduce(g, shape, axes, keepdim)
        return (_back_to(g.expand(shape), input),)  # a zero-dim gradient expands as it is
    name = "SumBackward0" if dim is None and not keepdim else "SumBackward1"
    out = data.sum(axis=axes, keepdims=keepdim, dtype=accumulator(data)).astype(data.dtype, copy=False)
    return make(out, name, (input,), backward, saves=False)


@_numpy_names
def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is None:
        _require_float("mean", input)
    data = input._data if dtype is None else input._data.astype(dtype.np)
    shape = data.shape
    axes = _axes(dim, data.ndim)
    count = math.prod(shape[a] for a in axes)
    if count:
        out = data.mean(axis=axes, keepdims=keepdim, dtype=accumulator(data)).astype(data.dtype, copy=False)
    else:
        out = array_module(data).full(data.sum(axis=axes, keepdims=keepdim).shape, np.nan, data.dtype)

    def backward(g):
        return (_back_to(_unreduce(g, shape, axes, keepdim).expand(shape) / count, input),)
    name = "MeanBackward0" if dim is None and not keepdim else "MeanBackward1"
    return make(out, name, (input,), backward, saves=False)


@_numpy_names
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or along one dim."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    _check_grad_dtype(input, dtype)
    data = _int_to_long(input._data, dtype)
    shape = data.shape
    axes = _axes(dim, data.ndim)
    out = data.prod(axis=axes, keepdims=keepdim, dtype=accumulator(data)).astype(data.dtype, copy=False)
    result = make(out, "ProdBackward0" if dim is None else "ProdBackward1",
                  (input,), None)
    if result._grad_fn is not None:
        def backward(g):
            g = g if keepdim or dim is None else _unreduce(g, shape, axes, False)
            if not (input._data == 0).any():
                out = _detached_or_live(result)
                out = out if keepdim or dim is None else _unreduce(out, shape, axes, False)
                return (_back_to(g * (out / input), input),)
            # with zeros, each element's gradient is the product of the others, computed without division
            if dim is None:
                return (_back_to(g * _prod_others(input.reshape(-1), 0).reshape(shape), input),)
            return (_back_to(g * _prod_others(input, axes[0] if axes else 0), input),)
        result._grad_fn._backward_fn = backward
    return result


def _prod_others(input, d):
    """out[i] = the product of input[j] for every j != i along dim `d` (from exclusive cumulative products
    from both ends): the gradient of prod, exact when the input holds zeros."""
    data = input._data
    if not data.ndim:
        return make(array_module(data).ones_like(data), "CumprodBackward0", (), None)
    xp = array_module(data)
    n = data.shape[d]
    before = [slice(None)] * data.ndim
    after = list(before)
    before[d], after[d] = slice(0, n - 1), slice(1, n)
    one = xp.ones_like(xp.take(data, [0], axis=d))
    left = xp.cumprod(xp.concatenate([one, data[tuple(before)]], axis=d), axis=d)
    right = xp.flip(xp.cumprod(xp.flip(xp.concatenate([data[tuple(after)], one], axis=d), d), axis=d), d)

    def backward(g):
        # d out[i] / d input[k] is the product over j not in {i, k} (and 0 for k == i): apply _prod_others
        # to copies of input with input[i] replaced by 1, laid out along a new dim d (i) before d + 1 (k)
        eye = xp.eye(n, dtype=bool).reshape([n if a in (d, d + 1) else 1 for a in range(data.ndim + 1)])
        pairs = _prod_others(where(Tensor._wrap(eye), 1.0, input.unsqueeze(d)), d + 1)
        return (sum(g.unsqueeze(d + 1) * pairs * Tensor._wrap(~eye), d),)
    return make(left * right, "CumprodBackward0", (input,), backward)


@_numpy_names
def cumsum(input, dim, *, dtype=None):
    _check_grad_dtype(input, dtype)
    data = _int_to_long(input._data, dtype)
    d = _wrap_dim(dim, data.ndim)
    out = array_module(data).cumsum(data, axis=d, dtype=accumulator(data)).astype(data.dtype, copy=False) \
        if data.ndim else data.copy()

    def backward(g):
        return (_back_to(_reverse_cumsum(g, d), input),)
    return make(out, "CumsumBackward0", (input,), backward, saves=False)


def _reverse_cumsum(input, d):
    """Sums from each position to the end along `d`: the gradient of cumsum (its own gradient is cumsum)."""
    data = input._data
    if data.ndim:
        xp = array_module(data)
        data = xp.flip(xp.cumsum(xp.flip(data, d), axis=d, dtype=accumulator(data)).astype(data.dtype), d)
    return make(data, "CumsumBackward0", (input,), lambda g: (cumsum(g, d),), saves=False)


# ----- extremes ---------------------------------------------------------------------------------------
@_numpy_names
def max(input, dim=None, keepdim=False):
    """The largest element; with `dim`, (values, indices) along it; with a tensor, `maximum`."""
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    if dim is None:
        return _full_extreme(input, "max", "MaxBackward1")
    return _extreme_along(input, dim, keepdim, "max", "MaxBackward0", _MAX_RESULT)


@_numpy_names
def min(input, dim=None, keepdim=False):
    """The smallest element; with `dim`, (values, indices) along it; with a tensor, `minimum`."""
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    if dim is None:
        return _full_extreme(input, "min", "MinBackward1")
    return _extreme_along(input, dim, keepdim, "min", "MinBackward0", _MIN_RESULT)


@_numpy_names
def amax(input, dim=(), keepdim=False):
    return _amax_amin(input, dim, keepdim, "amax", "AmaxBackward0")


@_numpy_names
def amin(input, dim=(), keepdim=False):
    return _amax_amin(input, dim, keepdim, "amin", "AminBackward0")


def _full_extreme(input, name, node_name):
    data = input._data
    _check_nonempty(name, data, (), True)
    return _reduce_extreme(input, getattr(data, name)(), tuple(range(data.ndim)), False, node_name)


def _amax_amin(input, dim, keepdim, name, node_name):
    data = input._data
    axes = _axes(dim, data.ndim)
    all_dims = dim is None or isinstance(dim, (tuple, list)) and not dim
    _check_nonempty(name, data, () if all_dims else _dims_as_given(dim, axes), all_dims)
    reduce = data.max if name == "amax" else data.min
    return _reduce_extreme(input, reduce(axis=axes, keepdims=keepdim), axes, keepdim, node_name)


def _reduce_extreme(input, out, axes, keepdim, node_name):
    """max/min over `axes`; the gradient is shared evenly between tied extremes, as torch does."""
    shape = input._data.shape

    def backward(g):
        hit = eq(input, _unreduce(Tensor._wrap(array_module(input._data).asarray(out)), shape, axes, keepdim))
        return (_unreduce(g, shape, axes, keepdim) * hit / sum(hit, axes, keepdim=True),)
    return make(out, node_name, (input,), backward)


def _extreme_along(input, dim, keepdim, name, node_name, result_type):
    """(values, indices) of max/min along one dim; the gradient goes to the element at the index."""
    data = input._data
    xp = array_module(data)
    d = _wrap_dim(dim, data.ndim)
    if data.ndim == 0:
        indices = xp.zeros((), np.int64)
        values = data.copy()
    else:
        _check_nonempty(name, data, ((d, d),), False)
        indices = (xp.argmax if name == "max" else xp.argmin)(data, axis=d, keepdims=True)
        values = xp.take_along_axis(data, indices, axis=d)
        if not keepdim:
            indices, values = indices.squeeze(d), values.squeeze(d)
    kept_indices = indices if keepdim or data.ndim == 0 else xp.expand_dims(indices, d)

    def backward(g):
        position = xp.arange(data.shape[d]).reshape([-1 if i == d else 1 for i in range(data.ndim)]) \
            if data.ndim else xp.zeros((), np.int64)
        one_hot = Tensor._wrap(xp.asarray(position == kept_indices))
        return (_unreduce(g, data.shape, (d,) if data.ndim else (), keepdim) * one_hot,)
    values = make(values, node_name, (input,), backward)
    return result_type((values, Tensor._wrap(indices.astype(np.int64, copy=False))))


@_numpy_names
def argmax(input, dim=None, keepdim=False):
    return _arg_extreme(input, dim, keepdim, "argmax")


@_numpy_names
def argmin(input, dim=None, keepdim=False):
    return _arg_extreme(input, dim, keepdim, "argmin")


def _arg_extreme(input, dim, keepdim, name):
    data = input._data
    if data.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    xp = array_module(data)
    pick = getattr(xp, name)
    if dim is None:
        if data.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        out = pick(data)
        if keepdim:
            out = out.reshape((1,) * data.ndim)
    else:
        d = _wrap_dim(dim, data.ndim)
        if data.ndim == 0:
            out = xp.zeros((), np.int64)
        else:
            _check_nonempty(name, data, ((d, d),), False)
            out = pick(data, axis=d, keepdims=keepdim)
    return make(xp.asarray(out).astype(np.int64, copy=False), name, (), None)


# ----- statistics -------------------------------------------------------------------------------------
@_numpy_names
def var(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    return _moment(input, dim, unbiased, keepdim, correction, "var")


@_numpy_names
def std(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    return _moment(input, dim, unbiased, keepdim, correction, "std")


def _moment(input, dim, unbiased, keepdim, correction, name):
    """var or std with `correction` (1 = Bessel's, the default; `unbiased=False` means 0)."""
    if isinstance(dim, bool):  # torch's var(input, unbiased) overload
        dim, unbiased = None, dim
    if not input.is_floating_point():
        raise RuntimeError("std and var only support floating point and complex dtypes")
    data = input._data
    shape = data.shape
    axes = _axes(dim, data.ndim)
    if correction is None:
        correction = 1 if unbiased else 0
    count = math.prod(shape[a] for a in axes)
    dof = builtins.max(0, count - correction)
    if dof <= 0:
        _warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                       f"reduction factor (input numel divided by output numel).")
    work = widened(data)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of an empty slice is nan, as in torch
        deviation = work - work.mean(axis=axes, keepdims=True)
        out = (deviation * deviation).sum(axis=axes, keepdims=keepdim) / work.dtype.type(dof)
    if name == "std":
        out = array_module(data).sqrt(out)
    out = out.astype(data.dtype, copy=False)

    def var_backward(g):
        centered = input - mean(input, axes, keepdim=True)
        if (dim is None or not data.ndim) and count - correction <= 0:
            # as torch: 2 / dof is infinite, so nan where x equals the mean (inf * 0) and inf elsewhere
            return g * where(eq(centered, 0), math.nan, math.inf)
        return g * 2 * centered / (count - correction)

    if name == "var":
        return make(out, "VarBackward0", (input,), lambda g: (var_backward(_unreduce(g, shape, axes, keepdim)),))
    result = make(out, "StdBackward0", (input,), None)
    if result._grad_fn is not None:
        def backward(g):
            s = _unreduce(_detached_or_live(result), shape, axes, keepdim)
            # d std = d var / (2 std); a zero std gets a zero gradient, as in torch
            return (var_backward(_unreduce(g, shape, axes, keepdim) * ne(s, 0) / (2 * (s + eq(s, 0)))),)
        result._grad_fn._backward_fn = backward
    return result


@_numpy_names
def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m the maximum, so it never overflows."""
    data = widened(_float_data(input))
    xp = array_module(data)
    shape = data.shape
    axes = _axes(dim, data.ndim)
    if builtins.any(shape[a] == 0 for a in axes):
        top = xp.zeros(_kept_shape(shape, axes), data.dtype)
    else:
        top = data.max(axis=axes, keepdims=True)
        top = xp.where(xp.isfinite(top), top, 0).astype(data.dtype, copy=False)
    with np.errstate(divide="ignore"):
        out = xp.log(xp.exp(data - top).sum(axis=axes, keepdims=True)) + top
    if not keepdim:
        out = out.reshape([s for i, s in enumerate(shape) if i not in axes])
    result = make(out.astype(_float_data(input).dtype, copy=False), "LogsumexpBackward0", (input,), None)
    if result._grad_fn is not None:
        result._grad_fn._backward_fn = lambda g: (_unreduce(g, shape, axes, keepdim) * exp(
            input - _unreduce(_detached_or_live(result), shape, axes, keepdim)),)
    return result


def norm(input, p="fro", dim=None, keepdim=False, *, dtype=None):
    """The vector p-norm over `dim` (all elements by default): p = 'fro' or 2, 1, inf, -inf, 0 or any
    other number, as torch.linalg.vector_norm computes it. Other string orders ('nuc') are matrix norms."""
    return vector_p_norm(input, p, dim, keepdim, dtype)


def vector_p_norm(input, p, dim, keepdim, dtype=None, node="LinalgVectorNormBackward0"):
    """torch.norm, recorded as `node`: torch's C++ ops that take a norm (pairwise_distance) record
    NormBackward1, the Python-level norm records LinalgVectorNormBackward0."""
    if isinstance(p, str):
        if p != "fro" or isinstance(dim, (tuple, list)) and len(dim) > 2:
            from .norms import matrix_norm  # norms.py builds on this module
            return matrix_norm(input, p, list(range(input.ndim)) if dim is None else dim, keepdim, dtype=dtype)
        p = 2
    if not input.is_floating_point():
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_dtype_name(input.dtype)}")
    if dtype is not None:
        input = input.to(dtype)
    low, data = input._data.dtype, widened(input._data)
    xp = array_module(data)
    shape = data.shape
    axes = _axes(dim, data.ndim)
    size = xp.abs(data)
    if p == math.inf or p == -math.inf:
        all_dims = dim is None or isinstance(dim, (tuple, list)) and not dim
        _check_identity_free(data, () if all_dims else _dims_as_given(dim, axes), all_dims, p)
        value = (size.max if p > 0 else size.min)(axis=axes, keepdims=keepdim)
    elif p == 0:
        value = (data != 0).sum(axis=axes, keepdims=keepdim).astype(data.dtype)
    elif p == 1:
        value = size.sum(axis=axes, keepdims=keepdim)
    elif p == 2:
        value = xp.sqrt((data * data).sum(axis=axes, keepdims=keepdim))
    else:
        value = (size ** data.dtype.type(p)).sum(axis=axes, keepdims=keepdim) ** data.dtype.type(1.0 / p)
    result = make(value.astype(low, copy=False), node, (input,), None)
    if result._grad_fn is not None:
        def backward(g):
            g = _unreduce(g, shape, axes, keepdim)
            n = _unreduce(_detached_or_live(result), shape, axes, keepdim)
            if p == 0:
                return (None,)
            if p == 1:
                return (g * sign(input),)
            if p == math.inf or p == -math.inf:
                hit = eq(abs(input), n)
                return (g * sign(input) * hit / sum(hit, axes, keepdim=True),)
            safe_n = n + eq(n, 0)  # a zero norm gets a zero gradient, as in torch
            if p == 2:
                return (g * input / safe_n,)
            return (g * sign(input) * abs(input) ** (p - 1) / safe_n ** (p - 1),)
        result._grad_fn._backward_fn = backward
    return result


def _check_identity_free(data, dims, all_dims, p):
    """The inf norms of nothing are undefined (max and min have no identity): torch's errors."""
    if all_dims and data.size == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty tensor because the "
                           f"operation does not have an identity")
    for label, a in dims:
        if data.shape[a] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on the dimension {label}because "
                               f"this dimension is empty and the operation does not have an identity")


# ----- normalisations ---------------------------------------------------------------------------------
@_numpy_names
def softmax(input, dim, dtype=None):
    """exp(x) / sum(exp(x)) along `dim`, computed from x - max(x) so large logits stay finite."""
    return _softmax(input, dim, dtype, False)


@_numpy_names
def log_softmax(input, dim, dtype=None):
    """x - logsumexp(x) along `dim`, computed from x - max(x) so large logits stay finite."""
    return _softmax(input, dim, dtype, True)


def _softmax(input, dim, dtype, log):
    if dtype is not None:
        input = input.to(dtype)
    data = input._data
    name = "log_softmax" if log else "softmax"
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    axes = _axes(dim, data.ndim)
    if data.dtype.kind in "biu" and data.size:
        kernel = name + ("_lastdim" if not axes or axes[0] == data.ndim - 1 else "")
        raise NotImplementedError(f"\"{kernel}_kernel_impl\" not implemented for '{_dtype_name(input.dtype)}'")
    xp = array_module(data)
    kernel = uses_kernels(data) and data.size > 0 and data.ndim > 0
    if kernel:  # the row kernels of softmax.cu, over the softmax dim moved last
        out = xp.moveaxis(cuda_ops.softmax(xp.moveaxis(data, axes[0], -1), log), -1, axes[0])
    elif data.size:
        work = widened(data)
        shifted = work - work.max(axis=axes, keepdims=True)
        total = xp.exp(shifted).sum(axis=axes, keepdims=True)
        out = (shifted - xp.log(total) if log else xp.exp(shifted) / total).astype(data.dtype, copy=False)
    else:
        out = data.copy()
    result = make(out, "LogSoftmaxBackward0" if log else "SoftmaxBackward0", (input,), None)
    if result._grad_fn is not None:
        def backward(g):
            if kernel and not _grad_state["enabled"]:  # no graph of the backward wanted: the kernel will do
                return (Tensor._wrap(xp.moveaxis(cuda_ops.softmax_backward(
                    xp.moveaxis(result._data, axes[0], -1), xp.moveaxis(g._data, axes[0], -1), log), -1, axes[0])),)
            if on_arrays(g._data) and g._data.ndim:  # (0-dim arithmetic would give NumPy scalars)
                gd, yd = g._data, result._data
                if log:
                    return (Tensor._wrap(gd - xp.exp(yd) * gd.sum(axis=axes, keepdims=True)),)
                return (Tensor._wrap(yd * (gd - (gd * yd).sum(axis=axes, keepdims=True))),)
            y = _detached_or_live(result)
            if log:
                return (g - exp(y) * sum(g, axes, keepdim=True),)
            return (y * (g - sum(g * y, axes, keepdim=True)),)
        result._grad_fn._backward_fn = backward
    return result


# ----- logical reductions -----------------------------------------------------------------------------
@_numpy_names
def all(input, dim=None, keepdim=False):
    return _logical_reduce(input, dim, keepdim, "all")


@_numpy_names
def any(input, dim=None, keepdim=False):
    return _logical_reduce(input, dim, keepdim, "any")


def _logical_reduce(input, dim, keepdim, name):
    """True where all (any) elements are nonzero; uint8 input gives uint8, as in torch."""
    data = input._data
    out = getattr(data, name)(axis=_axes(dim, data.ndim), keepdims=keepdim)
    if data.dtype == np.uint8:
        out = out.astype(np.uint8)
    return make(out, name, (), None)


__all__ = ["sum", "mean", "prod", "cumsum", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
           "logsumexp", "norm", "softmax", "log_softmax", "all", "any"]
_METHODS = {name: globals()[name] for name in __all__}
_INPLACE = {"cumsum_": cumsum}
