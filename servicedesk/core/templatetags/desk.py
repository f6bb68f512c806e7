from django import template
from django.template import engines
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from servicedesk.core.reversing import fixed_url as _fixed_url
from servicedesk.core.users import display_name as _display_name

register = template.Library()


@register.filter
def display_name(user) -> str:
    """{{ record.assignee|display_name }}: the one way a person is named in templates."""
    return _display_name(user)


@register.filter
def duration_text(value) -> str:
    """{{ took|duration_text }}: a timedelta as "2 d 3 h", "3 h 5 min" or "4 min", the two
    largest units only (how long a step took, not a stopwatch)."""
    if value is None:
        return ""
    minutes = max(int(value.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": mins}
    return _("%(m)d min") % {"m": mins}


@register.simple_tag
def fixed_url(name: str) -> str:
    """{% fixed_url "core:account" %}: {% url %} for an address without arguments, reversed once
    per process (servicedesk/core/reversing.py)."""
    return _fixed_url(name)


@register.simple_tag(takes_context=True)
def rows(context, template_name: str, **values) -> SafeString:
    """{% rows "tickets/record_rows.html" rows=page.object_list %}: a list's rows rendered by the
    Jinja2 engine (servicedesk/core/jinja_env.py), which autoescapes everything it outputs just as
    a Django template does, so its output is marked safe as Django marks its own renders."""
    template = engines["rows"].get_template(template_name)
    return SafeString(template.render(values))
