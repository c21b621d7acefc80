"""torch.autograd.profiler: `record_function` ranges, and `profile`, the recorder behind `minitorch.profiler`.

While a `profile` records, it is an observer of the dispatch door's lower layer (`_dispatch.add_observer`),
so it sees every op that runs through minitorch under torch's name (`aten::addmm`), nested ops included; it
watches the autograd engine (`graph.node_observer`) for the backward nodes; and `record_function` ranges
(the optimizer's and DataLoader's included) add named spans. Each becomes a FunctionEvent with its times,
input shapes, memory and FLOPs. When nothing records, none of these hooks is installed: the door keeps its
fast path and record_function costs one check."""
import contextlib
import functools
import math
import sys
import threading
import time
import weakref

import numpy as np

from .. import _dispatch
from . import graph
from .profiler_util import DeviceType, EventList, FunctionEvent, FunctionEventAvg, Kernel  # noqa: F401

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]

_now = time.perf_counter_ns

# The recording in progress, if any (one at a time).
_active = [None]


class _Record:
    """One span while recording: an op, a backward step or a range. Times in ns of perf_counter."""

    __slots__ = ("name", "parent", "thread", "start", "end", "shapes", "stack", "flops", "seq", "scope",
                 "user", "memory", "device_memory", "cuda", "fwd_thread")

    def __init__(self, name, parent, thread, scope=0, user=False):
        self.name = name
        self.parent = parent
        self.thread = thread
        self.start = self.end = 0
        self.shapes = self.stack = self.flops = self.cuda = self.fwd_thread = None
        self.seq = -1
        self.scope = scope  # torch's RecordScope: 0 function, 1 backward function, 7 user scope
        self.user = user
        self.memory = self.device_memory = 0  # bytes allocated minus freed directly inside this span


