"""pytest plugin loaded by the grader (`-p grader.plugin`): appends one JSON line per collected test
and per test phase that did not pass to the file named by $GRADER_RESULTS, flushed as it goes, so a run
killed half-way still leaves what it saw."""
import json
import os

import pytest

RESULTS_ENV = "GRADER_RESULTS"


def _write(record):
    with open(os.environ[RESULTS_ENV], "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def pytest_itemcollected(item):
    marker = item.get_closest_marker("exercise")
    if marker is not None and marker.args:
        _write({"event": "test", "nodeid": item.nodeid, "exercise": str(marker.args[0]),
                "points": marker.kwargs.get("points", 1)})


def pytest_collectreport(report):
    if report.failed:
        _write({"event": "collect-error", "nodeid": report.nodeid, "message": str(report.longrepr)[-500:]})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.passed:
        _write({"event": "result", "nodeid": item.nodeid, "when": "call", "outcome": "passed"})
    elif report.failed or report.skipped:
        record = {"event": "result", "nodeid": item.nodeid, "when": report.when, "outcome": report.outcome}
        if call.excinfo is not None:
            record["exc_type"] = call.excinfo.type.__name__
            record["message"] = str(call.excinfo.value)[:500]
        _write(record)
    return report
