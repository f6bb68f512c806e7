from django import template

from ..contactpoints import phone_display

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """+8613800138000 → 138 0013 8000, the way people read and dial it."""
    return phone_display(value) if value and value.startswith("+") else value
