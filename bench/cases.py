"""One benchmark case per process, so each reports its own peak memory: `python -m bench.cases CASE ARGS`."""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path


def make_csv(path: Path, rows: int) -> None:
    """A weekly usage export: 统计日期, 科室, 系统, 活跃用户数, 应用人数 (UTF-8, as HIS reports send it)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        "COPY (SELECT strftime(DATE '2020-01-06' + INTERVAL (7 * (i // 3000)) DAY, '%Y-%m-%d') AS \"统计日期\", "
        "'科室' || (i % 60)::VARCHAR AS \"科室\", 'SYS' || ((i // 60) % 50)::VARCHAR AS \"系统\", "
        '(i * 7919 % 150)::INTEGER AS "活跃用户数", 150 + (i % 50) AS "应用人数" FROM range(?) t(i)) '
        "TO '" + str(path).replace("'", "''") + "' (HEADER, DELIMITER ',')",
        [rows],
    )


def make_costs_csv(path: Path, rows: int) -> None:
    """A cost ledger export: 日期, 项目名称, 费用类别, 供应商, 金额(元), 付款状态, 合同编号, 摘要 (UTF-8)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        "COPY (SELECT strftime(DATE '2024-01-01' + INTERVAL (i % 600) DAY, '%Y-%m-%d') AS \"日期\", "
        "'项目' || (i % 6)::VARCHAR AS \"项目名称\", '类别' || (i % 8)::VARCHAR AS \"费用类别\", "
        '\'厂商\' || (i % 40)::VARCHAR AS "供应商", round(1000 + (i * 7919 % 100000) / 7, 2) AS "金额(元)", '
        "['已签合同', '已开票', '已付款'][i % 3 + 1] AS \"付款状态\", 'HT-' || lpad(i::VARCHAR, 8, '0') AS \"合同编号\", "
        "'第 ' || i::VARCHAR || ' 笔' AS \"摘要\" FROM range(?) t(i)) "
        "TO '" + str(path).replace("'", "''") + "' (HEADER, DELIMITER ',')",
        [rows],
    )


def make_tickets_csv(path: Path, rows: int) -> None:
    """A help-desk export: 工单号, 系统, 报修科室, 优先级, 报修时间, 响应时间, 解决时间 (one in twenty open), 故障类别,
    故障描述 (UTF-8, times as 2023-01-01 08:00:00)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    stamp = "strftime(TIMESTAMP '2023-01-01 08:00:00' + INTERVAL ({}) SECOND, '%Y-%m-%d %H:%M:%S')"
    con.execute(
        "COPY (SELECT 'INC' || lpad(i::VARCHAR, 8, '0') AS \"工单号\", 'SYS' || (i % 10)::VARCHAR AS \"系统\", "
        "'科室' || (i % 30)::VARCHAR AS \"报修科室\", 'P' || (1 + i % 4)::VARCHAR AS \"优先级\", "
        f'{stamp.format("i * 97")} AS "报修时间", {stamp.format("i * 97 + 600 + i % 3000")} AS "响应时间", '
        f'CASE WHEN i % 20 = 0 THEN NULL ELSE {stamp.format("i * 97 + 7200 + i % 90000")} END AS "解决时间", '
        "'类别' || (i % 7)::VARCHAR AS \"故障类别\", '第 ' || i::VARCHAR || ' 号故障' AS \"故障描述\" "
        "FROM range(?) t(i)) TO '" + str(path).replace("'", "''") + "' (HEADER, DELIMITER ',')",
        [rows],
    )


def with_bad_row(src: Path, dst: Path, line: str) -> None:
    """A copy of `src` with one bad record appended (the refusal must name it)."""
    import shutil

    shutil.copyfile(src, dst)
    with dst.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def make_xlsx(path: Path, rows: int) -> None:
    """A cost ledger sheet with real date cells, text and money, written by openpyxl."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("费用台账")
    ws.append(["日期", "项目名称", "费用类别", "供应商", "金额(元)", "付款状态", "合同编号", "摘要"])
    start = dt.date(2025, 1, 1)
    stages = ("已签合同", "已开票", "已付款")
    for i in range(rows):
        ws.append(
            [
                start + dt.timedelta(days=i % 600),
                f"项目{i % 6}",
                f"类别{i % 8}",
                f"厂商{i % 40}",
                round(1000 + (i * 7919 % 100000) / 7, 2),
                stages[i % 3],
                f"HT-{i:07d}",
                f"第 {i} 笔",
            ]
        )
    wb.save(path)


def run(case: str, args: list[str]) -> dict[str, object]:
    # each case imports what it needs before the clock starts: "seconds" is the work alone, and the process as a
    # whole (timed from outside by bench.import_bench) pays only for its own libraries
    rows: int | None = None
    if case == "pandas_read_excel":
        import openpyxl  # noqa: F401
        import pandas as pd

        t0 = time.perf_counter()
        rows = len(pd.read_excel(args[0], engine="openpyxl"))
    elif case == "fastexcel_read":
        import fastexcel
        import pyarrow  # noqa: F401

        t0 = time.perf_counter()
        sheet = fastexcel.read_excel(args[0]).load_sheet(0)
        rows = sheet.to_arrow().num_rows
    elif case == "duckdb_read_csv":
        import duckdb

        t0 = time.perf_counter()
        con = duckdb.connect(args[1])
        con.execute("SET enable_progress_bar = false")
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [args[0]])
        row = con.execute("SELECT count(*) FROM t").fetchone()
        rows = int(row[0]) if row else 0
    elif case == "cockpit_import":
        from loaders import importer, store

        t0 = time.perf_counter()
        con = store.open_store(args[1])
        results = importer.import_file(con, args[0], dataset=args[2] if len(args) > 2 else None, user="bench")
        bad = [r for r in results if r.status != "loaded"]
        if bad:
            raise SystemExit(f"import failed: {bad[0].message}")
        rows = sum(r.rows for r in results)
    else:
        makers = {
            "make_csv": make_csv,
            "make_costs_csv": make_costs_csv,
            "make_tickets_csv": make_tickets_csv,
            "make_xlsx": make_xlsx,
        }
        t0 = time.perf_counter()
        if case in makers:
            makers[case](Path(args[0]), int(args[1]))
        elif case == "with_bad_row":
            with_bad_row(Path(args[0]), Path(args[1]), args[2])
        else:
            raise SystemExit(f"unknown case {case}")
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"case": case, "seconds": seconds, "rows": rows, "peak_mb": peak_mb}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], sys.argv[2:])))
