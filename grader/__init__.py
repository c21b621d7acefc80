"""The exercise grader: `python -m grader [--target exercises|solutions] [--chapter NN]`.

It runs the graded tests in tests/exercises/ (and an instructor's `--extra-tests DIR`) in a worker
process, collects each test's outcome through a signed pipe (grader.plugin, grader.channel), and prints
one row per exercise with partial credit per check, then every check that did not pass, in plain words
with expected and got values. Graded tests use grader.checks and the chapter fixtures of grader.chapters.
"""
