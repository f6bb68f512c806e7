"""SQL queries per request for each benchmark endpoint, in-process (Django's test client).

    python bench/count_queries.py [--only a,b] [--show-sql]   # one JSON line {name: {...}}

Each endpoint is requested twice and the second (warm) request is counted, with a
connection.execute_wrapper (no 9,000-query cap as with CaptureQueriesContext). The records the
API create made are deleted afterwards.
"""

import json
import re
import sys
import time
from collections import Counter

from endpoints import api_token, bench_user, cleanup, drop_token, endpoints  # noqa: I001 - sets up Django

from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment


class QueryCounter:
    def __init__(self):
        self.sqls = []

    def __call__(self, execute, sql, params, many, context):
        self.sqls.append(sql)
        return execute(sql, params, many, context)


def request(client, endpoint, n: int = 0):
    """The endpoint's request; `n` picks among its fresh paths (a form post uses a link once)."""
    extra = {"HTTP_ACCEPT_LANGUAGE": "en"}
    for key, value in endpoint.get("headers", {}).items():
        extra["HTTP_" + key.upper().replace("-", "_")] = value
    if endpoint.get("form"):
        return client.post(endpoint["warm_paths"][n], data=endpoint["form"], **extra)
    if endpoint.get("method", "GET") == "POST":
        return client.post(
            endpoint["path"],
            data=json.dumps(endpoint["body"]),
            content_type="application/json",
            **extra,
        )
    return client.get(endpoint["path"], **extra)


def main():
    only = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")), "")
    show_sql = "--show-sql" in sys.argv
    setup_test_environment()
    user = bench_user()
    result = {}
    token = api_token()
    try:
        for endpoint in endpoints(token):
            if only and endpoint["name"] not in only.split(","):
                continue
            # A client of its own: an endpoint sent with another person's session cookie (the
            # agent's) may have it set again in the answer (the idle clock), which a shared
            # client would keep for the endpoints after it.
            client = Client()
            client.force_login(user)
            request(client, endpoint)  # warm caches (content types, sessions) for steady counts
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                started = time.perf_counter()
                response = request(client, endpoint, n=1)
                elapsed = time.perf_counter() - started
            result[endpoint["name"]] = {
                "status": response.status_code,
                "queries": len(counter.sqls),
                "bytes": len(response.content),
                "inproc_ms": round(elapsed * 1000, 1),
            }
            print(endpoint["name"], result[endpoint["name"]], file=sys.stderr)
            if show_sql:
                shapes = Counter(re.sub(r"\b\d+\b", "N", q)[:160] for q in counter.sqls)
                for shape, n in shapes.most_common(5):
                    print(f"    {n:>6} x {shape}", file=sys.stderr)
    finally:
        # Only this counter's token: bench/run.py's wrk runs use the one bench/session.py made.
        cleanup(tokens=False)
        drop_token(token)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
