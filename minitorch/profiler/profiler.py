"""`minitorch.profiler.profile` (torch.profiler.profile): record what a block of code runs, once or on a
schedule over the steps of a training loop, and hand each finished recording to `on_trace_ready`.

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        train_step()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    prof.export_chrome_trace("trace.json")   # open in https://ui.perfetto.dev or chrome://tracing

With `schedule=schedule(wait=1, warmup=1, active=2)` and `prof.step()` after each iteration, only the active
steps are recorded, each inside a `ProfilerStep#N` range."""
import enum
import gzip
import os
import shutil
import socket
import tempfile
import time
import warnings
from functools import partial

from ..autograd import profiler as autograd_profiler
from ..autograd.profiler import record_function

__all__ = ["ProfilerAction", "ProfilerActivity", "profile", "schedule", "supported_activities",
           "tensorboard_trace_handler"]


class ProfilerActivity(enum.Enum):
    """What to record: CPU (every op, backward node and range) and CUDA (GPU time of each op)."""
    CPU = 0
    CUDA = 2


def supported_activities():
    """The activities this machine can record: CPU, and CUDA where a GPU is available."""
    from .. import cuda
    return {ProfilerActivity.CPU} | ({ProfilerActivity.CUDA} if cuda.is_available() else set())


class ProfilerAction(enum.Enum):
    """What a schedule asks of the profiler for one step."""
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """A schedule: skip the first `skip_first` steps, then cycle through `wait` idle steps, `warmup` steps
    (the profiler gets ready, records nothing) and `active` recorded steps; the last active step of each cycle
    is RECORD_AND_SAVE, after which on_trace_ready receives the profile. `repeat` cycles (0: no limit);
    skip_first_wait=1 leaves out the first cycle's wait."""
    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        cycle = wait + warmup + active
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        position = step % cycle
        if position < wait:
            return ProfilerAction.NONE
        if position < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if position < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} (need >= 0), "
            f"active={active} (need > 0), repeat={repeat} (need >= 0), skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)
    return schedule_fn


