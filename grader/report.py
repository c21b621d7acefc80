"""The grader's two outputs: the table a learner reads, and the JSON an LMS reads."""
import shutil

STATUSES = ("passed", "partial", "failed", "todo", "error", "skipped")


def totals(rows):
    """(earned, possible, percent) over `rows`."""
    earned, possible = sum(row.earned for row in rows), sum(row.possible for row in rows)
    return earned, possible, (100.0 * earned / possible if possible else 0.0)


def table(rows):
    """One line per exercise (id, title, status, points) and a totals line."""
    width = max(20, min(60, shutil.get_terminal_size((100, 20)).columns - 40))
    lines = [f"{'exercise':<9} {'title':<{width}} {'status':<8} {'points':>7}"]
    for row in rows:
        title = row.title if len(row.title) <= width else row.title[:width - 3] + "..."
        lines.append(f"{row.id:<9} {title:<{width}} {row.status:<8} {f'{row.earned}/{row.possible}':>7}")
    earned, possible, percent = totals(rows)
    counts = ", ".join(f"{sum(r.status == s for r in rows)} {s}" for s in STATUSES if any(r.status == s for r in rows))
    lines.append(f"{'total':<9} {counts:<{width}} {'':<8} {f'{earned}/{possible}':>7}  ({percent:.0f}%)")
    return "\n".join(lines)


def feedback(rows):
    """For every exercise not fully passed: each check that did not pass, in plain words, with its reason."""
    blocks = []
    for row in rows:
        shown = [c for c in row.checks if c.status not in ("passed", "todo", "skipped")]
        if row.status == "passed" or not shown:
            continue
        lines = [f"{row.id} {row.title}"]
        for check in shown:
            points = f"{check.points} point{'s' if check.points != 1 else ''}"
            message = check.message.replace("\n", "\n      ")
            lines.append(f"  - {check.name} ({points}): {message}")
        todo = sum(c.status == "todo" for c in row.checks)
        if todo:
            lines.append(f"  ({todo} more check{'s' if todo != 1 else ''} still reach the stub's NotImplementedError)")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def as_json(report, chapter):
    """The machine-readable report: totals, then every exercise with each of its checks."""
    earned, possible, percent = totals(report.rows)
    return {
        "target": report.target,
        "chapter": chapter,
        "earned": earned,
        "possible": possible,
        "percent": round(percent, 2),
        "exercises": [{
            "id": row.id, "title": row.title, "status": row.status, "earned": row.earned, "possible": row.possible,
            "checks": [{"name": c.name, "test": c.nodeid, "points": c.points, "status": c.status,
                        "message": c.message, "hidden": c.extra} for c in row.checks],
        } for row in report.rows],
        "problems": report.problems,
    }
