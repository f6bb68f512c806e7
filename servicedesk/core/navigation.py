"""The staff shell's sections: a registry each app adds its entry to from AppConfig.ready().

Core registers only its own entries (My work, Admin), so it names no app above it.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .roles import Role


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    roles: tuple[str, ...] = ()  # empty: every desk role
    order: int = 100


_items: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    """Register (or replace, by key) a section of the shell."""
    _items[item.key] = item


def items() -> list[NavItem]:
    return sorted(_items.values(), key=lambda i: (i.order, i.key))


register(NavItem("my_work", _("My work"), "core:my_work", order=0))
register(NavItem("admin", _("Admin"), "core:system", (Role.ADMINISTRATOR,), order=1000))
