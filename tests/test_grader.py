"""The grader: a tiny fake workbook (two chapters, stubs, solutions and graded tests) in a temp dir
shows each status and that one broken student file costs only its own exercises; then the real
chapters: solutions score 100%, untouched stubs are all todo with 0 points."""
import shutil
import textwrap
from pathlib import Path

import pytest

from grader.__main__ import main
from grader.grade import grade

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


@pytest.mark.exercise("ch01.1", points=2)
def test_double(ch01):
    assert ch01.double(3) == 6


@pytest.mark.exercise("ch01.1", points=1)
def test_double_negative(ch01):
    assert ch01.double(-1) == -2


@pytest.mark.exercise("ch01.2", points=1)
def test_count(ch01):
    assert ch01.count(3) == [0, 1, 2]


@pytest.mark.exercise("ch01.3", points=1)
def test_name(ch01):
    assert isinstance(ch01.name(), str) and ch01.name() == "mini"
'''
TESTS_02 = '''
import pytest


@pytest.mark.exercise("ch02.1", points=3)
def test_box(ch02):
    assert ch02.Box(5).value == 5
'''


@pytest.fixture
def workbook(tmp_path):
    """A fake repository root with two chapters; returns a function writing a student's files."""
    (tmp_path / "tests" / "exercises").mkdir(parents=True)
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "tests" / "exercises" / "__init__.py").write_text("")
    shutil.copy(REPO / "tests" / "exercises" / "conftest.py", tmp_path / "tests" / "exercises" / "conftest.py")
    (tmp_path / "tests" / "exercises" / "test_ch01.py").write_text(TESTS_01)
    (tmp_path / "tests" / "exercises" / "test_ch02.py").write_text(TESTS_02)
    for folder, one, two in (("exercises", STUB_01, STUB_02), ("solutions", SOLUTION_01, SOLUTION_02)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "ch01_fake.py").write_text(one)
        (tmp_path / folder / "ch02_fake.py").write_text(two)

    def student(ch01=None, ch02=None):
        for name, source in (("ch01_fake.py", ch01), ("ch02_fake.py", ch02)):
            if source is not None:
                (tmp_path / "exercises" / name).write_text(textwrap.dedent(source))
        return tmp_path

    return student


def _statuses(rows):
    return {row.id: (row.status, row.earned, row.possible) for row in rows}


def test_solutions_score_full_and_stubs_are_todo(workbook, capsys):
    root = workbook()
    rows, _, _ = grade(root, "solutions", per_test_timeout=5)
    assert _statuses(rows) == {"ch01.1": ("passed", 3, 3), "ch01.2": ("passed", 1, 1),
                               "ch01.3": ("passed", 1, 1), "ch02.1": ("passed", 3, 3)}
    assert rows[0].title == "double: Return twice x."
    assert main(["--root", str(root), "--target", "solutions", "--expect-full"]) == 0
    assert "8/8  (100%)" in capsys.readouterr().out

    assert main(["--root", str(root), "--expect-todo"]) == 0
    out = capsys.readouterr().out
    assert "0/8  (0%)" in out and "4 todo" in out and "Box: Hold one value." in out
    assert main(["--root", str(root), "--expect-full"]) == 1
    assert main(["--root", str(root), "--target", "solutions", "--expect-todo"]) == 1
    capsys.readouterr()
    assert main(["--root", str(root), "--chapter", "2", "--target", "solutions", "--expect-full"]) == 0
    out = capsys.readouterr().out
    assert "ch02.1" in out and "ch01.1" not in out


def test_syntax_error_fails_only_its_chapter(workbook):
    root = workbook(ch01="def double(x):\n    return 2 *\n", ch02=SOLUTION_02)
    rows = grade(root, per_test_timeout=5)[0]
    assert _statuses(rows) == {"ch01.1": ("error", 0, 3), "ch01.2": ("error", 0, 1),
                               "ch01.3": ("error", 0, 1), "ch02.1": ("passed", 3, 3)}
    assert "SyntaxError" in rows[0].note and "exercises/ch01_fake.py" in rows[0].note
    assert rows[0].title == "double: Return twice x."  # from the solution, as the student file does not parse


def test_broken_test_file_is_reported_not_fatal(workbook, capsys):
    root = workbook()
    (root / "tests" / "exercises" / "test_ch03.py").write_text("def test_x(:\n")
    assert main(["--root", str(root), "--target", "solutions", "--expect-full"]) == 1
    out = capsys.readouterr().out
    assert "test_ch03.py: could not be collected" in out and "8/8  (100%)" in out


def test_loop_wrong_type_and_import_error_are_per_exercise(workbook, capsys):
    root = workbook(ch01='''
        def double(x):
            return x + x

        def count(n):
            while True:
                pass

        def name():
            return 42
        ''', ch02="raise RuntimeError('oops at import')\n")
    rows = grade(root, per_test_timeout=1)[0]
    assert _statuses(rows) == {"ch01.1": ("passed", 3, 3), "ch01.2": ("failed", 0, 1),
                               "ch01.3": ("failed", 0, 1), "ch02.1": ("error", 0, 3)}
    notes = {row.id: row.note for row in rows}
    assert notes["ch01.2"].startswith("timed out")
    assert notes["ch01.3"].startswith("AssertionError")
    assert "RuntimeError: oops at import" in notes["ch02.1"]
    assert main(["--root", str(root), "--test-timeout", "1"]) == 0
    assert "3/8  (38%)" in capsys.readouterr().out


def test_real_chapters_solutions_full_and_stubs_todo():
    solutions = grade(REPO, "solutions")[0]
    assert solutions, "no graded exercises found in tests/exercises/"
    assert [row.id for row in solutions if row.status != "passed"] == []
    stubs = grade(REPO, "exercises")[0]
    assert {row.id: row.status for row in stubs} == {row.id: "todo" for row in solutions}
    assert sum(row.earned for row in stubs) == 0
