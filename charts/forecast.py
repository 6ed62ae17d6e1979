"""The finish-date forecast chart: per project, the chance of having finished by each date (Monte Carlo), with its
P50, P80 and baseline finish marked. Pure builder: DataFrames in, a plotly Figure out.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from charts.axes import date_axis

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "axis_x": "完成日期",
        "axis_y": "按期完成的概率",
        "p50": "P50",
        "p80": "P80",
        "baseline": "基线完成",
        "hover": "{project}<br>{date} 前完成的概率 {share}",
    },
    "en": {
        "axis_x": "Finish date",
        "axis_y": "Chance of having finished",
        "p50": "P50",
        "p80": "P80",
        "baseline": "Baseline finish",
        "hover": "{project}<br>finished by {date}: {share}",
    },
}
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")


def escape(text: object) -> str:
    """Data text made literal for Plotly labels (legend, hover), which render a subset of HTML: a project named
    `<a href=…>` must show as typed, not as a link."""
    return html.escape(str(text), quote=False)


def finish_distribution(
    distribution: pd.DataFrame, projects: pd.DataFrame, lang: str = "zh", labels: Mapping[str, str] | None = None
) -> go.Figure:
    """One cumulative curve per project (share of iterations finished by each date), P50/P80 as markers and the
    baseline finish as an open marker on the same curve."""
    lab = {**LABELS.get(lang, LABELS["zh"]), **(labels or {})}
    fig = go.Figure()
    for i, (project, part) in enumerate(distribution.groupby("project", sort=True)):
        colour = PALETTE[i % len(PALETTE)]
        part = part.sort_values("finish")
        dates = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in part["finish"]]
        fig.add_trace(
            go.Scatter(
                x=dates,
                y=part["cumulative"].tolist(),
                mode="lines",
                line={"shape": "hv", "color": colour, "width": 2},
                name=escape(project),
                hovertext=[
                    lab["hover"].format(project=escape(project), date=d, share=f"{c:.0%}")
                    for d, c in zip(dates, part["cumulative"], strict=True)
                ],
                hoverinfo="text",
                meta=f"curve:{project}",
            )
        )
        row = projects[projects["project"] == project]
        if row.empty:
            continue
        r = row.iloc[0]
        points = [(lab["p50"], r["p50_finish"], 0.5, "circle"), (lab["p80"], r["p80_finish"], 0.8, "diamond")]
        if pd.notna(r["baseline_finish"]) and pd.notna(r["p_meet_baseline"]):
            points.append((lab["baseline"], r["baseline_finish"], float(r["p_meet_baseline"]), "x-open"))
        fig.add_trace(
            go.Scatter(
                x=[pd.Timestamp(d).strftime("%Y-%m-%d") for _, d, _, _ in points],
                y=[y for _, _, y, _ in points],
                mode="markers+text",
                text=[name for name, _, _, _ in points],
                textposition="top left",
                marker={"color": colour, "size": 10, "symbol": [s for _, _, _, s in points]},
                showlegend=False,
                hoverinfo="skip",
                meta=f"marks:{project}",
            )
        )
    fig.update_layout(
        xaxis={"title": lab["axis_x"], "type": "date", **date_axis(lang)},  # 中文 dates in zh
        yaxis={"title": lab["axis_y"], "range": [0, 1.05], "tickformat": ".0%"},
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": -0.2, "yanchor": "top"},
    )
    return fig
