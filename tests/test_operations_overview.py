"""The overview's SLA hooks: tickets that ran past their resolution target in the week appear in "what changed"
(per system, against the week before) and open P1 tickets past target wait in the decisions, worked by hand."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from metrics import operations, overview
from metrics.scope import Scope
from tests import storekit

T = dt.datetime
WEEK = dt.date(2025, 3, 16)  # the week 10–16 March 2025


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = storekit.new_store()
    rows = [
        # opened Friday 10:00, still open: its 4-hour target ran out Friday 14:00, inside the week
        ("P1-OPEN", "HIS", "P1", T(2025, 3, 14, 10), None, "挂号系统宕机"),
        # 24-hour target ran out 13 March 10:00, resolved on the 14th: breached inside the week
        ("P3-LATE", "HIS", "P3", T(2025, 3, 12, 10), T(2025, 3, 14, 12), "报表错误"),
        # 8-hour target ran out 5 March 17:00, resolved on the 6th: breached in the week before
        ("P2-PREV", "HIS", "P2", T(2025, 3, 5, 9), T(2025, 3, 6, 9), "打印异常"),
        # on time; and the latest stamp of the export (Sunday evening)
        ("P4-OK", "EMR", "P4", T(2025, 3, 16, 20), None, "咨询"),
    ]
    storekit.insert_rows(
        c,
        "incidents",
        [
            {"ticket_id": k, "system": s, "priority": p, "opened": o, "resolved": r, "title": t}
            for k, s, p, o, r, t in rows
        ],
    )
    return c


def test_breaches_in_the_week_by_hand(con: duckdb.DuckDBPyConnection) -> None:
    now = operations.breaches_in_week(con, Scope(), WEEK)
    assert now.to_dict("records") == [{"system": "HIS", "breaches": 2, "p1": 1, "before": 1}]
    before = operations.breaches_in_week(con, Scope(), WEEK - dt.timedelta(days=7))
    assert before.to_dict("records") == [{"system": "HIS", "breaches": 1, "p1": 0, "before": 0}]


def test_what_changed_names_the_system(con: duckdb.DuckDBPyConnection) -> None:
    changes = overview.what_changed(con, Scope(as_of=WEEK, today=WEEK))
    (row,) = changes[changes["kind"] == "sla_breach"].to_dict("records")
    assert (row["subject"], row["before"], row["after"], row["page"]) == ("HIS", 1, 2, "operations")
    assert row["score"] == pytest.approx(85 * (0.5 + 0.5 * 2 / 5))
    assert ("asof", "2025-03-16") in row["params"]


def test_decisions_list_the_open_p1(con: duckdb.DuckDBPyConnection) -> None:
    d = overview.decisions(con, Scope(as_of=WEEK, today=WEEK))
    (row,) = d[d["kind"] == "sla_breach"].to_dict("records")
    assert (row["id"], row["title"], row["age_days"], row["due"]) == (
        "P1-OPEN",
        "HIS：挂号系统宕机",
        2,
        dt.date(2025, 3, 14),
    )
    # a week earlier the ticket did not exist yet
    earlier = overview.decisions(con, Scope(as_of=dt.date(2025, 3, 9), today=dt.date(2025, 3, 9)))
    assert "sla_breach" not in set(earlier["kind"])


def test_a_department_head_sees_only_their_department() -> None:
    c = storekit.new_store()
    storekit.insert_rows(
        c,
        "incidents",
        [
            {"ticket_id": "A", "system": "HIS", "department": "心内科", "priority": "P1", "opened": T(2025, 3, 14, 10)},
            {"ticket_id": "B", "system": "HIS", "department": "骨科", "priority": "P1", "opened": T(2025, 3, 14, 11)},
            {"ticket_id": "Z", "system": "HIS", "department": "骨科", "priority": "P4", "opened": T(2025, 3, 16, 22)},
        ],
    )
    scope = Scope(departments=("心内科",), as_of=WEEK, today=WEEK)
    assert [r["id"] for r in operations.overview_decisions(c, scope)] == ["A"]
    assert [r["after"] for r in operations.overview_changes(c, scope, WEEK)] == [1]
