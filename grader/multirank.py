"""Graded tests that run the learner's code on several processes at once (`mpiexec -n N`).

A test file declares a Plan: the jobs to run on every rank, each a top-level function of a module file
called as `job(args, **objects)` once a fresh default process group exists, where `objects` are the
chapter's classes and functions the job needs (by name). A test then asks for one job's results:

    PLAN = Plan(world_size=3)
    PLAN.add("ring", ranks.ring_job, needs=["ring_all_reduce"], args=CASES)

    def test_ring(ch12):
        per_rank = PLAN.values("ring", ch12)   # [what rank 0's job returned, rank 1's, ...]

Starting Python and importing minitorch on every rank is what costs time, so the first question about a
chapter runs every job of the plan for it in one launch, one after another, each in its own process group:
a job that raises or deadlocks (the group's timeout ends it) costs only its own checks. A job that does not
finish within `job_timeout` seconds is stopped by killing mpiexec, after which MPICH's process manager ends
every rank (the ranks lead their own sessions, so killing mpiexec is how the whole job is killed); the jobs
after it run in a fresh launch. Answers are kept for the life of the process, keyed by the jobs, their
arguments and the objects given, so later tests of the same chapter start nothing.

Results come back as the grader's own do (grader.channel): each rank gets, through a pipe it inherits
from mpiexec, its own signing key and the job list, and reads them before any chapter code is imported;
it reports through a second inherited pipe, one signed line per event. Lines the learner's code writes
there, or prints, are not signed and are ignored. Nothing travels through files or the environment."""
import collections
import json
import os
import re
import secrets
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader import channel
from grader.checks import CheckFailed

PACKAGE_PARENT = Path(__file__).resolve().parent.parent
OUTPUT_TAIL = 2000  # characters of the ranks' own output quoted when a run breaks down
_TODO = re.compile(r"ch\d\d\.\d+")
_answers = {}  # job key -> [outcome per rank]


class Job:
    """One job of a plan: `function(args, **objects)` on every rank."""

    def __init__(self, name, function, needs, args, pg_timeout):
        self.name, self.function, self.needs, self.args, self.pg_timeout = name, function, needs, args, pg_timeout


class Plan:
    """The multi-rank jobs of one test file, run together (see the module docstring)."""

    def __init__(self, world_size=2, job_timeout=30.0, start_timeout=90.0):
        self.world_size = world_size
        self.job_timeout = job_timeout
        self.start_timeout = start_timeout
        self.jobs = {}

    def add(self, name, function, needs=(), args=None, pg_timeout=8.0):
        """Declare job `name`: `function(args, **objects)`, the objects being the chapter's objects named in
        `needs` (a list of names, or {parameter: name}). `pg_timeout` is its process group's timeout (a
        deadlock fails after it)."""
        needs = needs if isinstance(needs, dict) else {name: name for name in needs}
        self.jobs[name] = Job(name, function, needs, args, pg_timeout)

    def _spec(self, job, chapter):
        objects = {parameter: reference(getattr(chapter, name, None), name) for parameter, name in job.needs.items()}
        spec = {"job": reference(job.function, job.name), "objects": objects, "args": job.args,
                "pg_timeout": job.pg_timeout, "world_size": self.world_size}
        return json.dumps(spec, sort_keys=True), spec

    def prefetch(self, chapters):
        """Run, in one launch, every job not answered yet for any of `chapters` (modules or namespaces)."""
        pending = {}
        for chapter in chapters:
            for job in self.jobs.values():
                try:
                    key, spec = self._spec(job, chapter)
                except CheckFailed:
                    continue  # the test that asks will say why
                if key not in _answers:
                    pending[key] = spec
        if pending:
            _answers.update(run(pending, self.world_size, self.job_timeout, self.start_timeout))

    def outcomes(self, name, chapter):
        """Each rank's outcome of job `name` run with `chapter`'s objects: {"value": ...} or {"error": ...}."""
        key, _ = self._spec(self.jobs[name], chapter)
        if key not in _answers:
            self.prefetch([chapter])
        return _answers[key]

    def values(self, name, chapter):
        """What job `name` returned on each rank; raises the stub's NotImplementedError when a rank met one,
        else CheckFailed naming the rank and the error when a rank failed."""
        return values(self.outcomes(name, chapter))


