"""Graded exercise tests (run them with `python -m grader`, or `pytest tests/exercises`).

- `--target exercises|solutions` picks the module the fixtures load (default: the student's exercises).
- Fixtures `ch00` ... `ch19` load `exercises/chNN_*.py` (or `solutions/chNN_*.py`) by path, once per
  session; a file that cannot be imported makes every test of that chapter error with a clear message.
- `@pytest.mark.exercise("chNN.k", points=P)` names the exercise a test grades.
- `--exercise-timeout` bounds each test (and each chapter import), so an infinite loop in student code
  fails only its own test.
"""
import importlib.util
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class ExerciseTimeout(Exception):
    """Raised inside a test that runs past the time limit."""


class ChapterImportError(Exception):
    """The target chapter file could not be loaded."""


def pytest_addoption(parser):
    group = parser.getgroup("exercises")
    group.addoption("--target", choices=("exercises", "solutions"), default="exercises",
                    help="which chapter files the chNN fixtures load (default: exercises)")
    group.addoption("--exercise-timeout", type=float, default=10.0, metavar="SECONDS",
                    help="time limit per graded test, 0 for none (default: 10)")


def pytest_configure(config):
    config.addinivalue_line("markers", "exercise(id, points=1): the graded exercise (e.g. 'ch01.2') this test checks")


def load_chapter(chapter, target):
    """Import `<target>/chNN_*.py` by path; any failure becomes a ChapterImportError naming the file."""
    matches = sorted((ROOT / target).glob(f"ch{chapter:02d}_*.py"))
    if len(matches) != 1:
        raise ChapterImportError(f"expected one file {target}/ch{chapter:02d}_*.py, found {len(matches)}")
    path = matches[0]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    try:
        spec.loader.exec_module(module)
    except ExerciseTimeout:
        raise
    except BaseException as exc:  # student code may raise anything, SystemExit included
        del sys.modules[path.stem]
        raise ChapterImportError(f"cannot import {target}/{path.name}: {type(exc).__name__}: {exc}") from exc
    return module


def _chapter_fixture(chapter):
    @pytest.fixture(scope="session", name=f"ch{chapter:02d}")
    def fixture(request):
        return load_chapter(chapter, request.config.getoption("target"))

    fixture.__doc__ = f"The loaded chapter {chapter:02d} module (exercises/ or solutions/, per --target)."
    return fixture


for _n in range(20):
    globals()[f"ch{_n:02d}"] = _chapter_fixture(_n)


@contextmanager
def _time_limit(seconds):
    """Raise ExerciseTimeout in the running code after `seconds` (main thread on POSIX only)."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise ExerciseTimeout(f"took longer than {seconds:g} s (an infinite loop?)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    with _time_limit(item.config.getoption("exercise_timeout")):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with _time_limit(item.config.getoption("exercise_timeout")):
        return (yield)
