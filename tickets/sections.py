"""Panels that apps above tickets add to the record page (followups: the record's callbacks),
registered from their AppConfig.ready() so tickets names no app above it."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RecordSection:
    key: str
    title: str
    template: str  # included with the loader's dict as `section` and the page's `record`
    loader: Callable[[object, object], dict]  # (record, user) -> dict, a fixed number of queries
    order: int = 100


_sections: dict[str, RecordSection] = {}


def register(section: RecordSection) -> None:
    _sections[section.key] = section


def render_context(record, user) -> list[dict]:
    return [
        {"key": s.key, "title": s.title, "template": s.template, "data": s.loader(record, user)}
        for s in sorted(_sections.values(), key=lambda s: (s.order, s.key))
    ]
