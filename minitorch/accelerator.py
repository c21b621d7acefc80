"""`minitorch.accelerator` (torch.accelerator): device-generic control of the machine's accelerator, which for
minitorch is CUDA through CuPy. Without one, `is_available()` is False, `current_accelerator()` None,
`device_count()` 0, and everything that needs a device raises torch's error."""
import contextlib

from . import cuda
from ._device import device as _device

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "current_stream", "device_count",
           "device_index", "empty_cache", "empty_host_cache", "get_device_capability", "get_memory_info",
           "is_available", "max_memory_allocated", "max_memory_reserved", "memory_allocated", "memory_reserved",
           "memory_stats", "reset_accumulated_memory_stats", "reset_peak_memory_stats", "set_device_idx",
           "set_device_index", "set_stream", "synchronize"]

_peaks = {}  # device index -> [peak allocated, peak reserved] since the last reset_peak_memory_stats


def is_available():
    """True when an accelerator (a CUDA GPU that CuPy can use) is present."""
    return cuda.is_available()


def current_accelerator(check_available=False):
    """device('cuda') where a GPU is present, else None. CuPy is always built for CUDA, so check_available
    (whether the accelerator can be used, not just compiled in) changes nothing."""
    return _device("cuda") if is_available() else None


def device_count():
    return cuda.device_count()


def _require():
    if not is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return cuda._cupy()


def _index(device):
    """A device index from None (the current one), an int, a string or a device (which must be cuda)."""
    _require()
    if device is None:
        return cuda.current_device()
    if isinstance(device, (str, _device)):
        device = _device(device)
        if device.type != "cuda":
            raise ValueError(f"{device.type} doesn't match the current accelerator cuda.")
        return cuda.current_device() if device.index is None else device.index
    return device


def current_device_index():
    """The index of the selected GPU."""
    _require()
    return cuda.current_device()


def set_device_index(device):
    """Select the GPU that new cuda tensors and kernels use."""
    cuda.set_device(_index(device))


current_device_idx, set_device_idx = current_device_index, set_device_index


@contextlib.contextmanager
def device_index(device):
    """Within the block, `device` (an index, or None to change nothing) is the selected GPU."""
    if device is None:
        yield
        return
    before = current_device_index()
    set_device_index(device)
    try:
        yield
    finally:
        set_device_index(before)


def synchronize(device=None):
    """Wait until every kernel queued on the GPU has finished."""
    cp = _require()
    with cp.cuda.Device(_index(device)):
        cp.cuda.runtime.deviceSynchronize()


def current_stream(device=None):
    """The CuPy stream kernels are queued on."""
    cp = _require()
    with cp.cuda.Device(_index(device)):
        return cp.cuda.get_current_stream()


def set_stream(stream):
    """Queue later kernels on `stream` (a CuPy stream)."""
    _require()
    stream.use()


def get_device_capability(device=None):
    """{'major': ..., 'minor': ...}: the GPU's compute capability."""
    cp = _require()
    props = cp.cuda.runtime.getDeviceProperties(_index(device))
    return {"major": props["major"], "minor": props["minor"]}


def _pool(device):
    cp = _require()
    index = _index(device)
    with cp.cuda.Device(index):
        return index, cp.get_default_memory_pool()


def memory_allocated(device_index=None):
    """Bytes of GPU memory held by live arrays (CuPy's memory pool in use)."""
    return _usage(device_index)[0]


def memory_reserved(device_index=None):
    """Bytes of GPU memory the pool holds, in use or cached for reuse."""
    return _usage(device_index)[1]


def _usage(device_index):
    """(allocated, reserved) now, folding them into the peaks since the last reset."""
    index, pool = _pool(device_index)
    now = [pool.used_bytes(), pool.total_bytes()]
    peak = _peaks.setdefault(index, [0, 0])
    peak[:] = [max(p, n) for p, n in zip(peak, now)]
    return now


def max_memory_allocated(device_index=None):
    """The most bytes allocated seen (at this or earlier memory queries) since reset_peak_memory_stats: CuPy
    counts no peaks itself, so minitorch samples them whenever memory is queried."""
    index = _index(device_index)
    _usage(index)
    return _peaks[index][0]


def max_memory_reserved(device_index=None):
    """Like max_memory_allocated, for reserved bytes."""
    index = _index(device_index)
    _usage(index)
    return _peaks[index][1]


def reset_peak_memory_stats(device_index=None):
    index, pool = _pool(device_index)
    _peaks[index] = [pool.used_bytes(), pool.total_bytes()]


def reset_accumulated_memory_stats(device_index=None):
    """Nothing accumulates in CuPy's pool statistics: checks the device only."""
    _index(device_index)


def memory_stats(device_index=None):
    """The pool's statistics under torch's key names."""
    index = _index(device_index)
    allocated, reserved = _usage(index)
    return {"allocated_bytes.all.current": allocated, "allocated_bytes.all.peak": _peaks[index][0],
            "reserved_bytes.all.current": reserved, "reserved_bytes.all.peak": _peaks[index][1]}


def get_memory_info(device_index=None):
    """(free, total) bytes of the GPU, as the driver reports them."""
    cp = _require()
    with cp.cuda.Device(_index(device_index)):
        return tuple(cp.cuda.runtime.memGetInfo())


def empty_cache():
    """Return the cached, unused blocks of the memory pool to the GPU."""
    _require().get_default_memory_pool().free_all_blocks()


def empty_host_cache():
    """Return the cached, unused pinned host memory."""
    _require().get_default_pinned_memory_pool().free_all_blocks()
