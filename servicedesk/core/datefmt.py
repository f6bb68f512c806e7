"""Django's date formats, compiled once per language and format into a plain Python function.

`django.utils.formats.date_format` parses the format string and builds a DateFormat object for
every value: about 28 µs a date, a fifth of a list row's time. The formats the desk shows (the
SHORT_ and long DATE / DATETIME formats of English and Chinese) use a handful of format
characters, compiled here into a list of parts joined per value. A format with any other
character is left to Django, so the output is always Django's (tests/core/test_datefmt.py
compares them over a year of minutes).
"""

from collections.abc import Callable
from datetime import date

from django.utils import dateformat, formats, translation
from django.utils.dates import MONTHS_AP
from django.utils.translation import gettext

# Django's format characters (django.utils.dateformat.re_formatchars); others are printed as is.
FORMAT_CHARS = frozenset("aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ")
_compiled: dict[tuple[str, str], Callable[[date], str]] = {}


def _ampm_hour(d) -> str:
    """Django's "f": 12-hour time, minutes only when not zero."""
    hour = d.hour % 12 or 12
    return f"{hour}:{d.minute:02d}" if d.minute else str(hour)


def _parts_for(char: str) -> Callable | None:
    """A function of the value for one format character, or None if not compiled here."""
    midnight, noon = gettext("midnight"), gettext("noon")
    am, pm = gettext("a.m."), gettext("p.m.")
    months = {n: str(name) for n, name in MONTHS_AP.items()}

    def meridiem(d) -> str:  # Django's "P"
        if d.minute == 0 and d.hour == 0:
            return midnight
        if d.minute == 0 and d.hour == 12:
            return noon
        return f"{_ampm_hour(d)} {pm if d.hour > 11 else am}"

    return {
        "Y": lambda d: f"{d.year:04d}",
        "y": lambda d: f"{d.year % 100:02d}",
        "m": lambda d: f"{d.month:02d}",
        "n": lambda d: str(d.month),
        "N": lambda d: months[d.month],
        "d": lambda d: f"{d.day:02d}",
        "j": lambda d: str(d.day),
        "H": lambda d: f"{d.hour:02d}",
        "G": lambda d: str(d.hour),
        "i": lambda d: f"{d.minute:02d}",
        "s": lambda d: f"{d.second:02d}",
        "P": meridiem,
    }.get(char)


def _compile(fmt: str) -> Callable[[date], str]:
    parts: list = []
    chars = iter(fmt)
    for char in chars:
        if char == "\\":
            parts.append(next(chars, ""))
        elif char in FORMAT_CHARS:
            part = _parts_for(char)
            if part is None:
                return lambda value: dateformat.format(value, fmt)
            parts.append(part)
        else:
            parts.append(char)
    return lambda value: "".join(p if isinstance(p, str) else p(value) for p in parts)


def formatter(format_name: str, language: str | None = None):
    """The function date_format uses for format_name in `language` (default: the active one):
    a list asks once and calls it for each row."""
    key = (language or translation.get_language() or "", format_name)
    found = _compiled.get(key)
    if found is None:
        found = _compiled[key] = _compile(formats.get_format(format_name, lang=key[0] or None))
    return found


def date_format(value, format_name: str) -> str:
    """As formats.date_format(value, format_name) for a value already in the wanted zone."""
    return formatter(format_name)(value)
