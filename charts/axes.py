"""Time axes in the user's language: Chinese date formats for Plotly (its own month names are English only)."""

from __future__ import annotations

from typing import Any

DAY_MS = 86_400_000

# d3 time formats by zoom level (dtick range): days, months, years. "%-m" is the month without a leading zero.
_ZH_STOPS: list[dict[str, Any]] = [
    {"dtickrange": [None, "M1"], "value": "%-m月%-d日"},
    {"dtickrange": ["M1", "M12"], "value": "%Y年%-m月"},
    {"dtickrange": ["M12", None], "value": "%Y年"},
]


def date_axis(lang: str) -> dict[str, Any]:
    """Settings for a date x axis (`fig.update_xaxes(**date_axis(lang))`): in Chinese, ticks such as 2026年3月 or
    3月5日 and hover dates as 2026年3月5日; in English, Plotly's own (Mar 2026, Mar 5)."""
    if lang != "zh":
        return {"hoverformat": "%d %b %Y"}
    return {"tickformatstops": _ZH_STOPS, "hoverformat": "%Y年%-m月%-d日"}


def month_axis(lang: str) -> dict[str, Any]:
    """A date x axis of monthly points: ticks and hover as 2026年3月 (zh) or Mar 2026 (en)."""
    if lang != "zh":
        return {"hoverformat": "%b %Y"}
    return {"tickformatstops": _ZH_STOPS, "hoverformat": "%Y年%-m月"}
