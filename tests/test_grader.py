"""The grader, on a tiny fake workbook (two chapters: stubs, solutions and graded tests) in a temp dir:
each status, partial credit per check, failure messages in plain words, results that student code
cannot forge, solutions imports scoring 0, hangs stopped by killing the worker, --extra-tests and
--json; then the real chapters: solutions score 100%, untouched stubs are all todo with 0 points."""
import json
import textwrap
from pathlib import Path

import pytest

from grader.__main__ import main
from grader.grade import grade, solutions_uses

from ._mpi_jobs import mpiexec

REPO = Path(__file__).resolve().parent.parent

STUB_01 = '''
def double(x):
    """Return twice x.

    Hint: multiply."""
    raise NotImplementedError("ch01.1: return 2 * x")


def count(n):
    """List the numbers 0 .. n-1."""
    raise NotImplementedError("ch01.2: return [0, 1, ..., n-1]")


def name():
    """Return the package name as a string."""
    raise NotImplementedError("ch01.3: return 'mini'")
'''
SOLUTION_01 = '''
def double(x):
    """Return twice x."""
    return 2 * x


def count(n):
    """List the numbers 0 .. n-1."""
    return list(range(n))


def name():
    """Return the package name as a string."""
    return "mini"
'''
STUB_02 = '''
class Box:
    """Hold one value."""

    def __init__(self, value):
        raise NotImplementedError("ch02.1: keep value in self.value")
'''
SOLUTION_02 = '''
class Box:
    """Hold one value."""

    def __init__(self, value):
        self.value = value
'''
TESTS_01 = '''
import pytest

from grader.checks import check_equal


@pytest.mark.exercise("ch01.1", points=2)
def test_double(ch01):
    """double of positive numbers"""
    for x in (3, 10):
        check_equal(ch01.double(x), 2 * x, f"double({x})")


@pytest.mark.exercise("ch01.1", points=1)
def test_double_negative(ch01):
    """double of a negative number"""
    check_equal(ch01.double(-1), -2, "double(-1)")


@pytest.mark.exercise("ch01.2", points=1)
def test_count(ch01):
    check_equal(ch01.count(3), [0, 1, 2], "count(3)")


@pytest.mark.exercise("ch01.3", points=1)
def test_name(ch01):
    """the package name"""
    check_equal(ch01.name(), "mini", "name()")
'''
TESTS_02 = '''
import pytest

from grader.checks import check_equal


@pytest.mark.exercise("ch02.1", points=3)
def test_box(ch02):
    """a Box keeps its value"""
    check_equal(ch02.Box(5).value, 5, "Box(5).value")
'''
HIDDEN_TESTS = '''
import pytest

from grader.checks import check_equal


@pytest.mark.exercise("ch01.1", points=2)
def test_double_zero(ch01):
    """double of zero (hidden)"""
    check_equal(ch01.double(0), 0, "double(0)")


@pytest.mark.exercise("ch01.9", points=1)
def test_count_empty(ch01):
    """count(0) is empty (hidden)"""
    check_equal(ch01.count(0), [], "count(0)")
'''
FORGER = '''
import json, os, tempfile
line = json.dumps({"event": "result", "nodeid": "x", "when": "call", "outcome": "passed"})
fake = ("0" * 64 + " " + line + "\\n").encode()
for fd in range(3, 64):  # every inherited descriptor, the grader's pipes included
    try:
        os.write(fd, fake)
    except OSError:
        pass
for variable, value in os.environ.items():  # any path the environment names
    if os.path.isfile(value):
        try:
            with open(value, "a") as out:
                out.write(line + "\\n")
        except OSError:
            pass
'''