class _Recorder:
    """Collects records from the three hooks. Memory is counted per array owner (the array at the end of a
    chain of views): an op's result, or an array an op hands to a nested op, whose owner the recording has not
    seen is an allocation of that op, and the owner's death is the matching free. Arrays first seen as inputs
    of an op that runs inside no other op existed before: they count as nothing."""

    def __init__(self, record_shapes, profile_memory, with_stack, with_flops, use_cuda):
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.cuda = _cuda_module() if use_cuda else None
        self.records = []
        self.memory_events = []  # (time ns, bytes, device, thread, owning record or None, total after)
        self.totals = {"cpu": 0, "cuda": 0}
        self._threads = threading.local()
        self._owners = {}  # id(array owner) -> weakref, for profile_memory
        self.start_ns = self.end_ns = 0
        self.wall_offset_ns = 0

    # ----- switching on and off -------------------------------------------------------------------------
    def start(self):
        self.wall_offset_ns = time.time_ns() - _now()
        self.start_ns = _now()
        self._remove_op_observer = _dispatch.add_observer(self.enter, self.leave, with_result=True)
        graph.node_observer[0] = self
        _active[0] = self

    def stop(self):
        _active[0] = None
        graph.node_observer[0] = None
        self._remove_op_observer()
        self.end_ns = _now()
        self._owners = {}  # frees after the end are not ours to count
        if self.cuda is not None:
            self.cuda.cuda.runtime.deviceSynchronize()

    def _open(self):
        """This thread's (stack of open records, thread id)."""
        state = self._threads
        try:
            return state.stack, state.tid
        except AttributeError:
            state.stack, state.tid = [], threading.get_native_id()
            return state.stack, state.tid

    def _push(self, name, scope=0, user=False):
        stack, tid = self._open()
        record = _Record(name, stack[-1] if stack else None, tid, scope, user)
        if self.with_stack:
            record.stack = _python_stack()
        stack.append(record)
        self.records.append(record)
        return record

    def _pop(self, record):
        stack, _ = self._open()
        if stack and stack[-1] is record:
            stack.pop()
        elif record in stack:  # a span left without closing the ones it opened (an exception skipped them)
            del stack[stack.index(record):]

    # ----- ops: the dispatch observer -------------------------------------------------------------------
    def enter(self, op, args, kwargs):
        record = self._push(op.name)
        if self.record_shapes:
            record.shapes = [_shape(a) for a in (*args, *kwargs.values())]
        if self.profile_memory:
            self._note_inputs(record.parent, _dispatch._tensor_args(args, kwargs))
        if self.cuda is not None and _on_gpu(self.cuda, args):
            record.cuda = self._cuda_event()
        record.start = _now()
        return record

    def leave(self, record, result):
        record.end = _now()
        if record.cuda is not None:
            record.cuda = (record.cuda, self._cuda_event())
        self._pop(record)
        node = getattr(result, "_grad_fn", None)
        if node is not None:
            record.seq = node._seq
        if self.with_flops:
            record.flops = _flops(record.name, record.shapes, result)
        if self.profile_memory and result is not None:
            for t in _tensors(result if isinstance(result, (tuple, list)) else (result,)):
                self._allocated(t._data, record)

    # ----- backward: the engine observer (graph.node_observer) --------------------------------------------
    @contextlib.contextmanager
    def evaluate(self, node, grads):
        """One step of the engine: torch's 'autograd::engine::evaluate_function: <node name>'."""
        record = self._push("autograd::engine::evaluate_function: " + node.name())
        record.seq, record.fwd_thread = _sequence_nr(node), record.thread
        record.start = _now()
        try:
            yield
        finally:
            record.end = _now()
            self._pop(record)

    def run(self, node, grads, fn, *args):
        """The node's own work, fn(*args), recorded under its name with the gradients' shapes."""
        record = self._push(node.name(), scope=1)
        record.seq, record.fwd_thread = _sequence_nr(node), record.thread
        if self.record_shapes:
            record.shapes = [[] if g is None else list(g._data.shape) for g in grads]
        if self.cuda is not None and _on_gpu(self.cuda, grads):
            record.cuda = self._cuda_event()
        record.start = _now()
        try:
            out = fn(*args)
        finally:
            record.end = _now()
            if record.cuda is not None:
                record.cuda = (record.cuda, self._cuda_event())
            self._pop(record)
        if self.profile_memory:
            made = out if out is not None else (getattr(node.variable, "_grad", None),)
            for t in _tensors(made):
                self._allocated(t._data, record)
        return out

    # ----- ranges: record_function --------------------------------------------------------------------
    def open_range(self, name):
        record = self._push(name, scope=7, user=True)
        record.start = _now()
        return record

    def close_range(self, record):
        record.end = _now()
        self._pop(record)

    # ----- memory -----------------------------------------------------------------------------------------
    def _note_inputs(self, parent, tensors):
        """Inputs whose memory is new to the recording: inside an op or node, arrays that it made with its
        own array code (its allocations); elsewhere, arrays that existed before (no allocation)."""
        for t in tensors:
            if parent is not None and not parent.user:
                self._allocated(t._data, parent)
            else:
                self._known(t._data)

    def _known(self, array):
        """Note the owner of an input's memory as existing before: results that share it allocate nothing."""
        owner = _owner(array)
        key = id(owner)
        ref = self._owners.get(key)
        if ref is None or ref() is not owner:
            try:
                self._owners[key] = weakref.ref(owner)
            except TypeError:  # an owner that takes no weak reference (a bytes buffer): never counted
                pass

    def _allocated(self, array, record):
        owner = _owner(array)
        key = id(owner)
        ref = self._owners.get(key)
        if ref is not None and ref() is owner:
            return
        device = _memory_device(owner)
        nbytes = getattr(owner, "nbytes", None)
        if device is None or nbytes is None:
            return
        try:
            self._owners[key] = weakref.ref(owner, functools.partial(self._freed, key, nbytes, device))
        except TypeError:
            return
        self._memory_event(nbytes, device, record, self._open()[1])

    def _freed(self, key, nbytes, device, ref):
        if self._owners.get(key) is ref:
            del self._owners[key]
            stack, tid = self._open()
            self._memory_event(-nbytes, device, stack[-1] if stack else None, tid)

    def _memory_event(self, nbytes, device, record, thread):
        self.totals[device] += nbytes
        if record is not None:
            if device == "cpu":
                record.memory += nbytes
            else:
                record.device_memory += nbytes
        self.memory_events.append((_now(), nbytes, device, thread, record, self.totals[device]))

    # ----- GPU time ---------------------------------------------------------------------------------------
    def _cuda_event(self):
        event = self.cuda.cuda.Event()
        event.record()
        return event

    def device_us(self, record):
        """The GPU time between the events recorded around `record`, in microseconds."""
        start, end = record.cuda
        end.synchronize()
        return self.cuda.cuda.get_elapsed_time(start, end) * 1000.0

    # ----- results ----------------------------------------------------------------------------------------
    def function_events(self, use_device, profile_memory, with_flops):
        """The records as FunctionEvents (times relative to the start), in start order, nested."""
        totals = {}
        for record in reversed(self.records):  # children come after their parents: add them up backwards
            own = totals.setdefault(id(record), [0, 0])
            own[0] += record.memory
            own[1] += record.device_memory
            if record.parent is not None:
                up = totals.setdefault(id(record.parent), [0, 0])
                up[0] += own[0]
                up[1] += own[1]
        events = []
        for i, record in enumerate(self.records):
            cpu_mem, device_mem = totals[id(record)]
            name = "ProfilerStep*" if record.name.startswith("ProfilerStep#") else record.name
            event = FunctionEvent(
                i, name, record.thread, (record.start - self.start_ns) / 1000, (record.end - self.start_ns) / 1000,
                fwd_thread=record.fwd_thread, input_shapes=record.shapes, stack=record.stack, scope=record.scope,
                use_device=use_device, cpu_memory_usage=cpu_mem, device_memory_usage=device_mem,
                sequence_nr=record.seq, flops=record.flops, trace_name=record.name,
                is_user_annotation=record.user)
            if record.cuda is not None:
                event.append_kernel(record.name, 0, self.device_us(record))
            events.append(event)
        for when, nbytes, device, thread, record, _ in self.memory_events:
            if record is None:  # freed while no op ran: torch's '[memory]' event
                at = (when - self.start_ns) / 1000
                events.append(FunctionEvent(
                    len(events), "[memory]", thread, at, at, input_shapes=[], stack=[], use_device=use_device,
                    cpu_memory_usage=nbytes if device == "cpu" else 0,
                    device_memory_usage=nbytes if device == "cuda" else 0))
        events.sort(key=lambda e: (e.time_range.start, -e.time_range.end))
        result = EventList(events, use_device=use_device, profile_memory=profile_memory, with_flops=with_flops)
        result._build_tree()
        return result


