"""Reductions (sum, mean, max ...) and the normalisations built on them (softmax, log_softmax)."""
from .. import _dtype
from .._device import array_module
from ._core import make, normalize_dims


def sum(input, dim=None, keepdim=False, *, dtype=None):
    data = input._data
    if dtype is not None:
        data = data.astype(dtype.np)
    elif data.dtype.kind in "biu":
        data = data.astype("int64")
    axes = normalize_dims(dim, data.ndim) if dim is not None else None
    out = data.sum(axis=axes, keepdims=keepdim)
    shape = input._data.shape

    def backward(g):
        if not keepdim and axes is not None and g.ndim != len(shape):
            g = g.reshape([1 if i in axes else s for i, s in enumerate(shape)])
        return (g.expand(shape),)
    return make(out, "SumBackward0" if dim is None else "SumBackward1", (input,), backward, saves=False)


__all__ = ["sum"]
_METHODS = {"sum": sum}
_INPLACE = {}
