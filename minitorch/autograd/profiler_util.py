"""What a profile holds (torch.autograd.profiler_util): `FunctionEvent`, one recorded op, backward node or range;
`FunctionEventAvg`, the events of one key added up; `EventList`, with `key_averages`, `table` (torch's layout:
same columns, same footer), `export_chrome_trace` and `export_stacks`.

Times are in microseconds, memory in bytes. An event's *total* counts everything that ran inside it, its *self*
value leaves out its children: the self times of all events add up to the time profiled."""
import enum
import itertools
import json
import math
from collections import defaultdict, namedtuple

__all__ = ["DeviceType", "EventList", "FunctionEvent", "FunctionEventAvg", "Interval", "Kernel"]


class DeviceType(enum.Enum):
    """Where an event ran (torch.profiler.DeviceType)."""
    CPU = 0
    CUDA = 1


class Interval:
    """[start, end) in microseconds."""

    def __init__(self, start, end):
        self.start = start
        self.end = end

    def elapsed_us(self):
        return self.end - self.start


Kernel = namedtuple("Kernel", ["name", "device", "duration"])
"""Device work of an event: its name, the device index and the time in microseconds."""


def _format_time(time_us):
    """12.345us, 1.234ms or 1.234s, as torch prints times."""
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_us):
    if total_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_us:.2f}%"


def _format_memory(nbytes):
    """Bytes as torch prints them: 2.00 KB, 1.50 MB ... (powers of 1024), small counts as '640 B'."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} B"


def _in_unit(time_us, unit):
    """`time_us` in the table's fixed unit ('s', 'ms' or 'us'), or in the automatic one."""
    scale = {"s": 1e6, "ms": 1e3, "us": 1.0}.get(unit)
    return _format_time(time_us) if scale is None else f"{time_us / scale:.3f}{unit}"


class _Times:
    """Averages and printed forms shared by FunctionEvent and FunctionEventAvg."""

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    @property
    def device_time(self):
        return 0.0 if self.count == 0 else self.device_time_total / self.count

    @property
    def cpu_time_str(self):
        return _format_time(self.cpu_time)

    @property
    def device_time_str(self):
        return _format_time(self.device_time)

    @property
    def cpu_time_total_str(self):
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self):
        return _format_time(self.self_cpu_time_total)

    @property
    def device_time_total_str(self):
        return _format_time(self.device_time_total)

    @property
    def self_device_time_total_str(self):
        return _format_time(self.self_device_time_total)


class FunctionEvent(_Times):
    """One recorded call: an operator (`aten::addmm`), a backward step of the engine, or a range
    (`record_function`, the optimizer's `Optimizer.step#SGD.step` ...), with its place in the nesting
    (`cpu_parent`, `cpu_children`). Memory usage counts the bytes allocated minus freed inside it; device
    time is the GPU time of the work it launched (one `Kernel` per measured span)."""

    def __init__(self, id, name, thread, start_us, end_us, fwd_thread=None, input_shapes=None, stack=None,
                 scope=0, use_device=None, cpu_memory_usage=0, device_memory_usage=0, sequence_nr=-1,
                 device_type=DeviceType.CPU, device_index=0, flops=None, trace_name=None,
                 is_user_annotation=False, concrete_inputs=None):
        self.id = id
        self.node_id = -1
        self.name = name
        self.overload_name = ""
        self.trace_name = trace_name
        self.time_range = Interval(start_us, end_us)
        self.thread = thread
        self.fwd_thread = fwd_thread
        self.kernels = []
        self.count = 1
        self.cpu_children = []
        self.cpu_parent = None
        self.input_shapes = input_shapes
        self.concrete_inputs = concrete_inputs
        self.stack = stack
        self.scope = scope
        self.use_device = use_device
        self.cpu_memory_usage = cpu_memory_usage
        self.device_memory_usage = device_memory_usage
        self.is_async = False
        self.is_remote = False
        self.sequence_nr = sequence_nr
        self.device_type = device_type
        self.device_index = device_index
        self.is_legacy = False
        self.flops = flops
        self.is_user_annotation = is_user_annotation
        self.self_cpu_percent = -1
        self.total_cpu_percent = -1
        self.total_device_percent = -1

    def append_kernel(self, name, device, duration):
        self.kernels.append(Kernel(name, device, duration))

    def append_cpu_child(self, child):
        self.cpu_children.append(child)

    def set_cpu_parent(self, parent):
        self.cpu_parent = parent

    @property
    def key(self):
        return self.name

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(child.cpu_time_total for child in self.cpu_children)

    @property
    def self_cpu_memory_usage(self):
        return self.cpu_memory_usage - sum(child.cpu_memory_usage for child in self.cpu_children)

    @property
    def self_device_memory_usage(self):
        return self.device_memory_usage - sum(child.device_memory_usage for child in self.cpu_children)

    @property
    def device_time_total(self):
        """The GPU time measured around this event, or else the sum of its children's."""
        if not self.use_device:
            return 0
        if self.kernels:
            return sum(k.duration for k in self.kernels)
        return sum(child.device_time_total for child in self.cpu_children)

    @property
    def self_device_time_total(self):
        if not self.use_device:
            return 0
        return max(0.0, self.device_time_total - sum(child.device_time_total for child in self.cpu_children))

    def __repr__(self):
        device = self.use_device
        return (f"<FunctionEvent id={self.id} name={self.name} overload_name={self.overload_name} "
                f"device_type={self.device_type} node_id={self.node_id} cpu_time={self.cpu_time_str} "
                f"start_us={self.time_range.start} end_us={self.time_range.end} "
                f"cpu_children={[child.id for child in self.cpu_children]} {device}_time={self.device_time_str} "
                f"name={self.name} thread={self.thread} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage} {device}_memory_usage={self.device_memory_usage} "
                f"is_async={self.is_async} is_remote={self.is_remote} seq_nr={self.sequence_nr} "
                f"is_legacy={self.is_legacy}>")


