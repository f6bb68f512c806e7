"""Benchmark of beat's periodic callback scan (followups.services.visits_scan).

    .venv/bin/python bench/scan.py                      # 100,000 customers, 10,000 of them key
    .venv/bin/python bench/scan.py --runs 3 --rebuild   # rebuild the database first

The database `desk_bench_scan` (migrate, seed_demo, then COPY of `--customers` customers of which
every (customers/key)-th is a key customer, 60% of those with an account owner) is kept between
runs. Only the shipped periodic rule "key customers, every 30 days" stays active (the greeting
rule is switched off in this database, so a greeting date near today does not add a second walk).

Each of `--runs` runs starts from a period nobody has scanned: the rule's visits, their status
log and the scan marks are deleted and the tables vacuumed, then visits_scan() is timed, which
creates one visit per key customer. Then the same period is scanned again (`--runs` times): the
mark says every customer was seen, so it must create nothing and cost one indexed read. Medians
are reported; EXPLAIN (ANALYZE, BUFFERS) of the customer batch query (the first batch, and the
empty one after the mark) shows customer_tier_idx. Results go to bench/results/scan_<N>k.json and
the "Callback scan" section of bench/RESULTS.md (bench/results_md.py renders it).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
import results_md  # noqa: E402
from harness import PY, ROOT, psql, sh  # noqa: E402

DB = "desk_bench_scan"
RULE = "key-customer-care"  # followups.defaults: periodic, tier "key", every 30 days


def env_for(db: str, port: int) -> dict:
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="servicedesk.settings.bench",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/{db}",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        LOG_LEVEL="ERROR",
        PYTHONWARNINGS="ignore",
    )


def build(args) -> dict:
    want = {"customers": args.customers, "key": args.key}
    if not args.rebuild and harness.db_exists(args.db, args.db_port):
        info = harness.db_comment(args.db, args.db_port) or {}
        if {k: info.get(k) for k in want} == want:
            print(f"{args.db}: reusing ({info.get('loaded_at')})", flush=True)
            return info
    print(f"{args.db}: building...", flush=True)
    env = env_for(args.db, args.db_port)
    psql(f"DROP DATABASE IF EXISTS {args.db}", port=args.db_port)
    psql(f"CREATE DATABASE {args.db}", port=args.db_port)
    sh([PY, "manage.py", "migrate", "-v0"], env)
    sh([PY, "manage.py", "seed_demo"], env)
    started = time.monotonic()
    sh([PY, __file__, "--load", "--customers", str(args.customers), "--key", str(args.key)], env)
    info = {**want, "load_s": round(time.monotonic() - started, 1)}
    info["loaded_at"] = time.strftime("%Y-%m-%d %H:%M")
    psql(f"COMMENT ON DATABASE {args.db} IS '{json.dumps(info)}'", port=args.db_port)
    return info


# --- in the database's own process (Django set up on it) ----------------------------------------


def django_setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings.bench")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def load_customers(customers: int, key: int) -> None:
    """COPY `customers` actual customers; every (customers // key)-th is a key customer."""
    import io
    import random

    from django.db import connection, transaction

    from servicedesk.core.models import DepartmentMembership

    rng = random.Random(20261124)  # noqa: S311 - reproducible data
    staff = sorted(set(DepartmentMembership.objects.values_list("user_id", flat=True)))
    every = max(1, customers // key)
    cols = [
        "id", "created_at", "updated_at", "kind", "name", "management_tier", "lifecycle",
        "converted_at", "conversion_cause", "conversion_note", "transaction_progress",
        "chain_position", "marketing_type", "party", "region", "preferences", "notes",
        "is_archived", "version", "owner_id", "language",
    ]  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM customers_customer")
        first = cursor.fetchone()[0]
        rows = []
        for i in range(customers):
            is_key = i % every == every - 1 and (i // every) < key
            tier = "key" if is_key else ("regular" if rng.random() < 0.7 else "one_time")
            owner = str(rng.choice(staff)) if staff and rng.random() < 0.6 else "\\N"
            rows.append(
                f"{first + i}\t2025-01-01 00:00:00+00\t2025-01-01 00:00:00+00\tindividual\t"
                f"客户{first + i}\t{tier}\tactual\t2025-01-01 00:00:00+00\tsale\t\tcurrent\tend\t"
                f"convenience\texternal\t\t\t\tf\t1\t{owner}\tzh-hans"
            )
        sql = f"COPY customers_customer ({', '.join(cols)}) FROM STDIN"
        cursor.cursor.copy_expert(sql, io.StringIO("\n".join(rows) + "\n"))
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), MAX(id))"
            " FROM customers_customer"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE customers_customer")
    print(json.dumps({"customers": customers, "first_id": first}))


def measure(runs: int, batch: int) -> dict:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from customers.models import Customer
    from followups import services
    from followups.models import CallbackRule, CallbackVisit, ScanMark, Trigger
    from servicedesk.core.models import StatusChange

    rule = CallbackRule.objects.get(code=RULE)
    CallbackRule.objects.filter(trigger__in=[Trigger.PERIODIC, Trigger.GREETING]).exclude(
        pk=rule.pk
    ).update(is_active=False)
    CallbackRule.objects.filter(pk=rule.pk).update(is_active=True)
    content_type = ContentType.objects.get_for_model(CallbackVisit)
    now = timezone.now()

    def reset():
        ids = list(CallbackVisit.objects.filter(rule=rule).values_list("pk", flat=True))
        StatusChange.objects.filter(content_type=content_type, object_id__in=ids).delete()
        CallbackVisit.objects.filter(pk__in=ids).delete()
        ScanMark.objects.all().delete()
        with connection.cursor() as cursor:
            for table in ("followups_callbackvisit", "core_statuschange", "followups_scanmark"):
                cursor.execute(f"VACUUM ANALYZE {table}")

    def timed():
        started = time.perf_counter()
        created = services.visits_scan(now=now, batch=batch)
        return time.perf_counter() - started, created

    def batch_sql():
        """The scan's customer batch, caught on its way to the database (as the plan tests do)."""
        seen = []

        class Caught(Exception):
            pass

        def stop(execute, sql, params, many, context):
            if 'FROM "customers_customer"' in sql:
                seen.append((sql, params))
                raise Caught
            return execute(sql, params, many, context)

        try:
            with connection.execute_wrapper(stop):
                services.visits_scan(now=now, batch=batch)
        except Caught:
            pass
        return seen[0]

    def explain(sql, params) -> str:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())

    fresh, again = [], []
    for n in range(runs):
        reset()
        seconds, created = timed()
        fresh.append({"seconds": round(seconds, 3), "created": created})
        print(f"fresh period, run {n + 1}: {created} visits in {seconds:.2f} s", file=sys.stderr)
    for n in range(runs):
        seconds, created = timed()
        again.append({"seconds": round(seconds, 4), "created": created})
        print(
            f"same period, run {n + 1}: {created} visits in {seconds * 1000:.1f} ms",
            file=sys.stderr,
        )
    marks = list(ScanMark.objects.values("period", "last_customer_id"))
    plan_done = explain(*batch_sql())  # the mark at the tier's last customer: an empty batch
    reset()
    plan_first = explain(*batch_sql())  # the first batch of a fresh period
    reset()
    median = statistics.median(r["seconds"] for r in fresh)
    return {
        "rule": {
            "code": rule.code,
            "tier": rule.customer_tier,
            "interval_days": rule.interval_days,
            "period": str(marks[0]["period"]) if marks else None,
        },
        "customers": Customer.objects.count(),
        "key_customers": Customer.objects.filter(
            management_tier=rule.customer_tier, is_archived=False
        ).count(),
        "batch": batch,
        "fresh_runs": fresh,
        "fresh_median_s": median,
        "created": fresh[0]["created"] if fresh else None,
        "per_visit_ms": round(median * 1000 / fresh[0]["created"], 3)
        if fresh and fresh[0]["created"]
        else None,
        "again_runs": again,
        "again_median_ms": round(statistics.median(r["seconds"] for r in again) * 1000, 2),
        "again_created": sum(r["created"] for r in again),
        "plan_first_batch": plan_first,
        "plan_after_mark": plan_done,
    }


