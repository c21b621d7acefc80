"""Sorting and selection (sort, argsort, msort, topk, kthvalue), unique, and multinomial sampling.

Sorts are stable: equal elements keep their order (descending too), and nan counts as the largest value,
as in torch. On cpu, topk picks among tied elements exactly as torch's cpu kernel does, and returns them
in its order (see _stl.py): pruning by magnitude then zeroes the same weights as torch. On cuda, and for
kthvalue, the first tied element is picked."""
import numpy as np

from .._device import array_module
from ..backends.meta import has_data
from .._random import generator_for
from .._tensor import Tensor, _wrap_dim
from ._core import make
from ._stl import order_keys, topk_order
from .index import scatter
from .pointwise import _dtype_name, _zeros_like
from .reduce import return_type

_SORT_RESULT, _TOPK_RESULT, _KTHVALUE_RESULT = return_type("sort"), return_type("topk"), return_type("kthvalue")


def _stable_order(data, axis, descending):
    """Indices that sort `data` along `axis`, equal elements in their original order, nan last ascending
    (first descending): a descending sort is an ascending one of the reversed data, read backwards."""
    xp = array_module(data)
    if not descending:
        return xp.argsort(data, axis=axis, kind="stable")
    backwards = xp.argsort(xp.flip(data, axis), axis=axis, kind="stable")
    return data.shape[axis] - 1 - xp.flip(backwards, axis)


def _selected(input, d, order, name, squeeze=False):
    """The elements of `input` at `order` (indices along dim d, that dim then dropped with `squeeze`)
    with the node that sends their gradient back to those positions; returns (values, int64 indices)."""
    data = input._data
    xp = array_module(data)
    indices = order.astype(np.int64, copy=False)
    values = xp.take_along_axis(data, indices, axis=d) if data.ndim else data.copy()
    kept = Tensor._wrap(indices)
    if squeeze and data.ndim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    shape = data.shape

    def backward(g):
        if not shape:
            return (g,)
        return (scatter(_zeros_like(input), d, kept, g.unsqueeze(d) if squeeze else g),)
    return make(values, name, (input,), backward, saves=(kept,)), Tensor._wrap(indices)


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) of `input` sorted along `dim`."""
    data = input._data
    d = _wrap_dim(dim, data.ndim)
    order = _stable_order(data, d, descending) if data.ndim else array_module(data).zeros((), np.int64)
    values, indices = _selected(input, d, order, "SortBackward1" if stable else "SortBackward0")
    return _SORT_RESULT((values, indices))


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort `input` along `dim` (sort(...).indices)."""
    return sort(input, dim, descending, stable).indices


def msort(input):
    """`input` sorted along its first dim."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (smallest with largest=False) elements along `dim`."""
    data = input._data
    d = _wrap_dim(dim, data.ndim)
    if data.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    size = data.shape[d] if data.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if not data.ndim:
        order = array_module(data).zeros((), np.int64)
    elif isinstance(data, np.ndarray) and k:
        rows_shape = np.moveaxis(data, d, -1).shape
        rows = np.moveaxis(data, d, -1).reshape(-1, size)
        picked = topk_order(order_keys(rows, largest), k, sorted)
        order = np.moveaxis(picked.reshape(rows_shape[:-1] + (k,)), -1, d)
    else:
        order = _stable_order(data, d, largest)[(slice(None),) * d + (slice(0, k),)]
    values, indices = _selected(input, d, order, "TopkBackward0")
    return _TOPK_RESULT((values, indices))


def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest element along `dim` (k counts from 1)."""
    data = input._data
    d = _wrap_dim(dim, data.ndim)
    if data.dtype == np.bool_:
        raise NotImplementedError(f"\"kthvalue_cpu\" not implemented for '{_dtype_name(input.dtype)}'")
    size = data.shape[d] if data.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if data.ndim:
        order = _stable_order(data, d, False)[(slice(None),) * d + (slice(k - 1, k),)]
    else:
        order = array_module(data).zeros((), np.int64)
    values, indices = _selected(input, d, order, "KthvalueBackward0", squeeze=not keepdim)
    return _KTHVALUE_RESULT((values, indices))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements of `input` (flattened; with `dim`, its distinct slices along dim), in
    ascending order (torch sorts on cpu even with sorted=False); each nan counts as distinct. Optionally
    also the index of each element's value in the result and each value's count."""
    data = input._data
    xp = array_module(data)
    if dim is None:
        values, inverse, counts = xp.unique(data.reshape(-1), return_inverse=True, return_counts=True,
                                             equal_nan=False)
        inverse = inverse.reshape(data.shape)
        name, aten = "Unique2Backward0", "_unique2"
    else:
        d = _wrap_dim(dim, data.ndim)
        values, inverse, counts = xp.unique(data, return_inverse=True, return_counts=True, axis=d)
        inverse = inverse.reshape(-1)
        name, aten = "UniqueDimBackward0", "unique_dim"
    def backward(g):
        raise NotImplementedError(f"the derivative for '{aten}' is not implemented.")
    out = make(values, name, (input,), backward, saves=False)
    extras = [Tensor._wrap(a.astype(np.int64, copy=False))
              for a, wanted in ((inverse, return_inverse), (counts, return_counts)) if wanted]
    return (out, *extras) if extras else out


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """`num_samples` category indices per row of `input` (1-D or 2-D, one row a distribution given by
    non-negative weights). On cpu these are torch's own draws for a seeded generator: with replacement,
    one uniform double per sample located in the normalised cumulative weights; without, the k largest
    of weight / Exp(1) draws (the exponential race, which gives sampling without replacement)."""
    from .random import exponential_  # random.py imports the in-place machinery, which imports shape ops
    data = input._data
    if not 1 <= data.ndim <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_dtype_name(input.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    categories = data.shape[-1]
    if not replacement and num_samples > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if categories > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    xp = array_module(data)
    if not has_data(data):  # meta: the shape only, nothing drawn
        return make(xp.empty(data.shape[:-1] + (num_samples,), np.int64), "multinomial", (), None)
    rows = data.reshape(-1, categories)
    if not replacement or num_samples == 1:
        if not bool((xp.isfinite(rows) & (rows >= 0)).all()):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if bool((rows.sum(axis=1) == 0).any()):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        race = Tensor._wrap(xp.empty_like(data))
        race = exponential_(race, generator=generator)
        keys = Tensor._wrap(data / race._data)
        out = topk(keys, num_samples).indices._data
    else:
        out = _with_replacement(xp, rows, num_samples, generator_for(input.device, generator))
        out = out.reshape(data.shape[:-1] + (num_samples,))
    return make(out, "multinomial", (), None)


def _with_replacement(xp, rows, num_samples, generator):
    """torch's cpu sampler: per row, the running sum of the weights (in float for half types), divided by
    the total, then for each sample a uniform double u and the first category whose sum reaches u."""
    weights = rows.astype(np.float32) if rows.dtype.itemsize < 4 else rows
    if bool((weights < 0).any()):
        raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
    if not bool(xp.isfinite(weights).all()):
        raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
    cumulative = xp.cumsum(weights, axis=1)
    if bool((cumulative[:, -1] <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    cumulative = cumulative / cumulative[:, -1:]
    out = xp.empty((rows.shape[0], num_samples), np.int64)
    for i, row in enumerate(cumulative):
        u = generator.engine.uniform(num_samples, np.float64)
        out[i] = xp.searchsorted(row.astype(np.float64), xp.asarray(u), side="left")
    return out


__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique", "multinomial"]
_METHODS = {name: globals()[name] for name in __all__}
_INPLACE = {}
