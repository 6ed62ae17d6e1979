"""The adoption page through app.py under AppTest: demo, empty and one-department stores in both languages; the
system picker re-ranks departments exactly as metrics.adoption.usage_ranking does; ▲▼ and gap to target shown;
the demo's lagging departments at the bottom; "my department" hides other names when anonymous.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from charts.adoption import COLOURS, STATUS_COLOURS
from loaders import store
from metrics import adoption as m
from metrics.scope import Scope, default_dates
from pages.components.i18n import LANGS, catalogue
from tests import storekit
from tests.conftest import ROOT, app_test

PAGE = "pages/adoption.py"
TARGETS = json.loads((ROOT / "data" / "demo" / "targets.json").read_text(encoding="utf-8"))
LAGGING = set(TARGETS["lagging_departments"])  # 中医科, 口腔科 (data/demo/README.md)
ONE_DEPARTMENT = "心内科"
ONE_KPI = "门诊患者平均等候时间"
# One-department store, built relative to today so the sidebar's default "last 12 months" keeps it in view.
_MONDAY = dt.date.today() - dt.timedelta(days=dt.date.today().weekday() + 7)
WEEKS = [_MONDAY - dt.timedelta(weeks=5 - i) for i in range(6)]
USAGE = {  # system -> (active, eligible) for the last four weeks
    "EMR": [(10, 40), (20, 40), (30, 40), (32, 40)],
    "HIS": [(20, 50), (25, 50), (40, 50), (45, 50)],
}
WAIT = [44.0, 40.0, 36.0, 30.0, 26.0, 21.0]  # minutes; HIS goes live in week 4 (index 3)
GO_LIVE = WEEKS[3]


# ------------------------------------------------------------------ helpers shared with test_pages_benefits


def text(key: str, lang: str) -> str:
    zh, en = catalogue()[key]
    return zh if lang == "zh" else en


def open_page(db: Path, page: str, lang: str = "zh") -> AppTest:
    at = app_test(db, lang).run()
    at.switch_page(page).run()
    assert_clean(at)
    return at


def open_tab(at: AppTest, key: str, lang: str) -> None:
    """Open one of the page's lazy lower tabs, as a click on it does (only the open tab runs)."""
    at.session_state["adoption_tabs"] = text(f"adoption.tab.{key}", lang)
    at.run()
    assert_clean(at)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def walk(node: Any) -> Iterator[Any]:
    for child in getattr(node, "children", {}).values():
        yield child
        yield from walk(child)


def charts(node: Any) -> dict[str, dict[str, Any]]:
    """Plotly figures under `node`, by the widget key at the end of their element id."""
    out: dict[str, dict[str, Any]] = {}
    for el in walk(node):
        if getattr(el, "type", None) == "plotly_chart":
            out[el.proto.id.split("-", 2)[-1]] = json.loads(el.proto.spec)
    return out


def page_scope() -> Scope:
    """The scope the page sees with untouched sidebar filters."""
    start, end = default_dates()
    return Scope(start=start, end=end)


def computed(db: Path, fn: Any, *args: Any) -> Any:
    """A metrics function run directly on the store the app has open (same process: same database)."""
    con = duckdb.connect(str(db))
    try:
        return fn(con, page_scope(), *args)
    finally:
        con.close()


def build_one_department(path: Path) -> Path:
    """One department using two systems for four weeks, one KPI over six weeks, and the HIS go-live milestone."""
    con = store.open_store(path)
    try:
        rows = [
            {"period": WEEKS[2 + i], "department": ONE_DEPARTMENT, "system": s, "active_users": a, "eligible_users": e}
            for s, weeks in USAGE.items()
            for i, (a, e) in enumerate(weeks)
        ]
        storekit.insert_rows(con, "usage", rows)
        kpis = [
            {"period": w, "kpi": ONE_KPI, "department": ONE_DEPARTMENT, "value": v, "unit": "分钟"}
            for w, v in zip(WEEKS, WAIT, strict=True)
        ]
        storekit.insert_rows(con, "kpis", kpis)
        task = {"project": "HIS系统替换", "task_id": "9", "name": "HIS 全院上线", "start": GO_LIVE, "finish": GO_LIVE}
        task |= {"duration_days": 0, "percent_complete": 100, "is_milestone": True}
        storekit.insert_rows(con, "tasks", [task], as_of=WEEKS[-1])
        # the KPI's target and system come from the targets dataset (no baseline: the mean before go-live)
        target = {"kind": "效益指标", "name": ONE_KPI, "target": 20.0, "direction": "越低越好", "system": "HIS"}
        storekit.insert_rows(con, "targets", [target], as_of=WEEKS[0])
    finally:
        con.close()
    return path


