"""The schedule engine on hand-built plans: each link type, lags in working/elapsed days and percent, a holiday
inside a task, a finished task on the longest chain, constraints, a cycle, the calendars and link text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from loaders.links import Link, LinkError, parse_links
from metrics import cpm, schedule, workcal

D = dt.date
MON_FRI = workcal.CalendarSpec().to_json()  # plain Monday-Friday, no holidays: figures easy to check by hand


def plan(rows: list[dict[str, object]], calendar: str | None = MON_FRI) -> pd.DataFrame:
    df = pd.DataFrame([{"project": "P", "name": r["task_id"], "calendar": calendar, **r} for r in rows])
    return schedule.critical_path(df).set_index("task_id")


def task(tid: str, start: dt.date, finish: dt.date, preds: str | None = None, **kw: object) -> dict[str, object]:
    return {"task_id": tid, "start": start, "finish": finish, "predecessors": preds, **kw}


# Monday 2 March 2026 .. : A = 2-4 Mar (3 working days), B 2 days, C 1 day
@pytest.mark.parametrize(
    ("link", "b_start", "b_float"),
    [
        ("A", D(2026, 3, 5), 0.0),  # FS: B after A
        ("ASS", D(2026, 3, 2), 1.0),  # SS: B with A; A (3 d) drives the end
        ("AFF", D(2026, 3, 3), 0.0),  # FF: B ends with A
        ("ASF+3d", D(2026, 3, 3), 0.0),  # SF + 3 d: B finishes no earlier than A's start + 3 d (end of 4 Mar)
        ("AFS+2d", D(2026, 3, 9), 0.0),  # FS + 2 working days: skips the weekend
        ("AFS-1d", D(2026, 3, 4), 0.0),  # a lead of one day
        ("AFS+3ed", D(2026, 3, 9), 0.0),  # 3 elapsed days after Wed 4 Mar = Sat 7 -> next working day Mon 9
        ("ASS+50%", D(2026, 3, 3), 0.0),  # half of A's 3 days (1.5) : B starts in the middle of Tue 3 Mar
    ],
)
def test_link_types_and_lags(link: str, b_start: dt.date, b_float: float) -> None:
    cp = plan([task("A", D(2026, 3, 2), D(2026, 3, 4)), task("B", D(2026, 3, 2), D(2026, 3, 3), link)])
    assert cp.loc["B", "early_start"] == pd.Timestamp(b_start)
    assert cp.loc["B", "total_float"] == pytest.approx(b_float)


def test_ss_ff_sf_against_hand_figures() -> None:
    # A 5 d (2-6 Mar); B 2 d SS+1 from A; C 2 d FF from A; D 1 d SF from B; E 3 d FS from A (the long chain)
    cp = plan(
        [
            task("A", D(2026, 3, 2), D(2026, 3, 6)),
            task("B", D(2026, 3, 2), D(2026, 3, 3), "ASS+1d"),
            task("C", D(2026, 3, 2), D(2026, 3, 3), "AFF"),
            task("D", D(2026, 3, 2), D(2026, 3, 2), "BSF"),
            task("E", D(2026, 3, 9), D(2026, 3, 11), "A"),
        ]
    )
    assert cp.loc["B", "early_start"] == pd.Timestamp(2026, 3, 3)
    assert cp.loc["C", "early_start"] == pd.Timestamp(2026, 3, 5)
    assert cp.loc["D", "early_finish"] == pd.Timestamp(2026, 3, 2)  # finishes as B starts (3 Mar 08:00)
    assert cp["critical"].to_dict() == {"A": True, "B": False, "C": False, "D": False, "E": True}
    # end = 11 Mar (x=8). B ends x=3 -> 5 days; C ends x=5 -> 3; D (no successor) may slip to the end -> 7
    assert cp["total_float"].to_dict() == {"A": 0.0, "B": 5.0, "C": 3.0, "D": 7.0, "E": 0.0}
    # B driving D (SF): any slip of B moves D, so B has no free float; C, with no successor, keeps its 3 days
    assert cp["free_float"].to_dict() == {"A": 0.0, "B": 0.0, "C": 3.0, "D": 7.0, "E": 0.0}


def test_holiday_inside_a_task_counts_no_work() -> None:
    # National Day 2026 on China's calendar: 1-7 Oct off, Sat 10 Oct a make-up working day (调休)
    rows = [
        task("A", D(2026, 9, 28), D(2026, 10, 9)),  # 28-30 Sep + 8, 9 Oct = 5 working days
        task("B", D(2026, 10, 9), D(2026, 10, 12), "A"),
    ]
    cp = plan(rows, calendar=None)
    assert cp.loc["A", "work_days"] == 5.0
    assert cp.loc["B", "early_start"] == pd.Timestamp(2026, 10, 10)  # the Saturday make-up day
    assert cp.loc["B", "work_days"] == 3.0  # Fri 9, Sat 10 (worked), Mon 12; Sunday off
    china = workcal.calendar_for(None)
    assert not china.is_working(D(2026, 10, 5)) and china.is_working(D(2026, 10, 10))
    # the same plan on a plain Monday-Friday calendar: 10 working days, B starts Monday 12 Oct
    plain = plan(rows)
    assert plain.loc["A", "work_days"] == 10.0 and plain.loc["B", "early_start"] == pd.Timestamp(2026, 10, 12)


def test_finished_task_on_the_longest_chain_is_not_critical() -> None:
    cp = plan(
        [
            task("A", D(2026, 3, 2), D(2026, 3, 6), percent_complete=100),
            task("B", D(2026, 3, 9), D(2026, 3, 13), "A", percent_complete=40, actual_start=D(2026, 3, 9)),
            task("C", D(2026, 3, 16), D(2026, 3, 16), "B"),
            task("X", D(2026, 3, 2), D(2026, 3, 3)),
        ]
    )
    assert cp["critical"].to_dict() == {"A": False, "B": True, "C": True, "X": False}
    assert cp.loc["A", "total_float"] == 0.0
    assert cp.loc["X", "total_float"] == 9.0


def test_actual_dates_replace_the_plan() -> None:
    # A finished two days late (actual finish 10 Mar): B moves with it, even though the plan still says 6 Mar
    cp = plan(
        [
            task("A", D(2026, 3, 2), D(2026, 3, 6), percent_complete=100, actual_finish=D(2026, 3, 10)),
            task("B", D(2026, 3, 9), D(2026, 3, 10), "A"),
        ]
    )
    assert cp.loc["B", "early_start"] == pd.Timestamp(2026, 3, 11)


def test_constraint_dates() -> None:
    cp = plan(
        [
            task("A", D(2026, 3, 2), D(2026, 3, 3)),
            task("B", D(2026, 3, 4), D(2026, 3, 4), "A", constraint_type="SNET", constraint_date=D(2026, 3, 9)),
            task("C", D(2026, 3, 2), D(2026, 3, 4), constraint_type="FNLT", constraint_date=D(2026, 3, 4)),
        ]
    )
    assert cp.loc["B", "early_start"] == pd.Timestamp(2026, 3, 9)
    assert cp.loc["A", "total_float"] == 3.0  # B may not start before Monday anyway
    assert cp.loc["C", "total_float"] == 0.0 and cp.loc["C", "critical"]  # the deadline leaves no float


def test_near_critical_setting() -> None:
    rows = [task("A", D(2026, 3, 2), D(2026, 3, 6)), task("B", D(2026, 3, 2), D(2026, 3, 4))]
    df = pd.DataFrame([{"project": "P", "name": r["task_id"], "calendar": MON_FRI, **r} for r in rows])
    assert schedule.critical_path(df, near_days=2).set_index("task_id")["near_critical"].to_dict() == {
        "A": False,
        "B": True,
    }
    assert not schedule.critical_path(df, near_days=1)["near_critical"].any()


def test_cycle_is_reported_and_never_hangs() -> None:
    rows = [task(t, D(2026, 3, 2), D(2026, 3, 3), p) for t, p in (("a", "cSS"), ("b", "aFF+1d"), ("c", "b"))]
    cp = plan(rows)
    notes = schedule.plan_notes(cp)
    assert notes["kind"].tolist() == ["cycle"] and "a → b → c → a" in notes["detail"].iloc[0]
    assert cp["in_cycle"].all()


def test_big_cycle_is_fast() -> None:
    n = 5000
    rows = [task(str(i), D(2026, 3, 2), D(2026, 3, 3), str((i + 1) % n)) for i in range(n)]
    cp = plan(rows)
    assert cp["in_cycle"].all() and len(schedule.plan_notes(cp)) == 1


def test_driven_milestone_and_chain() -> None:
    cp = plan(
        [
            task("A", D(2026, 3, 2), D(2026, 3, 6)),
            task("M1", D(2026, 3, 6), D(2026, 3, 6), "A", is_milestone=True),
            task("B", D(2026, 3, 9), D(2026, 3, 10), "M1"),
            task("GO", D(2026, 3, 10), D(2026, 3, 10), "B", is_milestone=True),
        ]
    ).reset_index()
    chain = cpm.critical_chain(cp)
    assert chain["task_id"].tolist() == ["A", "M1", "B", "GO"]
    driven = cpm.driven_milestones(cp)
    assert driven[["project", "task_id", "critical_tasks"]].to_dict("records") == [
        {"project": "P", "task_id": "GO", "critical_tasks": 4}
    ]
    assert driven["finish"].iloc[0] == pd.Timestamp(2026, 3, 10)


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("3FS+2 个工作日", [Link("3", "FS", 2.0, "d")]),
        ("5SS", [Link("5", "SS", 0.0, "d")]),
        ("7FF-1d", [Link("7", "FF", -1.0, "d")]),
        ("4SF+3ed", [Link("4", "SF", 3.0, "ed")]),
        ("2FS+50%", [Link("2", "FS", 50.0, "%")]),
        ("2FS+1w; 6SS+4h", [Link("2", "FS", 5.0, "d"), Link("6", "SS", 0.5, "d")]),
        ("12完成-开始+2 天，13开始-开始", [Link("12", "FS", 2.0, "d"), Link("13", "SS", 0.0, "d")]),
        ("T-01SS+1 day", [Link("T-01", "SS", 1.0, "d")]),
        ("1.2.3FF+1 日历天", [Link("1.2.3", "FF", 1.0, "ed")]),
        ("7.0", [Link("7")]),
        (None, []),
    ],
)
def test_parse_links(text: object, links: list[Link]) -> None:
    assert parse_links(text) == links


def test_unknown_lag_unit_is_refused() -> None:
    with pytest.raises(LinkError, match="furlongs"):
        parse_links("3FS+2 furlongs")


def test_hospital_calendar_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cal.csv"
    path.write_text("日期,类型\n2026-03-04,休息日\n2026-03-07,工作日\n", encoding="utf-8")
    monkeypatch.setenv(workcal.CALENDAR_FILE_ENV, str(path))
    workcal.reset_cache()
    try:
        cal = workcal.calendar_for(None)
        assert not cal.is_working(D(2026, 3, 4)) and cal.is_working(D(2026, 3, 7))
        assert cal.working_days(D(2026, 3, 2), D(2026, 3, 8)) == 5  # Mon-Fri less Wed, plus Sat
        path.write_text("2026-03-04,maybe\n", encoding="utf-8")
        workcal.reset_cache()
        with pytest.raises(ValueError, match="第 1 行"):
            workcal.calendar_for(None)
    finally:
        monkeypatch.delenv(workcal.CALENDAR_FILE_ENV)
        workcal.reset_cache()


def test_summaries_roll_up_from_their_children() -> None:
    cp = plan(
        [
            task("S1", D(2026, 3, 2), D(2026, 3, 6), is_summary=True, outline_level=1),
            task("A", D(2026, 3, 2), D(2026, 3, 6), outline_level=2),
            task("B", D(2026, 3, 2), D(2026, 3, 3), outline_level=2),
            task("S2", D(2026, 3, 2), D(2026, 3, 3), is_summary=True, outline_level=1),
            task("C", D(2026, 3, 2), D(2026, 3, 3), outline_level=2),
        ]
    )
    # A (5 d) drives the end; B and C (2 d) have 3 days of float each
    assert cp.loc["S1", "total_float"] == 0.0 and cp.loc["S1", "critical"]
    assert cp.loc["S2", "total_float"] == 3.0 and not cp.loc["S2", "critical"]
    assert cp.loc["S1", "early_start"] == pd.Timestamp(2026, 3, 2)
    assert cp.loc["S1", "early_finish"] == pd.Timestamp(2026, 3, 6)
    assert cp.loc["S2", "late_finish"] == pd.Timestamp(2026, 3, 6)
