"""The figures issue 13 promises, as measured by the tests that check them.

A test calls `report(...)` with what it measured next to its target, then asserts it. When the
environment names a file in RELIABILITY_FIGURES (as `make reliability` does), each figure is
appended to it as one JSON line; `python -m tests.reliability.results` turns them into
tests/reliability/RESULTS.md. Outside that run, `report` only returns the value.
"""

import json
import os
import time


def report(area: str, figure: str, value, target, *, ok: bool, detail: str = ""):
    """Note one measured figure. `ok` is whether it meets its target; the caller still asserts."""
    path = os.environ.get("RELIABILITY_FIGURES")
    if path:
        line = {
            "area": area,
            "figure": figure,
            "value": value,
            "target": target,
            "ok": bool(ok),
            "detail": detail,
            # UTC: Django sets the process's TZ to TIME_ZONE, so local time would be Shanghai's.
            "at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        }
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return value
