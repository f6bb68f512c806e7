"""Who may see a record, kept on the record as one indexed value: its audience.

Visibility was "lead department IN (…) OR an EXISTS over the collaborating departments OR the
assignee": three shapes no one index serves, so at a million records every list scanned the table.
Each record now carries its audience, a JSON object whose keys are "d<id>" for its lead and
collaborating departments and "u<id>" for its assignee. A user sees a record when one of their own
keys is in it: `audience ?| array[…]` on PostgreSQL, served by the GIN index record_audience_gin
when few records match and cheap to test row by row while an ordered index is walked when many do.

The services that change any of the three (record_create, record_assign) write the audience in the
same save; nothing else changes the lead or collaborating departments of a record.
"""

from servicedesk.core.roles import Role, user_role
from servicedesk.core.selectors import user_department_ids


def department_key(department_id: int) -> str:
    return f"d{department_id}"


def user_key(user_id: int) -> str:
    return f"u{user_id}"


def record_audience(*, lead_department_id: int, collaborator_ids=(), assignee_id=None) -> dict:
    # An object, not a list: `has_key` / `has_any_keys` then mean the same on PostgreSQL (`?|`)
    # and on SQLite (JSON_TYPE on a key path), so the demo database needs no second rule.
    keys = [department_key(lead_department_id), *(department_key(pk) for pk in collaborator_ids)]
    if assignee_id is not None:
        keys.append(user_key(assignee_id))
    return dict.fromkeys(sorted(set(keys)), True)


def user_audience_keys(user) -> list[str]:
    """The keys a staff member's records carry: their departments' and their own."""
    return [*(department_key(pk) for pk in user_department_ids(user)), user_key(user.pk)]


def audience_admits(audience: dict, user) -> bool:
    """The same test as the lists' `audience ?| keys`, for a record not yet saved."""
    return any(key in audience for key in user_audience_keys(user))


def audience_visible(queryset, user, *, field: str = "audience"):
    """The rows of `queryset` the user may see by an audience (their own, or a related one's,
    e.g. "record__audience"): administrators all, people without a desk role none, everyone
    else the rows whose audience holds one of their keys. Records, visits and complaints use it."""
    role = user_role(user)
    if role == Role.ADMINISTRATOR:
        return queryset
    if role is None:
        return queryset.none()
    return queryset.filter(**{f"{field}__has_any_keys": user_audience_keys(user)})
