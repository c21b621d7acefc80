"""Chapter 07 exercises: profiling.

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 07`."""
import time
from collections import namedtuple

from minitorch import nn  # noqa: F401  (you may need it)

Row = namedtuple("Row", ["key", "count", "cpu_time_total", "self_cpu_time_total"])
"""One line of a key_averages table (ch07.2): times in microseconds."""


class ModuleTimer:
    """ch07.1: a per-module profiler built from forward hooks (chapter 06); do not use minitorch.profiler.

    - `ModuleTimer(model, clock=time.perf_counter)` registers, on every module of `model.named_modules()`
      (the model itself included, under the name ""), a forward pre-hook and a forward hook that together
      time each call of the module with `clock()` (seconds). Register the forward hook with
      `always_call=True`, so that a call whose forward raises is timed too.
    - `stats()` returns `{name: (calls, total, self_time)}` for every module called at least once: the
      number of calls, the seconds spent inside its calls (its submodules' calls included) and its self
      time: total minus the time spent in the calls of timed modules made directly from inside it.
    - `remove()` detaches every hook: later calls add nothing.

    Hint: a stack of the calls in progress tells, when a call ends, whose child it was.
    """

    def __init__(self, model, clock=time.perf_counter):
        raise NotImplementedError("ch07.1: register the timing hooks on every module")

    def stats(self):
        raise NotImplementedError("ch07.1: return {name: (calls, total, self_time)}")

    def remove(self):
        raise NotImplementedError("ch07.1: remove every hook")


def key_averages(events):
    """ch07.2: torch's key_averages, computed from raw events (do not use minitorch.profiler).

    `events` is a list of `(name, thread, start_us, end_us)` tuples in any order, as a recorder collects
    them. On each thread, an event's parent is the innermost event that encloses it (parent.start <=
    start and end <= parent.end; an event that starts when another ends is not inside it; of two events
    with the same interval, the one listed first encloses the other).

    Return one `Row(key, count, cpu_time_total, self_cpu_time_total)` per name: the number of events, the
    sum of their durations, and the sum of their self times (duration minus the durations of their direct
    children). Order the rows by self_cpu_time_total, largest first; rows with equal self time keep the
    order in which their names first start.
    """
    raise NotImplementedError("ch07.2: nest the events per thread, then sum per name")


def predict_dominant_flops():
    """ch07.3 (predict, then check): with_flops=True makes the profiler count the floating point operations
    of matrix products and 2-d convolutions. Without running it, predict what it reports for

        model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(8 * 16 * 16, 10))
        with profile(with_flops=True) as prof:
            model(torch.randn(4, 3, 32, 32))

    Return `(key, flops, other_flops)`: the key of the op with the most FLOPs in `prof.key_averages()`, its
    FLOPs, and the FLOPs of the one other op that has any, e.g. ("aten::mm", 1000, 10). Then run it in the
    notebook to check.
    """
    raise NotImplementedError("ch07.3: return your predicted (key, flops, other_flops)")


def phase_breakdown(events):
    """ch07.4 (debugging): the CPU time of each phase of training steps, from a profile's `prof.events()`.

    What it should do: return {"data": t, "forward": t, "backward": t, "optimizer": t} in microseconds,
    counting each piece of work once, at the outermost event that decides its phase:
      - "data": DataLoader batches (events named "enumerate(DataLoader)#...");
      - "backward": the engine's steps ("autograd::engine::evaluate_function: ...");
      - "optimizer": the optimizer's ranges ("Optimizer.step#..." and "Optimizer.zero_grad#...");
      - "forward": every other op.
    Other record_function ranges (your own labels) are no phase: they count nothing themselves, but what
    runs inside them counts. An event's time is its cpu_time_total.

    The code below runs, but it has three bugs. Delete the `raise` line, then find and fix them.
    """
    raise NotImplementedError("ch07.4: find and fix the three bugs below, then delete this line")
    totals = dict.fromkeys(("data", "forward", "backward", "optimizer"), 0.0)
    for e in events:
        if e.name.startswith("enumerate(DataLoader)"):
            totals["data"] += e.cpu_time_total
        elif "Backward" in e.name:
            totals["backward"] += e.cpu_time_total
        elif e.name.startswith("Optimizer.step"):
            totals["optimizer"] += e.cpu_time_total
        elif not e.is_user_annotation:
            totals["forward"] += e.cpu_time_total
    return totals
