"""Schedule charts: the Gantt (status bars, progress, baselines, milestones, gates, today, arrows, critical path)
and the slippage bar chart. Pure builders: DataFrames in, plotly Figures out; no streamlit.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.axes import date_axis
from metrics import cpm, schedule

Group = Literal["task", "phase", "project"]
Zoom = Literal["month", "quarter"] | None

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "done": "已完成",
        "on_track": "正常",
        "late": "延期",
        "not_started": "未开始",
        "progress": "已完成部分",
        "baseline": "基线",
        "milestone": "里程碑",
        "gate": "质量关口",
        "today": "今天",
        "critical": "关键路径",
        "near_critical": "次关键(总时差≤{days}天)",
        "float": "总时差",
        "owner": "负责人",
        "no_phase": "(未分阶段)",
        "days": "天",
        "vs_baseline": "较基线",
        "vs_previous": "较上周",
        "slip_axis": "完成日期变动(天,正数=推迟)",
        "tasks": "任务数",
    },
    "en": {
        "done": "Done",
        "on_track": "On track",
        "late": "Late",
        "not_started": "Not started",
        "progress": "Completed share",
        "baseline": "Baseline",
        "milestone": "Milestone",
        "gate": "Quality gate",
        "today": "Today",
        "critical": "Critical path",
        "near_critical": "Near-critical (float ≤ {days} d)",
        "float": "Total float",
        "owner": "Owner",
        "no_phase": "(no phase)",
        "days": "d",
        "vs_baseline": "vs baseline",
        "vs_previous": "vs last week",
        "slip_axis": "Finish-date movement (days, + = later)",
        "tasks": "Tasks",
    },
}
STATUS_COLORS = {"done": "#59a14f", "on_track": "#4e79a7", "late": "#e15759", "not_started": "#bab0ac"}
PROGRESS_COLOR = "rgba(20, 30, 50, 0.55)"
BASELINE_COLOR = "rgba(120, 120, 120, 0.55)"
CRITICAL_COLOR = "#b00020"
NEAR_CRITICAL_COLOR = "#f28e2b"  # total float above 0 and within the near-critical setting
LABEL_WIDTH = 24  # tick labels are cut to this many display columns (a CJK character counts 2); hover has it all
GATE_COLOR = "#7b3fa0"
TODAY_COLOR = "#d62728"
MILESTONE_SYMBOL = "diamond"
GATE_SYMBOL = "star-diamond"
COLLAPSE_OVER = 300  # more task rows than this: the tasks that matter now (pick_tasks); more phases: per project
SOON_DAYS = 31  # "under way soon": open tasks running between today and this many days ahead
PICK_REASONS = ("critical", "late", "near_critical", "soon", "milestone")  # pick_tasks' order of priority
ZOOM_DAYS = {"month": (31, 62), "quarter": (92, 184)}  # days before / after today the x axis shows
_MS_PER_DAY = 86_400_000
_NONE = "rgba(0,0,0,0)"
_INDENT = "\u00a0\u00a0"  # plain spaces collapse in SVG tick labels


def labels_for(lang: str, labels: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**LABELS.get(lang, LABELS["zh"]), **(labels or {})}


def _esc(value: object) -> str:
    """Data shown in hover or tick text: plotly reads a few HTML tags there, so data is escaped to plain text."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    return html.escape(str(value), quote=False)


def _width(ch: str) -> int:
    return 2 if ord(ch) > 0x2E7F else 1


def short_label(name: object, width: int = LABEL_WIDTH) -> str:
    """A task name cut to `width` display columns with an ellipsis (CJK characters count 2)."""
    text = str(name)
    used = 0
    for i, ch in enumerate(text):
        used += _width(ch)
        if used > width:
            return text[: max(i - 1, 1)] + "…"
    return text


def _iso(ts: Any) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def _phase_label(phase: object, lab: Mapping[str, str]) -> str:
    return str(phase) if phase else lab["no_phase"]


def _prepare(df: pd.DataFrame, today: dt.date, show_critical: bool) -> pd.DataFrame:
    plan = df
    if show_critical and "critical" not in plan.columns:
        plan = schedule.critical_path(plan)
    plan = schedule.prepare(plan)
    plan = plan[~plan["is_summary"] & plan["start"].notna()].copy()
    if "status" not in plan.columns:
        plan["status"] = schedule.task_status(plan, today)
    if "critical" not in plan.columns or not show_critical:
        plan["critical"] = False
    if "total_float" not in plan.columns:
        plan["total_float"] = np.nan
    if "near_critical" not in plan.columns or not show_critical:
        plan["near_critical"] = False
    plan["critical"] = plan["critical"].fillna(False).astype(bool)
    plan["near_critical"] = plan["near_critical"].fillna(False).astype(bool) & ~plan["critical"]
    plan["_order"] = range(len(plan))
    return plan


