"""The money page through app.py under AppTest: tiles carry the computed figures and fit three to a row, an empty
store shows the empty state, a project without a budget says "not enough data", and the ledger lines download
with formula text kept as text."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from loaders import store
from metrics import evm
from metrics import money as m
from metrics.scope import Scope, default_dates
from pages.components.i18n import LANGS
from tests import storekit
from tests.test_app import assert_clean, open_page, text
from tests.test_pages_schedule import downloads  # noqa: F401 - fixture

PAGE = "pages/money.py"
HOSTILE = '=HYPERLINK("http://x")'
NOT_A_NUMBER = re.compile(r"\b(nan|NaN|NaT|inf|-inf|Infinity)\b")
D = dt.date


def money_text(yuan: float, lang: str) -> str:
    """The UI contract's money format: zh "1,234.56 万元", en "CNY 12,345,600"."""
    return f"{yuan / 10_000:,.2f} 万元" if lang == "zh" else f"CNY {yuan:,.0f}"


def page_summary(db: Path) -> m.MoneySummary:
    """What the page computes for its default filters (all projects, the last 12 months)."""
    start, end = default_dates()
    con = duckdb.connect(str(db))
    try:
        return m.summary(con, Scope(start=start, end=end))
    finally:
        con.close()


def tile_rows(node: Any) -> list[int]:
    """For every horizontal block holding tiles: how many tiles sit side by side in it."""
    rows = []
    for child in getattr(node, "children", {}).values():
        if child.type == "flex_container":
            tiles = [c for c in child.children.values() if c.type == "column" and c.get("metric")]
            if tiles:
                rows.append(len(tiles))
        rows += tile_rows(child)
    return rows


