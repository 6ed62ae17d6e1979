"""EMR grading gaps on a small item table, computed by hand: item scores (level × coverage coefficient), the
basic items short of the target grade, the optional items, the score gap, the sentence, and the work linked."""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pandas as pd
import pytest

from metrics import grading
from metrics.scope import Scope
from tests import storekit

TODAY = dt.date(2026, 11, 23)


def item(no: str, basic: bool, level: float, cov: float | None, need: float | None, target: float | None,
         projects: str | None = None, tasks: str | None = None) -> dict:  # fmt: skip
    return {"item_no": no, "role": "病房医师", "item": f"项目{no}", "is_basic": basic, "current_level": level,
            "target_level": target, "coverage": cov, "required_coverage": need, "projects": projects,
            "tasks": tasks, "owner": None}  # fmt: skip


# coverage in percent as stored; hand-computed scores in the comments (level × coefficient)
ITEMS = [
    item("A", True, 5, 85, 80, 5),  # meets; 5 × 1.0 = 5
    item("B", True, 4, 90, 80, 5, "EMR升级", "T2, T9"),  # one level short; 4 × 1.0 = 4
    item("C", True, 5, 70, 80, 5, "EMR升级、LIS升级", "LIS升级：7"),  # coverage 10 points short; 5 × 0.8 = 4
    item("D", False, 5, 55, 50, 5),  # meets; 5 × 0.6 = 3
    item("E", False, 3, 30, 50, 4),  # short; 3 × 0.4 = 1.2
    item("F", False, 2, None, None, None),  # short; no coverage: unscored
]
REQ = grading.Requirement(grade=5, min_score=20, optional_required=1)


def frame() -> pd.DataFrame:
    df = pd.DataFrame(ITEMS)
    df["coverage"] = df["coverage"] / 100
    df["required_coverage"] = df["required_coverage"] / 100
    return df


@pytest.mark.parametrize(
    ("coverage", "coefficient"),
    [(1.0, 1.0), (0.8, 1.0), (0.79, 0.8), (0.6, 0.8), (0.59, 0.6), (0.4, 0.6), (0.2, 0.4), (0.19, 0.2),
     (0.01, 0.2), (0.0, 0.0), (None, None)],
)  # fmt: skip
def test_coverage_bands(coverage: float | None, coefficient: float | None) -> None:
    assert grading.coverage_coefficient(coverage) == coefficient


def test_gap_on_a_small_item_table() -> None:
    gap = grading.assess(frame(), REQ)
    assert gap.total_score == pytest.approx(5 + 4 + 4 + 3 + 1.2)  # 17.2
    assert gap.score_gap == pytest.approx(20 - 17.2)  # 2.8
    assert (gap.basic_total, gap.basic_short) == (3, 2)  # B (level) and C (coverage)
    assert (gap.optional_meeting, gap.optional_short) == (1, 0)  # D meets; one is required
    assert gap.unscored == 1 and not gap.met
    # gaps first: basic before optional, the largest level gap first; then the items that meet
    assert gap.items["item_no"].tolist() == ["B", "C", "F", "E", "A", "D"]
    by = gap.items.set_index("item_no")
    assert by.loc["B", "level_gap"] == 1 and by.loc["C", "coverage_short"] == pytest.approx(0.10)
    assert by.loc["E", "level_gap"] == 2 and by.loc["E", "coverage_short"] == pytest.approx(0.20)
    assert by.loc["C", "score"] == pytest.approx(4.0) and pd.isna(by.loc["F", "score"])
    # every item at its target level (or the grade) with its required coverage: 5 + 5 + 5 + 3 + 4 × 0.6
    assert gap.projected_score == pytest.approx(5 + 5 + 5 + 3 + 2.4)


def test_sentences() -> None:
    gap = grading.assess(frame(), REQ)
    assert grading.gap_sentence(gap, "zh") == "距五级还差 2 个基本项和 2.8 分"
    assert grading.gap_sentence(gap, "en") == "2 basic items and 2.8 points short of grade 5"
    strict = grading.assess(frame(), grading.Requirement(grade=5, min_score=30, optional_required=3))
    assert grading.gap_sentence(strict, "zh") == "距五级还差 2 个基本项、2 个选择项和 12.8 分"
    no_min = grading.assess(frame(), grading.Requirement(grade=5))
    assert grading.gap_sentence(no_min, "zh") == "距五级还差 2 个基本项（未填最低总分，分差未计）"
    covered = frame()
    covered.loc[covered["item_no"] == "C", "coverage"] = 0.85  # C's coverage short of 80 % fails every grade
    assert grading.assess(frame(), grading.Requirement(grade=2)).basic_short == 1
    easy = grading.assess(covered, grading.Requirement(grade=2, min_score=10, optional_required=1))
    assert easy.met and grading.gap_sentence(easy, "en") == "Meets the requirements of grade 2"


