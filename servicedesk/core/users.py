"""How people are named on every page, e-mail and API body: one rule, no query."""

import re

# CJK unified ideographs (and extension A): a Chinese name is written family name first, unspaced.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def display_name(user) -> str:
    """ "王丽" for first_name 丽 / last_name 王, "Li Wang" for Li / Wang, else the login."""
    if user is None:
        return ""
    return person_name(user.first_name, user.last_name, user.get_username())


def person_name(first_name, last_name, username) -> str:
    """display_name from the three columns, for list rows read as values, not users."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if _CJK.search(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip() or (username or "")


def person_of(values, prefix: str) -> str:
    """person_name of a row's `prefix`__first_name / __last_name / __username columns; "" when
    the row has no such person (a null foreign key reads as a null username)."""
    username = values[f"{prefix}__username"]
    if username is None:
        return ""
    return person_name(values[f"{prefix}__first_name"], values[f"{prefix}__last_name"], username)