def visible_text(at: AppTest) -> list[str]:
    """Every text the main area shows: elements' values and labels, metric tiles, and table cells."""
    out: list[str] = []
    for kind in ("title", "subheader", "caption", "markdown", "info", "success", "warning"):
        out += [str(e.value) for e in at.main.get(kind)]
    out += [f"{e.label} {e.value}" for e in at.main.metric]
    for frame in at.main.dataframe:
        df = frame.value
        out += [str(c) for c in df.columns]
        for col in df.columns:
            if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
                out += [str(v) for v in df[col] if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return out


def infinite_cells(at: AppTest) -> list[tuple[str, object]]:
    found = []
    for frame in at.main.dataframe:
        for col, values in frame.value.items():
            found += [(str(col), v) for v in values if isinstance(v, float) and math.isinf(v)]
    return found


def open_tab(at: AppTest, tab: str, lang: str) -> AppTest:
    """Open one of the page's lazy tabs, as a click on it does (only the open tab runs)."""
    at.session_state["money_tabs"] = text(f"money.tab.{tab}", lang)
    return at.run()


def test_tabs_are_lazy(demo_db: Path) -> None:
    at = open_page(demo_db, PAGE, "en")
    assert [len(tab.children) > 0 for tab in at.tabs] == [True, False, False, False, False, False]
    open_tab(at, "vendors", "en")
    assert [len(tab.children) > 0 for tab in at.tabs] == [False, False, False, False, False, True]
    assert at.tabs[5].subheader[0].value == text("money.vendors.spend", "en")


# ------------------------------------------------------------------ demo store


@pytest.mark.parametrize("lang", LANGS)
def test_demo_tiles_show_the_computed_figures(demo_db: Path, lang: str) -> None:
    at = open_page(demo_db, PAGE, lang)
    assert_clean(at)
    assert at.title[0].value == text("money.title", lang)
    s = page_summary(demo_db)
    assert s.bac > 0 and s.ac > 0
    tiles = {e.label: e.value for e in at.main.metric}
    assert tiles[text("money.tile.bac", lang)] == money_text(s.bac, lang)
    assert tiles[text("money.tile.ac", lang)] == money_text(s.ac, lang)
    assert tiles[text("money.tile.committed", lang)] == money_text(s.committed, lang)
    assert tiles[text("money.tile.remaining", lang)] == money_text(s.remaining, lang)
    assert tiles[text("money.tile.uncommitted", lang)] == money_text(s.uncommitted, lang)
    assert tiles[text("money.tile.original", lang)] == money_text(s.original, lang)
    assert s.share_used is not None
    assert tiles[text("money.tile.share_used", lang)] == f"{s.share_used * 100:.1f}%"
    assert s.eac is not None and tiles[text("money.tile.eac", lang)].endswith(money_text(s.eac, lang))
    assert sorted(tile_rows(at.main)) == [3, 3, 3]  # three a row: six in one row cut values at 1440 px
    open_tab(at, "evm", lang)
    evm_table = next(d.value for d in at.main.dataframe if text("money.col.cpi", lang) in d.value.columns)
    assert len(evm_table) >= 2 and not infinite_cells(at)


# ------------------------------------------------------------------ empty store


@pytest.mark.parametrize("lang", LANGS)
def test_empty_store_shows_the_empty_state(empty_db: Path, lang: str) -> None:
    at = open_page(empty_db, PAGE, lang)
    assert_clean(at)
    assert text("common.empty.title", lang) in [i.value for i in at.info]
    assert not at.main.metric and not at.main.dataframe and not at.get("plotly_chart")


# ------------------------------------------------------------------ a project with tasks and costs, no budget

NO_BUDGET = "无预算项目"


@pytest.fixture(scope="module")
def no_budget_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("no_budget") / "no_budget.duckdb"
    con = store.open_store(path)
    task = {"project": NO_BUDGET, "phase": "实施", "owner": "张三"}
    storekit.insert_rows(
        con,
        "tasks",
        [
            {
                **task,
                "task_id": "1",
                "name": "需求",
                "start": D(2026, 6, 1),
                "finish": D(2026, 7, 31),
                "duration_days": 45,
                "percent_complete": 100,
            },
            {
                **task,
                "task_id": "2",
                "name": "开发",
                "start": D(2026, 8, 1),
                "finish": D(2026, 12, 31),
                "duration_days": 100,
                "percent_complete": 40,
            },
        ],  # fmt: skip
        as_of=D(2026, 11, 23),
    )
    line = {"project": NO_BUDGET, "category": "软件", "vendor": "厂商A", "reference": "HT-1"}
    storekit.insert_rows(
        con,
        "costs",
        [
            {**line, "date": D(2026, 7, 1), "amount": 250_000.0, "stage": "invoiced", "description": "首付款"},
            {**line, "date": D(2026, 9, 1), "amount": 100_000.0, "stage": "paid", "description": "二期"},
        ],
    )
    con.close()
    return path


@pytest.mark.parametrize("lang", LANGS)
def test_project_without_budget_says_not_enough_data(no_budget_db: Path, lang: str) -> None:
    at = open_page(no_budget_db, PAGE, lang)
    assert_clean(at)
    assert text("common.empty.title", lang) not in [i.value for i in at.info]  # costs and tasks are data
    tiles = {e.label: e.value for e in at.main.metric}
    assert tiles[text("money.tile.bac", lang)] == money_text(0, lang)
    assert tiles[text("money.tile.ac", lang)] == money_text(250_000, lang)
    assert tiles[text("money.tile.share_used", lang)] == "—"  # no share of a zero budget
    assert tiles[text("money.tile.eac", lang)].endswith("—")
    open_tab(at, "evm", lang)
    evm_table = next(d.value for d in at.main.dataframe if text("money.col.cpi", lang) in d.value.columns)
    assert evm_table[text("money.col.project", lang)].tolist() == [NO_BUDGET]
    assert evm_table[text("money.col.note", lang)].tolist() == [evm.reason_text("no_budget", lang)]
    ratios = [text(f"money.col.{k}", lang) for k in ("cpi", "spi", "tcpi")]
    assert evm_table[ratios].isna().all().all()  # never a ratio over a zero budget
    shown = visible_text(at)
    assert any(evm.reason_text("no_budget", lang) in s for s in shown)
    bad = [s for s in shown if NOT_A_NUMBER.search(s)]
    assert not bad, bad
    assert not infinite_cells(at)


# ------------------------------------------------------------------ the ledger lines and their downloads


def hyperlink_project(db: Path) -> str:
    con = duckdb.connect(str(db))
    try:
        row = con.execute("SELECT project FROM costs WHERE description = ?", [HOSTILE]).fetchone()
    finally:
        con.close()
    assert row is not None, "the demo ledger holds one =HYPERLINK description"
    return str(row[0])


def test_ledger_lines_download_keeps_formulas_as_text(demo_db: Path, downloads: dict[str, bytes]) -> None:  # noqa: F811
    # Chinese: AppTest formats the radio's options in the test process, where the language is the default.
    at = open_tab(open_page(demo_db, PAGE, "zh"), "vendors", "zh")
    assert text("money.vendors.lines_pick", "zh") in [i.value for i in at.info]  # the ledger waits for a project
    described = text("money.col.description", "zh")
    assert not [d for d in at.main.dataframe if described in d.value.columns]
    project = hyperlink_project(demo_db)
    at.selectbox(key="money_project").set_value(project).run()
    assert_clean(at)
    lines = next(d.value for d in at.main.dataframe if described in d.value.columns)
    assert set(lines[text("money.col.project", "zh")]) == {project}
    assert HOSTILE in lines[described].tolist()  # shown exactly as typed
    stages = set(lines[text("money.col.stage", "zh")])
    assert stages <= {zh for zh, _ in m.STAGE_LABELS.values()} and len(stages) >= 2  # words, not the codes
    book = openpyxl.load_workbook(io.BytesIO(downloads["cost_lines.xlsx"]))
    sheet = book.active
    assert sheet is not None
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == list(lines.columns)  # headed as the page is, in the user's language
    assert "金额(万元)" in lines.columns  # money in 万元 with the unit in its header
    assert len(rows) - 1 == len(lines)
    cells = [c for row in rows[1:] for c in row if c.value == HOSTILE]
    assert len(cells) == 1 and cells[0].data_type == "s"  # a string cell: Excel never runs it
    csv = pd.read_csv(io.BytesIO(downloads["cost_lines.csv"]), encoding="utf-8-sig", dtype=str)
    cells = csv[described].tolist()
    assert "'" + HOSTILE in cells and HOSTILE not in cells
