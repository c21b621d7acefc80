"""The exercise grader: `python -m grader [--target exercises|solutions] [--chapter NN]`.

It runs the graded tests in tests/exercises/ in a subprocess (so nothing a student file does can crash
it), collects each test's outcome through the pytest plugin in `grader.plugin`, and prints one row per
exercise: passed, todo (still raises its NotImplementedError stub), failed or error, with points.
"""
