"""Load benchmark of the desk: gunicorn (2 sync workers) on loopback, wrk per endpoint, medians.

    make bench                                   # 100k and 1M records, 3 runs x 20 s each
    .venv/bin/python bench/run.py --scales 100000 --duration 3 --runs 1 --reuse
    .venv/bin/python bench/run.py --scales 100000 --only floor,record_list --reuse

Per scale N it builds the PostgreSQL database `desk_bench_<N/1000>k` (migrate, seed_demo,
bench/generate.py --records N, VACUUM ANALYZE; with --reuse an existing finished load is kept),
counts SQL queries per endpoint in-process (bench/count_queries.py), then starts gunicorn with
servicedesk.settings.bench and measures each endpoint (bench/harness.py: drain, warm-up, runs,
drain; peak worker RSS per endpoint from /proc). Raw JSON goes to bench/results/scale_<N>.json;
bench/RESULTS.md is rewritten from the results present (bench/results_md.py).
"""

import argparse
import json
import os
import shutil
import sys
import time

import harness
import results_md
from harness import PY, ROOT, label, psql, sh

TABLES = (
    "customers_customer",
    "customers_contactpoint",
    "tickets_servicerecord",
    "tickets_recordmessage",
    "followups_callbackvisit",
    "tickets_complaint",
)


def desk_env(db: str, port: int) -> dict:
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="servicedesk.settings.bench",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/{db}",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        CONN_MAX_AGE="60",
        LOG_LEVEL="ERROR",
        PYTHONWARNINGS="ignore",
        # Every wrk request comes from 127.0.0.1: the per-address limit of the public survey
        # page would turn the storing submit into 429s after 60. Each link still allows only
        # its own few (survey_submit_limited measures that refusal).
        SURVEY_SUBMITS_PER_ADDRESS="1000000000",
    )


def build(records: int, port: int, reuse: bool) -> dict:
    """The database for `records` records; kept when --reuse and a finished load is there.
    The load's facts live in the database's comment, so a reused database keeps its load time."""
    db = f"desk_bench_{label(records)}"
    env = desk_env(db, port)
    if reuse and harness.db_exists(db, port):
        info = harness.db_comment(db, port)
        # A load from before the generator made callback visits (bench/gen_visits.py),
        # complaints (bench/gen_complaints.py) or survey answers (bench/gen_surveys.py) is rebuilt.
        tail = info.get("generator_tail", "") if info else ""
        if (
            info
            and info.get("records") == records
            and all(f"{part}=" in tail for part in ("visits", "complaints", "surveys"))
        ):
            print(f"{db}: reusing (loaded {info.get('loaded_at')})", flush=True)
            return {"db": db, **info}
        print(f"{db}: exists but no finished load of {records} records: rebuilding", flush=True)
    print(f"{db}: building on port {port}...", flush=True)
    psql(f"DROP DATABASE IF EXISTS {db}", port=port)
    psql(f"CREATE DATABASE {db}", port=port)
    sh([PY, "manage.py", "migrate", "-v0"], env)
    sh([PY, "manage.py", "seed_demo"], env)
    started = time.monotonic()
    out = sh([PY, "bench/generate.py", "--records", str(records)], env, timeout=4 * 3600)
    load_s = time.monotonic() - started
    print(out.strip().splitlines()[-1] if out.strip() else "", flush=True)
    info = {
        "records": records,
        "load_s": round(load_s, 1),  # includes the generator's own VACUUM ANALYZE
        "loaded_at": time.strftime("%Y-%m-%d %H:%M"),
        "generator_tail": out.strip().splitlines()[-1][:700] if out.strip() else "",
    }
    comment = json.dumps(info).replace("'", "''")
    psql(f"COMMENT ON DATABASE {db} IS '{comment}'", port=port)
    print(f"{db}: loaded in {info['load_s']} s", flush=True)
    return {"db": db, **info}


def volume(db: str, port: int) -> dict:
    rows = {t: int(psql(f"SELECT count(*) FROM {t}", port=port, db=db)) for t in TABLES}  # noqa: S608 - our own names, via psql
    size = psql(f"SELECT pg_size_pretty(pg_database_size('{db}'))", port=port, db=db)
    return {"rows": rows, "db_size": size}


