"""Extension points of the 360° page, so `customers` knows no app above it (ARCHITECTURE.md).

Apps above (tickets, followups, surveys) register, from their AppConfig.ready():
- a timeline source: `fn(customer, limit, user) -> iterable[TimelineEntry]`, newest first, one
  query;
- a section: a panel on the 360° page, `loader(customer, user) -> dict`; `template` is included
  with that dict as `section` and the page's `customer`; a fixed number of queries.
Both get the viewing user so each app applies its own visibility rules (an agent must not see
another department's records through the customer page).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from heapq import merge
from itertools import islice


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    kind: str  # short machine key, e.g. "interaction", "record", "complaint"
    title: str
    url: str = ""
    actor: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    template: str
    loader: Callable[[object, object], dict]
    order: int = 100


TimelineSource = Callable[[object, int, object], Iterable[TimelineEntry]]
_sources: dict[str, TimelineSource] = {}
_sections: dict[str, Section] = {}


def register_source(key: str, source: TimelineSource) -> None:
    _sources[key] = source


def register_section(section: Section) -> None:
    _sections[section.key] = section


def sections() -> list[Section]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def customer_timeline(customer, *, user, limit: int = 50) -> list[TimelineEntry]:
    """Every source's newest entries merged, newest first: one query per source, not per row."""
    streams = [list(source(customer, limit, user)) for source in _sources.values()]
    return list(islice(merge(*streams, key=lambda e: e.when, reverse=True), limit))