def _ordered(plan: pd.DataFrame) -> pd.DataFrame:
    """Projects by name, phases by their first start, tasks by start then plan order."""
    grouped = plan.groupby(["project", "phase"], sort=False)
    keyed = plan.assign(_phase_start=grouped["start"].transform("min"), _phase_order=grouped["_order"].transform("min"))
    return keyed.sort_values(["project", "_phase_start", "_phase_order", "start", "_order"], kind="stable")


def _groups(plan: pd.DataFrame, keys: list[str], today: dt.date) -> pd.DataFrame:
    """One row per group: span, baseline span, duration-weighted percent, status, critical if any task is."""
    roll = schedule.rollup_percent(plan, by=keys)
    extra = plan.groupby(keys, sort=False, dropna=False).agg(
        baseline_start=("baseline_start", "min"),
        baseline_finish=("baseline_finish", "max"),
        critical=("critical", "any"),
        near_critical=("near_critical", "any"),
        _order=("_order", "min"),
    )
    rows = roll.merge(extra.reset_index(), on=keys, how="left")
    rows["status"] = schedule.task_status(rows.assign(name="", task_id=""), today)
    rows["task_id"] = ""
    rows["is_milestone"] = False
    rows["is_gate"] = False
    rows["owner"] = None
    rows["total_float"] = np.nan
    rows["predecessors"] = None
    rows["links"] = None
    if "phase" not in keys:
        rows["phase"] = ""
    return rows


def _layout(
    plan: pd.DataFrame, group: str, today: dt.date, lab: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[float, str]]]:
    """(bars, markers, ticks): the rows drawn as bars and as milestone/gate markers, each with its y position."""
    ticks: list[tuple[float, str]] = []
    bar_parts: list[pd.DataFrame] = []
    marker_parts: list[pd.DataFrame] = []
    y = 0.0
    if group == "task":
        for project, tasks in _ordered(plan).groupby("project", sort=False):
            ticks.append((y, f"<b>{_esc(short_label(project))}</b>"))
            y += 1
            for phase, part in tasks.groupby("phase", sort=False):
                ticks.append((y, _INDENT + _esc(short_label(_phase_label(phase, lab)))))
                y += 1
                part = part.assign(_y=np.arange(len(part), dtype=float) + y)
                ticks.extend(
                    (float(v), _INDENT * 2 + _esc(short_label(n)))
                    for v, n in zip(part["_y"], part["name"], strict=True)
                )
                y += len(part)
                bar_parts.append(part[~part["is_milestone"]])
                marker_parts.append(part[part["is_milestone"] | part["is_gate"]])
    elif group == "phase":
        rows = _groups(plan, ["project", "phase"], today)
        rows = rows.sort_values(["project", "start", "_order"], kind="stable")
        for project, part in rows.groupby("project", sort=False):
            ticks.append((y, f"<b>{_esc(project)}</b>"))
            y += 1
            names = [_phase_label(p, lab) for p in part["phase"]]
            part = part.assign(_y=np.arange(len(part), dtype=float) + y, name=names)
            ticks.extend((float(v), _INDENT + _esc(short_label(n))) for v, n in zip(part["_y"], names, strict=True))
            y += len(part)
            bar_parts.append(part)
        if bar_parts:
            pos = pd.concat(bar_parts)[["project", "phase", "_y"]]
            ms = plan[plan["is_milestone"] | plan["is_gate"]]
            marker_parts.append(ms.merge(pos, on=["project", "phase"], how="inner"))
    else:
        rows = _groups(plan, ["project"], today).sort_values("project", kind="stable")
        rows = rows.assign(_y=np.arange(len(rows), dtype=float), name=rows["project"])
        ticks.extend((float(v), f"<b>{_esc(n)}</b>") for v, n in zip(rows["_y"], rows["project"], strict=True))
        bar_parts.append(rows)
        ms = plan[plan["is_milestone"] | plan["is_gate"]]
        marker_parts.append(ms.merge(rows[["project", "_y"]], on="project", how="inner"))
    bars = pd.concat(bar_parts, ignore_index=True) if bar_parts else plan.iloc[0:0].assign(_y=[])
    markers = pd.concat(marker_parts, ignore_index=True) if marker_parts else plan.iloc[0:0].assign(_y=[])
    if group != "task":
        # Nearly every phase holds some critical task, so outlines would paint the whole portfolio red.
        bars = bars.assign(critical=False, near_critical=False)
        markers = markers.assign(critical=False, near_critical=False)
    return bars, markers, ticks


