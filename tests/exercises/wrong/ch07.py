"""Wrong answers to chapter 07."""
import time

from . import solution

ok = solution(7)


class TimerWithoutAlwaysCall(ok.ModuleTimer):
    """Its forward hooks do not run when a forward raises: the stack of open calls goes wrong."""

    def __init__(self, model, clock=time.perf_counter):
        self.clock, self.calls, self.open, self.handles = clock, {}, [], []
        for name, module in model.named_modules():
            self.handles.append(module.register_forward_pre_hook(self._enter(name)))
            self.handles.append(module.register_forward_hook(self._leave(name)))


class TimerInclusiveOnly(ok.ModuleTimer):
    """Reports the total as the self time."""

    def stats(self):
        return {name: (calls, total, total) for name, (calls, total, _) in self.calls.items()}


class TimerOfChildrenOnly(ok.ModuleTimer):
    """Times the direct children (named_children), not every module."""

    def __init__(self, model, clock=time.perf_counter):
        self.clock, self.calls, self.open, self.handles = clock, {}, [], []
        for name, module in model.named_children():
            self.handles.append(module.register_forward_pre_hook(self._enter(name)))
            self.handles.append(module.register_forward_hook(self._leave(name), always_call=True))


class TimerWithoutHandles(ok.ModuleTimer):
    """Forgets the handles: remove() removes nothing."""

    def remove(self):
        self.handles = []


def _rows(events, same_thread=True, innermost=True):
    """key_averages rows where an event's parent is picked among the earlier events that enclose it: on its
    thread or on any, the innermost one or the outermost one."""
    order = sorted(range(len(events)), key=lambda i: (events[i][2], -events[i][3], i))
    rank = {i: r for r, i in enumerate(order)}
    children = [0.0] * len(events)
    for i in order:
        _, thread, start, end = events[i]
        parents = [j for j in order if rank[j] < rank[i] and start < events[j][3] and end <= events[j][3]
                   and (events[j][1] == thread or not same_thread)]
        if parents:
            children[(max if innermost else min)(parents, key=rank.get)] += end - start
    rows = {}
    for i in order:
        name, _, start, end = events[i]
        count, total, own = rows.get(name, (0, 0.0, 0.0))
        rows[name] = (count + 1, total + end - start, own + end - start - children[i])
    return sorted((ok.Row(name, *values) for name, values in rows.items()), key=lambda row: -row.self_cpu_time_total)


def averages_across_threads(events):
    """Nests events of different threads into each other."""
    return _rows(events, same_thread=False)


def averages_outermost_parent(events):
    """Takes the outermost enclosing event as the parent: grandchildren are subtracted from the wrong event."""
    return _rows(events, innermost=False)


def averages_by_total(events):
    """Orders the rows by total time instead of self time."""
    return sorted(ok.key_averages(events), key=lambda row: -row.cpu_time_total)


def averages_minus_all_descendants(events):
    """Subtracts every event inside, not only the direct children, from the self time."""
    rows = {}
    for i, (name, thread, start, end) in enumerate(events):
        inner = sum(e[3] - e[2] for j, e in enumerate(events) if j != i and e[1] == thread and start <= e[2]
                    and e[3] <= end and e[2] < end and (e[2], -e[3], j) > (start, -end, i))
        count, total, own = rows.get(name, (0, 0.0, 0.0))
        rows[name] = (count + 1, total + end - start, own + end - start - inner)
    first = {}
    for name, _, start, end in sorted(events, key=lambda e: (e[2], -e[3])):
        first.setdefault(name, len(first))
    table = [ok.Row(name, *rows[name]) for name in sorted(rows, key=first.get)]
    return sorted(table, key=lambda row: -row.self_cpu_time_total)


def flat_phases(events):
    """The given code with only the optimizer's name fixed: nested events and node events count again."""
    totals = dict.fromkeys(("data", "forward", "backward", "optimizer"), 0.0)
    for e in events:
        if e.name.startswith("enumerate(DataLoader)"):
            totals["data"] += e.cpu_time_total
        elif "Backward" in e.name:
            totals["backward"] += e.cpu_time_total
        elif e.name.startswith("Optimizer."):
            totals["optimizer"] += e.cpu_time_total
        elif not e.is_user_annotation:
            totals["forward"] += e.cpu_time_total
    return totals


def _outermost(events, phase_of):
    totals = dict.fromkeys(("data", "forward", "backward", "optimizer"), 0.0)

    def visit(event):
        phase = phase_of(event)
        if phase is None and event.is_user_annotation:
            for child in event.cpu_children:
                visit(child)
        elif phase is not False:
            totals[phase or "forward"] += event.cpu_time_total
    for event in events:
        if event.cpu_parent is None:
            visit(event)
    return totals


def phases_backward_by_name(events):
    """Outermost events, but backward found by 'Backward' in the name: AccumulateGrad steps become forward."""
    def phase(e):
        if e.name.startswith("enumerate(DataLoader)"):
            return "data"
        if "Backward" in e.name:
            return "backward"
        return "optimizer" if e.name.startswith("Optimizer.") else None
    return _outermost(events, phase)


def phases_without_zero_grad(events):
    """Outermost events, but only Optimizer.step counts as optimizer: zero_grad is dropped as a range."""
    def phase(e):
        if e.name.startswith("enumerate(DataLoader)"):
            return "data"
        if e.name.startswith("autograd::engine::evaluate_function"):
            return "backward"
        return "optimizer" if e.name.startswith("Optimizer.step") else None
    return _outermost(events, phase)


WRONG = {
    "ch07.1": {
        "forward hooks without always_call": {"ModuleTimer": TimerWithoutAlwaysCall},
        "self time = total": {"ModuleTimer": TimerInclusiveOnly},
        "only the direct children": {"ModuleTimer": TimerOfChildrenOnly},
        "handles not kept": {"ModuleTimer": TimerWithoutHandles},
    },
    "ch07.2": {
        "threads mixed": {"key_averages": averages_across_threads},
        "outermost enclosing event as parent": {"key_averages": averages_outermost_parent},
        "sorted by total": {"key_averages": averages_by_total},
        "every descendant subtracted": {"key_averages": averages_minus_all_descendants},
    },
    "ch07.3": {
        "conv FLOPs without the factor 2": {"predict_dominant_flops": lambda: ("aten::conv2d", 884736, 163840)},
        "no padding (30x30 outputs)": {"predict_dominant_flops": lambda: ("aten::conv2d", 1555200, 163840)},
        "the module's name": {"predict_dominant_flops": lambda: ("aten::linear", 1769472, 163840)},
    },
    "ch07.4": {
        "every event counted": {"phase_breakdown": flat_phases},
        "backward found by name": {"phase_breakdown": phases_backward_by_name},
        "zero_grad not optimizer": {"phase_breakdown": phases_without_zero_grad},
    },
}
