"""Two ledgers never wipe each other; a re-import replaces only rows of its own source, and says so first.

Hand-built ledgers of one project and month (figures in yuan, counted by hand):
- 付款台账.xlsx (payments, stage 已付款): HIS 2026-03: 3 lines 10,000 + 20,000 + 30,000 = 60,000
- 合同台账.xlsx (contracts, stage 已签约, other headers): HIS 2026-03: 2 lines 500,000 + 300,000 = 800,000
- 付款台账(更正).xlsx: the corrected payments ledger (same headers): 2 lines 10,000 + 25,000 = 35,000
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from loaders import importer, store
from loaders.__main__ import main
from loaders.store import replace, writes
from tests.conftest import ROOT

PAY_HEADER = ["日期", "项目名称", "费用类别", "收款单位", "金额", "付款状态", "凭证号"]
PAYMENTS = [
    [dt.date(2026, 3, 3), "HIS", "软件", "东软", 10000, "已付款", "PZ-001"],
    [dt.date(2026, 3, 10), "HIS", "软件", "东软", 20000, "已付款", "PZ-002"],
    [dt.date(2026, 3, 24), "HIS", "硬件", "浪潮", 30000, "已付款", "PZ-003"],
]
CORRECTED = [
    [dt.date(2026, 3, 3), "HIS", "软件", "东软", 10000, "已付款", "PZ-001"],
    [dt.date(2026, 3, 24), "HIS", "硬件", "浪潮", 25000, "已付款", "PZ-003"],
]
CONTRACT_HEADER = ["记账日期", "项目", "科目", "供应商", "金额(元)", "状态", "合同编号", "摘要"]
CONTRACTS = [
    [dt.date(2026, 3, 1), "HIS", "软件", "东软", 500000, "已签约", "HT-2026-01", "HIS 升级合同"],
    [dt.date(2026, 3, 15), "HIS", "硬件", "浪潮", 300000, "已签约", "HT-2026-02", "服务器采购"],
]


def xlsx(path: Path, header: list[Any], rows: list[list[Any]], sheet: str = "Sheet1") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def sums(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, float]]:
    rows = con.execute("SELECT stage, count(*), sum(amount) FROM costs GROUP BY stage ORDER BY stage").fetchall()
    return {str(r[0]): (int(r[1]), float(r[2])) for r in rows}


def test_a_payments_ledger_and_a_contracts_ledger_of_the_same_month_both_survive(tmp_path: Path) -> None:
    con = store.open_store(tmp_path / "s.duckdb")
    (pay,) = importer.import_file(con, xlsx(tmp_path / "付款台账.xlsx", PAY_HEADER, PAYMENTS))
    assert pay.status == "loaded", pay.message
    (ctr,) = importer.import_file(con, xlsx(tmp_path / "合同台账.xlsx", CONTRACT_HEADER, CONTRACTS))
    assert ctr.status == "loaded", ctr.message
    assert "替换" not in ctr.message
    assert sums(con) == {"committed": (2, 800000.0), "paid": (3, 60000.0)}
    # the corrected payments ledger: the statement before storing, then only its own rows replaced
    (prep,) = importer.prepare(xlsx(tmp_path / "付款台账(更正).xlsx", PAY_HEADER, CORRECTED), con=con)
    plan = replace.replacement_plan(con, prep)
    assert plan is not None
    assert plan.statement("zh") == "将替换 3 月 HIS 项目来自《付款台账》的 3 行"
    assert plan.statement("en") == "will replace 3 rows of project HIS for March from 《付款台账》"
    assert sums(con) == {"committed": (2, 800000.0), "paid": (3, 60000.0)}  # a preview stores nothing
    res = importer.commit(con, prep)
    assert res.status == "loaded"
    assert "替换了 3 行旧数据：3 月 HIS 项目来自《付款台账》的 3 行" in res.message
    assert sums(con) == {"committed": (2, 800000.0), "paid": (2, 35000.0)}
    # undo brings the first payments ledger back, the contracts untouched
    importer.undo(con, int(res.import_id or 0))
    assert sums(con) == {"committed": (2, 800000.0), "paid": (3, 60000.0)}


def test_same_headers_but_another_ledger_of_other_stages_is_not_replaced(tmp_path: Path) -> None:
    # both ledgers come from one finance template (same headers), so only the stage tells them apart
    con = store.open_store(tmp_path / "s.duckdb")
    importer.import_file(con, xlsx(tmp_path / "付款台账.xlsx", PAY_HEADER, PAYMENTS))
    invoices = [[dt.date(2026, 3, 5), "HIS", "软件", "东软", 40000, "已开票", "FP-9"]]
    (inv,) = importer.import_file(con, xlsx(tmp_path / "发票台账.xlsx", PAY_HEADER, invoices))
    assert inv.status == "loaded" and "替换" not in inv.message
    assert sums(con) == {"invoiced": (1, 40000.0), "paid": (3, 60000.0)}


def test_a_renamed_export_with_the_same_reference_numbers_replaces_those_rows(tmp_path: Path) -> None:
    con = store.open_store(tmp_path / "s.duckdb")
    importer.import_file(con, xlsx(tmp_path / "付款台账.xlsx", PAY_HEADER, PAYMENTS))
    other_header = ["凭证日期", "项目", "类别", "供应商", "发生额", "资金状态", "单据号"]
    again = [[dt.date(2026, 3, 10), "HIS", "软件", "东软", 22000, "已付款", "PZ-002"]]
    (res,) = importer.import_file(con, xlsx(tmp_path / "财务导出0331.xlsx", other_header, again))
    assert res.status == "loaded"
    assert "替换了 1 行旧数据：3 月 HIS 项目来自《付款台账》的 1 行" in res.message
    assert sums(con) == {"paid": (3, 62000.0)}


def test_the_dry_run_says_what_would_be_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.duckdb"
    assert main(["--db", str(db), "import", str(xlsx(tmp_path / "付款台账.xlsx", PAY_HEADER, PAYMENTS))]) == 0
    fixed = xlsx(tmp_path / "付款台账(更正).xlsx", PAY_HEADER, CORRECTED)
    capsys.readouterr()
    assert main(["--db", str(db), "import", "--dry-run", str(fixed)]) == 0
    out = capsys.readouterr().out
    assert "将替换 3 月 HIS 项目来自《付款台账》的 3 行" in out
    assert "will replace 3 rows of project HIS for March from 《付款台账》" in out
    con = store.open_store(db)
    assert sums(con) == {"paid": (3, 60000.0)}
    assert con.execute("SELECT via FROM imports WHERE status = 'loaded'").fetchall() == [("cli",)]


def test_usage_replaced_by_key_whatever_the_source(tmp_path: Path) -> None:
    con = store.open_store(tmp_path / "s.duckdb")
    header = ["月份", "科室", "系统", "活跃用户数", "应使用人数"]
    importer.import_file(con, xlsx(tmp_path / "EMR使用_2026-02.xlsx", header, [["2026-02", "心内科", "EMR", 40, 50]]))
    (res,) = importer.import_file(
        con,
        xlsx(
            tmp_path / "信息科报表.xlsx",
            header,
            [["2026-02", "心内科", "EMR", 45, 50], ["2026-02", "骨科", "EMR", 9, 10]],
        ),
    )
    assert "替换了 1 行旧数据：2 月 来自《EMR使用_2026-02》的 1 行" in res.message
    assert con.execute("SELECT department, active_users FROM usage ORDER BY 1").fetchall() == [
        ("心内科", 45),
        ("骨科", 9),
    ]


# ----------------------------------------------------------------------------------------------- faults


def test_a_full_disk_while_keeping_the_original_refuses_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "s.duckdb"
    con = store.open_store(db)
    real_copy = shutil.copyfile

    def full_disk(src: Any, dst: Any, *args: Any, **kwargs: Any) -> Any:
        Path(dst).write_bytes(Path(src).read_bytes()[:100])  # part of the file lands, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writes.shutil, "copyfile", full_disk)
    path = xlsx(tmp_path / "付款台账.xlsx", PAY_HEADER, PAYMENTS)
    (res,) = importer.import_file(con, path)
    assert res.status == "refused"
    assert "磁盘空间不足，无法保存原始文件" in res.message and "Disk full" in res.message
    files = store.files_dir(str(db))
    assert files is not None and not [p for p in files.rglob("*") if p.is_file()]  # no .part left behind
    assert con.execute("SELECT count(*) FROM costs").fetchone() == (0,)
    row = con.execute("SELECT status, file_name, message FROM imports").fetchall()
    assert len(row) == 1 and row[0][0] == "refused" and row[0][1] == "付款台账.xlsx" and "磁盘空间不足" in row[0][2]
    # the disk has room again: the same file loads
    monkeypatch.setattr(writes.shutil, "copyfile", real_copy)
    (ok,) = importer.import_file(con, path)
    assert ok.status == "loaded", ok.message
    assert sums(con) == {"paid": (3, 60000.0)}


KILLED = """
import sys, time
from pathlib import Path
from loaders import importer, store
from loaders.store import writes
con = store.open_store(sys.argv[1])
real = writes._insert
def slow(*a, **k):
    real(*a, **k)
    print("inserting", flush=True)
    time.sleep(60)
