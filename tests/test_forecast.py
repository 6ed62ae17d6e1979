"""The finish forecast against closed-form answers: a chain with one triangular task, two parallel ones (the max of
two independent draws), seeded reproducibility, the chance of meeting the baseline and the criticality index."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metrics import forecast, schedule, workcal
from metrics.scope import Scope
from tests import storekit

D = dt.date
MON_FRI = workcal.CalendarSpec().to_json()


def row(tid: str, start: dt.date, finish: dt.date, preds: str | None = None, **kw: object) -> dict[str, object]:
    return {"project": "P", "task_id": tid, "name": tid, "start": start, "finish": finish, "predecessors": preds,
            "calendar": MON_FRI, **kw}  # fmt: skip


def test_triangular_quantile_closed_form() -> None:
    # triangular(2, 4, 12): mode share 0.2 < 0.5, so the median is 12 - sqrt(10 * 8 / 2)
    assert forecast.triangular_quantile(2, 4, 12, 0.5) == pytest.approx(12 - np.sqrt(40))
    assert forecast.triangular_quantile(2, 4, 12, 0.8) == pytest.approx(8.0)
    assert forecast.triangular_quantile(2, 4, 12, 0.1) == pytest.approx(2 + np.sqrt(0.1 * 10 * 2))


def test_chain_with_one_uncertain_task_matches_closed_form() -> None:
    # A: 5 fixed days (o = m = p = 5); B after A: triangular(2, 4, 12). Project length = 5 + B.
    plan = pd.DataFrame(
        [
            row("A", D(2026, 3, 2), D(2026, 3, 6), duration_optimistic=5, duration_likely=5, duration_pessimistic=5),
            row(
                "B",
                D(2026, 3, 9),
                D(2026, 3, 12),
                "A",
                duration_optimistic=2,
                duration_likely=4,
                duration_pessimistic=12,
                baseline_finish=D(2026, 3, 17),
            ),  # fmt: skip
        ]
    )
    fc = forecast.forecast_plan(plan, iterations=20000, seed=7)
    length = fc.samples["P"] - 0.0  # x axis starts at 2 Mar: the end sample is the project's length in days
    origin = workcal.calendar_for(MON_FRI).start_x([D(2026, 3, 2)])[0]
    length = length - origin
    assert np.quantile(length, 0.5) == pytest.approx(5 + 12 - np.sqrt(40), abs=0.1)
    assert np.quantile(length, 0.8) == pytest.approx(13.0, abs=0.1)
    # baseline finish 17 Mar = end of working day 12: P(5 + B <= 12) = P(B <= 7) = 1 - (12-7)^2 / (10*8)
    proj = fc.projects.iloc[0]
    assert proj["p_meet_baseline"] == pytest.approx(1 - 25 / 80, abs=0.01)
    assert proj["method"] == "three_point"
    # P50 = 10.68 working days from 2 Mar: work ends during the 11th working day, Mon 16 Mar
    assert proj["p50_finish"] == pd.Timestamp(2026, 3, 16)
    assert fc.criticality.set_index("task_id")["criticality"].to_dict() == {"A": 1.0, "B": 1.0}


def test_parallel_tasks_give_the_max_of_two_draws() -> None:
    # B and C both after A, independent triangular(2, 4, 12): P(max <= t) = F(t)^2, so P50 = F^-1(sqrt(.5))
    three = {"duration_optimistic": 2, "duration_likely": 4, "duration_pessimistic": 12}
    plan = pd.DataFrame(
        [
            row("A", D(2026, 3, 2), D(2026, 3, 2), duration_optimistic=1, duration_likely=1, duration_pessimistic=1),
            row("B", D(2026, 3, 3), D(2026, 3, 6), "A", **three),
            row("C", D(2026, 3, 3), D(2026, 3, 6), "A", **three),
        ]
    )
    fc = forecast.forecast_plan(plan, iterations=20000, seed=11)
    origin = workcal.calendar_for(MON_FRI).start_x([D(2026, 3, 2)])[0]
    length = fc.samples["P"] - origin
    expected = 1 + forecast.triangular_quantile(2, 4, 12, np.sqrt(0.5))
    assert np.quantile(length, 0.5) == pytest.approx(expected, abs=0.1)
    crit = fc.criticality.set_index("task_id")["criticality"]
    assert crit["A"] == 1.0 and crit["B"] == pytest.approx(0.5, abs=0.02) and crit["C"] == pytest.approx(0.5, abs=0.02)


def test_seeded_and_done_work_is_fixed() -> None:
    plan = pd.DataFrame(
        [
            row("A", D(2026, 3, 2), D(2026, 3, 13), percent_complete=100),
            row("B", D(2026, 3, 16), D(2026, 3, 27), "A"),
            row("M", D(2026, 3, 27), D(2026, 3, 27), "B", is_milestone=True, baseline_finish=D(2026, 3, 27)),
        ]
    )
    one = forecast.forecast_plan(plan, iterations=3000, seed=5)
    two = forecast.forecast_plan(plan, iterations=3000, seed=5)
    pd.testing.assert_frame_equal(one.projects, two.projects)
    assert np.array_equal(one.samples["P"], two.samples["P"])
    crit = one.criticality.set_index("task_id")["criticality"]
    assert crit["A"] == 0.0 and crit["B"] == 1.0  # done work is never critical
    # the default spread (0.9, 1.0, 1.3) on B's 10 days: B ends within 9..13 days after A
    origin = workcal.calendar_for(MON_FRI).start_x([D(2026, 3, 16)])[0]
    b_len = one.samples["P"] - origin
    assert b_len.min() >= 9.0 - 1e-9 and b_len.max() <= 13.0 + 1e-9
    assert np.mean(b_len) == pytest.approx(10 * (0.9 + 1.0 + 1.3) / 3, abs=0.05)
    ms = one.milestones.set_index("task_id")
    assert ms.loc["M", "p_meet_baseline"] == pytest.approx(np.mean(b_len <= 10 + 1e-9))
    assert one.projects.iloc[0]["method"] == "default"


def test_history_spread_from_snapshots_through_the_store() -> None:
    con = storekit.new_store()
    first = [
        {"project": "H", "task_id": str(i), "name": f"t{i}", "start": D(2026, 3, 2), "finish": D(2026, 3, 11)}
        for i in range(12)
    ]
    later = [{**r, "finish": D(2026, 3, 11) + dt.timedelta(days=i % 4)} for i, r in enumerate(first)]
    storekit.insert_rows(con, "tasks", first, as_of=D(2026, 3, 1))
    storekit.insert_rows(con, "tasks", later, as_of=D(2026, 3, 8))
    fc = forecast.finish_forecast(con, Scope(), iterations=500, seed=1)
    assert fc.projects.iloc[0]["method"] == "history"
    # spans grew by 0..3 of 10 calendar days: ratios 1.0, 1.1, 1.2, 1.3 -> (0.95, max(P50, 1), P90)
    spread = forecast.history_spread(schedule.load_snapshots(con, Scope()))["H"]
    assert spread[0] == 0.95 and spread[1] == pytest.approx(1.15) and spread[2] == pytest.approx(1.3)


def test_no_remaining_work_before_the_status_date() -> None:
    plan = pd.DataFrame(
        [
            row("A", D(2026, 3, 2), D(2026, 3, 13), percent_complete=50),  # planned to end 13 Mar, half done
            row("B", D(2026, 3, 16), D(2026, 3, 20), "A"),
        ]
    )
    plain = forecast.forecast_plan(plan, iterations=2000, seed=3)
    late = forecast.forecast_plan(plan, iterations=2000, seed=3, status=D(2026, 3, 30))
    assert (
        plain.projects.iloc[0]["planned_finish"] == late.projects.iloc[0]["planned_finish"] == pd.Timestamp(2026, 3, 20)
    )
    # status 30 Mar: A's remaining 5 days (x 0.9..1.3) from 30 Mar, then B's 5 days: no finish before 13 Apr
    assert late.projects.iloc[0]["p50_finish"] >= pd.Timestamp(2026, 4, 9)
    origin = workcal.calendar_for(MON_FRI).start_x([D(2026, 3, 30)])[0]
    assert (late.samples["P"] - origin).min() >= 0.9 * 5 + 0.9 * 5 - 1e-9
    assert late.projects.iloc[0]["p50_slip_days"] > 10
