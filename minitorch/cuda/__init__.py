"""`minitorch.cuda`: GPU availability and control. CuPy is imported on first use only, so
`import minitorch` works without CuPy, and with CuPy but no GPU.

With the environment variable MINITORCH_CUDA_STANDIN=1 the cuda device is backed by the NumPy stand-in
of `backends/cuda/standin` instead (two simulated GPUs): CI runs the GPU tests that way."""
import contextlib
import os

import numpy as np

from ..backends.meta import MetaArray

_state = {"cupy": None, "cupyx": None, "checked": False}


def _try_import():
    if not _state["checked"]:
        _state["checked"] = True
        if os.environ.get("MINITORCH_CUDA_STANDIN") == "1":
            from ..backends.cuda.standin import cupy, cupyx
        else:
            try:
                import cupy
                import cupyx
            except Exception:  # no CuPy, or a CuPy that cannot load its CUDA libraries
                cupy = cupyx = None
        _state["cupy"], _state["cupyx"] = cupy, cupyx
        if cupy is not None and device_count() > 1:
            from .. import _dispatch
            _dispatch.note_multi_device()
    return _state["cupy"]


def _cupy():
    """The CuPy module; a clear error where CuPy or a GPU is missing."""
    cp = _try_import()
    if cp is None:
        raise RuntimeError("CUDA is not available: install CuPy (pip install 'minitorch-workbook[cuda13]') "
                           "on a machine with an NVIDIA GPU")
    if not is_available():
        raise RuntimeError("CUDA is not available: CuPy is installed but found no NVIDIA GPU")
    return cp


def _cupyx():
    """The cupyx module that goes with `_cupy()`."""
    _cupy()
    return _state["cupyx"]


def is_standin():
    """True when the cuda device is the NumPy stand-in (MINITORCH_CUDA_STANDIN=1), not a real GPU."""
    _try_import()
    return os.environ.get("MINITORCH_CUDA_STANDIN") == "1"


def is_available():
    """True when CuPy is installed and sees at least one GPU."""
    return device_count() > 0


def device_count():
    cp = _try_import()
    if cp is None:
        return 0
    try:
        return cp.cuda.runtime.getDeviceCount()
    except Exception:  # CUDA driver missing or no device
        return 0


def current_device():
    return _cupy().cuda.runtime.getDevice()


def set_device(device):
    _cupy().cuda.runtime.setDevice(_index(_device_index(device)))


def _index(index):
    """Resolve a cuda device index (None means the current device) and check that it exists."""
    cp = _cupy()
    if index is None:
        return cp.cuda.runtime.getDevice()
    count = device_count()
    if index >= count:
        raise RuntimeError(f"CUDA error: invalid device ordinal (cuda:{index} requested, "
                           f"{count} device(s) available)")
    return index


def synchronize(device=None):
    """Wait for every kernel queued on `device` (default: the current GPU) to finish."""
    with _cupy().cuda.Device(_index(_device_index(device))):
        _cupy().cuda.runtime.deviceSynchronize()


def _device_index(device):
    """The index named by a device argument: None, an int, 'cuda:1' or a `minitorch.device`."""
    from .._device import device as _device_cls
    if device is None or isinstance(device, int):
        return device
    device = device if isinstance(device, _device_cls) else _device_cls(device)
    if device.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {device}")
    return device.index


class device:
    """Context manager that makes a GPU current (torch.cuda.device); None or a cpu device does nothing."""

    def __init__(self, device):
        from .._device import device as _device_cls
        cpu = device is None or isinstance(device, (str, _device_cls)) and _device_cls(device).type == "cpu"
        self.idx = -1 if cpu else _device_index(device)
        self._previous = []

    def __enter__(self):
        if self.idx is not None and self.idx >= 0:
            self._previous.append(current_device())
            set_device(self.idx)

    def __exit__(self, *exc):
        if self._previous:
            set_device(self._previous.pop())
        return False


_NO_SWITCH = contextlib.nullcontext()


def _on_device_of(array):
    """A context in which `array`'s GPU is the current one, for ops on a GPU other than the current one
    (CuPy runs kernels and allocates results on the current GPU); a shared no-op for NumPy arrays and
    arrays already on the current GPU."""
    if type(array) is np.ndarray or type(array) is MetaArray:
        return _NO_SWITCH
    index = array.device.id
    cp = _state["cupy"]
    if index == cp.cuda.runtime.getDevice():
        return _NO_SWITCH
    return cp.cuda.Device(index)


def get_device_name(device=None):
    cp = _cupy()
    return cp.cuda.runtime.getDeviceProperties(_index(_device_index(device)))["name"].decode()


def manual_seed(seed):
    """Seed the generator of every GPU (a no-op without CuPy, as torch is without CUDA)."""
    from .._random import _seed_cuda
    _seed_cuda(seed)


manual_seed_all = manual_seed
