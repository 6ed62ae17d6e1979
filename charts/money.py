"""Money charts: budget against committed / invoiced / paid, monthly burn against plan, the PV/EV/AC S-curve with
its forecast, the budget waterfall (original → changes → current → forecast) and spend per vendor.

Pure builders (frames from metrics.money in, go.Figure out). Money axes are in 万元 for zh and CNY for en.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from charts.axes import date_axis, month_axis
from metrics.money import SCurve

COLOURS: dict[str, str] = {
    "budget": "#90a4ae",
    "paid": "#1565c0",
    "invoiced": "#64b5f6",
    "committed": "#cfd8dc",
    "actual": "#1565c0",
    "ahead": "#ef6c00",
    "pv": "#607d8b",
    "ev": "#2e7d32",
    "ac": "#c62828",
    "forecast": "#c62828",
    "increase": "#e53935",
    "decrease": "#43a047",
    "total": "#546e7a",
}
TOP_VENDORS = 15

_LABELS: dict[str, tuple[str, str]] = {
    "unit": ("万元", "CNY"),
    "budget": ("当前预算", "Current budget"),
    "paid": ("已付款", "Paid"),
    "invoiced": ("已开票未付", "Invoiced, not paid"),
    "committed": ("已签约未开票", "Committed, not invoiced"),
    "actual": ("实际支出", "Actual"),
    "ahead": ("超出当月计划", "Above the month's plan"),
    "month": ("月份", "Month"),
    "pv": ("计划价值 PV", "Planned value PV"),
    "ev": ("挣值 EV", "Earned value EV"),
    "ac": ("实际成本 AC", "Actual cost AC"),
    "forecast": ("预测至完工", "Forecast to completion"),
    "today": ("今天", "Today"),
    "bac": ("总预算 BAC", "Budget BAC"),
    "original": ("原始预算", "Original budget"),
    "changes": ("已批准变更", "Approved changes"),
    "current": ("当前预算", "Current budget"),
    "variance": ("预测偏差", "Forecast variance"),
    "eac": ("预测完工成本 EAC", "Forecast EAC"),
    "no_data": ("数据不足", "Not enough data"),
    "vendor": ("供应商", "Vendor"),
}


def _l(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return en if lang == "en" else zh


def escape(text: object) -> str:
    """Data text made literal for Plotly labels, which render a subset of HTML."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _missing(v: object) -> bool:
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    return isinstance(v, float) and math.isnan(v)


def scale(yuan: object, lang: str) -> float | None:
    """Money for an axis: 万元 in zh, CNY in en; None stays None (no point drawn)."""
    if _missing(yuan):
        return None
    v = float(yuan)  # type: ignore[arg-type]
    return v / 10_000 if lang == "zh" else v


def _scaled(values: Sequence[object], lang: str) -> list[float | None]:
    return [scale(v, lang) for v in values]


def _money_hover(lang: str) -> str:
    return "%{y:,.2f} 万元" if lang == "zh" else "CNY %{y:,.0f}"


def _layout(fig: go.Figure, lang: str, **kwargs: Any) -> go.Figure:
    settings: dict[str, Any] = {
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "yaxis": {"title": {"text": _l("unit", lang)}, "tickformat": ",.0f" if lang == "en" else ",.1f"},
        "hovermode": "x unified",
    }
    fig.update_layout(**{**settings, **kwargs})
    return fig


