"""Operations metrics against figures worked out by hand: SLA compliance with tickets open across the period end and
tickets without a response time, MTTR, backlog, incidents per 1,000 active users, inspection completion and the
health scorecard. Default SLA targets (minutes): P1 15/240, P2 30/480, P3 120/1440, P4 480/4320."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd
import pytest

from metrics import definitions, operations
from metrics.scope import Scope
from tests import storekit

T = dt.datetime
D = dt.date
MARCH = Scope(start=D(2025, 3, 1), end=D(2025, 3, 31), today=D(2025, 4, 10))
END = T(2025, 4, 1)  # the end of 31 March

# ticket: (system, department, priority, opened, responded, resolved); the comment says each clock's outcome at END
TICKETS = {
    "A": ("HIS", None, "P1", T(2025, 3, 5, 10), T(2025, 3, 5, 10, 10), T(2025, 3, 5, 13)),  # 10 min met; 180 met
    "B": ("HIS", None, "P1", T(2025, 3, 10, 9), T(2025, 3, 10, 9, 20), T(2025, 3, 10, 14)),  # 20 breached; 300 breached
    "C": ("HIS", None, "P1", T(2025, 3, 31, 22), None, None),  # no response, 120 min running: breached; pending
    "D": ("HIS", None, "P1", T(2025, 3, 20, 8), T(2025, 3, 20, 8, 5), None),  # 5 met; open for days: breached
    "E": ("HIS", None, "P1", T(2025, 3, 31, 23), None, T(2025, 3, 31, 23, 10)),  # answered by resolving: met; met
    "F": (
        "HIS",
        None,
        "P1",
        T(2025, 3, 31, 21),
        T(2025, 4, 1, 0, 30),
        T(2025, 4, 1, 2),
    ),  # after END: breached; pending
    "G": ("HIS", None, "P1", T(2025, 2, 28, 10), T(2025, 2, 28, 10, 5), T(2025, 3, 1, 10)),  # opened in Feb: not in SLA
    "H": ("HIS", None, "P2", T(2025, 3, 5, 10), T(2025, 3, 5, 10, 30), T(2025, 3, 5, 18)),  # exactly 30 / 480: met
    "I": ("EMR", "心内科", "P3", T(2025, 3, 15, 9), T(2025, 3, 15, 9, 30), T(2025, 3, 16, 9)),  # 30 met; 1440 met
}


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = storekit.new_store()
    storekit.insert_rows(
        c,
        "incidents",
        [
            {"ticket_id": k, "system": s, "department": d, "priority": p, "opened": o, "responded": r, "resolved": x}
            for k, (s, d, p, o, r, x) in TICKETS.items()
        ],
    )
    storekit.insert_rows(
        c,
        "usage",
        [
            {
                "period": D(2025, 3, 3),
                "department": "门诊部",
                "system": "HIS",
                "active_users": 100,
                "eligible_users": 200,
            },
            {
                "period": D(2025, 3, 3),
                "department": "急诊科",
                "system": "HIS",
                "active_users": 300,
                "eligible_users": 400,
            },
            {
                "period": D(2025, 3, 10),
                "department": "门诊部",
                "system": "HIS",
                "active_users": 200,
                "eligible_users": 250,
            },
            {
                "period": D(2025, 3, 10),
                "department": "急诊科",
                "system": "HIS",
                "active_users": 400,
                "eligible_users": None,
            },
            {
                "period": D(2025, 3, 3),
                "department": "心内科",
                "system": "EMR",
                "active_users": 50,
                "eligible_users": 100,
            },
        ],
    )
    storekit.insert_rows(
        c,
        "inspections",
        [
            {
                "system": "HIS",
                "planned_date": D(2025, 3, 3),
                "done_date": D(2025, 3, 3),
                "items_checked": 20,
                "items_failed": 1,
            },
            {
                "system": "HIS",
                "planned_date": D(2025, 3, 10),
                "done_date": D(2025, 3, 11),
                "items_checked": 20,
                "items_failed": 0,
            },
            {"system": "HIS", "planned_date": D(2025, 3, 17), "done_date": None},
            {
                "system": "HIS",
                "planned_date": D(2025, 3, 24),
                "done_date": D(2025, 4, 2),
                "items_checked": 20,
                "items_failed": 3,
            },
            {"system": "HIS", "planned_date": D(2025, 4, 7), "done_date": None},  # after the period
            {
                "system": "EMR",
                "planned_date": D(2025, 3, 5),
                "done_date": D(2025, 3, 5),
                "items_checked": 10,
                "items_failed": 0,
            },
            {"system": "PACS", "planned_date": D(2025, 3, 6), "done_date": None},
        ],
    )
    return c


def _row(df: pd.DataFrame, **where: object) -> dict[str, object]:
    mask = pd.Series(True, index=df.index)
    for k, v in where.items():
        mask &= df[k] == v
    (rec,) = df[mask].to_dict("records")
    return rec


# ------------------------------------------------------------------------------------------------ the SLA rule


@pytest.mark.parametrize(
    ("opened", "finished", "target", "want"),
    [
        (T(2025, 3, 5, 10), T(2025, 3, 5, 10, 15), 15, "met"),  # exactly at the target
        (T(2025, 3, 5, 10), T(2025, 3, 5, 10, 16), 15, "breached"),
        (T(2025, 3, 31, 23, 50), None, 15, "pending"),  # 10 minutes running at END
        (T(2025, 3, 31, 23, 45), None, 15, "pending"),  # exactly 15 minutes at END: not past it
        (T(2025, 3, 31, 23, 44), None, 15, "breached"),
        (T(2025, 3, 31, 23, 50), T(2025, 4, 1, 0, 1), 15, "pending"),  # finished after END: unknown at END
    ],
)
def test_sla_outcome_by_hand(opened: dt.datetime, finished: dt.datetime | None, target: float, want: str) -> None:
    assert definitions.sla_outcome(opened, finished, target, END) == want


def test_sla_compliance_with_open_and_unanswered_tickets(con: duckdb.DuckDBPyConnection) -> None:
    df = operations.sla_compliance(con, MARCH)
    his = _row(df, system="HIS", priority="P1")
    # A–F opened in March (G in February is not counted); C, E, F have no response time at END
    assert (his["tickets"], his["no_response"]) == (6, 3)
    # response: met A, D, E (E answered by its resolution); breached B, C (unanswered 120 min), F (answer after END)
    assert (his["response_met"], his["response_breached"], his["response_pending"]) == (3, 3, 0)
    assert his["response_compliance"] == pytest.approx(0.5)
    # resolution: met A, E; breached B (300 min), D (open, past 240 at END); pending C, F (still running, < 240)
    assert (his["resolution_met"], his["resolution_breached"], his["resolution_pending"]) == (2, 2, 2)
    assert his["resolution_compliance"] == pytest.approx(0.5)
    assert (his["response_target_min"], his["resolution_target_min"]) == (15, 240)
    p2 = _row(df, system="HIS", priority="P2")  # exactly at both targets: met
    assert (p2["response_met"], p2["resolution_met"], p2["response_compliance"]) == (1, 1, 1.0)
    emr = _row(df, system="EMR", priority="P3")
    assert (emr["tickets"], emr["resolution_met"], emr["resolution_compliance"]) == (1, 1, 1.0)


def test_sql_agrees_with_the_rule_ticket_by_ticket(con: duckdb.DuckDBPyConnection) -> None:
    targets = operations.sla_targets()
    want: dict[tuple[str, str], dict[str, int]] = {}
    for system, _d, pri, opened, responded, resolved in TICKETS.values():
        if not MARCH.start or opened.date() < MARCH.start:
            continue
        counts = want.setdefault((system, pri), {})
        for clock, finished, target in (
            ("response", responded or resolved, targets[pri][0]),
            ("resolution", resolved, targets[pri][1]),
        ):
            out = definitions.sla_outcome(opened, finished, target, END)
            counts[f"{clock}_{out}"] = counts.get(f"{clock}_{out}", 0) + 1
    df = operations.sla_compliance(con, MARCH)
    for (system, pri), counts in want.items():
        got = _row(df, system=system, priority=pri)
        for clock in operations.CLOCKS:
            for out in definitions.SLA_OUTCOMES:
                assert got[f"{clock}_{out}"] == counts.get(f"{clock}_{out}", 0), (system, pri, clock, out)


def test_an_as_of_week_sees_only_what_was_known(con: duckdb.DuckDBPyConnection) -> None:
    # as of 10 March: A met; B opened 10 March 09:00, resolved 14:00 (known by the end of the day): breached
    df = operations.sla_compliance(con, Scope(start=D(2025, 3, 1), as_of=D(2025, 3, 10), today=D(2025, 4, 10)))
    his = _row(df, system="HIS", priority="P1")
    assert (his["tickets"], his["resolution_met"], his["resolution_breached"]) == (2, 1, 1)


def test_sla_by_priority_pools_systems(con: duckdb.DuckDBPyConnection) -> None:
    df = operations.sla_by_priority(con, MARCH)
    assert list(df["priority"]) == ["P1", "P2", "P3"]
    assert int(df["tickets"].sum()) == 8


def test_open_breaches_lists_tickets_past_their_resolution_target(con: duckdb.DuckDBPyConnection) -> None:
    df = operations.open_breaches(con, MARCH)
    assert list(df["ticket_id"]) == ["D"]  # C and F are still within 240 minutes at END
    assert df["elapsed_min"].iloc[0] == pytest.approx((END - T(2025, 3, 20, 8)).total_seconds() / 60)


def test_sla_targets_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_SLA_TARGETS", "P1=10,120")
    assert operations.sla_targets()["P1"] == (10.0, 120.0)
    assert operations.sla_targets()["P4"] == (480.0, 4320.0)  # left out: the default
    monkeypatch.setenv("COCKPIT_SLA_TARGETS", "P1=ten")
    with pytest.raises(ValueError, match="COCKPIT_SLA_TARGETS"):
        operations.sla_targets()


# ------------------------------------------------------------------------------------------- MTTR and backlog


def test_mttr_counts_tickets_resolved_in_the_period(con: duckdb.DuckDBPyConnection) -> None:
    df = operations.mttr_by_system(con, MARCH)
    his = _row(df, system="HIS")
    # resolved in March: A 3 h, B 5 h, E 10 min, H 8 h, G 24 h (opened in February); F resolved 1 April: not yet
    assert his["resolved"] == 5
    assert his["mttr_hours"] == pytest.approx((3 + 5 + 10 / 60 + 8 + 24) / 5)
    assert _row(df, system="EMR")["mttr_hours"] == pytest.approx(24.0)


def test_backlog_weekly_and_monthly(con: duckdb.DuckDBPyConnection) -> None:
    weekly = operations.backlog(con, MARCH, "week")
    his = weekly[weekly["system"] == "HIS"].set_index("period")["open"]
    assert his[pd.Timestamp(2025, 2, 24)] == 0  # G opened 28 Feb, resolved 1 March (inside that week)
    assert his[pd.Timestamp(2025, 3, 3)] == 0  # A and H resolved the same day
    assert his[pd.Timestamp(2025, 3, 17)] == 1  # D, opened 20 March
    assert his[pd.Timestamp(2025, 3, 31)] == 3  # at END: C, D, and F (resolved after END)
    monthly = operations.backlog(con, MARCH, "month")
    his_m = monthly[monthly["system"] == "HIS"].set_index("period")["open"]
    assert list(his_m.index) == [pd.Timestamp(2025, 3, 1)] and his_m.iloc[0] == 3
    emr = monthly[monthly["system"] == "EMR"]["open"]
    assert list(emr) == [0]


def test_department_scope_filters_tickets_and_users(con: duckdb.DuckDBPyConnection) -> None:
    scope = Scope(departments=("心内科",), start=MARCH.start, end=MARCH.end, today=MARCH.today)
    assert list(operations.sla_compliance(con, scope)["system"]) == ["EMR"]
    rates = operations.incident_rates(con, scope)
    assert list(rates["system"]) == ["EMR"]


# ------------------------------------------------------------------------------------ per 1,000 active users


def test_incidents_per_thousand_active_users(con: duckdb.DuckDBPyConnection) -> None:
    rates = operations.incident_rates(con, MARCH)
    his = _row(rates, system="HIS")
    # HIS active users: 3 March 100 + 300 = 400, 10 March 200 + 400 = 600 (every row, eligible or not): mean 500;
    # 7 tickets opened in March (A–F, H) → 7 ÷ 500 × 1,000 = 14
    assert (his["tickets"], his["active_users"]) == (7, 500.0)
    assert his["per_1000"] == pytest.approx(14.0)
    assert _row(rates, system="EMR")["per_1000"] == pytest.approx(1 / 50 * 1000)
    summary = operations.rate_by_system(rates)
    assert _row(summary, system="HIS")["per_1000"] == pytest.approx(14.0)


def test_rate_by_system_pools_months_and_counts_months_without_usage() -> None:
    rates = pd.DataFrame(
        {
            "system": ["HIS", "HIS", "HIS"],
            "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
            "tickets": [10, 30, 4],
            "active_users": [1000.0, 3000.0, math.nan],
            "per_1000": [10.0, 10.0, math.nan],
        }
    )
    (rec,) = operations.rate_by_system(rates).to_dict("records")
    assert rec["per_1000"] == pytest.approx(40 / 4000 * 1000) and rec["no_usage_tickets"] == 4


# ------------------------------------------------------------------------------------------------ inspections


def test_inspection_completion(con: duckdb.DuckDBPyConnection) -> None:
    df = operations.inspection_completion(con, MARCH)
    his = _row(df, system="HIS")
    # planned in March: 3, 10, 17, 24 March (7 April is after the period); done: 3, 10, 24 (done 2 April, before
    # the reference day 10 April); missed: 17 March
    assert (his["planned"], his["done"], his["missed"]) == (4, 3, 1)
    assert his["completion"] == pytest.approx(0.75)
    assert (his["items_checked"], his["items_failed"]) == (60, 4)
    assert _row(df, system="PACS")["completion"] == 0.0
    as_of = operations.inspection_completion(
        con, Scope(start=D(2025, 3, 1), as_of=D(2025, 3, 31), today=D(2025, 4, 10))
    )
    assert _row(as_of, system="HIS")["done"] == 2  # the 24 March round was done on 2 April, after the as-of day


# ------------------------------------------------------------------------------------------------- scorecard


def test_usage_rate_by_system_follows_the_usage_rate_rule(con: duckdb.DuckDBPyConnection) -> None:
    df = operations.usage_rate_by_system(con, MARCH)
    # rows with eligible users: 100/200, 300/400, 200/250 (the row without eligible users is left out)
    assert _row(df, system="HIS")["rate"] == pytest.approx(600 / 850)


def test_health_scorecard_by_hand(con: duckdb.DuckDBPyConnection) -> None:
    quality = pd.DataFrame({"system": ["HIS", "LIS"], "quality_rate": [0.9, 0.8]})  # system_quality's shape
    card = operations.scorecard_from(
        operations.sla_compliance(con, MARCH),
        operations.rate_by_system(operations.incident_rates(con, MARCH)),
        operations.inspection_completion(con, MARCH),
        operations.usage_rate_by_system(con, MARCH),
        quality,
    )
    his = _row(card, system="HIS")
    # SLA pooled: met 3 + 1 (response) + 2 + 1 (resolution) = 7; breached 3 + 2 = 5 → 7/12
    assert his["sla"] == pytest.approx(7 / 12)
    assert his["incidents"] == pytest.approx(1 - 14 / 20)
    assert (his["inspections"], his["usage"], his["quality"]) == (
        pytest.approx(0.75), pytest.approx(600 / 850), pytest.approx(0.9),
    )  # fmt: skip
    # weights 25 / 15 / 15 / 20 / 25 (sum 1)
    want = 0.25 * 7 / 12 + 0.15 * 0.3 + 0.15 * 0.75 + 0.20 * 0.9 + 0.25 * 600 / 850
    assert his["score"] == pytest.approx(want) and his["light"] == "red" and his["components"] == 5
    emr = _row(card, system="EMR")  # no quality checks: SLA 1, incidents 20 per 1,000 → 0, inspections 1, usage 0.5
    assert emr["score"] == pytest.approx((0.25 * 1 + 0.15 * 0 + 0.15 * 1 + 0.25 * 0.5) / 0.80)
    pacs = _row(card, system="PACS")  # only an inspection, missed: the weights renormalise over that one
    assert (pacs["components"], pacs["score"], pacs["light"]) == (1, 0.0, "red")
    lis = _row(card, system="LIS")  # only a data-quality figure
    assert (lis["components"], lis["score"], lis["light"]) == (1, pytest.approx(0.8), "amber")


def test_composite_renormalises_and_lights() -> None:
    assert operations.composite({"sla": 1.0, "incidents": math.nan, "inspections": 0.5, "usage": math.nan}) == (
        pytest.approx((0.25 * 1.0 + 0.15 * 0.5) / 0.40)
    )
    assert math.isnan(operations.composite({"sla": math.nan}))
    assert [operations.score_light(x) for x in (0.85, 0.84, 0.70, 0.69, math.nan)] == [
        "green", "amber", "amber", "red", "none",
    ]  # fmt: skip


def test_health_scorecard_reads_the_year(con: duckdb.DuckDBPyConnection) -> None:
    card = operations.health_scorecard(con, Scope(today=D(2025, 4, 10)))
    # 2025 up to 10 April: the 7 April round now counts (missed): 3 of 5 done
    his = _row(card, system="HIS")
    assert his["inspections"] == pytest.approx(3 / 5)
    assert set(card["system"]) == {"HIS", "EMR", "PACS"}


def test_every_query_runs_on_an_empty_store() -> None:
    c = storekit.new_store()
    assert operations.sla_compliance(c, MARCH).empty
    assert operations.backlog(c, MARCH).empty
    assert operations.mttr_by_system(c, MARCH).empty
    assert operations.incident_rates(c, MARCH).empty
    assert operations.inspection_completion(c, MARCH).empty
    assert operations.health_scorecard(c, MARCH).empty
    assert operations.open_breaches(c, MARCH).empty


def test_running_clocks_are_judged_no_later_than_the_export_knows() -> None:
    c = storekit.new_store()
    storekit.insert_rows(
        c,
        "incidents",
        [
            {"ticket_id": "X", "system": "HIS", "priority": "P4", "opened": T(2025, 3, 30, 10)},
            {
                "ticket_id": "Y",
                "system": "HIS",
                "priority": "P4",
                "opened": T(2025, 3, 30, 9),
                "resolved": T(2025, 3, 30, 12),
            },
        ],
    )
    # the latest stamp is 30 March 12:00: X has waited 2 h there (target 8 h: pending), not 38 h to the period end
    assert operations.judged_at(c, MARCH) == T(2025, 3, 30, 12)
    his = _row(operations.sla_compliance(c, MARCH), system="HIS", priority="P4")
    assert (his["response_met"], his["response_pending"], his["response_breached"]) == (1, 1, 0)
    assert operations.open_breaches(c, MARCH).empty
