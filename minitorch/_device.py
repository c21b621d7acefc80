"""Devices: `minitorch.device('cpu')`, `device('cuda:0')`. The device decides the array module
(NumPy on cpu, CuPy on cuda)."""
import builtins
import re

import numpy as np

from .backends.meta import MetaArray, meta_numpy


_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
          "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::([1-9][0-9]*|0))?")


class device:
    """Where a tensor's memory lives: `device('cpu')`, `device('cuda:1')`, `device('cuda', 1)`, or
    `device('meta')` (shape and dtype only, no data). `device('cuda')` means the current GPU; tensors report
    an index. As a context manager, `with device('meta'):` makes it the default device of factory functions
    (`zeros`, `randn`, module construction ...) within the block."""

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

    def __enter__(self):
        _default_devices.append(self)
        return self

    def __exit__(self, *exc):
        _default_devices.pop()
        return False


_default_devices = []  # devices of the `with device(...)` blocks entered, innermost last
_set_default = [None]  # set_default_device's device (None: cpu)


def set_default_device(device_):
    """The device factory functions use when they are not given one (None restores cpu)."""
    _set_default[0] = None if device_ is None else (device_ if isinstance(device_, device) else device(device_))


def get_default_device():
    """The device factory functions use now: the innermost `with device(...)`, else set_default_device's,
    else cpu (a cuda default reports the current GPU's index)."""
    d = _default_devices[-1] if _default_devices else _set_default[0]
    if d is None:
        return CPU
    if d.type == "cuda" and d.index is None:
        from . import cuda
        return device("cuda", cuda.current_device())
    return d


def factory_device(d):
    """The concrete device of a factory call: `d`, or the default device when d is None."""
    if d is None:
        if not _default_devices and _set_default[0] is None:
            return CPU
        d = get_default_device()
    return as_device(d)


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
META = device("meta")
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
        return META
    if d.type != "cpu":
        raise NotImplementedError(f"minitorch has no {d.type} device: tensors live on cpu, cuda or meta")
    return CPU


def device_of(array):
    """The device an array lives on: cpu for NumPy arrays, meta for meta arrays, cuda:N for CuPy arrays."""
    if type(array) is np.ndarray:
        return CPU
    if type(array) is MetaArray:
        return META
    return cuda_device(array.device.id)


def array_module(array):
    """NumPy for NumPy arrays (and the NumPy scalars that 0-d arithmetic returns), the meta module for meta
    arrays, CuPy for CuPy arrays: the `xp` that ops are written against."""
    if type(array) is np.ndarray or isinstance(array, np.generic):
        return np
    if type(array) is MetaArray:
        return meta_numpy
    from .cuda import _cupy
    return _cupy()
