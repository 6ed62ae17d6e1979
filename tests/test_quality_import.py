"""Messy imports of the data-quality checks, the EMR grading items and the grading targets: title rows, GBK CSVs,
合计 rows, percent cells in every form the importer accepts, 五级-style grades, refusals naming row and value,
re-imports that replace, and snapshots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest

from loaders import coerce, importer, store
from loaders.coerce import CoerceError
from tests.test_importer import messages, write_csv, xlsx

QUALITY_HEADER = ["统计周期", "系统名称", "科室", "检查项目", "质量维度", "合格数", "检查数", "目标值"]
ITEM_HEADER = ["项目序号", "工作角色", "评价项目", "是否基本项", "当前等级", "目标等级", "有效应用范围", "要求比例",
               "关联项目", "关联任务"]  # fmt: skip
TARGET_HEADER = ["评价名称", "当前等级", "目标等级", "目标日期", "最低总评分", "选择项目数", "关联项目"]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return store.memory_store()


def rows_of(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


# ------------------------------------------------------------------------------------------- grades


@pytest.mark.parametrize(
    ("text", "value"),
    [("5", 5.0), ("5级", 5.0), ("五级", 5.0), ("Level 5", 5.0), ("第5级", 5.0), ("0级", 0.0), ("八级", 8.0),
     ("四级甲等", 4.5), ("四级乙等", 4.0), ("5.0", 5.0)],
)  # fmt: skip
def test_grades_in_the_forms_staff_write(text: str, value: float) -> None:
    assert coerce.parse_grade(text) == value


@pytest.mark.parametrize(
    ("text", "fragment"), [("9", "0–8"), ("九级", "不是可识别"), ("5.5", "不是可识别"), ("高", "不是")]
)
def test_grades_refused(text: str, fragment: str) -> None:
    with pytest.raises(CoerceError) as exc:
        coerce.parse_grade(text)
    assert fragment in str(exc.value)


# ------------------------------------------------------------------------------------------- data quality


def test_quality_export_with_title_total_row_and_fraction_targets(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    rows = [
        ["2026年11月 数据质量检查结果"],
        [],
        QUALITY_HEADER,
        ["2026/11/2", "EMR", "心内科", "ICD-10编码规范率", "一致性", "1,842", 1900, 0.95],
        ["2026年11月2日", "LIS", None, "检验项目字段标准化率", "规范性", 930, 1000, 0.9],
        ["2026-11-02", "EMR", "骨科", "完整性", "完整性", 470, 500, None],
        ["合计", None, None, None, None, 3242, 3400, None],
        ["注：分子为合格记录数"],
    ]
    (res,) = importer.import_file(con, xlsx(tmp_path / "数据质量_2026-11.xlsx", rows))
    assert res.status == "loaded", messages([res])
    assert res.dataset == "quality_checks" and res.rows == 3
    got = rows_of(
        con, "SELECT system, department, check_name, numerator, denominator, target FROM quality_checks ORDER BY 1, 3"
    )
    assert got == [
        ("EMR", "心内科", "ICD-10编码规范率", 1842, 1900, 95.0),  # 0.95 in a column of fractions reads as 95 %
        ("EMR", "骨科", "完整性", 470, 500, None),
        ("LIS", None, "检验项目字段标准化率", 930, 1000, 90.0),
    ]
    assert rows_of(con, "SELECT DISTINCT period FROM quality_checks") == [(dt.date(2026, 11, 2),)]
    assert "合计" in messages([res])


def test_quality_gbk_csv_with_percent_signs(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [QUALITY_HEADER, ["2026-11-09", "PACS", "放射科", "及时性", "及时性", "88", "100", "95%"]]
    (res,) = importer.import_file(con, write_csv(tmp_path / "q.csv", rows, "gbk"))
    assert res.status == "loaded", messages([res])
    assert rows_of(con, "SELECT system, check_name, target FROM quality_checks") == [("PACS", "及时性", 95.0)]


def test_quality_mixed_percent_scale_is_asked_never_guessed(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        QUALITY_HEADER,
        ["2026-11-02", "EMR", "心内科", "完整性", None, 90, 100, 95],
        ["2026-11-02", "EMR", "骨科", "完整性", None, 90, 100, 0.9],
    ]
    (res,) = importer.import_file(con, xlsx(tmp_path / "q.xlsx", rows))
    assert res.status == "refused"
    (problem,) = res.problems
    assert (problem.row, problem.column, problem.value) == (3, "目标值", "0.9")
    assert rows_of(con, "SELECT count(*) FROM quality_checks") == [(0,)]


def test_quality_numerator_above_denominator_refused_naming_the_row(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    rows = [
        QUALITY_HEADER,
        ["2026-11-02", "EMR", "心内科", "完整性", None, 90, 100, None],
        ["2026-11-02", "EMR", "骨科", "完整性", None, 120, 100, None],
        ["2026-11-02", "EMR", "眼科", "完整性", None, -1, 100, None],
    ]
    (res,) = importer.import_file(con, xlsx(tmp_path / "q.xlsx", rows))
    assert res.status == "refused"
    found = {(p.row, p.column) for p in res.problems}
    assert (3, "合格数") in found and (4, "合格数") in found
    assert "分子大于分母" in messages([res])
    assert rows_of(con, "SELECT count(*) FROM quality_checks") == [(0,)]
    assert rows_of(con, "SELECT status FROM imports") == [("refused",)]


def test_quality_reimport_replaces_its_cells_and_the_next_period_adds(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    first = [QUALITY_HEADER, ["2026-11-02", "EMR", "心内科", "完整性", None, 90, 100, 95],
             ["2026-11-02", "EMR", "骨科", "完整性", None, 80, 100, 95]]  # fmt: skip
    (a,) = importer.import_file(con, xlsx(tmp_path / "q1.xlsx", first))
    corrected = [QUALITY_HEADER, ["2026-11-02", "EMR", "心内科", "完整性", None, 92, 100, 95]]
    (b,) = importer.import_file(con, xlsx(tmp_path / "q2.xlsx", corrected))
    later = [QUALITY_HEADER, ["2026-11-09", "EMR", "心内科", "完整性", None, 94, 100, 95]]
    (c,) = importer.import_file(con, xlsx(tmp_path / "q3.xlsx", later))
    assert (a.status, b.status, c.status) == ("loaded", "loaded", "loaded")
    got = rows_of(con, "SELECT period, department, numerator FROM quality_checks ORDER BY 1, 2")
    assert got == [
        (dt.date(2026, 11, 2), "心内科", 92),
        (dt.date(2026, 11, 2), "骨科", 80),
        (dt.date(2026, 11, 9), "心内科", 94),
    ]
    assert b.import_id is not None
    importer.undo(con, b.import_id)
    assert rows_of(
        con, "SELECT numerator FROM quality_checks WHERE period = DATE '2026-11-02' AND department = '心内科'"
    ) == [(90,)]


# ------------------------------------------------------------------------------------------- EMR items


def test_emr_items_with_chinese_grades_and_percent_cells(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        ["电子病历系统应用水平分级评价 自评表"],
        ["状态日期：2026-11-23"],
        ITEM_HEADER,
        ["01.01", "病房医师", "病房医嘱处理", "是", "四级", "五级", "85%", "80%", "EMR升级", "T012"],
        ["01.02", "病房医师", "病房检验申请", "否", "4级", "5", "45%", "50%", "EMR升级、LIS升级", None],
        ["10.01", "电子病历基础", "系统灾难恢复体系", "√", "Level 3", "5级", "100%", None, None, None],
    ]
    path = xlsx(tmp_path / "评级自评.xlsx", rows)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws is not None
    ws["G6"] = 1.0  # a cell formatted as a percentage in Excel holds the fraction: read as shown (100 %)
    ws["G6"].number_format = "0%"
    wb.save(path)
    (res,) = importer.import_file(con, path)
    assert res.status == "loaded", messages([res])
    assert res.dataset == "emr_items"
    got = rows_of(
        con,
        "SELECT item_no, is_basic, current_level, target_level, coverage, required_coverage, projects, tasks, as_of"
        " FROM emr_items ORDER BY item_no",
    )
    assert got == [
        ("01.01", True, 4.0, 5.0, 85.0, 80.0, "EMR升级", "T012", dt.date(2026, 11, 23)),
        ("01.02", False, 4.0, 5.0, 45.0, 50.0, "EMR升级、LIS升级", None, dt.date(2026, 11, 23)),
        ("10.01", True, 3.0, 5.0, 100.0, None, None, None, dt.date(2026, 11, 23)),
    ]


def test_emr_item_grade_refused_naming_cell_and_sub_grades_refused(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    rows = [
        ITEM_HEADER,
        ["01.01", "病房医师", "病房医嘱处理", "是", "高级", "五级", "85%", "80%", None, None],
        ["01.02", "病房医师", "病房检验申请", "否", "四级甲等", "五级", "45%", "50%", None, None],
        ["01.03", "病房医师", "病房检验报告", "否", "4", "5", "150%", "50%", None, None],
    ]
    (res,) = importer.import_file(con, xlsx(tmp_path / "items.xlsx", rows), dataset="emr_items")
    assert res.status == "refused"
    found = {(p.row, p.column, p.value) for p in res.problems}
    assert (2, "当前等级", "高级") in found
    assert any(r == 3 and c == "当前等级" for r, c, _ in found)
    assert (4, "有效应用范围", "150%") in found
    assert rows_of(con, "SELECT count(*) FROM emr_item_rows") == [(0,)]


def test_emr_items_snapshots_latest_wins(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    old = [ITEM_HEADER, ["01.01", "病房医师", "病房医嘱处理", "是", "3", "5", "70%", "80%", None, None],
           ["01.02", "病房医师", "病房检验申请", "否", "3", "5", "40%", "50%", None, None]]  # fmt: skip
    new = [ITEM_HEADER, ["01.01", "病房医师", "病房医嘱处理", "是", "4", "5", "85%", "80%", None, None]]
    importer.import_file(con, xlsx(tmp_path / "评级_2026-11-02.xlsx", old))
    importer.import_file(con, xlsx(tmp_path / "评级_2026-11-23.xlsx", new))
    assert rows_of(con, "SELECT item_no, current_level, as_of FROM emr_items") == [
        ("01.01", 4.0, dt.date(2026, 11, 23))
    ]
    assert rows_of(con, "SELECT count(*) FROM emr_item_snapshots") == [(3,)]


def test_duplicate_item_numbers_refused(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [ITEM_HEADER, ["01.01", "病房医师", "病房医嘱处理", "是", "3", "5", "70%", "80%", None, None],
            ["01.01", "病房医师", "病房检验申请", "否", "4", "5", "40%", "50%", None, None]]  # fmt: skip
    (res,) = importer.import_file(con, xlsx(tmp_path / "items.xlsx", rows), dataset="emr_items")
    assert res.status == "refused"
    assert "01.01" in messages([res])


# ------------------------------------------------------------------------------------------- targets


def test_grading_targets_emr_and_interop(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        TARGET_HEADER,
        ["电子病历系统应用水平分级评价", "四级", "五级", "2026年12月31日", 140, 6, "EMR升级"],
        ["互联互通标准化成熟度测评", "三级", "四级甲等", "2027/6/30", None, None, "集成平台"],
    ]
    (res,) = importer.import_file(con, xlsx(tmp_path / "评级目标.xlsx", rows))
    assert res.status == "loaded", messages([res])
    assert res.dataset == "grading_targets"
    got = rows_of(con, "SELECT evaluation, current_level, target_level, due, min_score, optional_required,"
                       " linked_project FROM grading_targets ORDER BY target_level DESC")  # fmt: skip
    assert got == [
        ("电子病历系统应用水平分级评价", 4.0, 5.0, dt.date(2026, 12, 31), 140.0, 6, "EMR升级"),
        ("互联互通标准化成熟度测评", 3.0, 4.5, dt.date(2027, 6, 30), None, None, "集成平台"),
    ]
