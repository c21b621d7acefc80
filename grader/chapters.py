"""The pytest side of the graded tests: the `--target` option, the `exercise` marker, the chapter fixtures
`ch00` ... `ch19`, and the guard that keeps the exercises away from the reference solutions.

tests/exercises/conftest.py loads it for direct runs (`pytest tests/exercises --target solutions`); the
grader's worker loads it with `-p grader.chapters` (for hidden tests outside tests/ too).

- A fixture `chNN` imports `<target>/chNN_*.py` by path, once per session; a file that cannot be
  imported makes every test of that chapter fail with a ChapterImportError naming the file.
- When the target is the student's exercises, importing `solutions` or opening a file under solutions/
  is refused (an audit hook, which cannot be removed once installed) and recorded in VIOLATIONS."""
import importlib.util
import os
import re
import sys

import pytest

TARGETS = ("exercises", "solutions")
CHAPTER_FIXTURE = re.compile(r"ch(\d\d)")
VIOLATIONS = {}  # chapter fixture name ("ch01") -> what it did, e.g. "imports solutions.ch01_custom_modules"
_current = {"chapter": None}  # the chapter being imported or tested, to blame a violation on


class ChapterImportError(Exception):
    """The target chapter file could not be loaded."""


def pytest_addoption(parser):
    group = parser.getgroup("exercises")
    group.addoption("--target", choices=TARGETS, default="exercises",
                    help="which chapter files the chNN fixtures load (default: exercises)")


def pytest_configure(config):
    config.addinivalue_line("markers", "exercise(id, points=1): the graded exercise (e.g. 'ch01.2') this test checks")
    config.addinivalue_line("markers", "time_limit(seconds): this graded test may run longer than the grader's "
                                       "--test-timeout (it starts processes, see grader.multirank)")
    if config.getoption("target") == "exercises":
        guard_solutions(config.rootpath / "solutions")


def chapters_of(item):
    """The chapter fixtures ("ch01", ...) a test uses."""
    return [name for name in item.fixturenames if CHAPTER_FIXTURE.fullmatch(name)]


def pytest_runtest_setup(item):
    _current["chapter"] = next(iter(chapters_of(item)), None)


def guard_solutions(folder):
    """Refuse, for the rest of this process, imports of `solutions` and opening files under `folder`."""
    folder = os.path.abspath(folder)

    def audit(event, args):
        if event == "import" and args and isinstance(args[0], str) and args[0].split(".")[0] == "solutions":
            _record(f"imports {args[0]}")
            raise ImportError("the exercises may not import the reference solutions")
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.path.abspath(os.fsdecode(args[0]))
            if path == folder or path.startswith(folder + os.sep):
                _record(f"opens {os.path.relpath(path, os.path.dirname(folder))}")
                raise PermissionError("the exercises may not read the reference solutions")

    sys.addaudithook(audit)


def _record(what):
    VIOLATIONS.setdefault(_current["chapter"] or "unknown", what)


def load_chapter(root, chapter, target):
    """Import `<root>/<target>/chNN_*.py` by path; any failure becomes a ChapterImportError naming the file."""
    matches = sorted((root / target).glob(f"ch{chapter:02d}_*.py"))
    if len(matches) != 1:
        raise ChapterImportError(f"expected one file {target}/ch{chapter:02d}_*.py, found {len(matches)}")
    path = matches[0]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    _current["chapter"] = f"ch{chapter:02d}"
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # student code may raise anything, SystemExit included
        del sys.modules[path.stem]
        raise ChapterImportError(f"cannot import {target}/{path.name}: {type(exc).__name__}: {exc}") from exc
    return module


def _chapter_fixture(chapter):
    @pytest.fixture(scope="session", name=f"ch{chapter:02d}")
    def fixture(request):
        return load_chapter(request.config.rootpath, chapter, request.config.getoption("target"))

    fixture.__doc__ = f"The loaded chapter {chapter:02d} module (exercises/ or solutions/, per --target)."
    return fixture


for _n in range(20):
    globals()[f"ch{_n:02d}"] = _chapter_fixture(_n)
