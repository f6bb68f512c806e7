"""Choice labels without get_FOO_display, which rebuilds and hashes the field's whole choice
list on every call (75 calls on a list page of 25 rows)."""

import functools


@functools.cache
def _labels(model, field_name: str) -> dict:
    # value -> lazy label, read once per process; str() translates the lazy label into the
    # language active when it is shown.
    return dict(model._meta.get_field(field_name).flatchoices)


def label(model, field_name: str, value) -> str:
    """The label of `value` among model.field_name's choices, as get_FOO_display gives it."""
    return str(_labels(model, field_name).get(value, value))