@pytest.fixture
def one_department_db(tmp_path: Path) -> Path:
    return build_one_department(tmp_path / "one.duckdb")


def by_name(df: Any, lang: str) -> Any:
    """A shown table with its headers turned back into column names (adoption.col.<name> in `lang`)."""
    names = {text(k, lang): k.rsplit(".", 1)[1] for k in catalogue() if k.startswith("adoption.col.")}
    return df.rename(columns=names)


def ranking_frame(at: AppTest, lang: str) -> Any:
    """The ranking table as shown (the one counting the departments ranked), with column names."""
    need = {text("adoption.col.n_ranked", lang), text("adoption.col.department", lang)}
    found = [d.value for d in at.main.dataframe if need <= set(d.value.columns)]
    assert len(found) == 1, [list(d.value.columns) for d in at.main.dataframe]
    return by_name(found[0], lang)


def bars(at: AppTest) -> dict[str, Any]:
    specs = [s for k, s in charts(at.main).items() if k.startswith("adoption_ranking_")]
    assert len(specs) == 1
    return dict(specs[0]["data"][0])


# ------------------------------------------------------------------ runs everywhere


@pytest.mark.parametrize("lang", LANGS)
def test_demo_store(demo_db: Path, lang: str) -> None:
    at = open_page(demo_db, PAGE, lang)
    assert at.title[0].value == text("adoption.title", lang)
    assert [t.label for t in at.tabs] == [
        text(f"adoption.tab.{k}", lang) for k in ("heatmap", "rollout", "trend", "mine")
    ]
    shown = ranking_frame(at, lang)
    assert len(shown) == len(TARGETS["departments"])  # every demo department is ranked
    assert {"movement", "gap", "rank", "n_ranked"} <= set(shown.columns)  # headed in the user's language
    assert set(shown["n_ranked"]) == {len(TARGETS["departments"])}


@pytest.mark.parametrize("lang", LANGS)
def test_empty_store(empty_db: Path, lang: str) -> None:
    at = open_page(empty_db, PAGE, lang)
    assert [i.value for i in at.info] == [text("common.empty.title", lang)]
    assert not at.main.dataframe and not at.main.selectbox


@pytest.mark.parametrize("lang", LANGS)
def test_one_department(one_department_db: Path, lang: str) -> None:
    at = open_page(one_department_db, PAGE, lang)
    assert at.selectbox(key="adoption_system").options == [text("adoption.all_systems", lang), "EMR", "HIS"]
    row = ranking_frame(at, lang).iloc[0]
    assert len(ranking_frame(at, lang)) == 1
    assert (row["department"], int(row["rank"]), row["movement"]) == (ONE_DEPARTMENT, 1, "–")
    assert row["rate"] == pytest.approx((32 / 40 + 45 / 50) / 2)  # weighted mean, equal weights: 0.85
    assert row["gap"] == pytest.approx(0.85 - 0.8)
    assert bars(at)["marker"]["line"]["color"] == ["rgba(0,0,0,0)"]  # one department is nobody's bottom
    assert bars(at)["marker"]["color"] == [STATUS_COLOURS["green"]]  # 85 % against 80 %
    at.selectbox(key="adoption_system").set_value("HIS").run()
    assert_clean(at)
    row = ranking_frame(at, lang).iloc[0]
    assert (row["rate"], row["active"], row["eligible"]) == (pytest.approx(0.9), 45, 50)
    # my department: the only one, so nobody to compare with
    open_tab(at, "mine", lang)
    mine = at.tabs[3]
    assert [mt.value for mt in mine.metric] == [text("adoption.mine.rank_value", lang).format(rank=1, n=1), "85.0%"]
    assert by_name(mine.dataframe[0].value, lang)["others_median"].isna().all()


def test_kpis_without_usage_show_the_empty_state(tmp_path: Path) -> None:
    path = tmp_path / "kpis_only.duckdb"
    con = store.open_store(path)
    try:
        storekit.insert_rows(con, "kpis", [{"period": WEEKS[-1], "kpi": ONE_KPI, "value": 30.0, "unit": "分钟"}])
    finally:
        con.close()
    at = open_page(path, PAGE, "en")
    assert [i.value for i in at.info] == [text("adoption.empty", "en")]


# ------------------------------------------------------------------ the ranking


