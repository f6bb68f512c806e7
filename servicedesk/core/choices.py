"""Choice labels without get_FOO_display, which rebuilds and hashes the field's whole choice
list on every call (75 calls on a list page of 25 rows)."""

import functools

from django.utils import translation


@functools.cache
def _labels(model, field_name: str) -> dict:
    # value -> lazy label, read once per process.
    return dict(model._meta.get_field(field_name).flatchoices)


@functools.lru_cache(maxsize=4096)
def _translated(model, field_name: str, value, language: str | None) -> str:
    # Translating a lazy label costs more than the rest of a list row; a page repeats a handful
    # of them, and the catalogues do not change while the process runs.
    return str(_labels(model, field_name).get(value, value))


def label(model, field_name: str, value, language: str | None = None) -> str:
    """The label of `value` among model.field_name's choices, as get_FOO_display gives it, in
    the active language (a list's rows pass the one they asked for once)."""
    return _translated(model, field_name, value, language or translation.get_language())
