"""The demo's operations story holds together with the rest of the demo: tickets only for live systems, a spike
after the HIS big bang, a few P1 breaches (one still open at the status date), inspections with some missed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from metrics import operations
from metrics.scope import Scope
from tests.conftest import copy_store

ROOT = Path(__file__).resolve().parents[1]
STATUS = dt.date(2026, 11, 23)
YEAR = Scope(start=dt.date(2025, 11, 24), end=STATUS, today=STATUS)


@pytest.fixture(scope="module")
def con(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(copy_store(demo_template, tmp_path_factory.mktemp("ops_demo"))), read_only=True)


def test_tickets_start_at_each_departments_go_live(con: duckdb.DuckDBPyConnection) -> None:
    golive = json.loads((ROOT / "data/demo/targets.json").read_text("utf-8"))["go_live"]
    rows = con.execute("SELECT system, department, min(opened) FROM incidents GROUP BY ALL").fetchall()
    assert {r[0] for r in rows} == set(golive)
    for system, dept, first in rows:
        assert first.date() >= dt.date.fromisoformat(golive[system][dept]), (system, dept)


def test_his_big_bang_spike_and_settling(con: duckdb.DuckDBPyConnection) -> None:
    weekly = con.execute(
        "SELECT date_trunc('week', opened) AS wk, count(*) FROM incidents WHERE system = 'HIS' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    first_two = sum(n for _, n in weekly[:2])
    later = [n for wk, n in weekly if wk.date() >= dt.date(2026, 8, 1)]
    assert first_two > 4 * (sum(later) / len(later))  # the first fortnight files far more than a settled week
    mttr = operations.mttr(con, YEAR).query("system == 'HIS'").set_index("period")["mttr_hours"]
    assert mttr.iloc[0] > 1.5 * mttr.iloc[-1]  # slow at go-live, faster once settled


def test_a_few_p1_breaches_and_one_open_at_the_status_date(con: duckdb.DuckDBPyConnection) -> None:
    sla = operations.sla_by_priority(con, YEAR).set_index("priority")
    assert 2 <= sla.loc["P1", "resolution_breached"] <= 8
    open_p1 = operations.open_breaches(con, Scope(as_of=STATUS), ("P1",))
    assert list(open_p1["system"]) == ["HIS"]


def test_inspections_some_missed(con: duckdb.DuckDBPyConnection) -> None:
    insp = operations.inspection_completion(con, YEAR)
    assert (insp["missed"] > 0).sum() >= 4 and (insp["completion"] > 0.8).all()
    card = operations.health_scorecard(con, YEAR)
    assert len(card) == 6 and card["score"].between(0, 1).all() and (card["components"] >= 4).all()
    assert card["quality"].notna().any()  # the demo's data-quality checks reach the scorecard
