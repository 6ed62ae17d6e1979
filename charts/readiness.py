"""Readiness charts: the department × dimension readiness heatmap, training coverage against its target, the
chief-user feedback backlog per week, and supervision findings by severity (pure Plotly, DataFrame -> Figure).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.axes import date_axis

STATUS_VALUE = {"ready": 2, "na": 1, "not_ready": 0}
STATUS_COLOUR = {"ready": "#43a047", "na": "#bdbdbd", "not_ready": "#e53935"}
SEVERITY_COLOUR = {"high": "#e53935", "medium": "#fb8c00", "low": "#fdd835", "unstated": "#9e9e9e"}

_LABELS: dict[str, tuple[str, str]] = {
    "ready": ("就绪", "Ready"),
    "not_ready": ("未就绪", "Not ready"),
    "na": ("不适用", "N/A"),
    "missing": ("未填写", "Not stated"),
    "coverage": ("培训覆盖率", "Training coverage"),
    "target": ("目标", "Target"),
    "raised": ("新提出", "Raised"),
    "resolved": ("已解决", "Resolved"),
    "open": ("未解决(周末)", "Open at week end"),
    "week": ("周", "Week"),
    "items": ("条", "Items"),
    "open_findings": ("未关闭", "Open"),
    "overdue": ("已逾期", "Overdue"),
    "high": ("高", "High"),
    "medium": ("中", "Medium"),
    "low": ("低", "Low"),
    "unstated": ("未注明", "Not stated"),
}


def _l(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return en if lang == "en" else zh


def escape(text: object) -> str:
    """Data text made literal in Plotly labels (which render a subset of HTML)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def readiness_heatmap(matrix: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Departments down, dimensions across (the columns after project, system, department); green ready, red not
    ready, grey n.a.; each cell says its status in words."""
    dims = [c for c in matrix.columns if c not in ("project", "system", "department")]
    rows = [
        escape(f"{r['department']} · {r['system']}" if r.get("system") else r["department"])
        for r in matrix.to_dict("records")
    ]
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for r in matrix.to_dict("records"):
        vals = [r.get(d) if isinstance(r.get(d), str) else None for d in dims]
        z.append([None if v is None else STATUS_VALUE.get(v) for v in vals])
        text.append([_l(v if v in STATUS_VALUE else "missing", lang) if v else _l("missing", lang) for v in vals])
    scale = [
        [0.0, STATUS_COLOUR["not_ready"]], [0.33, STATUS_COLOUR["not_ready"]],
        [0.34, STATUS_COLOUR["na"]], [0.66, STATUS_COLOUR["na"]],
        [0.67, STATUS_COLOUR["ready"]], [1.0, STATUS_COLOUR["ready"]],
    ]  # fmt: skip
    fig = go.Figure(
        go.Heatmap(
            z=z, x=[escape(d) for d in dims], y=rows, text=text, texttemplate="%{text}", zmin=0, zmax=2,
            colorscale=scale, showscale=False, xgap=2, ygap=2, hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(side="top", type="category")
    fig.update_layout(height=max(200, 60 + 36 * len(rows)), margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def coverage_chart(coverage: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Training coverage per department × system as bars (red below target), the target as a marker."""
    labels = [escape(f"{d} · {s}") for d, s in zip(coverage["department"], coverage["system"], strict=True)]
    cov = pd.to_numeric(coverage["coverage"], errors="coerce").astype("float64")
    colours = ["#e53935" if bool(b) else "#43a047" for b in coverage["below_target"]]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=cov, y=labels, orientation="h", marker_color=colours, name=_l("coverage", lang),
            text=[f"{v:.0%}" if v == v else "—" for v in cov], textposition="auto",
            hovertemplate="%{y}: %{x:.1%}<extra></extra>",
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=pd.to_numeric(coverage["target"], errors="coerce"), y=labels, mode="markers", name=_l("target", lang),
            marker={"symbol": "line-ns-open", "size": 18, "color": "#212121", "line": {"width": 3}},
            hovertemplate="%{y}: " + _l("target", lang) + " %{x:.0%}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_xaxes(tickformat=".0%", range=[0, 1.05])
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_layout(
        height=max(220, 60 + 26 * len(labels)), margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.08},
    )  # fmt: skip
    return fig


def backlog_chart(trend: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Feedback raised and resolved per week (bars) and the open backlog at each week's end (line)."""
    weeks = pd.to_datetime(trend["week"])
    fig = go.Figure()
    fig.add_trace(go.Bar(x=weeks, y=trend["raised"], name=_l("raised", lang), marker_color="#fb8c00"))
    fig.add_trace(go.Bar(x=weeks, y=trend["resolved"], name=_l("resolved", lang), marker_color="#43a047"))
    fig.add_trace(
        go.Scatter(x=weeks, y=trend["open"], name=_l("open", lang), mode="lines+markers", line={"color": "#c62828"})
    )
    fig.update_layout(
        barmode="group", height=300, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": 1.1},
        yaxis_title=_l("items", lang), xaxis_title=_l("week", lang),
    )  # fmt: skip
    fig.update_xaxes(**date_axis(lang))
    return fig


def severity_chart(by_severity: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Open and overdue supervision findings per severity."""
    names = [_l(str(s), lang) for s in by_severity["severity"]]
    colours = [SEVERITY_COLOUR.get(str(s), "#9e9e9e") for s in by_severity["severity"]]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=by_severity["open"], name=_l("open_findings", lang), marker_color=colours))
    fig.add_trace(
        go.Bar(
            x=names, y=by_severity["overdue"], name=_l("overdue", lang), marker_color=colours,
            marker_pattern_shape="/", opacity=0.8,
        )
    )  # fmt: skip
    fig.update_layout(barmode="group", height=260, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig
