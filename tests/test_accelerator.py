"""minitorch.accelerator against torch.accelerator: the same names, and on a machine without a GPU the same
answers and errors; on a GPU, the device-generic calls drive CUDA through CuPy."""
import pytest

import minitorch


def test_the_same_functions_as_torch(torch):
    assert sorted(minitorch.accelerator.__all__) == sorted(n for n in torch.accelerator.__all__ if n != "Graph")
    for name in minitorch.accelerator.__all__:
        assert callable(getattr(minitorch.accelerator, name))


def outcome(fn):
    try:
        return ("ok", repr(fn()))
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return ("error", type(e).__name__, str(e))


CALLS = {
    "is_available": lambda a: a.is_available(), "current_accelerator": lambda a: a.current_accelerator(),
    "current_accelerator checked": lambda a: a.current_accelerator(check_available=True),
    "device_count": lambda a: a.device_count(), "current_device_index": lambda a: a.current_device_index(),
    "set_device_index": lambda a: a.set_device_index(0), "synchronize": lambda a: a.synchronize(),
    "current_stream": lambda a: a.current_stream(), "memory_allocated": lambda a: a.memory_allocated(),
    "max_memory_allocated": lambda a: a.max_memory_allocated(), "memory_reserved": lambda a: a.memory_reserved(),
    "empty_cache": lambda a: a.empty_cache(), "get_memory_info": lambda a: a.get_memory_info(),
    "reset_peak_memory_stats": lambda a: a.reset_peak_memory_stats(),
    "device_index": lambda a: a.device_index(0).__enter__(), "device_index None": lambda a: a.device_index(None),
}


@pytest.mark.skipif(minitorch.cuda.is_available(), reason="compares a machine without an accelerator")
@pytest.mark.parametrize("name", CALLS)
def test_without_an_accelerator_like_torch(name, torch):
    if torch.accelerator.is_available():
        pytest.skip("torch sees an accelerator here")
    mine, theirs = outcome(lambda: CALLS[name](minitorch.accelerator)), outcome(lambda: CALLS[name](torch.accelerator))
    assert mine[0] == theirs[0]
    if name != "device_index None":  # (a context manager object, whose repr differs)
        assert mine == theirs


@pytest.mark.cuda
def test_with_a_gpu():
    acc = minitorch.accelerator
    assert acc.is_available() and acc.current_accelerator() == minitorch.device("cuda")
    assert acc.device_count() == minitorch.cuda.device_count() >= 1
    with acc.device_index(0):
        assert acc.current_device_index() == 0
    acc.reset_peak_memory_stats()
    before = acc.memory_allocated()
    x = minitorch.ones(1 << 20, device="cuda")
    assert acc.memory_allocated() >= before + x.nbytes and acc.max_memory_allocated() >= acc.memory_allocated()
    assert acc.memory_reserved() >= acc.memory_allocated()
    free, total = acc.get_memory_info()
    assert 0 < free <= total
    acc.synchronize()
    del x
    acc.empty_cache()
    assert set(acc.get_device_capability()) == {"major", "minor"}
