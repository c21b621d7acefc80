"""Chapter 07 solutions: profiling."""
import time
from collections import namedtuple

from minitorch import nn  # noqa: F401

Row = namedtuple("Row", ["key", "count", "cpu_time_total", "self_cpu_time_total"])


class ModuleTimer:
    """ch07.1: a pre-hook pushes a call with its start time; the forward hook (always_call, so also after an
    error) pops it, adds its duration to the module's total and to the enclosing call's children time."""

    def __init__(self, model, clock=time.perf_counter):
        self.clock = clock
        self.calls = {}  # name -> [calls, total, time in child calls]
        self.open = []  # [name, start, time in child calls] of the calls in progress
        self.handles = []
        for name, module in model.named_modules():
            self.handles.append(module.register_forward_pre_hook(self._enter(name)))
            self.handles.append(module.register_forward_hook(self._leave(name), always_call=True))

    def _enter(self, name):
        def hook(module, args):
            self.open.append([name, self.clock(), 0.0])
        return hook

    def _leave(self, name):
        def hook(module, args, output):
            _, start, children = self.open.pop()
            took = self.clock() - start
            entry = self.calls.setdefault(name, [0, 0.0, 0.0])
            entry[0] += 1
            entry[1] += took
            entry[2] += children
            if self.open:
                self.open[-1][2] += took
        return hook

    def stats(self):
        return {name: (calls, total, total - children) for name, (calls, total, children) in self.calls.items()}

    def remove(self):
        for handle in self.handles:
            handle.remove()
        self.handles = []


def key_averages(events):
    """ch07.2: per thread, walk the events by (start, longest first) keeping a stack of the open ones: the
    top of the stack after popping the ones that ended is the parent. Then sum per name."""
    order = sorted(range(len(events)), key=lambda i: (events[i][1], events[i][2], -events[i][3], i))
    children_time = [0.0] * len(events)
    open_events = {}
    for i in order:
        _, thread, start, end = events[i]
        stack = open_events.setdefault(thread, [])
        while stack and (start >= events[stack[-1]][3] or end > events[stack[-1]][3]):
            stack.pop()
        if stack:
            children_time[stack[-1]] += end - start
        stack.append(i)
    rows = {}
    for i in sorted(range(len(events)), key=lambda i: (events[i][2], -events[i][3], i)):
        name, _, start, end = events[i]
        count, total, self_time = rows.get(name, (0, 0.0, 0.0))
        rows[name] = (count + 1, total + end - start, self_time + end - start - children_time[i])
    table = [Row(name, *values) for name, values in rows.items()]
    return sorted(table, key=lambda row: -row.self_cpu_time_total)


def predict_dominant_flops():
    """ch07.3: conv2d counts 2 * N * C_out * H_out * W_out * C_in * kH * kW = 2*4*8*32*32*3*3*3 (padding
    keeps 32x32); Linear runs addmm, 2 * M * K * N = 2*4*2048*10. ReLU, pooling and flatten count none."""
    return ("aten::conv2d", 2 * 4 * 8 * 32 * 32 * 3 * 3 * 3, 2 * 4 * 2048 * 10)


PHASES = {"enumerate(DataLoader)": "data", "autograd::engine::evaluate_function": "backward",
          "Optimizer.step#": "optimizer", "Optimizer.zero_grad#": "optimizer"}


def phase_breakdown(events):
    """ch07.4: start from the outermost events; an engine step, optimizer range or batch counts whole
    (what runs inside it is already in its time), an own range is looked into, any other op is forward."""
    totals = dict.fromkeys(("data", "forward", "backward", "optimizer"), 0.0)

    def visit(event):
        phase = next((p for prefix, p in PHASES.items() if event.name.startswith(prefix)), None)
        if phase is None and event.is_user_annotation:
            for child in event.cpu_children:
                visit(child)
        else:
            totals[phase or "forward"] += event.cpu_time_total

    for event in events:
        if event.cpu_parent is None:
            visit(event)
    return totals
