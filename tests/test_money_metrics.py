"""Money metrics against a small plan and ledger worked out by hand (figures in yuan; arithmetic in comments)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd
import pytest

from metrics import money
from metrics.scope import Scope
from tests import storekit

D = dt.date
TODAY = D(2026, 3, 31)
SCOPE = Scope(today=TODAY)


def _task(task_id: str, wbs: str, dur: float, pct: float, **kw: Any) -> dict[str, Any]:
    return {"project": "EMR", "task_id": task_id, "wbs": wbs, "name": f"t{task_id}", "start": D(2026, 1, 1),
            "finish": D(2026, 4, 30), "duration_days": dur, "percent_complete": pct, **kw}  # fmt: skip


def _cost(d: dt.date, category: str, vendor: str | None, ref: str | None, stage: str, amount: float) -> dict[str, Any]:
    return {"date": d, "project": "EMR", "category": category, "vendor": vendor, "reference": ref, "stage": stage,
            "amount": amount, "description": "x"}  # fmt: skip


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """EMR: BAC 600,000 = 硬件 100,000 a month Jan–Apr (400,000) + 软件 200,000 without a period, spread over
    the plan's four months (50,000 each) -> 150,000 phased per month.

    Plan, latest snapshot (2026-03-02): summary "1" is left out; leaves 10 d at 100 %, 30 d at 50 %,
    60 d at 0 %, a milestone (0 d) -> (10*100 + 30*50 + 60*0) / 100 = 25 %. Snapshot 2026-02-02: 10 d at 50 %
    -> 500 / 100 = 5 %.

    Ledger (one line per stage):
      C1 华为 硬件: committed 300,000 (Jan 10), invoiced 100,000 (Jan 20) + 100,000 (Feb 20), paid 100,000 (Feb 5)
         -> committed 300,000, AC 200,000 (Jan 100,000, Feb 100,000), paid 100,000, due 100,000
      C2 东软 软件: invoiced 50,000 (Mar 15), paid 50,000 (Mar 20) -> committed 50,000, AC 50,000 (Mar), due 0
      京东 硬件, no reference: paid 10,000 (Mar 10), no invoice line -> AC 10,000 (Mar), committed 10,000
      an invoice dated 2026-04-10 is after today and ignored.
    """
    c = storekit.new_store()
    budget = [{"project": "EMR", "category": "硬件", "period": D(2026, m, 1), "amount": 100_000} for m in (1, 2, 3, 4)]
    budget.append({"project": "EMR", "category": "软件", "period": None, "amount": 200_000})
    storekit.insert_rows(c, "budget", budget)
    storekit.insert_rows(
        c,
        "tasks",
        [_task("1.1", "1.1", 10, 50), _task("1.2", "1.2", 30, 0), _task("1.3", "1.3", 60, 0)],
        as_of=D(2026, 2, 2),
    )
    storekit.insert_rows(
        c,
        "tasks",
        [
            _task("1", "1", 100, 50, is_summary=True),
            _task("1.1", "1.1", 10, 100),
            _task("1.2", "1.2", 30, 50),
            _task("1.3", "1.3", 60, 0),
            _task("M", "1.4", 0, 0, is_milestone=True),
        ],
        as_of=D(2026, 3, 2),
    )
    storekit.insert_rows(
        c,
        "costs",
        [
            _cost(D(2026, 1, 10), "硬件", "华为", "C1", "committed", 300_000),
            _cost(D(2026, 1, 20), "硬件", "华为", "C1", "invoiced", 100_000),
            _cost(D(2026, 2, 5), "硬件", "华为", "C1", "paid", 100_000),
            _cost(D(2026, 2, 20), "硬件", "华为", "C1", "invoiced", 100_000),
            _cost(D(2026, 3, 15), "软件", "东软", "C2", "invoiced", 50_000),
            _cost(D(2026, 3, 20), "软件", "东软", "C2", "paid", 50_000),
            _cost(D(2026, 3, 10), "硬件", "京东", None, "paid", 10_000),
            _cost(D(2026, 4, 10), "硬件", "华为", "C1", "invoiced", 999),
        ],
    )
    storekit.insert_rows(
        c,
        "changes",
        [
            {
                "change_id": "CR1",
                "project": "EMR",
                "title": "a",
                "status": "已批准",
                "requested": D(2026, 1, 5),
                "cost_impact": 50_000,
                "schedule_impact_days": 10,
            },
            {
                "change_id": "CR2",
                "project": "EMR",
                "title": "b",
                "status": "implemented",
                "requested": D(2026, 1, 6),
                "cost_impact": 20_000,
                "schedule_impact_days": 5,
            },
            {
                "change_id": "CR3",
                "project": "EMR",
                "title": "c",
                "status": "待审批",
                "requested": D(2026, 2, 6),
                "cost_impact": 30_000,
                "schedule_impact_days": 7,
            },
            {
                "change_id": "CR4",
                "project": "EMR",
                "title": "d",
                "status": "Rejected",
                "requested": D(2026, 2, 7),
                "cost_impact": 99_000,
                "schedule_impact_days": 20,
            },
            {
                "change_id": "CR5",
                "project": "EMR",
                "title": "e",
                "status": "已拒绝",
                "requested": D(2026, 2, 8),
                "cost_impact": 1_000,
                "schedule_impact_days": None,
            },
        ],  # fmt: skip
        as_of=D(2026, 3, 2),
    )
    return c


def test_plan_percent_is_duration_weighted_over_leaves(con: duckdb.DuckDBPyConnection) -> None:
    led = money.ledger(con, SCOPE)
    plan = led.plans["EMR"]
    assert plan.percent == pytest.approx(0.25)
    assert plan.history == ((D(2026, 2, 2), pytest.approx(0.05)), (D(2026, 3, 2), pytest.approx(0.25)))
    assert (plan.start, plan.finish) == (D(2026, 1, 1), D(2026, 4, 30))


def test_budget_vs_actual_per_project(con: duckdb.DuckDBPyConnection) -> None:
    row = money.budget_vs_actual(con, SCOPE).to_dict("records")[0]
    # the current budget: 600,000 loaded + approved CR1 50,000 + implemented CR2 20,000 (pending and rejected not)
    assert (row["original_budget"], row["approved_changes"], row["budget"]) == (600_000, 70_000, 670_000)
    assert row["committed"] == 360_000  # 300,000 + 50,000 + 10,000
    assert row["invoiced"] == 250_000  # 200,000 + 50,000
    assert row["paid"] == 160_000  # 100,000 + 50,000 + 10,000
    assert row["actual"] == 260_000  # 200,000 + 50,000 + 10,000
    assert row["due"] == 100_000
    assert row["remaining"] == 410_000  # 670,000 - 260,000 (not yet spent)
    assert row["uncommitted"] == 310_000  # 670,000 - 360,000 (not yet signed)
    assert row["share_used"] == pytest.approx(260 / 670)
    assert row["committed_share"] == pytest.approx(360 / 670)


def test_budget_vs_actual_per_category(con: duckdb.DuckDBPyConnection) -> None:
    rows = {r["category"]: r for r in money.budget_vs_actual(con, SCOPE, by="category").to_dict("records")}
    # per category the original budget: approved changes are not allocated to categories
    assert "budget" not in rows["硬件"]
    assert rows["硬件"]["original_budget"] == 400_000 and rows["硬件"]["actual"] == 210_000  # 200,000 + 10,000
    assert rows["软件"]["original_budget"] == 200_000 and rows["软件"]["actual"] == 50_000
    assert rows["硬件"]["uncommitted"] == 90_000  # 400,000 - (300,000 + 10,000)
    assert rows["软件"]["share_used"] == pytest.approx(0.25)


def test_monthly_burn(con: duckdb.DuckDBPyConnection) -> None:
    burn = money.monthly_burn(con, SCOPE)
    assert list(burn["month"]) == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    # 100,000 硬件 + 200,000 / 4 软件 + approved changes 70,000 spread over the plan's four months from January
    assert list(burn["budget"]) == [167_500] * 3
    assert list(burn["actual"]) == [100_000, 100_000, 60_000]  # Mar: 50,000 + 10,000
    assert list(burn["cum_actual"]) == [100_000, 200_000, 260_000]
    assert not any(burn["ahead"])


def test_evm_per_project(con: duckdb.DuckDBPyConnection) -> None:
    row = money.evm_table(con, SCOPE, lang="en", threshold=0.05).to_dict("records")[0]
    assert row["bac"] == 670_000  # the current budget
    assert row["pv"] == pytest.approx(502_500)  # Jan-Mar at 167,500, today is the last day of March
    assert row["ev"] == pytest.approx(167_500)  # 670,000 x 25 %
    assert row["ac"] == 260_000
    assert row["spi"] == pytest.approx(1 / 3)
    assert row["cpi"] == pytest.approx(167.5 / 260)
    assert row["eac"] == pytest.approx(1_040_000)  # 670,000 / (167,500/260,000)
    assert row["eac_alt"] == pytest.approx(762_500)  # 260,000 + (670,000 - 167,500)
    assert row["tcpi"] == pytest.approx(502.5 / 410)
    assert row["cpi_light"] == "red"
    assert row["note"] == "CPI 0.64: each 1 CNY spent delivers 0.64 CNY of work"


def test_pv_is_pro_rata_within_the_month(con: duckdb.DuckDBPyConnection) -> None:
    # 2026-03-10: Jan + Feb 300,000 + March 150,000 x 10/31
    e = money.project_evm(money.ledger(con, Scope(today=D(2026, 3, 10))), "EMR")
    assert e.pv == pytest.approx(335_000 + 167_500 * 10 / 31)
    assert e.ac == 210_000  # the Mar 15 and Mar 20 lines are after the day


def test_summary_tiles(con: duckdb.DuckDBPyConnection) -> None:
    s = money.summary(con, SCOPE, threshold=0.05)
    assert (s.original, s.approved_changes, s.bac, s.ac, s.committed, s.paid, s.due) == (
        600_000, 70_000, 670_000, 260_000, 360_000, 160_000, 100_000)  # fmt: skip
    assert (s.remaining, s.uncommitted, s.over_committed) == (410_000, 310_000, False)
    assert s.share_used == pytest.approx(260 / 670)
    assert s.spent_in_range == 260_000  # no date range: everything to the cut-off day
    assert s.eac == pytest.approx(1_040_000) and s.eac_light == "red"
    assert s.percent_complete == pytest.approx(0.25)


def test_s_curve(con: duckdb.DuckDBPyConnection) -> None:
    curve = money.s_curve(con, SCOPE, threshold=0.05)
    pts = {r["date"]: r for r in curve.points.to_dict("records")}
    assert list(pts) == [D(2025, 12, 31), D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30)]
    assert [pts[d]["pv"] for d in pts] == pytest.approx([0, 167_500, 335_000, 502_500, 670_000])
    assert pd.isna(pts[D(2026, 1, 31)]["ev"])  # no plan snapshot before Feb 2: no EV point, not a 0 or 100 %
    assert pts[D(2026, 2, 28)]["ev"] == pytest.approx(33_500)  # 670,000 x 5 %
    assert pts[D(2026, 3, 31)]["ev"] == pytest.approx(167_500)
    assert [pts[d]["ac"] for d in list(pts)[:4]] == [0, 100_000, 200_000, 260_000]
    assert pd.isna(pts[D(2026, 4, 30)]["ac"])
    # forecast: a straight line from today's AC to EAC at the plan's finish
    assert pts[D(2026, 3, 31)]["forecast"] == 260_000
    assert pts[D(2026, 4, 30)]["forecast"] == pytest.approx(1_040_000)
    assert curve.today == TODAY and curve.finish == D(2026, 4, 30)


def test_warnings_eac_with_the_month_it_began(con: duckdb.DuckDBPyConnection) -> None:
    w = money.overrun_warnings(con, SCOPE, threshold=0.05)
    eac = w[w["kind"] == "eac_over"].to_dict("records")
    assert len(eac) == 1
    assert eac[0]["amount"] == pytest.approx(370_000)  # 1,040,000 - 670,000
    assert eac[0]["share"] == pytest.approx(370 / 670)
    # End of Feb: EV 33,500, AC 200,000 -> EAC 4,000,000, over already: the run began in February.
    assert eac[0]["since"] == D(2026, 2, 1)
    assert set(w["kind"]) == {"eac_over"}  # no category or project above its budget, no burn run


def test_change_ledger_and_waterfall(con: duckdb.DuckDBPyConnection) -> None:
    by = money.changes_by_status(con, SCOPE, lang="en").set_index("status_key")
    assert by.loc["approved", "count"] == 1 and by.loc["approved", "cost_impact"] == 50_000
    assert by.loc["implemented", "cost_impact"] == 20_000
    assert by.loc["pending", "schedule_impact_days"] == 7
    assert by.loc["rejected", "count"] == 2 and by.loc["rejected", "cost_impact"] == 100_000  # Rejected + 已拒绝
    assert by.loc["rejected", "status_label"] == "Rejected"
    ledger = money.change_ledger(con, SCOPE, lang="zh")
    assert list(ledger["status_key"]) == ["approved", "implemented", "pending", "rejected", "rejected"]
    wf = money.budget_waterfall(con, SCOPE, threshold=0.05).to_dict("records")[0]
    assert wf["original"] == 600_000
    assert wf["approved_changes"] == 70_000  # 已批准 50,000 + implemented 20,000
    assert wf["approved_days"] == 15
    assert wf["current"] == 670_000
    assert wf["eac"] == pytest.approx(1_040_000)
    assert wf["forecast_change"] == pytest.approx(370_000)
    # the waterfall adds up
    assert wf["original"] + wf["approved_changes"] == wf["current"]
    assert wf["current"] + wf["forecast_change"] == pytest.approx(wf["eac"])


def test_vendor_view_and_payments_due(con: duckdb.DuckDBPyConnection) -> None:
    v = money.vendor_spend(con, SCOPE)
    assert list(v["vendor"]) == ["华为", "东软", "京东"]  # by AC, largest first
    assert list(v["actual"]) == [200_000, 50_000, 10_000]
    c = money.vendor_spend(con, SCOPE, by="contract").to_dict("records")[0]
    assert (c["vendor"], c["reference"], c["committed"], c["paid"], c["due"]) == (
        "华为",
        "C1",
        300_000,
        100_000,
        100_000,
    )
    due = money.payments_due(con, SCOPE).to_dict("records")
    assert due == [{"vendor": "华为", "reference": "C1", "project": "EMR", "invoiced": 200_000, "paid": 100_000,
                    "due": 100_000, "first_invoice": D(2026, 1, 20)}]  # fmt: skip


def test_project_filter_and_empty_store(con: duckdb.DuckDBPyConnection) -> None:
    other = Scope(projects=("HIS",), today=TODAY)
    assert money.budget_vs_actual(con, other).empty
    assert money.overrun_warnings(con, other, threshold=0.05).empty
    assert money.monthly_burn(con, other).empty
    s = money.summary(con, other, threshold=0.05)
    assert s.bac == 0 and s.share_used is None and s.eac is None
    empty = storekit.new_store()
    for fn in (money.budget_vs_actual, money.monthly_burn, money.overrun_warnings, money.changes_by_status,
               money.change_ledger, money.budget_waterfall, money.vendor_spend, money.payments_due, money.evm_table):  # fmt: skip
        assert fn(empty, SCOPE).empty, fn.__name__
    curve = money.s_curve(empty, SCOPE)
    assert curve.eac is None and curve.points["ev"].isna().all()


def test_project_without_budget() -> None:
    # LIS spent 10,000 in Feb without any budget line: not enough data for EVM, and a warning from Feb.
    c = storekit.new_store()
    storekit.insert_rows(
        c, "costs", [{**_cost(D(2026, 2, 3), "服务", "某公司", "L1", "invoiced", 10_000), "project": "LIS"}]
    )
    row = money.budget_vs_actual(c, SCOPE).to_dict("records")[0]
    assert (row["project"], row["budget"], row["actual"], row["remaining"], row["share_used"]) == (
        "LIS", 0, 10_000, -10_000, None)  # fmt: skip
    assert row["uncommitted"] == -10_000  # the invoice is a commitment too
    e = money.evm_table(c, SCOPE, lang="zh", threshold=0.05).to_dict("records")[0]
    assert e["cpi"] is None and e["eac"] is None and e["cpi_light"] == "none"
    assert e["note"] == "数据不足：没有预算"
    w = money.overrun_warnings(c, SCOPE, threshold=0.05).to_dict("records")
    kinds = {(r["kind"], r["since"], r["amount"]) for r in w}
    assert kinds == {("over_budget", D(2026, 2, 1), 10_000), ("category_over_budget", D(2026, 2, 1), 10_000),
                     ("over_committed", None, 10_000)}  # fmt: skip
    assert money.s_curve(c, SCOPE).points["ev"].isna().all()


def _eac_store(ac: float) -> duckdb.DuckDBPyConnection:
    """BAC 100,000 (March), plan 50 % done, AC `ac` -> EAC = 100,000 / (50,000 / ac) = 2 x ac."""
    c = storekit.new_store()
    storekit.insert_rows(c, "budget", [{"project": "P", "category": "x", "period": D(2026, 3, 1), "amount": 100_000}])
    storekit.insert_rows(c, "tasks", [{"project": "P", "task_id": "1", "name": "t", "start": D(2026, 3, 1),
                                       "finish": D(2026, 3, 31), "duration_days": 5, "percent_complete": 50}],
                         as_of=D(2026, 3, 20))  # fmt: skip
    storekit.insert_rows(c, "costs", [{"date": D(2026, 3, 5), "project": "P", "category": "x", "amount": ac,
                                       "stage": "invoiced"}])  # fmt: skip
    return c


@pytest.mark.parametrize(("ac", "warned"), [(52_500, False), (52_505, True)])
def test_eac_threshold_boundary(ac: float, warned: bool) -> None:
    # 52,500 -> EAC 105,000 = exactly 5 % over: no warning. 52,505 -> EAC 105,010 = 5.01 %: warning.
    w = money.overrun_warnings(_eac_store(ac), SCOPE, threshold=0.05)
    assert (w["kind"] == "eac_over").any() == warned
    if warned:
        assert w.loc[w["kind"] == "eac_over", "amount"].iloc[0] == pytest.approx(5_010)
    # the threshold is configurable: 10 % silences the 5.01 % overrun
    assert not (money.overrun_warnings(_eac_store(ac), SCOPE, threshold=0.10)["kind"] == "eac_over").any()


def test_eac_threshold_defaults_to_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_EAC_THRESHOLD", "0.2")
    assert money.default_threshold() == 0.2
    assert not (money.overrun_warnings(_eac_store(52_505), SCOPE)["kind"] == "eac_over").any()


def _burn_store(actuals: list[float]) -> duckdb.DuckDBPyConnection:
    """Budget 10,000 a month Jan-Jun; one invoice per month of the given amounts."""
    c = storekit.new_store()
    storekit.insert_rows(
        c, "budget", [{"project": "B", "category": "x", "period": D(2026, m, 1), "amount": 10_000} for m in range(1, 7)]
    )
    storekit.insert_rows(
        c,
        "costs",
        [{"date": D(2026, m, 15), "project": "B", "category": "x", "amount": a, "stage": "invoiced", "reference": "K"}
         for m, a in enumerate(actuals, start=1)],
    )  # fmt: skip
    return c


def test_two_months_ahead_is_no_warning() -> None:
    w = money.overrun_warnings(_burn_store([11_000, 11_000, 9_000]), SCOPE, threshold=0.05)
    assert not (w["kind"] == "burn_ahead").any()


def test_three_months_ahead_is_a_warning_with_its_first_month() -> None:
    # Jan 9,000 (under), Feb 11,000, Mar 12,000 — and Mar is as far as today goes: only two months.
    assert not (money.overrun_warnings(_burn_store([9_000, 11_000, 12_000]), SCOPE)["kind"] == "burn_ahead").any()
    # Up to 2026-04-30: Feb +1,000, Mar +2,000, Apr +1 -> three months from February, 3,001 above plan.
    scope = Scope(today=D(2026, 4, 30))
    w = money.overrun_warnings(_burn_store([9_000, 11_000, 12_000, 10_001]), scope, threshold=0.05)
    burn = w[w["kind"] == "burn_ahead"].to_dict("records")
    assert len(burn) == 1
    assert (burn[0]["since"], burn[0]["months"], burn[0]["amount"]) == (D(2026, 2, 1), 3, pytest.approx(3_001))
    # exactly on plan is not ahead
    w = money.overrun_warnings(_burn_store([9_000, 11_000, 12_000, 10_000]), scope, threshold=0.05)
    assert not (w["kind"] == "burn_ahead").any()


def test_status_and_stage_normalisation() -> None:
    assert [money.normalise_change_status(s) for s in ("待审批", "已批准", "已拒绝", "已实施", " Approved ", "??", None)] == [
        "pending", "approved", "rejected", "implemented", "approved", "other", "other"]  # fmt: skip
    assert [money.normalise_stage(s) for s in ("Paid", "已开票", "committed", "x")] == [
        "paid",
        "invoiced",
        "committed",
        None,
    ]


def test_warning_messages_in_plain_words(con: duckdb.DuckDBPyConnection) -> None:
    zh = money.overrun_warnings(con, SCOPE, threshold=0.05, lang="zh")
    assert zh["message"].iloc[0] == "预计完工成本超出当前预算 55.2%(多 37.00 万元，预警线 5%)"
    en = money.overrun_warnings(_burn_store([9_000, 11_000, 12_000, 10_001]), Scope(today=D(2026, 4, 30)), lang="en")
    assert "Spend above the monthly plan 3 months in a row, CNY 3,001 in all" in list(en["message"])
