"""Lean list output: a list page's rows read as values and written in the output serializer's
shape, without a model instance or a bound serializer per row.

A ModelSerializer walks every field of every row through get_attribute / to_representation, and
the rows behind it are model instances joined by select_related (five or more per row): together
most of an API list's time at 1M records (bench/where_time_goes.py). The serializer classes stay
the documented schema (drf-spectacular) and the shape of every other answer; a list reads its
columns with `.values()` and writes each item through a `Shape` taken from the same serializer:

- a leaf field (a column) answers the column's value through the serializer field's own
  `to_representation` (dates, times, decimals, blank-as-null choices), or as it is where DRF
  would answer it unchanged (strings, integers, booleans, string choices, primary keys);
- a nested or computed field (a customer reference, a due state) is worked out by the list's own
  code into the row before the items are written, under the field's name.

Each app's tests hold its list's items equal to its serializer's output for the same rows
(tests/*/test_api_fast*.py).
"""

from collections.abc import Iterable, Mapping

from rest_framework import fields, relations, serializers
from rest_framework.response import Response

from ..models import bilingual
from ..users import person_name

# Field classes whose to_representation answers a database value of their type unchanged
# (str(s), int(i), a bool, a string choice's own value). A subclass overriding it is not here.
_AS_IS = {
    fields.CharField.to_representation,
    fields.IntegerField.to_representation,
    fields.BooleanField.to_representation,
}


def _converter(field):
    method = type(field).to_representation
    if method in _AS_IS:
        return None
    if method is fields.ChoiceField.to_representation and all(
        isinstance(key, str) for key in field.choice_strings_to_values
    ):
        return None
    if isinstance(field, relations.PrimaryKeyRelatedField) and field.pk_field is None:
        return None  # `.values("contact")` reads the key itself, as the pk-only optimisation
    if isinstance(
        field,
        serializers.BaseSerializer
        | fields.SerializerMethodField
        | relations.RelatedField
        | relations.ManyRelatedField,
    ):
        raise TypeError(f"{field.field_name}: a nested or related field is computed into the row")
    return field.to_representation


class Shape:
    """The fields of `serializer_class`, in its order, read from a row dict.

    `columns` maps a field to the row key it is read from when the names differ (a related
    column: "customer__name"); `computed` names the fields the list puts into the row itself,
    ready to answer (nested references, method fields)."""

    def __init__(
        self,
        serializer_class,
        *,
        columns: Mapping[str, str] | None = None,
        computed: Iterable[str] = (),
    ):
        self.serializer_class = serializer_class
        self.columns = dict(columns or {})
        self.computed = frozenset(computed)
        self._plan = None

    @property
    def plan(self) -> list[tuple[str, str, object]]:
        # Built on first use: a ModelSerializer's fields need the app registry ready.
        if self._plan is None:
            declared = self.serializer_class().fields
            unknown = self.computed - set(declared)
            if unknown:
                raise ValueError(f"not fields of {self.serializer_class.__name__}: {unknown}")
            self._plan = [
                (
                    name,
                    self.columns.get(name, name),
                    None if name in self.computed else _converter(field),
                )
                for name, field in declared.items()
            ]
        return self._plan

    def item(self, row: Mapping) -> dict:
        out = {}
        for name, key, convert in self.plan:
            value = row[key]
            out[name] = value if value is None or convert is None else convert(value)
        return out

    def items(self, rows: Iterable[Mapping]) -> list[dict]:
        item = self.item
        return [item(row) for row in rows]


def department_ref(pk, code, name_en, name_zh) -> dict | None:
    """DepartmentRefSerializer's item from its columns (its `name` is the bilingual one)."""
    if pk is None:
        return None
    return {
        "id": pk,
        "code": code,
        "name": bilingual(name_en, name_zh),
        "name_en": name_en,
        "name_zh": name_zh,
    }


def user_ref(pk, username, first_name, last_name) -> dict | None:
    """UserRefSerializer's item from its columns (`name` is users.display_name's rule)."""
    if pk is None:
        return None
    return {"id": pk, "username": username, "name": person_name(first_name, last_name, username)}


def department_columns(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}__{c}" for c in ("id", "code", "name_en", "name_zh"))


def user_columns(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}__{c}" for c in ("id", "username", "first_name", "last_name"))


def department_of(row: Mapping, prefix: str) -> dict | None:
    return department_ref(*(row[c] for c in department_columns(prefix)))


def user_of(row: Mapping, prefix: str) -> dict | None:
    return user_ref(*(row[c] for c in user_columns(prefix)))


def paginate_values(view, queryset, columns: Iterable[str]):
    """The page's rows as dicts of `columns`, by the view's pagination (the cursor reads the
    ordering's first column from the dict, so it must be among them)."""
    rows = queryset.values(*columns)
    page = view.paginate_queryset(rows)
    return list(rows) if page is None else page


def respond(view, items: list):
    """The paginated answer, or the plain list when the view has no pagination."""
    if view.paginator is None:
        return Response(items)
    return view.get_paginated_response(items)