class FunctionEventAvg(_Times):
    """The events of one key added up: counts, total and self times, memory and FLOPs."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.node_id = 0
        self.is_async = False
        self.is_remote = False
        self.use_device = None
        self.cpu_time_total = 0
        self.device_time_total = 0
        self.self_cpu_time_total = 0
        self.self_device_time_total = 0
        self.input_shapes = None
        self.overload_name = None
        self.stack = None
        self.scope = None
        self.cpu_memory_usage = 0
        self.device_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.self_device_memory_usage = 0
        self.cpu_children = None
        self.cpu_parent = None
        self.device_type = DeviceType.CPU
        self.is_legacy = False
        self.is_user_annotation = False
        self.flops = 0

    def add(self, other):
        """Add event `other` (of the same key) to the sums; the first one also gives its descriptive fields."""
        if self.key is None:
            self.key = other.key
            for field in ("node_id", "is_async", "is_remote", "cpu_parent", "cpu_children", "overload_name",
                          "input_shapes", "stack", "scope", "device_type", "is_legacy", "use_device",
                          "is_user_annotation"):
                setattr(self, field, getattr(other, field))
        if other.key != self.key:
            raise AssertionError(f"Expected keys to match, but got {other.key} vs {self.key}")
        for field in ("cpu_time_total", "device_time_total", "self_cpu_time_total", "self_device_time_total",
                      "cpu_memory_usage", "device_memory_usage", "self_cpu_memory_usage",
                      "self_device_memory_usage", "count"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        if self.flops is None:
            self.flops = other.flops
        elif other.flops is not None:
            self.flops += other.flops
        return self

    def __iadd__(self, other):
        return self.add(other)

    def __repr__(self):
        device = self.use_device or "cuda"
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str}  self_{device}_time={self.self_device_time_total_str} "
                f"{device}_time={self.device_time_str} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage} {device}_memory_usage={self.device_memory_usage}>")


class EventList(list):
    """A list of FunctionEvents (or FunctionEventAvgs) with the profiler's views of them."""

    def __init__(self, *args, use_device=None, profile_memory=False, with_flops=False):
        super().__init__(*args)
        self._use_device = use_device
        self._profile_memory = profile_memory
        self._with_flops = with_flops
        self._tree_built = False

    def _build_tree(self):
        """Link each event to the innermost event that encloses it on its thread, then fold an event into
        its parent where both have the same name and it is the only child (`x.float()` calling `x.to()`
        is one aten::to, as in torch)."""
        for _, events in itertools.groupby(sorted(self, key=lambda e: e.thread), key=lambda e: e.thread):
            open_events = []
            for event in sorted(events, key=lambda e: (e.time_range.start, -e.time_range.end)):
                while open_events and (event.time_range.start >= open_events[-1].time_range.end
                                       or event.time_range.end > open_events[-1].time_range.end):
                    open_events.pop()
                if open_events and event.cpu_parent is None:
                    open_events[-1].append_cpu_child(event)
                    event.set_cpu_parent(open_events[-1])
                open_events.append(event)
        folded = set()
        for event in self:
            parent = event.cpu_parent
            if parent is not None and parent.name == event.name and len(parent.cpu_children) == 1:
                parent.cpu_children = event.cpu_children
                parent.kernels = parent.kernels or event.kernels
                for child in event.cpu_children:
                    child.cpu_parent = parent
                folded.add(id(event))
        if folded:
            self[:] = [e for e in self if id(e) not in folded]
        self._tree_built = True

    def __str__(self):
        return self.table()

    @property
    def self_cpu_time_total(self):
        return sum(event.self_cpu_time_total for event in self)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        """The events as torch's text table: one row each, sorted by the attribute `sort_by` (descending;
        e.g. 'cpu_time_total', 'self_cpu_time_total', 'self_cpu_memory_usage', 'count'), at most
        `row_limit` rows (-1: all), and the footer 'Self CPU time total: ...'."""
        return _build_table(self, sort_by=sort_by, row_limit=row_limit, max_src_column_width=max_src_column_width,
                            max_name_column_width=max_name_column_width,
                            max_shapes_column_width=max_shapes_column_width, header=header,
                            profile_memory=self._profile_memory, with_flops=self._with_flops,
                            top_level_events_only=top_level_events_only, time_unit=time_unit)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0, group_by_overload_name=False):
        """One FunctionEventAvg per key (the event's name; with group_by_input_shapes also its input shapes,
        with group_by_stack_n its innermost n stack entries), in the order keys first occur."""
        if not self._tree_built:
            raise AssertionError("Expected tree to be built before calling key_averages")
        stats = defaultdict(FunctionEventAvg)
        for event in self:
            key = [event.key, event.node_id, event.device_type, event.is_user_annotation]
            if group_by_overload_name:
                key.append(event.overload_name)
            if group_by_input_shapes:
                key.append(str(event.input_shapes))
            if group_by_stack_n > 0:
                key += (event.stack or [])[:group_by_stack_n]
            stats[tuple(key)].add(event)
        averages = EventList(stats.values(), use_device=self._use_device, profile_memory=self._profile_memory,
                             with_flops=self._with_flops)
        for avg in averages:
            avg.stack = (avg.stack or [])[:group_by_stack_n]
            if not group_by_input_shapes:
                avg.input_shapes = ""
            if not group_by_overload_name:
                avg.overload_name = ""
        averages._tree_built = True
        return averages

    def total_average(self):
        """Every event added into one FunctionEventAvg with key 'Total'."""
        total = FunctionEventAvg()
        for event in self:
            total.key = event.key  # so that add() accepts every key
            total.add(event)
        total.key = "Total"
        return total

    def supported_export_stacks_metrics(self):
        return ["self_cpu_time_total", "self_cuda_time_total", "self_xpu_time_total",
                "self_privateuse1_time_total"]

    def export_stacks(self, path, metric):
        """Write one line per event with a stack (needs with_stack=True): its frames outermost first, joined
        by ';', then the metric as an integer. flamegraph.pl and speedscope read this format."""
        if metric not in self.supported_export_stacks_metrics():
            raise ValueError("metric should be one of: " + str(self.supported_export_stacks_metrics()))
        attribute = metric.replace("cuda", "device").replace("xpu", "device").replace("privateuse1", "device")
        blank = str.maketrans(" ;\t\n", "____")
        with open(path, "w") as f:
            for event in self:
                value = int(getattr(event, attribute))
                if event.stack and value > 0:
                    frames = ";".join(frame.translate(blank) for frame in reversed(event.stack))
                    f.write(f"{frames} {value}\n")

    def export_chrome_trace(self, path):
        """Write the events as a trace-event JSON array ("ph": "X" complete events, microseconds), which
        chrome://tracing and Perfetto open."""
        events = [{"name": e.trace_name or e.name, "ph": "X", "ts": e.time_range.start,
                   "dur": e.time_range.elapsed_us(), "tid": e.thread, "pid": "CPU functions", "args": {}}
                  for e in self]
        with open(path, "w") as f:
            json.dump(events, f)