def _default_schedule_fn(_):
    """Without a schedule every step is recorded."""
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An on_trace_ready handler that writes each trace to `dir_name` as
    `<worker_name>.<time ns>.pt.trace.json` (`.gz` with use_gzip); worker_name defaults to host_pid."""
    def handler_fn(prof):
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as e:
                raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker_name}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, file_name))
    return handler_fn


class _KinetoProfile:
    """The recording itself, without schedule: start() / stop(), then the views of the result."""

    def __init__(self, *, activities=None, record_shapes=False, profile_memory=False, with_stack=False,
                 with_flops=False, with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, custom_trace_id_callback=None):
        self.activities = set(activities) if activities else supported_activities()
        for activity in self.activities:
            if not isinstance(activity, ProfilerActivity):
                raise TypeError(f"activities must hold ProfilerActivity values, but got {activity!r}")
        self.record_shapes = record_shapes
        self.with_flops = with_flops
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.experimental_config = experimental_config
        self.execution_trace_observer = execution_trace_observer
        self.acc_events = acc_events
        self.custom_trace_id_callback = custom_trace_id_callback
        self.use_device = "cuda" if ProfilerActivity.CUDA in self.activities else None
        self.profiler = None
        self.preset_metadata = {}

    def start(self):
        self.prepare_trace()
        self.start_trace()

    def stop(self):
        self.stop_trace()

    def prepare_trace(self):
        if self.profiler is None or not self.acc_events:
            self.profiler = autograd_profiler.profile(
                use_device=self.use_device, record_shapes=self.record_shapes, with_flops=self.with_flops,
                profile_memory=self.profile_memory, with_stack=self.with_stack, with_modules=self.with_modules,
                acc_events=self.acc_events)

    def start_trace(self):
        self.profiler._start()
        self.profiler.metadata = dict(self.preset_metadata)

    def stop_trace(self):
        self.profiler._stop()

    def add_metadata(self, key, value):
        """Add a string entry to the exported trace's top level."""
        self.profiler.metadata[key] = f'"{value}"'

    def add_metadata_json(self, key, value):
        """Add an entry (a JSON text) to the exported trace's top level."""
        self.profiler.metadata[key] = value

    def preset_metadata_json(self, key, value):
        """Metadata that every trace started from now on carries."""
        self.preset_metadata[key] = value

    def _initialized(self, purpose):
        if self.profiler is None:
            raise AssertionError(f"Profiler must be initialized before {purpose}")
        return self.profiler

    def export_chrome_trace(self, path):
        """Write the last recording as Chrome trace-event JSON (gzip-compressed when `path` ends in .gz):
        open it in https://ui.perfetto.dev or chrome://tracing."""
        self._initialized("exporting chrome trace")
        if not path.endswith(".gz"):
            return self.profiler.export_chrome_trace(path)
        fd, plain = tempfile.mkstemp(".json")
        os.close(fd)
        try:
            self.profiler.export_chrome_trace(plain)
            with open(plain, "rb") as src, gzip.open(path, "wb") as dst:
                shutil.copyfileobj(src, dst)
        finally:
            os.remove(plain)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Write the recorded stacks with `metric` per line, for flame graphs (needs with_stack=True)."""
        return self._initialized("exporting stacks").export_stacks(path, metric)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        """One row per event name (and input shapes / stack when asked): counts, times, memory, FLOPs."""
        return self._initialized("getting key averages").key_averages(group_by_input_shape, group_by_stack_n,
                                                                      group_by_overload_name)

    def events(self):
        """Every recorded event (FunctionEvents in start order, nested through cpu_parent / cpu_children)."""
        return self._initialized("accessing events").function_events


class profile(_KinetoProfile):
    """Profiler context manager (torch.profiler.profile). See the module docstring for an example.

    activities: ProfilerActivity values (default: what supported_activities() gives); schedule: step ->
    ProfilerAction (see `schedule`); on_trace_ready: called with this profiler at the end of each recorded
    cycle; record_shapes, profile_memory, with_stack, with_flops: what to keep for each op."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None):
        activities = set(activities) if activities else supported_activities()
        if use_cuda is not None:
            warnings.warn("`use_cuda` is deprecated, use `activities` argument instead", FutureWarning,
                          stacklevel=2)
            (activities.add if use_cuda else activities.discard)(ProfilerActivity.CUDA)
        if not activities:
            raise AssertionError("No valid profiler activities found")
        super().__init__(activities=activities, record_shapes=record_shapes, profile_memory=profile_memory,
                         with_stack=with_stack, with_flops=with_flops, with_modules=with_modules,
                         experimental_config=experimental_config,
                         execution_trace_observer=execution_trace_observer, acc_events=acc_events,
                         custom_trace_id_callback=custom_trace_id_callback)
        self.schedule = schedule or _default_schedule_fn
        self.record_steps = schedule is not None  # ProfilerStep#N ranges mark the steps
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.step_rec_fn = None
        self.current_action = self.schedule(self.step_num)
        A = ProfilerAction
        warn = partial(warnings.warn, stacklevel=3)
        self.action_map = {  # (previous action, current action) -> what to do between them
            (A.NONE, A.NONE): [],
            (A.NONE, A.WARMUP): [self.prepare_trace],
            (A.NONE, A.RECORD): [self.prepare_trace, self.start_trace],
            (A.NONE, A.RECORD_AND_SAVE): [self.prepare_trace, self.start_trace],
            (A.WARMUP, A.NONE): [partial(warn, "Incorrect schedule: WARMUP followed by NONE"), self.start_trace,
                                 self.stop_trace],
            (A.WARMUP, A.WARMUP): [],
            (A.WARMUP, A.RECORD): [self.start_trace],
            (A.WARMUP, A.RECORD_AND_SAVE): [self.start_trace],
            (A.RECORD, A.NONE): [partial(warn, "Incorrect schedule: RECORD followed by NONE"), self.stop_trace],
            (A.RECORD, A.WARMUP): [partial(warn, "Incorrect schedule: RECORD followed by WARMUP"),
                                   self.stop_trace],
            (A.RECORD, A.RECORD): [],
            (A.RECORD, A.RECORD_AND_SAVE): [],
            (A.RECORD_AND_SAVE, A.NONE): [self.stop_trace, self._trace_ready],
            (A.RECORD_AND_SAVE, A.WARMUP): [self.stop_trace, self._trace_ready, self.prepare_trace],
            (A.RECORD_AND_SAVE, A.RECORD): [self.stop_trace, self._trace_ready, self.prepare_trace,
                                            self.start_trace],
            (A.RECORD_AND_SAVE, A.RECORD_AND_SAVE): [self.stop_trace, self._trace_ready, self.prepare_trace,
                                                     self.start_trace],
            (A.WARMUP, None): [self.start_trace, self.stop_trace],
            (A.RECORD, None): [self.stop_trace, self._trace_ready],
            (A.RECORD_AND_SAVE, None): [self.stop_trace, self._trace_ready],
        }

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        self._transit_action(ProfilerAction.NONE, self.current_action)
        self._open_step()

    def stop(self):
        self._close_step()
        self._transit_action(self.current_action, None)

    def step(self):
        """Tell the profiler that the next step (iteration) begins: it records, saves or idles as the
        schedule says for it."""
        self._close_step()
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit_action(previous, self.current_action)
        self._open_step()

    def _open_step(self):
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    def _close_step(self):
        if self.record_steps and self.step_rec_fn is not None:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None

    def _trace_ready(self):
        if self.on_trace_ready:
            self.on_trace_ready(self)

    def _transit_action(self, previous, current):
        for action in self.action_map.get((previous, current), ()):
            action()
