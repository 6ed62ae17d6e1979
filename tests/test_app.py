"""Every page through app.py under AppTest (demo and empty stores, both languages), the shell's behaviour,
and the overview metrics on hand-computed figures."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from loaders import store
from metrics import overview
from metrics.scope import Scope
from pages.components import nav
from pages.components.i18n import LANGS, catalogue, column_keys
from tests import storekit
from tests.conftest import ROOT, app_test

PAGES = [p.relative_to(ROOT).as_posix() for p in nav.page_files()]
DEFAULT_PAGE = "pages/overview.py"


def text(key: str, lang: str) -> str:
    zh, en = catalogue()[key]
    return zh if lang == "zh" else en


def headers(columns: object, lang: str) -> list[str]:
    """Download headers as the page writes them: each column's catalogue label in `lang`, else its name."""
    keys = column_keys()
    return [text(keys[c], lang) if c in keys else str(c) for c in columns]  # type: ignore[attr-defined]


def open_page(db: Path, page: str, lang: str) -> AppTest:
    at = app_test(db, lang).run()
    if page != DEFAULT_PAGE:
        at.switch_page(page).run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# ------------------------------------------------------------------ every page, both stores, both languages


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_demo_store(demo_db: Path, page: str, lang: str) -> None:
    at = open_page(demo_db, page, lang)
    assert_clean(at)
    assert at.sidebar.subheader[0].value == text("common.filter.header", lang)  # the shell ran around the page


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_empty_store(empty_db: Path, page: str, lang: str) -> None:
    at = open_page(empty_db, page, lang)
    assert_clean(at)
    if page == "pages/audit.py":  # the audit log is not data: its own empty state
        assert text("audit.empty", lang) in [i.value for i in at.info]
    elif page != "pages/data.py":  # every other page but the data page shows the empty state
        assert text("common.empty.title", lang) in [i.value for i in at.info]


def test_missing_store_is_created_empty(tmp_path: Path) -> None:
    path = tmp_path / "new" / "cockpit.duckdb"
    at = app_test(path, "en").run()
    assert_clean(at)
    assert path.exists()
    assert [i.value for i in at.info] == [text("common.empty.title", "en")]


# ------------------------------------------------------------------ filters and language


def overview_projects(at: AppTest) -> list[str]:
    return [s.value for s in at.main.subheader][1:]  # the first box is the programme


def test_project_filter_narrows_the_overview(demo_db: Path) -> None:
    at = app_test(demo_db).run()
    everything = overview_projects(at)
    assert len(everything) >= 2
    at.multiselect(key="projects").set_value([everything[0]]).run()
    assert_clean(at)
    assert overview_projects(at) == [everything[0]]


def test_filters_come_from_the_url(demo_db: Path) -> None:
    at = app_test(demo_db, "en")
    con = duckdb.connect(str(demo_db))
    try:
        first = overview.project_options(con)[0]
    finally:
        con.close()
    at.query_params["projects"] = first
    at.run()
    assert_clean(at)
    assert overview_projects(at) == [first]
    assert at.multiselect(key="projects").value == [first]


def test_as_of_week_changes_the_tiles(demo_db: Path) -> None:
    at = app_test(demo_db, "en").run()
    latest = [m.value for m in at.metric]
    weeks = at.selectbox(key="asof").options
    assert len(weeks) >= 2
    at.selectbox(key="asof").set_value(weeks[-1]).run()  # the oldest snapshot
    assert_clean(at)
    assert [m.value for m in at.metric] != latest


def test_language_switch(demo_db: Path) -> None:
    at = app_test(demo_db, "zh").run()
    assert at.title[0].value == text("overview.title", "zh")
    at.radio(key="lang_switch").set_value("en").run()
    assert_clean(at)
    assert at.title[0].value == text("overview.title", "en")
    assert at.query_params["lang"] == "en"
    assert at.session_state["lang"] == "en"
    at.switch_page(PAGES[-1]).run()
    assert at.sidebar.subheader[0].value == "Filters"  # the language survives a page switch


