"""Schedule metrics on small hand-checked plans: status, critical path, cycles, late tasks, roll-up, slippage."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from metrics import schedule
from metrics.scope import Scope
from tests import storekit

D = dt.date


def plan_rows() -> list[dict[str, object]]:
    """Kick-off → (A 10 d ‖ B 5 d) → C 5 d → go-live. A is the long branch; B has 5 days of float."""
    return [
        {"project": "EMR", "task_id": "1", "name": "Kick-off", "phase": "Start", "start": D(2026, 1, 5),
         "finish": D(2026, 1, 5), "is_milestone": True, "percent_complete": 100, "owner": "PMO"},
        {"project": "EMR", "task_id": "2", "name": "Build A", "phase": "Build", "start": D(2026, 1, 5),
         "finish": D(2026, 1, 14), "predecessors": "1", "percent_complete": 50, "owner": "Li"},
        {"project": "EMR", "task_id": "3", "name": "Interface B", "phase": "Build", "start": D(2026, 1, 5),
         "finish": D(2026, 1, 9), "predecessors": "1FS+2d", "percent_complete": 100, "owner": "Wang"},
        {"project": "EMR", "task_id": "4", "name": "Test C", "phase": "Test", "start": D(2026, 1, 15),
         "finish": D(2026, 1, 19), "predecessors": "2；3,99", "percent_complete": 0, "owner": "Zhao"},
        {"project": "EMR", "task_id": "5", "name": "Go-live", "phase": "Test", "start": D(2026, 1, 19),
         "finish": D(2026, 1, 19), "predecessors": "4", "is_milestone": True, "is_gate": True, "owner": "CIO"},
    ]  # fmt: skip


def plan() -> pd.DataFrame:
    return pd.DataFrame(plan_rows())


# ---------------------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("12", ["12"]),
        ("12FS+2d", ["12"]),
        ("3SS; 4ff-1 day, 5", ["3", "4", "5"]),
        ("A1，B2", ["A1", "B2"]),
        ("7.0", ["7"]),
        (None, []),
        ("", []),
    ],
)
def test_parse_predecessors(text: object, ids: list[str]) -> None:
    assert schedule.parse_predecessors(text) == ids


# ---------------------------------------------------------------------------------------------- critical path
def test_critical_path_parallel_branches_and_milestones() -> None:
    # B at 80 % (still open): working days on China's calendar (5-9 Jan, 12-16 Jan, 19 Jan 2026).
    cp = schedule.critical_path(plan().assign(percent_complete=[100, 50, 80, 0, 0])).set_index("task_id")
    # the kick-off is done, so never critical (MS Project's rule), whatever its float
    assert cp.index[cp["critical"]].tolist() == ["2", "4", "5"]
    # B (started 5 Jan, 5 working days) ends 9 Jan; C cannot start before A ends (14 Jan): 3 working days of float.
    assert cp.loc["3", "total_float"] == 3.0
    assert cp.loc["3", "free_float"] == 3.0
    assert cp.loc["3", "late_start"] == pd.Timestamp(2026, 1, 8)
    assert cp.loc["3", "late_finish"] == pd.Timestamp(2026, 1, 14)
    assert cp.loc["4", "early_start"] == pd.Timestamp(2026, 1, 15)
    assert cp.loc["4", "work_days"] == 3.0  # 15, 16, 19 Jan
    # Milestones take no time: the kick-off and the go-live keep their dates.
    assert cp.loc["1", "early_start"] == cp.loc["1", "early_finish"] == pd.Timestamp(2026, 1, 5)
    assert cp.loc["5", "early_finish"] == cp.loc["5", "late_finish"] == pd.Timestamp(2026, 1, 19)
    notes = schedule.plan_notes(cp)
    assert notes.to_dict("records") == [
        {"kind": "unknown_predecessor", "project": "EMR", "task_id": "4", "detail": "99"}
    ]
    assert not cp["in_cycle"].any()


def test_completed_task_is_never_critical() -> None:
    cp = schedule.critical_path(plan()).set_index("task_id")
    assert cp.index[cp["critical"]].tolist() == ["2", "4", "5"]
    assert not cp.loc["3", "critical"] and cp.loc["3", "total_float"] == 0.0


def test_critical_path_is_per_project_and_keeps_index() -> None:
    other = [{**r, "project": "HIS"} for r in plan_rows()]
    df = pd.DataFrame(plan_rows() + other, index=range(100, 110))
    cp = schedule.critical_path(df)
    assert list(cp.index) == list(range(100, 110))
    assert cp.groupby("project")["critical"].sum().to_dict() == {"EMR": 3, "HIS": 3}


def test_cycle_is_reported_not_looped() -> None:
    rows = [
        {
            "project": "P",
            "task_id": "a",
            "name": "a",
            "start": D(2026, 2, 2),
            "finish": D(2026, 2, 3),
            "predecessors": "c",
        },
        {
            "project": "P",
            "task_id": "b",
            "name": "b",
            "start": D(2026, 2, 4),
            "finish": D(2026, 2, 5),
            "predecessors": "a",
        },
        {
            "project": "P",
            "task_id": "c",
            "name": "c",
            "start": D(2026, 2, 6),
            "finish": D(2026, 2, 6),
            "predecessors": "b",
        },
        {
            "project": "P",
            "task_id": "d",
            "name": "d",
            "start": D(2026, 2, 2),
            "finish": D(2026, 2, 2),
            "predecessors": "d",
        },
    ]
    cp = schedule.critical_path(pd.DataFrame(rows)).set_index("task_id")
    notes = schedule.plan_notes(cp)
    assert sorted(notes["kind"]) == ["cycle", "cycle"]
    assert cp["in_cycle"].to_dict() == {"a": True, "b": True, "c": True, "d": True}
    # With the closing link dropped the chain a → b → c is still scheduled and critical.
    assert cp.loc[["a", "b", "c"], "critical"].all()
    assert cp.loc["d", "total_float"] == 4.0


# ---------------------------------------------------------------------------------------------- status / late
def test_task_status() -> None:
    status = schedule.task_status(plan(), D(2026, 1, 12))
    # A: 7 of 10 days passed → 70 % expected, 50 % done → 20 points behind → late.
    assert status.tolist() == ["done", "late", "done", "not_started", "not_started"]
    on_time = schedule.task_status(plan().assign(percent_complete=[100, 65, 100, 0, 0]), D(2026, 1, 12))
    assert on_time.tolist() == ["done", "on_track", "done", "not_started", "not_started"]


def test_late_tasks() -> None:
    late = schedule.late_tasks(plan(), D(2026, 1, 21))
    assert late["task_id"].tolist() == ["2", "4", "5"]
    assert late["days_late"].tolist() == [7.0, 2.0, 2.0]
    assert late.loc[0, "expected_percent"] == 100.0
    assert late.loc[0, "owner"] == "Li"


# ---------------------------------------------------------------------------------------------- roll-up
def test_rollup_percent_duration_weighted() -> None:
    phases = schedule.rollup_percent(plan()).set_index("phase")
    # Start holds only the kick-off milestone: counts on its own (100 %).
    assert phases.loc["Start", "percent_complete"] == 100.0
    # Build: A 10 d at 50 %, B 5 d at 100 % → (500 + 500) / 15.
    assert phases.loc["Build", "percent_complete"] == pytest.approx(1000 / 15)
    assert phases.loc["Build", "weight_days"] == 15.0
    # Test: C 5 d at 0 %, the go-live milestone weighs nothing.
    assert phases.loc["Test", "percent_complete"] == 0.0
    project = schedule.rollup_percent(plan(), by=("project",))
    assert project["percent_complete"].tolist() == [pytest.approx(1000 / 20)]
    assert project["tasks"].tolist() == [5]


# ---------------------------------------------------------------------------------------------- milestones
def test_milestones_due_and_overdue() -> None:
    extra = {"project": "EMR", "task_id": "6", "name": "Sign-off", "start": D(2026, 2, 20), "finish": D(2026, 2, 20),
             "is_milestone": True, "owner": "Dean"}  # fmt: skip
    df = pd.DataFrame([*plan_rows(), extra])
    due = schedule.milestones_due(df, D(2026, 1, 20))
    # Kick-off is done; go-live (19 Jan) is overdue; sign-off is 31 days out.
    assert due["task_id"].tolist() == ["5"]
    assert due.loc[0, "overdue"]
    assert due.loc[0, "owner"] == "CIO"
    assert due.loc[0, "days_to_due"] == -1.0
    assert due.loc[0, "is_gate"]
    soon = schedule.milestones_due(df, D(2026, 2, 10))
    assert soon["task_id"].tolist() == ["5", "6"]
    assert soon["overdue"].tolist() == [True, False]
    assert soon["days_to_due"].tolist() == [-22.0, 10.0]


# ---------------------------------------------------------------------------------------------- slippage
def test_slippage_pure() -> None:
    previous = plan().assign(baseline_finish=pd.Timestamp(2026, 1, 16))
    latest = previous.copy()
    latest.loc[latest["task_id"] == "4", "finish"] = pd.Timestamp(2026, 1, 23)
    latest.loc[latest["task_id"] == "5", ["start", "finish"]] = pd.Timestamp(2026, 1, 23)
    latest.loc[latest["task_id"] == "3", "finish"] = pd.Timestamp(2026, 1, 8)
    latest = latest[latest["task_id"] != "1"]
    slip = schedule.slippage(latest, previous)
    row = slip.projects.iloc[0]
    assert row["project"] == "EMR"
    assert row["vs_baseline_days"] == 7.0  # 23 Jan against 16 Jan
    assert row["vs_previous_days"] == 4.0  # 23 Jan against 19 Jan
    assert row["direction"] == "later"
    moved = slip.tasks.set_index("task_id")
    assert moved["change"].to_dict() == {"4": "later", "5": "later", "3": "earlier", "1": "removed"}
    assert moved.loc["4", "finish_moved_days"] == 4.0
    assert moved.loc["3", "finish_moved_days"] == -1.0
    assert moved.loc["1", "name"] == "Kick-off"


def test_slippage_through_the_store() -> None:
    con = storekit.new_store()
    week1 = [{**r, "baseline_finish": D(2026, 1, 16)} for r in plan_rows()]
    week2 = [dict(r) for r in week1]
    week2[3]["finish"] = D(2026, 1, 21)
    week2[4]["start"] = week2[4]["finish"] = D(2026, 1, 21)
    storekit.insert_rows(con, "tasks", week1, as_of=D(2026, 1, 5))
    storekit.insert_rows(con, "tasks", week2, as_of=D(2026, 1, 12))
    storekit.insert_rows(con, "tasks", [{**week1[0], "project": "HIS"}], as_of=D(2026, 1, 12))

    tasks = schedule.load_tasks(con, Scope(projects=("EMR",)))
    assert len(tasks) == 5 and tasks["finish"].max() == pd.Timestamp(2026, 1, 21)
    old = schedule.load_tasks(con, Scope(projects=("EMR",), as_of=D(2026, 1, 8)))
    assert old["finish"].max() == pd.Timestamp(2026, 1, 19)
    assert schedule.load_tasks(con, Scope(as_of=D(2026, 1, 1))).empty

    snaps = schedule.load_snapshots(con, Scope())
    assert len(snaps) == 11
    latest, previous = schedule.split_snapshots(snaps)
    assert sorted(set(latest["project"])) == ["EMR", "HIS"] and set(previous["project"]) == {"EMR"}

    slip = schedule.load_slippage(con, Scope())
    by_project = slip.projects.set_index("project")
    assert by_project.loc["EMR", "vs_baseline_days"] == 5.0
    assert by_project.loc["EMR", "vs_previous_days"] == 2.0
    assert by_project.loc["HIS", "direction"] == "new"
    assert slip.tasks["task_id"].tolist() == ["4", "5"]
    # As of the first week there is nothing to compare against.
    first = schedule.load_slippage(con, Scope(as_of=D(2026, 1, 5)))
    assert first.projects["vs_previous_days"].isna().all() and first.tasks.empty

    shown = schedule.load_plan(con, Scope(projects=("EMR",), today=D(2026, 1, 12)))
    assert shown.loc[shown["critical"], "task_id"].tolist() == ["2", "4", "5"]  # the done kick-off is not
    assert shown["status"].tolist() == ["done", "late", "done", "not_started", "not_started"]


# ---------------------------------------------------------------------------------------------- empty
def test_empty_inputs() -> None:
    empty = schedule.empty_tasks()
    today = D(2026, 1, 1)
    assert schedule.task_status(empty, today).empty
    cp = schedule.critical_path(empty)
    assert cp.empty and set(schedule.CPM_COLUMNS) <= set(cp.columns)
    assert list(schedule.late_tasks(empty, today).columns) == list(schedule.LATE_COLUMNS)
    assert list(schedule.milestones_due(empty, today).columns) == list(schedule.MILESTONE_COLUMNS)
    assert list(schedule.rollup_percent(empty).columns) == ["project", "phase", "percent_complete", "weight_days",
                                                            "tasks", "start", "finish"]  # fmt: skip
    slip = schedule.slippage(empty, empty)
    assert list(slip.projects.columns) == list(schedule.PROJECT_SLIP_COLUMNS)
    assert list(slip.tasks.columns) == list(schedule.TASK_MOVE_COLUMNS)
    con = storekit.new_store()
    assert schedule.load_tasks(con, Scope()).empty
    assert schedule.load_snapshots(con, Scope(as_of=today), last=2).empty
    assert schedule.load_slippage(con, Scope()).projects.empty
    assert schedule.load_plan(con, Scope()).empty
