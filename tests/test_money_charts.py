"""Money charts inspected trace by trace: units per language, segments that add up, no curve from nothing."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from charts import money as charts
from metrics import money
from metrics.scope import Scope
from tests import storekit

D = dt.date


def _spend() -> pd.DataFrame:
    return pd.DataFrame(
        [{"project": "EMR", "budget": 600_000.0, "committed": 360_000.0, "invoiced": 250_000.0, "paid": 160_000.0,
          "actual": 260_000.0, "due": 100_000.0, "remaining": 340_000.0, "share_used": 0.43}]
    )  # fmt: skip


def test_budget_bars_stack_paid_invoiced_committed_in_wan() -> None:
    fig = charts.budget_vs_actual_bars(_spend(), "zh")
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.name for t in bars] == ["已付款", "已开票未付", "已签约未开票"]
    # 160,000 paid; 260,000 - 160,000 invoiced not paid; 360,000 - 260,000 committed not invoiced (万元)
    assert [t.y[0] for t in bars] == [16.0, 10.0, 10.0]
    assert sum(t.y[0] for t in bars) == 36.0  # = committed
    budget = fig.data[-1]
    assert budget.name == "当前预算" and budget.y[0] == 60.0 and list(budget.customdata) == ["EMR"]
    assert fig.layout.barmode == "stack" and fig.layout.yaxis.title.text == "万元"


def test_budget_bars_in_cny_for_english() -> None:
    fig = charts.budget_vs_actual_bars(_spend(), "en")
    assert fig.data[0].y[0] == 160_000 and fig.layout.yaxis.title.text == "CNY"
    assert fig.data[0].name == "Paid"


def test_burn_marks_months_ahead() -> None:
    df = pd.DataFrame({"month": [D(2026, 1, 1), D(2026, 2, 1)], "budget": [10_000.0, 10_000.0],
                       "actual": [9_000.0, 12_000.0], "cum_budget": [1.0, 2.0], "cum_actual": [1.0, 2.0],
                       "ahead": [False, True]})  # fmt: skip
    fig = charts.burn_chart(df, "en")
    bar, line = fig.data
    assert list(bar.y) == [9_000, 12_000] and list(line.y) == [10_000, 10_000]
    assert list(bar.marker.color) == [charts.COLOURS["actual"], charts.COLOURS["ahead"]]


def _curve(ev: float | None = 150_000.0) -> money.SCurve:
    pts = pd.DataFrame(
        {"date": [D(2025, 12, 31), D(2026, 3, 31), D(2026, 4, 30)], "pv": [0.0, 450_000.0, 600_000.0],
         "ev": [None, ev, None], "ac": [0.0, 260_000.0, None], "forecast": [None, 260_000.0, 1_040_000.0]}
    )  # fmt: skip
    return money.SCurve(points=pts, today=D(2026, 3, 31), finish=D(2026, 4, 30), bac=600_000.0, eac=1_040_000.0)


def test_s_curve_traces_today_line_and_dashed_forecast() -> None:
    fig = charts.s_curve_chart(_curve(), "zh")
    by = {t.name: t for t in fig.data}
    assert list(by) == ["计划价值 PV", "挣值 EV", "实际成本 AC", "预测至完工"]
    assert list(by["挣值 EV"].y) == [15.0]  # EV drawn only where known, in 万元
    assert list(by["预测至完工"].y) == [26.0, 104.0] and by["预测至完工"].line.dash == "dash"
    today = [s for s in fig.layout.shapes if s.type == "line" and s.x0 == "2026-03-31"]
    assert today, "today line"


def test_s_curve_draws_nothing_when_nothing_started() -> None:
    c = storekit.new_store()
    storekit.insert_rows(c, "tasks", [{"project": "P", "task_id": "1", "name": "t", "start": D(2026, 5, 1),
                                       "finish": D(2026, 6, 30), "percent_complete": 0}], as_of=D(2026, 3, 1))  # fmt: skip
    fig = charts.s_curve_chart(money.s_curve(c, Scope(today=D(2026, 3, 31))), "en")
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text == "Not enough data"
    # a budget without progress: PV only, no EV at all (let alone at 100 %)
    storekit.insert_rows(c, "budget", [{"project": "P", "category": "x", "period": D(2026, 5, 1), "amount": 1000}])
    fig = charts.s_curve_chart(money.s_curve(c, Scope(today=D(2026, 3, 31))), "en")
    assert [t.name for t in fig.data] == ["Planned value PV"]


def test_waterfall_adds_up() -> None:
    row = {"project": "EMR", "original": 600_000.0, "approved_changes": 70_000.0, "approved_days": 15,
           "current": 670_000.0, "eac": 1_040_000.0, "forecast_change": 370_000.0}  # fmt: skip
    wf = charts.waterfall_chart(row, "en").data[0]
    assert wf.type == "waterfall"
    assert list(wf.measure) == ["absolute", "relative", "total", "relative", "total"]
    assert wf.y[0] + wf.y[1] == row["current"] and wf.y[0] + wf.y[1] + wf.y[3] == pytest.approx(row["eac"])
    short = charts.waterfall_chart({**row, "eac": None, "forecast_change": None}, "zh").data[0]
    assert list(short.measure) == ["absolute", "relative", "total"] and short.y[1] == 7.0


def test_vendor_bars_largest_on_top() -> None:
    df = pd.DataFrame({"vendor": ["华为", "<b>东软</b>"], "committed": [300_000.0, 50_000.0],
                       "invoiced": [200_000.0, 50_000.0], "paid": [100_000.0, 50_000.0],
                       "actual": [200_000.0, 50_000.0], "due": [100_000.0, 0.0]})  # fmt: skip
    fig = charts.vendor_bars(df, "en")
    assert [t.name for t in fig.data] == ["Paid", "Invoiced, not paid", "Committed, not invoiced"]
    assert list(fig.data[0].y) == ["&lt;b&gt;东软&lt;/b&gt;", "华为"]  # plotly puts the last category on top
    assert list(fig.data[1].x) == [0, 100_000]


def test_empty_frames_give_a_no_data_note() -> None:
    for fig in (charts.budget_vs_actual_bars(pd.DataFrame(), "zh"), charts.vendor_bars(pd.DataFrame(), "zh"),
                charts.burn_chart(pd.DataFrame(), "zh")):  # fmt: skip
        assert len(fig.data) == 0 and fig.layout.annotations[0].text == "数据不足"
