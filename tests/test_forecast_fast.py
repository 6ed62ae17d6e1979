"""The finish forecast's fast paths against the plain ones on the same data: the forward-only forecast (what the
overview needs) gives the same figures bit for bit, and the memo shares one forecast per store, data version and
scope, recomputed after a new import."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.schedule_bench import synthetic_plan
from loaders import store
from metrics import forecast, overview, schedule
from metrics.scope import Scope
from tests import storekit

D = dt.date
TODAY = D(2026, 3, 2)


def rich_plan(tasks: int = 240) -> pd.DataFrame:
    """A plan with every link type, lags in days, % and elapsed days, done and started work, milestones, a
    three-point task, constraints and a baseline."""
    plan = synthetic_plan(tasks, int(tasks * 1.3), seed=7)
    n = len(plan)
    plan["percent_complete"] = [100.0 if i < n // 8 else 40.0 if i < n // 5 else 0.0 for i in range(n)]
    plan["is_milestone"] = [i % 37 == 36 for i in range(n)]
    plan["baseline_finish"] = plan["finish"]
    plan.loc[n // 2, "predecessors"] = f"{n // 2 - 3}FS+50%,{n // 2 - 5}SS+2ed"
    plan.loc[n // 3, "constraint_type"] = "SNET"
    plan.loc[n // 3, "constraint_date"] = plan.loc[n // 3, "start"] + dt.timedelta(days=9)
    plan.loc[n // 4, ["duration_optimistic", "duration_likely", "duration_pessimistic"]] = [2.0, 4.0, 9.0]
    second = plan.head(60).copy()
    second["project"] = "B"
    return pd.concat([plan, second], ignore_index=True)


def frames_equal(a: forecast.FinishForecast, b: forecast.FinishForecast, criticality: bool = True) -> None:
    for name in ("projects", "milestones", "distribution", *(("criticality",) if criticality else ())):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.samples.keys() == b.samples.keys()
    for project in a.samples:
        assert np.array_equal(a.samples[project], b.samples[project])


@pytest.mark.parametrize("status", [None, TODAY])
def test_forward_only_gives_the_same_finish_figures(status: dt.date | None) -> None:
    plan = rich_plan()
    full = forecast.forecast_plan(plan, iterations=1200, seed=11, status=status)
    fast = forecast.forecast_plan(plan, iterations=1200, seed=11, status=status, criticality=False)
    assert len(full.milestones) > 0 and full.criticality["criticality"].gt(0).any()  # the plan exercises both
    frames_equal(full, fast, criticality=False)
    assert fast.criticality.empty and list(fast.criticality.columns) == list(forecast.CRITICALITY_COLUMNS)


@pytest.mark.parametrize("status", [None, TODAY, D(2026, 6, 1)])
def test_fast_kernel_gives_the_plain_figures(status: dt.date | None) -> None:
    # every link type and lag kind, done and started work (the status date's floor), a constraint, milestones
    plan = rich_plan(600)
    plan.loc[6, "predecessors"] = "4FS+2d,2,9"  # task 7 after 9, which follows 7: a cycle the engine breaks
    plan.loc[11, "constraint_type"], plan.loc[11, "constraint_date"] = "MSO", plan.loc[11, "start"]
    assert [n for n in schedule.critical_path(plan).attrs["schedule_notes"] if n["kind"] == "cycle"]
    plain = forecast.forecast_plan(plan, iterations=1100, seed=5, status=status, kernel="plain")
    fast = forecast.forecast_plan(plan, iterations=1100, seed=5, status=status)
    assert plain.criticality["criticality"].between(0.01, 0.99).any()  # iterations disagree on some tasks
    frames_equal(plain, fast)
    quick = forecast.forecast_plan(plan, iterations=1100, seed=5, status=status, criticality=False, kernel="plain")
    frames_equal(quick, forecast.forecast_plan(plan, iterations=1100, seed=5, status=status, criticality=False), False)


def plan_rows(finish_shift: int = 0) -> list[dict[str, object]]:
    rows = []
    for i in range(30):
        start = D(2026, 3, 2) + dt.timedelta(days=i)
        rows.append(
            {
                "project": "P" if i < 20 else "Q",
                "task_id": str(i + 1),
                "name": f"t{i + 1}",
                "start": start,
                "finish": start + dt.timedelta(days=4 + finish_shift),
                "predecessors": str(i) if i % 20 else None,
                "links": json.dumps([{"id": str(i), "type": "FS", "lag": 0.0, "unit": "d"}]) if i % 20 else None,
                "percent_complete": 100.0 if i in (0, 20) else 0.0,
            }
        )
    return rows


@pytest.fixture
def file_store(tmp_path: Path):  # type: ignore[no-untyped-def]
    con = store.open_store(tmp_path / "fc.duckdb")
    storekit.insert_rows(con, "tasks", plan_rows(), as_of=D(2026, 2, 23))
    store.bump_data_version(con)
    yield con
    con.close()


def test_memo_shares_one_forecast_per_data_version_and_scope(file_store) -> None:  # type: ignore[no-untyped-def]
    con = file_store
    scope = Scope(today=TODAY)
    first = forecast.finish_forecast(con, scope, iterations=400)
    assert forecast.finish_forecast(con, scope, iterations=400) is first  # computed once
    frames_equal(first, forecast.finish_forecast_fresh(con, scope, iterations=400))  # the memo is the plain figure
    # departments and the date range never cut a plan: the same forecast
    wider = dataclasses.replace(scope, departments=("心内科",), start=D(2025, 1, 1), end=D(2026, 1, 1))
    assert forecast.finish_forecast(con, wider, iterations=400) is first
    # the overview's finish-only request is answered by the full forecast already kept
    assert forecast.finish_forecast(con, scope, iterations=400, criticality=False) is first
    # another status date or project filter is another forecast
    assert forecast.finish_forecast(con, Scope(today=D(2026, 3, 20)), iterations=400) is not first
    only_p = forecast.finish_forecast(con, dataclasses.replace(scope, projects=("P",)), iterations=400)
    assert list(only_p.projects["project"]) == ["P"]
    # a new import changes the data version: computed again, from the new plan
    storekit.insert_rows(con, "tasks", plan_rows(finish_shift=6), as_of=D(2026, 3, 2))
    store.bump_data_version(con)
    after = forecast.finish_forecast(con, scope, iterations=400)
    assert after is not first
    assert (after.projects["planned_finish"] > first.projects["planned_finish"]).all()
    frames_equal(after, forecast.finish_forecast_fresh(con, scope, iterations=400))


def test_finish_only_first_then_the_full_forecast(file_store) -> None:  # type: ignore[no-untyped-def]
    con = file_store
    scope = Scope(today=TODAY, projects=("P", "Q"))
    quick = forecast.finish_forecast(con, scope, iterations=300, criticality=False)
    assert quick.criticality.empty
    full = forecast.finish_forecast(con, scope, iterations=300)  # the criticality index needs the full one
    assert not full.criticality.empty and full is not quick
    frames_equal(full, quick, criticality=False)


def test_overview_p80_is_the_schedule_forecast(file_store) -> None:  # type: ignore[no-untyped-def]
    con = file_store
    scope = Scope(today=TODAY)
    shown = dict(overview.p80_forecasts(con, scope))
    plain = forecast.finish_forecast_fresh(con, scope).projects
    assert shown == {str(p): forecast.as_date(d) for p, d in zip(plain["project"], plain["p80_finish"], strict=True)}
    assert set(shown) == {"P", "Q"}
    # the status date is the scope's today: finish dates never before it
    assert all(day >= TODAY for day in shown.values())
    assert schedule.plan_today(scope) == TODAY
