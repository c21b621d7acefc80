"""The Chrome trace-event JSON a profile exports (the format of torch's profiler traces), which Perfetto
(https://ui.perfetto.dev), chrome://tracing and TensorBoard's profiler plugin open.

Every op, backward step and range is a complete event ("ph": "X") with its start "ts" and duration "dur" in
microseconds on its process and thread; nesting shows as events inside events on one thread. Memory
allocations and frees are instant events ("ph": "i", "[memory]") carrying the running total, GPU time a
second row of "kernel" events, and flow arrows ("fwdbwd") join each forward op to the backward step of the
node it made."""
import json
import os
import socket

__all__ = ["write_chrome_trace"]


def write_chrome_trace(prof, path):
    """Write the recording of `prof` (a finished autograd.profiler.profile) to `path`."""
    recorder = prof._recorder
    origin_us = recorder.start_ns / 1000  # FunctionEvent times are relative to the start
    pid = os.getpid()
    events = [{"ph": "M", "name": "process_name", "ts": origin_us, "pid": pid, "tid": 0, "args": {"name": "python"}},
              {"ph": "M", "name": "process_labels", "ts": origin_us, "pid": pid, "tid": 0, "args": {"labels": "CPU"}}]
    function_events = [e for e in prof.function_events if e.trace_name is not None]
    for tid in sorted({e.thread for e in function_events}):
        events.append({"ph": "M", "name": "thread_name", "ts": origin_us, "pid": pid, "tid": tid,
                       "args": {"name": f"thread {tid} (python)"}})
    flow_starts = {}
    for index, e in enumerate(function_events):
        args = {"External id": index + 1, "Record function id": 0, "Ev Idx": index}
        if e.input_shapes is not None and not e.is_user_annotation:
            args["Input Dims"] = e.input_shapes
        if e.sequence_nr >= 0:
            args["Sequence number"] = e.sequence_nr
            if e.fwd_thread is not None:
                args["Fwd thread id"] = e.fwd_thread
        if e.flops:
            args["flops"] = e.flops
        ts = origin_us + e.time_range.start
        events.append({"ph": "X", "cat": "user_annotation" if e.is_user_annotation else "cpu_op",
                       "name": e.trace_name, "pid": pid, "tid": e.thread, "ts": round(ts, 3),
                       "dur": round(e.time_range.elapsed_us(), 3), "args": args})
        if e.sequence_nr >= 0:
            _flow(events, flow_starts, e, pid, round(ts, 3))
        for kernel in e.kernels:
            events.append({"ph": "X", "cat": "kernel", "name": kernel.name, "pid": kernel.device, "tid": "stream 0",
                           "ts": round(ts, 3), "dur": round(kernel.duration, 3), "args": {"External id": index + 1}})
    for when, nbytes, device, thread, _, total in recorder.memory_events:
        events.append({"ph": "i", "cat": "cpu_instant_event", "s": "t", "name": "[memory]", "pid": pid,
                       "tid": thread, "ts": round(when / 1000, 3),
                       "args": {"Total Reserved": 0, "Total Allocated": total, "Bytes": nbytes,
                                "Device Id": -1 if device == "cpu" else 0, "Device Type": 0 if device == "cpu" else 1}})
    events.append({"ph": "X", "cat": "Trace", "name": "PyTorch Profiler (0)", "pid": "Spans",
                   "tid": "PyTorch Profiler", "ts": round(origin_us, 3),
                   "dur": round((recorder.end_ns - recorder.start_ns) / 1000, 3), "args": {"Op count": 0}})
    trace = {"schemaVersion": 1, "deviceProperties": [], "record_shapes": int(prof.record_shapes),
             "profile_memory": int(prof.profile_memory), "host_name": socket.gethostname(),
             "displayTimeUnit": "ms", "baseTimeNanoseconds": recorder.wall_offset_ns, "traceEvents": events,
             "traceName": path}
    for key, value in getattr(prof, "metadata", {}).items():
        trace[key] = json.loads(value)
    with open(path, "w") as f:
        json.dump(trace, f)


def _flow(events, starts, event, pid, ts):
    """A 'fwdbwd' arrow from the forward op that made a node (the first event with its sequence number)
    to the engine's step that runs it."""
    seq = event.sequence_nr
    if event.name.startswith("autograd::engine::evaluate_function"):
        if seq in starts:
            events.append({"ph": "f", "id": seq, "pid": pid, "tid": event.thread, "ts": ts, "cat": "fwdbwd",
                           "name": "fwdbwd", "bp": "e"})
    elif seq not in starts and event.scope == 0:
        starts[seq] = ts
        events.append({"ph": "s", "id": seq, "pid": pid, "tid": event.thread, "ts": ts, "cat": "fwdbwd",
                       "name": "fwdbwd"})
