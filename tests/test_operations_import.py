"""Help-desk exports (运维工单) and inspection logs (巡检记录) through the importer: Chinese priorities, datetimes as
clerks and help desks write them, Excel serials and datetime cells, GBK CSVs, refusals that change nothing, and a
re-exported ticket replacing its earlier row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from loaders import coerce, importer, store
from tests import storekit
from tests.storekit import gbk_csv

T = dt.datetime


def xlsx(path: Path, rows: list[list[Any]], sheet: str = "工单") -> Path:
    return storekit.xlsx(path, rows, sheet)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return store.memory_store()


def _count(con: duckdb.DuckDBPyConnection, view: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {store.quote_ident(view)}").fetchone()  # noqa: S608
    assert row is not None
    return int(row[0])


# ------------------------------------------------------------------------------------------------ priorities


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("P1", "P1"),
        ("p2", "P2"),
        ("3", "P3"),
        ("4.0", "P4"),
        ("一级", "P1"),
        ("二级", "P2"),
        ("3级", "P3"),
        ("四级", "P4"),
        ("紧急", "P1"),
        ("高", "P2"),
        ("中", "P3"),
        ("一般", "P3"),
        ("低", "P4"),
        ("P1-紧急", "P1"),
        ("P1紧急", "P1"),
        ("P3（一般）", "P3"),
        ("Urgent", "P1"),
        ("High", "P2"),
        ("ｐ２", "P2"),
    ],
)
def test_priorities_are_normalised(text: str, want: str) -> None:
    assert coerce.parse_priority(text) == want


@pytest.mark.parametrize("text", ["P5", "0", "尽快", "P1-低", "一级 二级", "#N/A"])
def test_unknown_or_contradictory_priorities_are_refused(text: str) -> None:
    with pytest.raises(coerce.CoerceError):
        coerce.parse_priority(text)


# --------------------------------------------------------------------------------------- a help-desk export

HEADER = [
    "工单编号",
    "所属系统",
    "报修科室",
    "优先级",
    "报修时间",
    "响应时间",
    "解决时间",
    "故障类别",
    "故障原因",
    "问题描述",
]


def test_messy_help_desk_export_loads_with_every_datetime_form(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows: list[list[Any]] = [
        ["某市第一人民医院 信息科运维工单导出"],
        ["导出时间：2026-11-23"],
        HEADER,
        [
            "GD-001",
            "HIS",
            "门诊部",
            "紧急",
            "2025/3/5 14:03",
            "2025/3/5 14:10",
            "2025/3/5 16:00",
            "软件",
            "接口超时",
            "挂号卡顿",
        ],
        [
            "GD-002",
            "EMR",
            "心内科",
            "二级",
            "2025年3月5日 14时03分",
            "2025年3月5日 15时00分",
            "",
            "软件",
            "",
            "病历无法保存",
        ],
        ["GD-003", "PACS", "放射科", "P3", 45721.5854166667, None, None, "硬件", None, "胶片打印机卡纸"],
        [
            "GD-004",
            "LIS",
            "检验科",
            "低",
            T(2025, 3, 6, 9, 30),
            T(2025, 3, 6, 10, 0),
            T(2025, 3, 7, 8, 15),
            "网络",
            "交换机",
            "条码打印慢",
        ],
        [
            "GD-005",
            "HIS",
            "急诊科",
            "3级",
            "2025-03-06 下午2:05",
            "2025-03-06 下午2:35",
            "2025-03-06 下午5:00",
            "软件",
            "",
            "收费异常",
        ],
        ["合计", None, None, None, None, None, None, None, None, None],
    ]
    path = xlsx(tmp_path / "运维工单_2025-03.xlsx", rows)
    (prep,) = importer.prepare(path)  # recognised from the headers alone
    assert prep.dataset == "incidents"
    assert prep.ok, [str(p) for p in prep.report.errors]
    (res,) = importer.import_file(con, path)
    assert res.status == "loaded" and res.rows == 5, res.message
    got = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT ticket_id, system, priority, opened, responded, resolved FROM incidents ORDER BY ticket_id"
        ).fetchall()
    }
    assert got["GD-001"] == ("HIS", "P1", T(2025, 3, 5, 14, 3), T(2025, 3, 5, 14, 10), T(2025, 3, 5, 16, 0))
    assert got["GD-002"] == ("EMR", "P2", T(2025, 3, 5, 14, 3), T(2025, 3, 5, 15, 0), None)
    # Excel serial 45721.5854166667 = 2025-03-05 + 0.5854166667 × 24 h = 14:03:00
    assert got["GD-003"] == ("PACS", "P3", T(2025, 3, 5, 14, 3), None, None)
    assert got["GD-004"] == ("LIS", "P4", T(2025, 3, 6, 9, 30), T(2025, 3, 6, 10, 0), T(2025, 3, 7, 8, 15))
    assert got["GD-005"] == ("HIS", "P3", T(2025, 3, 6, 14, 5), T(2025, 3, 6, 14, 35), T(2025, 3, 6, 17, 0))
    hospital = con.execute("SELECT DISTINCT hospital FROM incidents").fetchall()
    assert hospital == [(None,)]  # single-hospital store


def test_gbk_csv_export_loads(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        ["工单号", "系统", "优先级", "创建时间", "受理时间", "关闭时间", "分类"],
        ["A1", "移动护理", "一级", "2025/3/5 8:00", "2025/3/5 8:12", "2025/3/5 9:30", "设备"],
        ["A2", "移动护理", "四级", "2025/3/5 8:30", "", "", "咨询"],
    ]
    (res,) = importer.import_file(con, gbk_csv(tmp_path / "tickets.csv", rows))
    assert res.status == "loaded" and res.rows == 2, res.message
    got = con.execute("SELECT ticket_id, priority, opened, resolved FROM incidents ORDER BY 1").fetchall()
    assert got == [("A1", "P1", T(2025, 3, 5, 8, 0), T(2025, 3, 5, 9, 30)), ("A2", "P4", T(2025, 3, 5, 8, 30), None)]


def test_bad_tickets_are_refused_naming_row_column_and_value(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        HEADER,
        ["GD-1", "HIS", "门诊部", "尽快", "2025/3/5 14:03", None, None, None, None, None],
        ["GD-2", "HIS", "门诊部", "P2", "05/03/2025 14:03", None, None, None, None, None],
        ["GD-3", "HIS", "门诊部", "P2", "2025/3/5 14:03", "2025/3/5 13:00", None, None, None, None],
        ["GD-4", "HIS", "门诊部", "P2", "2025/3/5 14:03", None, "2025/3/4 09:00", None, None, None],
        ["GD-5", "HIS", "门诊部", "P2", "2025/2/30 14:03", None, None, None, None, None],
    ]
    before = store.data_version(con)
    (res,) = importer.import_file(con, xlsx(tmp_path / "bad.xlsx", rows))
    assert res.status == "refused"
    found = {(p.row, p.column, p.value): p.message for p in res.problems}
    assert any(k[:3] == (2, "优先级", "尽快") and "优先级" in m for k, m in found.items())
    assert any(k[:3] == (3, "报修时间", "05/03/2025 14:03") and "日/月顺序" in m for k, m in found.items())
    assert any(k[:2] == (4, "响应时间") and "早于报修时间" in m for k, m in found.items())
    assert any(k[:2] == (5, "解决时间") and "早于报修时间" in m for k, m in found.items())
    assert any(k[:3] == (6, "报修时间", "2025/2/30 14:03") and "不存在" in m for k, m in found.items())
    assert _count(con, "incidents") == 0 and store.data_version(con) == before


def test_a_re_exported_ticket_replaces_its_earlier_row(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    first = [
        HEADER,
        ["GD-1", "HIS", "门诊部", "P1", "2025/3/5 14:03", None, None, None, None, None],
        ["GD-2", "EMR", "心内科", "P3", "2025/3/5 15:00", None, None, None, None, None],
    ]
    later = [
        HEADER,
        ["GD-1", "HIS", "门诊部", "P1", "2025/3/5 14:03", "2025/3/5 14:09", "2025/3/5 17:00", None, None, None],
    ]
    assert importer.import_file(con, xlsx(tmp_path / "工单_03-05.xlsx", first))[0].status == "loaded"
    (res,) = importer.import_file(con, xlsx(tmp_path / "工单更新_03-06.xlsx", later))
    assert res.status == "loaded", res.message
    got = con.execute("SELECT ticket_id, resolved FROM incidents ORDER BY 1").fetchall()
    assert got == [("GD-1", T(2025, 3, 5, 17, 0)), ("GD-2", None)]  # GD-2 kept: another ticket


# ------------------------------------------------------------------------------------------- inspection logs


def test_inspection_log_with_missed_rounds(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        ["巡检记录表（2025年3月）"],
        ["系统", "计划巡检日期", "实际巡检日期", "巡检项数", "异常项数", "巡检人", "备注"],
        ["PACS", "2025/3/3", "2025/3/3", 24, 1, "李明", "存储 86%"],
        ["PACS", "2025年3月10日", None, None, None, None, "人员外出，未巡检"],
        ["HIS", 45719, 45720, "30", "0", "王强", None],
    ]
    (res,) = importer.import_file(con, xlsx(tmp_path / "巡检记录.xlsx", rows, sheet="巡检"))
    assert res.status == "loaded" and res.rows == 3, res.message
    got = con.execute(
        "SELECT system, planned_date, done_date, items_checked, items_failed FROM inspections ORDER BY 2, 1"
    ).fetchall()
    assert got == [
        ("HIS", dt.date(2025, 3, 3), dt.date(2025, 3, 4), 30, 0),
        ("PACS", dt.date(2025, 3, 3), dt.date(2025, 3, 3), 24, 1),
        ("PACS", dt.date(2025, 3, 10), None, None, None),
    ]


def test_inspection_with_more_failed_than_checked_is_refused(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [["系统", "巡检日期", "完成日期", "检查项数", "异常项数"], ["HIS", "2025-03-03", "2025-03-03", 5, 7]]
    (res,) = importer.import_file(con, xlsx(tmp_path / "x.xlsx", rows))
    assert res.status == "refused"
    (p,) = res.problems
    assert (p.row, p.column) == (2, "异常项数") and "异常项数大于巡检项数" in p.message
    assert _count(con, "inspections") == 0
