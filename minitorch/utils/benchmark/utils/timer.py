"""`Timer` (torch.utils.benchmark.Timer): timeit, made careful: a warm-up, a block size chosen so that
reading the clock costs nothing next to the statement, many blocks, and a Measurement with median and IQR."""
import textwrap
import timeit as _timeit

import numpy as np

from . import common

__all__ = ["Timer"]


def timer():
    """The clock: time.perf_counter, after waiting for the GPU when one is in use."""
    from .... import cuda
    if cuda._state["cupy"] is not None and cuda.is_available():
        cuda.synchronize()
    return _timeit.default_timer()


def _clean(code):
    code = textwrap.dedent(code)
    return (code[1:] if code.startswith("\n") else code).rstrip()


class Timer:
    """Time `stmt` after running `setup` once, both with `globals` (minitorch is there as `torch`).

    label / sub_label / description name the measurement in its repr; num_threads is reported with it
    (minitorch runs NumPy's BLAS on the threads it was started with: set OMP_NUM_THREADS before the import)."""

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None, label=None,
                 sub_label=None, description=None, env=None, num_threads=1, language="python"):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language not in ("python", "py"):
            raise ValueError(f"Invalid language `{language}`: minitorch times Python statements only.")
        if global_setup:
            raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely this code can simply "
                             "be moved to `setup`.")
        import minitorch
        self._globals = dict(globals or {})
        self._globals.setdefault("torch", minitorch)
        stmt, setup = _clean(stmt), _clean(setup)
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = common.TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup, label=label,
                                          sub_label=sub_label, description=description, env=env,
                                          num_threads=num_threads)

    def _timeit(self, number):
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number=1000000):
        """Run stmt `number` times (after a warm-up of number // 100) and measure it as one block."""
        self._timeit(max(number // 100, 2))
        return common.Measurement(number, [self._timeit(number)], self._task_spec)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _block_size(self, min_run_time):
        """Runs per block: grown tenfold until the clock's cost is under 0.01% of a block and a block takes
        at least min_run_time / 1000 (or the whole min_run_time)."""
        overhead = float(np.median([self._timeit(0) for _ in range(5)]))
        number = 1
        while True:
            taken = self._timeit(number)
            if (overhead / taken <= 1e-4 and taken >= min_run_time / 1000) or taken > min_run_time:
                return number
            number *= 10

    def _measure(self, number, stop, min_run_time, max_run_time=None, callback=None):
        times, total = [], 0.0
        while True:
            spent = self._timeit(number)
            times.append(spent)
            total += spent
            if callback:
                callback(number, spent)
            if total >= min_run_time and stop(times):
                return times
            if max_run_time and total > max_run_time:
                return times

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Blocks of a fixed size (see _block_size) until min_run_time seconds have been measured."""
        number = self._block_size(min_run_time)
        times = self._measure(number, lambda times: True, min_run_time, callback=callback)
        return common.Measurement(number, times, self._task_spec)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0, callback=None):
        """Like blocked_autorange, but goes on until the IQR is below `threshold` of the median (or
        max_run_time seconds have passed)."""
        number = self._block_size(0.05)

        def confident(times):
            return len(times) > 3 and common.Measurement(number, times, self._task_spec).meets_confidence(threshold)
        times = self._measure(number, confident, min_run_time, max_run_time, callback)
        return common.Measurement(number, times, self._task_spec)