@pytest.mark.parametrize("period", m.PERIODS)
def test_system_choice_reranks_as_the_metrics_do(demo_db: Path, period: str) -> None:
    at = open_page(demo_db, PAGE, "en")
    at.radio(key="adoption_period").set_value(period).run()
    orders: dict[str | None, list[str]] = {}
    for system in (None, "EMR", "HIS"):
        if system is not None:
            at.selectbox(key="adoption_system").set_value(system).run()
            assert_clean(at)
        shown = ranking_frame(at, "en")
        expected = computed(demo_db, m.usage_ranking, system, period)
        assert shown["department"].tolist() == expected["department"].tolist(), system
        assert shown["rate"].to_numpy() == pytest.approx(expected["rate"].to_numpy()), system
        assert shown["rank"].tolist() == expected["rank"].tolist(), system
        assert bars(at)["y"] == expected["department"].tolist()  # the chart follows the same order
        orders[system] = shown["department"].tolist()
    assert orders[None] != orders["EMR"] != orders["HIS"]  # the choice really changes the ranking
    assert set(orders["EMR"]) < set(orders[None])  # EMR is used by fewer departments than all systems together


@pytest.mark.parametrize("system", [None, "EMR", "PACS"])
def test_rank_change_and_gap_to_target(demo_db: Path, system: str | None) -> None:
    at = open_page(demo_db, PAGE, "zh")
    if system is not None:
        at.selectbox(key="adoption_system").set_value(system).run()
    df = ranking_frame(at, "zh")
    assert {"movement", "gap"} <= set(df.columns)
    expected = computed(demo_db, m.usage_ranking, system, "week")
    assert df["department"].tolist() == expected["department"].tolist()
    ups = df["movement"].str.startswith("▲")
    downs = df["movement"].str.startswith("▼")
    assert ups.any() and downs.any()  # a live ranking moves both ways week on week
    moved = expected["previous_rank"].astype("Int64") - df["rank"].astype("Int64")
    assert [m.movement(c) for c in moved] == df["movement"].tolist()  # ▲n = n places up since last period
    target = m.target_for(None, system) if system else m.combined_target(None, sorted(set(TARGETS["systems"])), None)
    assert df["gap"].to_numpy() == pytest.approx(df["rate"].to_numpy() - target)
    assert bars(at)["text"][0].endswith(df["movement"].iloc[0])  # the bar label carries the same arrow


@pytest.mark.parametrize("system", [None, "EMR", "HIS", "LIS"])
def test_lagging_departments_are_flagged_at_the_bottom(demo_db: Path, system: str | None) -> None:
    at = open_page(demo_db, PAGE, "zh")
    if system is not None:
        at.selectbox(key="adoption_system").set_value(system).run()
    df = ranking_frame(at, "zh")
    assert set(df["department"].iloc[-2:]) == LAGGING
    expected = computed(demo_db, m.usage_ranking, system, "week").set_index("department")
    assert expected.loc[list(LAGGING), "bottom"].all()
    assert (df.loc[df["department"].isin(LAGGING), "gap"] < 0).all()
    assert int(expected["bottom"].sum()) == m.BOTTOM_N  # only the bottom three, not every department below target
    outline = dict(zip(bars(at)["y"], bars(at)["marker"]["line"]["color"], strict=True))
    assert {outline[d] for d in LAGGING} == {COLOURS["bottom_line"]}  # the bottom is outlined
    assert sum(c == COLOURS["bottom_line"] for c in outline.values()) == m.BOTTOM_N
    # colours follow each rate against the target, never the rank
    colour = dict(zip(bars(at)["y"], bars(at)["marker"]["color"], strict=True))
    for d, r in expected.iterrows():
        assert colour[d] == STATUS_COLOURS[m.rate_status(r["rate"], float(r["target"]))], d


# ------------------------------------------------------------------ my department


def test_my_department_anonymity_hides_other_names(demo_db: Path) -> None:
    at = open_page(demo_db, PAGE, "en")
    open_tab(at, "mine", "en")
    me = "口腔科"
    at.selectbox(key="adoption_mine_department").set_value(me).run()
    assert_clean(at)
    others = set(TARGETS["departments"]) - {me}
    mine = at.tabs[3]
    expected = computed(demo_db, m.my_department, me, False, "week")
    assert mine.metric[0].value == f"{expected.overall_rank} of {expected.n_departments}"
    named = {str(d) for e in mine.expander for d in by_name(e.dataframe[0].value, "en")["department"]}
    assert named == others  # not anonymous: the others are listed by name

    at.toggle(key="adoption_anonymous").set_value(True).run()
    assert_clean(at)
    mine = at.tabs[3]
    assert not mine.expander
    frames = [d.value for d in mine.dataframe]
    assert frames and by_name(frames[0], "en")["others_median"].notna().all()  # the median of the others stays
    cells = [str(v) for f in frames for v in [*f.columns, *f.to_numpy().ravel()]]
    words = [str(getattr(el, "value", "")) for el in walk(mine) if getattr(el, "type", None) != "plotly_chart"]
    visible = " ".join(cells + words) + json.dumps(charts(mine), ensure_ascii=False)
    assert me in visible
    assert not [d for d in others if d in visible], "another department's name is visible with anonymity on"


