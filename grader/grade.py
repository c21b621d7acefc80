"""Run the graded tests for one target and turn per-test outcomes into per-exercise rows.

Nothing here imports student code: the tests run in a subprocess (with a per-test and an overall time
limit), and titles come from reading the chapter files with `ast`."""
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.plugin import RESULTS_ENV

PACKAGE_PARENT = Path(__file__).resolve().parent.parent
STATUS_ORDER = ("passed", "todo", "failed", "error", "skipped")


@dataclass
class Row:
    """One exercise in the report."""
    id: str
    title: str
    status: str
    earned: int
    possible: int
    note: str = ""


@dataclass
class _Test:
    exercise: str
    points: int
    status: str | None = None  # None until a result arrives; a test that never reports counts as an error
    note: str = ""


def _test_files(root, chapter):
    folder = Path(root) / "tests" / "exercises"
    pattern = f"test_ch{chapter:02d}*.py" if chapter is not None else "test_ch*.py"
    return sorted(folder.glob(pattern))


def _chapter_key(exercise_id):
    """'ch01.10' -> (1, 10), so exercises sort by chapter and then by number."""
    return tuple(int(part) for part in re.findall(r"\d+", exercise_id))


def _is_own_stub(exercise_id, record):
    """True when the failure is the exercise's own `NotImplementedError("chNN.k: ...")`."""
    message = record.get("message", "")
    return record.get("exc_type") == "NotImplementedError" and re.match(re.escape(exercise_id) + r"(?!\d)", message)


def _classify(test, record):
    """Set `test`'s status from one phase record of the plugin; the first result that is not a pass wins."""
    if test.status not in (None, "passed"):
        return
    if record["outcome"] == "passed":
        test.status = "passed"
        return
    if record["outcome"] == "skipped":
        test.status, test.note = "skipped", record.get("message", "")
        return
    message = "\n".join((record.get("message") or "").strip().splitlines()[:4])
    note = f"{record.get('exc_type', 'Error')}: {message}".rstrip(": ")
    if _is_own_stub(test.exercise, record):
        test.status, test.note = "todo", ""
    elif record.get("exc_type") == "ExerciseTimeout":
        test.status, test.note = "failed", f"timed out: {message}"
    elif record["when"] == "call":
        test.status, test.note = "failed", note
    else:
        test.status, test.note = "error", note


def run_tests(root, target, chapter=None, per_test_timeout=10.0, timeout=600.0):
    """Run the graded tests in a subprocess; returns ({nodeid: _Test}, collect errors, output tail)."""
    files = _test_files(root, chapter)
    if not files:
        return {}, [], ""
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.jsonl"
        results.touch()
        env = dict(os.environ, **{RESULTS_ENV: str(results), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_PARENT), str(root), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "pytest", *map(str, files), "-p", "grader.plugin", "-p", "no:cacheprovider",
                   "--target", target, "--exercise-timeout", str(per_test_timeout),
                   "--rootdir", str(root), "-o", "addopts=", "-q", "--no-header",
                   "--continue-on-collection-errors"]  # a broken test file costs only its own exercises
        try:
            done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
            output = done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            output = f"the test run was stopped after {timeout:g} s"
        records = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
    tests, errors = {}, []
    for record in records:
        if record["event"] == "test":
            tests[record["nodeid"]] = _Test(record["exercise"], int(record["points"]))
        elif record["event"] == "collect-error":
            errors.append(record)
        elif record["nodeid"] in tests:
            _classify(tests[record["nodeid"]], record)
    for test in tests.values():
        if test.status is None:
            test.status, test.note = "error", "not run (the test run stopped early)"
    return tests, errors, output[-3000:]


def _marked_exercises(path):
    """Statically read a test file: {exercise id: (points, [chNN.<name> used in its tests])}."""
    found = {}
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:  # pytest reports it as a collection error
        return found
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for deco in node.decorator_list:
            if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) and deco.func.attr == "exercise"
                    and deco.args and isinstance(deco.args[0], ast.Constant)):
                points = next((k.value.value for k in deco.keywords
                               if k.arg == "points" and isinstance(k.value, ast.Constant)), 1)
                names = [n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
                         and isinstance(n.value, ast.Name) and re.fullmatch(r"ch\d\d", n.value.id)]
                total, used = found.get(deco.args[0].value, (0, []))
                found[deco.args[0].value] = (total + points, used + names)
    return found


def _definitions(path):
    """Top-level functions and classes of a chapter file: {name: (docstring, source segment)}, {} if unreadable."""
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return {}
    return {node.name: (ast.get_docstring(node) or "", ast.get_source_segment(source, node) or "")
            for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))}


def titles(root, target, exercise_names):
    """{exercise id: "name: first docstring line"}, read (not imported) from the target file, else the others.

    The object is the one whose stub raises the exercise's NotImplementedError, else the first
    `chNN.<name>` its tests use."""
    found = {}
    for exercise_id, names in exercise_names.items():
        chapter = exercise_id.split(".")[0]
        sources = []
        for folder in (target, "exercises", "solutions"):
            sources += sorted((Path(root) / folder).glob(f"{chapter}_*.py"))
        definitions = [_definitions(path) for path in sources]
        stub = [name for defs in definitions for name, (_, code) in defs.items()
                if re.search(r"NotImplementedError\(\s*[\"']" + re.escape(exercise_id) + r"(?!\d)", code)]
        for name in stub[:1] + names:
            doc = next((defs[name][0] for defs in definitions if defs.get(name, ("", ""))[0]), "")
            if doc:
                first = re.sub(r"^\s*" + re.escape(exercise_id) + r"\s*[:.-]?\s*", "", doc.strip().splitlines()[0])
                found[exercise_id] = f"{name}: {first}"
                break
    return found


def grade(root, target="exercises", chapter=None, per_test_timeout=10.0, timeout=600.0):
    """Grade one target; returns (rows sorted by exercise id, problems worth showing, output tail)."""
    root = Path(root).resolve()
    tests, errors, output = run_tests(root, target, chapter, per_test_timeout, timeout)
    static = {}
    for path in _test_files(root, chapter):
        for exercise_id, (points, names) in _marked_exercises(path).items():
            total, used = static.get(exercise_id, (0, []))
            static[exercise_id] = (total + points, used + names)
    by_exercise = {}
    for test in tests.values():
        by_exercise.setdefault(test.exercise, []).append(test)
    for exercise_id, (points, _) in static.items():  # tests that were never collected still count
        if exercise_id not in by_exercise:
            by_exercise[exercise_id] = [_Test(exercise_id, points, "error", "its tests were not collected")]
    names = {exercise_id: static.get(exercise_id, (0, []))[1] for exercise_id in by_exercise}
    title_of = titles(root, target, names)
    rows = []
    for exercise_id in sorted(by_exercise, key=_chapter_key):
        group = by_exercise[exercise_id]
        graded = [test for test in group if test.status != "skipped"]
        statuses = {test.status for test in graded}
        if not graded:
            status = "skipped"
        elif "error" in statuses:
            status = "error"
        elif statuses == {"passed"}:
            status = "passed"
        elif statuses <= {"todo", "passed"}:
            status = "todo"
        else:
            status = "failed"
        possible = sum(test.points for test in graded)
        note = next((test.note for test in group if test.status == status and test.note), "")
        rows.append(Row(exercise_id, title_of.get(exercise_id, exercise_id), status,
                        possible if status == "passed" else 0, possible, note))
    problems = [f"{error['nodeid']}: could not be collected\n{error['message']}" for error in errors]
    return rows, problems, output
