"""`minitorch.profiler` (torch.profiler): where a program spends its time and memory.

`profile` records every op that runs through minitorch under torch's names (`aten::addmm`, `aten::relu` ...),
the backward nodes the autograd engine runs (`autograd::engine::evaluate_function: AddmmBackward0`), the
optimizer's steps, DataLoader's batches and your own `record_function` ranges, all nested; `key_averages()`
sums them into torch's table, `export_chrome_trace()` writes a timeline for Perfetto. Beyond torch,
`plot_timeline` and `plot_memory` draw a recording with matplotlib, inline in a notebook."""
from ..autograd.profiler import record_function
from ..autograd.profiler_util import DeviceType
from ._plots import plot_memory, plot_timeline
from .profiler import (ProfilerAction, ProfilerActivity, _KinetoProfile, profile, schedule, supported_activities,
                       tensorboard_trace_handler)

__all__ = ["profile", "schedule", "supported_activities", "tensorboard_trace_handler", "ProfilerAction",
           "ProfilerActivity", "DeviceType", "record_function", "plot_timeline", "plot_memory"]
