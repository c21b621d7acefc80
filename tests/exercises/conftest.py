"""Graded exercise tests (grade them with `python -m grader`, or run `pytest tests/exercises --target solutions`).

The `--target` option, the `exercise` marker and the chapter fixtures `ch00` ... `ch19` come from
grader.chapters; the grader's worker loads that module itself (with --noconftest)."""
from grader import chapters
from grader.chapters import pytest_addoption, pytest_configure, pytest_runtest_setup  # noqa: F401

globals().update({f"ch{n:02d}": getattr(chapters, f"ch{n:02d}") for n in range(20)})
