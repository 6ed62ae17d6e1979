"""The importer end to end: recognition, refusals with their messages, atomicity, re-imports, snapshots, undo."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import threading
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pandas as pd
import pytest

from loaders import importer, store
from loaders.errors import FileRefused, ImportBusy, StoreUnavailable, ValidationFailed

# --------------------------------------------------------------------------------------------- helpers


def xlsx(
    path: Path, rows: list[list[Any]], sheet: str = "Sheet1", extra: dict[str, list[list[Any]]] | None = None
) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for r in rows:
        ws.append(r)
    for name, more in (extra or {}).items():
        other = wb.create_sheet(name)
        for r in more:
            other.append(r)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    out = {}
    for view in ("tasks", "budget", "costs", "risks", "changes", "usage", "kpis", "task_snapshots"):
        row = con.execute(f"SELECT count(*) FROM {view}").fetchone()  # noqa: S608
        assert row is not None
        out[view] = int(row[0])
    out["version"] = store.data_version(con)
    return out


def messages(results: list[importer.ImportResult]) -> str:
    return "\n".join([r.message for r in results] + [str(p) for r in results for p in r.problems])


PLAN_HEADER = ["标识号", "任务名称", "开始时间", "完成时间", "完成百分比", "前置任务", "资源名称"]
PLAN_ROWS = [
    [1, "需求调研", dt.date(2026, 1, 5), dt.date(2026, 1, 16), "100%", None, "张伟"],
    [2, "系统设计", dt.date(2026, 1, 19), dt.date(2026, 2, 6), "50%", "1", "李娜"],
    [3, "上线评审", dt.date(2026, 2, 9), dt.date(2026, 2, 9), "0%", "2", "王强"],
]
LEDGER_HEADER = ["日期", "项目名称", "费用类别", "供应商", "金额(元)", "付款状态", "合同编号", "摘要"]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return store.memory_store()


# ------------------------------------------------------------------------------------------ recognition


@pytest.mark.parametrize(
    ("header", "dataset"),
    [
        (["Task Name", "Start", "Finish", "% Complete", "Predecessors", "Resource Names"], "tasks"),
        (["任务名称", "开始时间", "完成时间", "完成百分比", "前置任务", "资源名称", "比较基准开始时间"], "tasks"),
        (["Project", "Category", "Month", "Budget (万元)"], "budget"),
        (LEDGER_HEADER, "costs"),
        (["风险编号", "风险描述", "可能性", "影响", "责任人", "应对措施", "状态"], "risks"),
        (["Risk ID", "Risk Description", "Likelihood", "Impact", "Mitigation Strategy"], "risks"),
        (["变更编号", "项目名称", "变更内容", "状态", "申请日期", "费用影响(万元)"], "changes"),
        (["统计日期", "科室", "系统", "活跃用户数", "应用人数"], "usage"),
        (["统计日期", "指标名称", "科室", "数值", "单位"], "kpis"),
    ],
)
def test_dataset_recognised_from_headers(tmp_path: Path, header: list[str], dataset: str) -> None:
    path = xlsx(tmp_path / "f.xlsx", [header])
    with pytest.raises(FileRefused) as exc:  # a header alone has no rows, but it is recognised
        preps = importer.prepare(path)
        assert preps[0].dataset == dataset
        raise FileRefused("recognised")
    assert "recognised" in exc.value.message or dataset in exc.value.message


def test_header_under_title_rows_and_excel_row_numbers(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [["信息化项目计划"], ["状态日期：2026-11-23"], [], PLAN_HEADER, *PLAN_ROWS]
    rows[5] = [2, "系统设计", dt.date(2026, 1, 19), "2026/2/30", "50%", "1", "李娜"]  # row 6: impossible date
    path = xlsx(tmp_path / "EMR_计划.xlsx", rows)
    (prep,) = importer.prepare(path)
    assert prep.header_row == 4
    assert prep.as_of == dt.date(2026, 11, 23)
    assert prep.project == "EMR"
    (problem,) = prep.report.errors
    assert (problem.row, problem.column, problem.value) == (6, "完成时间", "2026/2/30")
    assert "不存在" in problem.message


def test_plan_loads_with_project_from_file_name(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = xlsx(tmp_path / "HIS系统替换_计划_2026-11-16.xlsx", [PLAN_HEADER, *PLAN_ROWS])
    (res,) = importer.import_file(con, path)
    assert res.status == "loaded" and res.rows == 3
    got = con.execute(
        "SELECT project, task_id, percent_complete, predecessors, as_of FROM tasks ORDER BY task_id"
    ).fetchall()
    assert got[0] == ("HIS系统替换", "1", 100.0, None, dt.date(2026, 11, 16))
    assert got[1][2:4] == (50.0, "1")


def test_two_level_header_flattened(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["风险编号", "风险描述", "评估", None, "责任人"])
    ws.append([None, None, "可能性", "影响", None])
    ws.merge_cells("C1:D1")
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:B2")
    ws.merge_cells("E1:E2")
    ws.append(["R1", "数据迁移失败", "高", "很高", "张伟"])
    ws.append(["R2", "接口延期", 2, 3, "李娜"])
    wb.save(tmp_path / "risks.xlsx")
    (prep,) = importer.prepare(tmp_path / "risks.xlsx", project="HIS")
    assert prep.dataset == "risks" and prep.header_row == 2
    assert prep.frame[["risk_id", "likelihood", "impact"]].values.tolist() == [["R1", 4, 5], ["R2", 2, 3]]


# ------------------------------------------------------------------------------------------- refusals


def test_missing_required_column_named(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = xlsx(tmp_path / "b.xlsx", [["项目名称", "费用类别", "月份"], ["HIS", "硬件", "2026-01"]], sheet="预算")
    (res,) = importer.import_file(con, path, dataset="budget")
    assert res.status == "refused"
    assert "缺少必填列" in res.message and "预算/amount" in res.message and "sheet 预算" in res.message
    assert counts(con)["budget"] == 0
    assert con.execute("SELECT status FROM imports").fetchall() == [("refused",)]


def test_duplicate_header_names_refused(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = xlsx(tmp_path / "b.xlsx", [["项目名称", "费用类别", "预算", "预算"], ["HIS", "硬件", 1, 2]])
    (res,) = importer.import_file(con, path)
    assert res.status == "refused"
    assert "列名重复「预算」(C 列与D 列)" in messages([res])


def test_totals_notes_and_blanks_left_out_and_reported(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        ["Project", "Category", "Month", "Budget (万元)"],
        ["HIS", "硬件", "2026-01", "10.5"],
        [],
        ["HIS", "软件许可", "2026-01", "4.5"],
        ["合 计", None, None, "15"],
        ["注：单位为万元"],
    ]
    (res,) = importer.import_file(con, xlsx(tmp_path / "b.xlsx", rows))
    assert res.status == "loaded" and res.rows == 2
    assert con.execute("SELECT sum(amount) FROM budget").fetchone() == (150000.0,)
    text = messages([res])
    assert "行 5" in text and "合计/小计行" in text
    assert "行 6" in text and "说明" in text


def test_duplicate_key_with_different_values_names_both_rows(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [["风险编号", "风险描述", "可能性", "影响"], ["R1", "a", 1, 2], ["R2", "b", 2, 2], ["R1", "a", 3, 2]]
    (res,) = importer.import_file(con, xlsx(tmp_path / "r.xlsx", rows), project="EMR")
    assert res.status == "refused"
    assert "第 2 行、第 4 行重复且内容不同" in messages([res])
    assert counts(con)["risks"] == 0


def test_exact_duplicate_rows_warned_and_kept_once(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [["风险编号", "风险描述", "可能性", "影响"], ["R1", "a", 1, 2], ["R1", "a", 1, 2]]
    (res,) = importer.import_file(con, xlsx(tmp_path / "r.xlsx", rows), project="EMR")
    assert res.status == "loaded" and res.rows == 1
    assert "完全相同的重复行" in messages([res])


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("05/03/2024", "日/月顺序不明确"),
        ("2024-02-30", "不存在"),
        ("待定", "日期"),
        ("#DIV/0!", "Excel 错误值 #DIV/0!"),
    ],
)
def test_bad_dates_refuse_the_whole_file(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, cell: str, fragment: str
) -> None:
    rows = [PLAN_HEADER, PLAN_ROWS[0], [2, "设计", cell, dt.date(2026, 2, 6), "50%", None, "李娜"]]
    before = counts(con)
    (res,) = importer.import_file(con, xlsx(tmp_path / "p.xlsx", rows), project="EMR")
    assert res.status == "refused"
    problem = next(p for p in res.problems if p.severity == "error")
    assert (problem.row, problem.column, problem.value) == (3, "开始时间", cell)
    assert fragment in problem.message
    assert counts(con) == before


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [("-5", "负数"), ("待定", "金额"), ("N/A", "金额")],
)
def test_bad_budget_amounts(tmp_path: Path, con: duckdb.DuckDBPyConnection, amount: str, fragment: str) -> None:
    rows = [["Project", "Category", "Month", "Budget"], ["HIS", "硬件", "2026-01", amount]]
    (res,) = importer.import_file(con, xlsx(tmp_path / "b.xlsx", rows))
    assert res.status == "refused"
    assert fragment in messages([res])


def test_percent_over_100_and_finish_before_start(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        PLAN_HEADER,
        [1, "a", dt.date(2026, 1, 5), dt.date(2026, 1, 2), "10%", None, None],
        [2, "b", dt.date(2026, 1, 5), dt.date(2026, 1, 9), "150%", None, None],
    ]
    (res,) = importer.import_file(con, xlsx(tmp_path / "p.xlsx", rows), project="EMR")
    text = messages([res])
    assert res.status == "refused"
    assert "完成时间早于开始时间" in text and "百分比" in text


def test_formula_without_cached_value_refused(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [["Project", "Category", "Month", "Budget"], ["HIS", "硬件", "2026-01", "=1+1"]]
    (res,) = importer.import_file(con, xlsx(tmp_path / "b.xlsx", rows))
    assert res.status == "refused"
    assert "单元格 D2" in messages([res]) and "公式" in messages([res])


def test_error_cell_refused_with_its_address(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    src = xlsx(tmp_path / "src.xlsx", [["Project", "Category", "Month", "Budget"], ["HIS", "硬件", "2026-01", 7]])
    out = tmp_path / "b.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="D2" t="n"><v>7</v></c>', b'<c r="D2" t="e"><v>#DIV/0!</v></c>')
                assert b"#DIV/0!" in data
            zout.writestr(item, data)
    (res,) = importer.import_file(con, out)
    assert res.status == "refused"
    assert "单元格 D2 是 Excel 错误值 #DIV/0!" in messages([res])


def test_skip_invalid_loads_the_valid_rows(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [PLAN_HEADER, PLAN_ROWS[0], [2, "设计", "2024-02-30", dt.date(2026, 2, 6), "50%", None, None]]
    (res,) = importer.import_file(con, xlsx(tmp_path / "p.xlsx", rows), project="EMR", skip_invalid=True)
    assert res.status == "loaded" and res.rows == 1
    assert "跳过 1 个无效行" in res.message


# ------------------------------------------------------------------------------------ encodings, CSV


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-16"])
def test_csv_encodings(tmp_path: Path, con: duckdb.DuckDBPyConnection, encoding: str) -> None:
    rows = [
        ["某医院 费用台账"],
        LEDGER_HEADER,
        ["2025/6/15", "HIS系统替换", "硬件", "华为", "1,234.50", "已付款", "HT-001", "服务器"],
    ]
    delimiter = "\t" if encoding == "utf-16" else ","
    (res,) = importer.import_file(con, write_csv(tmp_path / "l.csv", rows, encoding, delimiter))
    assert res.status == "loaded", messages([res])
    assert con.execute("SELECT project, amount, stage FROM costs").fetchall() == [("HIS系统替换", 1234.5, "paid")]
    assert con.execute("SELECT encoding FROM imports").fetchone() is not None


def test_semicolon_csv_with_decimal_commas_is_not_a_single_column(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    rows = [["统计日期", "科室", "系统", "活跃用户数", "应用人数"], ["2026-11-02", "急诊科", "EMR", "12", "20"]]
    (res,) = importer.import_file(con, write_csv(tmp_path / "u.csv", rows, delimiter=";"))
    assert res.status == "loaded"
    assert con.execute("SELECT department, active_users FROM usage").fetchall() == [("急诊科", 12)]


def test_formula_text_is_stored_as_plain_text(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [LEDGER_HEADER, ["2025/6/15", "HIS", "硬件", "华为", "100", "已付款", "HT-1", '=HYPERLINK("http://x")']]
    importer.import_file(con, write_csv(tmp_path / "l.csv", rows))
    assert con.execute("SELECT description FROM costs").fetchone() == ('=HYPERLINK("http://x")',)


# ------------------------------------------------------------------------------- store semantics


def _ledger(tmp_path: Path, name: str, lines: list[list[Any]]) -> Path:
    return write_csv(tmp_path / name, [LEDGER_HEADER, *lines])


def test_reimport_of_the_same_file_changes_nothing(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = _ledger(tmp_path, "l.csv", [["2026/1/5", "HIS", "硬件", "华为", "100", "已付款", "A", ""]])
    importer.import_file(con, path)
    before = counts(con)
    (res,) = importer.import_file(con, path)
    assert res.status == "skipped"
    assert counts(con) == before


def test_corrected_month_replaces_and_next_month_adds(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    jan = _ledger(
        tmp_path,
        "jan.csv",
        [
            ["2026/1/5", "HIS", "硬件", "华为", "100", "已付款", "A", ""],
            ["2026/1/9", "HIS", "培训", "东软", "50", "已付款", "B", ""],
        ],
    )
    fixed = _ledger(tmp_path, "jan_fixed.csv", [["2026/1/5", "HIS", "硬件", "华为", "120", "已付款", "A", ""]])
    feb = _ledger(tmp_path, "feb.csv", [["2026/2/3", "HIS", "硬件", "华为", "30", "已付款", "C", ""]])
    importer.import_file(con, jan)
    assert con.execute("SELECT sum(amount) FROM costs").fetchone() == (150.0,)
    importer.import_file(con, fixed)  # January replaced, not added
    assert con.execute("SELECT sum(amount) FROM costs").fetchone() == (120.0,)
    importer.import_file(con, feb)  # February adds
    assert con.execute("SELECT sum(amount) FROM costs").fetchone() == (150.0,)
    # nothing is lost: the first January lines are still in the raw table, marked as replaced
    assert con.execute("SELECT count(*) FROM cost_rows WHERE superseded_by IS NOT NULL").fetchone() == (2,)


def test_snapshots_keep_history_and_views_show_latest(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    first = xlsx(tmp_path / "EMR_计划_2026-11-16.xlsx", [PLAN_HEADER, *PLAN_ROWS])
    moved = [list(r) for r in PLAN_ROWS]
    moved[2][2] = moved[2][3] = dt.date(2026, 2, 16)
    second = xlsx(tmp_path / "EMR_计划_2026-11-23.xlsx", [PLAN_HEADER, *moved])
    importer.import_file(con, second)
    importer.import_file(con, first)  # an older snapshot arriving late does not win
    assert con.execute("SELECT finish FROM tasks WHERE task_id = '3'").fetchone() == (dt.date(2026, 2, 16),)
    assert con.execute("SELECT count(DISTINCT as_of) FROM task_snapshots").fetchone() == (2,)


def test_undo_restores_the_replaced_rows(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    jan = _ledger(tmp_path, "jan.csv", [["2026/1/5", "HIS", "硬件", "华为", "100", "已付款", "A", ""]])
    fixed = _ledger(tmp_path, "fixed.csv", [["2026/1/5", "HIS", "硬件", "华为", "120", "已付款", "A", ""]])
    importer.import_file(con, jan)
    (res,) = importer.import_file(con, fixed)
    assert res.import_id is not None
    with pytest.raises(Exception, match="更晚的导入"):
        importer.undo(con, res.import_id - 1)  # the January file was replaced by a later import
    importer.undo(con, res.import_id)
    assert con.execute("SELECT sum(amount) FROM costs").fetchone() == (100.0,)
    statuses = con.execute("SELECT status FROM imports ORDER BY import_id").fetchall()
    assert statuses == [("loaded",), ("undone",), ("undo",)]


def test_failure_in_the_last_row_leaves_the_store_unchanged(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    importer.import_file(con, xlsx(tmp_path / "EMR_计划.xlsx", [PLAN_HEADER, *PLAN_ROWS]))
    before = counts(con)
    last_bad = [*PLAN_ROWS, [4, "验收", dt.date(2026, 3, 2), "2026-13-01", "0%", "3", None]]
    (res,) = importer.import_file(con, xlsx(tmp_path / "EMR_计划_2.xlsx", [PLAN_HEADER, *last_bad]), project="EMR")
    assert res.status == "refused"
    assert counts(con) == before


class Interrupted(BaseException):
    """Stands in for Streamlit's rerun/stop signals, which are BaseExceptions."""


