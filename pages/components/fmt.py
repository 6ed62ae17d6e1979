"""Language-aware formatting of money, shares, numbers, dates and day counts; None/NaN become "—"."""

from __future__ import annotations

import datetime as dt
import math

from pages.components.i18n import lang

DASH = "—"
WAN = 10_000.0


def _missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return bool(math.isnan(x))  # type: ignore[arg-type]
    except TypeError:
        return str(x) in ("NaT", "<NA>", "nan")


def money(yuan: float | None) -> str:
    """zh: "1,234.56 万元"; en: "CNY 12,345,600"."""
    if _missing(yuan):
        return DASH
    value = float(yuan)  # type: ignore[arg-type]
    if lang() == "zh":
        return f"{value / WAN:,.2f} 万元"
    return f"CNY {value:,.0f}"


def money_wan(yuan: float | None) -> float:
    """The amount in 万元 (tables and axes in Chinese); NaN when missing."""
    if _missing(yuan):
        return math.nan
    return float(yuan) / WAN  # type: ignore[arg-type]


def pct(x: float | None, digits: int = 1) -> str:
    """A share 0..1 as a percentage: 0.456 -> "45.6%"."""
    if _missing(x):
        return DASH
    return f"{float(x) * 100:.{digits}f}%"  # type: ignore[arg-type]


def num(x: float | None, digits: int = 0) -> str:
    if _missing(x):
        return DASH
    return f"{float(x):,.{digits}f}"  # type: ignore[arg-type]


def date(d: dt.date | dt.datetime | str | None) -> str:
    """zh: "2026年11月23日"; en: "23 Nov 2026"."""
    if d is None or _missing(d):
        return DASH
    if isinstance(d, str):
        try:
            day = dt.date.fromisoformat(d[:10])
        except ValueError:
            return d
    else:
        day = d.date() if isinstance(d, dt.datetime) else d  # pandas Timestamp is a datetime too
    if lang() == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day:%b} {day.year}"


def days(n: float | None) -> str:
    """A signed day count: "+5 天" / "+5 d"; "0 天" for zero."""
    if _missing(n):
        return DASH
    value = int(round(float(n)))  # type: ignore[arg-type]
    sign = "+" if value > 0 else ""
    unit = "天" if lang() == "zh" else "d"
    return f"{sign}{value} {unit}"