def _hover(rows: pd.DataFrame, lab: Mapping[str, str], group: str) -> list[str]:
    out: list[str] = []
    for r in rows.itertuples(index=False):
        lines = [f"<b>{_esc(r.name)}</b>"]
        if group == "task" or r.task_id:
            lines.append(f"{_esc(r.project)} / {_esc(_phase_label(r.phase, lab))}")
        elif group == "phase":
            lines.append(_esc(r.project))
        lines.append(f"{_iso(r.start)} – {_iso(r.finish)}")
        lines.append(f"{r.percent_complete:.0f}% · {lab.get(str(r.status), str(r.status))}")
        if isinstance(r.total_float, float) and not np.isnan(r.total_float):
            flag = f" · {lab['critical']}" if r.critical else ""
            if getattr(r, "near_critical", False) and not r.critical:
                flag = f" · {lab['near_critical'].split('(')[0]}"
            lines.append(f"{lab['float']}: {r.total_float:.0f} {lab['days']}{flag}")
        if r.owner:
            lines.append(f"{lab['owner']}: {_esc(r.owner)}")
        out.append("<br>".join(lines))
    return out


def _custom(rows: pd.DataFrame, kind: str) -> list[list[str]]:
    """Selection payload: [project, task_id, kind] (the page narrows the view to the clicked project)."""
    return [[str(p), str(t), kind] for p, t in zip(rows["project"], rows["task_id"], strict=True)]


def _span_ms(start: pd.Series, finish: pd.Series) -> Any:
    days = ((finish - start).dt.total_seconds() / 86400.0).fillna(0).clip(lower=0) + 1
    return (days * _MS_PER_DAY).to_numpy(dtype=float)


def _bar_traces(fig: go.Figure, bars: pd.DataFrame, lab: Mapping[str, str], group: str, show_baseline: bool) -> None:
    for status in schedule.STATUSES:
        part = bars[bars["status"] == status]
        if part.empty:
            continue
        crit = part["critical"].to_numpy(dtype=bool)
        near = part["near_critical"].to_numpy(dtype=bool)
        fig.add_trace(
            go.Bar(
                name=lab[status],
                orientation="h",
                y=part["_y"].tolist(),
                base=[_iso(s) for s in part["start"]],
                x=_span_ms(part["start"], part["finish"]).tolist(),
                width=0.55,
                # % complete written on the bar (hidden by uniformtext where the bar is too short to hold it)
                text=[f"{p:.0f}%" for p in part["percent_complete"]],
                textposition="inside",
                insidetextanchor="middle",
                textfont={"color": "white", "size": 11},
                marker={
                    "color": STATUS_COLORS[status],
                    "line": {
                        "color": [
                            CRITICAL_COLOR if c else NEAR_CRITICAL_COLOR if m else _NONE
                            for c, m in zip(crit, near, strict=True)
                        ],
                        "width": [3 if c else 2 if m else 0 for c, m in zip(crit, near, strict=True)],
                    },
                },
                hovertext=_hover(part, lab, group),
                hoverinfo="text",
                customdata=_custom(part, group),
                meta=f"status:{status}",
            )
        )
    done = bars[bars["percent_complete"] > 0]
    if not done.empty:
        fig.add_trace(
            go.Bar(
                name=lab["progress"],
                orientation="h",
                y=done["_y"].tolist(),
                base=[_iso(s) for s in done["start"]],
                x=(
                    _span_ms(done["start"], done["finish"]) * done["percent_complete"].to_numpy(dtype=float) / 100
                ).tolist(),
                width=0.2,
                marker={"color": PROGRESS_COLOR},
                hoverinfo="skip",
                meta="progress",
            )
        )
    based = bars[bars["baseline_start"].notna() & bars["baseline_finish"].notna()] if show_baseline else bars.iloc[0:0]
    if not based.empty:
        fig.add_trace(
            go.Bar(
                name=lab["baseline"],
                orientation="h",
                y=(based["_y"] + 0.38).tolist(),
                base=[_iso(s) for s in based["baseline_start"]],
                x=_span_ms(based["baseline_start"], based["baseline_finish"]).tolist(),
                width=0.16,
                marker={"color": BASELINE_COLOR},
                hovertext=[
                    f"{lab['baseline']}: {_iso(s)} – {_iso(f)}"
                    for s, f in zip(based["baseline_start"], based["baseline_finish"], strict=True)
                ],
                hoverinfo="text",
                meta="baseline",
            )
        )