# --- the driver --------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--key", type=int, default=10_000, help="how many of them are key customers")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=None, help="scan batch (default: the service's)")
    ap.add_argument("--db", default=DB)
    ap.add_argument("--db-port", type=int, default=5432)
    ap.add_argument("--rebuild", action="store_true", help="rebuild the database")
    ap.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.load or args.measure:
        django_setup()
        if args.load:
            load_customers(args.customers, args.key)
        else:
            from followups.services import SCAN_BATCH

            print(json.dumps(measure(args.runs, args.batch or SCAN_BATCH)))
        return
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    info = build(args)
    env = env_for(args.db, args.db_port)
    cmd = [PY, __file__, "--measure", "--runs", str(args.runs)]
    if args.batch:
        cmd += ["--batch", str(args.batch)]
    result = harness.last_json(sh(cmd, env))
    label = f"{args.customers // 1000}k"
    data = {
        "kind": "scan",
        "label": label,
        "records": args.customers,
        "started": started,
        "command": " ".join(sys.argv),
        "db": args.db,
        "load": info,
        "machine": harness.machine(),
        "postgres": harness.postgres(args.db_port),
        **result,
    }
    path = harness.save(f"scan_{label}.json", data)
    print(f"results: {path.relative_to(ROOT)}")
    print(result["plan_first_batch"])
    print(result["plan_after_mark"])
    section = results_md.scan_section([data])
    print(section)
    print(f"wrote {results_md.put_section(results_md.SCAN_HEADING, section).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
