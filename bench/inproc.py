"""Quick in-process timings of pages, for working on one page between bench runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/desk_bench_1000k \
        .venv/bin/python bench/inproc.py /records/ /complaints/ [--user sunmei] [--n 30]

Per path: the median over 5 rounds of n warm requests (Django's test client, as the bench user)
of CPU time and wall time per request, the SQL queries and the time spent waiting on them. Only
reads: never point it at a path that writes. The figures that count come from bench/run.py.
"""

import argparse
import statistics
import time

from endpoints import bench_user  # noqa: I001 - sets up Django

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client


class SqlTimer:
    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


def measure(client, path: str, n: int) -> dict:
    for _ in range(5):
        status = client.get(path, HTTP_ACCEPT_LANGUAGE="en").status_code
    rounds = []
    for _ in range(5):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(n):
                client.get(path, HTTP_ACCEPT_LANGUAGE="en")
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        rounds.append((wall / n * 1000, cpu / n * 1000, timer.count / n, timer.seconds / n * 1000))
    wall, cpu, queries, sql = (statistics.median(r[i] for r in rounds) for i in range(4))
    return dict(status=status, wall_ms=wall, cpu_ms=cpu, queries=queries, sql_ms=sql)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--user", help="username (default: the bench manager)")
    ap.add_argument("--n", type=int, default=30)
    args = ap.parse_args()
    client = Client()
    user = get_user_model().objects.get(username=args.user) if args.user else bench_user()
    client.force_login(user)
    for path in args.paths:
        m = measure(client, path, args.n)
        print(
            f"{path:45s} {m['status']} wall {m['wall_ms']:5.1f} ms  cpu {m['cpu_ms']:5.1f} ms  "
            f"queries {m['queries']:.0f}  sql {m['sql_ms']:4.1f} ms"
        )


if __name__ == "__main__":
    main()
