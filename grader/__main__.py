"""Command line: `python -m grader [--target exercises|solutions] [--chapter NN] [--expect-full|--expect-todo]`."""
import argparse
import shutil
import sys
from pathlib import Path

from grader.grade import grade

DEFAULT_ROOT = Path(__file__).resolve().parent.parent


def _table(rows):
    """The per-exercise table and the totals line, as text."""
    width = max(20, min(60, shutil.get_terminal_size((100, 20)).columns - 40))
    lines = [f"{'exercise':<9} {'title':<{width}} {'status':<8} {'points':>7}"]
    for row in rows:
        title = row.title if len(row.title) <= width else row.title[:width - 3] + "..."
        lines.append(f"{row.id:<9} {title:<{width}} {row.status:<8} {f'{row.earned}/{row.possible}':>7}")
    earned, possible = sum(row.earned for row in rows), sum(row.possible for row in rows)
    percent = 100.0 * earned / possible if possible else 0.0
    counts = ", ".join(f"{sum(r.status == s for r in rows)} {s}" for s in ("passed", "todo", "failed", "error")
                       if any(r.status == s for r in rows))
    lines.append(f"{'total':<9} {counts:<{width}} {'':<8} {f'{earned}/{possible}':>7}  ({percent:.0f}%)")
    return "\n".join(lines), earned, possible


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader", description="Grade the workbook exercises.")
    parser.add_argument("--target", choices=("exercises", "solutions"), default="exercises",
                        help="grade your exercises/ (default) or the reference solutions/")
    parser.add_argument("--chapter", type=int, metavar="NN", help="grade one chapter only, e.g. --chapter 1")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--test-timeout", type=float, default=10.0, metavar="SECONDS",
                        help="time limit for each graded test (default: 10)")
    parser.add_argument("--timeout", type=float, default=900.0, metavar="SECONDS",
                        help="time limit for the whole run (default: 900)")
    expect = parser.add_mutually_exclusive_group()
    expect.add_argument("--expect-full", action="store_true", help="exit 1 unless every exercise passes (CI)")
    expect.add_argument("--expect-todo", action="store_true", help="exit 1 unless every exercise is todo (CI)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print pytest's output")
    args = parser.parse_args(argv)

    rows, problems, output = grade(args.root, args.target, args.chapter, args.test_timeout, args.timeout)
    scope = f"chapter {args.chapter:02d}" if args.chapter is not None else "all chapters"
    print(f"Grading {args.target}/ ({scope})\n")
    if not rows:
        print("No graded exercises found.")
        if output:
            print(output)
        return 1 if (args.expect_full or args.expect_todo) else 0
    table, earned, possible = _table(rows)
    print(table)
    notes = [f"  {row.id} {row.status}: " + row.note.replace("\n", "\n      ") for row in rows
             if row.note and row.status != "passed"]
    if notes:
        print("\nWhy:\n" + "\n".join(notes))
    for problem in problems:
        print("\n" + problem)
    if args.verbose or problems:
        print("\n" + output)
    if (args.expect_full or args.expect_todo) and problems:
        print("\nFAIL: some graded test files could not be collected")
        return 1
    if args.expect_full and any(row.status != "passed" for row in rows):
        print(f"\nFAIL: expected every exercise to pass ({earned}/{possible} points)")
        return 1
    if args.expect_todo and any(row.status != "todo" for row in rows):
        print("\nFAIL: expected every exercise to be todo (untouched stubs)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
