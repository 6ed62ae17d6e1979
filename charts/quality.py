"""Data-quality and grading charts: a pass-rate trend with its target, each check hospital-wide over time, and the
gap to the target grade as three bars a president reads at a glance (score, basic items, optional items).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.adoption import escape
from charts.axes import date_axis
from metrics.grading import GradingGap

COLOURS = {"rate": "#1e88e5", "target": "#e53935", "met": "#43a047", "short": "#e53935", "plan": "#90caf9"}
PALETTE = ("#1e88e5", "#fb8c00", "#43a047", "#8e24aa", "#00897b", "#6d4c41", "#d81b60", "#546e7a")

_LABELS: dict[str, tuple[str, str]] = {
    "rate": ("合格率", "Pass rate"),
    "target": ("目标", "Target"),
    "period": ("统计周期", "Period"),
    "met": ("已达到", "Met"),
    "short": ("还差", "Short"),
    "score": ("总分", "Total score"),
    "basic": ("基本项", "Basic items"),
    "optional": ("选择项", "Optional items"),
    "share": ("占要求的比例", "Share of what the grade asks"),
    "points": ("{now} / {need} 分", "{now} / {need} points"),
    "items": ("{now} / {need} 项", "{now} / {need} items"),
}


def _l(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return en if lang == "en" else zh


def _fmt(x: float) -> str:
    return f"{round(x, 1):g}"


def rate_trend(trend: pd.DataFrame, lang: str = "zh", title: str = "") -> go.Figure:
    """One cell's (or check's) pass rate per period with its target as a dashed step line."""
    fig = go.Figure()
    x = pd.to_datetime(trend["period"])
    fig.add_trace(
        go.Scatter(x=x, y=trend["rate"], mode="lines+markers", name=_l("rate", lang),
                   line={"color": COLOURS["rate"], "width": 2},
                   hovertemplate="%{x}<br>" + _l("rate", lang) + " %{y:.1%}<extra></extra>")
    )  # fmt: skip
    if trend["target"].notna().any():
        fig.add_trace(
            go.Scatter(x=x, y=trend["target"], mode="lines", name=_l("target", lang), line_shape="hv",
                       line={"color": COLOURS["target"], "dash": "dash"},
                       hovertemplate="%{x}<br>" + _l("target", lang) + " %{y:.1%}<extra></extra>")
        )  # fmt: skip
    fig.update_layout(title=escape(title), height=320, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"orientation": "h", "y": -0.2})  # fmt: skip
    fig.update_yaxes(tickformat=".0%", title=_l("rate", lang))
    fig.update_xaxes(title=_l("period", lang), **date_axis(lang))
    return fig


def check_trends(trends: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Every check's hospital-wide pass rate over time, one line per system · check."""
    fig = go.Figure()
    groups = list(trends.groupby(["system", "check_name"], sort=True)) if len(trends) else []
    for i, ((system, check), g) in enumerate(groups):
        name = escape(f"{system} · {check}")
        fig.add_trace(
            go.Scatter(x=pd.to_datetime(g["period"]), y=g["rate"], mode="lines", name=name,
                       line={"color": PALETTE[i % len(PALETTE)]},
                       hovertemplate=name + "<br>%{x}<br>%{y:.1%}<extra></extra>")
        )  # fmt: skip
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend={"orientation": "h", "y": -0.2})
    fig.update_yaxes(tickformat=".0%", title=_l("rate", lang))
    fig.update_xaxes(title=_l("period", lang), **date_axis(lang))
    return fig


def grading_gap(gap: GradingGap, sentence: str, lang: str = "zh") -> go.Figure:
    """Three bars, each the share of what the target grade asks: the total score against the minimum, the basic
    items met against all basic items, the optional items met against the number required. Green is met, red
    is the shortfall; each bar is labelled with its own numbers (128 / 140 分, 17 / 20 项)."""
    req = gap.requirement
    rows: list[tuple[str, float, float, str]] = []  # label, met, need, text
    if req is not None and req.min_score:
        rows.append((_l("score", lang), gap.total_score, req.min_score,
                     _l("points", lang).format(now=_fmt(gap.total_score), need=_fmt(req.min_score))))  # fmt: skip
    if gap.basic_total:
        met = gap.basic_total - gap.basic_short
        rows.append((_l("basic", lang), met, gap.basic_total,
                     _l("items", lang).format(now=met, need=gap.basic_total)))  # fmt: skip
    if req is not None and req.optional_required:
        need = req.optional_required
        rows.append((_l("optional", lang), min(gap.optional_meeting, need), need,
                     _l("items", lang).format(now=gap.optional_meeting, need=need)))  # fmt: skip
    labels = [r[0] for r in rows]
    met_share = [min(1.0, r[1] / r[2]) if r[2] else 1.0 for r in rows]
    short_share = [max(0.0, 1.0 - s) for s in met_share]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(y=labels, x=met_share, orientation="h", name=_l("met", lang), marker_color=COLOURS["met"],
               text=[r[3] for r in rows], textposition="inside", insidetextanchor="start",
               hovertemplate="%{y}: %{text}<extra></extra>")
    )  # fmt: skip
    fig.add_trace(
        go.Bar(y=labels, x=short_share, orientation="h", name=_l("short", lang), marker_color=COLOURS["short"],
               hovertemplate="%{y}: " + _l("short", lang) + " %{x:.0%}<extra></extra>")
    )  # fmt: skip
    fig.update_layout(
        barmode="stack", height=110 + 60 * max(1, len(rows)), margin={"l": 10, "r": 10, "t": 50, "b": 10},
        title=escape(sentence),
        legend={"orientation": "h", "y": -0.25},
    )  # fmt: skip
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title=_l("share", lang))
    fig.update_yaxes(autorange="reversed")
    return fig
