"""Devices: `minitorch.device('cpu')`, `device('cuda:0')`. The device decides the array module
(NumPy on cpu, CuPy on cuda)."""
import numpy as np


class device:
    """Where a tensor's memory lives. `device('cuda')` means the current GPU; tensors report an index."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        elif not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type!r})")
        elif ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed "
                                   f"explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, meta device type at start of device string: " + type)
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")
_cuda_devices = {}


def cuda_device(index):
    """The canonical `device('cuda', index)` object for a tensor on GPU `index`."""
    d = _cuda_devices.get(index)
    if d is None:
        d = _cuda_devices[index] = device("cuda", index)
    return d


def as_device(d):
    """Normalise a device argument (None, str, int or device) to a concrete device; None means cpu."""
    if d is None:
        return CPU
    if not isinstance(d, device):
        d = device(d)
    if d.type == "cuda":
        from . import cuda
        return cuda_device(cuda._index(d.index))
    if d.type == "meta":
        raise NotImplementedError("the meta device is not supported by minitorch")
    return CPU


def device_of(array):
    """The device an array lives on: cpu for NumPy arrays, cuda:N for CuPy arrays."""
    if type(array) is np.ndarray:
        return CPU
    return cuda_device(array.device.id)


def array_module(array):
    """NumPy for NumPy arrays, CuPy for CuPy arrays: the `xp` that ops are written against."""
    if type(array) is np.ndarray:
        return np
    from .cuda import _cupy
    return _cupy()