def test_grade_labels() -> None:
    assert grading.grade_label(5, "zh") == "五级"
    assert grading.grade_label(4.5, "zh", "互联互通标准化成熟度测评") == "四级甲等"
    assert grading.grade_label(4, "zh", "互联互通标准化成熟度测评") == "四级乙等"
    assert grading.grade_label(3, "en", "互联互通标准化成熟度测评") == "grade 3"


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = storekit.new_store()
    extra = item("B2", True, 4, 90, 80, 5, "EMR升级、LIS升级")  # a second short basic item linking two projects
    storekit.insert_rows(c, "emr_items", [*ITEMS, extra], as_of=TODAY)
    storekit.insert_rows(
        c, "grading_targets",
        [{"evaluation": "电子病历系统应用水平分级评价", "current_level": 4, "target_level": 5, "min_score": 20,
          "optional_required": 1, "due": dt.date(2026, 12, 31)},
         {"evaluation": "互联互通标准化成熟度测评", "current_level": 3, "target_level": 4.5,
          "due": dt.date(2027, 6, 30), "linked_project": "集成平台"}],
        as_of=TODAY,
    )  # fmt: skip
    task = {"is_summary": False, "is_milestone": False, "is_gate": False, "project": "EMR升级"}
    storekit.insert_rows(
        c, "tasks",
        [{**task, "task_id": "T1", "name": "病历模板", "start": dt.date(2026, 9, 1), "finish": dt.date(2026, 10, 30),
          "percent_complete": 100.0},
         {**task, "task_id": "T2", "name": "医嘱闭环", "start": dt.date(2026, 10, 1), "finish": dt.date(2026, 11, 20),
          "percent_complete": 50.0}],
        as_of=TODAY,
    )  # fmt: skip
    return c


def test_gap_from_the_store_with_linked_work(con: duckdb.DuckDBPyConnection) -> None:
    gap = grading.grading_gap(con, Scope(today=TODAY))
    assert gap.requirement is not None and gap.requirement.due == dt.date(2026, 12, 31)
    assert gap.total_score == pytest.approx(17.2 + 4) and gap.basic_short == 3
    links = gap.links
    b = links[links["item_no"] == "B"]
    assert b["task_id"].tolist() == ["T2", "T9"] and b["status"].tolist() == ["late", "missing"]
    assert b["task"].iloc[0] == "医嘱闭环" and pd.isna(b["task"].iloc[1])
    assert b["percent_complete"].iloc[0] == pytest.approx(0.5)
    c = links[links["item_no"] == "C"]
    assert c[["project", "task_id", "status"]].values.tolist() == [["LIS升级", "7", "missing"]]  # project:task
    d = links[links["item_no"] == "B2"].set_index("project")
    assert d.loc["LIS升级", "status"] == "missing"  # a linked project without a plan
    assert d.loc["EMR升级", "status"] == "late"  # T2 is late
    # EMR升级 plan % complete weighted by calendar days: T1 59 d at 100 %, T2 50 d at 50 % → (59 + 25) / 109
    assert d.loc["EMR升级", "percent_complete"] == pytest.approx((59 + 25) / 109, abs=0.02)
    assert set(links["item_no"]) == {"B", "B2", "C"}  # E and F link nothing


def test_the_gap_without_links_is_the_same_gap(con: duckdb.DuckDBPyConnection) -> None:
    """The overview's rows ask for the totals only (`links=False`): everything else is the full gap's."""
    full = grading.grading_gap(con, Scope(today=TODAY))
    bare = grading.grading_gap(con, Scope(today=TODAY), links=False)
    assert len(full.links) == 5 and bare.links.empty and list(bare.links.columns) == grading.LINK_COLUMNS
    assert dataclasses.replace(bare, links=full.links, items=full.items) == dataclasses.replace(full)
    pd.testing.assert_frame_equal(bare.items, full.items)


def test_other_targets_interop(con: duckdb.DuckDBPyConnection) -> None:
    other = grading.other_targets(con, Scope())
    assert other["evaluation"].tolist() == ["互联互通标准化成熟度测评"]
    assert other["levels_short"].tolist() == [1.5]


def test_as_of_before_any_item_table_has_no_items(con: duckdb.DuckDBPyConnection) -> None:
    gap = grading.grading_gap(con, Scope(as_of=dt.date(2026, 1, 1)))
    assert gap.items.empty and gap.requirement is None
    assert grading.gap_sentence(gap, "en") == "No EMR grading target loaded"


def test_gap_chart_bars_are_shares_of_what_the_grade_asks() -> None:
    from charts import quality as charts

    gap = grading.assess(frame(), REQ)
    fig = charts.grading_gap(gap, grading.gap_sentence(gap, "en"), "en")
    met, short = fig.data
    assert list(met.y) == ["Total score", "Basic items", "Optional items"]
    assert list(met.x) == pytest.approx([17.2 / 20, 1 / 3, 1.0])
    assert list(short.x) == pytest.approx([1 - 17.2 / 20, 2 / 3, 0.0])
    assert list(met.text) == ["17.2 / 20 points", "1 / 3 items", "1 / 1 items"]
    assert fig.layout.title.text == "2 basic items and 2.8 points short of grade 5"
