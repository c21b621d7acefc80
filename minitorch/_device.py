"""Devices: `minitorch.device('cpu')`, `device('cuda:0')`. The device decides the array module
(NumPy on cpu, CuPy on cuda)."""
import builtins
import re

import numpy as np


_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
          "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::([1-9][0-9]*|0))?")


class device:
    """Where a tensor's memory lives: `device('cpu')`, `device('cuda:1')`, `device('cuda', 1)`.
    `device('cuda')` means the current GPU; tensors report an index. Only cpu and cuda hold tensors."""

    __slots__ = ("type", "index")

    def __init__(self, type=None, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            from . import cuda
            if not cuda.is_available():
                raise RuntimeError("Cannot access accelerator device when none is available.")
            type, index = "cuda", type
        elif not isinstance(type, str):
            name = "NoneType" if type is None else builtins.type(type).__name__
            raise TypeError(f"device() received an invalid combination of arguments - got ({name}), but expected "
                            f"one of:\n * (torch.device device)\n      didn't match because some of the arguments "
                            f"have invalid types: (!{name}!)\n * (str type, int index = -1)\n")
        else:
            type, index = _parse(type, index)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


def _parse(text, index):
    """(type, index) from a device string such as 'cuda:1', with torch's errors."""
    if not text:
        raise RuntimeError("Device string must not be empty")
    match = _DEVICE_STRING.fullmatch(text)
    if match is None:
        raise RuntimeError(f"Invalid device string: '{text}'")
    kind, idx = match.groups()
    if kind not in _TYPES:
        raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device string: {kind}")
    if idx is not None:
        if index is not None:
            raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: "
                               f"{text}")
        index = int(idx)
    return kind, index


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
    if d.type != "cpu":
        raise NotImplementedError(f"minitorch has no {d.type} device: tensors live on cpu or cuda")
    return CPU


def device_of(array):
    """The device an array lives on: cpu for NumPy arrays, cuda:N for CuPy arrays."""
    if type(array) is np.ndarray:
        return CPU
    return cuda_device(array.device.id)


def array_module(array):
    """NumPy for NumPy arrays (and the NumPy scalars that 0-d arithmetic returns), CuPy for CuPy arrays:
    the `xp` that ops are written against."""
    if type(array) is np.ndarray or isinstance(array, np.generic):
        return np
    from .cuda import _cupy
    return _cupy()