def test_hospital_wide_anonymity_setting_forces_the_toggle(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_ANONYMOUS", "yes")
    at = open_page(demo_db, PAGE, "zh")
    open_tab(at, "mine", "zh")
    toggle = at.toggle(key="adoption_anonymous")
    assert toggle.value is True and toggle.disabled
    assert text("adoption.mine.anonymous_forced", "zh") in [c.value for c in at.tabs[3].caption]
    assert not at.tabs[3].expander
    # the ranking and the heatmap above "my department" name nobody: no department is filtered in
    codes = ranking_frame(at, "zh")["department"].tolist()
    assert len(codes) == len(TARGETS["departments"]) and all(c.startswith("#") for c in codes)
    assert not set(bars(at)["y"]) & set(TARGETS["departments"])
    open_tab(at, "heatmap", "zh")
    heat = [s for k, s in charts(at.main).items() if k == "adoption_heatmap"][0]
    assert not set(heat["data"][0]["y"]) & set(TARGETS["departments"])


def test_anonymity_keeps_the_filtered_department_named(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_ANONYMOUS", "1")
    at = app_test(demo_db, "zh")
    at.query_params["depts"] = "中医科"
    at.run()
    at.switch_page(PAGE).run()
    assert_clean(at)
    row = ranking_frame(at, "zh").iloc[0]
    assert (row["department"], int(row["rank"]), int(row["n_ranked"])) == ("中医科", 30, 30)


def test_one_department_filtered_is_ranked_among_all(demo_db: Path) -> None:
    at = app_test(demo_db, "en")
    at.query_params["depts"] = "中医科"
    at.run()
    at.switch_page(PAGE).run()
    assert_clean(at)
    df = ranking_frame(at, "en")
    assert df[["department", "rank", "n_ranked"]].values.tolist() == [["中医科", 30, 30]]
    assert f"among all {len(TARGETS['departments'])} departments" in " ".join(c.value for c in at.main.caption)


def test_clicking_a_bar_shows_its_trend_beside_the_ranking(demo_db: Path) -> None:
    at = open_page(demo_db, PAGE, "zh")
    assert text("adoption.beside.hint", "zh") in [i.value for i in at.main.info]
    at.session_state["adoption_picked_department"] = "口腔科"  # what a click on its bar stores
    at.run()
    assert_clean(at)
    beside = charts(at.main)
    assert "adoption_trend_beside" in beside  # in the column next to the ranking, not a screen below it
    title = text("adoption.beside.title", "zh").format(department="口腔科")
    assert f"**{title}**" in [m_.value for m_ in at.main.markdown]


def test_lower_tabs_are_lazy(demo_db: Path) -> None:
    at = open_page(demo_db, PAGE, "en")
    assert [len(tab.children) > 0 for tab in at.tabs] == [True, False, False, False]  # only the open tab ran
    open_tab(at, "rollout", "en")
    assert [len(tab.children) > 0 for tab in at.tabs] == [False, True, False, False]
    assert at.tabs[1].caption[0].value == text("adoption.rollout.caption", "en")


@pytest.mark.parametrize("lang", LANGS)
def test_a_heatmap_over_600_cells_says_its_rates_are_in_the_hover(tmp_path: Path, demo_db: Path, lang: str) -> None:
    """31 departments × 20 systems (620 cells): the heatmap writes no rate in its cells and the page says where the
    rates are; the demo's grid is small enough to be labelled, and says nothing."""
    path = tmp_path / "wide.duckdb"
    con = store.open_store(path)
    try:
        rows = [
            {"period": WEEKS[-1], "department": f"科室{d:02d}", "system": f"S{x:02d}", "active_users": 30,
             "eligible_users": 40}
            for d in range(31) for x in range(20)
        ]  # fmt: skip
        storekit.insert_rows(con, "usage", rows)
    finally:
        con.close()
    note = text("adoption.heatmap.unlabelled", lang).format(cells=600)
    for db, shown in ((path, True), (demo_db, False)):
        at = open_page(db, PAGE, lang)
        open_tab(at, "heatmap", lang)
        heat = charts(at.main)["adoption_heatmap"]["data"][0]
        assert ("texttemplate" not in heat) is shown and len(heat["y"]) == (
            31 if shown else len(TARGETS["departments"])
        )
        assert (note in [c.value for c in at.tabs[0].caption]) is shown