def _tensors(values):
    """The tensors among `values`, also inside lists and tuples (one level deep), as the door finds them."""
    return _dispatch._tensor_args(values, {})


def _shape(value):
    """torch's input shape entry: a tensor's sizes, [] for anything else (numbers, lists, None)."""
    data = getattr(value, "_data", None)
    return list(data.shape) if data is not None and hasattr(data, "shape") else []


def _owner(array):
    """The object that owns `array`'s memory (the end of its chain of bases)."""
    base = getattr(array, "base", None)
    while base is not None:
        array = base
        base = getattr(array, "base", None)
    return array


def _memory_device(owner):
    """'cpu' for NumPy memory, 'cuda' for CuPy memory, None for anything else."""
    if type(owner) is np.ndarray:
        return "cpu"
    from ..cuda import _state
    cupy = _state["cupy"]
    return "cuda" if cupy is not None and isinstance(owner, cupy.ndarray) else None


def _cuda_module():
    """CuPy (or its stand-in) when a GPU is there to time, else None."""
    from .. import cuda
    return cuda._state["cupy"] if cuda.is_available() else None


def _on_gpu(cupy, values):
    return any(isinstance(t._data, cupy.ndarray) for t in _tensors(values))


def _sequence_nr(node):
    """The node's sequence number, which its forward op also carries; -1 for AccumulateGrad (torch's)."""
    seq = node._seq
    return seq if seq != float("inf") else -1


_INTERNAL_FILES = (_dispatch.__file__, __file__, contextlib.__file__, graph.__file__)


def _python_stack():
    """The Python frames of the current call, innermost first, as 'file(line): function', leaving out the
    dispatch door, the profiler and the engine's plumbing."""
    frames = []
    frame = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        if code.co_filename not in _INTERNAL_FILES:
            frames.append(f"{code.co_filename}({frame.f_lineno}): {code.co_name}")
        frame = frame.f_back
    return frames


def _flops(name, shapes, result):
    """The FLOPs torch's profiler counts for the op, from its input shapes and result: 2 * M * K * N for a
    matrix product, 2 * (output elements) * (C_in / groups) * kH * kW for a 2-d convolution, the first
    input's size for mul and add; 0 for other ops."""
    tensors = [s for s in shapes if s]
    if name in ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm") and len(tensors) >= 2:
        a, b = tensors[-2], tensors[-1]
        return 2 * math.prod(a) * b[-1] if len(a) == len(b) else 0
    if name == "aten::conv2d" and len(tensors) >= 2 and len(tensors[1]) == 4 and result is not None:
        return 2 * math.prod(result._data.shape) * math.prod(tensors[1][1:])
    if name in ("aten::mul", "aten::add") and shapes:
        return math.prod(shapes[0])
    return 0


