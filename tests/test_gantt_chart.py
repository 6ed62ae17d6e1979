"""The Gantt and slippage figures, inspected trace by trace on small plans and on a 5,000-task portfolio."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import gantt
from metrics import schedule
from tests.test_schedule_metrics import plan, plan_rows

TODAY = dt.date(2026, 1, 12)


def traces(fig: go.Figure) -> dict[str, object]:
    return {str(t.meta): t for t in fig.data}


def arrows(fig: go.Figure) -> list[object]:
    return [a for a in fig.layout.annotations if a.showarrow]


def big_plan(n: int = 5000, projects: int = 10, phases: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    start = pd.Timestamp(2026, 1, 1) + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    per_project = n // projects
    ids = np.arange(n) % per_project
    return pd.DataFrame(
        {
            "project": [f"P{i // per_project}" for i in range(n)],
            "task_id": ids.astype(str),
            "name": [f"task {i}" for i in range(n)],
            "phase": [f"phase {(i % per_project) * phases // per_project}" for i in range(n)],
            "start": start,
            "finish": start + pd.to_timedelta(rng.integers(0, 20, n), unit="D"),
            "predecessors": [str(i - 1) if i else None for i in ids],
            "is_milestone": ids % 50 == 0,
            "percent_complete": rng.integers(0, 101, n).astype(float),
        }
    )


def test_task_view_traces_and_markers() -> None:
    fig = gantt.gantt(plan(), TODAY, lang="en")
    by_meta = traces(fig)
    # A is late, B done, C not started; the milestones are markers, not bars.
    assert [m for m in by_meta if m.startswith("status:")] == ["status:done", "status:late", "status:not_started"]
    assert all(t.type == "bar" and t.orientation == "h" for m, t in by_meta.items() if m.startswith("status:"))
    assert by_meta["status:late"].name == "Late"
    milestones = by_meta["milestones"]
    assert milestones.type == "scatter" and milestones.marker.symbol == "diamond"
    assert list(milestones.customdata) == [["EMR", "1", "milestone"]]
    gates = by_meta["gates"]
    assert gates.marker.symbol == gantt.GATE_SYMBOL and list(gates.customdata) == [["EMR", "5", "milestone"]]
    # The completed share: A 50 % of 10 days, B 100 % of 5 days (milliseconds on the date axis).
    progress = by_meta["progress"]
    assert sorted(progress.x) == [5 * 86_400_000, 5 * 86_400_000]
    assert "baseline" not in by_meta  # no baseline in this plan
    assert fig.layout.meta["group"] == "task" and not fig.layout.meta["collapsed"]
    # y ticks: project → phase → task.
    assert list(fig.layout.yaxis.ticktext)[:3] == ["<b>EMR</b>", "\u00a0\u00a0Start", "\u00a0" * 4 + "Kick-off"]


def test_today_line_with_label() -> None:
    fig = gantt.gantt(plan(), TODAY, lang="zh")
    lines = [s for s in fig.layout.shapes if s.name == "today"]
    assert len(lines) == 1 and lines[0].x0 == lines[0].x1 == "2026-01-12"
    labels = [a for a in fig.layout.annotations if a.name == "today"]
    assert len(labels) == 1 and labels[0].text == "今天 2026-01-12" and not labels[0].showarrow


def test_dependency_arrows_match_visible_links() -> None:
    fig = gantt.gantt(plan(), TODAY)
    # Links 1→2, 1→3, 2→4, 3→4, 4→5; the unknown "99" draws nothing.
    assert len(arrows(fig)) == 5 == fig.layout.meta["arrows"]
    capped = gantt.gantt(plan(), TODAY, max_arrows=2)
    drawn = arrows(capped)
    assert len(drawn) == 2
    # Critical links go first.
    assert all(a.arrowcolor == gantt.CRITICAL_COLOR for a in drawn)
    # Only visible tasks: without task 1 its two links vanish.
    assert len(arrows(gantt.gantt(plan()[plan()["task_id"] != "1"], TODAY))) == 3
    assert arrows(gantt.gantt(plan(), TODAY, group="phase")) == []


def test_critical_tasks_outlined() -> None:
    fig = gantt.gantt(plan(), TODAY)
    outlined: set[str] = set()
    plain: set[str] = set()
    for t in fig.data:
        if not str(t.meta).startswith("status:"):
            continue
        for data, colour in zip(t.customdata, t.marker.line.color, strict=True):
            (outlined if colour == gantt.CRITICAL_COLOR else plain).add(data[1])
    assert outlined == {"2", "4"} and plain == {"3"}
    assert list(traces(fig)["gates"].marker.line.color) == [gantt.CRITICAL_COLOR]
    off = gantt.gantt(plan(), TODAY, show_critical=False)
    colours = [c for t in off.data if str(t.meta).startswith("status:") for c in t.marker.line.color]
    assert gantt.CRITICAL_COLOR not in colours


def test_baseline_trace_only_when_baselines_exist() -> None:
    based = plan().assign(baseline_start=pd.Timestamp(2026, 1, 5), baseline_finish=pd.Timestamp(2026, 1, 9))
    fig = gantt.gantt(based, TODAY)
    baseline = traces(fig)["baseline"]
    assert len(baseline.y) == 3 and all(x == 5 * 86_400_000 for x in baseline.x)
    assert "baseline" not in traces(gantt.gantt(based, TODAY, show_baseline=False))


def test_phase_and_project_views_and_zoom() -> None:
    phase = gantt.gantt(plan(), TODAY, group="phase", zoom="month")
    bars = [t for t in phase.data if str(t.meta).startswith("status:")]
    assert sum(len(t.y) for t in bars) == 3  # Start has only a milestone and still gets a row; Build, Test
    assert phase.layout.xaxis.range == ("2025-12-12", "2026-03-15")
    project = gantt.gantt(plan(), TODAY, group="project", zoom="quarter")
    bars = [t for t in project.data if str(t.meta).startswith("status:")]
    assert [list(t.customdata) for t in bars] == [[["EMR", "", "project"]]]
    assert project.layout.xaxis.range == ("2025-10-12", "2026-07-15")


def test_five_thousand_tasks_draw_the_ones_that_matter() -> None:
    big = schedule.critical_path(big_plan())
    big["status"] = schedule.task_status(big, TODAY)
    fig = gantt.gantt(big, TODAY, max_arrows=50)
    meta = fig.layout.meta
    assert meta["group"] == "task" and not meta["collapsed"]
    picked = meta["picked"]
    drawn = {(p, t) for tr in fig.data for p, t, _ in (tr.customdata or [])}
    assert picked["total"] == 5000 and picked["shown"] == len(drawn) == gantt.COLLAPSE_OVER
    assert sum(picked[r] for r in gantt.PICK_REASONS) == picked["shown"]
    # priority: open critical tasks first (chains: more than fit), the earliest-starting ones
    open_critical = big[big["critical"] & (big["percent_complete"] < 100)].sort_values("start", kind="stable")
    assert len(open_critical) > gantt.COLLAPSE_OVER and picked["critical"] == gantt.COLLAPSE_OVER
    first = open_critical.head(gantt.COLLAPSE_OVER)
    assert set(zip(first["project"], first["task_id"], strict=True)) == drawn
    # without the critical path highlighted: the late tasks, most overdue first
    plain = gantt.gantt(big, TODAY, show_critical=False)
    late = big[big["status"] == "late"].sort_values("finish", kind="stable")
    assert plain.layout.meta["picked"]["late"] == min(len(late), gantt.COLLAPSE_OVER) > 0
    late_drawn = {(p, t) for tr in plain.data for p, t, _ in (tr.customdata or [])}
    assert set(zip(late["project"], late["task_id"], strict=True)) & late_drawn == set(
        zip(late["project"].head(gantt.COLLAPSE_OVER), late["task_id"].head(gantt.COLLAPSE_OVER), strict=True)
    )
    # small enough to ship: no trace over 10k points, the figure well under a megabyte
    assert all(len(tr.y) <= 10_000 for tr in fig.data if tr.y is not None)
    assert len(fig.to_json()) < 1_000_000
    assert len(arrows(fig)) <= 50
    # asked for phases, the whole plan one bar per phase; too many phases: one per project
    phases = gantt.gantt(big, TODAY, group="phase")
    assert sum(len(t.y) for t in phases.data if str(t.meta).startswith("status:")) == 80  # 10 projects × 8 phases
    assert phases.layout.meta["picked"] is None
    forced = gantt.gantt(big_plan(1000), TODAY, collapse_over=10_000, max_arrows=50)
    assert len(arrows(forced)) == 50 and forced.layout.meta["picked"] is None
    portfolio = gantt.gantt(big, TODAY, group="phase", collapse_over=50)
    assert portfolio.layout.meta["group"] == "project"


def test_pick_tasks_fills_by_priority() -> None:
    rows = pd.DataFrame(
        {
            "project": "P",
            "task_id": [str(i) for i in range(8)],
            "start": pd.to_datetime(
                [
                    "2026-01-01",
                    "2026-01-02",
                    "2026-01-03",
                    "2026-02-10",
                    "2026-02-05",
                    "2026-01-01",
                    "2026-09-01",
                    "2026-03-01",
                ]
            ),  # fmt: skip
            "finish": pd.to_datetime(
                [
                    "2026-01-09",
                    "2026-01-05",
                    "2026-02-20",
                    "2026-02-12",
                    "2026-02-06",
                    "2026-01-02",
                    "2026-09-03",
                    "2026-03-01",
                ]
            ),  # fmt: skip
            "percent_complete": [0.0, 10.0, 50.0, 0.0, 0.0, 100.0, 0.0, 0.0],
            "critical": [True, False, False, False, False, True, False, False],
            "near_critical": [False, False, False, False, False, False, True, False],
            "status": ["late", "late", "on_track", "not_started", "not_started", "done", "not_started", "not_started"],
            "is_milestone": [False] * 7 + [True],
            "is_gate": [False] * 8,
        }
    )
    # today 2026-01-20: task 0 critical and late (counted once, as critical), 1 late, 6 near-critical,
    # 2 under way now and 3, 4 starting within 31 days (by start: 2, 4, 3), 7 an open milestone; 5 is done
    today = dt.date(2026, 1, 20)
    chosen, counts = gantt.pick_tasks(rows, today, limit=5)
    assert counts == {"critical": 1, "late": 1, "near_critical": 1, "soon": 2, "milestone": 0}
    assert chosen["task_id"].tolist() == ["0", "1", "2", "4", "6"]
    everything, counts = gantt.pick_tasks(rows, today, limit=100)
    assert counts == {"critical": 1, "late": 1, "near_critical": 1, "soon": 3, "milestone": 1}
    assert "5" not in everything["task_id"].tolist()


def test_hover_and_ticks_are_plain_text() -> None:
    rows = plan_rows()
    rows[1] = {**rows[1], "name": "<script>x</script>"}
    fig = gantt.gantt(pd.DataFrame(rows), TODAY)
    assert "<script>" not in " ".join(fig.layout.yaxis.ticktext)
    assert all("<script>" not in h for t in fig.data if t.hovertext is not None for h in t.hovertext)


def test_empty_plan_and_selection() -> None:
    fig = gantt.gantt(schedule.empty_tasks(), TODAY)
    assert len(fig.data) == 0 and len([s for s in fig.layout.shapes if s.name == "today"]) == 1
    assert gantt.selected_project({"points": [{"customdata": ["EMR", "2", "task"]}]}) == "EMR"
    assert gantt.selected_project({"points": []}) is None
    assert gantt.selected_project(None) is None


def test_slippage_chart() -> None:
    slip = pd.DataFrame({"project": ["EMR", "HIS"], "vs_baseline_days": [7.0, -2.0], "vs_previous_days": [4.0, np.nan]})
    fig = gantt.slippage_chart(slip, "en")
    by_meta = traces(fig)
    assert list(by_meta["vs_baseline"].y) == [7.0, -2.0]
    assert list(by_meta["vs_previous"].y) == [4.0, None]
    assert by_meta["vs_previous"].name == "vs last week"
    assert (
        len(gantt.slippage_chart(schedule.slippage(schedule.empty_tasks(), schedule.empty_tasks()).projects).data) == 0
    )


def test_percent_complete_is_written_on_the_bar() -> None:
    by_meta = traces(gantt.gantt(plan(), TODAY, lang="en"))
    assert list(by_meta["status:late"].text) == ["50%"]  # Build A
    assert list(by_meta["status:done"].text) == ["100%"]
    assert by_meta["status:late"].textposition == "inside"


def test_near_critical_outline_and_legend() -> None:
    # B at 80 % has 3 working days of float: near-critical with a 3-day setting, not with 2
    df = plan().assign(percent_complete=[100, 50, 80, 0, 0])
    near = schedule.critical_path(df, near_days=3)
    fig = gantt.gantt(near, TODAY, lang="en", near_days=3)
    by_meta = traces(fig)
    late = by_meta["status:late"]  # A (critical) and B (near-critical), both behind on 12 Jan
    assert list(late.marker.line.color) == [gantt.CRITICAL_COLOR, gantt.NEAR_CRITICAL_COLOR]
    assert by_meta["legend:near_critical"].name == "Near-critical (float ≤ 3 d)"
    assert "legend:critical" in by_meta
    plain = traces(gantt.gantt(schedule.critical_path(df, near_days=2), TODAY, lang="en", near_days=2))
    assert "legend:near_critical" not in plain


def test_long_names_are_cut_with_the_full_name_on_hover() -> None:
    long_name = "门诊医生工作站与电子病历系统集成联调测试及上线准备"
    df = plan().assign(name=["Kick-off", long_name, "Interface B", "Test C", "Go-live"])
    fig = gantt.gantt(df, TODAY, lang="zh")
    ticks = list(fig.layout.yaxis.ticktext)
    cut = [t for t in ticks if "…" in t]
    assert len(cut) == 1 and long_name not in cut[0]
    assert sum(2 if ord(c) > 0x2E7F else 1 for c in cut[0].replace("\u00a0", "")) <= gantt.LABEL_WIDTH + 1
    hovers = [h for t in fig.data for h in (t.hovertext or [])]
    assert any(long_name in h for h in hovers)
    assert gantt.short_label("Go-live") == "Go-live"


def test_zoom_keeps_only_rows_in_the_window() -> None:
    big = big_plan(n=400, projects=2, phases=4)
    today = dt.date(2026, 6, 1)
    full = gantt.gantt(big, today, group="task", collapse_over=10_000)
    month = gantt.gantt(big, today, group="task", zoom="month", collapse_over=10_000)
    lo, hi = pd.Timestamp(2026, 5, 1), pd.Timestamp(2026, 8, 2)
    inside = big[(big["finish"] >= lo) & (big["start"] <= hi)]
    drawn = sum(len(t.y) for t in month.data if str(t.meta).startswith("status:") or t.meta in ("milestones",))
    assert drawn == len(inside) < len(big)
    assert month.layout.meta["rows"] < full.layout.meta["rows"]
    assert list(month.layout.xaxis.range) == ["2026-05-01", "2026-08-02"]
