"""The data-quality and EMR grading pages through app.py under AppTest, in both languages: on the demo store the
figures shown equal the metrics (and the demo's story: 3 basic items and 12 points short of 五级); an empty store
shows the empty state; a department head sees only their department's cells."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest

from metrics import grading, quality
from pages.components.i18n import LANGS
from tests.conftest import app_test, as_role
from tests.test_pages_adoption import assert_clean, charts, computed, open_page, text

DQ, GRADING = "pages/data_quality.py", "pages/grading.py"


def values(encoded: object) -> list[float]:
    """A Plotly array as plain numbers (a pandas column arrives base64-encoded)."""
    if isinstance(encoded, dict):
        return np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"]).tolist()
    return list(encoded)  # type: ignore[call-overload]


def tiles(at: object) -> dict[str, str]:
    return {m.label: m.value for m in at.main.metric}  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", LANGS)
def test_data_quality_on_the_demo(demo_db: Path, lang: str) -> None:
    at = open_page(demo_db, DQ, lang)
    assert at.title[0].value == text("data_quality.title", lang)
    cells = computed(demo_db, quality.quality_cells)
    shown = tiles(at)
    assert shown[text("data_quality.tile.below", lang)] == str(int(cells["below_target"].sum()))
    assert shown[text("data_quality.tile.dropped", lang)] == "2"  # 骨科 ICD-10 and 检验科 lab fields, last week
    shares = computed(demo_db, quality.system_quality)
    for r in shares.to_dict("records"):
        assert shown[r["system"]] == f"{r['quality_rate'] * 100:.1f}%"
    drops = at.main.dataframe[0].value  # the drops first: 骨科 ICD-10 (7 points) then 检验科 lab fields (4)
    assert list(drops[text("data_quality.col.department", lang)]) == ["骨科", "检验科"]
    table = at.main.dataframe[1].value
    first = table.iloc[0]
    worst = cells.iloc[0]
    assert first[text("data_quality.col.system", lang)] == worst["system"]
    assert first[text("data_quality.col.check_name", lang)] == worst["check_name"]
    assert len(table) == len(cells)
    figures = charts(at.main)
    trend = figures["data_quality_trend"]
    assert [t["name"] for t in trend["data"]] == [
        {"zh": "合格率", "en": "Pass rate"}[lang],
        {"zh": "目标", "en": "Target"}[lang],
    ]
    assert values(trend["data"][0]["y"])[-1] == pytest.approx(worst["rate"])  # the worst cell is the one drawn first
    assert "dq_checks" in figures


@pytest.mark.parametrize("lang", LANGS)
def test_grading_on_the_demo(demo_db: Path, lang: str) -> None:
    at = open_page(demo_db, GRADING, lang)
    sentence = {"zh": "距五级还差 3 个基本项和 12 分", "en": "3 basic items and 12 points short of grade 5"}[lang]
    assert at.subheader[0].value == sentence
    gap = computed(demo_db, grading.grading_gap)
    assert gap.total_score == pytest.approx(128.0) and gap.basic_short == 3
    shown = tiles(at)
    assert shown[text("grading.tile.score", lang)] == "128 / 140"
    assert shown[text("grading.tile.basic", lang)] == "17 / 20"
    assert shown[text("grading.tile.optional", lang)] == "6 / 6"
    short = at.main.dataframe[0].value
    basic = short[short[text("grading.col.is_basic", lang)] == text("common.yes", lang)]
    assert list(basic[text("grading.col.item_no", lang)]) == ["02.02", "10.01", "08.01"]  # level gaps first
    assert len(short) == len(gap.items[~gap.items["meets"]])
    links = at.main.dataframe[1].value
    late = text("grading.status.late", lang)
    assert late in set(links[text("grading.col.status", lang)])  # 评审材料准备 and 模拟检查 are late
    bars = charts(at.main)["grading_gap_chart"]["data"]
    assert [round(x, 4) for x in bars[0]["x"]] == [round(128 / 140, 4), round(17 / 20, 4), 1.0]
    others = at.main.dataframe[-1].value
    assert list(others[text("grading.col.target", lang)]) == [{"zh": "四级甲等", "en": "grade 4 A"}[lang]]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", [DQ, GRADING])
def test_empty_store(empty_db: Path, page: str, lang: str) -> None:
    at = open_page(empty_db, page, lang)
    assert [i.value for i in at.info] == [text("common.empty.title", lang)]
    assert not at.main.metric


def test_department_head_sees_only_their_department(demo_db: Path) -> None:
    at = app_test(demo_db, "zh", as_role("dept_head", "骨科")).run()
    at.switch_page(DQ).run()
    assert_clean(at)
    table = at.main.dataframe[-1].value  # the drops (骨科's own) and the worst cells: all 骨科
    assert set(table[text("data_quality.col.department", "zh")]) == {"骨科"}
    assert set(at.main.dataframe[0].value[text("data_quality.col.department", "zh")]) == {"骨科"}
    assert "EMR" in set(table[text("data_quality.col.system", "zh")])
