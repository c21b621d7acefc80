"""The stand-in's simulated GPUs: `cupy.cuda.Device` and `cupy.cuda.runtime`, with a per-thread current
device as CUDA keeps it. There are DEVICE_COUNT devices, so that multi-GPU code paths run too."""
import threading
import time
import types
import weakref

DEVICE_COUNT = 2
"""How many GPUs the stand-in pretends to have."""

_local = threading.local()


class CUDARuntimeError(RuntimeError):
    """What cupy.cuda.runtime raises for a failed CUDA call."""


def getDeviceCount():
    return DEVICE_COUNT


def getDevice():
    return getattr(_local, "device", 0)


def setDevice(index):
    if not 0 <= index < DEVICE_COUNT:
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
    _local.device = index


def deviceSynchronize():
    """Kernels run eagerly in the stand-in: there is nothing to wait for."""


def getDeviceProperties(index):
    if not 0 <= index < DEVICE_COUNT:
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
    return {"name": b"CuPy stand-in (NumPy)", "totalGlobalMem": 1 << 34, "multiProcessorCount": 1,
            "major": 9, "minor": 0, "warpSize": 32}


def runtimeGetVersion():
    return 13000


_TOTAL = 1 << 34  # bytes of memory each simulated GPU has
_used = [0] * DEVICE_COUNT  # bytes held by live arrays, per device


def track_allocation(array, device):
    """Count `array`'s memory as used on `device` until the array is freed."""
    _used[device] += array.nbytes
    weakref.finalize(array, _free, device, array.nbytes)


def _free(device, nbytes):
    _used[device] -= nbytes


def memGetInfo():
    """(free, total) bytes of the current device."""
    return _TOTAL - _used[getDevice()], _TOTAL


class MemoryPool:
    """cupy.cuda.MemoryPool as the default pool reports it: the bytes live arrays use on the current device
    (the stand-in keeps no cache, so total equals used)."""

    def used_bytes(self):
        return _used[getDevice()]

    total_bytes = used_bytes

    def free_bytes(self):
        return 0

    def n_free_blocks(self):
        return 0

    def free_all_blocks(self, stream=None):
        pass


_pool, _pinned_pool = MemoryPool(), MemoryPool()


def get_default_memory_pool():
    return _pool


def get_default_pinned_memory_pool():
    return _pinned_pool


runtime = types.SimpleNamespace(
    getDeviceCount=getDeviceCount, getDevice=getDevice, setDevice=setDevice, deviceSynchronize=deviceSynchronize,
    getDeviceProperties=getDeviceProperties, runtimeGetVersion=runtimeGetVersion, driverGetVersion=runtimeGetVersion,
    memGetInfo=memGetInfo, CUDARuntimeError=CUDARuntimeError)


class Device:
    """cupy.cuda.Device: a GPU by index; as a context manager it is the current device inside the block."""

    def __init__(self, device=None):
        self.id = getDevice() if device is None else int(device)
        self._previous = []

    def __enter__(self):
        self._previous.append(getDevice())
        setDevice(self.id)
        return self

    def __exit__(self, *exc):
        setDevice(self._previous.pop())

    def use(self):
        setDevice(self.id)

    def synchronize(self):
        deviceSynchronize()

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class Event:
    """cupy.cuda.Event: a mark in the GPU's stream of work. The stand-in runs kernels as they are launched,
    so the host clock when the mark is recorded stands for the GPU's."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self._time = None

    def record(self, stream=None):
        self._time = time.perf_counter()

    def synchronize(self):
        """Nothing is pending in the stand-in."""

    @property
    def done(self):
        return True


def get_elapsed_time(start_event, end_event):
    """Milliseconds between two recorded events (cupy.cuda.get_elapsed_time)."""
    if start_event._time is None or end_event._time is None:
        raise CUDARuntimeError("cudaErrorInvalidResourceHandle: invalid resource handle")
    return (end_event._time - start_event._time) * 1000.0
