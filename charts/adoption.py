"""Adoption charts: the usage-rate ranking (target line, bottom highlighted), the department × system heatmap,
the roll-out matrix, and usage trends with go-live marked. Pure functions: DataFrame -> go.Figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.axes import date_axis
from metrics.adoption import movement

# Rate colours follow the target (metrics.adoption.rate_status): green on target, amber just below, red far below.
STATUS_COLOURS: dict[str, str] = {"green": "#43a047", "amber": "#ffb300", "red": "#e53935", "none": "#cfd8dc"}
COLOURS: dict[str, str] = {
    "ok": STATUS_COLOURS["green"],
    "below": STATUS_COLOURS["amber"],
    "bottom_line": "#263238",
    "target": "#37474f",
    "hospital": "#90a4ae",
    "go_live": "#1e88e5",
    "pilot": "#8e24aa",
}
PHASE_COLOURS: dict[str, str] = {"none": "#eceff1", "planned": "#ffe082", "pilot": "#ce93d8", "live": "#81c784"}
PHASE_LEVEL: dict[str, int] = {"none": 0, "planned": 1, "pilot": 2, "live": 3}
SERIES_COLOURS = ("#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00acc1", "#6d4c41", "#d81b60", "#546e7a")

_LABELS: dict[str, tuple[str, str]] = {
    "rate": ("使用率", "Usage rate"),
    "target": ("目标", "Target"),
    "department": ("科室", "Department"),
    "system": ("系统", "System"),
    "rank": ("排名", "Rank"),
    "gap": ("差距", "Gap"),
    "hospital": ("全院", "Hospital"),
    "others_median": ("其他科室中位数", "Median of others"),
    "go_live": ("上线", "Go-live"),
    "pilot": ("试点", "Pilot"),
    "period": ("周期", "Period"),
    "none": ("未计划", "Not planned"),
    "planned": ("计划中", "Planned"),
    "live": ("已上线", "Live"),
    "no_data": ("无数据", "No data"),
    "status_green": ("达到目标(≥ {target})", "On target (≥ {target})"),
    "status_amber": ("低于目标 {near} 个百分点以内", "Below target by up to {near} points"),
    "status_red": ("低于目标超过 {near} 个百分点", "More than {near} points below target"),
    "bottom_n": ("末位 {n} 名(黑框)", "Bottom {n} (dark outline)"),
    "bottom_mark": ("末位", "bottom"),
    "points": ("个百分点", "pp"),
}


def _l(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return en if lang == "en" else zh


def escape(text: object) -> str:
    """Data text made literal for Plotly labels (which render a subset of HTML)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pct(x: object, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "—"
    return f"{float(x) * 100:.{digits}f}%"  # type: ignore[arg-type]


def department_from_selection(points: Sequence[Mapping[str, Any]]) -> str | None:
    """The department of the first selected ranking bar (Streamlit's selection `points`, customdata[0])."""
    for p in points:
        data = p.get("customdata")
        if isinstance(data, list | tuple) and data:
            return str(data[0])
    return None


def bar_colour(row: Any) -> str:
    """The bar's colour: its rate against the target, never its rank."""
    return STATUS_COLOURS.get(str(getattr(row, "status", "none")), STATUS_COLOURS["none"])


def status_legend(fig: go.Figure, lang: str, target: float, near: float, bottom_n: int | None = None) -> None:
    """Legend entries for the status colours (and the bottom-N outline): traces with no points, legend only."""
    near_pts = f"{near * 100:.0f}"
    for status in ("green", "amber", "red"):
        name = _l(f"status_{status}", lang).format(target=_pct(target), near=near_pts)
        fig.add_trace(go.Bar(x=[None], y=[None], orientation="h", name=name, marker_color=STATUS_COLOURS[status],
                             showlegend=True, hoverinfo="skip"))  # fmt: skip
    if bottom_n:
        fig.add_trace(go.Bar(x=[None], y=[None], orientation="h", name=_l("bottom_n", lang).format(n=bottom_n),
                             marker={"color": "rgba(0,0,0,0)", "line": {"color": COLOURS["bottom_line"], "width": 2}},
                             showlegend=True, hoverinfo="skip"))  # fmt: skip


def ranking_bar(ranking: pd.DataFrame, lang: str = "zh", near: float = 0.10, bottom_n: int = 3) -> go.Figure:
    """Horizontal bars, rank 1 at the top, coloured by the rate against the target (green on target, amber less
    than `near` below, red further below) with a legend; the bottom N have a dark outline and "bottom" in text.

    The target is a dashed vertical line; each bar's text is its rate and ▲▼ rank change; customdata =
    (department, rank) so a click can select a department. Departments without eligible users are left out."""
    df = ranking[ranking["rate"].notna()].sort_values(["rank", "department"], kind="stable")
    fig = go.Figure()
    names = [escape(d) for d in df["department"]]
    bottom = [bool(b) for b in df["bottom"]]
    mark = _l("bottom_mark", lang)
    text = [
        f"{_pct(r, 1)} {movement(c)}{' · ' + mark if b else ''}".strip()
        for r, c, b in zip(df["rate"], df["rank_change"], bottom, strict=True)
    ]
    n = df["n_ranked"].astype("int64").tolist() if "n_ranked" in df.columns else [len(df)] * len(df)
    hover = [
        f"{escape(d)}<br>{_l('rank', lang)} {int(k)} / {total}<br>{_l('rate', lang)} {_pct(r, 1)}"
        f"<br>{_l('gap', lang)} {'+' if g >= 0 else ''}{g * 100:.1f} {_l('points', lang)}"
        for d, k, r, g, total in zip(df["department"], df["rank"], df["rate"], df["gap"], n, strict=True)
    ]
    fig.add_trace(
        go.Bar(
            x=df["rate"].astype("float64"),
            y=names,
            orientation="h",
            marker={
                "color": [bar_colour(r) for r in df.itertuples(index=False)],
                "line": {"color": [COLOURS["bottom_line"] if b else "rgba(0,0,0,0)" for b in bottom], "width": 2},
            },
            text=text,
            textposition="outside",
            customdata=list(zip(df["department"].astype(str), df["rank"].astype("int64"), strict=True)),
            hovertext=hover,
            hoverinfo="text",
            name=_l("rate", lang),
            showlegend=False,
        )
    )
    if len(df):
        target = float(df["target"].iloc[0])
        status_legend(fig, lang, target, near, bottom_n if any(bottom) else None)
        fig.add_shape(
            type="line",
            x0=target,
            x1=target,
            y0=0,
            y1=1,
            yref="paper",
            line={"color": COLOURS["target"], "dash": "dash", "width": 2},
            name="target",
        )
        fig.add_annotation(
            x=target, y=1, yref="paper", text=f"{_l('target', lang)} {_pct(target)}", showarrow=False, yanchor="bottom"
        )
    top = max(1.0, float(df["rate"].max()) if len(df) else 1.0) * 1.15
    fig.update_layout(
        xaxis={"title": _l("rate", lang), "tickformat": ".0%", "range": [0, top]},
        yaxis={"autorange": "reversed", "type": "category"},
        height=max(300, 28 * len(df) + 140),
        margin={"l": 10, "r": 10, "t": 60, "b": 40},
        showlegend=True,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.04, "x": 0},
        barmode="overlay",
    )
    return fig