def prepare_desk(records: int, args) -> dict:
    """Build (or reuse) the scale's database, log in, count queries: what a run needs."""
    built = build(records, args.db_port, args.reuse)
    env = desk_env(built["db"], args.db_port)
    # A fresh survey link per storing submit: for ~200 a second over the warm-up and the runs.
    links = 200 * (args.warmup + args.runs * args.duration) + 1000
    session = harness.last_json(
        sh([PY, "bench/session.py"], {**env, "BENCH_SURVEY_LINKS": str(links)})
    )
    eps = session["endpoints"]
    if args.only:
        eps = [e for e in eps if e["name"] in args.only.split(",")]
    print("counting queries in-process...", flush=True)
    only = ",".join(e["name"] for e in eps)
    queries = harness.last_json(sh([PY, "bench/count_queries.py", f"--only={only}"], env))
    return {"built": built, "env": env, "session": session, "endpoints": eps, "queries": queries}


def desk_server(env, args) -> harness.Server:
    return harness.Server(
        "desk",
        python=PY,
        app="servicedesk.wsgi:application",
        cwd=ROOT,
        env=env,
        port=args.port,
        workers=args.workers,
        probe="/bench/floor/",
    )


def with_queries(row: dict, queries: dict) -> dict:
    q = queries.get(row["name"], {})
    return {
        **row,
        "queries": q.get("queries"),
        "status": q.get("status"),
        "inproc_ms": q.get("inproc_ms"),
        "bytes": q.get("bytes"),
    }


def print_row(row: dict) -> None:
    keep = ("name", "rps", "p50_ms", "p95_ms", "queries", "status", "non2xx", "peak_rss_mb")
    print(json.dumps({k: row.get(k) for k in keep} | {"mode": row.get("mode")}), flush=True)


def run_scale(records: int, args) -> dict:
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    prep = prepare_desk(records, args)
    db = prep["built"]["db"]
    server = desk_server(prep["env"], args).start()
    rows = []
    try:
        for endpoint in prep["endpoints"]:
            row = harness.measure(server, endpoint, prep["session"], args)
            row = with_queries(row, prep["queries"])
            rows.append(row)
            print_row(row)
        final_memory = server.memory()
    finally:
        server.stop()
    cleaned = harness.last_json(sh([PY, "bench/session.py", "--cleanup"], prep["env"]))
    result = {
        "kind": "scale",
        "label": label(records),
        "records": records,
        "started": started,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join(sys.argv),
        "options": vars(args),
        "machine": harness.machine(),
        "postgres": harness.postgres(args.db_port),
        "load": prep["built"],
        "volume": volume(db, args.db_port),
        "facts": prep["session"].get("facts", {}),
        "workers_after_run": final_memory,
        "server_restarts": server.restarts,
        "write_cleanup": cleaned,
        "endpoints": rows,
    }
    if args.merge:
        result = merged(result)
    path = harness.save(f"scale_{label(records)}.json", result)
    print(f"results: {path.relative_to(ROOT)}", flush=True)
    return result


def merged(partial: dict) -> dict:
    """The scale's saved full run with this (--only) run's endpoints put in place of its rows of
    the same name, each carrying this run's floor for its ÷ floor figure, and a note of when and
    how they were measured. The full run's floor row stays."""
    path = harness.RESULTS / f"scale_{partial['label']}.json"
    if not path.exists():
        return partial
    full = json.loads(path.read_text())
    floor = next((r for r in partial["endpoints"] if r["name"] == "floor"), {})
    rows = {r["name"]: r for r in full["endpoints"]}
    names = []
    for row in partial["endpoints"]:
        if row["name"] == "floor" and "floor" in rows:
            continue
        rows[row["name"]] = {**row, "floor_p95_ms": floor.get("p95_ms")}
        names.append(row["name"])
    full["endpoints"] = list(rows.values())
    full.setdefault("notes", []).append(
        f"{', '.join(names)}: re-measured {partial['started']}–{partial['finished'][11:]} by "
        f"`{partial['command']}` ({partial['options']['runs']} × "
        f"{partial['options']['duration']} s), merged into the full run of {full['started']}; "
        f"their ÷ floor divides by that run's floor (p95 {floor.get('p95_ms')} ms)."
    )
    return full


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--scales", default="100000,1000000", help="comma-separated record counts (one DB each)"
    )
    ap.add_argument("--records", type=int, help="one scale (same as --scales N)")
    ap.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    ap.add_argument(
        "--merge",
        action="store_true",
        help="with --only: put the endpoints measured into the scale's saved full run",
    )
    ap.add_argument("--port", type=int, default=8812, help="gunicorn port on 127.0.0.1")
    ap.add_argument("--db-port", type=int, default=5432, help="PostgreSQL on 127.0.0.1")
    harness.add_measure_options(ap)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    scales = [args.records] if args.records else [int(s) for s in args.scales.split(",")]
    results = [run_scale(n, args) for n in scales]
    for result in results:
        print()
        print(results_md.scale_table([result]))
    print(f"\nwrote {results_md.write().relative_to(ROOT)}")


if __name__ == "__main__":
    main()