def _marker_traces(fig: go.Figure, markers: pd.DataFrame, lab: Mapping[str, str]) -> None:
    for kind, part, symbol in (
        ("milestones", markers[markers["is_milestone"] & ~markers["is_gate"]], MILESTONE_SYMBOL),
        ("gates", markers[markers["is_gate"]], GATE_SYMBOL),
    ):
        if part.empty:
            continue
        crit = part["critical"].to_numpy(dtype=bool)
        colours = [STATUS_COLORS.get(str(s), "#888") for s in part["status"]]
        fig.add_trace(
            go.Scatter(
                name=lab["milestone" if kind == "milestones" else "gate"],
                mode="markers",
                x=[_iso(f) for f in part["finish"]],
                y=part["_y"].tolist(),
                marker={
                    "symbol": symbol,
                    "size": 13 if kind == "milestones" else 16,
                    "color": colours if kind == "milestones" else GATE_COLOR,
                    "line": {
                        "color": [CRITICAL_COLOR if c else "white" for c in crit],
                        "width": [3 if c else 1 for c in crit],
                    },
                },
                hovertext=_hover(part, lab, "task"),
                hoverinfo="text",
                customdata=_custom(part, "milestone"),
                meta=kind,
            )
        )


def dependency_edges(drawn: pd.DataFrame) -> list[tuple[int, int]]:
    """(predecessor row, successor row) positions among the drawn tasks, critical links first."""
    edges: list[tuple[int, int, bool]] = []
    index: dict[tuple[str, str], int] = {}
    keys = list(zip(drawn["project"].astype(str), drawn["task_id"].astype(str), strict=True))
    for i, key in enumerate(keys):
        index.setdefault(key, i)
    crit = drawn["critical"].to_numpy(dtype=bool)
    stored = drawn["links"] if "links" in drawn.columns else pd.Series([None] * len(drawn), index=drawn.index)
    for i, (links, text, key) in enumerate(zip(stored, drawn["predecessors"], keys, strict=True)):
        for link in cpm.links_of(links, text):
            j = index.get((key[0], link.pred))
            if j is not None and j != i:
                edges.append((j, i, bool(crit[i] and crit[j])))
    edges.sort(key=lambda e: not e[2])
    return [(j, i) for j, i, _ in edges]


def _arrows(fig: go.Figure, drawn: pd.DataFrame, max_arrows: int) -> int:
    edges = dependency_edges(drawn)[: max(0, max_arrows)]
    one_day = pd.Timedelta(days=1)
    arrows: list[dict[str, Any]] = []
    for j, i in edges:
        pred, succ = drawn.iloc[j], drawn.iloc[i]
        tail = pred["finish"] + (pd.Timedelta(0) if pred["is_milestone"] else one_day)
        both_critical = bool(pred["critical"] and succ["critical"])
        arrows.append(
            {
                "x": _iso(succ["start"]),
                "y": float(succ["_y"]),
                "ax": _iso(tail),
                "ay": float(pred["_y"]),
                "xref": "x",
                "yref": "y",
                "axref": "x",
                "ayref": "y",
                "text": "",
                "showarrow": True,
                "arrowhead": 2,
                "arrowsize": 1,
                "arrowwidth": 1.5 if both_critical else 1,
                "arrowcolor": CRITICAL_COLOR if both_critical else "rgba(90,90,90,0.7)",
            }
        )
    # One assignment: add_annotation re-validates every annotation already there, so a loop of them is
    # quadratic (200 arrows took seconds).
    fig.layout.annotations = (*fig.layout.annotations, *arrows)
    return len(edges)


