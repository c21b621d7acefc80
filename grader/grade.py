"""Run the graded tests for one target and turn per-test outcomes into per-exercise rows.

Nothing here imports student code. The tests run in a worker process (pytest with grader.chapters and
grader.plugin) that reports each event through a signed pipe (grader.channel). A test that runs past the
time limit (--test-timeout, or its own longer `time_limit` marker) is stopped by killing the worker's whole
process group, which no `except` clause can catch; the test is marked as stopped and a fresh worker runs the
tests that are left. Titles and the points of
tests that never ran come from reading the files with `ast`."""
import ast
import collections
import json
import os
import re
import secrets
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader import channel

PACKAGE_PARENT = Path(__file__).resolve().parent.parent
OUTPUT_TAIL = 4000  # characters of the workers' own output kept for --verbose and problems


@dataclass
class Check:
    """One graded test: its plain-words name, points, and outcome."""
    nodeid: str
    exercise: str
    points: int
    name: str
    chapters: list = field(default_factory=list)
    extra: bool = False  # from --extra-tests
    limit: float | None = None  # its own time limit (a time_limit marker), when longer than --test-timeout
    status: str | None = None  # passed, failed, todo, error, skipped; None until it reports
    message: str = ""


@dataclass
class Row:
    """One exercise in the report."""
    id: str
    title: str
    status: str  # passed, partial, failed, todo, error, skipped
    earned: int
    possible: int
    checks: list = field(default_factory=list)


@dataclass
class Report:
    """Everything one grading run found."""
    target: str
    rows: list
    problems: list
    output: str


def _test_files(root, chapter, extra_tests=None):
    pattern = f"test_ch{chapter:02d}*.py" if chapter is not None else "test_ch*.py"
    files = sorted((Path(root) / "tests" / "exercises").glob(pattern))
    if extra_tests is not None:
        files += sorted(Path(extra_tests).resolve().glob(pattern))
    return files


def _chapter_key(exercise_id):
    """'ch01.10' -> (1, 10), so exercises sort by chapter and then by number."""
    return tuple(int(part) for part in re.findall(r"\d+", exercise_id))


def _words(test_name):
    """'test_momentum_buffer' -> 'momentum buffer', for tests without a docstring."""
    return re.sub(r"^test_", "", test_name.split("::")[-1]).replace("_", " ")


def _classify(check, record):
    """Set `check`'s outcome from one phase record of the worker; the first result that is not a pass wins."""
    if check.status not in (None, "passed"):
        return
    if record["outcome"] == "passed":
        check.status = "passed"
        return
    if record["outcome"] == "skipped":
        check.status, check.message = "skipped", record.get("message", "")
        return
    exc_type, message = record.get("exc_type", "Error"), (record.get("message") or "").strip()
    if exc_type == "NotImplementedError" and re.match(re.escape(check.exercise) + r"(?!\d)", message):
        check.status, check.message = "todo", ""
    elif exc_type == "ChapterImportError":
        check.status, check.message = "error", message
    else:
        where = f" (at {record['where']})" if record.get("where") else ""
        text = message if exc_type in ("CheckFailed", "AssertionError") and message else f"{exc_type}: {message}"
        check.status = "failed" if record["when"] == "call" else "error"
        check.message = "\n".join(text.splitlines()[:6]).rstrip(": ") + where


class _Run:
    """What the workers of one grading run reported, across restarts."""

    def __init__(self, extra_folder):
        self.checks = {}
        self.imports = {}  # chapter -> "start" / "end"
        self.violations = {}
        self.collect_errors = []
        self.forged = 0
        self.current = None  # nodeid of the test in progress
        self.done = False
        self.extra_folder = extra_folder

    def handle(self, record):
        event = record.get("event")
        if event == "collected" and record["nodeid"] not in self.checks:
            extra = self.extra_folder is not None and Path(record["file"]).resolve().is_relative_to(self.extra_folder)
            self.checks[record["nodeid"]] = Check(record["nodeid"], record["exercise"], int(record["points"]),
                                                  record["doc"] or _words(record["nodeid"]), record["chapters"], extra,
                                                  limit=record.get("limit"))
        elif event == "collect-error":
            self.collect_errors.append(record)
        elif event == "start":
            self.current = record["nodeid"]
        elif event == "finish":
            self.current = None
        elif event == "result" and record["nodeid"] in self.checks:
            _classify(self.checks[record["nodeid"]], record)
        elif event == "import":
            self.imports[record["chapter"]] = record["when"]
        elif event == "violation":
            self.violations.setdefault(record["chapter"], record["what"])
        elif event == "done":
            self.done = True

    def pending(self):
        return [c for c in self.checks.values() if c.status is None]

    def time_limit(self, nodeid, per_test_timeout):
        """The seconds test `nodeid` may run: --test-timeout, or its own longer limit."""
        check = self.checks.get(nodeid)
        return max(per_test_timeout, check.limit or 0.0) if check is not None else per_test_timeout