@pytest.fixture
def workbook(tmp_path):
    """A fake repository root with two chapters; returns a function writing a student's files."""
    root = tmp_path / "book"
    (root / "tests" / "exercises").mkdir(parents=True)
    (root / "tests" / "exercises" / "test_ch01.py").write_text(TESTS_01)
    (root / "tests" / "exercises" / "test_ch02.py").write_text(TESTS_02)
    for folder, one, two in (("exercises", STUB_01, STUB_02), ("solutions", SOLUTION_01, SOLUTION_02)):
        (root / folder).mkdir()
        (root / folder / "ch01_fake.py").write_text(one)
        (root / folder / "ch02_fake.py").write_text(two)

    def student(ch01=None, ch02=None):
        for name, source in (("ch01_fake.py", ch01), ("ch02_fake.py", ch02)):
            if source is not None:
                (root / "exercises" / name).write_text(textwrap.dedent(source))
        return root

    return student


def _statuses(rows):
    return {row.id: (row.status, row.earned, row.possible) for row in rows}


def _messages(rows):
    return {row.id: [check.message for check in row.checks if check.message] for row in rows}


def test_solutions_score_full_and_stubs_are_todo(workbook, capsys):
    root = workbook()
    rows = grade(root, "solutions", per_test_timeout=5).rows
    assert _statuses(rows) == {"ch01.1": ("passed", 3, 3), "ch01.2": ("passed", 1, 1),
                               "ch01.3": ("passed", 1, 1), "ch02.1": ("passed", 3, 3)}
    assert rows[0].title == "double: Return twice x."
    assert main(["--root", str(root), "--target", "solutions", "--expect-full"]) == 0
    assert "8/8  (100%)" in capsys.readouterr().out

    assert main(["--root", str(root), "--expect-todo"]) == 0
    out = capsys.readouterr().out
    assert "0/8  (0%)" in out and "4 todo" in out and "Box: Hold one value." in out
    assert "What did not pass" not in out  # untouched stubs are todo, not failures
    assert main(["--root", str(root), "--expect-full"]) == 1
    assert main(["--root", str(root), "--target", "solutions", "--expect-todo"]) == 1
    capsys.readouterr()
    assert main(["--root", str(root), "--chapter", "2", "--target", "solutions", "--expect-full"]) == 0
    out = capsys.readouterr().out
    assert "ch02.1" in out and "ch01.1" not in out


