"""Plausible wrong answers to the graded exercises, one module per chapter (tests/test_exercise_rejections.py
shows that the graded tests reject each of them).

Each module has `WRONG = {exercise id: {what is wrong: {public name: wrong object}}}`: the wrong objects
replace those names in the reference solution, so every other exercise of the chapter stays right."""
import functools
from pathlib import Path

from grader.chapters import load_chapter

ROOT = Path(__file__).resolve().parents[3]


@functools.cache
def solution(chapter):
    """The reference solutions of `chapter` (an int), loaded once."""
    return load_chapter(ROOT, chapter, "solutions")