def _no_data(fig: go.Figure, lang: str) -> go.Figure:
    fig.add_annotation(text=_l("no_data", lang), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def budget_vs_actual_bars(df: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Per project (or project · category): stacked paid / invoiced-not-paid / committed-not-invoiced, which add up
    to committed, against a budget marker. customdata holds the project for click-to-filter."""
    fig = go.Figure()
    if df.empty:
        return _no_data(fig, lang)
    recs = df.to_dict("records")
    by_category = "category" in df.columns
    labels = [escape(f"{r['project']} · {r['category']}" if by_category else r["project"]) for r in recs]
    projects = [str(r["project"]) for r in recs]
    segments = {
        "paid": [r["paid"] for r in recs],
        "invoiced": [max(float(r["actual"]) - float(r["paid"]), 0.0) for r in recs],
        "committed": [max(float(r["committed"]) - float(r["actual"]), 0.0) for r in recs],
    }
    for key, values in segments.items():
        fig.add_trace(
            go.Bar(
                name=_l(key, lang),
                x=labels,
                y=_scaled(values, lang),
                marker_color=COLOURS[key],
                customdata=projects,
                hovertemplate=f"{_l(key, lang)}: {_money_hover(lang)}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            name=_l("budget", lang),
            x=labels,
            y=_scaled([r["budget"] for r in recs], lang),
            mode="markers",
            marker={"symbol": "line-ew-open", "size": 40, "line": {"width": 3, "color": "#263238"}},
            customdata=projects,
            hovertemplate=f"{_l('budget', lang)}: {_money_hover(lang)}<extra></extra>",
        )
    )
    return _layout(fig, lang, barmode="stack")


def burn_chart(df: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Monthly AC as bars (orange where above the month's phased budget) against the phased budget line."""
    fig = go.Figure()
    if df.empty:
        return _no_data(fig, lang)
    months = list(df["month"])
    ahead = [bool(a) for a in df["ahead"]]
    fig.add_trace(
        go.Bar(
            name=_l("actual", lang),
            x=months,
            y=_scaled(list(df["actual"]), lang),
            marker_color=[COLOURS["ahead"] if a else COLOURS["actual"] for a in ahead],
            hovertemplate=f"{_l('actual', lang)}: {_money_hover(lang)}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            name=_l("budget", lang),
            x=months,
            y=_scaled(list(df["budget"]), lang),
            mode="lines+markers",
            line={"color": COLOURS["budget"], "shape": "hv"},
            hovertemplate=f"{_l('budget', lang)}: {_money_hover(lang)}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text=_l("month", lang), dtick="M1", **month_axis(lang))
    fig.update_xaxes(tickformat=month_axis(lang).get("hoverformat"))
    return _layout(fig, lang)


def _series(points: pd.DataFrame, col: str, lang: str) -> tuple[list[dt.date], list[float | None]]:
    xs, ys = [], []
    for d, v in zip(points["date"], points[col], strict=True):
        if not _missing(v):
            xs.append(d)
            ys.append(scale(v, lang))
    return xs, ys


def s_curve_chart(curve: SCurve, lang: str = "zh") -> go.Figure:
    """Cumulative PV, EV and AC with a today line and a dashed forecast to EAC at the plan's finish.

    A series without any point is not drawn (EV before any plan snapshot, everything without a budget), so
    nothing is ever shown at 100 % when nothing has started."""
    fig = go.Figure()
    pts = curve.points
    drawn = 0
    styles = {
        "pv": {"color": COLOURS["pv"], "width": 2},
        "ev": {"color": COLOURS["ev"], "width": 2},
        "ac": {"color": COLOURS["ac"], "width": 2},
        "forecast": {"color": COLOURS["forecast"], "width": 2, "dash": "dash"},
    }
    for col in ("pv", "ev", "ac", "forecast"):
        if pts.empty or col not in pts.columns:
            continue
        xs, ys = _series(pts, col, lang)
        if not xs or (col in ("pv", "ev", "ac") and all(y == 0 for y in ys)):
            continue
        fig.add_trace(
            go.Scatter(
                name=_l(col, lang),
                x=xs,
                y=ys,
                mode="lines+markers" if col == "ev" else "lines",
                line=styles[col],
                hovertemplate=f"{_l(col, lang)}: {_money_hover(lang)}<extra></extra>",
            )
        )
        drawn += 1
    if drawn == 0:
        return _no_data(fig, lang)
    if curve.bac > 0:
        fig.add_hline(y=scale(curve.bac, lang), line={"color": "#263238", "width": 1, "dash": "dot"})
        fig.add_annotation(x=0, xref="paper", y=scale(curve.bac, lang), text=_l("bac", lang), showarrow=False,
                           yshift=10, xanchor="left")  # fmt: skip
    today = curve.today.isoformat()
    fig.add_shape(type="line", x0=today, x1=today, xref="x", yref="paper", y0=0, y1=1,
                  line={"color": "#37474f", "width": 1, "dash": "dot"})  # fmt: skip
    fig.add_annotation(x=today, y=1, xref="x", yref="paper", text=_l("today", lang), showarrow=False, yshift=8)
    fig.update_xaxes(**date_axis(lang))
    return _layout(fig, lang)


def waterfall_chart(row: Mapping[Any, Any], lang: str = "zh") -> go.Figure:
    """One project's budget waterfall: original → approved changes → current budget → forecast variance → EAC.
    Without an EAC the chart stops at the current budget."""
    names = [_l("original", lang), _l("changes", lang), _l("current", lang)]
    measures = ["absolute", "relative", "total"]
    values: list[float | None] = [scale(row["original"], lang), scale(row["approved_changes"], lang), 0.0]
    if not _missing(row.get("eac")):
        names += [_l("variance", lang), _l("eac", lang)]
        measures += ["relative", "total"]
        values += [scale(row["forecast_change"], lang), 0.0]
    fig = go.Figure(
        go.Waterfall(
            x=names,
            y=values,
            measure=measures,
            increasing={"marker": {"color": COLOURS["increase"]}},
            decreasing={"marker": {"color": COLOURS["decrease"]}},
            totals={"marker": {"color": COLOURS["total"]}},
            connector={"line": {"color": "#b0bec5"}},
            texttemplate="%{y:,.1f}" if lang == "zh" else "%{y:,.0f}",
            textposition="outside",
            hovertemplate=f"%{{x}}: {_money_hover(lang)}<extra></extra>",
        )
    )
    return _layout(fig, lang, title={"text": escape(row["project"])}, hovermode="closest", showlegend=False)


def vendor_bars(df: pd.DataFrame, lang: str = "zh", top: int = TOP_VENDORS) -> go.Figure:
    """Horizontal stacked bars per vendor (largest AC on top): paid, invoiced-not-paid, committed-not-invoiced."""
    fig = go.Figure()
    if df.empty:
        return _no_data(fig, lang)
    agg = df.groupby("vendor", sort=False, dropna=False)[["committed", "actual", "paid"]].sum()
    agg = agg.sort_values("actual", ascending=False).head(top).iloc[::-1]
    names = [escape(v) for v in agg.index]
    segments = {
        "paid": list(agg["paid"]),
        "invoiced": [max(a - p, 0.0) for a, p in zip(agg["actual"], agg["paid"], strict=True)],
        "committed": [max(c - a, 0.0) for c, a in zip(agg["committed"], agg["actual"], strict=True)],
    }
    hover = "%{x:,.2f} 万元" if lang == "zh" else "CNY %{x:,.0f}"
    for key, values in segments.items():
        fig.add_trace(
            go.Bar(
                name=_l(key, lang),
                y=names,
                x=_scaled(values, lang),
                orientation="h",
                marker_color=COLOURS[key],
                customdata=[str(v) for v in agg.index],
                hovertemplate=f"{_l(key, lang)}: {hover}<extra></extra>",
            )
        )
    return _layout(
        fig,
        lang,
        barmode="stack",
        hovermode="y unified",
        yaxis={"title": {"text": _l("vendor", lang)}},
        xaxis={"title": {"text": _l("unit", lang)}, "tickformat": ",.0f" if lang == "en" else ",.1f"},
    )
