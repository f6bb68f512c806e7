"""Reading query plans in the EXPLAIN tests (tests/*/test_*plans.py), on PostgreSQL.

A few thousand rows still make a sequential scan look cheap, so plans are read with sequential
scans priced out: the tests ask "can an index serve this?", not "is the table small?".
"""

import json

import pytest
from django.db import connection


class Caught(Exception):
    """Raised instead of running the query a test wants explained."""


def caught(call, table: str) -> tuple[str, list]:
    """The first SELECT that reads `table` while `call()` runs, stopped before it is sent."""
    seen = []

    def stop(execute, sql, params, many, context):
        reads = sql.lstrip().upper().startswith(("SELECT", "WITH"))  # WITH: a statement's parts
        if reads and f'FROM "{table}"' in sql:
            seen.append((sql, params))
            raise Caught
        return execute(sql, params, many, context)

    with connection.execute_wrapper(stop), pytest.raises(Caught):
        call()
    return seen[0]


def plan_of(sql: str, params, *, walk: bool = False) -> dict:
    """`walk`: also price out bitmap scans, for a test that asks whether an ordered page can be
    one index walk. On a few thousand rows, collecting every visible row by a bitmap and sorting
    them can look as cheap as the walk, and which one wins then turns on the statistics left by
    the tests that ran before; at a million rows only the walk is cheap."""
    with connection.cursor() as cursor:
        # Priced out, a sequential scan still appears if no index can serve the query.
        cursor.execute("SET LOCAL enable_seqscan = off")
        if walk:
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        raw = cursor.fetchone()[0]
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def plan(qs, *, walk: bool = False) -> dict:
    return plan_of(*qs.query.sql_with_params(), walk=walk)


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)