def pick_tasks(plan: pd.DataFrame, today: dt.date, limit: int = COLLAPSE_OVER) -> tuple[pd.DataFrame, dict[str, int]]:
    """At most `limit` tasks of a plan too long to draw one by one (a prepared plan with status and critical
    flags): open critical tasks first (by start), then late ones (earliest finish, so most overdue, first),
    near-critical ones, open tasks under way between today and SOON_DAYS ahead, open milestones and gates. Returns
    the picked rows in plan order and how many each reason brought (PICK_REASONS)."""
    now = pd.Timestamp(today)
    open_ = (plan["percent_complete"] < 100).to_numpy()
    start, finish = plan["start"].to_numpy(), plan["finish"].to_numpy()
    soon = open_ & (start <= (now + pd.Timedelta(days=SOON_DAYS)).to_datetime64()) & (finish >= now.to_datetime64())
    masks = {
        "critical": (plan["critical"].to_numpy(dtype=bool) & open_, start),
        "late": ((plan["status"] == "late").to_numpy(dtype=bool), finish),
        "near_critical": (plan["near_critical"].to_numpy(dtype=bool) & open_, start),
        "soon": (soon, start),
        "milestone": ((plan["is_milestone"] | plan["is_gate"]).to_numpy(dtype=bool) & open_, finish),
    }
    taken = np.zeros(len(plan), dtype=bool)
    counts: dict[str, int] = {}
    for reason in PICK_REASONS:
        mask, key = masks[reason]
        room = max(limit - int(taken.sum()), 0)
        candidates = np.flatnonzero(mask & ~taken)
        chosen = candidates[np.argsort(key[candidates], kind="stable")][:room]
        taken[chosen] = True
        counts[reason] = len(chosen)
    return plan[taken], counts


def effective_group(plan: pd.DataFrame, group: str, collapse_over: int = COLLAPSE_OVER) -> str:
    """The grouping actually drawn: too many task rows collapse to phases, too many phase rows to projects."""
    if group == "task" and len(plan) > collapse_over:
        group = "phase"
    if group == "phase" and len(plan[["project", "phase"]].drop_duplicates()) > collapse_over:
        group = "project"
    return group


def gantt(
    df: pd.DataFrame,
    today: dt.date,
    *,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    show_baseline: bool = True,
    show_critical: bool = True,
    group: Group | str = "task",
    zoom: Zoom | str = None,
    max_arrows: int = 200,
    collapse_over: int = COLLAPSE_OVER,
    near_days: float | None = None,
) -> go.Figure:
    """The plan as a Gantt grouped project → phase → task (or one bar per phase / project).

    Bars are coloured by status with the completed share drawn inside; milestones are diamonds and quality gates
    star-diamonds; critical tasks have a red outline; baselines are thin grey bars under the current ones.
    Dependency arrows are drawn only in the task view, critical links first, never more than `max_arrows`.
    Near-critical tasks (total float within the setting) have an orange outline; % complete is written on each bar.
    Task names are cut to LABEL_WIDTH columns (the hover shows them whole); a month/quarter zoom keeps only the
    rows that overlap its window. A task view of more than `collapse_over` tasks draws the ones that matter now
    (pick_tasks: critical, late, near-critical, under way soon, milestones), never thousands of bars.
    `layout.meta` tells what was drawn: group, collapsed, arrows, rows, picked (total, shown and per reason).
    """
    near_days = cpm.near_critical_days() if near_days is None else near_days
    lab = labels_for(lang, labels)
    group = group if group in ("task", "phase", "project") else "task"
    plan = _prepare(df, today, show_critical)
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None
    if zoom in ZOOM_DAYS:
        before, after = ZOOM_DAYS[str(zoom)]
        t0 = pd.Timestamp(today)
        window = (t0 - pd.Timedelta(days=before), t0 + pd.Timedelta(days=after))
        # only the rows that show in the window: a zoomed portfolio of 300 tasks draws the 40 that matter now
        plan = plan[(plan["finish"] >= window[0]) & (plan["start"] <= window[1])]
    picked: dict[str, int] | None = None
    if group == "task" and len(plan) > collapse_over:
        few, counts = pick_tasks(plan, today, collapse_over)
        if len(few):  # else (nothing open, late or soon) one bar per phase, as for any plan too long to draw
            picked = {"total": len(plan), "shown": len(few), **counts}
            plan = few
    drawn_group = effective_group(plan, group, collapse_over) if not plan.empty else group
    fig = go.Figure()
    arrows = 0
    ticks: list[tuple[float, str]] = []
    if not plan.empty:
        bars, markers, ticks = _layout(plan, drawn_group, today, lab)
        _bar_traces(fig, bars, lab, drawn_group, show_baseline)
        _marker_traces(fig, markers, lab)
        if drawn_group == "task":
            drawn = pd.concat([bars, markers[markers["is_milestone"]]], ignore_index=True)
            arrows = _arrows(fig, drawn, max_arrows)
    today_iso = _iso(today)
    fig.add_shape(
        type="line",
        x0=today_iso,
        x1=today_iso,
        xref="x",
        y0=0,
        y1=1,
        yref="paper",
        line={"color": TODAY_COLOR, "width": 2, "dash": "dash"},
        name="today",
    )
    fig.add_annotation(
        x=today_iso,
        y=1,
        xref="x",
        yref="paper",
        text=f"{lab['today']} {today_iso}",
        showarrow=False,
        yanchor="bottom",
        font={"color": TODAY_COLOR},
        name="today",
    )
    xaxis: dict[str, Any] = {"type": "date", "showgrid": True, **date_axis(lang)}  # 中文 dates in zh
    if window is not None:
        xaxis["range"] = [_iso(window[0]), _iso(window[1])]
    for flag, colour, width, text in (
        ("critical", CRITICAL_COLOR, 3, lab["critical"]),
        ("near_critical", NEAR_CRITICAL_COLOR, 2, lab["near_critical"].format(days=f"{near_days:g}")),
    ):
        if show_critical and not plan.empty and bool(plan[flag].any()) and drawn_group == "task":
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    name=text,
                    marker={"symbol": "square-open", "size": 12, "color": colour, "line": {"width": width}},
                    hoverinfo="skip",
                    meta=f"legend:{flag}",
                )
            )
    rows = len(ticks)
    fig.update_layout(
        barmode="overlay",
        xaxis=xaxis,
        yaxis={
            "tickmode": "array",
            "tickvals": [v for v, _ in ticks],
            "ticktext": [t for _, t in ticks],
            "autorange": "reversed",
            "showgrid": False,
            "zeroline": False,
        },
        height=max(320, min(160 + 22 * rows, 7000)),
        margin={"l": 10, "r": 10, "t": 40, "b": 10, "autoexpand": True},
        legend={"orientation": "h", "y": -0.02, "yanchor": "top"},
        hovermode="closest",
        clickmode="event+select",
        uniformtext={"minsize": 8, "mode": "hide"},
        meta={
            "group": drawn_group,
            "requested_group": group,
            "collapsed": drawn_group != group,
            "arrows": arrows,
            "rows": rows,
            "picked": picked,
        },
    )
    return fig


