"""Load benchmark of the desk: gunicorn (2 sync workers) on loopback, wrk per endpoint, medians.

    make bench                      # 10k service records, 20 s per endpoint
    .venv/bin/python bench/run.py --records 100000 --duration 20 --runs 2

It builds a PostgreSQL database `desk_bench` on 127.0.0.1:5432 (dropped and recreated unless
--reuse), loads demo data plus generated volume (bench/generate.py), counts SQL queries per
endpoint in-process, then loads each endpoint with wrk (-t2 -c8) and reports req/s, p50 and p95.
Same shape as ../shared/peer-bench so the two can be compared side by side on one machine.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = str(ROOT / ".venv" / "bin" / "python")


def sh(cmd, env, timeout=3600, capture=False):
    result = subprocess.run(
        cmd, cwd=ROOT, env=env, timeout=timeout, text=True, capture_output=capture, check=False
    )
    if result.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{(result.stderr or '')[-3000:]}")
    return result.stdout


def last_json(text):
    return json.loads(text.strip().splitlines()[-1])


def wait_http(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback only
            return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"server did not answer at {url}")


def wrk(url, seconds, conns, session, endpoint):
    env = dict(
        os.environ,
        BENCH_METHOD=endpoint.get("method", "GET"),
        BENCH_BODY=json.dumps(endpoint["body"]) if endpoint.get("body") else "",
        BENCH_COOKIE=session["cookie"],
        BENCH_HEADERS="|".join(f"{k}: {v}" for k, v in session["headers"].items()),
    )
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{conns}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(BENCH / "report.lua"),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    ).stdout
    line = next((x for x in out.splitlines() if x.startswith("WRKJSON ")), None)
    return json.loads(line[8:]) if line else {"error": out[-500:]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--port", type=int, default=8812)
    ap.add_argument("--reuse", action="store_true", help="keep an existing desk_bench database")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="servicedesk.settings.local",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/desk_bench",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        CONN_MAX_AGE="60",
        LOG_LEVEL="ERROR",
    )
    if not args.reuse:
        psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc"]
        sh([*psql, "DROP DATABASE IF EXISTS desk_bench"], env)
        sh([*psql, "CREATE DATABASE desk_bench"], env)
        sh([PY, "manage.py", "migrate", "-v0"], env)
        sh([PY, "manage.py", "seed_demo"], env, capture=True)
        started = time.monotonic()
        print(sh([PY, "bench/generate.py", "--records", str(args.records)], env, capture=True))
        print(f"load_s={time.monotonic() - started:.1f}")

    session = last_json(sh([PY, "bench/session.py"], env, capture=True))
    endpoints = session["endpoints"]
    if args.only:
        endpoints = [e for e in endpoints if e["name"] in args.only.split(",")]
    queries = last_json(sh([PY, "bench/count_queries.py"], env, capture=True))

    gunicorn = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "servicedesk.wsgi:application",
            "-w",
            "2",
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{args.port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    rows = []
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_http(base + "/healthz")
        for endpoint in endpoints:
            runs = [
                wrk(base + endpoint["path"], args.duration, args.conns, session, endpoint)
                for _ in range(args.runs)
            ]
            ok = [r for r in runs if "rps" in r]
            row = {
                "name": endpoint["name"],
                "path": endpoint["path"],
                "queries": queries.get(endpoint["name"], {}).get("queries"),
                "status": queries.get(endpoint["name"], {}).get("status"),
                "runs": runs,
            }
            if ok:
                row.update(
                    rps=statistics.median(r["rps"] for r in ok),
                    p50_ms=statistics.median(r["p50_ms"] for r in ok),
                    p95_ms=statistics.median(r["p95_ms"] for r in ok),
                    non2xx=sum(r["non2xx"] for r in ok),
                )
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "runs"}), flush=True)
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)

    label = f"{args.records // 1000}k"
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    (out / f"results_{label}.json").write_text(json.dumps(rows, indent=2))
    print(f"\n| {label} | endpoint | req/s | p50 ms | p95 ms | queries/req | non-2xx |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {label} | {r['name']} `{r['path']}` | {r.get('rps', 0):.1f} | "
            f"{r.get('p50_ms', 0):.0f} | {r.get('p95_ms', 0):.0f} | {r['queries']} | "
            f"{r.get('non2xx', '?')} |"
        )


if __name__ == "__main__":
    main()
