"""The grader's worker plugin (`-p grader.plugin`, next to `-p grader.chapters`).

`--grader-channel IN,OUT` names two inherited pipe ends. At start-up, before any student code is
imported, it reads from IN the run's signing key and the tests to leave out (finished, or stopped in an
earlier worker). It then reports through OUT, one signed line per event (see grader.channel):
"collected" per graded test, "start" / "phase" / "result" / "finish" as each test runs, "import" around
each chapter import, "violation" when a chapter used the solutions, and "done" at the end. The grader
reads only this pipe, so a test that never reports (a hang, a crash) is noticed, not lost."""
import json
import os
from pathlib import Path

import pytest

from grader import channel, chapters

_state = {"key": None, "out": None, "reported": set()}


def pytest_addoption(parser):
    parser.getgroup("exercises").addoption("--grader-channel", metavar="IN,OUT", help="(used by the grader)")


def _emit(**record):
    if _state["out"] is None:
        return
    data = channel.encode(_state["key"], record)
    try:
        while data:
            data = data[os.write(_state["out"], data):]
    except OSError:  # the pipe was closed under us: the grader sees these tests as never reported
        _state["out"] = None


def _first_line(text):
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    spec = config.getoption("grader_channel")
    if not spec:
        return
    read_fd, write_fd = (int(fd) for fd in spec.split(","))
    with os.fdopen(read_fd, "rb") as source:
        settings = json.loads(source.read())
    _state.update(key=bytes.fromhex(settings["key"]), out=write_fd, skip=set(settings["skip"]))


def pytest_collection_modifyitems(session, config, items):
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("exercise")
        graded = marker is not None and marker.args and item.nodeid not in _state.get("skip", ())
        (keep if graded else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    for item in keep:
        marker = item.get_closest_marker("exercise")
        limit = item.get_closest_marker("time_limit")
        _emit(event="collected", nodeid=item.nodeid, exercise=str(marker.args[0]),
              points=marker.kwargs.get("points", 1), doc=_first_line(getattr(item.obj, "__doc__", "")),
              chapters=chapters.chapters_of(item), file=str(item.path),
              limit=float(limit.args[0]) if limit is not None and limit.args else None)


def pytest_collectreport(report):
    if report.failed:
        _emit(event="collect-error", nodeid=report.nodeid, message=str(report.longrepr)[-1500:])


def pytest_runtest_logstart(nodeid, location):
    _emit(event="start", nodeid=nodeid)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item):
    _emit(event="phase", nodeid=item.nodeid, when="call")
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    is_chapter = chapters.CHAPTER_FIXTURE.fullmatch(fixturedef.argname) is not None
    if is_chapter:
        _emit(event="import", chapter=fixturedef.argname, when="start")
    try:
        return (yield)
    finally:
        if is_chapter:
            _emit(event="import", chapter=fixturedef.argname, when="end")
            _report_violations()


def _report_violations():
    for chapter, what in list(chapters.VIOLATIONS.items()):
        if chapter not in _state["reported"]:
            _state["reported"].add(chapter)
            _emit(event="violation", chapter=chapter, what=what)


def _safe_str(value):
    try:
        return str(value)
    except Exception as exc:  # a student exception whose __str__ fails
        return f"<unprintable: {type(exc).__name__}>"


def _student_frame(excinfo, config):
    """'exercises/ch01_x.py line 12' for the innermost traceback entry in the target's folder, else ''."""
    folder = Path(config.rootpath, config.getoption("target")).resolve()
    for entry in reversed(excinfo.traceback):
        path = Path(str(entry.path)).resolve()
        if path.parent == folder:
            return f"{folder.name}/{path.name} line {entry.lineno + 1}"
    return ""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.passed:
        _emit(event="result", nodeid=item.nodeid, when="call", outcome="passed")
    elif report.failed or report.skipped:
        record = {"event": "result", "nodeid": item.nodeid, "when": report.when, "outcome": report.outcome}
        if call.excinfo is not None:
            record.update(exc_type=call.excinfo.type.__name__, message=_safe_str(call.excinfo.value)[:1500],
                          where=_student_frame(call.excinfo, item.config))
        _emit(**record)
    return report


def pytest_runtest_logfinish(nodeid, location):
    _report_violations()
    _emit(event="finish", nodeid=nodeid)


def pytest_sessionfinish(session, exitstatus):
    _report_violations()
    _emit(event="done")
