"""How people are named on every page, e-mail and API body: one rule, no query."""

import re

# CJK unified ideographs (and extension A): a Chinese name is written family name first, unspaced.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def display_name(user) -> str:
    """ "王丽" for first_name 丽 / last_name 王, "Li Wang" for Li / Wang, else the login."""
    if user is None:
        return ""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if _CJK.search(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip() or user.get_username()
