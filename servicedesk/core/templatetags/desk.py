from django import template

from servicedesk.core.users import display_name as _display_name

register = template.Library()


@register.filter
def display_name(user) -> str:
    """{{ record.assignee|display_name }}: the one way a person is named in templates."""
    return _display_name(user)
