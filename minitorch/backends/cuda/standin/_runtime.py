"""The stand-in's simulated GPUs: `cupy.cuda.Device` and `cupy.cuda.runtime`, with a per-thread current
device as CUDA keeps it. There are DEVICE_COUNT devices, so that multi-GPU code paths run too."""
import threading
import types

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


runtime = types.SimpleNamespace(
    getDeviceCount=getDeviceCount, getDevice=getDevice, setDevice=setDevice, deviceSynchronize=deviceSynchronize,
    getDeviceProperties=getDeviceProperties, runtimeGetVersion=runtimeGetVersion, driverGetVersion=runtimeGetVersion,
    CUDARuntimeError=CUDARuntimeError)


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
