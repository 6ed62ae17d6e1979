"""Intake round 2: layouts hospital staff really save, each with the exact figures a correct import stores, and the
refusals (in Chinese and English) where the importer cannot be sure."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from loaders import importer, store
from tests.test_importer import messages, write_csv, xlsx

ROOT = Path(__file__).resolve().parent.parent


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def loaded(results: list[importer.ImportResult]) -> importer.ImportResult:
    assert len(results) == 1, messages(results)
    assert results[0].status == "loaded", messages(results)
    return results[0]


def refused(results: list[importer.ImportResult]) -> str:
    assert results and all(r.status == "refused" for r in results), messages(results)
    return messages(results)


# --------------------------------------------------------------------------------------------- money units


def test_unit_in_a_title_line_above_the_header_scales_every_amount(tmp_path: Path) -> None:
    f = xlsx(
        tmp_path / "budget.xlsx",
        [
            ["2025 年信息化预算"],
            ["单位：万元"],
            ["项目", "预算科目", "月份", "预算金额"],
            ["HIS", "硬件", "2025-01", 12.5],
            ["HIS", "软件", "2025-01", "3"],
            ["PACS", "硬件", "2025-02", 100],
        ],
    )
    con = store.memory_store()
    res = loaded(importer.import_file(con, f))
    assert res.rows == 3
    assert one(con, "SELECT sum(amount) FROM budget") == 1_155_000.0  # (12.5 + 3 + 100) × 10,000 yuan
    assert one(con, "SELECT amount FROM budget WHERE category = '硬件' AND project = 'HIS'") == 125_000.0
    assert any("单位：万元（取自第 2 行）" in n for n in res.notes), res.notes
    assert any("unit: 万元 (from row 2)" in n for n in res.notes)


def test_unit_in_a_note_row_below_a_csv_ledger(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "付款台账.csv",
        [
            ["日期", "项目", "费用类别", "金额", "状态"],
            ["2025-03-05", "HIS", "硬件", "1.5", "已付款"],
            ["2025-03-09", "HIS", "服务", "0.25", "已报销"],
            [],
            ["注：以上金额单位均为万元", "", "", "", ""],
        ],
        encoding="gb18030",
    )
    con = store.memory_store()
    res = loaded(importer.import_file(con, f))
    assert one(con, "SELECT sum(amount) FROM costs") == 17_500.0
    assert one(con, "SELECT count(*) FROM costs WHERE stage = 'paid'") == 2  # 已报销 is a stage word
    assert any("单位：万元（取自第 5 行）" in n for n in res.notes), res.notes


def test_title_and_header_that_disagree_are_refused_naming_both_cells(tmp_path: Path) -> None:
    f = xlsx(
        tmp_path / "budget.xlsx",
        [["金额单位：万元"], ["项目", "预算科目", "月份", "预算(元)"], ["HIS", "硬件", "2025-01", 120000]],
    )
    con = store.memory_store()
    text = refused(importer.import_file(con, f))
    assert "金额单位矛盾" in text and "A1" in text and "D2" in text
    assert "Conflicting money units" in text and "cell A1" in text and "cell D2" in text
    assert one(con, "SELECT count(*) FROM budget") == 0


def test_header_in_yuan_and_a_cell_in_wan_is_refused_never_multiplied(tmp_path: Path) -> None:
    f = xlsx(
        tmp_path / "budget.xlsx",
        [
            ["项目", "预算科目", "月份", "预算(元)"],
            ["HIS", "硬件", "2025-01", 120000],
            ["HIS", "软件", "2025-01", "12万"],
        ],
    )
    con = store.memory_store()
    text = refused(importer.import_file(con, f))
    assert "单元格单位「万」与表头第 1 行(D1 单元格)写明的单位「元」冲突" in text
    assert "conflicts with the unit (元)" in text
    assert one(con, "SELECT count(*) FROM budget") == 0


def test_a_title_line_in_yuan_refuses_a_cell_written_in_wan(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "costs.csv",
        [["(单位：元)"], ["日期", "项目", "类别", "金额", "状态"], ["2025-03-05", "HIS", "硬件", "12万", "已支付"]],
    )
    text = refused(importer.import_file(store.memory_store(), f))
    assert "标题行第 1 行(A1 单元格)" in text and "the title line, row 1" in text


def test_cells_with_their_own_units_and_no_stated_unit_convert_each(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "costs.csv",
        [
            ["日期", "项目", "类别", "金额", "状态"],
            ["2025-03-05", "HIS", "硬件", "12万", "已结算"],
            ["2025-03-06", "HIS", "软件", "800元", "已开票"],
        ],
    )
    con = store.memory_store()
    res = loaded(importer.import_file(con, f))
    assert sorted(r[0] for r in con.execute("SELECT amount FROM costs").fetchall()) == [800.0, 120_000.0]
    assert sorted(r[0] for r in con.execute("SELECT stage FROM costs").fetchall()) == ["invoiced", "paid"]
    assert any("各单元格" in n for n in res.notes)


def test_small_amounts_with_no_unit_anywhere_get_a_warning(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "budget.csv",
        [["项目", "科目", "月份", "预算"], ["HIS", "硬件", "2025-01", "120"], ["HIS", "软件", "2025-01", "85.5"]],
    )
    con = store.memory_store()
    res = loaded(importer.import_file(con, f))
    assert one(con, "SELECT sum(amount) FROM budget") == 205.5  # read as yuan, as the warning says
    warn = [p.message for p in res.problems if p.severity == "warning"]
    assert any("看起来像以万元填写" in m and "they look like 万元" in m for m in warn), warn
    assert any("单位：元（文件未写明单位）" in n for n in res.notes)


def test_big_amounts_with_no_unit_get_no_warning(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "budget.csv", [["项目", "科目", "月份", "预算"], ["HIS", "硬件", "2025-01", "1200000"]])
    res = loaded(importer.import_file(store.memory_store(), f))
    assert not any("万元" in p.message for p in res.problems)


# --------------------------------------------------------------------------------------------- defaults


def test_a_cost_ledger_without_a_stage_column_loads_as_paid_or_as_chosen(tmp_path: Path) -> None:
    rows = [
        ["报销日期", "项目", "费用类别", "金额(元)"],
        ["2025-04-01", "EMR", "差旅", "1,234.50"],
        ["2025-04-02", "EMR", "培训", "(34.50)"],
    ]
    f = write_csv(tmp_path / "报销台账.csv", rows)
    con = store.memory_store()
    res = loaded(importer.import_file(con, f, dataset="costs"))
    assert con.execute("SELECT stage, sum(amount) FROM costs GROUP BY stage").fetchall() == [("paid", 1200.0)]
    assert any("资金状态：已付款" in n and "Stage: paid" in n for n in res.notes)
    con2 = store.memory_store()
    (prep,) = importer.prepare(f, dataset="costs", stage="invoiced")
    assert prep.defaults["stage"] == "invoiced"
    importer.commit(con2, prep)
    assert con2.execute("SELECT DISTINCT stage FROM costs").fetchall() == [("invoiced",)]


def test_project_option_fills_the_project_of_a_periodic_table(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "budget.csv",
        [["预算科目", "月份", "预算(万元)"], ["硬件", "2025-01", "2"], ["软件", "2025-02", "3"]],
    )
    con = store.memory_store()
    text = refused(importer.import_file(con, f, dataset="budget"))
    assert "项目" in text  # without --project the project column is still required
    res = loaded(importer.import_file(con, f, dataset="budget", project="互联网医院"))
    assert con.execute("SELECT project, sum(amount) FROM budget GROUP BY ALL").fetchall() == [("互联网医院", 50_000.0)]
    assert any("项目：互联网医院" in n for n in res.notes)


@pytest.mark.parametrize(
    ("name", "project"),
    [
        ("互联网医院项目计划表.xlsx", "互联网医院项目"),
        ("HIS系统替换_计划_2026-11-23.xlsx", "HIS系统替换"),
        ("计划科信息化建设计划.xlsx", "计划科信息化建设"),
        ("集成平台项目进度计划表.xlsx", "集成平台项目"),
        ("PACS风险登记册.xlsx", "PACS"),
        ("EMR_plan.xlsx", "EMR"),
        ("计划.xlsx", "计划"),
    ],
)
def test_project_name_from_a_file_name_keeps_its_words(name: str, project: str) -> None:
    assert importer.project_from_name(name) == project


# --------------------------------------------------------------------------------------------- KPI values


def test_kpi_values_written_with_percent_signs_and_separators(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "kpi.csv",
        [
            ["月份", "指标", "科室", "数值", "单位"],
            ["2025-03", "门诊满意度", "", "95.2%", ""],
            ["2025-03", "病历书写及时率", "心内科", "88 %", ""],
            ["2025-03", "门诊人次", "", "12,345", "人次"],
        ],
    )
    con = store.memory_store()
    loaded(importer.import_file(con, f))
    got = con.execute("SELECT kpi, value, unit FROM kpis ORDER BY value").fetchall()
    assert got == [("病历书写及时率", 88.0, "%"), ("门诊满意度", 95.2, "%"), ("门诊人次", 12345.0, "人次")]


# --------------------------------------------------------------------------------------------- CLI


def test_cli_prints_the_unit_and_survives_a_closed_pipe(tmp_path: Path) -> None:
    f = xlsx(
        tmp_path / "budget.xlsx", [["单位：万元"], ["项目", "科目", "月份", "预算"], ["HIS", "硬件", "2025-01", 2]]
    )
    db = tmp_path / "s.duckdb"
    out = subprocess.run(
        [sys.executable, "-m", "loaders", "import", str(f), "--db", str(db), "--dry-run"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "单位：万元（取自第 1 行）" in out.stdout
    # many lines into `head -1`: the reader leaves early; no BrokenPipe traceback
    many = write_csv(
        tmp_path / "bad.csv",
        [["日期", "项目", "类别", "金额", "状态"]] + [["2025-13-01", "HIS", "x", "1", "已付"]] * 3000,
    )
    piped = subprocess.run(
        f"{sys.executable} -m loaders import {many} --db {db} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert "Traceback" not in piped.stderr and "BrokenPipe" not in piped.stderr, piped.stderr
    assert piped.stdout.startswith("XX ")


# --------------------------------------------------------------------------------------------- percent cells


def test_a_cell_formatted_as_percentage_holding_1_is_100_percent(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["任务名称", "开始时间", "完成时间", "完成百分比"])
    for name, pct in (("需求调研", 1), ("系统设计", 0.5), ("编码", 0), ("测试", 0.125)):
        ws.append([name, "2025-03-01", "2025-03-10", pct])
        ws.cell(ws.max_row, 4).number_format = "0%"
    ws.append(["上线", "2025-04-01", "2025-04-01", 40])  # a plain cell written as 40: 40 %
    f = tmp_path / "HIS计划.xlsx"
    wb.save(f)
    con = store.memory_store()
    loaded(importer.import_file(con, f))
    got = dict(con.execute("SELECT name, percent_complete FROM tasks").fetchall())
    assert got == {"需求调研": 100.0, "系统设计": 50.0, "编码": 0.0, "测试": 12.5, "上线": 40.0}


def test_a_percent_column_mixing_50_and_half_is_refused_never_half_a_percent(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "plan.csv",
        [
            ["任务名称", "开始时间", "完成百分比"],
            ["A", "2025-03-01", "50"],
            ["B", "2025-03-01", "0.5"],
            ["C", "2025-03-01", "100"],
        ],
    )
    con = store.memory_store()
    text = refused(importer.import_file(con, f, project="HIS"))
    assert "「0.5」与同列的「50」写法不一致" in text and "is 0.5 50% or 0.5%?" in text
    assert one(con, "SELECT count(*) FROM tasks") == 0


def test_kpi_cells_formatted_as_percentages_keep_their_unit(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["统计月份", "指标名称", "指标值"])
    ws.append(["2025-03", "门诊预约率", 0.952])
    ws["C2"].number_format = "0.0%"
    ws.append(["2025-03", "门诊人次", 12345])
    f = tmp_path / "kpi.xlsx"
    wb.save(f)
    con = store.memory_store()
    loaded(importer.import_file(con, f))
    got = con.execute("SELECT kpi, value, unit FROM kpis ORDER BY kpi").fetchall()
    assert got == [("门诊人次", 12345.0, None), ("门诊预约率", 95.2, "%")]


# --------------------------------------------------------------------------------------------- lying zip headers


def _lying_xlsx(tmp_path: Path, rows: int) -> Path:
    """An .xlsx whose sheet part claims to be tiny (declared size and CRC of its first bytes) while its deflate
    stream holds `rows` rows without r= attributes."""
    import struct
    import zipfile
    import zlib

    good = tmp_path / "good.xlsx"
    xlsx(good, [["月份", "科室", "系统", "活跃用户"]])
    with zipfile.ZipFile(good) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    body = b"".join(b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' for _ in range(rows))
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:A2"/>'
        b"<sheetData>" + body + b"</sheetData></worksheet>"
    )
    out = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, sheet if n == "xl/worksheets/sheet1.xml" else data)
    # patch the sheet's declared sizes (local header and central directory) to claim 200 bytes
    raw = bytearray(out.read_bytes())
    with zipfile.ZipFile(out) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    claim = 200
    crc = zlib.crc32(sheet[:claim])
    name = info.filename.encode()
    local = info.header_offset
    struct.pack_into("<III", raw, local + 14, crc, info.compress_size, claim)
    pos = raw.find(b"PK\x01\x02")
    while pos >= 0:
        n_len = struct.unpack_from("<H", raw, pos + 28)[0]
        if bytes(raw[pos + 46 : pos + 46 + n_len]) == name:
            struct.pack_into("<III", raw, pos + 16, crc, info.compress_size, claim)
        pos = raw.find(b"PK\x01\x02", pos + 4)
    out.write_bytes(bytes(raw))
    return out


def test_an_xlsx_whose_zip_entries_lie_about_their_size_is_refused(tmp_path: Path) -> None:
    from loaders import sniff
    from loaders.errors import FileRefused

    f = _lying_xlsx(tmp_path, 200_000)
    assert f.stat().st_size < 200_000
    with pytest.raises(FileRefused) as err:
        sniff.scan_xlsx(f, f.name)
    assert "超过其声明的大小" in err.value.message and "inflates beyond its declared size" in err.value.message
    con = store.memory_store()
    text = refused(importer.import_file(con, f))
    assert "疑似压缩炸弹" in text
    assert one(con, "SELECT count(*) FROM imports WHERE status = 'refused'") == 1


def test_rows_without_numbers_count_against_the_sheet_row_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loaders import sniff
    from loaders.errors import FileRefused

    monkeypatch.setenv("COCKPIT_MAX_SHEET_ROWS", "1000")
    body = "".join('<row><c t="inlineStr"><is><t>x</t></is></c></row>' for _ in range(1500))
    good = tmp_path / "g.xlsx"
    xlsx(good, [["a"]])
    import zipfile

    with zipfile.ZipFile(good) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1"/>'
        f"<sheetData>{body}</sheetData></worksheet>"
    ).encode()
    f = tmp_path / "many.xlsx"
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, sheet if n == "xl/worksheets/sheet1.xml" else data)
    with pytest.raises(FileRefused) as err:
        sniff.scan_xlsx(f, f.name)
    assert "第 1500 行" in err.value.message and "row 1500" in err.value.message


# --------------------------------------------------------------------------------------------- encodings


def _gbk_ledger(tmp_path: Path, bad: bytes, times: int = 1) -> Path:
    text = "日期,项目,费用类别,金额,状态\r\n2025-03-05,互联网医院,硬件采购,1200,已付款\r\n"
    text += "2025-03-06,互联网医院,软件服务,300,已付款\r\n"
    data = text.encode("gbk")
    # a damaged byte inside 软件服务 (its first byte cut), repeated on further lines for the refusal case
    line = "2025-03-07,互联网医院,".encode("gbk") + bad + "件维护,50,已付款\r\n".encode("gbk")
    f = tmp_path / "付款台账.csv"
    f.write_bytes(data + line * times)
    return f


def test_gbk_file_with_one_bad_byte_loads_with_that_character_replaced_and_named(tmp_path: Path) -> None:
    f = _gbk_ledger(tmp_path, b"\xff")
    con = store.memory_store()
    res = loaded(importer.import_file(con, f))
    assert one(con, "SELECT sum(amount) FROM costs") == 1550.0
    assert one(con, "SELECT encoding FROM imports") == "gb18030"
    cats = {r[0] for r in con.execute("SELECT category FROM costs").fetchall()}
    assert cats == {"硬件采购", "软件服务", "\ufffd件维护"}  # never cp1252 mojibake
    warn = [p for p in res.problems if "无法解码的字节" in p.message]
    assert len(warn) == 1 and warn[0].row == 4 and warn[0].value == "0xFF"
    assert "line 4: undecodable byte 0xFF" in warn[0].message


def test_gbk_file_with_many_bad_bytes_is_refused_naming_line_and_byte(tmp_path: Path) -> None:
    f = _gbk_ledger(tmp_path, b"\xff", times=5)
    con = store.memory_store()
    text = refused(importer.import_file(con, f))
    assert "第 4 行起含无法解码的字节 0xFF" in text and "undecodable byte 0xFF on line 4" in text
    assert one(con, "SELECT count(*) FROM costs") == 0


# --------------------------------------------------------------------------------------------- wide layouts


def test_one_column_per_month_is_unpivoted_into_a_budget(tmp_path: Path) -> None:
    f = xlsx(
        tmp_path / "互联网医院预算.xlsx",
        [
            ["2025 年度信息化预算(单位：万元)"],
            ["预算科目", "2025年1月", "2025年2月", "2025年3月"],
            ["一、硬件购置", None, None, None],
            ["服务器", 10, 0, 5.5],
            ["网络设备", 2, "3", None],
            ["二、软件", None, None, None],
            ["电子病历", 20, 20, 20],
            ["合计", 32, 23, 25.5],
        ],
    )
    con = store.memory_store()
    res = loaded(importer.import_file(con, f, project="互联网医院"))
    # 8 month cells with a value (the empty one is no value); 万元 from the title line
    assert res.rows == 8
    assert one(con, "SELECT sum(amount) FROM budget") == 805_000.0
    got = con.execute("SELECT period, sum(amount) FROM budget GROUP BY period ORDER BY period").fetchall()
    assert [(d.isoformat(), a) for d, a in got] == [
        ("2025-01-01", 320_000.0),
        ("2025-02-01", 230_000.0),
        ("2025-03-01", 255_000.0),
    ]
    assert any("宽表" in n and "3 个期间列" in n and "B–D" in n for n in res.notes), res.notes
    assert any("单位：万元（取自第 1 行）" in n for n in res.notes)
    warn = {p.message for p in res.problems}
    assert any("2 行在所有期间都没有数值(第 3、6 行)" in m for m in warn), warn  # 一、硬件购置 and 二、软件
    assert "合计/小计行，未计入数据。 / Total row left out." in warn


def test_heading_rows_between_groups_are_section_labels_not_errors(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "合同台账.csv",
        [
            ["日期", "项目", "费用类别", "金额(元)", "状态"],
            ["一、硬件购置", "", "", "", ""],
            ["2025-03-01", "HIS", "服务器", "120,000.00", "已签约"],
            ["二、软件", "", "", "", ""],
            ["2025-03-02", "HIS", "电子病历", "300000", "合同"],
        ],
    )
    con = store.memory_store()
    res = loaded(importer.import_file(con, f))
    assert con.execute("SELECT stage, sum(amount) FROM costs GROUP BY ALL").fetchall() == [("committed", 420_000.0)]
    heads = [p for p in res.problems if p.message.startswith("分组标题行")]
    assert [(p.row, p.value) for p in heads] == [(2, "一、硬件购置"), (4, "二、软件")]
    assert all("Section heading left out" in p.message for p in heads)


@pytest.mark.parametrize(
    ("headers", "periods"),
    [
        (["Y2018", "Y2019", "Y2020"], ["2018-01-01", "2019-01-01", "2020-01-01"]),
        (["2020年", "2019年", "2018年"], ["2020-01-01", "2019-01-01", "2018-01-01"]),
        (["2025-03", "2025-04", "2025-05"], ["2025-03-01", "2025-04-01", "2025-05-01"]),
        (["2025.04", "2025.05", "2025.06"], ["2025-04-01", "2025-05-01", "2025-06-01"]),
        (["202503", "202504", "202505"], ["2025-03-01", "2025-04-01", "2025-05-01"]),
        (["2025/3", "2025/4", "2025/5"], ["2025-03-01", "2025-04-01", "2025-05-01"]),
        (["3月", "4月", "5月"], ["2025-03-01", "2025-04-01", "2025-05-01"]),  # the year is in the title
    ],
)
def test_kpi_sheet_with_periods_as_columns_loads_as_kpis(
    tmp_path: Path, headers: list[str], periods: list[str]
) -> None:
    f = xlsx(
        tmp_path / "指标.xlsx",
        [
            ["2025年度绩效考核指标数据填报表"],
            ["项目", "单位", "行次", *headers, "说明"],
            ["栏次", "0", "0", "1", "2", "3", ""],
            ["1.平均住院日", "天", "1", "8.5", 8.25, "8", ""],
            ["2.门诊患者满意度▲", "%", "2", "95.2", "--", "", "问卷"],
            ["3.住院患者满意度", "%", "3", "", "", "", "未开展"],
        ],
    )
    con = store.memory_store()
    res = loaded(importer.import_file(con, f))
    said = " ".join(res.notes)
    assert ("按 2025 年导入" in said) == (headers[0] == "3月"), said  # a year taken from the title is said
    got = con.execute("SELECT kpi, period, value, unit, department FROM kpis ORDER BY kpi, period").fetchall()
    assert [(k, d.isoformat(), v, u, dep) for k, d, v, u, dep in got] == sorted(
        [
            ("1.平均住院日", periods[0], 8.5, "天", None),
            ("1.平均住院日", periods[1], 8.25, "天", None),
            ("1.平均住院日", periods[2], 8.0, "天", None),
            ("2.门诊患者满意度▲", periods[0], 95.2, "%", None),
        ]
    )
    assert any("没有数值" in p.message and p.row == 6 for p in res.problems)


def test_one_sheet_per_department_names_the_department(tmp_path: Path) -> None:
    rows = [
        ["ID", "数据名", "单位", "Y2019", "Y2020"],
        ["221", "CMI值", "", "0.95", "0.99"],
        ["", "电子病历应用功能水平分级", "", "3级", "4级"],
    ]
    f = xlsx(tmp_path / "院内资料库.xlsx", rows, sheet="医院", extra={"心病一科 ": rows[:2]})
    con = store.memory_store()
    results = importer.import_file(con, f)
    assert [r.status for r in results] == ["loaded", "loaded"], messages(results)
    got = con.execute("SELECT department, kpi, year(period), value, unit FROM kpis ORDER BY ALL").fetchall()
    assert got == [
        ("心病一科", "CMI值", 2019, 0.95, None),
        ("心病一科", "CMI值", 2020, 0.99, None),
        (None, "CMI值", 2019, 0.95, None),
        (None, "CMI值", 2020, 0.99, None),
        (None, "电子病历应用功能水平分级", 2019, 3.0, "级"),
        (None, "电子病历应用功能水平分级", 2020, 4.0, "级"),
    ]


def test_one_column_per_kpi_is_unpivoted(tmp_path: Path) -> None:
    f = xlsx(
        tmp_path / "急诊.xlsx",
        [
            ["急诊运行月报"],
            [],
            ["统计月份", "急诊人次", "4小时内离院比例"],
            ["2025-01", 1200, 0.951],
            ["2025-02", 1100, 0.96],
        ],
    )
    wb = openpyxl.load_workbook(f)
    ws = wb.active
    assert ws is not None
    ws["C4"].number_format = ws["C5"].number_format = "0.0%"
    wb.save(f)
    con = store.memory_store()
    res = loaded(importer.import_file(con, f))
    got = con.execute("SELECT period, kpi, value, unit FROM kpis ORDER BY period, kpi").fetchall()
    assert [(d.isoformat(), k, v, u) for d, k, v, u in got] == [
        ("2025-01-01", "4小时内离院比例", 95.1, "%"),
        ("2025-01-01", "急诊人次", 1200.0, None),
        ("2025-02-01", "4小时内离院比例", 96.0, "%"),
        ("2025-02-01", "急诊人次", 1100.0, None),
    ]
    assert any("2 个指标列" in n for n in res.notes)


def test_a_data_row_with_two_year_like_numbers_is_not_a_period_header(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "x.csv",
        [["编号", "名称", "城市", "年份", "邮编"], ["1215976675", "某医院", "Anniston", "2012", "2018"]],
    )
    text = refused(importer.import_file(store.memory_store(), f))
    assert "宽表" not in text


# --------------------------------------------------------------------------------------------- staging files


def test_staging_files_live_in_the_store_folder_private_and_swept(tmp_path: Path) -> None:
    import os
    import stat

    from loaders import staging

    db = tmp_path / "cockpit.duckdb"
    folder = tmp_path / "cockpit.staging"
    folder.mkdir()
    dead = folder / "stage-999999999-abc.duckdb"  # left by a process that was killed (no such pid)
    dead.write_bytes(b"x")
    mine = folder / f"stage-{os.getpid()}-keep.csv"
    mine.write_bytes(b"x")
    con = store.open_store(str(db))
    try:
        # a GBK CSV is transcoded to a UTF-8 copy: it is made in the store's staging folder, then removed
        f = write_csv(
            tmp_path / "台账.csv",
            [["日期", "项目", "类别", "金额", "状态"], ["2025-03-05", "HIS", "硬件", "1", "已付款"]],
            encoding="gb18030",
        )
        seen: list[Path] = []
        real = staging.text_copy

        def spy(suffix: str = ".csv", db_file: Any = None) -> Any:
            fh = real(suffix, db_file)
            seen.append(Path(fh.name))
            return fh

        staging.text_copy = spy  # type: ignore[assignment]
        try:
            big = tmp_path / "big.csv"
            header = "日期,项目,类别,金额,状态\n".encode("gb18030")
            big.write_bytes(header + "2025-03-05,HIS,硬件,1,已付款\n".encode("gb18030") * 450_000)
            assert big.stat().st_size > 8_000_000
            (prep,) = importer.prepare(big, con=con)
            prep.discard()
            loaded(importer.import_file(con, f))
        finally:
            staging.text_copy = real  # type: ignore[assignment]
        assert seen and all(p.parent == folder for p in seen)
        assert not any(p.exists() for p in seen)
    finally:
        con.close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not dead.exists() and mine.exists()


# --------------------------------------------------------------------------------------------- risk registers


def test_a_register_with_only_a_level_is_refused_saying_exactly_that(tmp_path: Path) -> None:
    f = xlsx(
        tmp_path / "PACS风险登记册.xlsx",
        [["风险编号", "风险描述", "风险等级", "责任人"], ["R1", "接口延期", "高", "张三"]],
    )
    con = store.memory_store()
    text = refused(importer.import_file(con, f))
    assert "只有「风险等级」(C 列，如 高/中/低)，没有「可能性」和「影响」两列" in text
    assert "has only a level ('风险等级', column C" in text and "never guessed" in text
    assert one(con, "SELECT count(*) FROM risks") == 0


def test_inherent_and_residual_columns_with_the_same_names_are_told_apart(tmp_path: Path) -> None:
    f = xlsx(
        tmp_path / "register.xlsx",
        [
            ["Project Risk Register"],
            [
                "Risk ID",
                "Risk Description (There is a risk that….)",
                "Likelihood",
                "Impact/ Concequence",
                "Strategy",
                "Likelihood",
                "Impact/ Concequence",
            ],
            ["1", "There is a risk that key staff leave", "Almost Certain", "Major", "Mitigate", "Unlikely", "Major"],
            ["2", "There is a risk that the vendor is late", "Possible", "Catastrophic", "Accept", "Rare", "Moderate"],
        ],
    )
    con = store.memory_store()
    res = loaded(importer.import_file(con, f, project="HIS"))
    assert res.rows == 2
    got = con.execute(
        "SELECT risk_id, likelihood, impact, residual_likelihood, residual_impact FROM risks ORDER BY 1"
    ).fetchall()
    assert got == [("1", 5, 4, 2, 4), ("2", 3, 5, 1, 3)]


def test_a_header_that_merely_contains_a_word_is_matched_with_its_confidence(tmp_path: Path) -> None:
    from loaders.headers import word_match

    assert word_match("costs", "报销日期", set())[0] == ("date", 0.75)
    assert word_match("usage", "所属科室", set())[0] == ("department", 0.75)
    assert word_match("kpis", "统计月份", set())[0][0] == "period"
    (prep,) = importer.prepare(
        write_csv(
            tmp_path / "l.csv",
            [["报销日期", "项目", "费用类别", "金额（含税）", "状态"], ["2025-01-02", "HIS", "差旅", "10", "已付款"]],
        )
    )
    how = {c.header: (c.field, c.how, c.confidence) for c in prep.columns}
    assert how["报销日期"] == ("date", "words", 0.75)
    assert how["金额（含税）"][0] == "amount"


def test_a_doubtful_header_is_asked_never_guessed(tmp_path: Path) -> None:
    rows = [
        ["Risk ID", "Risk", "Impact Level Rate 1 (LOW) to 5 (HIGH)", "Probability Level Rate"],
        ["R1", "x", "3", "2"],
    ]
    con = store.memory_store()
    text = refused(importer.import_file(con, write_csv(tmp_path / "r.csv", rows)))
    assert "缺少必填列" in text
    guess = importer.guess_header(tmp_path / "r.csv", "r.csv")
    assert guess is not None
    cols = {c.header: c for c in guess[1]}
    assert cols["Impact Level Rate 1 (LOW) to 5 (HIGH)"].how == "doubtful"
    assert "impact" in cols["Impact Level Rate 1 (LOW) to 5 (HIGH)"].candidates


# --------------------------------------------------------------------------------------------- month forms


def test_month_forms_in_a_long_table(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "kpi.csv",
        [
            ["统计月份", "指标", "数值"],
            ["2025年3月", "A", "1"],
            ["2025-04", "A", "2"],
            ["2025.05", "A", "3"],
            ["202506", "A", "4"],
            ["2025/7", "A", "5"],
        ],
    )
    con = store.memory_store()
    loaded(importer.import_file(con, f))
    got = [d.isoformat() for (d,) in con.execute("SELECT period FROM kpis ORDER BY value").fetchall()]
    assert got == ["2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01", "2025-07-01"]


def test_month_only_with_the_year_in_the_title(tmp_path: Path) -> None:
    f = xlsx(tmp_path / "k.xlsx", [["2025年门诊指标"], ["月份", "指标", "数值"], ["3月", "A", 1], ["12月", "A", 2]])
    con = store.memory_store()
    loaded(importer.import_file(con, f))
    got = [d.isoformat() for (d,) in con.execute("SELECT period FROM kpis ORDER BY value").fetchall()]
    assert got == ["2025-03-01", "2025-12-01"]


def test_month_only_without_a_year_anywhere_is_refused(tmp_path: Path) -> None:
    f = xlsx(tmp_path / "k.xlsx", [["月份", "指标", "数值"], ["3月", "A", 1]])
    text = refused(importer.import_file(store.memory_store(), f))
    assert "无法识别的日期「3月」" in text and "unrecognised date" in text


def test_a_number_cell_2025_1_is_asked_january_or_october(tmp_path: Path) -> None:
    f = xlsx(tmp_path / "k.xlsx", [["月份", "指标", "数值"], [2025.1, "A", 1], [2025.04, "A", 2]])
    text = refused(importer.import_file(store.memory_store(), f))
    assert "是 1 月还是 10 月" in text and "January or October" in text


def test_one_column_per_department_with_the_month_in_the_title(tmp_path: Path) -> None:
    f = xlsx(
        tmp_path / "科室指标.xlsx",
        [
            ["2025年3月 各科室病历质量指标"],
            ["指标名称", "单位", "心内科", "骨科", "急诊科"],
            ["病历甲级率", "%", 96.5, "97", "-"],
            ["平均住院日", "天", 7.2, 9.8, 1.5],
        ],
    )
    con = store.memory_store()
    res = loaded(importer.import_file(con, f))
    got = con.execute("SELECT period, kpi, department, value, unit FROM kpis ORDER BY kpi, department").fetchall()
    assert [(d.isoformat(), k, dep, v, u) for d, k, dep, v, u in got] == [
        ("2025-03-01", "平均住院日", "心内科", 7.2, "天"),
        ("2025-03-01", "平均住院日", "急诊科", 1.5, "天"),
        ("2025-03-01", "平均住院日", "骨科", 9.8, "天"),
        ("2025-03-01", "病历甲级率", "心内科", 96.5, "%"),
        ("2025-03-01", "病历甲级率", "骨科", 97.0, "%"),
    ]
    assert any("3 个科室列" in n and "2025-03-01" in n for n in res.notes), res.notes


def test_a_two_level_impact_over_sub_columns_is_asked_then_mapped(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["风险登记册"])
    ws.append(["项目名称：", None, None, None, None, None, "准备日期："])
    ws.append(["风险编号", "风险说明书", "概率", "影响", None, None, None, "状态"])
    ws.append([None, None, None, "范围", "质量", "进度", "成本", None])
    ws.append(["R1", "接口延期", "高", 2, 1, 5, 3, "打开"])
    ws.merge_cells("D3:G3")
    for col in "ABCH":
        ws.merge_cells(f"{col}3:{col}4")
    f = tmp_path / "HIS风险登记册.xlsx"
    wb.save(f)
    con = store.memory_store()
    text = refused(importer.import_file(con, f))
    assert "缺少必填列「影响/impact」" in text and "required columns are missing: impact" in text
    guess = importer.guess_header(f, f.name)
    assert guess is not None and guess[0] == "risks"
    cols = {c.header: c for c in guess[1]}
    assert cols["影响/进度"].how == "doubtful" and cols["影响/进度"].candidates == ("impact",)
    assert cols["影响/进度"].letter == "F"
    (prep,) = importer.prepare(f, mapping={"影响/进度": "impact"})
    importer.commit(con, prep)
    got = con.execute("SELECT risk_id, likelihood, impact, project FROM risks").fetchall()
    assert got == [("R1", 4, 5, "HIS")]


def test_a_month_without_its_year_says_where_the_year_came_from(tmp_path: Path) -> None:
    header = ["月份", "科室", "系统", "活跃用户数", "应使用人数"]
    titled = xlsx(tmp_path / "使用情况.xlsx", [["2026年 各科室系统使用情况"], header, ["3月", "心内科", "EMR", 4, 5]])
    con = store.memory_store()
    (res,) = importer.import_file(con, titled)
    assert res.status == "loaded", res.message
    assert one(con, "SELECT period FROM usage") == dt.date(2026, 3, 1)
    assert any("「3月」等没有写年份，按 2026 年读取（取自「2026年 各科室系统使用情况」）" in n for n in res.notes), (
        res.notes
    )
    named = xlsx(tmp_path / "2025年使用情况.xlsx", [header, ["3月", "心内科", "EMR", 4, 5]])
    (res,) = importer.import_file(store.memory_store(), named)
    assert any("按 2025 年读取（取自「2025年使用情况.xlsx」）" in n for n in res.notes), res.notes
    dated = xlsx(tmp_path / "2024年使用.xlsx", [header, ["2026-03", "心内科", "EMR", 4, 5]])
    (res,) = importer.import_file(store.memory_store(), dated)
    assert res.status == "loaded" and not any("没有写年份" in n for n in res.notes), res.notes  # no year was taken
    bare = xlsx(tmp_path / "用量.xlsx", [header, ["3月", "心内科", "EMR", 4, 5]])
    con = store.memory_store()
    text = refused(importer.import_file(con, bare))
    assert "无法识别的日期「3月」" in text  # no year anywhere: refused, never guessed
    assert one(con, "SELECT count(*) FROM usage") == 0