def _kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _run_worker(command, root, env, key, skip, run, per_test_timeout, deadline, tail):
    """One pytest worker; returns "done", "stopped" (a test ran past its limit), "deadline" or "exited"."""
    config_read, config_write = os.pipe()
    results_read, results_write = os.pipe()
    output_read, output_write = os.pipe()
    process = subprocess.Popen([*command, "--grader-channel", f"{config_read},{results_write}"], cwd=root, env=env,
                               stdin=subprocess.DEVNULL, stdout=output_write, stderr=output_write,
                               pass_fds=(config_read, results_write), start_new_session=True)
    for fd in (config_read, results_write, output_write):
        os.close(fd)
    try:
        with os.fdopen(config_write, "wb") as config:
            config.write(json.dumps({"key": key.hex(), "skip": sorted(skip)}).encode())
    except BrokenPipeError:
        pass
    run.current, run.done = None, False
    pending, started, outcome = b"", None, None
    streams = {results_read, output_read}
    last = None
    while streams:
        now = time.monotonic()
        if run.current != last:
            last, started = run.current, now
        limit = deadline if run.current is None else min(deadline, started + run.time_limit(run.current,
                                                                                           per_test_timeout))
        if now >= limit:
            outcome = "deadline" if limit == deadline else "stopped"
            _kill_group(process)
            break
        if process.poll() is not None:
            streams = {fd for fd in streams if select.select([fd], [], [], 0)[0]}  # drain what is left
        ready = select.select(list(streams), [], [], min(limit - now, 0.5))[0]
        for fd in ready:
            data = os.read(fd, 1 << 16)
            if not data:
                streams.discard(fd)
            elif fd == output_read:
                tail.extend(data.decode(errors="replace"))
            else:
                *lines, pending = (pending + data).split(b"\n")
                for line in lines:
                    record = channel.decode(key, line)
                    if record is None:
                        run.forged += 1
                    else:
                        run.handle(record)
    process.wait()
    _kill_group(process)  # anything the student code started in the background
    os.close(results_read)
    os.close(output_read)
    return outcome or ("done" if run.done else "exited")


def run_tests(root, target, files, per_test_timeout=10.0, timeout=900.0, extra_folder=None):
    """Run the graded tests in `files`, restarting the worker after a test that hangs or kills it;
    returns the _Run and the tail of the workers' output."""
    key = secrets.token_bytes(32)
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_PARENT), str(root), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "pytest", *map(str, files), "-p", "grader.chapters", "-p", "grader.plugin",
               "-p", "no:cacheprovider", "--noconftest", "--import-mode=importlib", "--target", target,
               "--rootdir", str(root), "-o", "addopts=", "-q", "--no-header", "--continue-on-collection-errors"]
    run = _Run(extra_folder)
    tail = collections.deque(maxlen=OUTPUT_TAIL)
    deadline = time.monotonic() + timeout
    skip = set()
    while True:
        outcome = _run_worker(command, root, env, key, skip, run, per_test_timeout, deadline, tail)
        stuck = run.checks.get(run.current)
        if outcome == "done" or stuck is None or outcome == "deadline":
            break
        seconds = run.time_limit(stuck.nodeid, per_test_timeout)
        chapter = next(iter(stuck.chapters), None)
        if chapter and run.imports.get(chapter) == "start":  # the chapter's import itself hung or crashed
            why = (f"importing {target}/{chapter}_*.py did not finish within {seconds:g} s"
                   if outcome == "stopped" else f"the test process exited while importing {target}/{chapter}_*.py")
            for check in run.pending():
                if chapter in check.chapters:
                    check.status, check.message = "error", why
        elif outcome == "stopped":
            stuck.status = "failed"
            stuck.message = f"stopped after {seconds:g} s: it did not finish (an infinite loop?)"
        else:
            stuck.status, stuck.message = "failed", "the test process exited during this check (os._exit, a crash?)"
        if not run.pending():
            break
        skip = {nodeid for nodeid, check in run.checks.items() if check.status is not None}
    for check in run.pending():
        check.status = "error"
        check.message = (f"not run: grading stopped after {timeout:g} s" if outcome == "deadline"
                         else "not run: the test process stopped before this check (see the output with -v)")
    return run, "".join(tail)


