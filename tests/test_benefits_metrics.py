"""Benefit metrics against hand-computed figures: tiles ("lower is better" deltas, baselines, targets), before/after
means hospital-wide and per department, and the interrupted-time-series fits."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from metrics import benefits as m
from metrics.scope import Scope
from tests import storekit

WEEKS = [dt.date(2026, 1, 5) + dt.timedelta(weeks=i) for i in range(6)]  # Mondays
GO_LIVE = WEEKS[3]
SCOPE = Scope(today=dt.date(2026, 3, 1))


def kpi(period: dt.date, name: str, value: float, unit: str | None, dep: str | None = None) -> dict[str, object]:
    return {"period": period, "kpi": name, "department": dep, "value": value, "unit": unit}


@pytest.fixture
def con():  # type: ignore[no-untyped-def]
    """Wait time (hospital row and two departments), satisfaction (departments only), an unknown KPI, and the
    plan's HIS go-live on WEEKS[3].

    Hospital wait: 40, 42, 44 | 30, 28, 26.   内科: 50, 50, 50 | 30, 30, 30.   外科: 20, 20, 20 | 20, 20, 10.
    Satisfaction: 内科 90, 外科 80 in every week except the last (内科 96, 外科 90).
    """
    c = storekit.new_store()
    rows = []
    for i, w in enumerate(WEEKS):
        rows.append(kpi(w, "门诊患者平均等候时间", [40, 42, 44, 30, 28, 26][i], "分钟"))
        rows.append(kpi(w, "门诊患者平均等候时间", [50, 50, 50, 30, 30, 30][i], "分钟", "内科"))
        rows.append(kpi(w, "门诊患者平均等候时间", [20, 20, 20, 20, 20, 10][i], "分钟", "外科"))
        rows.append(kpi(w, "患者满意度", 96 if i == 5 else 90, "%", "内科"))
        rows.append(kpi(w, "患者满意度", 90 if i == 5 else 80, "%", "外科"))
        rows.append(kpi(w, "出院小结及时率", 0.5 + 0.1 * i, "%"))
    storekit.insert_rows(c, "kpis", rows)
    base = {"project": "HIS", "is_milestone": True, "start": GO_LIVE, "finish": GO_LIVE, "percent_complete": 100.0}
    storekit.insert_rows(c, "tasks", [{**base, "task_id": "1", "name": "HIS 全院上线"}])
    # the targets table (no baseline for the wait time: the mean before go-live is used)
    target = {"kind": "效益指标", "department": None, "baseline": None}
    storekit.insert_rows(
        c,
        "targets",
        [
            {**target, "name": "门诊患者平均等候时间", "target": 20, "direction": "越低越好", "system": "HIS"},
            {**target, "name": "病历书写时间", "target": 12.5, "direction": "越低越好", "system": "EMR"},
            {**target, "name": "患者满意度", "target": 95, "direction": "越高越好", "system": "HIS"},
        ],
        as_of=WEEKS[0],
    )
    storekit.insert_rows(
        c,
        "usage",
        [{"period": WEEKS[4], "department": "内科", "system": "HIS", "active_users": 5, "eligible_users": 10}],
    )
    return c


def test_directions_and_good_news() -> None:
    assert m.kpi_config("门诊患者平均等候时间").direction == "lower"
    assert m.kpi_config("病历书写时间").direction == "lower"
    assert m.kpi_config("患者满意度").direction == "higher"
    assert m.kpi_config("检验报告周转时间").direction == "lower"
    assert m.guess_direction("危急值处置", "分钟") == "lower"
    assert m.guess_direction("平均住院日", "天") == "lower"
    assert m.guess_direction("出院小结及时率", "%") == "higher"
    assert m.guess_direction("挂号等待时间", None) == "lower"
    assert m.is_good(-2.0, "lower") is True
    assert m.is_good(2.0, "lower") is False
    assert m.is_good(2.0, "higher") is True
    assert m.is_good(0.0, "higher") is None
    assert m.improvement(30.0, 40.0, "lower") == pytest.approx(0.25)
    assert m.improvement(99.0, 90.0, "higher") == pytest.approx(0.1)


def test_hospital_row_wins_else_mean_of_departments(con) -> None:  # type: ignore[no-untyped-def]
    s = m.kpi_series(con, SCOPE).set_index(["kpi", "period"])["value"]
    assert s[("门诊患者平均等候时间", pd.Timestamp(WEEKS[0]))] == 40  # the hospital-wide row, not (50 + 20) / 2
    assert s[("患者满意度", pd.Timestamp(WEEKS[0]))] == 85  # no hospital row: mean of 内科 90 and 外科 80
    scoped = m.kpi_series(con, Scope(departments=("外科",)), "门诊患者平均等候时间")
    assert scoped["value"].tolist() == [20, 20, 20, 20, 20, 10]


def test_tiles_lower_is_better(con) -> None:  # type: ignore[no-untyped-def]
    tiles = m.kpi_tiles(con, SCOPE).set_index("kpi")
    assert list(tiles.index[:2]) == ["门诊患者平均等候时间", "患者满意度"]  # the known KPIs first
    wait = tiles.loc["门诊患者平均等候时间"]
    assert wait["current"] == 26 and wait["previous"] == 28
    assert wait["change"] == pytest.approx(-2)
    assert wait["change_good"] is True  # a drop in wait time is good news
    assert wait["baseline"] == pytest.approx(42)  # mean of 40, 42, 44 before the go-live
    assert wait["baseline_source"] == "before_go_live"
    assert wait["go_live"] == pd.Timestamp(GO_LIVE)
    assert wait["target"] == 20 and wait["on_target"] is False
    assert wait["improvement"] == pytest.approx((42 - 26) / 42)
    sat = tiles.loc["患者满意度"]
    assert sat["current"] == 93 and sat["change"] == pytest.approx(8) and sat["change_good"] is True
    assert sat["on_target"] is False  # target 95
    other = tiles.loc["出院小结及时率"]
    assert other["direction"] == "higher" and math.isnan(other["target"]) and other["on_target"] is None
    assert other["baseline_source"] == "none"  # no system, no go-live: no computed baseline


def test_configured_baseline_and_target(con) -> None:  # type: ignore[no-untyped-def]
    config = {"门诊患者平均等候时间": m.KpiConfig("lower", baseline=45.0, target=27.0)}
    wait = m.kpi_tiles(con, SCOPE, config).set_index("kpi").loc["门诊患者平均等候时间"]
    assert wait["baseline"] == 45 and wait["baseline_source"] == "configured"
    assert wait["on_target"] is True
    rising = pd.DataFrame({"kpi": "x", "period": pd.to_datetime(WEEKS[:2]), "value": [10.0, 12.0], "unit": "分钟"})
    t = m.tiles_from_series(rising, {}, {}).iloc[0]
    assert t["direction"] == "lower" and t["change"] == 2 and t["change_good"] is False


def test_before_after_hospital_and_departments(con) -> None:  # type: ignore[no-untyped-def]
    ba = m.before_after(con, SCOPE, "门诊患者平均等候时间", hospital_label="全院").set_index("department")
    assert list(ba.index) == ["全院", "内科", "外科"]
    assert ba.loc["全院", "before"] == pytest.approx(42) and ba.loc["全院", "after"] == pytest.approx(28)
    assert ba.loc["全院", "change"] == pytest.approx(-14) and bool(ba.loc["全院", "good"])
    assert ba.loc["内科", "before"] == 50 and ba.loc["内科", "after"] == 30
    assert ba.loc["外科", "after"] == pytest.approx(50 / 3)
    assert ba.loc["外科", "n_before"] == 3 and ba.loc["外科", "n_after"] == 3
    one = m.before_after(con, SCOPE, "门诊患者平均等候时间", go_live=WEEKS[5], department="外科")
    assert one["department"].tolist() == [None, "外科"]
    assert one.iloc[1]["before"] == 20 and one.iloc[1]["after"] == 10
    assert m.before_after(con, SCOPE, "出院小结及时率").empty  # no go-live known


def test_before_after_reads_history_before_the_date_filter(con) -> None:  # type: ignore[no-untyped-def]
    late = Scope(start=WEEKS[4], today=SCOPE.today)
    ba = m.before_after(con, late, "门诊患者平均等候时间").iloc[0]
    assert ba["before"] == pytest.approx(42)


def test_fit_segments_exact_lines() -> None:
    # pre: 10, 12, 14 (+2/week); post from go-live: 5, 4, 3 (-1/week)
    frame = pd.DataFrame({"period": pd.to_datetime(WEEKS), "value": [10.0, 12, 14, 5, 4, 3]})
    df, pre, post, level = m.fit_segments(frame, GO_LIVE)
    assert pre == pytest.approx(2) and post == pytest.approx(-1)
    assert df["fitted"].tolist() == pytest.approx([10, 12, 14, 5, 4, 3])
    assert df["segment"].tolist() == ["pre"] * 3 + ["post"] * 3
    assert df["counterfactual"].iloc[3:].tolist() == pytest.approx([16, 18, 20])
    assert level == pytest.approx(5 - 16)
    single, s0, _, _ = m.fit_segments(frame.iloc[:1], None)
    assert s0 == 0 and single["fitted"].iloc[0] == 10


def test_its_from_the_store(con) -> None:  # type: ignore[no-untyped-def]
    its = m.its(con, SCOPE, "门诊患者平均等候时间")
    assert its.go_live == GO_LIVE and its.direction == "lower" and its.unit == "分钟"
    assert its.pre_slope == pytest.approx(2) and its.post_slope == pytest.approx(-2)
    assert its.level_change == pytest.approx(30 - 46)


def test_empty_store() -> None:
    c = storekit.new_store()
    assert m.kpi_tiles(c, SCOPE).empty
    assert m.before_after(c, SCOPE, "患者满意度").empty
    assert m.its(c, SCOPE, "患者满意度").series.empty