def _sort_key(sort_by):
    return sort_by.replace("cuda", "device").replace("xpu", "device").replace("privateuse1", "device")


def _flops_scale(smallest):
    """(factor, header) that print the smallest FLOP count of the table with 1 to 3 integer digits."""
    names = ["FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs"]
    step = int(max(0, min(math.log10(smallest) / 3, len(names) - 1)))
    return 10.0 ** (-3 * step), names[step]


def _trim_path(path, width):
    if len(path) > width:
        path = "..." + path[len(path) - width + 3:]
    return path


def _build_table(events, sort_by=None, header=None, row_limit=100, max_src_column_width=75,
                 max_name_column_width=55, max_shapes_column_width=80, with_flops=False, profile_memory=False,
                 top_level_events_only=False, time_unit=None):
    """torch's profiler table for `events` (FunctionEvents or FunctionEventAvgs)."""
    if len(events) == 0:
        return ""
    use_device = events[0].use_device
    has_device_time = any(e.self_device_time_total > 0 for e in events)
    has_device_mem = any(e.self_device_memory_usage > 0 for e in events)
    has_shapes = any(e.input_shapes is not None and len(e.input_shapes) > 0 for e in events)
    if sort_by is not None:
        events = sorted(events, key=lambda e: getattr(e, _sort_key(sort_by)), reverse=True)

    name_width = max(len(e.key) for e in events) + 4
    if max_name_column_width is not None:
        name_width = min(name_width, max_name_column_width)
    shapes_width = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_column_width is not None:
        shapes_width = min(shapes_width, max_shapes_column_width)
    stacks = [e.stack for e in events if e.stack]
    src_width = None
    if stacks:
        src_width = max(len(frame) for stack in stacks for frame in stack) + 4
        if max_src_column_width is not None:
            src_width = min(src_width, max_src_column_width)

    device = use_device.upper() if use_device is not None else "None"
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if has_device_time:
        headers += [f"Self {device}", f"Self {device} %", f"{device} total", f"{device} time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
        if use_device and has_device_mem:
            headers += [f"{device} Mem", f"Self {device} Mem"]
    headers.append("# of Calls")
    widths = [name_width] + [12] * (len(headers) - 1)
    aligns = [">"] * len(headers)
    if has_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_width)
        aligns.append(">")
    if stacks:
        headers.append("Source Location")
        widths.append(src_width)
        aligns.append("<")
    flops_scale = None
    if with_flops:
        counts = [e.flops for e in events if e.flops and e.flops > 0]
        if counts:
            flops_scale, flops_header = _flops_scale(min(counts))
            headers.append(f"Total {flops_header}")
            widths.append(12)
            aligns.append(">")
    row_format = "".join("{: " + a + str(w) + "}  " for a, w in zip(aligns, widths))
    separator = "".join("-" * w + "  " for w in widths)
    line_length = sum(w + 2 for w in widths) - 2

    total_self_cpu = sum(e.self_cpu_time_total for e in events)
    total_self_device = sum(e.self_device_time_total for e in events) if has_device_time else 0
    lines = []
    if header is not None:
        lines += ["=" * line_length, header]
    if top_level_events_only:
        lines += ["=" * line_length, "This report only display top-level ops statistics"]
    lines += [separator, row_format.format(*headers), separator]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        e.self_cpu_percent = _format_time_share(e.self_cpu_time_total, total_self_cpu)
        e.total_cpu_percent = _format_time_share(e.cpu_time_total, total_self_cpu)
        row = [name, e.self_cpu_percent, _in_unit(e.self_cpu_time_total, time_unit), e.total_cpu_percent,
               _in_unit(e.cpu_time_total, time_unit), _in_unit(e.cpu_time, time_unit)]
        if has_device_time:
            e.total_device_percent = _format_time_share(e.self_device_time_total, total_self_device)
            row += [_in_unit(e.self_device_time_total, time_unit), e.total_device_percent,
                    _in_unit(e.device_time_total, time_unit), _in_unit(e.device_time, time_unit)]
        if profile_memory:
            row += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
            if use_device and has_device_mem:
                row += [_format_memory(e.device_memory_usage), _format_memory(e.self_device_memory_usage)]
        row.append(e.count)
        if has_shapes:
            row.append(str(e.input_shapes)[:shapes_width])
        if stacks:
            row.append(_trim_path(e.stack[0], src_width) if e.stack else "")
        if flops_scale is not None:
            row.append("--" if not e.flops or e.flops <= 0 else f"{e.flops * flops_scale:8.3f}")
        lines.append(row_format.format(*row))
        if stacks:
            blank = [""] * (len(headers) - 1)
            for frame in (e.stack or [])[1:]:
                lines.append(row_format.format(*blank, _trim_path(frame, src_width)))
            lines.append(row_format.format(*blank, ""))
    lines += [separator, f"Self CPU time total: {_in_unit(total_self_cpu, time_unit)}"]
    if has_device_time:
        lines.append(f"Self {device} time total: {_in_unit(total_self_device, time_unit)}")
    return "".join(line + "\n" for line in lines)
