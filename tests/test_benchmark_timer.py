"""minitorch.utils.benchmark: Timer's measurements, and Measurement's statistics and repr against torch's."""
import numpy as np
import pytest

import minitorch
from minitorch.utils.benchmark import Measurement, TaskSpec, Timer


def _body(measurement):
    """The repr without its first line (the object's address)."""
    return repr(measurement).split("\n", 1)[1]


@pytest.mark.parity
@pytest.mark.parametrize("raw_times, number, spec", [
    ([2.5e-3], 1000, dict(stmt="x + y", setup="x = torch.ones(4)", label="add", sub_label="tiny", description="cpu")),
    ([7.1e-2, 7.9e-2, 7.6e-2], 10000, dict(stmt="x + y", setup="pass")),
    (list(np.linspace(1e-5, 3e-5, 9)), 100, dict(stmt="a = 1\nb = a @ a", setup="x = 1\ny = 2", num_threads=2)),
    ([1.0, 1.01, 0.99, 1.02, 1.0], 1, dict(stmt="step()", setup="", sub_label="slow", num_threads=4)),
])
def test_measurement_repr_matches_torch(torch, raw_times, number, spec):
    """Median, IQR, counts, threads and the spread warnings are shown as torch shows them."""
    from torch.utils.benchmark.utils import common
    ours = Measurement(number, raw_times, TaskSpec(**spec))
    theirs = common.Measurement(number, raw_times, common.TaskSpec(**spec))
    assert _body(ours) == _body(theirs)
    assert repr(ours).startswith("<minitorch.utils.benchmark.utils.common.Measurement object at 0x")
    assert (ours.median, ours.mean, ours.iqr) == pytest.approx((theirs.median, theirs.mean, theirs.iqr))
    assert ours.has_warnings == theirs.has_warnings and ours.title == theirs.title


def test_timer_measures_the_statement():
    """timeit(n) times n runs as one block; blocked_autorange fills min_run_time with equal blocks; the
    statement sees `globals` and minitorch as `torch`."""
    calls = []
    timer = Timer("calls.append(torch.__name__)", globals={"calls": calls}, label="append")
    m = timer.timeit(200)
    assert m.number_per_run == 200 and len(m.raw_times) == 1
    assert calls[-1] == "minitorch" and len(calls) == 200 + 2  # with the warm-up runs
    m = Timer("torch.ones(8) * 2").blocked_autorange(min_run_time=0.05)
    assert sum(m.raw_times) >= 0.05 and m.number_per_run >= 10
    assert m.median == pytest.approx(float(np.median(m.times))) and m.times[0] == m.raw_times[0] / m.number_per_run
    m = Timer("x.sum()", setup="x = torch.ones(100)").adaptive_autorange(max_run_time=0.5)
    assert len(m.raw_times) >= 4 or sum(m.raw_times) > 0.5
    assert Measurement.merge([m, m])[0].times == m.times * 2


def test_timer_errors():
    with pytest.raises(ValueError, match="Currently only a `str` stmt is supported."):
        Timer(lambda: None)
    with pytest.raises(ValueError, match="global_setup is C\\+\\+ only"):
        Timer("pass", global_setup="int x;")
    with pytest.raises(NotImplementedError, match="blocked_autorange"):
        Timer().repeat()
    assert minitorch.utils.benchmark.Timer is Timer
