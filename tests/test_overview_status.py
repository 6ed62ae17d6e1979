"""The overview's status rules and the "what changed" ranking against hand-made facts and snapshots."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from metrics import overview, risks
from metrics.scope import Scope
from tests import storekit

D = dt.date
RULES = overview.StatusRules()
ON_TRACK = {
    "project": "P", "finish": pd.Timestamp("2026-12-31"), "baseline_finish": pd.Timestamp("2026-12-31"),
    "spi": 1.0, "cpi": 1.0, "budget": 100.0, "eac": 100.0, "critical_risks": 0, "usage_below_share": 0.0,
}  # fmt: skip


def test_every_rule_against_its_thresholds() -> None:
    light, reasons = overview.project_status(ON_TRACK, RULES)
    assert light == "green" and {r.rule for r in reasons} == set(overview.RULES)
    cases = [
        ({"finish": pd.Timestamp("2027-01-07")}, "slip", "amber", 7.0),  # 7 days late: amber from 7
        ({"finish": pd.Timestamp("2027-01-30")}, "slip", "red", 30.0),
        ({"spi": 0.94}, "spi", "amber", 0.94),  # below 0.95
        ({"cpi": 0.89}, "cpi", "red", 0.89),  # below 0.90
        ({"eac": 100.5}, "eac", "amber", 0.005),  # any overrun
        ({"eac": 111.0}, "eac", "red", 0.11),  # more than 10 % over
        ({"critical_risks": 1}, "risks", "amber", 1.0),
        ({"critical_risks": 3}, "risks", "red", 3.0),
        ({"usage_below_share": 0.25}, "usage", "amber", 0.25),
        ({"usage_below_share": 0.30}, "usage", "red", 0.30),
    ]
    for change, rule, level, value in cases:
        light, reasons = overview.project_status({**ON_TRACK, **change}, RULES)
        verdict = next(r for r in reasons if r.rule == rule)
        assert (light, verdict.level, verdict.value) == (level, level, pytest.approx(value)), change


def test_p80_forecast_replaces_the_plan_finish() -> None:
    light, _ = overview.project_status(ON_TRACK, RULES, forecast_finish=D(2027, 2, 15))  # 46 days after baseline
    assert light == "red"
    light, _ = overview.project_status({**ON_TRACK, "finish": pd.Timestamp("2027-02-15")}, RULES, D(2027, 1, 2))
    assert light == "green"  # the forecast says 2 days: the plan's own finish is not used
    facts = pd.DataFrame([ON_TRACK, {**ON_TRACK, "project": "Q"}])
    out = overview.with_status(facts, RULES, {"Q": D(2027, 1, 10)})
    assert out["status"].tolist() == ["green", "amber"]


def test_no_data_is_no_light_and_rules_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert overview.project_status({"project": "X"}, RULES) == ("none", ())
    monkeypatch.setenv("COCKPIT_STATUS_RULES", "slip=3,10;risks=2,5")
    rules = overview.status_rules()
    assert rules.slip == (3.0, 10.0) and rules.risks == (2.0, 5.0) and rules.cpi == RULES.cpi
    light, _ = overview.project_status({**ON_TRACK, "finish": pd.Timestamp("2027-01-04")}, rules)
    assert light == "amber"  # 4 days now counts
    monkeypatch.setenv("COCKPIT_STATUS_RULES", "slip=3")
    with pytest.raises(ValueError, match="slip=3"):
        overview.status_rules()


def test_weights_are_documented_and_bounded() -> None:
    for kind, (weight, reference, meaning) in overview.CHANGE_WEIGHTS.items():
        assert meaning and reference > 0
        assert overview.change_score(kind, 0) == pytest.approx(weight / 2)
        assert overview.change_score(kind, reference * 5) == pytest.approx(weight)


@pytest.fixture
def weeks() -> duckdb.DuckDBPyConnection:
    """Two weekly snapshots (16 and 23 Nov): a milestone slips 14 days and another is reached, a risk turns red
    and another closes, a change is approved, a department climbs three places in usage, a KPI crosses its target."""
    c = storekit.new_store()
    w1, w2 = D(2026, 11, 16), D(2026, 11, 23)
    m = {"project": "P", "is_milestone": True, "duration_days": 0}
    before = [
        {**m, "task_id": "M", "name": "上线", "start": D(2026, 12, 1), "finish": D(2026, 12, 1), "percent_complete": 0},
        {**m, "task_id": "N", "name": "评审", "start": D(2026, 11, 20), "finish": D(2026, 11, 20), "percent_complete": 0},
    ]  # fmt: skip
    after = [{**before[0], "start": D(2026, 12, 15), "finish": D(2026, 12, 15)}, {**before[1], "percent_complete": 100}]
    storekit.insert_rows(c, "tasks", before, as_of=w1)
    storekit.insert_rows(c, "tasks", after, as_of=w2)
    r = {"project": "P", "owner": "王", "status": "开放"}
    storekit.insert_rows(c, "risks", [
        {**r, "risk_id": "R1", "title": "接口", "likelihood": 3, "impact": 4},
        {**r, "risk_id": "R2", "title": "人员", "likelihood": 3, "impact": 3},
    ], as_of=w1)  # fmt: skip
    storekit.insert_rows(c, "risks", [
        {**r, "risk_id": "R1", "title": "接口", "likelihood": 5, "impact": 4},
        {**r, "risk_id": "R2", "title": "人员", "likelihood": 3, "impact": 3, "status": "已关闭"},
    ], as_of=w2)  # fmt: skip
    ch = {"project": "P", "change_id": "C1", "title": "扩容", "requested": D(2026, 11, 1), "cost_impact": 10_000.0}
    storekit.insert_rows(c, "changes", [{**ch, "status": "待审批"}], as_of=w1)
    storekit.insert_rows(c, "changes", [{**ch, "status": "已批准"}], as_of=w2)
    use = []
    for week, active in ((w1, (90, 80, 70, 60)), (w2, (80, 70, 60, 95))):
        for dep, a in zip(("甲", "乙", "丙", "丁"), active, strict=True):
            use.append({"period": week, "department": dep, "system": "EMR", "active_users": a, "eligible_users": 100})
    storekit.insert_rows(c, "usage", use)
    storekit.insert_rows(c, "kpis", [
        {"period": w1, "kpi": "等候时间", "value": 22.0, "unit": "分钟"},
        {"period": w2, "kpi": "等候时间", "value": 19.0, "unit": "分钟"},
    ])  # fmt: skip
    storekit.insert_rows(
        c, "targets", [{"kind": "效益指标", "name": "等候时间", "target": 20.0, "direction": "越低越好"}], as_of=w1
    )
    return c


def test_what_changed_is_ranked_by_weight(weeks: duckdb.DuckDBPyConnection) -> None:
    got = overview.what_changed(weeks, Scope(as_of=D(2026, 11, 23)))
    kinds = got["kind"].tolist()
    assert kinds[:6] == [
        "risk_red",  # 90 × (0.5 + 0.5 × 20/25) = 81
        "milestone_slipped",  # 80 × (0.5 + 0.5 × 14/30) = 58.7
        "kpi_crossed",  # 70 × (0.5 + 0.5 × 0.05/0.10) = 52.5
        "milestone_reached",  # 50
        "change_approved",  # 60 × (0.5 + 0.5 × 10,000/1,000,000) = 30.3
        "risk_closed",  # 40 × (0.5 + 0.5 × 9/25) = 27.2
    ]
    assert got["score"].tolist()[:6] == pytest.approx([81, 80 * (0.5 + 0.5 * 14 / 30), 52.5, 50, 30.3, 27.2])
    slipped = got.iloc[1]
    assert (slipped["subject"], slipped["before"], slipped["after"]) == ("上线", D(2026, 12, 1), D(2026, 12, 15))
    assert slipped["page"] == "schedule" and dict(slipped["params"]) == {"asof": "2026-11-23", "projects": "P"}
    usage = got[got["kind"] == "usage_rank"]
    assert usage.iloc[0]["subject"] == "丁" and usage.iloc[0]["size"] == 3  # 4th → 1st, the biggest move
    assert dict(usage.iloc[0]["params"]) == {"asof": "2026-11-23", "depts": "丁"}
    assert len(got) <= 10


def test_the_week_before_shows_nothing_yet(weeks: duckdb.DuckDBPyConnection) -> None:
    got = overview.what_changed(weeks, Scope(as_of=D(2026, 11, 16)))
    assert not set(got["kind"]) & {"risk_red", "milestone_slipped", "change_approved"}


def test_a_projects_first_register_turns_nothing_red(weeks: duckdb.DuckDBPyConnection) -> None:
    """Project Q's register is loaded for the first time in the week of 23 Nov, with a critical risk (5 × 5): it was
    never green, only not loaded, so "turned red" lists P's R1 (12 → 20) and not Q's risk; a risk added to P's
    second register at critical is listed (P had a register the week before)."""
    r = {"owner": "李", "status": "开放", "likelihood": 5, "impact": 5}
    storekit.insert_rows(
        weeks, "risks", [{**r, "project": "Q", "risk_id": "Q1", "title": "机房"}], as_of=D(2026, 11, 23)
    )
    got = overview.what_changed(weeks, Scope(as_of=D(2026, 11, 23)))
    assert got[got["kind"] == "risk_red"]["subject"].tolist() == ["R1 接口"]
    moves = risks.movement(
        pd.DataFrame([{**r, "project": "P", "risk_id": "R9", "title": "新增", "score": 25}]),
        pd.DataFrame(columns=["project", "risk_id", "title", "owner", "status", "likelihood", "impact", "score"]),
    )
    assert [c["subject"] for c in overview.risk_changes(moves, D(2026, 11, 23), known={"P"})] == ["R9 新增"]
    assert overview.risk_changes(moves, D(2026, 11, 23), known=set()) == []
