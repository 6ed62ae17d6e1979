"""The benefits page through app.py under AppTest: demo, empty and one-department stores in both languages; KPI
tiles coloured by direction (a drop in wait time is good news); the before/after table equals
metrics.benefits.before_after, and on the one-department store equals figures computed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from metrics import benefits as b
from pages.components.i18n import LANGS, catalogue
from tests import test_pages_adoption
from tests.conftest import ROOT
from tests.test_pages_adoption import GO_LIVE, ONE_KPI, WAIT, assert_clean, computed, open_page, text

one_department_db = test_pages_adoption.one_department_db  # the fixture, collected here too
PAGE = "pages/benefits.py"
TARGETS = json.loads((ROOT / "data" / "demo" / "targets.json").read_text(encoding="utf-8"))
GREEN, RED, GRAY = MetricProto.MetricColor.GREEN, MetricProto.MetricColor.RED, MetricProto.MetricColor.GRAY
UP, DOWN = MetricProto.MetricDirection.UP, MetricProto.MetricDirection.DOWN


def tiles(at: AppTest) -> dict[str, MetricProto]:
    return {mt.label: mt.proto for mt in at.main.metric}


def before_after_table(at: AppTest, kpi: str, lang: str) -> Any:
    """The before/after table as shown, its headers turned back into column names; "good" back to booleans."""
    tab = next(t for t in at.main.tabs if t.label == kpi)
    assert len(tab.dataframe) == 1
    names = {text(k, lang): k.rsplit(".", 1)[1] for k in catalogue() if k.startswith("benefits.col.")}
    df = tab.dataframe[0].value.rename(columns=names)
    words = {text("common.yes", lang): True, text("common.no", lang): False}
    df["good"] = [words.get(v) for v in df["good"]]  # shown as 是/否, Yes/No, never True/False
    return df


@pytest.mark.parametrize("lang", LANGS)
def test_demo_store(demo_db: Path, lang: str) -> None:
    at = open_page(demo_db, PAGE, lang)
    assert at.title[0].value == text("benefits.title", lang)
    assert set(TARGETS["kpis"]) <= set(tiles(at))  # the four outcome measures, at least
    assert [t.label for t in at.main.tabs] == list(tiles(at))  # a before/after tab per tile, same order


@pytest.mark.parametrize("lang", LANGS)
def test_empty_store(empty_db: Path, lang: str) -> None:
    at = open_page(empty_db, PAGE, lang)
    assert [i.value for i in at.info] == [text("common.empty.title", lang)]
    assert not at.main.metric


@pytest.mark.parametrize("lang", LANGS)
def test_one_department(one_department_db: Path, lang: str) -> None:
    at = open_page(one_department_db, PAGE, lang)
    (tile,) = tiles(at).values()
    assert tile.label == ONE_KPI
    assert tile.body == f"{WAIT[-1]:.1f} 分钟"
    drop = WAIT[-1] - WAIT[-2]  # 21 − 26 = −5 minutes: lower is better, so good news
    assert tile.delta == f"{drop:+.1f} 分钟"
    assert (tile.color, tile.direction) == (GREEN, DOWN)
    baseline = sum(WAIT[:3]) / 3  # mean of the weeks before the HIS go-live: 40
    assert text("benefits.tile.help", lang).split("{")[0] in tile.help
    assert f"{baseline:.1f}" in tile.help
    table = before_after_table(at, ONE_KPI, lang)
    by_dep = table.set_index("department")
    after = sum(WAIT[3:]) / 3
    # no hospital-wide rows: the hospital line is the mean of the department rows, i.e. this department
    for dep in (text("benefits.hospital", lang), "心内科"):
        assert by_dep.loc[dep, "before"] == pytest.approx(baseline)
        assert by_dep.loc[dep, "after"] == pytest.approx(after)
        assert by_dep.loc[dep, "change"] == pytest.approx(after - baseline)
        assert (by_dep.loc[dep, "n_before"], by_dep.loc[dep, "n_after"]) == (3, 3)
        assert bool(by_dep.loc[dep, "good"])
    day = (
        f"{GO_LIVE.year}年{GO_LIVE.month}月{GO_LIVE.day}日"
        if lang == "zh"
        else GO_LIVE.strftime("%d %b %Y").lstrip("0")
    )
    caption = text("benefits.detail.caption", lang).format(go_live=day, system="HIS")
    assert caption in [c.value for c in at.main.caption]  # the go-live taken from the plan's milestone


def test_tiles_colour_by_direction(demo_db: Path) -> None:
    at = open_page(demo_db, PAGE, "en")
    shown = tiles(at)
    expected = computed(demo_db, b.kpi_tiles)
    assert list(shown) == expected["kpi"].tolist()
    for row in expected.to_dict("records"):
        tile = shown[row["kpi"]]
        assert tile.delta.startswith(f"{row['change']:+.1f}"), row["kpi"]
        assert tile.direction == (UP if row["change"] > 0 else DOWN), row["kpi"]
        want = GRAY if row["change_good"] is None else GREEN if row["change_good"] else RED
        assert tile.color == want, row["kpi"]
        assert text(f"benefits.{row['direction']}", "en") in tile.help
    wait = expected.set_index("kpi").loc["门诊患者平均等候时间"]
    assert wait["direction"] == "lower" and wait["change"] < 0  # the demo's wait time fell in the last week
    assert (shown["门诊患者平均等候时间"].color, shown["门诊患者平均等候时间"].direction) == (GREEN, DOWN)
    # the same arrow means opposite news for a higher-is-better KPI: the colour follows the direction, not the sign
    falls = expected[expected["change"] < 0]
    assert set(falls["direction"]) == {"lower", "higher"}, "the demo should have a falling KPI of each direction"
    assert {shown[k].color for k in falls.loc[falls["direction"] == "higher", "kpi"]} == {RED}


@pytest.mark.parametrize("lang", LANGS)
def test_before_after_matches_the_metrics(demo_db: Path, lang: str) -> None:
    at = open_page(demo_db, PAGE, lang)
    kpi = "门诊患者平均等候时间"
    shown = before_after_table(at, kpi, lang)
    expected = computed(demo_db, b.before_after, kpi, None, None, None, text("benefits.hospital", lang))
    assert len(expected) > 2  # the hospital and every department
    assert shown["department"].tolist() == expected["department"].tolist()
    assert shown["department"].iloc[0] == text("benefits.hospital", lang)
    for col in ("before", "after", "change", "improvement"):
        assert shown[col].to_numpy() == pytest.approx(expected[col].to_numpy()), col
    assert shown["good"].tolist() == expected["good"].tolist()
    hospital = shown.iloc[0]
    assert hospital["after"] < hospital["before"] and bool(hospital["good"])  # waits fell after HIS went live
    assert_clean(at)


@pytest.mark.parametrize("lang", LANGS)
def test_kpi_tabs_are_lazy_and_each_opens_its_own_table(demo_db: Path, lang: str) -> None:
    at = open_page(demo_db, PAGE, lang)
    labels = [t.label for t in at.main.tabs]
    assert len(labels) > 1
    assert [len(t.dataframe) for t in at.main.tabs] == [1] + [0] * (len(labels) - 1)  # only the open tab is built
    last = labels[-1]
    at.session_state["benefits_tabs"] = last  # a click on the last KPI's tab
    at.run()
    assert [len(t.dataframe) for t in at.main.tabs] == [0] * (len(labels) - 1) + [1]
    shown = before_after_table(at, last, lang)
    expected = computed(demo_db, b.before_after, last, None, None, None, text("benefits.hospital", lang))
    assert shown["department"].tolist() == expected["department"].tolist()
    assert shown["after"].to_numpy() == pytest.approx(expected["after"].to_numpy())
    assert_clean(at)
