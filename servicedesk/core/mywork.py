"""Panels of the My work page. Apps above core register theirs from AppConfig.ready().

A panel's loader gets the user and returns the template context; it must run a bounded number of
queries whatever the amount of work (the page's query count is pinned in tests).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    loader: Callable[[object], dict]
    order: int = 100


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    """Register (or replace, by key) a panel."""
    _panels[panel.key] = panel


def panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


def render_context(user) -> list[dict]:
    return [{"key": p.key, "template": p.template, **p.loader(user)} for p in panels()]
