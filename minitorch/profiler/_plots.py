"""Pictures of a recording, drawn with matplotlib inline (beyond torch, which shows them in TensorBoard or
Perfetto): `plot_timeline`, the nested events over time as a flame chart, and `plot_memory`, the memory the
recorded ops hold over time. Both colour each event by the phase of training it belongs to."""

__all__ = ["memory_timeline", "phase_of", "plot_memory", "plot_timeline"]

PHASE_COLORS = {"forward": "#4C72B0", "backward": "#DD8452", "optimizer": "#55A868", "data": "#8172B3",
                "range": "#BBBBBB"}


def phase_of(event):
    """'backward' inside an engine step, 'optimizer' inside Optimizer.step / zero_grad, 'data' inside a
    DataLoader batch, 'range' for other record_function ranges, 'forward' for every other op."""
    e = event
    while e is not None:
        if e.name.startswith("autograd::engine::evaluate_function"):
            return "backward"
        if e.name.startswith("Optimizer."):
            return "optimizer"
        if e.name.startswith("enumerate(DataLoader)"):
            return "data"
        e = e.cpu_parent
    return "range" if event.is_user_annotation else "forward"


def _events(prof):
    """The FunctionEvents of a profiler (minitorch.profiler.profile or autograd.profiler.profile)."""
    return prof.events() if callable(getattr(prof, "events", None)) else prof.function_events


def _depth(event):
    depth = 0
    while event.cpu_parent is not None:
        depth, event = depth + 1, event.cpu_parent
    return depth


def _short(name):
    return name.replace("autograd::engine::evaluate_function: ", "").replace("aten::", "")


def _axes(ax, figsize):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt
    return plt.subplots(figsize=figsize)[1]


def _legend(ax, phases):
    from matplotlib.patches import Patch
    ax.legend(handles=[Patch(color=PHASE_COLORS[p], label=p) for p in PHASE_COLORS if p in phases],
              loc="upper left", bbox_to_anchor=(1.005, 1), fontsize=8, frameon=False)


def plot_timeline(prof, ax=None, max_depth=None, label_min_fraction=0.04):
    """A flame chart of the recording: time (ms) across, nesting depth down, one bar per event coloured by
    phase and labelled where it is wide enough (at least `label_min_fraction` of the whole). Returns the axes."""
    events = [e for e in _events(prof) if e.name != "[memory]"]
    if max_depth is not None:
        events = [e for e in events if _depth(e) <= max_depth]
    ax = _axes(ax, (11, 3.5))
    if not events:
        return ax
    span = max(e.time_range.end for e in events) - min(e.time_range.start for e in events) or 1.0
    phases = set()
    for e in events:
        phase, depth = phase_of(e), _depth(e)
        phases.add(phase)
        left, width = e.time_range.start / 1000, e.time_range.elapsed_us() / 1000
        ax.barh(depth, width, left=left, height=0.85, color=PHASE_COLORS[phase], edgecolor="white", linewidth=0.3)
        if e.time_range.elapsed_us() >= label_min_fraction * span:
            ax.text(left + width / 2, depth, _short(e.name), ha="center", va="center", fontsize=7, clip_on=True)
    deepest = max(_depth(e) for e in events)
    ax.set_ylim(deepest + 0.6, -0.6)
    ax.set_yticks(range(deepest + 1))
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("depth")
    ax.set_title("timeline: each bar an op, backward step or range; nested ones below")
    _legend(ax, phases)
    return ax


def memory_timeline(prof, device="cpu"):
    """(times in ms from the start, bytes held after each allocation or free) of the recorded ops on
    `device`, starting at (0, 0); needs profile_memory=True."""
    recorder = _recorder(prof)
    times, totals = [0.0], [0]
    for when, _, dev, _, _, total in recorder.memory_events:
        if dev == device:
            times.append((when - recorder.start_ns) / 1e6)
            totals.append(total)
    return times, totals


def _inner(prof):
    """The autograd.profiler.profile that holds the recording (minitorch.profiler.profile keeps one)."""
    inner = getattr(prof, "profiler", prof)
    if inner is None or inner._recorder is None:
        raise RuntimeError("Profiler didn't finish running")
    return inner


def _recorder(prof):
    return _inner(prof)._recorder


def plot_memory(prof, ax=None, device="cpu"):
    """The bytes held by arrays that recorded ops made (allocations minus frees) over time, as a step
    line, over bands that show the phase of the outermost events below your own ranges. Needs
    profile_memory=True. Returns the axes."""
    if not _inner(prof).profile_memory:
        raise RuntimeError("plot_memory needs a recording made with profile_memory=True")
    ax = _axes(ax, (11, 3))
    times, totals = memory_timeline(prof, device)
    phases = set()
    for e in _events(prof):
        phase = phase_of(e)
        if e.name != "[memory]" and phase != "range" and (e.cpu_parent is None or phase_of(e.cpu_parent) == "range"):
            phases.add(phase)
            ax.axvspan(e.time_range.start / 1000, e.time_range.end / 1000, color=PHASE_COLORS[phase], alpha=0.25,
                       linewidth=0)
    scale, unit = (1 << 20, "MB") if max(totals) >= 1 << 20 else (1 << 10, "KB")
    ax.step(times, [t / scale for t in totals], where="post", color="black", linewidth=1.2)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"allocated ({unit})")
    ax.set_title(f"{device} memory held by the arrays the recorded ops made")
    _legend(ax, phases)
    return ax