def reference(obj, name):
    """Where a rank finds `obj`: its module's name and file, and its qualified name there."""
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    path = getattr(module, "__file__", None)
    qualname = getattr(obj, "__qualname__", "")
    found = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if path is None or found is not obj or not qualname:
        raise CheckFailed(f"{name} must be a function or class defined at the top level of a .py file "
                          f"(the processes import it from there), not {obj!r}")
    return {"module": module.__name__, "file": os.path.abspath(path), "qualname": qualname}


def values(outcomes):
    """The value each rank returned, or the first rank's error as the check's failure (see Plan.values)."""
    errors = [(rank, o) for rank, o in enumerate(outcomes) if "error" in o]
    for _, outcome in errors:
        if outcome["error"] == "NotImplementedError" and _TODO.match(outcome["message"]):
            raise NotImplementedError(outcome["message"])
    if errors:  # the cause, before a rank that stopped waiting for it
        rank, outcome = min(errors, key=lambda e: (e[1].get("peer", False), e[1]["error"] == "Stopped", e[0]))
        text = outcome["message"] if outcome["error"] in ("CheckFailed", "Stopped") else \
            f"{outcome['error']}: {outcome['message']}"
        where = f" (at {outcome['where']})" if outcome.get("where") else ""
        raise CheckFailed(f"on rank {rank} of {len(outcomes)}: {text}{where}")
    return [o["value"] for o in outcomes]


# ----- one launch -----------------------------------------------------------------------------------------
def _mpiexec():
    """mpiexec's path; skips the test without MPI (fails it under MINITORCH_REQUIRE_MPI=1)."""
    try:
        import mpi4py  # noqa: F401
        from minitorch.distributed.run import find_mpiexec
        return find_mpiexec()
    except (ImportError, RuntimeError) as exc:
        why = f"this check runs your code on several processes and needs MPI ({exc}): pip install '.[distributed]'"
        if os.environ.get("MINITORCH_REQUIRE_MPI") == "1":
            pytest.fail(why)
        pytest.skip(why)


def _environment():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_PARENT), env.get("PYTHONPATH")]))
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")  # N ranks share the cores: one BLAS thread each
    return env


def _guard(specs):
    """The solutions folder to keep the ranks away from, when the objects come from an exercises folder."""
    for spec in specs:
        for ref in spec["objects"].values():
            folder = Path(ref["file"]).parent
            if folder.name == "exercises":
                return str(folder.parent / "solutions")
    return None


def run(specs, world_size, job_timeout, start_timeout):
    """{key: [outcome per rank]} for the jobs `specs` ({key: spec}); a job that breaks its launch is blamed
    and the jobs after it run again in a fresh one."""
    answers = {}
    pending = list(specs.items())
    while pending:
        got, started, tail, stopped = _launch(pending, world_size, job_timeout, start_timeout)
        answers.update(got)
        rest = [(key, spec) for key, spec in pending if key not in got]
        if not rest:
            break
        key, _ = rest[0]
        if key not in started:  # the run broke before any job it had left: nothing to retry
            why = f"the {world_size}-process run did not start: {tail}"
            answers.update({k: [_failure(why)] * world_size for k, _ in rest})
            break
        why = (f"did not finish within {job_timeout:g} s and was stopped (an infinite loop, or a rank waiting "
               "for a message that never comes?)" if stopped else f"a process exited during this check: {tail}")
        answers[key] = [got_rank or _failure(why) for got_rank in started[key]]
        pending = rest[1:]
    return answers


