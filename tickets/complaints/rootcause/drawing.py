"""The fishbone's geometry: numbers computed here, drawn by tickets/rootcause/fishbone.html.

Only integers and plain texts leave this module; the template escapes every text, so nothing a
person typed is ever marked safe. Bones pair up above and below the spine in the bones' own order
(the same place in every period, so two fishbones compare at a glance), each slanting back
towards the tail; a bone's length and stroke grow with its count.
"""

import math
import unicodedata

WIDTH, HEIGHT = 900, 380
SPINE_Y = 190
TAIL_X, HEAD_X = 20, 690  # the spine runs from the tail to where the head begins
HEAD_W = 190
MIN_LEN, MAX_LEN = 70, 160
MIN_STROKE, MAX_STROKE = 2, 12
SLANT = math.radians(60)
HEAD_LINE_WIDTH = 24  # in half-width characters (a Chinese character counts two)
HEAD_LINES = 4


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def wrap(text: str, *, width: int = HEAD_LINE_WIDTH, lines: int = HEAD_LINES) -> list[str]:
    """Greedy wrapping for the head: at spaces in Latin text, anywhere between Chinese
    characters; past `lines` lines the last one ends with an ellipsis."""
    out, line, used = [], "", 0
    tokens = []
    for word in text.split():
        if any(_width(ch) == 2 for ch in word):
            tokens.extend(word)  # Chinese breaks between any two characters
        else:
            tokens.append(word)
    for token in tokens:
        size = sum(_width(ch) for ch in token)
        gap = 1 if line and size > 0 and _width(token[0]) == 1 and _width(line[-1]) == 1 else 0
        if line and used + gap + size > width:
            out.append(line)
            line, used, gap = "", 0, 0
        line += " " * gap + token
        used += gap + size
    if line:
        out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: max(1, len(out[-1]) - 1)] + "…"
    return out


def fishbone(rows: list[dict], *, head: list[str]) -> dict:
    """rows: [{"label", "count", "href"}] in bone order; head: the lines written at the head.
    Returns what the template draws: the spine, the head and one line and label per bone."""
    most = max((r["count"] for r in rows), default=0)
    columns = max(1, math.ceil(len(rows) / 2))
    step = (HEAD_X - TAIL_X - MAX_LEN * math.cos(SLANT)) / columns
    bones = []
    for i, row in enumerate(rows):
        weight = row["count"] / most if most else 0
        length = MIN_LEN + (MAX_LEN - MIN_LEN) * weight
        x1 = HEAD_X - 10 - step * (i // 2)
        above = i % 2 == 0
        x2 = x1 - length * math.cos(SLANT)
        y2 = SPINE_Y - length * math.sin(SLANT) if above else SPINE_Y + length * math.sin(SLANT)
        bones.append(
            {
                **row,
                "x1": round(x1),
                "y1": SPINE_Y,
                "x2": round(x2),
                "y2": round(y2),
                "stroke": round(MIN_STROKE + (MAX_STROKE - MIN_STROKE) * weight) or 1,
                "empty": row["count"] == 0,
                "label_x": round(x2),
                "label_y": round(y2 - 10) if above else round(y2 + 22),
            }
        )
    lines = head[:HEAD_LINES]
    first_y = SPINE_Y - (len(lines) - 1) * 9  # 18 between lines, centred on the spine
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "spine": {"x1": TAIL_X, "x2": HEAD_X, "y": SPINE_Y},
        "head": {
            "x": HEAD_X,
            "cx": HEAD_X + HEAD_W // 2,
            "points": (
                f"{HEAD_X},{SPINE_Y - 70} {HEAD_X + HEAD_W - 30},{SPINE_Y - 70} "
                f"{HEAD_X + HEAD_W},{SPINE_Y} {HEAD_X + HEAD_W - 30},{SPINE_Y + 70} "
                f"{HEAD_X},{SPINE_Y + 70}"
            ),
            "lines": [{"text": t, "y": first_y + 18 * n + 5} for n, t in enumerate(lines)],
        },
        "bones": bones,
    }


def shares(rows: list[dict]) -> list[dict]:
    """Each row's share of the total, in whole percent (for the table under the drawing)."""
    total = sum(r["count"] for r in rows)
    return [{**r, "share": round(100 * r["count"] / total) if total else 0} for r in rows]
