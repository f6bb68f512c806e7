"""Write tests/reliability/RESULTS.md from the figures a `make reliability` run gathered.

python -m tests.reliability.results var/reliability.jsonl > tests/reliability/RESULTS.md
"""

import json
import platform
import sys
from collections import OrderedDict


def _load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def render(figures: list[dict], *, outcome: str) -> str:
    # The last measurement of a figure wins (a test run twice reports twice).
    latest: OrderedDict[tuple, dict] = OrderedDict()
    for f in figures:
        latest[(f["area"], f["figure"])] = f
    areas: OrderedDict[str, list[dict]] = OrderedDict()
    for f in latest.values():
        areas.setdefault(f["area"], []).append(f)
    met = sum(f["ok"] for f in latest.values())
    first = min((f["at"] for f in figures), default="-")
    out = [
        "# Reliability and security figures",
        "",
        "Written by `make reliability` (tests/reliability, tests/security and tests/securitylog on",
        "PostgreSQL and Redis, with real workers, beat and web processes). Do not edit by hand.",
        "",
        f"- Run: {first}, Python {platform.python_version()}, pytest: {outcome}",
        f"- Figures at their target: {met} of {len(latest)}",
        "",
    ]
    for area, rows in areas.items():
        out += [f"## {area}", "", "| Figure | Measured | Target | Met |", "|---|---|---|---|"]
        for f in rows:
            mark = "yes" if f["ok"] else "**NO**"
            out.append(f"| {f['figure']} | {f['value']} | {f['target']} | {mark} |")
        # Figures measured by one run share its detail: say it once, naming them together.
        notes: OrderedDict[str, list[str]] = OrderedDict()
        for f in rows:
            if f["detail"]:
                notes.setdefault(f["detail"], []).append(f["figure"])
        if notes:
            out.append("")
            out += [f"- {'; '.join(names)}: {detail}" for detail, names in notes.items()]
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    outcome = sys.argv[2] if len(sys.argv) > 2 else "passed"
    sys.stdout.write(render(_load(sys.argv[1]), outcome=outcome))
