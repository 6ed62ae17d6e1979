"""The schedule page through app.py under AppTest: the sidebar filters change what the Gantt draws, slippage
tables speak the user's language, and the milestones table downloads the rows it shows."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from charts import gantt
from metrics import cpm, forecast, schedule
from metrics.scope import Scope
from pages.components.i18n import LANGS
from tests.conftest import record_downloads
from tests.test_app import assert_clean, headers, open_page, text

PAGE = "pages/schedule.py"


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Every file a download button offers, by its download file name."""
    files: dict[str, bytes] = {}
    record_downloads(monkeypatch, lambda name, data: files.__setitem__(name, data) if name else None)
    return files


def gantt_spec(at: AppTest) -> dict[str, Any]:
    """The Gantt's figure as the browser receives it."""
    charts = [c for c in at.get("plotly_chart") if "schedule.gantt" in c.proto.id]
    assert len(charts) == 1, [c.proto.id for c in at.get("plotly_chart")]
    spec: dict[str, Any] = json.loads(charts[0].proto.spec)
    return spec


def drawn_projects(spec: dict[str, Any]) -> set[str]:
    return {row[0] for tr in spec["data"] for row in tr.get("customdata") or [] if row}


def bars_by_status(spec: dict[str, Any]) -> dict[str, int]:
    return {tr["meta"]: len(tr["y"]) for tr in spec["data"] if str(tr.get("meta", "")).startswith("status:")}


def plan(db: Path) -> pd.DataFrame:
    con = duckdb.connect(str(db))  # same process as the app: its own database instance
    try:
        return schedule.load_plan(con, Scope())
    finally:
        con.close()


def open_tab(at: AppTest, tab: str, lang: str) -> AppTest:
    """Open one of the page's lazy tabs, as a click on it does (only the open tab runs)."""
    at.session_state["schedule_tabs"] = text(f"schedule.tab.{tab}", lang)
    return at.run()


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(frames) == 1, f"expected one table with {column!r}"
    return frames[0]


@pytest.mark.parametrize("lang", LANGS)
def test_demo_schedule_draws_every_project(demo_db: Path, lang: str) -> None:
    at = open_page(demo_db, PAGE, lang)
    assert_clean(at)
    assert at.title[0].value == text("schedule.title", lang)
    # the whole portfolio opens one bar per phase ...
    assert at.segmented_control[0].value == "phase"
    phases = plan(demo_db)[["project", "phase"]].drop_duplicates()
    assert sum(bars_by_status(gantt_spec(at)).values()) == len(phases)
    if lang == "en":
        return  # AppTest formats option labels in the test process (Chinese), so it cannot click an English one
    # ... and the task view draws every task
    at.segmented_control[0].set_value("task").run()
    assert_clean(at)
    spec = gantt_spec(at)
    assert len(drawn_projects(spec)) >= 2
    statuses = bars_by_status(spec)
    assert set(statuses) <= {f"status:{s}" for s in schedule.STATUSES} and sum(statuses.values()) > 0
    markers = sum(len(tr["y"]) for tr in spec["data"] if tr.get("meta") in ("milestones", "gates"))
    assert sum(statuses.values()) + markers == len(plan(demo_db))  # every task: a bar, milestones a diamond
    keys = ("milestones", "late", "chain", "forecast", "slippage")
    assert [tab.label for tab in at.tabs] == [text(f"schedule.tab.{k}", lang) for k in keys]
    # the tabs are lazy: only the open one (the first) ran
    assert [len(tab.children) > 0 for tab in at.tabs] == [True, False, False, False, False]
    assert at.tabs[0].subheader[0].value == text("schedule.milestones", lang).format(days=14)
    for i, (key, head) in enumerate((("late", "late"), ("chain", "chain"), ("forecast", "forecast"))):
        open_tab(at, key, lang)
        assert_clean(at)
        assert [len(tab.children) > 0 for tab in at.tabs] == [j == i + 1 for j in range(len(keys))]
        assert at.tabs[i + 1].subheader[0].value.startswith(text(f"schedule.{head}", lang))


@pytest.mark.parametrize("lang", LANGS)
def test_critical_chain_and_finish_forecast(demo_db: Path, lang: str) -> None:
    at = open_tab(open_page(demo_db, PAGE, lang), "chain", lang)
    assert_clean(at)
    con = duckdb.connect(str(demo_db))
    try:
        expected = forecast.finish_forecast(con, Scope()).projects
        shown_plan = schedule.load_plan(con, Scope())
    finally:
        con.close()
    # the chain table: one row per project, the milestone its critical chain drives
    driven = frame_with(at, "critical_tasks")
    assert sorted(driven["project"]) == sorted(cpm.driven_milestones(shown_plan)["project"])
    assert int(driven["critical_tasks"].sum()) == int((shown_plan["critical"]).sum())
    assert not shown_plan.loc[shown_plan["critical"], "percent_complete"].ge(100).any()  # done work never critical
    open_tab(at, "forecast", lang)
    assert_clean(at)
    # the forecast: the same seeded figures as the metric, the method in the user's language, and the chart
    table = frame_with(at, "p50_slip_days").set_index("project")
    for _, row in expected.iterrows():
        assert table.loc[row["project"], "p80_finish"] == row["p80_finish"]
        assert table.loc[row["project"], "p_meet_baseline"] == pytest.approx(row["p_meet_baseline"])
    assert set(table["method"]) <= {text(f"schedule.method.{m}", lang) for m in forecast.METHODS}
    charts = [c for c in at.get("plotly_chart") if "schedule.forecast_chart" in c.proto.id]
    assert len(charts) == 1
    curves = [tr for tr in json.loads(charts[0].proto.spec)["data"] if str(tr.get("meta", "")).startswith("curve:")]
    assert len(curves) == len(expected) and all(max(tr["y"]) == pytest.approx(1.0) for tr in curves)
    # the criticality index (the backward passes) only when asked for, the metric's figures
    assert not [d for d in at.dataframe if "criticality" in d.value.columns]
    at.toggle(key="schedule.criticality_on").set_value(True).run()
    assert_clean(at)
    shown = frame_with(at, "criticality")
    con = duckdb.connect(str(demo_db))
    try:
        crit = forecast.finish_forecast(con, Scope()).criticality
    finally:
        con.close()
    top = crit[crit["criticality"] > 0].head(20).reset_index(drop=True)
    assert len(shown) == len(top) > 0
    assert shown["criticality"].tolist() == pytest.approx(top["criticality"].tolist())


