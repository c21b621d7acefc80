"""The CuPy stand-in (minitorch/backends/cuda/standin) that runs the cuda tests in CI: it must offer no
more than CuPy 14 does, refuse what CuPy refuses, and check kernel launches as a GPU would need them.
These tests use the stand-in directly, so they run everywhere (tests/test_cuda_kernels.py checks the
stand-in's record of CuPy's API against the installed CuPy)."""
import numpy as np
import pytest

from minitorch.backends.cuda import KERNELS, OPTIONS, name_expressions, source
from minitorch.backends.cuda.standin import OutOfBounds, UncheckedIndexError, _api, cupy, cupyx, host_syncs
from minitorch.backends.cuda.standin._kernels import REFERENCES


def test_offers_only_cupy_names():
    assert {n for n in dir(cupy) if not n.startswith("_")} <= _api.CUPY_NAMES
    assert {n for n in dir(cupy.ndarray) if not n.startswith("_")} <= _api.NDARRAY_NAMES
    assert not hasattr(cupy, "matvec") and not hasattr(cupy.ndarray, "ctypes")  # NumPy has them, CuPy not


def test_refuses_implicit_host_conversion():
    a = cupy.arange(3.0)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    np.testing.assert_array_equal(a.get(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(cupy.asnumpy(a * 2), [0.0, 2.0, 4.0])


@pytest.mark.parametrize("mix", [lambda a, h: a + h, lambda a, h: h * a, lambda a, h: cupy.maximum(a, h),
                                 lambda a, h: cupy.concatenate([a, h]), lambda a, h: a.__setitem__(0, h[:1]),
                                 lambda a, h: a[h > 0]])
def test_reports_numpy_arrays_mixed_into_gpu_ops(mix):
    with pytest.raises(TypeError, match="NumPy array was mixed into a cuda operation"):
        mix(cupy.ones(3), np.ones(3))


def test_devices_follow_cupy_rules():
    with cupy.cuda.Device(1):
        a = cupy.ones(3)
        assert a.device.id == 1 and (a + 1).device.id == 1
    assert a.reshape(3, 1).device.id == 1  # a view needs no kernel
    with pytest.raises(ValueError, match="Peer access is unavailable"):
        a + 1  # the current GPU is 0
    assert cupy.asarray(a).device.id == 0  # an explicit copy to the current GPU
    with pytest.raises(cupy.cuda.runtime.CUDARuntimeError, match="invalid device ordinal"):
        cupy.cuda.Device(2).__enter__()


def test_cupy_semantics():
    a = cupy.asarray(np.arange(6.0).reshape(2, 3))
    assert type(a.sum()) is cupy.ndarray and a.sum().shape == () and float(a.sum()) == 15.0
    assert a[1].base is a and a.T.base is a and a.copy().base is None
    assert np.isnan(cupy.empty(4).get()).all()  # fresh memory is not zero
    with pytest.raises(UncheckedIndexError, match="would wrap it around"):
        a[cupy.asarray([0, 2])]
    with pytest.raises(NotImplementedError, match="multiply.at"):
        cupy.multiply.at(a, cupy.asarray([0, 0]), 2.0)
    with pytest.raises(TypeError, match="scatter_add only supports"):
        cupyx.scatter_add(cupy.zeros(3, dtype=np.int8), cupy.asarray([0, 0]), cupy.ones(2, dtype=np.int8))
    before = host_syncs()
    _ = a[0, 0].item(), a[a > 2], cupy.nonzero(a)
    assert host_syncs() == before + 3


def test_every_kernel_has_a_reference():
    assert set(REFERENCES) == {name for names in KERNELS.values() for name in names}


def _im2col(*args):
    module = cupy.RawModule(code=source("im2col.cu"), options=OPTIONS, name_expressions=name_expressions("im2col.cu"))
    module.get_function("im2col<float>")((1,), (256,), args)


GEOMETRY = tuple(np.int64(v) for v in (1, 1, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2))  # N C H W KH KW ... OH OW


def test_kernel_launches_are_checked():
    x, cols = cupy.ones((1, 1, 3, 3), dtype=np.float32), cupy.empty((1, 4, 4), dtype=np.float32)
    _im2col(x, cols, *GEOMETRY)
    np.testing.assert_array_equal(cols.get(), np.ones((1, 4, 4)))
    with pytest.raises(TypeError, match="C long long: pass numpy.int64, not int"):
        _im2col(x, cols, 1, *GEOMETRY[1:])
    with pytest.raises(TypeError, match="contiguous float32 array, got float64"):
        _im2col(x.astype(np.float64), cols, *GEOMETRY)
    with pytest.raises(TypeError, match="contiguous"):
        _im2col(x, cupy.empty((1, 4, 8), dtype=np.float32)[:, :, ::2], *GEOMETRY)
    with pytest.raises(OutOfBounds, match="im2col write"):
        _im2col(x, cupy.empty((1, 4, 3), dtype=np.float32), *GEOMETRY)
    readonly = cols.get().reshape(-1)
    readonly.flags.writeable = False  # how const arguments reach a reference
    with pytest.raises(ValueError, match="read-only"):
        REFERENCES["im2col"](1, 256, x.get().reshape(-1), readonly, *GEOMETRY)


def test_row_kernels_need_blocks_of_256():
    module = cupy.RawModule(code=source("softmax.cu"), name_expressions=name_expressions("softmax.cu"))
    x, y = cupy.ones((2, 3), dtype=np.float64), cupy.empty((2, 3), dtype=np.float64)
    with pytest.raises(ValueError, match="blockDim.x == 256"):
        module.get_function("softmax_forward<double>")((2,), (128,), (x, y, np.int64(3), np.int32(0)))
    module.get_function("softmax_forward<double>")((2,), (256,), (x, y, np.int64(3), np.int32(0)))
    np.testing.assert_allclose(y.get(), np.full((2, 3), 1 / 3))
