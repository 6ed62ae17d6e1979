"""One definition per business rule: each computed by hand on a small store, and the overview, the detail pages'
metrics and the weekly brief all give the same figure."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from metrics import adoption, definitions, money, overview, risks, schedule, targets
from metrics.scope import Scope
from reports import brief
from tests import storekit

D = dt.date
WEEK = D(2026, 11, 23)
SCOPE = Scope(as_of=WEEK)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = storekit.new_store()
    t = {"project": "P", "name": "t"}
    plan = [
        {**t, "task_id": "0", "start": D(2026, 1, 1), "finish": D(2027, 1, 1), "duration_days": 99,
         "percent_complete": 10, "is_summary": True},  # summary: left out
        {**t, "task_id": "1", "start": D(2026, 1, 5), "finish": D(2026, 1, 16), "duration_days": 10,
         "percent_complete": 100},  # done
        {**t, "task_id": "2", "start": D(2026, 10, 1), "finish": D(2026, 11, 10), "duration_days": 30,
         "percent_complete": 50},  # finish passed below 100 %: late
        {**t, "task_id": "3", "start": D(2026, 11, 2), "finish": D(2026, 12, 11), "duration_days": 30,
         "percent_complete": 0},  # started 2 Nov, 21 of 40 days elapsed (52 %), 0 % done: late by the margin
        {**t, "task_id": "4", "start": D(2026, 12, 14), "finish": D(2026, 12, 31), "duration_days": 14,
         "percent_complete": 0},  # not started
        {**t, "task_id": "5", "name": "验收", "start": D(2026, 12, 31), "finish": D(2026, 12, 31),
         "duration_days": 0, "percent_complete": 0, "is_milestone": True, "is_gate": True},  # weighs nothing
    ]  # fmt: skip
    storekit.insert_rows(c, "tasks", plan, as_of=WEEK)
    r = {"project": "P", "title": "r", "owner": "王"}
    storekit.insert_rows(
        c,
        "risks",
        [
            {**r, "risk_id": "R1", "likelihood": 5, "impact": 4, "status": "开放"},  # 20: critical
            {**r, "risk_id": "R2", "likelihood": 4, "impact": 4, "status": "Open"},  # 16: high
            {**r, "risk_id": "R3", "likelihood": 5, "impact": 5, "status": "已关闭"},  # closed
        ],
        as_of=WEEK,
    )
    ch = {"project": "P", "title": "c", "requested": D(2026, 10, 1), "cost_impact": 10_000.0}
    storekit.insert_rows(
        c,
        "changes",
        [{**ch, "change_id": "C1", "status": "待审批"}, {**ch, "change_id": "C2", "status": "已批准"}],
        as_of=WEEK,
    )
    storekit.insert_rows(c, "budget", [{"project": "P", "category": "hw", "amount": 1_000_000.0}])
    cost = {"project": "P", "category": "hw", "vendor": "V"}
    storekit.insert_rows(
        c,
        "costs",
        [
            {**cost, "date": D(2026, 3, 1), "amount": 400_000.0, "stage": "invoiced", "reference": "K1"},
            {**cost, "date": D(2026, 4, 1), "amount": 300_000.0, "stage": "paid", "reference": "K1"},
            {**cost, "date": D(2026, 9, 1), "amount": 200_000.0, "stage": "paid", "reference": "K2"},
        ],
    )
    u = {"period": D(2026, 11, 16), "system": "P"}
    storekit.insert_rows(
        c,
        "usage",
        [
            {**u, "department": "甲科", "active_users": 70, "eligible_users": 100},
            {**u, "department": "乙科", "active_users": 85, "eligible_users": 100},
            {**u, "department": "丙科", "active_users": 5, "eligible_users": 0},  # no denominator: left out
        ],
    )
    storekit.insert_rows(
        c,
        "targets",
        [
            {"kind": "使用率", "name": "P", "department": None, "target": 80},  # 80 % for the system
            {"kind": "使用率", "name": "P", "department": "乙科", "target": 0.9},  # 乙科 must reach 90 %
        ],
        as_of=D(2026, 1, 1),
    )
    return c


def test_plan_percent_is_one_figure(con: duckdb.DuckDBPyConnection) -> None:
    by_hand = (10 * 1.0 + 30 * 0.5 + 30 * 0.0 + 14 * 0.0) / (10 + 30 + 30 + 14)
    tasks = schedule.load_tasks(con, SCOPE)
    assert definitions.plan_percent(tasks) == pytest.approx(by_hand)
    assert money.plan_percent(tasks) == pytest.approx(by_hand)  # the money page's EV
    roll = schedule.rollup_percent(tasks, by=("project",))  # the schedule page's roll-up
    assert roll["percent_complete"].iloc[0] / 100 == pytest.approx(by_hand)
    facts = overview.project_facts(con, SCOPE).set_index("project")
    assert facts.loc["P", "plan_complete"] == pytest.approx(by_hand)


def test_late_tasks_agree_between_overview_schedule_and_brief(con: duckdb.DuckDBPyConnection) -> None:
    page_plan = schedule.load_plan(con, SCOPE)  # what the schedule page draws
    assert sorted(page_plan.loc[page_plan["status"] == "late", "task_id"]) == ["2", "3"]
    assert overview.project_facts(con, SCOPE).set_index("project").loc["P", "late_tasks"] == 2
    week = overview.week_view(con, SCOPE)
    assert sorted(week.late["task_id"]) == ["2", "3"]
    late_sheet = next(t for t in brief.tables(week, "en") if t.key == "late")
    assert len(late_sheet.frame) == 2


def test_risks_changes_money_usage_agree(con: duckdb.DuckDBPyConnection) -> None:
    week = overview.week_view(con, SCOPE)
    p = week.projects.set_index("project").loc["P"]
    # risks: R1 and R2 open, R1 critical (20 ≥ 20); R3 closed
    assert (p["open_risks"], p["critical_risks"]) == (2, 1)
    assert risks.band_counts(risks.open_risks(risks.load_register(con, SCOPE)))["critical"] == 1
    assert week.red_risks["risk_id"].tolist() == ["R1"]
    # pending changes: C1 only, the same list the risks page's "decisions waiting" shows
    assert p["pending_changes"] == 1
    waiting = risks.decisions_waiting(risks.load_changes(con, SCOPE), risks.load_register(con, SCOPE), WEEK)
    assert waiting["id"].tolist() == ["C1"]
    assert week.decisions.loc[week.decisions["kind"] == "change", "id"].tolist() == ["C1"]
    # budget used: per contract max(invoiced, paid): K1 400k + K2 200k = 600k of the current budget, 1,000k
    # loaded + 10k of the approved change C2
    assert (p["budget"], p["spent"], p["budget_used"]) == (1_010_000, 600_000, pytest.approx(600 / 1010))
    money_page = money.budget_vs_actual(con, definitions.week_scope(SCOPE)).set_index("project")
    assert money_page.loc["P", "share_used"] == pytest.approx(p["budget_used"])
    # EAC: the money page's figure
    led = money.ledger(con, definitions.week_scope(SCOPE))
    assert p["eac"] == pytest.approx(money.project_evm(led, "P", "cpi", money.default_threshold()).eac)
    # usage: 甲科 70 % < 80 % (system target), 乙科 85 % < 90 % (its own target); 丙科 has no denominator
    assert definitions.usage_rate(70, 100) == 0.7 and definitions.usage_rate(5, 0) is None
    table = targets.usage_targets(con, WEEK)
    assert table.target("P", "乙科") == 0.9 and table.target("P", "甲科") == 0.8 and table.target("Q", None) == 0.8
    rates = adoption.rate_matrix(con, definitions.week_scope(SCOPE))
    shown = {r.department: definitions.usage_below_target(r.rate, "P", r.department, table) for r in rates.itertuples()}
    assert shown == {"甲科": True, "乙科": True, "丙科": False}


def test_kpi_target_and_usage_scale() -> None:
    assert definitions.kpi_on_target(20.0, 20.0, "lower") is True
    assert definitions.kpi_on_target(20.2, 20.0, "lower") is False
    assert definitions.kpi_on_target(95.0, 96.0, "higher") is False
    assert definitions.kpi_on_target(None, 96.0, "higher") is None
    assert targets.usage_share(80) == 0.8 and targets.usage_share(0.85) == 0.85
    assert targets.normalise_kind("效益指标") == "kpi" and targets.normalise_kind(" Usage ") == "usage"
    assert targets.normalise_kind("预算") is None
    assert targets.normalise_direction("越低越好") == "lower"
    assert definitions.budget_used(5.0, 0.0) is None and definitions.budget_used(None, 10.0) is None


def test_targets_in_force_at_the_week(con: duckdb.DuckDBPyConnection) -> None:
    storekit.insert_rows(
        con, "targets", [{"kind": "usage", "name": "P", "department": None, "target": 60}], as_of=D(2026, 12, 1)
    )
    assert targets.usage_targets(con, WEEK).target("P", "甲科") == 0.8  # the later table is not in force yet
    assert targets.usage_targets(con, D(2026, 12, 7)).target("P", "甲科") == 0.6
    assert targets.usage_targets(con, None).target("P", "乙科") == 0.6  # the new table replaces the old whole
    assert isinstance(targets.load_targets(con, D(2025, 1, 1)), pd.DataFrame)
    assert targets.load_targets(con, D(2025, 1, 1)).empty


def test_targets_edited_on_the_data_page_are_an_import(con: duckdb.DuckDBPyConnection) -> None:
    from loaders import targets_io

    table = targets.load_targets(con, None)
    edited = table.copy()
    edited.loc[edited["department"] == "乙科", "target"] = 0.95
    edited.loc[len(edited)] = {"kind": "kpi", "name": "患者满意度", "department": None, "baseline": 90.5,
                               "target": 96.0, "unit": "%", "direction": "higher", "system": None}  # fmt: skip
    results = targets_io.save(con, edited, D(2026, 11, 30))
    assert [r.status for r in results] == ["loaded"]
    assert targets.usage_targets(con, None).target("P", "乙科") == 0.95
    kpi = targets.kpi_targets(targets.load_targets(con, None))
    assert [(k.kpi, k.baseline, k.target, k.direction) for k in kpi] == [("患者满意度", 90.5, 96.0, "higher")]
    assert targets.usage_targets(con, WEEK).target("P", "乙科") == 0.9  # last week keeps the table of its time
    history = con.execute("SELECT dataset, status, as_of FROM imports ORDER BY import_id DESC LIMIT 1").fetchone()
    assert history == ("targets", "loaded", D(2026, 11, 30))
    broken = edited.copy()
    broken.loc[0, "target"] = None  # a target is required
    refused = targets_io.save(con, broken, D(2026, 12, 7))
    assert refused[0].status == "refused" and "目标" in refused[0].message + str(refused[0].problems)
    assert targets.usage_targets(con, None).target("P", "乙科") == 0.95  # nothing stored


def test_adoption_ranking_holds_each_department_to_its_target(con: duckdb.DuckDBPyConnection) -> None:
    ranking = adoption.usage_ranking(con, definitions.week_scope(SCOPE), system="P").set_index("department")
    assert ranking.loc["乙科", "target"] == 0.9 and bool(ranking.loc["乙科", "below_target"])  # 85 % < 90 %
    assert ranking.loc["甲科", "target"] == 0.8 and bool(ranking.loc["甲科", "below_target"])  # 70 % < 80 %
    week = overview.week_view(con, SCOPE)
    assert set(week.below_target["department"]) <= {"甲科", "乙科"}


@pytest.mark.parametrize(
    "status",
    ["待审批", "待审", "审批中", "待决策", "已提交", "待定", "Pending", "submitted", "Under Review", "in review",
     "awaiting decision", "open", "new", "已批准", "approved", "已实施", "已拒绝", "withdrawn", "已关闭", "", "草稿"],
)  # fmt: skip
def test_the_change_ledger_and_the_decisions_list_agree_on_pending(status: str) -> None:
    # one rule: the money page's change ledger counts a request as pending exactly when the decisions list does
    assert (money.normalise_change_status(status) == "pending") == definitions.is_pending_change(status)
