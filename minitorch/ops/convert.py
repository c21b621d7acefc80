"""Copies that change device or dtype (`Tensor.to`) and plain copies (`clone`, `contiguous`)."""
import numpy as np

from .. import _dtype
from .._device import array_module
from ..backends.meta import MetaArray
from ..cuda import _on_device_of
from ._core import make


def _move(data, device):
    """`data` on `device`: a host<->GPU transfer, a GPU-to-GPU copy, or to meta (shape and dtype only)."""
    if device.type == "meta":
        return MetaArray(data.shape, data.dtype)
    if type(data) is MetaArray:
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")
    if device.type == "cpu":
        return data if type(data) is np.ndarray else data.get()
    from ..cuda import _cupy
    cp = _cupy()
    with cp.cuda.Device(device.index):
        return cp.asarray(data)


def to_copy(input, device=None, dtype=None, copy=False):
    """`input` on `device` with `dtype`; `input` itself when nothing changes and copy is False."""
    src_dtype, src_device = input.dtype, input.device
    dtype = dtype or src_dtype
    device = device or src_device
    if dtype is src_dtype and device == src_device and not copy:
        return input
    _dtype._check_available(dtype)
    data = input._data if device == src_device else _move(input._data, device)
    with _on_device_of(data):  # the cast runs on the GPU that holds the data
        data = data.astype(dtype.np, copy=copy or data is input._data)
    backward_needed = dtype.is_floating_point and src_dtype.is_floating_point

    def backward(g):
        return (g.to(src_device, src_dtype),)
    return make(data, "ToCopyBackward0", (input,) if backward_needed else (), backward, saves=False)


def clone(input, *, memory_format=None):
    return make(input._data.copy(), "CloneBackward0", (input,), lambda g: (g,), saves=False)


def contiguous(input, memory_format=None):
    """`input` itself when already C-contiguous, else a contiguous copy (CloneBackward0)."""
    if input._data.flags.c_contiguous:
        return input
    return make(array_module(input._data).ascontiguousarray(input._data), "CloneBackward0", (input,),
                lambda g: (g,), saves=False)


__all__ = ["clone"]
_METHODS = {"clone": clone, "contiguous": contiguous}
_INPLACE = {}