def selected_project(selection: Mapping[str, Any] | None) -> str | None:
    """The project of the first selected Gantt bar or milestone (from st.plotly_chart's selection state)."""
    if not selection:
        return None
    for point in selection.get("points", []) or []:
        data = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(data, list | tuple) and data and data[0]:
            return str(data[0])
    return None


def _signed(days: float, lab: Mapping[str, str]) -> str:
    return "—" if np.isnan(days) else f"{days:+.0f} {lab['days']}"


def slippage_chart(slip: pd.DataFrame, lang: str = "zh", labels: Mapping[str, str] | None = None) -> go.Figure:
    """Days each project's last finish moved: against its baseline and against last week's plan (+ = later)."""
    lab = labels_for(lang, labels)
    fig = go.Figure()
    if not slip.empty:
        projects = slip["project"].astype(str).tolist()
        for col, key, colour in (
            ("vs_baseline_days", "vs_baseline", "#f28e2b"),
            ("vs_previous_days", "vs_previous", "#4e79a7"),
        ):
            values = pd.to_numeric(slip[col], errors="coerce")
            fig.add_trace(
                go.Bar(
                    name=lab[key],
                    x=[_esc(p) for p in projects],  # tick labels read HTML (links) too: data stays text
                    y=[None if np.isnan(v) else float(v) for v in values],
                    marker={"color": colour},
                    hovertext=[
                        f"{_esc(p)} · {lab[key]}: {_signed(v, lab)}" for p, v in zip(projects, values, strict=True)
                    ],
                    hoverinfo="text",
                    customdata=[[p] for p in projects],
                    meta=key,
                )
            )
    fig.add_hline(y=0, line={"color": "#555", "width": 1})
    fig.update_layout(
        barmode="group",
        yaxis={"title": {"text": lab["slip_axis"]}, "zeroline": True},
        xaxis={"type": "category"},
        height=340,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h"},
    )
    return fig
