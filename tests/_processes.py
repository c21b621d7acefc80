"""Running code in a separate process group under a timeout: a hang or a stray child fails one test (the whole
group is killed), it never stalls the suite."""
import os
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(code, **kwargs):
    """A Python process running `code` from the repository root, leading its own process group."""
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def run(code, timeout=60):
    """(returncode, stdout, stderr) of `code`; on timeout the process group is killed and AssertionError raised."""
    process = start(code)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise AssertionError(f"timed out after {timeout} s (process group killed):\n{code}") from None
    finally:
        kill_group(process)  # workers it left behind
    return process.returncode, out, err


def run_together(codes, timeout=60):
    """{name: (returncode, stdout, stderr)} of several programs run at once, each under the same timeout."""
    processes = {name: start(code) for name, code in codes.items()}
    results = {}
    try:
        for name, process in processes.items():
            try:
                out, err = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"{name} timed out after {timeout} s (process group killed)") from None
            results[name] = (process.returncode, out, err)
    finally:
        for process in processes.values():
            kill_group(process)
    return results