def test_project_filter_narrows_the_gantt(demo_db: Path) -> None:
    at = open_page(demo_db, PAGE, "en")
    before = gantt_spec(at)
    everything = drawn_projects(before)
    assert len(everything) >= 2
    chosen = sorted(everything)[0]
    at.multiselect(key="projects").set_value([chosen]).run()
    assert_clean(at)
    after = gantt_spec(at)
    assert drawn_projects(after) == {chosen}
    assert after["layout"]["yaxis"]["ticktext"] != before["layout"]["yaxis"]["ticktext"]
    assert sum(bars_by_status(after).values()) < sum(bars_by_status(before).values())
    ticks = " ".join(after["layout"]["yaxis"]["ticktext"])
    assert all(p not in ticks for p in everything - {chosen})  # no other project's rows on the axis
    assert set(frame_with(at, "days_to_due")["project"]) <= {chosen}  # the milestones follow the filter


def test_as_of_week_changes_the_gantt(demo_db: Path) -> None:
    at = open_page(demo_db, PAGE, "en")
    latest = gantt_spec(at)
    weeks = at.selectbox(key="asof").options
    assert len(weeks) >= 2
    at.selectbox(key="asof").set_value(weeks[-1]).run()  # the oldest plan snapshot
    assert_clean(at)
    old = gantt_spec(at)
    assert bars_by_status(old) != bars_by_status(latest)  # a plan six weeks back has more work not done
    done = "status:done"
    assert bars_by_status(old).get(done, 0) < bars_by_status(latest).get(done, 0)
    as_of_note = text("schedule.caption_as_of", "en").split("{")[0]
    assert any(as_of_note in c.value for c in at.caption)  # the page says which week it shows


@pytest.mark.parametrize("lang", LANGS)
def test_slippage_tables_show_words_not_codes(demo_db: Path, lang: str) -> None:
    at = open_tab(open_page(demo_db, PAGE, lang), "slippage", lang)
    assert_clean(at)
    directions = frame_with(at, "direction")["direction"]
    changes = frame_with(at, "change")["change"]
    assert len(directions) and len(changes)  # the demo plans move between snapshots
    words = {text(f"schedule.direction.{c}", lang) for c in schedule.DIRECTIONS}
    assert set(directions) <= words, set(directions) - words
    moved = {text(f"schedule.change.{c}", lang) for c in schedule.CHANGES}
    assert set(changes) <= moved, set(changes) - moved
    raw = set(schedule.DIRECTIONS) | set(schedule.CHANGES)
    assert not raw & (set(directions) | set(changes))


def test_milestones_download_holds_the_rows_shown(demo_db: Path, downloads: dict[str, bytes]) -> None:
    at = open_page(demo_db, PAGE, "en")
    assert_clean(at)
    due = frame_with(at, "days_to_due")
    assert len(due) > 0
    keys = {b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button")}
    assert any(k.endswith("schedule.milestones_download_xlsx") for k in keys), keys
    assert any(k.endswith("schedule.milestones_download_csv") for k in keys), keys
    sheet = openpyxl.load_workbook(io.BytesIO(downloads["milestones.xlsx"])).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == headers(due.columns, "en")  # headed in the user's language
    assert [(r[0], str(r[1])) for r in rows[1:]] == list(zip(due["project"], due["task_id"].astype(str), strict=True))
    csv = pd.read_csv(io.BytesIO(downloads["milestones.csv"]), encoding="utf-8-sig", dtype=str)
    assert csv[headers(["name"], "en")[0]].tolist() == due["name"].tolist()


def test_a_long_plan_draws_the_tasks_that_matter(demo_template: Path, tmp_path: Path) -> None:
    # one more project with a 400-task plan (the bench's layered plan): too many to draw one by one
    from bench.schedule_bench import synthetic_plan
    from loaders import store as _store
    from tests import storekit
    from tests.conftest import copy_store

    demo_db = copy_store(demo_template, tmp_path)  # a private copy: this test adds a plan
    tasks = synthetic_plan(400, 480).assign(project="长计划")
    con = _store.open_store(demo_db)
    try:
        storekit.insert_rows(con, "tasks", tasks.to_dict("records"), as_of=dt.date(2026, 1, 5))
        _store.bump_data_version(con)
    finally:
        con.close()
    at = open_page(demo_db, PAGE, "en")
    at.multiselect(key="projects").set_value(["长计划"]).run()
    assert_clean(at)
    assert at.segmented_control[0].value == "task"
    spec = gantt_spec(at)
    drawn = sum(bars_by_status(spec).values())
    assert 0 < drawn <= gantt.COLLAPSE_OVER and drawn_projects(spec) == {"长计划"}
    assert len(json.dumps(spec)) < 1_000_000
    expected = text("schedule.picked", "en").split("{shown}")[0].format(total=400)
    captions = [c.value for c in at.caption if c.value.startswith(expected)]
    assert len(captions) == 1 and captions[0].startswith(f"{expected}{drawn} that need attention most")
