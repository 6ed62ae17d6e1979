"""The bulk path for big clean CSV exports (loaders.bulk) against the checked path.

Every case imports the same file twice, once as a big file does (bulk path first) and once with the bulk path
switched off, and compares status, report and stored rows. Rows stored by the bulk path carry no row_no, which
also shows which path stored them.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import duckdb
import pytest

from loaders import bulk, importer, readers, store

USAGE_HEADER = ["统计日期", "科室", "系统", "活跃用户数", "应用人数"]
KPI_HEADER = ["统计日期", "指标名称", "科室", "数值", "单位"]
BUDGET_HEADER = ["项目名称", "费用类别", "月份", "预算金额(万元)"]


def usage_rows(n: int = 40) -> list[list[Any]]:
    """Clean weekly usage: every (week, department, system) once."""
    out: list[list[Any]] = []
    for i in range(n):
        week = f"2026-0{1 + i // 20}-{5 + (i % 4) * 7:02d}"
        out.append([week, f"科室{i % 5}", ("EMR", "HIS")[(i // 5) % 2], 10 + i, 100])
    return out


def write(path: Path, rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def stored(con: duckdb.DuckDBPyConnection, dataset: str) -> list[tuple[Any, ...]]:
    table = store.RAW_TABLES[dataset]
    cols = [c for c in importer.STORE_COLUMNS[dataset] if c != "row_no"]
    q = ", ".join(cols)
    return con.execute(f"SELECT {q} FROM {table} WHERE superseded_by IS NULL ORDER BY {q}").fetchall()  # noqa: S608


def row_numbers(con: duckdb.DuckDBPyConnection, dataset: str) -> list[Any]:
    table = store.RAW_TABLES[dataset]
    return [r[0] for r in con.execute(f"SELECT DISTINCT row_no IS NULL FROM {table}").fetchall()]  # noqa: S608


def both(
    path: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any
) -> tuple[importer.ImportResult, importer.ImportResult, duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]:
    """Import `path` as a big file (bulk path first) and with the checked path only; return both results."""
    monkeypatch.setattr(readers, "PYTHON_PARSE_BYTES", 0)  # every CSV takes the big-file path
    fast_con, checked_con = store.memory_store(), store.memory_store()
    (fast,) = importer.import_file(fast_con, path, **kw)
    with monkeypatch.context() as m:
        m.setattr(importer, "_bulk_prepared", lambda *a, **k: None)
        (checked,) = importer.import_file(checked_con, path, **kw)
    return fast, checked, fast_con, checked_con


def assert_same(fast: importer.ImportResult, checked: importer.ImportResult) -> None:
    assert (fast.status, fast.rows, fast.dataset) == (checked.status, checked.rows, checked.dataset)
    assert [str(p) for p in fast.problems] == [str(p) for p in checked.problems]
    assert fast.notes == checked.notes  # the unit (and where it was written) is stated alike


def test_clean_export_takes_the_bulk_path_and_stores_what_the_checked_path_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = usage_rows()
    rows[3][1] = "  内科\u3000 门诊 "  # spaces are collapsed and trimmed as the checked path does
    fast, checked, a, b = both(write(tmp_path / "u.csv", [USAGE_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "loaded" and fast.rows == 40
    assert stored(a, "usage") == stored(b, "usage")
    assert [r[1] for r in stored(a, "usage")].count("内科 门诊") == 1
    assert row_numbers(a, "usage") == [True]  # stored by the bulk path
    assert row_numbers(b, "usage") == [False]
    log = a.execute("SELECT rows, status, sha256 FROM import_log").fetchall()
    assert log == [(40, "loaded", hashlib.sha256((tmp_path / "u.csv").read_bytes()).hexdigest())]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda r: r.__setitem__(7, ["2026-01-05", "合计", "EMR", 900, 1000]), "total label in a text column"),
        (lambda r: r.__setitem__(7, ["2026-01-05", "注：数据来自HIS", "EMR", 1, 2]), "note row"),
        (lambda r: r.insert(7, ["", "", "", "", ""]), "blank row"),
        (lambda r: r.insert(7, ["统计日期", "科室", "系统", "活跃用户数", "应用人数"]), "repeated header"),
        (lambda r: r.__setitem__(7, ["2026年1月5日", "科室9", "EMR", 1, 2]), "date in another form"),
        (lambda r: r.__setitem__(7, ["2026/1-5", "科室9", "EMR", 1, 2]), "date with two separators"),
        (lambda r: r.__setitem__(7, ["2026-01", "科室9", "EMR", 1, 2]), "a month alone"),
        (lambda r: r.__setitem__(7, ["2026-01-05", "科室9", "EMR", "00012", 20]), "integer with leading zeros"),
        (lambda r: r.__setitem__(7, ["2026-01-05", "科室9", "EMR", "1,234", 2000]), "thousands separator"),
        (lambda r: r.__setitem__(7, ["2026-01-05", "科室9", "EMR", "12.5", 20]), "fraction in a count"),
        (lambda r: r.__setitem__(7, ["2026-01-05", "科室9", "EMR", "1e3", 2000]), "exponent in a count"),
        (lambda r: r.__setitem__(7, ["2026-01-05", "科室9", "EMR", "#N/A", 20]), "Excel error value"),
        (lambda r: r.__setitem__(7, ["2026-02-30", "科室9", "EMR", 1, 2]), "date that cannot exist"),
        (lambda r: r.__setitem__(7, ["1900-01-01", "科室9", "EMR", 1, 2]), "implausible year"),
        (lambda r: r.__setitem__(7, ["20260-01-05", "科室9", "EMR", 1, 2]), "five-digit year"),
        (lambda r: r.__setitem__(7, ["2026-01-05 (BC)", "科室9", "EMR", 1, 2]), "a date before Christ"),
        (lambda r: r.__setitem__(7, ["25-03-05", "科室9", "EMR", 1, 2]), "two-digit year"),
        (lambda r: r.__setitem__(7, ["2026-01-05 08:00", "科室9", "EMR", 1, 2]), "date with a time"),
        (lambda r: r.__setitem__(7, ["2026-01-05", "   ", "EMR", 1, 2]), "required text that is only spaces"),
        (lambda r: r.__setitem__(7, ["2026-01-05", "科室9", "EMR", 50, 20]), "more active than eligible"),
        (lambda r: r.__setitem__(7, ["2026-01-05", "科室9", "EMR", -1, 20]), "negative count"),
        (lambda r: r.append(list(r[0])), "exact duplicate row"),
        (lambda r: r.append([*r[0][:3], 11, 100]), "duplicate key, other values"),
        (lambda r: r.__setitem__(7, ["2026-01-05", "科室9", "EMR", "", 20]), "missing required count"),
    ],
)
def test_anything_unusual_gets_exactly_the_checked_path_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Any, why: str
) -> None:
    rows = usage_rows()
    change(rows)
    fast, checked, a, b = both(write(tmp_path / "u.csv", [USAGE_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert stored(a, "usage") == stored(b, "usage"), why
    if fast.status == "loaded":
        assert row_numbers(a, "usage") == [False], f"{why}: the checked path stores it"


def test_forms_both_paths_read_alike_stay_on_the_bulk_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = usage_rows()
    rows[1][0] = " 2026-1-12 "  # unpadded month and day, spaces around
    rows[2][0] = "2026-01-19"
    rows[3][0] = "2026/1/26"  # slashes, as Excel writes a date into a CSV here
    rows[4][0] = " 2026/02/02"
    rows[5][2] = "HIS "
    fast, checked, a, b = both(write(tmp_path / "u.csv", [USAGE_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "loaded" and row_numbers(a, "usage") == [True]
    assert stored(a, "usage") == stored(b, "usage")


def test_skip_invalid_on_a_dirty_export_matches_the_checked_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = usage_rows()
    rows[4][3] = "很多"
    fast, checked, a, b = both(write(tmp_path / "u.csv", [USAGE_HEADER, *rows]), monkeypatch, skip_invalid=True)
    assert_same(fast, checked)
    assert fast.status == "loaded" and fast.rows == 39
    assert stored(a, "usage") == stored(b, "usage")


def test_gbk_export_with_a_title_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "u.csv", [["2026年系统使用周报"], USAGE_HEADER, *usage_rows()], encoding="gbk")
    fast, checked, a, b = both(path, monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "loaded" and row_numbers(a, "usage") == [True]
    assert stored(a, "usage") == stored(b, "usage")


def test_kpis_with_hospital_wide_rows_and_a_duplicate_null_department(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [["2026-01-05", "门诊等候时间", "", "41.5", "分钟"], ["2026-01-05", "门诊等候时间", "急诊科", "30", "分钟"]]
    fast, checked, a, b = both(write(tmp_path / "k.csv", [KPI_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "loaded" and row_numbers(a, "kpis") == [True]
    assert stored(a, "kpis") == stored(b, "kpis")
    # the same key twice with the department empty is a duplicate for both paths
    rows.append(["2026-01-05", "门诊等候时间", "", "40", "分钟"])
    fast, checked, a, b = both(write(tmp_path / "k2.csv", [KPI_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "refused"


def test_money_in_wan_yuan_is_scaled_like_the_checked_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [["HIS", "硬件", "2026-01-01", "12.5"], ["HIS", "软件", "2026-01-01", "3"], ["EMR", "硬件", "", "100"]]
    fast, checked, a, b = both(write(tmp_path / "b.csv", [BUDGET_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "loaded" and row_numbers(a, "budget") == [True]
    assert stored(a, "budget") == stored(b, "budget")
    assert sorted(r[-1] for r in stored(a, "budget")) == [30000.0, 125000.0, 1000000.0]


def test_duplicate_keys_are_found_by_the_hash_aggregate_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "LIST_MAX", 0)  # no key dictionaries: the GROUP BY check and the label pre-filter
    rows = usage_rows()
    fast, checked, a, _ = both(write(tmp_path / "u.csv", [USAGE_HEADER, *rows]), monkeypatch)
    assert fast.status == "loaded" and row_numbers(a, "usage") == [True]
    rows.append([*rows[0][:3], 99, 100])
    rows.append(["2026-01-05", "合计", "EMR", 1, 2])
    fast, checked, a, b = both(write(tmp_path / "u2.csv", [USAGE_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "refused"


def test_same_file_again_is_skipped_and_a_corrected_file_replaces_its_weeks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "PYTHON_PARSE_BYTES", 0)
    con = store.memory_store()
    rows = usage_rows()
    first = write(tmp_path / "u.csv", [USAGE_HEADER, *rows])
    (a,) = importer.import_file(con, first)
    (again,) = importer.import_file(con, first)
    assert (a.status, again.status, again.import_id) == ("loaded", "skipped", a.import_id)
    assert con.execute("SELECT count(*) FROM usage").fetchone() == (40,)
    corrected = [list(r) for r in rows[:10]]
    for r in corrected:
        r[3] = 5
    (c,) = importer.import_file(con, write(tmp_path / "u_fixed.csv", [USAGE_HEADER, *corrected]))
    assert (
        c.status == "loaded"
        and "替换了 10 行"
        in con.execute("SELECT message FROM import_log WHERE import_id = ?", [c.import_id]).fetchone()[0]
    )  # type: ignore[index]
    assert con.execute("SELECT count(*), sum(active_users) FROM usage").fetchone() == (
        40,
        sum(r[3] for r in rows[10:]) + 50,
    )
    assert con.execute("SELECT count(*) FROM import_log WHERE status = 'loaded'").fetchone() == (2,)


def test_a_store_failure_during_the_bulk_insert_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "PYTHON_PARSE_BYTES", 0)
    con = store.memory_store()
    calls: list[int] = []

    def broken(*args: Any) -> int:
        calls.append(1)
        raise duckdb.IOException("No space left on device")

    monkeypatch.setattr(bulk, "_insert", broken)
    (res,) = importer.import_file(con, write(tmp_path / "u.csv", [USAGE_HEADER, *usage_rows()]))
    # the bulk attempt rolled back; the checked path loaded the file (its own insert works)
    assert calls == [1] and res.status == "loaded"
    assert con.execute("SELECT count(*) FROM import_log").fetchone() == (1,)
    assert row_numbers(con, "usage") == [False]


def test_files_the_bulk_path_leaves_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "PYTHON_PARSE_BYTES", 0)
    con = store.memory_store()
    # a snapshot dataset, an unmapped first column, and money without a stated unit
    plan = write(tmp_path / "p.csv", [["任务名称", "开始时间", "完成时间"], ["调研", "2026-01-05", "2026-01-09"]])
    no_unit = write(
        tmp_path / "l.csv",
        [["日期", "项目名称", "费用类别", "金额", "付款状态"], ["2026-01-05", "HIS", "硬件", "100", "已付款"]],
    )
    numbered = write(tmp_path / "n.csv", [["序号", *USAGE_HEADER], *[[i, *r] for i, r in enumerate(usage_rows())]])
    for path in (plan, no_unit, numbered):
        assert importer._bulk_prepared(path, path.name, None, "EMR", con) is None
    # a ledger whose header states 元 takes the bulk path since issue 19 (stage words are read natively)
    ledger = write(
        tmp_path / "l2.csv",
        [["日期", "项目名称", "费用类别", "金额(元)", "付款状态"], ["2026-01-05", "HIS", "硬件", "100", "已付款"]],
    )
    quick = importer._bulk_prepared(ledger, ledger.name, None, "EMR", con)
    assert quick is not None and quick.dataset == "costs"
    quick.discard()
    small = write(tmp_path / "s.csv", [USAGE_HEADER, *usage_rows()])
    monkeypatch.setattr(readers, "PYTHON_PARSE_BYTES", 10**9)
    assert importer._bulk_prepared(small, small.name, None, None, con) is None  # small files: checked path


def test_a_real_big_export_end_to_end(tmp_path: Path) -> None:
    """No switches: a 10 MB export over the real threshold, into a store on disk with its original kept."""
    path = tmp_path / "usage_weekly.csv"
    gen = duckdb.connect()
    gen.execute(
        "COPY (SELECT strftime(DATE '2025-01-06' + INTERVAL (7 * (i // 3000)) DAY, '%Y-%m-%d') AS \"统计日期\", "
        '\'科室\' || (i % 60) AS "科室", \'SYS\' || ((i // 60) % 50) AS "系统", (i * 7919 % 150) AS "活跃用户数", '
        '150 + (i % 50) AS "应用人数" FROM range(300000) t(i)) TO \'' + str(path) + "' (HEADER)"
    )
    assert path.stat().st_size > readers.PYTHON_PARSE_BYTES
    con = store.open_store(tmp_path / "s.duckdb")
    (res,) = importer.import_file(con, path)
    assert (res.status, res.rows, res.dataset) == ("loaded", 300_000, "usage")
    assert row_numbers(con, "usage") == [True]
    sha, stored_file = con.execute("SELECT sha256, stored_file FROM imports").fetchone()  # type: ignore[misc]
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    assert Path(stored_file).read_bytes() == path.read_bytes()
    # the kept copy was written by the hash's read (in the staging folder) and moved into place: private, none left
    assert Path(stored_file).stat().st_mode & 0o777 == 0o600
    assert not list((tmp_path / "s.staging").glob("*.part"))
    (again,) = importer.import_file(con, path)  # the same bytes: skipped, and its copy is not left behind either
    assert again.status == "skipped" and not list((tmp_path / "s.staging").glob("*.part"))
    assert con.execute("SELECT sum(active_users), count(DISTINCT department) FROM usage").fetchone() == (
        sum(i * 7919 % 150 for i in range(300_000)),
        60,
    )
    # the same export with one bad last row: the checked path reports it by its line, nothing is added
    with path.open("a", encoding="utf-8") as fh:
        fh.write("2027-01-04,科室1,SYS1,200,150\n")
    (bad,) = importer.import_file(con, path)
    assert bad.status == "refused"
    assert [(p.row, p.column) for p in bad.problems if p.severity == "error"] == [(300_002, "活跃用户数")]
    assert con.execute("SELECT count(*) FROM usage").fetchone() == (300_000,)


# ------------------------------------------------------------------ what the checked path learnt in round 2


def test_a_unit_in_a_title_line_sends_the_file_to_the_checked_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [["HIS", "硬件", "2026-01-01", "12.5"], ["HIS", "软件", "2026-01-01", "3"]]
    header = ["项目名称", "费用类别", "月份", "预算金额"]
    fast, checked, a, b = both(write(tmp_path / "b.csv", [["单位：万元"], header, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "loaded" and row_numbers(a, "budget") == [False]  # stored by the checked path
    assert stored(a, "budget") == stored(b, "budget")
    assert sorted(r[-1] for r in stored(a, "budget")) == [30000.0, 125000.0]
    assert any("单位：万元（取自第 1 行）" in n for n in fast.notes)


def test_amounts_without_a_unit_get_the_same_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [["HIS", "硬件", "2026-01-01", "120"], ["HIS", "软件", "2026-01-01", "30"]]
    fast, checked, a, b = both(
        write(tmp_path / "b.csv", [["项目名称", "费用类别", "月份", "预算金额"], *rows]), monkeypatch
    )
    assert_same(fast, checked)
    assert any("看起来像以万元填写" in p.message for p in fast.problems)
    assert stored(a, "budget") == stored(b, "budget")


def test_a_ledger_without_stage_or_project_columns_matches_the_checked_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [[f"2026-01-{d:02d}", "差旅", f"{100 + d}"] for d in range(1, 29)]
    path = write(tmp_path / "报销.csv", [["日期", "费用类别", "金额(元)"], *rows])
    fast, checked, a, b = both(path, monkeypatch, dataset="costs", project="HIS")
    assert_same(fast, checked)
    assert fast.status == "loaded"
    assert stored(a, "costs") == stored(b, "costs")
    assert a.execute("SELECT DISTINCT project, stage FROM costs").fetchall() == [("HIS", "paid")]
    assert a.execute("SELECT sum(amount) FROM costs").fetchone() == (sum(100 + d for d in range(1, 29)),)


def test_kpi_values_with_percent_signs_match_the_checked_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [["2026-01-05", "门诊预约率", "", "95.2%", ""], ["2026-01-05", "门诊人次", "", "1200", "人次"]]
    fast, checked, a, b = both(write(tmp_path / "k.csv", [KPI_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert stored(a, "kpis") == stored(b, "kpis")
    assert sorted(r[-2:] for r in stored(a, "kpis")) == [(95.2, "%"), (1200.0, "人次")]
