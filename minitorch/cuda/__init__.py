"""`minitorch.cuda`: GPU availability and control. CuPy is imported on first use only, so
`import minitorch` works without CuPy, and with CuPy but no GPU."""
_state = {"cupy": None, "checked": False}


def _try_import():
    if not _state["checked"]:
        _state["checked"] = True
        try:
            import cupy
            _state["cupy"] = cupy
        except Exception:  # no CuPy, or a CuPy that cannot load its CUDA libraries
            _state["cupy"] = None
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
    from .._device import device as _device_cls
    index = device.index if isinstance(device, _device_cls) else device
    if isinstance(index, str):
        index = _device_cls(index).index
    _cupy().cuda.runtime.setDevice(_index(index))


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
    """Wait for every kernel queued on the GPU to finish."""
    _cupy().cuda.runtime.deviceSynchronize()


def get_device_name(device=None):
    cp = _cupy()
    return cp.cuda.runtime.getDeviceProperties(_index(getattr(device, "index", device)))["name"].decode()


def manual_seed(seed):
    """Seed the generator of every GPU (a no-op without CuPy, as torch is without CUDA)."""
    from .._random import _seed_cuda
    _seed_cuda(seed)


manual_seed_all = manual_seed