class record_function(contextlib.ContextDecorator):
    """A named range in the profile: `with record_function("data"): ...`, or `@record_function("step")` on
    a function. Everything that runs inside appears nested under it. Costs one check when nothing records."""

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self.run_callbacks_on_exit = True
        self._open = []  # (recorder, record) per entry still open: a decorated function may recurse

    def __enter__(self):
        recorder = _active[0]
        self._open.append(None if recorder is None else (recorder, recorder.open_range(self.name)))
        return self

    def __exit__(self, *exc):
        entry = self._open.pop()
        if entry is not None:
            entry[0].close_range(entry[1])
        return False


def _range(name):
    """`record_function(name)` while recording, else a shared no-op: for ranges that library code opens
    on every call (the optimizer's step, DataLoader's __next__)."""
    return _NO_RANGE if _active[0] is None else record_function(name)


_NO_RANGE = contextlib.nullcontext()


class profile:
    """Record everything minitorch runs inside `with profile() as prof:` (torch.autograd.profiler.profile);
    `prof.key_averages().table()` then summarises it. Most code uses `minitorch.profiler.profile`, which adds
    activities, schedules and trace handlers on top of this.

    record_shapes: keep input shapes (key_averages(group_by_input_shape=True) groups by them); with_flops:
    count FLOPs of matrix products and convolutions (implies record_shapes); profile_memory: the bytes each op
    allocates and frees; with_stack: the Python frames of each op; use_device='cuda': GPU time per op."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None):
        self.enabled = enabled
        if use_cuda:
            import warnings
            warnings.warn("The attribute `use_cuda` will be deprecated soon, please use ``use_device = 'cuda'`` "
                          "instead.", FutureWarning, stacklevel=2)
            use_device = "cuda"
        if use_device not in (None, "cuda"):
            raise AssertionError(f"{use_device} is not a valid device: minitorch profiles 'cuda' only")
        self.use_device = use_device
        self.record_shapes = record_shapes or with_flops
        self.with_flops = with_flops
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.use_cpu = use_cpu
        self.acc_events = acc_events
        self._recorder = None
        self._function_events = None
        self.entered = False

    def _start(self):
        if _active[0] is not None:
            raise RuntimeError("Profiler is already enabled on this thread")
        self._recorder = _Recorder(self.record_shapes, self.profile_memory, self.with_stack, self.with_flops,
                                   self.use_device == "cuda")
        self._recorder.start()

    def _stop(self):
        recorder = self._recorder
        recorder.stop()
        events = recorder.function_events(self.use_device, self.profile_memory, self.with_flops)
        if self.acc_events and self._function_events is not None:
            events = EventList(list(self._function_events) + list(events), use_device=self.use_device,
                               profile_memory=self.profile_memory, with_flops=self.with_flops)
            events._tree_built = True
        self._function_events = events

    def __enter__(self):
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._start()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self._stop()
            self.entered = False
        return False

    def _check_finish(self):
        if self._function_events is None:
            raise RuntimeError("Profiler didn't finish running")

    @property
    def function_events(self):
        self._check_finish()
        return self._function_events

    def __repr__(self):
        return "<unfinished torch.autograd.profile>" if self._function_events is None else repr(self._function_events)

    def __str__(self):
        return "<unfinished torch.autograd.profile>" if self._function_events is None else str(self._function_events)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        self._check_finish()
        return self._function_events.table(
            sort_by=sort_by, row_limit=row_limit, max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width, max_shapes_column_width=max_shapes_column_width,
            header=header, top_level_events_only=top_level_events_only, time_unit=time_unit)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        self._check_finish()
        return self._function_events.key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def total_average(self):
        self._check_finish()
        return self._function_events.total_average()

    @property
    def self_cpu_time_total(self):
        """The CPU time of everything recorded, in microseconds (the sum of all self times)."""
        self._check_finish()
        return self._function_events.self_cpu_time_total

    def export_chrome_trace(self, path):
        """Write the trace as Chrome trace-event JSON (see minitorch.profiler.profile.export_chrome_trace)."""
        self._check_finish()
        from ..profiler._trace import write_chrome_trace
        write_chrome_trace(self, path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        self._check_finish()
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        self._function_events.export_stacks(path, metric)
