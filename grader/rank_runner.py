"""What each process of a grader's multi-rank run executes (started by grader.multirank through mpiexec):

    python -m grader.rank_runner IN_0,IN_1,...:OUT_0,OUT_1,...

The numbers are pipe descriptors inherited through mpiexec, one pair per rank. Rank r reads its signing key,
the jobs and the solutions folder to guard from IN_r and closes every IN before any chapter code is
imported; it keeps OUT_r (closed on exec, so programs the learner's code starts do not get it) and closes the
others. For each job it makes a fresh default process group, calls `job(args, **objects)`, and reports a
signed "start" and "end" line (the outcome: the value, or the error with the learner's line that raised it).
A rank whose job raised tells the others at once, so that they stop waiting for it."""
import fcntl
import importlib.util
import json
import os
import sys
import traceback
from datetime import timedelta
from pathlib import Path

from grader import channel

_ANNOUNCE_PATIENCE = 1.0  # seconds a failing rank waits for the others to hear about it


def _read_all(fd):
    chunks = []
    while True:
        data = os.read(fd, 1 << 16)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def _open_channel(argv):
    """(rank, the settings, the report function), with every descriptor but this rank's OUT closed."""
    ins, outs = (list(map(int, part.split(","))) for part in argv[0].split(":"))
    rank = int(os.environ.get("PMI_RANK", "0"))
    settings = json.loads(_read_all(ins[rank]))
    for fd in ins + [fd for r, fd in enumerate(outs) if r != rank]:
        os.close(fd)
    out = outs[rank]
    fcntl.fcntl(out, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
    key = bytes.fromhex(settings.pop("key"))

    def report(**record):
        data = channel.encode(key, {"rank": rank, **record})
        while data:
            data = data[os.write(out, data):]

    return rank, settings, report


def _module(ref, loaded):
    """The module `ref` names, executed from its file under its name (so that its relative imports work),
    once per file."""
    path = ref["file"]
    if path not in loaded:
        spec = importlib.util.spec_from_file_location(ref["module"], path)
        module = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(ref["module"], module)
        spec.loader.exec_module(module)
        loaded[path] = module
    return loaded[path]


def _resolve(ref, loaded):
    found = _module(ref, loaded)
    for part in ref["qualname"].split("."):
        found = getattr(found, part)
    return found


def _where(tb, files):
    """'exercises/ch12_x.py line 40' for the innermost frame in one of `files`, else ''."""
    for frame in reversed(traceback.extract_tb(tb)):
        if os.path.abspath(frame.filename) in files:
            path = Path(frame.filename)
            return f"{path.parent.name}/{path.name} line {frame.lineno}"
    return ""


def _safe_str(value):
    try:
        return str(value)
    except Exception as exc:  # an exception whose __str__ fails
        return f"<unprintable: {type(exc).__name__}>"


def _tell_the_others(dist, exc):
    """Send this rank's failure on the process group's failure channel (see minitorch.distributed._mpi)."""
    world = getattr(dist.distributed_c10d, "_world", None)
    failure_channel = getattr(world, "channel", None)
    if failure_channel is not None and failure_channel.size > 1:
        failure_channel.announce(exc, _ANNOUNCE_PATIENCE)


def run_job(job, loaded, dist):
    """The outcome of one job on this rank: {"value": ...} or {"error", "message", "where", "peer"}."""
    files = {ref["file"] for ref in job["objects"].values()}
    dist.init_process_group("mpi", timeout=timedelta(seconds=job["pg_timeout"]))
    try:
        function = _resolve(job["job"], loaded)
        objects = {}
        for name, ref in job["objects"].items():
            try:
                objects[name] = _resolve(ref, loaded)
            except BaseException as exc:  # the learner's module may raise anything while it is imported
                raise ImportError(f"cannot import {Path(ref['file']).parent.name}/{Path(ref['file']).name}: "
                                  f"{type(exc).__name__}: {_safe_str(exc)}") from exc
        value = function(job["args"], **objects)
        json.dumps(value)
        return {"value": value}
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from the learner's code included
        peer = bool(getattr(exc, "_from_peer", False))
        if not peer:
            _tell_the_others(dist, exc)
        return {"error": type(exc).__name__, "message": _safe_str(exc)[:1500],
                "where": _where(exc.__traceback__, files), "peer": peer}
    finally:
        try:
            dist.destroy_process_group()
        except Exception:  # a group broken by the failure: the next job makes a new one
            pass


def main(argv):
    rank, settings, report = _open_channel(argv)
    if settings["guard"]:
        from grader.chapters import guard_solutions
        guard_solutions(settings["guard"])
    import minitorch.distributed as dist
    loaded = {}
    for job in settings["jobs"]:
        report(event="start", job=job["id"])
        report(event="end", job=job["id"], outcome=run_job(job, loaded, dist))
    report(event="done")


if __name__ == "__main__":
    main(sys.argv[1:])
