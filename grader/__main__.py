"""Command line: `python -m grader [--target exercises|solutions] [--chapter NN] [--extra-tests DIR]
[--json FILE] [--expect-full|--expect-todo]`."""
import argparse
import json
import sys
from pathlib import Path

from grader import report as fmt
from grader.grade import grade

DEFAULT_ROOT = Path(__file__).resolve().parent.parent


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader", description="Grade the workbook exercises.")
    parser.add_argument("--target", choices=("exercises", "solutions"), default="exercises",
                        help="grade your exercises/ (default) or the reference solutions/")
    parser.add_argument("--chapter", type=int, metavar="NN", help="grade one chapter only, e.g. --chapter 1")
    parser.add_argument("--extra-tests", type=Path, metavar="DIR",
                        help="also run the graded tests in DIR/test_chNN*.py (an instructor's hidden tests)")
    parser.add_argument("--json", metavar="FILE", help="write the scores as JSON to FILE ('-' for stdout, no table)")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--test-timeout", type=float, default=10.0, metavar="SECONDS",
                        help="time limit for each graded test (default: 10)")
    parser.add_argument("--timeout", type=float, default=900.0, metavar="SECONDS",
                        help="time limit for the whole run (default: 900)")
    expect = parser.add_mutually_exclusive_group()
    expect.add_argument("--expect-full", action="store_true", help="exit 1 unless every exercise passes (CI)")
    expect.add_argument("--expect-todo", action="store_true", help="exit 1 unless every exercise is todo (CI)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print the test worker's own output")
    args = parser.parse_args(argv)
    if args.extra_tests is not None and not args.extra_tests.is_dir():
        parser.error(f"--extra-tests {args.extra_tests}: not a directory")

    result = grade(args.root, args.target, args.chapter, args.test_timeout, args.timeout, args.extra_tests)
    if args.json == "-":
        print(json.dumps(fmt.as_json(result, args.chapter), indent=2))
    else:
        _print_report(result, args)
        if args.json:
            Path(args.json).write_text(json.dumps(fmt.as_json(result, args.chapter), indent=2) + "\n")
    return _exit_status(result, args)


def _print_report(result, args):
    scope = f"chapter {args.chapter:02d}" if args.chapter is not None else "all chapters"
    hidden = f", with the extra tests in {args.extra_tests}" if args.extra_tests else ""
    print(f"Grading {args.target}/ ({scope}{hidden})\n")
    if not result.rows:
        print("No graded exercises found.")
    else:
        print(fmt.table(result.rows))
        notes = fmt.feedback(result.rows)
        if notes:
            print("\nWhat did not pass:\n\n" + notes)
    for problem in result.problems:
        print("\n" + problem)
    if args.verbose or (result.problems and result.output):
        print("\n" + result.output)


def _exit_status(result, args):
    if not (args.expect_full or args.expect_todo):
        return 0
    earned, possible, _ = fmt.totals(result.rows)
    if not result.rows or result.problems:
        print("\nFAIL: no graded exercises, or some graded test files could not be collected", file=sys.stderr)
        return 1
    if args.expect_full and any(row.status != "passed" for row in result.rows):
        print(f"\nFAIL: expected every exercise to pass ({earned}/{possible} points)", file=sys.stderr)
        return 1
    if args.expect_todo and (earned or any(row.status != "todo" for row in result.rows)):
        print(f"\nFAIL: expected every exercise to be todo with 0 points ({earned}/{possible})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