def _failure(message):
    return {"error": "Stopped", "message": message}


def _launch(pending, world_size, job_timeout, start_timeout):
    """One mpiexec run of the jobs `pending`; returns (answers, {key: [outcome or None per rank]} for the jobs
    some rank started, the tail of the output, whether it was stopped for time)."""
    command_line = _mpiexec()
    keys = [secrets.token_bytes(32) for _ in range(world_size)]
    spec_pipes = [os.pipe() for _ in range(world_size)]
    result_pipes = [os.pipe() for _ in range(world_size)]
    output_read, output_write = os.pipe()
    inherited = [r for r, _ in spec_pipes] + [w for _, w in result_pipes]
    fds = ",".join(str(r) for r, _ in spec_pipes) + ":" + ",".join(str(w) for _, w in result_pipes)
    process = subprocess.Popen([command_line, "-n", str(world_size), sys.executable, "-m", "grader.rank_runner", fds],
                               cwd=PACKAGE_PARENT, env=_environment(), stdin=subprocess.DEVNULL, stdout=output_write,
                               stderr=output_write, pass_fds=inherited)
    for fd in inherited + [output_write]:
        os.close(fd)
    guard = _guard([spec for _, spec in pending])
    jobs = [{"id": key, **spec} for key, spec in pending]
    for rank, (_, write_end) in enumerate(spec_pipes):
        with os.fdopen(write_end, "wb") as out:
            try:
                out.write(json.dumps({"key": keys[rank].hex(), "guard": guard, "jobs": jobs}).encode())
            except BrokenPipeError:
                pass
    started, ended = {}, {}
    tail = collections.deque(maxlen=OUTPUT_TAIL)
    stopped = _read(process, keys, result_pipes, output_read, tail, started, ended, job_timeout, start_timeout)
    answers = {key: [outcomes[r] for r in range(world_size)] for key, outcomes in ended.items()
               if len(outcomes) == world_size}
    partial = {key: [ended.get(key, {}).get(r) for r in range(world_size)] for key in started}
    return answers, partial, "".join(tail).strip()[-OUTPUT_TAIL:], stopped


def _read(process, keys, result_pipes, output_read, tail, started, ended, job_timeout, start_timeout):
    """Collect the ranks' signed events until mpiexec exits; kill it when no event arrives in time. Returns
    whether it was killed."""
    streams = {read_end: rank for rank, (read_end, _) in enumerate(result_pipes)}
    streams[output_read] = None
    partial = dict.fromkeys(streams, b"")
    last = time.monotonic()
    done = set()
    stopped = False
    try:
        while streams:
            now = time.monotonic()
            limit = last + (job_timeout if started else start_timeout)
            if len(done) == len(keys):
                limit = min(limit, last + 5.0)  # every rank has reported: only MPI's shutdown is left
            if now >= limit:
                stopped = len(done) < len(keys)
                process.kill()
                break
            exited = process.poll() is not None
            ready = select.select(list(streams), [], [], 0 if exited else min(limit - now, 0.5))[0]
            if exited and not ready:
                break
            for fd in ready:
                data = os.read(fd, 1 << 16)
                if not data:
                    del streams[fd]
                    os.close(fd)
                    continue
                if streams[fd] is None:
                    tail.extend(data.decode(errors="replace"))
                    continue
                rank = streams[fd]
                *lines, partial[fd] = (partial[fd] + data).split(b"\n")
                for line in lines:
                    record = channel.decode(keys[rank], line)
                    if record is None or record.get("rank") != rank:
                        continue  # not signed by this rank's runner: ignored
                    last = time.monotonic()
                    if record["event"] == "start":
                        started.setdefault(record["job"], set()).add(rank)
                    elif record["event"] == "end":
                        ended.setdefault(record["job"], {})[rank] = record["outcome"]
                    elif record["event"] == "done":
                        done.add(rank)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        for fd in streams:
            os.close(fd)
    return stopped