def test_language_from_session_state(demo_db: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app_test(demo_db)  # sets COCKPIT_DB
    at.session_state["lang"] = "en"
    at.run()
    assert at.title[0].value == text("overview.title", "en")


# ------------------------------------------------------------------ the store: faults, sessions, freshness

HOLD_LOCK = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(120)"


def test_locked_store_shows_the_admin_message(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    store.open_store(path).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        at = app_test(path, "en").run()
        assert not at.exception
        message = " ".join(e.value for e in at.error)
        assert text("common.error.StoreUnavailable", "en") in message
        assert "locked by another program" in message and str(holder.pid) in message
        assert not at.main.metric  # no page ran on a store it cannot read
    finally:
        holder.terminate()
        holder.wait(10)
    at.button(key="store_retry").click().run()  # maintenance mode ends once the lock is gone
    assert_clean(at)


def test_corrupt_store_shows_restore_message(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.duckdb"
    path.write_bytes(b"not a database " * 1000)
    at = app_test(path, "zh").run()
    assert not at.exception
    assert "备份" in " ".join(e.value for e in at.error)
    assert path.read_bytes().startswith(b"not a database")  # never overwritten


def test_sessions_get_their_own_cursor(demo_db: Path) -> None:
    one = app_test(demo_db).run()
    two = app_test(demo_db).run()
    db_one, cur_one = one.session_state["_cockpit_cursor"]
    db_two, cur_two = two.session_state["_cockpit_cursor"]
    assert db_one == db_two  # one database per process
    assert cur_one is not cur_two  # F7: never a shared connection


def test_new_import_shows_at_once(empty_db: Path) -> None:
    at = app_test(empty_db, "en").run()
    assert text("common.empty.title", "en") in [i.value for i in at.info]
    con = duckdb.connect(str(empty_db))  # same process: the app's own database instance
    try:
        storekit.insert_rows(con, "budget", [{"project": "NEW", "category": "hw", "amount": 10.0}])
    finally:
        con.close()
    at.run()
    assert_clean(at)
    assert overview_projects(at) == ["NEW"]


# ------------------------------------------------------------------ overview metrics on a hand-made store

D = dt.date


@pytest.fixture
def small() -> duckdb.DuckDBPyConnection:
    con = storekit.new_store()
    task = {"project": "A", "name": "t", "start": D(2026, 1, 1)}
    old = [
        {**task, "task_id": "0", "finish": D(2026, 12, 1), "duration_days": 99, "percent_complete": 0, "is_summary": True},
        {**task, "task_id": "1", "finish": D(2026, 2, 1), "duration_days": 10, "percent_complete": 100},
        {**task, "task_id": "2", "finish": D(2026, 11, 1), "duration_days": 30, "percent_complete": 20},
    ]  # fmt: skip
    storekit.insert_rows(con, "tasks", old, as_of=D(2026, 11, 16))
    new = [{**old[0]}, {**old[1]}, {**old[2], "percent_complete": 50}]
    storekit.insert_rows(con, "tasks", new, as_of=D(2026, 11, 23))
    risk = {"project": "A", "title": "r"}
    storekit.insert_rows(
        con,
        "risks",
        [
            {**risk, "risk_id": "R1", "likelihood": 5, "impact": 4, "status": "开放"},
            {**risk, "risk_id": "R4", "likelihood": 4, "impact": 4, "status": "Open "},
            {**risk, "risk_id": "R2", "likelihood": 2, "impact": 2, "status": "监控中"},
            {**risk, "risk_id": "R3", "likelihood": 5, "impact": 5, "status": "已关闭"},
        ],
        as_of=D(2026, 11, 23),
    )
    change = {"project": "A", "title": "c", "requested": D(2026, 10, 1)}
    storekit.insert_rows(
        con,
        "changes",
        [{**change, "change_id": "C1", "status": "待审批"}, {**change, "change_id": "C2", "status": "已批准"}],
        as_of=D(2026, 11, 23),
    )
    storekit.insert_rows(
        con,
        "budget",
        [
            {"project": "A", "category": "hw", "amount": 1_000_000.0},
            {"project": "A", "category": "sw", "amount": 500_000.0},
            {"project": "B", "category": "hw", "amount": 200_000.0},
        ],
    )
    cost = {"project": "A", "category": "hw"}
    storekit.insert_rows(
        con,
        "costs",
        [
            {**cost, "date": D(2026, 5, 1), "amount": 300_000.0, "stage": "paid", "reference": "X1"},
            {**cost, "date": D(2026, 10, 1), "amount": 100_000.0, "stage": "invoiced", "reference": "X2"},
            {**cost, "date": D(2026, 10, 20), "amount": 100_000.0, "stage": "paid", "reference": "X2"},
            {**cost, "date": D(2026, 10, 2), "amount": 999.0, "stage": "committed", "reference": "X3"},
            {**cost, "date": D(2026, 12, 1), "amount": 50.0, "stage": "invoiced", "reference": "X4"},
        ],
    )
    storekit.insert_rows(
        con, "usage", [{"period": D(2026, 11, 1), "department": "检验科", "system": "LIS", "active_users": 1}]
    )
    storekit.insert_rows(con, "kpis", [{"period": D(2026, 11, 1), "kpi": "k", "department": "心内科", "value": 1.0}])
    return con


TODAY = Scope(today=D(2026, 11, 23))


def test_summary_figures_by_hand(small: duckdb.DuckDBPyConnection) -> None:
    df = overview.project_summary(small, TODAY).set_index("project")
    a = df.loc["A"]
    assert a["plan_complete"] == pytest.approx((10 * 1.0 + 30 * 0.5) / 40)  # summary rows left out
    assert a["late_tasks"] == 1  # task 2: finish 1 Nov passed at 50 %
    # R3 closed; R1 5x4 = 20 is critical, R4 4x4 = 16 is high (the risks page's default bands)
    assert (a["open_risks"], a["critical_risks"]) == (3, 1)
    assert a["pending_changes"] == 1
    # Per contract spent = max(invoiced, paid): X1 300k + X2 100k (billed, then paid: once); no commitments,
    # nothing after today.
    assert (a["budget"], a["spent"]) == (1_500_000, 400_000)
    b = df.loc["B"]
    assert pd.isna(b["plan_complete"]) and b["budget"] == 200_000 and b["spent"] == 0


def test_summary_respects_as_of_projects_and_end(small: duckdb.DuckDBPyConnection) -> None:
    week = overview.project_summary(small, Scope(as_of=D(2026, 11, 16))).set_index("project")
    assert week.loc["A", "plan_complete"] == pytest.approx((10 + 30 * 0.2) / 40)
    only_b = overview.project_summary(small, Scope(projects=("B",), today=D(2026, 11, 23)))
    assert only_b["project"].tolist() == ["B"]
    to_june = overview.project_summary(small, Scope(end=D(2026, 6, 30), today=D(2026, 11, 23))).set_index("project")
    assert to_june.loc["A", "spent"] == 300_000


def test_option_lists(small: duckdb.DuckDBPyConnection) -> None:
    assert overview.project_options(small) == ("A", "B")
    assert overview.department_options(small) == ("心内科", "检验科")
    assert overview.snapshot_dates(small) == (D(2026, 11, 23), D(2026, 11, 16))


def test_every_overview_query_runs_on_an_empty_store() -> None:
    con = storekit.new_store()
    assert overview.project_options(con) == () and overview.snapshot_dates(con) == ()
    assert overview.department_options(con) == ()
    assert overview.project_summary(con, Scope()).empty


def test_totals_and_budget_share() -> None:
    rows = pd.DataFrame(
        {
            "project": ["A", "B"],
            "plan_complete": [0.5, None],
            "late_tasks": [2, 1],
            "open_risks": [3, 0],
            "critical_risks": [1, 0],
            "pending_changes": [0, 4],
            "budget": [100.0, None],
            "spent": [50.0, 10.0],
        }
    )
    totals = overview.programme_totals(rows)
    assert totals["late_tasks"] == 3 and totals["pending_changes"] == 4 and totals["plan_complete"] == 0.5
    assert (totals["budget"], totals["spent"]) == (100.0, 60.0)
    assert overview.budget_used_share(100.0, 60.0) == 0.6
    assert overview.budget_used_share(None, 5.0) is None and overview.budget_used_share(0.0, 5.0) is None
    assert overview.programme_totals(rows.iloc[0:0])["projects"] == 0.0
