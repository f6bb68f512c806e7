"""The dashboard's charts, drawn by surveys.charts (server-rendered SVG, every text escaped).

A bar that drills down is its own one-bar drawing of surveys.charts.rows, all on one scale, inside
a link: stacked, they read as one chart, and each bar is a link the keyboard reaches, with the
figure and its label as its accessible name.
"""

from dataclasses import dataclass

from surveys import charts

from .kpis import Unit, shown


@dataclass(frozen=True)
class LinkedBar:
    svg: str
    href: str
    label: str
    text: str


def linked_rows(
    items: list[dict], *, uid: str, title: str, value: str, text, tone=None, note: str = ""
) -> list[LinkedBar]:
    """items: dicts with "label", "href" and the `value` key; `text(item)` the figure shown;
    `tone(item)` a surveys.charts tone ("weakest" adds `note`). One scale for all bars."""
    scale = max((item[value] or 0 for item in items), default=0) or 1
    bars = []
    for n, item in enumerate(items):
        figure = text(item)
        bar = charts.Bar(item["label"], item[value], figure, tone(item) if tone else "")
        svg = charts.rows(
            [bar], uid=f"{uid}-{n}", title=title, desc=f"{item['label']}: {figure}", scale=scale,
            note=note,
        )  # fmt: skip
        bars.append(LinkedBar(svg, item["href"], str(item["label"]), figure))
    return bars


def percent(share: float | None) -> str:
    """A share as the tiles and the CSV write a rate (kpis.shown)."""
    return shown(share, Unit.RATE)


def trend(weeks: list[dict], *, title: str, count_label: str, share_label: str) -> str | None:
    """Records per week (bars) and CSAT (line); None for a period without a record."""
    if not any(w["records"] for w in weeks):
        return None
    points = [
        charts.Point(f"{w['start'].month}/{w['start'].day}", w["records"], w["csat"]) for w in weeks
    ]
    return charts.trend(
        points,
        uid="dash-trend",
        title=title,
        desc="; ".join(
            f"{w['start'].isoformat()}: {w['records']} / {percent(w['csat'])}" for w in weeks
        ),
        count_label=count_label,
        share_label=share_label,
    )
