"""ORM queries compiled to SQL once per process, for the few that every page runs.

Building and compiling a queryset (its Query, the lookups, the SQL compiler) costs more Python
than the database spends answering it: 0.3-0.5 ms against 0.1-0.2 ms for a primary-key read
(bench/where_time_goes.py). The signed-in user and the unread badge are read on every page, so
their queries are written with the ORM as usual, compiled once per database connection alias
with stand-in values, and run with the real values.

Only for queries whose SQL text cannot depend on the values: single-value comparisons, not
`__in` lists or values that change the shape (None becomes IS NULL).
"""

from collections.abc import Callable

from django.db import connections
from django.db.models import Func, IntegerField, QuerySet

# Stand-ins no real id or parameter of these queries takes.
_STAND_IN_BASE = -(2**31) + 7919
# COUNT(*) as a plain expression: Count() in values() would group by the primary key.
_COUNT = Func(template="COUNT(*)", output_field=IntegerField())


class _Slot(str):
    """Where a value goes among the parameters (a type of its own: no real parameter is one)."""


class CompiledQuery:
    """`build(**stand_ins)` returns the queryset; each stand-in is an int the query compares a
    column with. `count=True` compiles the count of its rows instead of the rows."""

    def __init__(self, build: Callable[..., QuerySet], *names: str, count: bool = False):
        self._build = build
        self._names = names
        self._count = count
        self._compiled: dict[str, tuple[QuerySet, str, list]] = {}

    def _compile(self, using: str):
        stand_ins = {name: _STAND_IN_BASE + i for i, name in enumerate(self._names)}
        queryset = self._build(**stand_ins)
        if self._count:
            queryset = queryset.order_by().values(n=_COUNT)
        sql, params = queryset.query.get_compiler(using).as_sql()
        by_value = {value: _Slot(name) for name, value in stand_ins.items()}
        slots = [by_value.get(p, p) if type(p) is int else p for p in params]
        found = [slot for slot in slots if type(slot) is _Slot]
        if sorted(found) != sorted(self._names):
            raise ValueError(f"each stand-in must be one parameter of the query: {found}")
        self._compiled[using] = compiled = (queryset, sql, slots)
        return compiled

    def _parts(self, values: dict, using: str):
        queryset, sql, slots = self._compiled.get(using) or self._compile(using)
        params = [values[slot] if type(slot) is _Slot else slot for slot in slots]
        return queryset, sql, params

    def instances(self, using: str = "default", **values) -> list:
        """The rows as model instances, with the queryset's annotations as attributes."""
        queryset, sql, params = self._parts(values, using)
        return list(queryset.model._default_manager.db_manager(using).raw(sql, params))

    def scalar(self, using: str = "default", **values):
        """The first column of the first row (None without a row)."""
        _queryset, sql, params = self._parts(values, using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return row[0] if row else None
