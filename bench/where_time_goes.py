"""Where a request's time goes, in-process: cProfile over repeated warm requests of one endpoint.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/desk_bench_100k \
        .venv/bin/python bench/where_time_goes.py record_list [--n 50] [--top 30] [--sort tottime]

Prints the mean wall time per request, the share spent waiting on SQL, and the profile's top
functions. For finding work to remove; the speed figures themselves come from bench/run.py.
"""

import argparse
import cProfile
import pstats
import time

from count_queries import request  # noqa: I001 - sets up Django
from endpoints import api_token, bench_user, cleanup, drop_token, endpoints

from django.db import connection
from inproc import SqlTimer
from django.test import Client


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--sort", default="cumulative")
    args = ap.parse_args()
    client = Client()
    client.force_login(bench_user())
    token = api_token()
    try:
        endpoint = next(e for e in endpoints(token) if e["name"] == args.name)
        for _ in range(3):
            request(client, endpoint)
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            for _ in range(args.n):
                request(client, endpoint)
            wall = time.perf_counter() - started
        print(
            f"{args.name}: {wall / args.n * 1000:.1f} ms per request, "
            f"of which SQL {timer.seconds / args.n * 1000:.1f} ms"
        )
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.n):
            request(client, endpoint)
        profile.disable()
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    finally:
        cleanup(tokens=False)
        drop_token(token)


if __name__ == "__main__":
    main()
