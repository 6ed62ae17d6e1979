"""Benefit charts: the interrupted time series of a KPI (points, fitted pre and post lines, the pre-trend carried
on as a counterfactual, go-live marked) and a small sparkline per KPI tile.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from charts.adoption import escape
from charts.axes import date_axis
from metrics.benefits import Its

COLOURS: dict[str, str] = {
    "points": "#546e7a",
    "pre": "#fb8c00",
    "post": "#1e88e5",
    "counterfactual": "#fb8c00",
    "go_live": "#e53935",
    "good": "#43a047",
    "bad": "#e53935",
}

_LABELS: dict[str, tuple[str, str]] = {
    "observed": ("实测值", "Observed"),
    "pre": ("上线前趋势", "Trend before go-live"),
    "post": ("上线后趋势", "Trend after go-live"),
    "counterfactual": ("若未上线(延续前趋势)", "Without go-live (pre-trend carried on)"),
    "go_live": ("上线", "Go-live"),
    "period": ("周期", "Period"),
}


def _l(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return en if lang == "en" else zh


def _go_live_line(fig: go.Figure, go_live: dt.date, lang: str) -> None:
    x = pd.Timestamp(go_live).to_pydatetime()
    fig.add_shape(
        type="line",
        x0=x,
        x1=x,
        y0=0,
        y1=1,
        yref="paper",
        line={"color": COLOURS["go_live"], "width": 2},
        name="go_live",
    )
    fig.add_annotation(
        x=x,
        y=1,
        yref="paper",
        text=_l("go_live", lang),
        showarrow=False,
        yanchor="bottom",
        font={"color": COLOURS["go_live"]},
    )


def its_chart(its: Its, lang: str = "zh") -> go.Figure:
    """Observed points, the least-squares line of each segment, the counterfactual dashed, go-live as a vline."""
    df = its.series
    unit = f" ({escape(its.unit)})" if its.unit else ""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=df["period"],
            y=df["value"],
            mode="markers",
            name=_l("observed", lang),
            marker={"color": COLOURS["points"], "size": 6},
        )
    )
    for seg in ("pre", "post"):
        part = df[df["segment"] == seg]
        if len(part):
            fig.add_trace(
                go.Scatter(
                    x=part["period"],
                    y=part["fitted"],
                    mode="lines",
                    name=_l(seg, lang),
                    line={"color": COLOURS[seg], "width": 3},
                )
            )
    if "counterfactual" in df.columns and df["counterfactual"].notna().any():
        cf = df[df["counterfactual"].notna()]
        fig.add_trace(
            go.Scatter(
                x=cf["period"],
                y=cf["counterfactual"],
                mode="lines",
                name=_l("counterfactual", lang),
                line={"color": COLOURS["counterfactual"], "dash": "dash", "width": 2},
            )
        )
    if its.go_live is not None:
        _go_live_line(fig, its.go_live, lang)
    fig.update_layout(
        title={"text": escape(its.kpi) + unit},
        xaxis={"title": _l("period", lang), **date_axis(lang)},
        height=340,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def improved(improvement: object) -> bool | None:
    """Whether a KPI is better than its baseline (improvement is signed in the KPI's own direction)."""
    if improvement is None or improvement is pd.NA or (isinstance(improvement, float) and improvement != improvement):
        return None
    return float(improvement) > 0  # type: ignore[arg-type]


def sparkline(series: pd.DataFrame, go_live: dt.date | None = None, good: bool | None = None) -> go.Figure:
    """A tiny line of one KPI (rows: period, value), coloured by whether the KPI is better than its baseline in
    the KPI's own direction (a drop in wait time is good): green better, red worse, grey unknown."""
    colour = COLOURS["points"] if good is None else COLOURS["good"] if good else COLOURS["bad"]
    fig = go.Figure(go.Scatter(x=series["period"], y=series["value"], mode="lines", line={"color": colour, "width": 2}))
    if go_live is not None and not pd.isna(go_live):
        x = pd.Timestamp(go_live).to_pydatetime()
        fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", line={"color": COLOURS["go_live"], "width": 1})
    fig.update_layout(
        height=80,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        xaxis={"visible": False},
        yaxis={"visible": False},
        showlegend=False,
    )
    return fig
