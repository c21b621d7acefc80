"""Running real multi-process jobs from tests: `mpiexec -n N python tests/mpi_jobs/<job>.py` in its own
process group, killed as a whole when it runs past its limit (a hang fails one test, never the run).

Each rank of a job writes rank<r>.json into $MINITORCH_JOB_RESULTS: {check name: "ok" or the error}.
Without mpi4py and mpich the tests skip with the reason; with MINITORCH_REQUIRE_MPI=1 (CI) they fail."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

JOBS = Path(__file__).parent / "mpi_jobs"


def mpiexec():
    """The path of mpiexec, or skip (fail under MINITORCH_REQUIRE_MPI=1) when MPI is not installed."""
    try:
        import mpi4py  # noqa: F401
        from minitorch.distributed.run import find_mpiexec
        return find_mpiexec()
    except (ImportError, RuntimeError) as exc:
        if os.environ.get("MINITORCH_REQUIRE_MPI") == "1":
            pytest.fail(f"MPI is required here (MINITORCH_REQUIRE_MPI=1): {exc}; pip install '.[distributed]'")
        pytest.skip(f"MPI is not installed ({exc}): pip install '.[distributed]'")


def run(command, limit, env=None):
    """Run `command` in a new process group; (exit status, stdout, stderr, seconds). Past `limit` seconds
    the whole group is killed and the test fails with what the job printed."""
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=Path(__file__).parent.parent,
                            env=None if env is None else {**os.environ, **env})
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{' '.join(map(str, command))} ran past {limit} s and was killed\n{out}\n{err}")
    return proc.returncode, out, err, time.monotonic() - start


def run_job(job, n, *args, limit=240, env=None):
    """Run tests/mpi_jobs/<job>.py on `n` ranks; (exit status, stdout, stderr, seconds)."""
    command = [mpiexec(), "-n", str(n), sys.executable, str(JOBS / f"{job}.py"), *map(str, args)]
    return run(command, limit, env)


def results(job, n, *args):
    """{rank: {check: "ok" or error}} from a job whose ranks all report."""
    with tempfile.TemporaryDirectory() as folder:
        status, out, err, _ = run_job(job, n, *args, env={"MINITORCH_JOB_RESULTS": folder})
        found = {int(f.stem[4:]): json.loads(f.read_text()) for f in Path(folder).glob("rank*.json")}
    assert status == 0 and len(found) == n, f"job {job} on {n} ranks failed (exit {status})\n{out}\n{err}"
    return found
