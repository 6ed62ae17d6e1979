"""Links between tasks as MS Project grids write them: `3FS+2 个工作日`, `5SS`, `7FF-1d`, `4SF+3ed`, `2FS+50%`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# --------------------------------------------------------------------------------------------- link text
_TYPE_WORDS = {
    "FS": "FS",
    "SS": "SS",
    "FF": "FF",
    "SF": "SF",
    "完成-开始": "FS",
    "开始-开始": "SS",
    "完成-完成": "FF",
    "开始-完成": "SF",
    "完成开始": "FS",
    "开始开始": "SS",
    "完成完成": "FF",
    "开始完成": "SF",
}
# unit word -> (kind, factor): kind d = working days, ed = elapsed (calendar) days, % = share of the predecessor
_UNITS: dict[str, tuple[str, float]] = {}
for _words, _kind, _factor in (
    (("", "d", "day", "days", "dy", "天", "日", "工作日", "个工作日", "wd", "工日"), "d", 1.0),
    (("w", "wk", "week", "weeks", "周", "个工作周", "工作周", "星期"), "d", 5.0),
    (("h", "hr", "hrs", "hour", "hours", "小时", "个工时", "工时"), "d", 1 / 8),
    (("mo", "mon", "month", "months", "月", "个月", "工作月"), "d", 20.0),
    (("ed", "eday", "edays", "elapsed day", "elapsed days", "历天", "日历天", "个日历天", "日历日", "e天"), "ed", 1.0),
    (("ew", "ewk", "eweek", "eweeks", "日历周", "个日历周"), "ed", 7.0),
    (("eh", "ehr", "ehour", "ehours", "日历小时"), "ed", 1 / 24),
    (("%",), "%", 1.0),
):
    for _w in _words:
        _UNITS[_w] = (_kind, _factor)

_TYPE_RE = "|".join(sorted((re.escape(k) for k in _TYPE_WORDS), key=len, reverse=True))
_LINK_RE = re.compile(
    rf"^(?P<id>.+?)\s*(?:(?P<type>{_TYPE_RE})\s*(?:(?P<sign>[+\-－＋])\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[^\d\s].*?)?)?)?\s*$",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"[,;，；、]")


@dataclass(frozen=True)
class Link:
    """One predecessor link of a task: predecessor id, type, lag and the lag's unit (d, ed or %)."""

    pred: str
    type: str = "FS"
    lag: float = 0.0
    unit: str = "d"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.pred, "type": self.type, "lag": self.lag, "unit": self.unit}


class LinkError(ValueError):
    """A predecessor cell whose lag unit is not understood (the importer names the cell)."""


def clean_id(ident: str) -> str:
    ident = ident.strip()
    if ident.endswith(".0") and ident[:-2].isdigit():  # ids that went through a float column in Excel
        ident = ident[:-2]
    return ident


def parse_links(text: object) -> list[Link]:
    """Links in an MS Project predecessor cell: `3`, `3FS+2 个工作日`, `5SS`, `7FF-1d`, `4SF+3ed`, `2FS+50%`.

    Separators , ; 、 (also full-width). Lags in working days (d, 天, 个工作日, w = 5 days, h = 1/8 day), elapsed
    days (ed, 日历天, ew = 7) or percent of the predecessor's duration. An unknown unit raises LinkError.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    links: list[Link] = []
    for part in _SPLIT.split(str(text)):
        part = part.strip()
        if not part:
            continue
        if part.isdigit():  # the common case: a plain task number, finish-to-start
            links.append(Link(part))
            continue
        m = _LINK_RE.match(part)
        if m is None:
            links.append(Link(clean_id(part)))
            continue
        kind = _TYPE_WORDS.get((m.group("type") or "FS").upper(), _TYPE_WORDS.get(m.group("type") or "", "FS"))
        lag, unit = 0.0, "d"
        if m.group("num") is not None:
            word = (m.group("unit") or "").strip().lower().rstrip("?")
            if word not in _UNITS:
                raise LinkError(f"无法识别的间隔单位「{m.group('unit')}」(于「{part}」) / unknown lag unit in '{part}'")
            unit, factor = _UNITS[word]
            lag = float(m.group("num")) * factor * (-1.0 if m.group("sign") in ("-", "－") else 1.0)
        ident = clean_id(m.group("id"))
        if ident:
            links.append(Link(ident, kind, lag, unit))
    return links


def links_json(links: Sequence[Link]) -> str | None:
    """The canonical text kept in the store (task_rows.links): a JSON list of {id, type, lag, unit}."""
    return json.dumps([lk.as_dict() for lk in links], ensure_ascii=False) if links else None


def link_text(link: dict[str, Any]) -> str:
    """MS Project's own grid form of a link {id, type, lag, unit}: `12`, `12SS`, `12FS+2d`, `12FF-1ed`, `12SF+50%`."""
    lag = float(link["lag"])
    kind = str(link["type"])
    if lag == 0:
        return str(link["id"]) + ("" if kind == "FS" else kind)
    return f"{link['id']}{kind}{lag:+g}{link['unit']}"