writes._insert = slow
importer.import_file(con, Path(sys.argv[2]))
"""


def test_a_killed_import_leaves_an_interrupted_record(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    store.open_store(db).close()
    path = xlsx(tmp_path / "付款台账.xlsx", PAY_HEADER, PAYMENTS)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(db), str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "inserting"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.2)
    con = store.open_store(db)
    rows = con.execute("SELECT status, file_name, message FROM imports").fetchall()
    assert [(r[0], r[1]) for r in rows] == [("interrupted", "付款台账.xlsx")]
    assert "中断" in rows[0][2]
    assert con.execute("SELECT count(*) FROM cost_rows").fetchone() == (0,)
    (res,) = importer.import_file(con, path)
    assert res.status == "loaded"
    assert sums(con) == {"paid": (3, 60000.0)}


def test_each_hospital_replaces_only_its_own_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = store.open_store(tmp_path / "s.duckdb")
    header = ["月份", "科室", "系统", "活跃用户数", "应使用人数"]
    plan_header = ["项目", "任务名称", "开始时间", "完成时间", "完成百分比"]
    for hospital, users, pct in (("总院", 40, 50), ("分院", 7, 20)):
        monkeypatch.setenv("COCKPIT_HOSPITAL", hospital)
        f = xlsx(tmp_path / f"usage_{hospital}.xlsx", header, [["2026-02", "心内科", "EMR", users, 50]])
        (res,) = importer.import_file(con, f)
        assert res.status == "loaded" and "替换" not in res.message
        p = xlsx(
            tmp_path / f"HIS计划_{hospital}.xlsx",
            plan_header,
            [["HIS", "上线", dt.date(2026, 3, 1), dt.date(2026, 3, 9), pct]],
        )
        assert importer.import_file(con, p)[0].status == "loaded"
    rows = con.execute("SELECT hospital, active_users FROM usage ORDER BY 1").fetchall()
    assert rows == [("分院", 7), ("总院", 40)]
    # both hospitals' HIS plans are the latest of their own hospital
    assert con.execute("SELECT hospital, percent_complete FROM tasks ORDER BY 1").fetchall() == [
        ("分院", 20.0),
        ("总院", 50.0),
    ]
    monkeypatch.setenv("COCKPIT_HOSPITAL", "总院")
    f = xlsx(tmp_path / "usage_总院_更正.xlsx", header, [["2026-02", "心内科", "EMR", 42, 50]])
    (res,) = importer.import_file(con, f)
    assert "替换了 1 行旧数据" in res.message
    assert con.execute("SELECT hospital, active_users FROM usage ORDER BY 1").fetchall() == [("分院", 7), ("总院", 42)]