def _marked_exercises(path):
    """Statically read a test file: {exercise id: (points, [chNN.<name> used in its tests])}."""
    found = {}
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):  # pytest reports it as a collection error
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
                head = re.match(r"\s*" + re.escape(exercise_id) + r"\s*(\([^)]*\))?\s*[:.-]?\s*", doc)
                kind = f" {head.group(1)}" if head and head.group(1) else ""
                found[exercise_id] = f"{name}{kind}: {doc[head.end() if head else 0:].strip().splitlines()[0]}"
                break
    return found


_SOLUTIONS_TEXT = re.compile(r"(^|[/\\.])solutions($|[/\\.])")


def solutions_uses(path):
    """Where a chapter file refers to the reference solutions (imports, or a call given a 'solutions'
    path or module name), as 'line N: ...' notes; [] when none or when the file does not parse."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    notes = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        elif isinstance(node, ast.Call):
            names = [arg.value for part in (*node.args, *(k.value for k in node.keywords)) for arg in ast.walk(part)
                     if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
            names = [name for name in names if _SOLUTIONS_TEXT.search(name)]
            if names:
                notes.append(f"line {node.lineno}: uses {names[0]!r}")
            continue
        else:
            continue
        notes += [f"line {node.lineno}: imports {name}" for name in names if name.split(".")[0] == "solutions"]
    return notes


def _solutions_violations(root, target, run, chapters):
    """{chapter: reason} for chapters whose student file uses the solutions (statically or at run time)."""
    if target != "exercises":
        return {}
    found = {}
    for chapter in chapters:
        for path in sorted((Path(root) / target).glob(f"{chapter}_*.py")):
            notes = solutions_uses(path)
            if notes:
                found[chapter] = f"{target}/{path.name} {notes[0].replace(': ', ' ', 1)}"
            elif chapter in run.violations:
                found[chapter] = f"{target}/{path.name} {run.violations[chapter]} when it runs"
    return found


def _row_status(graded):
    passed = [c for c in graded if c.status == "passed"]
    if len(passed) == len(graded):
        return "passed"
    if passed:
        return "partial"
    statuses = {c.status for c in graded}
    if statuses == {"todo"}:
        return "todo"
    return "error" if statuses <= {"todo", "error"} else "failed"


def grade(root, target="exercises", chapter=None, per_test_timeout=10.0, timeout=900.0, extra_tests=None):
    """Grade one target; returns a Report (rows sorted by exercise id)."""
    root = Path(root).resolve()
    extra_folder = Path(extra_tests).resolve() if extra_tests is not None else None
    files = _test_files(root, chapter, extra_folder)
    if not files:
        return Report(target, [], [], "")
    run, output = run_tests(root, target, files, per_test_timeout, timeout, extra_folder)
    checks = list(run.checks.values())
    static = {}
    for path in files:
        for exercise_id, (points, names) in _marked_exercises(path).items():
            total, used = static.get(exercise_id, (0, []))
            static[exercise_id] = (total + points, used + names)
    by_exercise = {}
    for check in checks:
        by_exercise.setdefault(check.exercise, []).append(check)
    for exercise_id, (points, _) in static.items():  # tests that were never collected still count
        if exercise_id not in by_exercise:
            by_exercise[exercise_id] = [Check("", exercise_id, points, "its tests", status="error",
                                              message="its tests could not be collected")]
    used = {c for check in checks for c in check.chapters}
    for chapter_name, why in _solutions_violations(root, target, run, used).items():
        for check in checks:
            if chapter_name in check.chapters:
                check.status = "error"
                check.message = (f"{why}: the reference solutions may not be used, so chapter {chapter_name[2:]} "
                                 "scores 0")
    title_of = titles(root, target, {e: static.get(e, (0, []))[1] for e in by_exercise})
    rows = []
    for exercise_id in sorted(by_exercise, key=_chapter_key):
        group = by_exercise[exercise_id]
        graded = [check for check in group if check.status != "skipped"]
        status = _row_status(graded) if graded else "skipped"
        rows.append(Row(exercise_id, title_of.get(exercise_id, exercise_id), status,
                        sum(c.points for c in graded if c.status == "passed"), sum(c.points for c in graded), group))
    problems = [f"{error['nodeid']}: could not be collected\n{error['message']}" for error in run.collect_errors]
    if run.forged:
        problems.append(f"{run.forged} line(s) on the results pipe were not signed by the grader and were ignored")
    return Report(target, rows, problems, output)
