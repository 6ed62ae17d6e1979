"""Operations charts: the SLA compliance heatmap (system × priority), MTTR and backlog trends, incidents per 1,000
active users, inspection completion and the health scorecard. Pure Plotly builders over metrics.operations frames.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from charts.adoption import escape
from charts.axes import date_axis, month_axis

LIGHT_COLOURS = {"green": "#43a047", "amber": "#fb8c00", "red": "#e53935", "none": "#9e9e9e"}
# red at 0 %, amber around the 80s, green from 95 %: compliance far below target should read as red at a glance
SLA_SCALE = [[0.0, "#e53935"], [0.8, "#fb8c00"], [0.9, "#fdd835"], [0.95, "#7cb342"], [1.0, "#2e7d32"]]
_LABELS: dict[str, tuple[str, str]] = {
    "priority": ("优先级", "Priority"),
    "system": ("系统", "System"),
    "compliance": ("达标率", "Compliance"),
    "counted": ("达标 {met} / 计入 {counted}，未到期 {pending}", "met {met} of {counted} counted, {pending} pending"),
    "mttr": ("平均修复时长(小时)", "MTTR (hours)"),
    "open": ("未解决工单", "Open tickets"),
    "per_1000": ("每千活跃用户工单数(月)", "Tickets per 1,000 active users (month)"),
    "completion": ("巡检完成率", "Inspection completion"),
    "score": ("健康评分", "Health score"),
    "month": ("月份", "Month"),
    "week": ("周", "Week"),
    "done": ("已巡检 {done} / 计划 {planned}", "{done} done of {planned} planned"),
}


def _l(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return en if lang == "en" else zh


def _pct(x: object) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{float(x) * 100:.0f}%"  # type: ignore[arg-type]


def sla_heatmap(sla: pd.DataFrame, clock: str = "resolution", lang: str = "zh") -> go.Figure:
    """Compliance of one clock (response / resolution) per system (rows) × priority (columns); each cell shows the
    share and, on hover, met / counted / pending. Empty cells (no ticket counted) stay blank."""
    systems = sorted({str(s) for s in sla["system"].dropna()})
    priorities = sorted({str(p) for p in sla["priority"].dropna()})
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    hover: list[list[str]] = []
    for s in systems:
        zr, tr, hr = [], [], []
        for p in priorities:
            row = sla[(sla["system"] == s) & (sla["priority"] == p)]
            v = float(row[f"{clock}_compliance"].iloc[0]) if len(row) else math.nan
            met = int(row[f"{clock}_met"].iloc[0]) if len(row) else 0
            counted = met + (int(row[f"{clock}_breached"].iloc[0]) if len(row) else 0)
            pending = int(row[f"{clock}_pending"].iloc[0]) if len(row) else 0
            zr.append(None if math.isnan(v) else v)
            tr.append(_pct(v))
            hr.append(_l("counted", lang).format(met=met, counted=counted, pending=pending))
        z.append(zr)
        text.append(tr)
        hover.append(hr)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=priorities,
            y=[escape(s) for s in systems],
            text=text,
            customdata=hover,
            texttemplate="%{text}",
            hovertemplate="%{y} · %{x}<br>%{text}<br>%{customdata}<extra></extra>",
            colorscale=SLA_SCALE,
            zmin=0,
            zmax=1,
            colorbar={"title": {"text": _l("compliance", lang)}, "tickformat": ".0%"},
        )
    )
    fig.update_layout(
        xaxis={"title": {"text": _l("priority", lang)}, "side": "top"},
        yaxis={"title": {"text": _l("system", lang)}, "autorange": "reversed"},
        height=max(240, 60 + 44 * len(systems)),
        margin={"t": 60, "b": 20},
    )
    return fig


def _lines(df: pd.DataFrame, x: str, y: str, lang: str, title: str, axis: str) -> go.Figure:
    fig = go.Figure()
    for system, g in df.groupby("system", sort=True):
        fig.add_trace(go.Scatter(x=g[x], y=g[y], mode="lines+markers", name=escape(system)))
    fig.update_layout(yaxis={"title": {"text": _l(title, lang)}, "rangemode": "tozero"}, legend={"orientation": "h"},
                      margin={"t": 30}, height=360)  # fmt: skip
    fig.update_xaxes(**(month_axis(lang) if axis == "month" else date_axis(lang)))
    return fig


def mttr_trend(mttr: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """MTTR in hours per month of resolution, one line per system."""
    return _lines(mttr, "period", "mttr_hours", lang, "mttr", "month")


def backlog_trend(backlog: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Open tickets at the end of each week, stacked per system (the total is the programme's backlog)."""
    fig = go.Figure()
    for system, g in backlog.groupby("system", sort=True):
        fig.add_trace(go.Scatter(x=g["period"], y=g["open"], mode="lines", stackgroup="1", name=escape(system)))
    fig.update_layout(yaxis={"title": {"text": _l("open", lang)}}, legend={"orientation": "h"}, margin={"t": 30},
                      height=360)  # fmt: skip
    fig.update_xaxes(**date_axis(lang))
    return fig


def rate_trend(rates: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Tickets per 1,000 active users per month, one line per system (months without usage are gaps)."""
    return _lines(rates, "month", "per_1000", lang, "per_1000", "month")


def inspection_bars(insp: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Inspection completion per system, coloured by how complete (green ≥ 95 %, amber ≥ 85 %, red below)."""
    df = insp.sort_values("completion")
    colours = [
        LIGHT_COLOURS["green" if c >= 0.95 else "amber" if c >= 0.85 else "red"] for c in df["completion"].fillna(0)
    ]
    hover = [
        _l("done", lang).format(done=int(d), planned=int(p)) for d, p in zip(df["done"], df["planned"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=df["completion"],
            y=[escape(s) for s in df["system"]],
            orientation="h",
            marker={"color": colours},
            text=[_pct(c) for c in df["completion"]],
            customdata=hover,
            hovertemplate="%{y}: %{text}<br>%{customdata}<extra></extra>",
        )
    )
    fig.update_layout(xaxis={"title": {"text": _l("completion", lang)}, "tickformat": ".0%", "range": [0, 1.05]},
                      height=max(220, 50 + 36 * len(df)), margin={"t": 20})  # fmt: skip
    return fig


def scorecard_bars(card: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """The composite health score per system as bars coloured by its light, best at the top."""
    df = card.sort_values("score")
    fig = go.Figure(
        go.Bar(
            x=df["score"],
            y=[escape(s) for s in df["system"]],
            orientation="h",
            marker={"color": [LIGHT_COLOURS.get(str(v), LIGHT_COLOURS["none"]) for v in df["light"]]},
            text=[_pct(v) for v in df["score"]],
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.update_layout(xaxis={"title": {"text": _l("score", lang)}, "tickformat": ".0%", "range": [0, 1.05]},
                      height=max(220, 50 + 36 * len(df)), margin={"t": 20})  # fmt: skip
    return fig