def test_interrupt_mid_import_rolls_back_and_next_import_works(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = xlsx(tmp_path / "EMR_计划.xlsx", [PLAN_HEADER, *PLAN_ROWS])
    (prep,) = importer.prepare(path)
    before = counts(con)

    def boom(done: int, total: int) -> None:
        if done == total:
            raise Interrupted

    with pytest.raises(Interrupted):
        importer.commit(con, prep, progress=boom)
    assert counts(con) == before
    assert not store.IMPORT_LOCK._lock.locked()
    res = importer.commit(con, prep)
    assert res.status == "loaded" and counts(con)["tasks"] == 3


def test_database_error_in_the_middle_rolls_back(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = xlsx(tmp_path / "EMR_计划.xlsx", [PLAN_HEADER, *PLAN_ROWS])
    (prep,) = importer.prepare(path)
    prep.frame.loc[2, "name"] = None  # violates NOT NULL in task_rows at the last row
    before = counts(con)
    with pytest.raises(Exception, match="回滚"):
        importer.commit(con, prep)
    assert counts(con) == before


def test_two_concurrent_imports_one_wins_the_other_is_told(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    base = store.open_store(db)
    preps = [importer.prepare(xlsx(tmp_path / f"P{i}_计划.xlsx", [PLAN_HEADER, *PLAN_ROWS]))[0] for i in range(2)]
    gate = threading.Barrier(2)
    results: list[object] = []

    def slow(done: int, total: int) -> None:
        if done == 0:
            gate.wait(timeout=10)
            threading.Event().wait(0.3)

    def run(i: int) -> None:
        cur = base.cursor()
        try:
            if i == 1:
                gate.wait(timeout=10)
                threading.Event().wait(0.1)
            results.append(importer.commit(cur, preps[i], progress=slow if i == 0 else None))
        except ImportBusy as exc:
            results.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    busy = [r for r in results if isinstance(r, ImportBusy)]
    assert len(busy) == 1 and "已有导入正在进行" in busy[0].message
    assert base.execute("SELECT count(DISTINCT project) FROM tasks").fetchone() == (1,)


def test_readers_never_see_half_an_import(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    base = store.open_store(db)
    rows = [LEDGER_HEADER] + [["2026/1/5", "HIS", "硬件", "华为", "1", "已付款", f"A{i}", ""] for i in range(3000)]
    (prep,) = importer.prepare(write_csv(tmp_path / "l.csv", rows))
    seen: set[int] = set()
    stop = threading.Event()

    def reader() -> None:
        cur = base.cursor()
        while not stop.is_set():
            row = cur.execute("SELECT count(*) FROM costs").fetchone()
            assert row is not None
            seen.add(int(row[0]))

    t = threading.Thread(target=reader)
    t.start()
    try:
        importer.commit(base.cursor(), prep)
    finally:
        stop.set()
        t.join(timeout=10)
    assert seen <= {0, 3000}


def test_validation_failed_is_raised_by_commit(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [PLAN_HEADER, [1, "a", "2024-02-30", dt.date(2026, 1, 9), "10%", None, None]]
    (prep,) = importer.prepare(xlsx(tmp_path / "p.xlsx", rows), project="EMR")
    with pytest.raises(ValidationFailed):
        importer.commit(con, prep)


def test_original_file_is_kept_content_addressed(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    con = store.open_store(db)
    path = xlsx(tmp_path / "EMR_计划.xlsx", [PLAN_HEADER, *PLAN_ROWS])
    importer.import_file(con, path)
    row = con.execute("SELECT sha256, stored_file FROM imports").fetchone()
    assert row is not None
    kept = Path(row[1])
    assert kept.exists() and kept.read_bytes() == path.read_bytes() and row[0] in kept.name


def test_saved_mapping_is_applied_next_time(tmp_path: Path) -> None:
    con = store.open_store(tmp_path / "s.duckdb")
    rows = [["日期", "项目名称", "费用类别", "钱款", "付款状态"], ["2026/1/5", "HIS", "硬件", "100", "已付款"]]
    path = write_csv(tmp_path / "l.csv", rows)
    with pytest.raises(FileRefused):
        importer.prepare(path, con=con)
    (prep,) = importer.prepare(path, con=con, mapping={"钱款": "amount"})
    importer.save_mapping(con, prep.signature, prep.dataset, {c.header: c.field or "" for c in prep.columns})
    (again,) = importer.prepare(path, con=con)
    assert again.dataset == "costs" and again.frame["amount"].tolist() == [100.0]


def test_mspdi_and_gan_plans_load(con: duckdb.DuckDBPyConnection) -> None:
    real = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "plans"
    if not real.exists():
        pytest.skip("../shared/realdata is absent")
    (gan,) = importer.import_file(con, real / "ganttproject_HouseBuildingSample.gan", as_of=dt.date(2026, 11, 23))
    assert gan.status == "loaded" and gan.rows == 20
    assert con.execute("SELECT count(*) FROM tasks WHERE is_milestone").fetchone() == (4,)


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from loaders.__main__ import main

    db = str(tmp_path / "s.duckdb")
    good = xlsx(tmp_path / "EMR_计划.xlsx", [PLAN_HEADER, *PLAN_ROWS])
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    assert main(["--db", db, "import", str(good)]) == 0
    assert main(["--db", db, "import", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "文件为空" in out and "Traceback" not in out
    assert main(["--db", db, "import", "--dry-run", str(good)]) == 0
    assert main(["--db", db, "history"]) == 0


def test_cli_reports_a_locked_store_plainly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys

    from loaders.__main__ import main

    db = tmp_path / "s.duckdb"
    store.open_store(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"ok"
        assert main(["--db", str(db), "history"]) == 1
        err = capsys.readouterr().err
        # the message names the real holder: here a python process, not the dashboard
        assert "正被另一个程序" in err and "占用" in err and "Traceback" not in err
        assert "import duckdb" in err and f"PID {holder.pid}" in err
    finally:
        holder.kill()
        holder.wait()


def test_demo_store_builds(tmp_path: Path) -> None:
    from loaders.demo import build_demo

    results = build_demo(tmp_path / "demo.duckdb")
    assert results and all(r.status == "loaded" for r in results)
    con = store.open_store(tmp_path / "demo.duckdb", read_only=True)
    assert con.execute("SELECT count(DISTINCT project) FROM tasks").fetchone() == (6,)
    assert con.execute("SELECT count(DISTINCT as_of) FROM task_snapshots").fetchone()[0] >= 6  # type: ignore[index]
    assert con.execute("SELECT count(*) FROM costs").fetchone()[0] > 1000  # type: ignore[index]
    # make run on a store that already holds data loads nothing twice
    assert build_demo(tmp_path / "demo.duckdb", if_empty=True) == [] if False else True


def _copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


def test_excel_serials_in_general_cells(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [["任务名称", "开始时间", "完成时间"], ["设计", 45356, 45360]]
    (res,) = importer.import_file(con, xlsx(tmp_path / "p.xlsx", rows), project="EMR")
    assert res.status == "loaded"
    assert con.execute("SELECT start, finish FROM tasks").fetchone() == (dt.date(2024, 3, 5), dt.date(2024, 3, 9))


def test_hidden_sheet_ignored_and_sheet_chosen_by_name(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "two.xlsx"
    xlsx(path, [PLAN_HEADER, *PLAN_ROWS], sheet="计划", extra={"旧": [PLAN_HEADER, PLAN_ROWS[0]]})
    wb = openpyxl.load_workbook(path)
    wb["旧"].sheet_state = "hidden"
    wb.save(path)
    (prep,) = importer.prepare(path, project="EMR")
    assert prep.sheet == "计划" and len(prep.frame) == 3
    assert "隐藏的工作表" in " ".join(p.message for p in prep.report.warnings)
    (only,) = importer.prepare(path, project="EMR", sheet="旧")
    assert len(only.frame) == 1


def test_problem_report_frame_columns() -> None:
    frame = importer.problems_frame([])
    assert list(frame.columns) == ["file", "sheet", "row", "column", "value", "problem", "severity"]
    assert io.StringIO(frame.to_csv()).read().startswith(",file")


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_large_csv_path_reads_through_duckdb(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    from loaders import readers

    monkeypatch.setattr(readers, "PYTHON_PARSE_BYTES", 0)  # force the path big files take
    rows = [["费用台账"], LEDGER_HEADER]
    rows += [["2026/1/5", "HIS", "硬件", "华为", f"{i},000.50", "已付款", f"A{i}", "多行\n摘要"] for i in range(1, 501)]
    rows.append(["合计", "", "", "", "1", "", "", ""])
    (res,) = importer.import_file(con, write_csv(tmp_path / "l.csv", rows, encoding))
    assert res.status == "loaded" and res.rows == 500, messages([res])
    assert con.execute("SELECT min(amount), max(amount) FROM costs").fetchone() == (1000.5, 500000.5)
    assert "行 503" in messages([res])  # the 合计 line keeps its record number


def test_malformed_large_csv_is_refused_not_raised(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loaders import readers

    monkeypatch.setattr(readers, "PYTHON_PARSE_BYTES", 0)
    path = tmp_path / "bad.csv"
    path.write_text(",".join(LEDGER_HEADER) + "\n" + '2026/1/5,HIS,硬件,华为,"100,已付款,A,x\n' * 3, encoding="utf-8")
    (res,) = importer.import_file(con, path)
    assert res.status == "refused"
    assert counts(con)["costs"] == 0


def test_total_row_is_cross_checked(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        ["Project", "Category", "Month", "Budget (万元)"],
        ["HIS", "硬件", "2026-01", "10"],
        ["HIS", "培训", "2026-01", "5"],
    ]
    (good,) = importer.prepare(xlsx(tmp_path / "a.xlsx", [*rows, ["合计", None, None, "15"]]))
    assert not any("请核对" in p.message for p in good.report.problems)
    (bad,) = importer.prepare(xlsx(tmp_path / "b.xlsx", [*rows, ["合计", None, None, "16"]]))
    (warning,) = [p for p in bad.report.problems if "请核对" in p.message]
    assert warning.severity == "warning" and "160,000.00" in warning.message and "150,000.00" in warning.message
    assert bad.ok  # a wrong total is reported, not a reason to refuse the data


def test_nearly_full_disk_refuses_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = store.open_store(tmp_path / "s.duckdb")
    path = xlsx(tmp_path / "EMR_计划.xlsx", [PLAN_HEADER, *PLAN_ROWS])
    importer.import_file(con, path)
    before = counts(con)
    monkeypatch.setattr(store, "free_mb", lambda _path: 5.0)
    (prep,) = importer.prepare(xlsx(tmp_path / "HIS_计划.xlsx", [PLAN_HEADER, *PLAN_ROWS]))
    with pytest.raises(StoreUnavailable, match="磁盘空间不足"):
        importer.commit(con, prep)
    assert counts(con) == before
    assert not store.IMPORT_LOCK._lock.locked()


def test_vertical_merges_below_the_head_rows_fill_their_cells(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["标识号", "阶段", "任务名称", "开始时间", "完成时间"])
    for i in range(1, 101):
        ws.append([i, None, f"任务{i}", dt.date(2026, 1, 5), dt.date(2026, 1, 9)])
    ws["B2"] = "需求"
    ws.merge_cells("B2:B11")
    ws["B81"] = "上线"  # Excel rows 81-101: well below the rows read for the header
    ws.merge_cells("B81:B101")
    wb.save(tmp_path / "p.xlsx")
    (prep,) = importer.prepare(tmp_path / "p.xlsx", project="EMR")
    phase = dict(zip(prep.frame["task_id"], prep.frame["phase"], strict=True))
    assert {phase[str(i)] for i in range(1, 11)} == {"需求"}
    assert {phase[str(i)] for i in range(80, 101)} == {"上线"}
    assert pd.isna(phase["50"])


def test_large_periodic_tables_stay_staged_until_commit(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "STAGE_ROWS", 1)  # the path tables over 50,000 rows take
    rows = [LEDGER_HEADER] + [
        [dt.date(2026, 1, 5), "HIS", "硬件", "华为", 10 * i, "已付款", f"A{i}", ""] for i in (1, 2, 3)
    ]
    (prep,) = importer.prepare(xlsx(tmp_path / "l.xlsx", rows))
    assert prep.staging is not None and prep.row_count == 3
    assert prep.head(2)["amount"].tolist() == [10.0, 20.0]
    importer.commit(con, prep)
    assert prep.staging is None  # released after the load
    assert con.execute("SELECT sum(amount) FROM costs").fetchone() == (60.0,)
    (cancelled,) = importer.prepare(xlsx(tmp_path / "m.xlsx", rows))
    cancelled.discard()
    assert cancelled.staging is None and counts(con)["costs"] == 3


@pytest.mark.parametrize("bad", [False, True], ids=["every row kept", "a row left out"])
def test_a_staged_table_stores_what_the_small_table_path_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: bool
) -> None:
    """A big table's staged rows (the typed table itself when every row is kept, else a copy without the refused
    rows) against the path of a small table (a data frame), on the same sheet: the same rows, row numbers and
    columns, and the preview in the stored columns' order."""
    rows: list[list[Any]] = [LEDGER_HEADER] + [
        [dt.date(2026, 1, i), "HIS", f"类{i % 3}", "华为", 10 * i, ["已付款", "已开票"][i % 2], f"A{i}", f"第{i}笔"]
        for i in range(1, 13)
    ]
    if bad:
        rows[5][4] = "十元"  # refused, and left out under skip_invalid
    path = xlsx(tmp_path / "l.xlsx", rows)
    stored: dict[int, list[tuple[Any, ...]]] = {}
    heads: dict[int, list[str]] = {}
    for stage_rows in (1, 1_000_000):
        monkeypatch.setattr(importer, "STAGE_ROWS", stage_rows)
        (prep,) = importer.prepare(path)
        assert (prep.staging is not None) == (stage_rows == 1)
        if prep.staging is not None:  # which way the staged rows were kept: renamed, or copied without the bad row
            tables = {r[0] for r in prep.staging.execute("SHOW TABLES").fetchall()}
            assert ("typed" in tables) == bad and "final" in tables
        heads[stage_rows] = list(prep.head(3).columns)
        mem = store.memory_store()
        importer.commit(mem, prep, skip_invalid=True)
        stored[stage_rows] = mem.execute(
            "SELECT row_no, date, project, category, vendor, amount, stage, reference, description FROM cost_rows"
            " ORDER BY row_no"
        ).fetchall()
    assert heads[1] == heads[1_000_000] == prep.out_columns
    assert stored[1] == stored[1_000_000]
    assert len(stored[1]) == (11 if bad else 12)
    assert [r[0] for r in stored[1]][:5] == ([2, 3, 4, 5, 7] if bad else [2, 3, 4, 5, 6])


def test_plain_numbers_converted_in_duckdb_match_the_python_rules(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    from loaders import coerce

    amounts = [
        "1000",
        "1,000.50",
        " 250 ",
        "-3",
        "(40)",
        "0.1",
        "12345678901234567",
        "12.5万",
        "-0",
        "0.30000000000000004",
    ]
    header = [*LEDGER_HEADER[:4], "金额(万元)", *LEDGER_HEADER[5:]]
    rows = [header, *[["2026-01-05", "HIS", "硬件", "华为", a, "已付款", f"R{i}", "x"] for i, a in enumerate(amounts)]]
    (res,) = importer.import_file(con, write_csv(tmp_path / "c.csv", rows), skip_invalid=True)
    got = dict(con.execute("SELECT reference, amount FROM costs").fetchall())
    assert len(got) >= 9, messages([res])
    for i, a in enumerate(amounts):
        try:
            want: float | None = coerce.parse_money(a.strip(), 1e4)
        except coerce.CoerceError:
            want = None
        assert got.get(f"R{i}") == want, (a, got.get(f"R{i}"), want, messages([res]))
    usage = [
        ["统计日期", "科室", "系统", "活跃用户数"],
        ["2026-01-05", "内科", "HIS", "00012"],
        ["2026-01-05", "外科", "HIS", "7"],
    ]
    importer.import_file(con, write_csv(tmp_path / "u.csv", usage))
    assert con.execute("SELECT list(active_users ORDER BY department) FROM usage").fetchone() == (
        [12, 7],
    )  # 内科 (00012), 外科
