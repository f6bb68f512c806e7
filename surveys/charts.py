"""The results pages' charts: server-rendered SVG, drawn here from figures surveys.results computed.

No JavaScript and no chart library: a manager sees the chart at once, a screen reader hears its
title and description (role="img" with <title>/<desc>), and the page beside it gives the same
figures as a table. Every text, a template's question or option included, goes through
format_html, which escapes it; nothing is marked safe by hand.
"""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join

BAR_W = 34
GAP = 10
PLOT_H = 120
TOP = 22  # room for the figure above the tallest bar
BOTTOM = 28  # room for the labels under the bars
LABEL_CHARS = 30


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: nothing to draw (no answers), shown as "—"
    text: str  # the figure as the page shows it
    tone: str = ""  # a CSS class: "low", "mid", "high", "weakest"


def _join(parts) -> str:
    return format_html_join("", "{}", ((p,) for p in parts))


def _short(label: str, chars: int = LABEL_CHARS) -> str:
    label = str(label)
    return label if len(label) <= chars else label[: chars - 1] + "…"


def _svg(width: int, height: int, uid: str, title: str, desc: str, body) -> str:
    return format_html(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" '
        'role="img" aria-labelledby="{}-t {}-d" preserveAspectRatio="xMinYMin meet">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}</svg>',
        width,
        height,
        uid,
        uid,
        uid,
        title,
        uid,
        desc,
        body,
    )


def columns(bars: list[Bar], *, uid: str, title: str, desc: str) -> str:
    """Vertical bars, one per value (a score distribution), each with its figure above it."""
    top = max((b.value or 0 for b in bars), default=0) or 1
    width = GAP + len(bars) * (BAR_W + GAP)
    height = TOP + PLOT_H + BOTTOM
    parts = [
        format_html(
            '<line class="axis" x1="0" y1="{}" x2="{}" y2="{}"/>', TOP + PLOT_H, width, TOP + PLOT_H
        )
    ]
    for n, bar in enumerate(bars):
        x = GAP + n * (BAR_W + GAP)
        h = round((bar.value or 0) / top * PLOT_H, 1)
        y = TOP + PLOT_H - h
        parts.append(
            format_html(
                '<g class="bar {}"><rect x="{}" y="{}" width="{}" height="{}"/>'
                '<text class="figure" x="{}" y="{}" text-anchor="middle">{}</text>'
                '<text class="label" x="{}" y="{}" text-anchor="middle">{}</text></g>',
                bar.tone,
                x,
                y,
                BAR_W,
                h,
                x + BAR_W / 2,
                y - 5,
                bar.text,
                x + BAR_W / 2,
                TOP + PLOT_H + 18,
                _short(bar.label, 8),
            )
        )
    return _svg(width, height, uid, title, desc, _join(parts))


def rows(
    bars: list[Bar], *, uid: str, title: str, desc: str, scale: float = 1.0, note: str = ""
) -> str:
    """Horizontal bars, one per line (results by aim, satisfaction per link of the chain): the
    label at the left, the bar, its figure; a bar with tone "weakest" also says `note`."""
    label_w, plot_w, figure_w, line_h = 200, 260, 140, 26
    width = label_w + plot_w + figure_w
    height = max(len(bars), 1) * line_h + 6
    parts = []
    for n, bar in enumerate(bars):
        y = 4 + n * line_h
        w = round(max(bar.value or 0, 0) / (scale or 1) * plot_w, 1)
        figure = f"{bar.text} · {note}" if bar.tone == "weakest" and note else bar.text
        parts.append(
            format_html(
                '<g class="bar {}"><text class="label" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="track" x="{}" y="{}" width="{}" height="18"/>'
                '<rect x="{}" y="{}" width="{}" height="18"/>'
                '<text class="figure" x="{}" y="{}">{}</text></g>',
                bar.tone,
                label_w - 8,
                y + 14,
                _short(bar.label),
                label_w,
                y,
                plot_w,
                label_w,
                y,
                w,
                label_w + plot_w + 6,
                y + 14,
                figure,
            )
        )
    return _svg(width, height, uid, title, desc, _join(parts))


@dataclass(frozen=True)
class Point:
    label: str  # the week, short
    count: int  # answers that week
    share: float | None  # CSAT that week, 0..1; None: no rated answer


def trend(
    points: list[Point], *, uid: str, title: str, desc: str, count_label: str, share_label: str
) -> str:
    """Answers per week as bars (left scale) and CSAT as a line (right scale, 0-100%); a week
    without a rated answer leaves a gap in the line, not a drop to 0."""
    step, left, right = 28, 40, 48
    width = left + max(len(points), 1) * step + right
    height = TOP + PLOT_H + BOTTOM + 14
    base = TOP + PLOT_H
    top = max((p.count for p in points), default=0) or 1
    parts = [
        format_html(
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>', left, base, width - right, base
        ),
        format_html(
            '<text class="scale" x="{}" y="{}" text-anchor="end">{}</text>'
            '<text class="scale" x="{}" y="{}" text-anchor="end">0</text>'
            '<text class="scale share" x="{}" y="{}">100%</text>'
            '<text class="scale share" x="{}" y="{}">0%</text>',
            left - 4, TOP + 4, top, left - 4, base,
            width - right + 4, TOP + 4, width - right + 4, base,
        ),
        format_html(
            '<text class="legend" x="{}" y="{}">▮ {}</text>'
            '<text class="legend share" x="{}" y="{}">● {}</text>',
            left, height - 2, count_label, left + 150, height - 2, share_label,
        ),
    ]  # fmt: skip
    segments, current = [], []
    every = max(1, len(points) // 7)  # at most about eight dates under the axis
    for n, p in enumerate(points):
        x = left + n * step + step / 2
        h = round(p.count / top * PLOT_H, 1)
        parts.append(
            format_html(
                '<rect class="count" x="{}" y="{}" width="{}" height="{}"/>',
                x - step * 0.35, base - h, step * 0.7, h,
            )
        )  # fmt: skip
        if n % every == 0:
            parts.append(
                format_html(
                    '<text class="label" x="{}" y="{}" text-anchor="middle">{}</text>',
                    x, base + 16, p.label,
                )
            )  # fmt: skip
        if p.share is None:
            if current:
                segments.append(current)
            current = []
            continue
        y = round(base - p.share * PLOT_H, 1)
        current.append((x, y))
        parts.append(format_html('<circle class="share" cx="{}" cy="{}" r="3"/>', x, y))
    if current:
        segments.append(current)
    for segment in segments:
        if len(segment) > 1:
            points_attr = " ".join(f"{x},{y}" for x, y in segment)
            parts.append(format_html('<polyline class="share" points="{}"/>', points_attr))
    return _svg(width, height, uid, title, desc, _join(parts))