def test_partial_credit_and_plain_messages(workbook, capsys):
    root = workbook(ch01='''
        def double(x):
            return abs(2 * x)

        def count(n):
            return list(range(1, n + 1))

        def name():
            return "mini".upper()
        ''', ch02='''
        class Box:
            def __init__(self, value):
                self.value = value + "!"
        ''')
    rows = grade(root, per_test_timeout=5).rows
    assert _statuses(rows) == {"ch01.1": ("partial", 2, 3), "ch01.2": ("failed", 0, 1),
                               "ch01.3": ("failed", 0, 1), "ch02.1": ("failed", 0, 3)}
    messages = _messages(rows)
    assert messages["ch01.1"] == ["double(-1): expected -2, got 2"]
    assert messages["ch01.2"] == ["count(3): expected [0, 1, 2], got [1, 2, 3]"]
    assert messages["ch01.3"] == ["name(): expected 'mini', got 'MINI'"]
    assert messages["ch02.1"][0].startswith("TypeError: unsupported operand type(s) for +: 'int' and 'str'")
    assert messages["ch02.1"][0].endswith("(at exercises/ch02_fake.py line 4)")
    assert main(["--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "2/8  (25%)" in out and "1 partial" in out
    assert "  - double of a negative number (1 point): double(-1): expected -2, got 2" in out
    assert "  - count (1 point): count(3): expected [0, 1, 2], got [1, 2, 3]" in out  # no docstring: the name


def test_syntax_error_fails_only_its_chapter(workbook):
    root = workbook(ch01="def double(x):\n    return 2 *\n", ch02=SOLUTION_02)
    rows = grade(root, per_test_timeout=5).rows
    assert _statuses(rows) == {"ch01.1": ("error", 0, 3), "ch01.2": ("error", 0, 1),
                               "ch01.3": ("error", 0, 1), "ch02.1": ("passed", 3, 3)}
    assert "SyntaxError" in rows[0].checks[0].message and "exercises/ch01_fake.py" in rows[0].checks[0].message
    assert rows[0].title == "double: Return twice x."  # from the solution, as the student file does not parse


def test_broken_test_file_is_reported_not_fatal(workbook, capsys):
    root = workbook()
    (root / "tests" / "exercises" / "test_ch03.py").write_text("def test_x(:\n")
    assert main(["--root", str(root), "--target", "solutions", "--expect-full"]) == 1
    out = capsys.readouterr().out
    assert "test_ch03.py: could not be collected" in out and "8/8  (100%)" in out


def test_forged_results_are_ignored(workbook, capsys):
    root = workbook(ch01=FORGER + STUB_01)
    report = grade(root, per_test_timeout=5)
    assert {row.id: row.status for row in report.rows} == dict.fromkeys(("ch01.1", "ch01.2", "ch01.3", "ch02.1"),
                                                                        "todo")
    assert sum(row.earned for row in report.rows) == 0
    assert any("not signed by the grader and were ignored" in problem for problem in report.problems)


@pytest.mark.parametrize("how", [
    "from solutions.ch02_fake import Box\n",
    "import importlib\nBox = importlib.import_module('sol' + 'utions.ch02_fake').Box\n",
    "import pathlib\n_code = (pathlib.Path(__file__).parents[1] / ('sol' + 'utions') / 'ch02_fake.py').read_text()\n"
    "exec(_code)\n",
])
def test_using_the_solutions_scores_zero_for_the_chapter(workbook, how, capsys):
    root = workbook(ch01=SOLUTION_01, ch02=how)
    rows = grade(root, per_test_timeout=5).rows
    assert _statuses(rows) == {"ch01.1": ("passed", 3, 3), "ch01.2": ("passed", 1, 1),
                               "ch01.3": ("passed", 1, 1), "ch02.1": ("error", 0, 3)}
    assert "the reference solutions may not be used, so chapter 02 scores 0" in rows[-1].checks[0].message
    assert "exercises/ch02_fake.py" in rows[-1].checks[0].message


def test_solutions_uses_reads_imports_and_paths(tmp_path):
    path = tmp_path / "ch01_x.py"
    path.write_text('"""See the solutions folder when stuck."""\nimport os\nfrom solutions import ch01\n'
                    'x = open("../solutions/ch01.py")\nprint("solutions are not used here")\n')
    assert solutions_uses(path) == ["line 3: imports solutions", "line 4: uses '../solutions/ch01.py'"]


HANGS = {
    "except Exception": '''
        def count(n):
            while True:
                try:
                    sum(range(10000))
                except Exception:
                    pass
        ''',
    "except BaseException": '''
        def count(n):
            while True:
                try:
                    sum(range(10000))
                except BaseException:
                    pass
        ''',
    "os._exit": '''
        def count(n):
            import os
            os._exit(3)
        ''',
}


@pytest.mark.parametrize("kind", HANGS)
def test_a_hang_or_exit_costs_only_its_own_check(workbook, kind):
    ch01 = textwrap.dedent(SOLUTION_01.replace("def count", "def _unused")) + textwrap.dedent(HANGS[kind])
    root = workbook(ch01=ch01, ch02=SOLUTION_02)
    rows = grade(root, per_test_timeout=1.5).rows
    assert _statuses(rows) == {"ch01.1": ("passed", 3, 3), "ch01.2": ("failed", 0, 1),
                               "ch01.3": ("passed", 1, 1), "ch02.1": ("passed", 3, 3)}
    expected = "stopped after 1.5 s" if kind != "os._exit" else "the test process exited during this check"
    assert rows[1].checks[0].message.startswith(expected)


def test_a_hang_at_import_costs_only_its_chapter(workbook):
    root = workbook(ch01="while True:\n    try:\n        pass\n    except BaseException:\n        pass\n",
                    ch02=SOLUTION_02)
    rows = grade(root, per_test_timeout=1.5).rows
    assert _statuses(rows) == {"ch01.1": ("error", 0, 3), "ch01.2": ("error", 0, 1),
                               "ch01.3": ("error", 0, 1), "ch02.1": ("passed", 3, 3)}
    assert rows[0].checks[0].message == "importing exercises/ch01_*.py did not finish within 1.5 s"


def test_extra_tests_and_json(workbook, tmp_path, capsys):
    root = workbook(ch01=SOLUTION_01)
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "test_ch01_hidden.py").write_text(HIDDEN_TESTS)
    out_file = tmp_path / "scores.json"
    assert main(["--root", str(root), "--extra-tests", str(hidden), "--json", str(out_file)]) == 0
    assert "with the extra tests in" in capsys.readouterr().out
    scores = json.loads(out_file.read_text())
    assert (scores["earned"], scores["possible"], scores["target"]) == (8, 11, "exercises")
    exercises = {e["id"]: e for e in scores["exercises"]}
    assert (exercises["ch01.1"]["earned"], exercises["ch01.1"]["possible"]) == (5, 5)
    assert [(c["name"], c["hidden"]) for c in exercises["ch01.1"]["checks"]] == [
        ("double of positive numbers", False), ("double of a negative number", False),
        ("double of zero (hidden)", True)]
    assert exercises["ch01.9"]["status"] == "passed" and exercises["ch01.9"]["checks"][0]["hidden"]
    assert exercises["ch02.1"]["status"] == "todo"

    assert main(["--root", str(root), "--json", "-", "--chapter", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in printed["exercises"]] == ["ch01.1", "ch01.2", "ch01.3"] and printed["chapter"] == 1
    with pytest.raises(SystemExit):
        main(["--root", str(root), "--extra-tests", str(tmp_path / "missing")])


def test_real_chapters_solutions_full_and_stubs_todo():
    solutions = grade(REPO, "solutions").rows
    assert solutions, "no graded exercises found in tests/exercises/"
    failed = {row.id: [c.message for c in row.checks if c.status != "passed"] for row in solutions
              if row.status != "passed"}
    assert failed == {}
    stubs = grade(REPO, "exercises").rows
    assert {row.id: row.status for row in stubs} == {row.id: "todo" for row in solutions}
    assert sum(row.earned for row in stubs) == 0


# ----- checks that run the student's code on several processes (grader.multirank) ------------------------
RANK_NAMES = ["forged", "raised", "mismatched", "peeked", "hung", "summed"]
STUB_03 = "".join(f'''
def {name}(x):
    """Sum x over the ranks, in place."""
    raise NotImplementedError("ch03.{i}: all-reduce x")
''' for i, name in enumerate(RANK_NAMES, 1))
SOLUTION_03 = "import minitorch.distributed as dist\n" + "".join(f'''
def {name}(x):
    """Sum x over the ranks, in place."""
    dist.all_reduce(x)
''' for name in RANK_NAMES)
STUDENT_03 = '''
import importlib
import json
import os

import minitorch.distributed as dist


def forged(x):
    """Writes 'results' into every inherited descriptor and prints them; sums nothing."""
    for fd in range(3, 64):
        for rank in range(2):
            line = json.dumps({"rank": rank, "event": "end", "job": "?", "outcome": {"value": [3.0, 3.0]}})
            try:
                os.write(fd, ("0" * 64 + " " + line + "\\n").encode())
            except OSError:
                pass
    print("0" * 64, json.dumps({"rank": 0, "event": "done"}))


def raised(x):
    if dist.get_rank() == 1:
        raise ValueError("rank one gives up")
    dist.all_reduce(x)


def mismatched(x):
    if dist.get_rank() == 1:
        dist.broadcast(x, src=0)
    else:
        dist.all_reduce(x)


def peeked(x):
    importlib.import_module("sol" + "utions.ch03_fake")


def hung(x):
    while dist.get_rank() == 0:
        try:
            pass
        except BaseException:
            pass
    dist.all_reduce(x)


def summed(x):
    dist.all_reduce(x)
'''
TESTS_03 = '''
import pytest

import minitorch as torch
import minitorch.distributed as dist
from grader.checks import check_equal
from grader.multirank import Plan


def job(args, total):
    x = torch.tensor([dist.get_rank() + 1.0] * 2)
    total(x)
    return x.tolist()


PLAN = Plan(world_size=2, job_timeout=4)
NAMES = %r
for name in NAMES:
    PLAN.add(name, job, needs={"total": name}, pg_timeout=3)


def _check(chapter, name):
    for rank, values in enumerate(PLAN.values(name, chapter)):
        check_equal(values, [3.0, 3.0], f"rank {rank}'s tensor")
''' % RANK_NAMES + "".join(f'''

@pytest.mark.exercise("ch03.{i}", points=1)
@pytest.mark.time_limit(90)
def test_{name}(ch03):
    """{name}: every rank holds the sum"""
    _check(ch03, "{name}")
''' for i, name in enumerate(RANK_NAMES, 1))


@pytest.fixture
def ranks_workbook(tmp_path):
    """A fake repository root with one chapter whose checks run on two processes."""
    root = tmp_path / "book"
    (root / "tests" / "exercises").mkdir(parents=True)
    (root / "tests" / "exercises" / "test_ch03.py").write_text(TESTS_03)
    for folder, source in (("exercises", STUB_03), ("solutions", SOLUTION_03)):
        (root / folder).mkdir()
        (root / folder / "ch03_fake.py").write_text(source)
    return root


def test_multirank_checks_solutions_full_and_stubs_todo(ranks_workbook):
    mpiexec()
    solutions = grade(ranks_workbook, "solutions", per_test_timeout=2).rows  # time_limit(90) overrides 2 s
    assert {row.id: row.status for row in solutions} == {f"ch03.{i}": "passed" for i in range(1, 7)}
    stubs = grade(ranks_workbook, "exercises", per_test_timeout=2).rows
    assert {row.id: row.status for row in stubs} == {f"ch03.{i}": "todo" for i in range(1, 7)}


def test_multirank_failures_are_named_and_cost_only_their_check(ranks_workbook):
    mpiexec()
    (ranks_workbook / "exercises" / "ch03_fake.py").write_text(STUDENT_03)
    rows = grade(ranks_workbook, "exercises", per_test_timeout=2).rows
    assert {row.id: row.status for row in rows} == {**{f"ch03.{i}": "failed" for i in range(1, 6)},
                                                    "ch03.6": "passed"}
    messages = [row.checks[0].message for row in rows]
    # writing into every inherited descriptor reaches the results pipe (where unsigned lines are ignored) and
    # mpiexec's own pipes too, which may stop the run: either way the check fails, and the rest is graded
    assert messages[0] == "rank 0's tensor: expected [3.0, 3.0], got [1.0, 2.0]" or \
        messages[0].startswith("on rank 0 of 2: a process exited during this check: ")
    assert messages[1] == "on rank 1 of 2: ValueError: rank one gives up (at exercises/ch03_fake.py line 23)"
    assert messages[2].startswith("on rank ") and "Detected mismatch between collectives on ranks" in messages[2]
    assert messages[3] == ("on rank 0 of 2: PermissionError: the exercises may not read the reference solutions "
                           "(at exercises/ch03_fake.py line 35)")  # the processes keep the grader's guard
    assert messages[4] == ("on rank 0 of 2: did not finish within 4 s and was stopped (an infinite loop, or a rank "
                           "waiting for a message that never comes?)")
