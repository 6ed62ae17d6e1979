"""The risks page through app.py under AppTest: demo, empty and single-snapshot stores in both languages, a chosen
heatmap cell narrows the list, the hostile register title stays literal text, and pending change requests reach
the president's list even for a project that keeps no risk register."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from loaders import store
from metrics import risks as m
from metrics.scope import Scope
from pages.components.i18n import LANGS, catalogue
from tests import storekit
from tests.test_app import assert_clean, open_page, text

PAGE = "pages/risks.py"
HOSTILE = "<img src=x onerror=alert(1)>"
D = dt.date


def current_register(db: Path) -> pd.DataFrame:
    con = duckdb.connect(str(db))  # same process as the app: its own database instance
    try:
        return m.load_register(con, Scope())
    finally:
        con.close()


def by_name(df: pd.DataFrame) -> pd.DataFrame:
    """A shown table with its headers (risks.col.<name>, either language) turned back into column names."""
    names: dict[str, str] = {}
    for key, pair in catalogue().items():
        if key.startswith("risks.col."):
            for label in pair:
                names.setdefault(label, key.rsplit(".", 1)[1])
    money = {f"{label}(万元)": name for label, name in names.items()} | {
        f"{label} (CNY)": name for label, name in names.items()
    }
    return df.rename(columns={**names, **money})


def frame_with(at: AppTest, *columns: str) -> list[pd.DataFrame]:
    frames = [by_name(d.value) for d in at.main.dataframe]
    return [f for f in frames if set(columns) <= set(f.columns)]


CELL_COLUMNS = ["project", "risk_id", "title", "owner", "status", "overdue"]  # the chosen cell's list


def cell_lists(at: AppTest) -> list[pd.DataFrame]:
    return [f for f in (by_name(d.value) for d in at.main.dataframe) if list(f.columns) == CELL_COLUMNS]


def heatmap_spec(at: AppTest) -> str:
    charts = [c for c in at.get("plotly_chart") if "risks_heatmap" in c.proto.id]
    assert len(charts) == 1
    return str(charts[0].proto.spec)


# ------------------------------------------------------------------ demo store


@pytest.mark.parametrize("lang", LANGS)
def test_demo_register_heatmap_and_tiles(demo_db: Path, lang: str) -> None:
    at = open_page(demo_db, PAGE, lang)
    assert_clean(at)
    assert at.title[0].value == text("risks.title", lang)
    register = current_register(demo_db)
    open_now = m.open_risks(register)
    tiles = {e.label: e.value for e in at.main.metric}
    assert tiles[text("risks.tile.open", lang)] == f"{len(open_now):,}"
    assert tiles[text("risks.tile.critical", lang)] == str(m.band_counts(open_now)["critical"])
    (shown,) = frame_with(at, "risk_id", "title", "days_since_review")  # the register; no cell chosen yet
    assert len(shown) == len(register)
    assert HOSTILE in shown["title"].tolist()  # the title as typed: a value, not markup
    spec = json.loads(heatmap_spec(at))
    cells = spec["data"][0]
    counts = m.heatmap_counts(open_now)
    assert [int(n) for n in cells["text"]] == [counts.loc[lik, imp] for lik, imp in cells["customdata"]]
    assert sum(int(n) for n in cells["text"]) == len(open_now)
    hover = " ".join(cells["hovertext"])
    assert "&lt;img src=x onerror=alert(1)&gt;" in hover and "<img" not in heatmap_spec(at)
    assert text("risks.move.none", lang) not in [i.value for i in at.info]  # seven snapshots: movement shown


def test_chosen_cell_narrows_the_list(demo_db: Path) -> None:
    register = current_register(demo_db)
    hostile = register[register["title"] == HOSTILE].iloc[0]
    cell = (int(hostile["likelihood"]), int(hostile["impact"]))
    open_now = m.open_risks(register)
    expected = open_now[(open_now["likelihood"] == cell[0]) & (open_now["impact"] == cell[1])]
    assert 1 < len(expected) < len(open_now)
    at = open_page(demo_db, PAGE, "zh")
    assert not cell_lists(at)
    at.session_state["risks_cell"] = cell  # what a click on the heatmap point stores
    at.run()
    assert_clean(at)
    in_cell = cell_lists(at)
    assert len(in_cell) == 1
    assert sorted(in_cell[0]["risk_id"]) == sorted(expected["risk_id"])
    assert HOSTILE in in_cell[0]["title"].tolist()
    assert f"可能性 {cell[0]} × 影响 {cell[1]}" in " ".join(md.value for md in at.main.markdown)
    at.button(key="risks_clear").click().run()  # "clear" drops the list
    assert_clean(at)
    assert "risks_cell" not in at.session_state and not cell_lists(at)


# ------------------------------------------------------------------ empty store, one snapshot, no register


@pytest.mark.parametrize("lang", LANGS)
def test_empty_store(empty_db: Path, lang: str) -> None:
    at = open_page(empty_db, PAGE, lang)
    assert_clean(at)
    assert text("common.empty.title", lang) in [i.value for i in at.info]
    assert not at.main.dataframe and not at.get("plotly_chart")


def one_snapshot(path: Path) -> Path:
    con = store.open_store(path)
    risk = {"project": "PACS", "owner": "李强", "mitigation": "扩容", "last_review": D(2026, 11, 20)}
    storekit.insert_rows(
        con,
        "risks",
        [
            {**risk, "risk_id": "R1", "title": "存储不足", "likelihood": 4, "impact": 5, "status": "开放"},
            {**risk, "risk_id": "R2", "title": "接口延迟", "likelihood": 2, "impact": 3, "status": "开放"},
            {**risk, "risk_id": "R3", "title": "已解决", "likelihood": 1, "impact": 1, "status": "已关闭"},
        ],
        as_of=D(2026, 11, 23),
    )
    con.close()
    return path


@pytest.mark.parametrize("lang", LANGS)
def test_single_snapshot_has_no_movement(tmp_path: Path, lang: str) -> None:
    at = open_page(one_snapshot(tmp_path / "one.duckdb"), PAGE, lang)
    assert_clean(at)
    assert text("risks.move.none", lang) in [i.value for i in at.info]
    assert not [b for b in at.main.tabs if b.label.startswith(text("risks.move.new", lang))]  # no movement tabs
    tiles = {e.label: e.value for e in at.main.metric}
    assert tiles[text("risks.tile.open", lang)] == "2" and tiles[text("risks.tile.critical", lang)] == "1"
    (shown,) = frame_with(at, "risk_id", "days_since_review")
    assert sorted(shown["risk_id"]) == ["R1", "R2", "R3"]


def changes_only(path: Path) -> Path:
    """A project with change requests waiting for the board but no risk register at all."""
    con = store.open_store(path)
    change = {"project": "HIS替换", "cost_impact": 80_000.0, "schedule_impact_days": 5}
    storekit.insert_rows(
        con,
        "changes",
        [
            {**change, "change_id": "C1", "title": "增加接口", "status": "待审批", "requested": D(2026, 11, 2)},
            {**change, "change_id": "C2", "title": "已批的", "status": "已批准", "requested": D(2026, 10, 1)},
        ],
        as_of=D(2026, 11, 23),
    )
    con.close()
    return path


@pytest.mark.parametrize("lang", LANGS)
def test_pending_changes_show_without_a_register(tmp_path: Path, lang: str) -> None:
    at = open_page(changes_only(tmp_path / "changes.duckdb"), PAGE, lang)
    assert_clean(at)
    assert text("risks.empty", lang) in [i.value for i in at.info]  # no register: said once, plainly
    assert text("risks.decisions.header", lang) in [s.value for s in at.main.subheader]
    (decisions,) = frame_with(at, "kind", "age_days")
    assert decisions["risk_id"].tolist() == ["C1"]  # only the pending one waits for the board ("编号" / "ID")
    assert decisions["kind"].tolist() == [text("risks.kind.change", lang)]
    # cost impact in the user's unit, named in the header: 8.00 万元 / CNY 80,000
    shown = [list(d.value.columns) for d in at.main.dataframe]
    assert any(("费用影响(万元)" if lang == "zh" else "Cost impact (CNY)") in cols for cols in shown)
    assert decisions["cost_impact"].tolist() == ([8.0] if lang == "zh" else [80_000.0])
    assert not at.get("plotly_chart")  # no heatmap of an empty register


# ------------------------------------------------------------------ the filters, through the page


@pytest.mark.parametrize(
    ("owners", "statuses", "bands"),
    [
        (["信息科-李强", "信息科-周敏"], [], []),
        ([], ["监控中"], ["medium", "high"]),
        (["信息科-李强"], ["开放", "已关闭"], ["high"]),
    ],
)
def test_filters_narrow_tiles_and_register_as_the_plain_filter_does(
    demo_db: Path, owners: list[str], statuses: list[str], bands: list[str]
) -> None:
    """The page's owner/status/band choices give the tiles and register rows of the per-row filter (the oracle
    the fast filter replaced), and the lazy responses tab lists the same risks."""
    from tests import risks_plain as plain

    register = current_register(demo_db)
    expected = plain.filter_register(register, owners, statuses, bands)
    open_now = plain.open_risks(expected)
    at = open_page(demo_db, PAGE, "en")
    at.multiselect(key="risks_owner").set_value(owners)
    at.multiselect(key="risks_status").set_value(statuses)
    at.multiselect(key="risks_band").set_value(bands).run()
    assert_clean(at)
    tiles = {e.label: e.value for e in at.main.metric}
    assert tiles[text("risks.tile.open", "en")] == f"{len(open_now):,}"
    assert tiles[text("risks.tile.critical", "en")] == str(plain.band_counts(open_now)["critical"])
    assert tiles[text("risks.tile.overdue", "en")] == str(
        len(plain.overdue_reviews(expected, m.reference_day(Scope())))
    )
    (shown,) = frame_with(at, "risk_id", "days_since_review")
    assert sorted(shown["risk_id"]) == sorted(expected["risk_id"]) and len(expected)
    at.session_state["risks_register_tabs"] = text("risks.register.tab.responses", "en")
    at.run()
    (responses,) = frame_with(at, "risk_id", "mitigation")
    assert sorted(responses["risk_id"]) == sorted(expected["risk_id"])
    assert not frame_with(at, "days_since_review")  # the scores tab is closed: not drawn