STATUS_LEVEL: dict[str, int] = {"red": 0, "amber": 1, "green": 2}


LABELLED_CELLS = 600  # above this many cells the heatmap writes no rate in its cells (hover still shows it)


def heatmap_labelled(fig: go.Figure) -> bool:
    """Whether `fig` (a rate_heatmap) writes each cell's rate in the cell."""
    return bool(fig.data) and fig.data[0].texttemplate is not None


def rate_heatmap(matrix: pd.DataFrame, lang: str = "zh", near: float = 0.10) -> go.Figure:
    """Department (rows) × system (columns) of the latest rate written in each cell, coloured by the rate against
    its system's target (the ranking's colours), with the colour legend as the colour bar.

    Above LABELLED_CELLS cells the rates are in the hover only: the browser lays out every cell label as SVG text
    and measures it (a 230 × 16 grid drew 8,500 nodes and took the served first view of the large store from about
    3.2 s to 4.3-5.8 s); the page says so under the chart."""
    fig = go.Figure()
    if matrix.empty:
        return fig
    # the grid filled cell by cell (a pivot_table costs ~100 ms at 200 departments × 16 systems); each cell takes
    # its pair's first rate and status that are not empty, as pivot_table's "first" does
    deps = sorted({str(d) for d in matrix["department"]})
    syss = sorted({str(x) for x in matrix["system"]})
    row_of = {d: i for i, d in enumerate(deps)}
    col_of = {x: j for j, x in enumerate(syss)}
    rates = [[math.nan] * len(syss) for _ in deps]
    states: list[list[object]] = [[None] * len(syss) for _ in deps]
    rate_values = matrix["rate"].astype("float64").to_numpy()
    for d, x, r, st in zip(matrix["department"], matrix["system"], rate_values, matrix["status"], strict=True):
        i, j = row_of[str(d)], col_of[str(x)]
        if math.isnan(rates[i][j]):
            rates[i][j] = float(r)
        if states[i][j] is None and isinstance(st, str):
            states[i][j] = st
    # numpy grids: plotly validates a nested list cell by cell (~0.3 s at 200 × 16), an array at once
    z = np.array([[STATUS_LEVEL[v] if v in STATUS_LEVEL else math.nan for v in row] for row in states], dtype="float32")
    text = np.array([[_pct(v) if not math.isnan(v) else "—" for v in row] for row in rates], dtype=object)
    target = float(matrix["target"].iloc[0]) if "target" in matrix.columns else 0.8
    near_pts = f"{near * 100:.0f}"
    names = [_l(f"status_{k}", lang).format(target=_pct(target), near=near_pts) for k in ("red", "amber", "green")]
    scale: list[list[object]] = []
    for i, k in enumerate(("red", "amber", "green")):
        scale += [[i / 3, STATUS_COLOURS[k]], [(i + 1) / 3, STATUS_COLOURS[k]]]
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=[escape(x) for x in syss],
            y=[escape(d) for d in deps],
            text=text,
            texttemplate="%{text}" if z.size <= LABELLED_CELLS else None,
            colorscale=scale,
            zmin=-0.5,
            zmax=2.5,
            colorbar={"tickvals": [0, 1, 2], "ticktext": names, "title": _l("rate", lang)},
            hovertemplate=f"{_l('department', lang)} %{{y}}<br>{_l('system', lang)} %{{x}}<br>"
            f"{_l('rate', lang)} %{{text}}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis={"type": "category", "side": "top"},
        height=max(260, 26 * len(deps) + 120),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


