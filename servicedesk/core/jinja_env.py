"""The Jinja2 environment for the hot loops: the rows of the long lists.

Django's template language walks its node tree in Python for every variable of every row; at
25 rows of ten columns that was a large part of a list page's time (bench/where_time_goes.py).
The page's shell stays in Django templates; its rows are rendered by Jinja2 (`{% rows "…" %}`,
desk tags), which compiles templates to Python code. Autoescaping is on, as in Django templates,
and the filters below mirror the Django ones the rows use, so a row reads the same in both.
"""

from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import template_localtime
from jinja2 import Environment

from . import choices, datefmt
from .users import display_name


def date(value, fmt: str = "SHORT_DATETIME_FORMAT") -> str:
    """As Django's |date: in the active time zone and the active language's format."""
    if value in (None, ""):
        return ""
    return datefmt.date_format(template_localtime(value), fmt)


def url(name: str, *args) -> str:
    return reverse(name, args=args)


def id_url(name: str):
    """pk -> the address of URL `name` (one id argument), reversed once per page rather than
    once per row (~35 µs each): a list row calls the returned function."""
    marker = "2147483647"  # the largest id, so a URL pattern that checks ids still matches
    head, tail = reverse(name, args=[int(marker)]).rsplit(marker, 1)
    return lambda pk: f"{head}{pk}{tail}"


def label(obj, field_name: str) -> str:
    """{{ r|label("status") }}: r.get_status_display(), without its cost (core.choices)."""
    return choices.label(type(obj), field_name, getattr(obj, field_name))


def environment(**options) -> Environment:
    options.setdefault("autoescape", True)
    env = Environment(**options)  # noqa: S701 - autoescape is set above
    # {{ _("Breached") }} follows the active language, as {% translate %} does, and
    # makemessages finds it (it reads _("…") constants in any .html file). Placeholders go through
    # |format: {{ _("Select %(ref)s")|format(ref=r.reference) }}, escaped as a whole on output.
    env.globals.update(
        _=translation.gettext,
        ngettext=translation.ngettext,
        url=url,
        id_url=id_url,
        static=static,
    )
    env.filters.update(date=date, display_name=display_name, label=label)
    return env
