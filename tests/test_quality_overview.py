"""The overview's hooks for data quality and the EMR grading, against hand-computed scores: a pass rate that fell
5 points this week and a grading score that moved 127 → 128 appear in "what changed" with their documented
weights; a target grade not met 14 days before its review waits for a decision; and the brief knows the kinds."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from metrics import grading, overview
from metrics.scope import Scope
from pages.components.i18n import catalogue
from reports import texts
from tests import storekit

W1, W2 = dt.date(2026, 11, 16), dt.date(2026, 11, 23)


def item(no: str, basic: bool, level: int, cov: float) -> dict[str, object]:
    return {"item_no": no, "item": f"项目{no}", "is_basic": basic, "current_level": level, "target_level": 5,
            "coverage": cov, "required_coverage": 80 if basic else 50}  # fmt: skip


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = storekit.new_store()
    q = {"system": "EMR", "check_name": "ICD-10编码规范率", "target": 95}
    storekit.insert_rows(c, "quality_checks", [
        {**q, "period": W1, "department": "骨科", "numerator": 95, "denominator": 100},
        {**q, "period": W2, "department": "骨科", "numerator": 90, "denominator": 100},  # 5 points down
        {**q, "period": W1, "department": "眼科", "numerator": 90, "denominator": 100},
        {**q, "period": W2, "department": "眼科", "numerator": 89, "denominator": 100},  # 1 point: not a drop
    ])  # fmt: skip
    storekit.insert_rows(c, "grading_targets", [{"evaluation": "电子病历系统应用水平分级评价", "target_level": 5,
                                                 "min_score": 30, "optional_required": 1, "due": dt.date(2026, 12, 7),
                                                 "linked_project": "EMR升级"}], as_of=W1)  # fmt: skip
    storekit.insert_rows(c, "emr_items", [item("1", True, 4, 90), item("2", True, 5, 90)], as_of=W1)  # 4 + 5 = 9
    storekit.insert_rows(c, "emr_items", [item("1", True, 5, 90), item("2", True, 5, 90)], as_of=W2)  # 10
    return c


def test_what_changed_includes_drops_and_the_grading_move(con: duckdb.DuckDBPyConnection) -> None:
    got = overview.what_changed(con, Scope(as_of=W2))
    drop = got[got["kind"] == "quality_drop"]
    assert len(drop) == 1  # 眼科's one-point fall is under the 2-point threshold
    r = drop.iloc[0]
    assert r["subject"] == "EMR · 骨科 · ICD-10编码规范率" and (r["before"], r["after"]) == ("95.0%", "90.0%")
    assert r["score"] == pytest.approx(65 * (0.5 + 0.5 * 0.05 / 0.10))  # 48.75
    assert r["page"] == "data_quality" and dict(r["params"]) == {"asof": "2026-11-23", "depts": "骨科"}
    moved = got[got["kind"] == "grading_moved"].iloc[0]
    assert (moved["project"], moved["before"], moved["after"]) == ("EMR升级", "9", "10")
    assert moved["score"] == pytest.approx(55 * (0.5 + 0.5 * 1 / 5))  # 33
    assert moved["page"] == "grading"


def test_nothing_changed_the_week_before(con: duckdb.DuckDBPyConnection) -> None:
    got = overview.what_changed(con, Scope(as_of=W1))
    assert not set(got["kind"]) & {"quality_drop", "grading_moved"}


def test_grading_gap_waits_for_a_decision_near_the_review(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = overview.decisions(con, Scope(as_of=W2))
    row = d[d["kind"] == "grading_gap"].iloc[0]
    assert (row["project"], row["title"], row["due"]) == (
        "EMR升级",
        "电子病历系统应用水平分级评价",
        dt.date(2026, 12, 7),
    )
    assert row["age_days"] == -14  # 14 days left; total 10 < 30 points: not met
    monkeypatch.setattr(grading, "DECISION_DAYS", 13)  # the review further away than the window: no decision
    assert "grading_gap" not in set(overview.decisions(con, Scope(as_of=W2))["kind"])


def test_kinds_have_labels_in_the_page_and_the_brief() -> None:
    for kind in ("quality_drop", "grading_moved", "grading_gap"):
        assert f"overview.kind.{kind}" in catalogue()
        assert f"kind.{kind}" in texts.TEXTS