def rollout_chart(rollout: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Department × system grid coloured by phase (none, planned, pilot, live), the go-live date in each cell."""
    fig = go.Figure()
    if rollout.empty:
        return fig
    deps = sorted(rollout["department"].astype(str).unique())
    syss = sorted(rollout["system"].astype(str).unique())
    idx = rollout.set_index(["department", "system"])
    z: list[list[float]] = []
    text: list[list[str]] = []
    for d in deps:
        zr: list[float] = []
        tr: list[str] = []
        for s in syss:
            if (d, s) in idx.index:
                r = idx.loc[(d, s)]
                phase = str(r["phase"])
                when = r["go_live"]
                zr.append(float(PHASE_LEVEL.get(phase, 0)))
                label = _l(phase, lang) if phase in _LABELS else phase
                tr.append(label + ("" if pd.isna(when) else f"<br>{pd.Timestamp(when):%Y-%m-%d}"))
            else:
                zr.append(0.0)
                tr.append(_l("none", lang))
        z.append(zr)
        text.append(tr)
    order = ["none", "planned", "pilot", "live"]
    scale: list[list[object]] = []
    for i, p in enumerate(order):
        scale += [[i / 4, PHASE_COLOURS[p]], [(i + 1) / 4, PHASE_COLOURS[p]]]
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=[escape(s) for s in syss],
            y=[escape(d) for d in deps],
            text=text,
            texttemplate="%{text}",
            colorscale=scale,
            zmin=-0.5,
            zmax=3.5,
            showscale=False,
            hovertemplate="%{y} · %{x}<br>%{text}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis={"type": "category", "side": "top"},
        height=max(260, 30 * len(deps) + 120),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


def _vline(fig: go.Figure, when: object, label: str, colour: str, dash: str) -> None:
    # Shapes plus an annotation rather than add_vline(annotation_text=...), which fails on date axes.
    x = pd.Timestamp(when).to_pydatetime()  # type: ignore[arg-type]
    fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", line={"color": colour, "dash": dash, "width": 1.5})
    fig.add_annotation(
        x=x, y=1, yref="paper", text=label, showarrow=False, yanchor="bottom", font={"color": colour, "size": 11}
    )


def trend_lines(trend: pd.DataFrame, lang: str = "zh", target: float | None = None) -> go.Figure:
    """One line per system (the department's rate), the hospital-wide rate dotted, go-live (solid) and pilot
    (dashed) marked as vertical lines, and the target as a horizontal line."""
    fig = go.Figure()
    for i, (system, g) in enumerate(trend.groupby("system", sort=True)):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        name = escape(system)
        fig.add_trace(
            go.Scatter(
                x=g["period"], y=g["rate"].astype("float64"), mode="lines+markers", name=name, line={"color": colour}
            )
        )
        if "hospital_rate" in g.columns and not g["hospital_rate"].equals(g["rate"]):
            fig.add_trace(
                go.Scatter(
                    x=g["period"],
                    y=g["hospital_rate"].astype("float64"),
                    mode="lines",
                    name=f"{name} · {_l('hospital', lang)}",
                    line={"color": colour, "dash": "dot", "width": 1},
                )
            )
        for col, key, dash in (("live_date", "go_live", "solid"), ("pilot_date", "pilot", "dash")):
            if col in g.columns and g[col].notna().any():
                _vline(fig, g[col].dropna().iloc[0], f"{name} {_l(key, lang)}", colour, dash)
    if target is not None:
        fig.add_hline(y=target, line={"color": COLOURS["target"], "dash": "dash", "width": 1})
    fig.update_layout(
        yaxis={"title": _l("rate", lang), "tickformat": ".0%", "rangemode": "tozero"},
        xaxis={"title": _l("period", lang), **date_axis(lang)},
        height=360,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def my_department_lines(trend: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """The department's rate per system beside the median of the other departments (dashed, no names)."""
    fig = go.Figure()
    for i, (system, g) in enumerate(trend.groupby("system", sort=True)):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        name = escape(system)
        fig.add_trace(
            go.Scatter(
                x=g["period"], y=g["rate"].astype("float64"), mode="lines+markers", name=name, line={"color": colour}
            )
        )
        fig.add_trace(
            go.Scatter(
                x=g["period"],
                y=g["others_median"].astype("float64"),
                mode="lines",
                name=f"{name} · {_l('others_median', lang)}",
                line={"color": colour, "dash": "dash", "width": 1},
            )
        )
    fig.update_layout(
        yaxis={"title": _l("rate", lang), "tickformat": ".0%", "rangemode": "tozero"},
        xaxis=date_axis(lang),
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig
