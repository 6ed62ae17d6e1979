"""The fast intake paths against the plain ones on the same data (issue 19, imports): the row limit enforced while
reading, a bad row in a big export reported without a second full read, cost ledgers on the bulk path.

Speed itself is measured in bench/ (`python -m bench`), never here: these tests prove the fast paths store and
report exactly what the plain paths do, and that they read what they claim to read.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from loaders import importer, readers, store, validate
from tests.test_bulk import USAGE_HEADER, assert_same, both, stored, usage_rows, write


def _counts(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    row = con.execute(
        "SELECT (SELECT count(*) FROM usage_rows), (SELECT count(*) FROM import_log WHERE status = 'loaded')"
    ).fetchone()
    assert row is not None
    return tuple(row)


def _refused_alike(
    fast: importer.ImportResult, checked: importer.ImportResult, a: duckdb.DuckDBPyConnection,
    b: duckdb.DuckDBPyConnection, text: str,
) -> None:  # fmt: skip
    """Both paths refused the file alike, saying `text`, and stored nothing."""
    assert_same(fast, checked)
    assert fast.status == "refused" and text in fast.message
    assert _counts(a) == _counts(b) == (0, 0)


# ------------------------------------------------------------------------------------------ the row limit


def _spy_staging(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of records each staging of a big CSV read."""
    seen: list[int] = []
    real = importer._stage_grid

    def spy(mem: duckdb.DuckDBPyConnection, *a: Any, **k: Any) -> None:
        real(mem, *a, **k)
        seen.append(int(mem.execute("SELECT count(*) FROM raw").fetchall()[0][0]))

    monkeypatch.setattr(importer, "_stage_grid", spy)
    return seen


def test_a_big_csv_over_the_row_limit_is_refused_after_reading_limit_plus_one_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COCKPIT_MAX_ROWS", "30")
    seen = _spy_staging(monkeypatch)
    path = write(tmp_path / "usage_big.csv", [USAGE_HEADER, *usage_rows(400)])
    fast, checked, a, b = both(path, monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "refused"
    for text in ("usage_big.csv", "超过上限 30", "拆分", "split the file"):
        assert text in fast.message
    assert seen and max(seen) == 31  # the staging read 31 of the 400 records, never the whole file
    assert _counts(a) == _counts(b) == (0, 0)
    assert a.execute("SELECT status FROM import_log").fetchall() == [("refused",)]


def test_non_data_rows_near_the_limit_never_refuse_a_file_within_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """30 data rows and two rows that are not data (a blank row, a 合计 row) under a limit of 30: loaded, with
    the same rows and report as when the limit is far away."""
    rows: list[list[Any]] = [USAGE_HEADER, *usage_rows(30)]
    rows.insert(10, ["", "", "", "", ""])
    rows.append(["合计", "", "", "1000", "3000"])
    path = write(tmp_path / "usage_edge.csv", rows)
    monkeypatch.setenv("COCKPIT_MAX_ROWS", "30")
    at_limit, checked, a, _ = both(path, monkeypatch)
    monkeypatch.setenv("COCKPIT_MAX_ROWS", "1000000")
    far, _, c, _ = both(path, monkeypatch)
    assert at_limit.status == checked.status == far.status == "loaded"
    assert at_limit.rows == far.rows == 30
    assert [str(p) for p in at_limit.problems] == [str(p) for p in far.problems]
    assert stored(a, "usage") == stored(c, "usage")
    monkeypatch.setenv("COCKPIT_MAX_ROWS", "29")
    (over,) = importer.import_file(store.memory_store(), path)
    assert over.status == "refused" and "超过上限 29" in over.message


def test_the_limit_holds_on_the_bulk_path_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_MAX_ROWS", "39")
    monkeypatch.setattr(readers, "PYTHON_PARSE_BYTES", 0)
    con = store.memory_store()
    (res,) = importer.import_file(con, write(tmp_path / "u.csv", [USAGE_HEADER, *usage_rows(40)]))
    assert res.status == "refused" and "超过上限 39" in res.message
    monkeypatch.setenv("COCKPIT_MAX_ROWS", "40")
    (ok,) = importer.import_file(con, write(tmp_path / "u.csv", [USAGE_HEADER, *usage_rows(40)]))
    assert (ok.status, ok.rows) == ("loaded", 40)
    assert con.execute("SELECT count(*) FROM usage_rows WHERE row_no IS NULL").fetchone() == (40,)  # bulk stored it


def _lines(path: Path, rows: list[list[Any]]) -> Path:
    """Records ended by a bare line feed and the last one by nothing: as many line breaks as data rows."""
    path.write_text("\n".join(",".join(str(v) for v in r) for r in rows), encoding="utf-8")
    return path


def test_a_file_with_no_more_line_breaks_than_the_limit_is_read_without_the_cut_and_stored_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 data rows and 40 line breaks: under a limit of 40 both paths read the file without the LIMIT (it cannot
    hold a 41st record) and store what they store far from the limit; under 39 both read 40 records and refuse."""
    path = _lines(tmp_path / "usage_edge.csv", [USAGE_HEADER, *usage_rows(40)])
    decided: list[tuple[int, bool]] = []
    real = readers.line_breaks_within

    def spy(p: Path, bound: int) -> bool:
        decided.append((bound, real(p, bound)))
        return decided[-1][1]

    monkeypatch.setattr(readers, "line_breaks_within", spy)
    seen = _spy_staging(monkeypatch)
    monkeypatch.setenv("COCKPIT_MAX_ROWS", "1000000")
    far, _, c, _ = both(path, monkeypatch)
    monkeypatch.setenv("COCKPIT_MAX_ROWS", "40")
    decided.clear()
    seen.clear()
    at_limit, checked, a, b = both(path, monkeypatch)
    assert decided == [(40, True), (40, True)]  # the bulk insert, then the checked path's staging
    assert seen == [40]  # staged whole, once
    assert_same(at_limit, checked)
    assert (at_limit.status, at_limit.rows, far.rows) == ("loaded", 40, 40)
    assert stored(a, "usage") == stored(b, "usage") == stored(c, "usage")
    assert _rows_path(a) == [(True,)]  # the bulk path stored it
    monkeypatch.setenv("COCKPIT_MAX_ROWS", "39")
    decided.clear()
    seen.clear()
    over, checked, a, b = both(path, monkeypatch)
    assert decided == [(39, False), (39, False)]
    assert seen == [40]  # the cut: 39 + 1 records, then refused
    _refused_alike(over, checked, a, b, "超过上限 39")


def test_line_breaks_bound_the_records_duckdb_reads_and_the_count_stops_past_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The premise of reading without the cut, checked against DuckDB's reader with the bulk path's own options:
    line feeds, carriage returns alone or with a feed, blank lines, quoted line breaks and a last line without
    one never give more records than line-break bytes + 1. And a file far over the bound is read no further than
    the first chunk that passes it."""
    from types import SimpleNamespace

    from loaders import bulk

    contents = [
        b"a,b\n1,2\n3,4\n",
        b"a,b\r\n1,2\r\n3,4",
        b"a,b\r1,2\r3,4\r",
        b"a,b\n\n1,2\n\n\n3,4\n\n",
        b'a,b\n"x\ny",2\n"p\r\nq",4\n',
    ]
    con = duckdb.connect()
    for i, content in enumerate(contents):
        p = tmp_path / f"c{i}.csv"
        p.write_bytes(content)
        breaks = content.count(b"\n") + content.count(b"\r")
        source = bulk._csv_source(SimpleNamespace(width=2))  # type: ignore[arg-type]
        try:
            (n,) = con.execute(f"SELECT count(*) FROM {source}", [str(p), ",", 0]).fetchone()  # type: ignore[misc]  # noqa: S608
        except duckdb.Error:  # quoted line breaks: the bulk path hands the file over, the staging reads it so
            one_thread = source.replace("ignore_errors = false", "ignore_errors = false, parallel = false")
            (n,) = con.execute(f"SELECT count(*) FROM {one_thread}", [str(p), ",", 0]).fetchone()  # type: ignore[misc]  # noqa: S608
        assert 0 < n <= breaks + 1, content
        assert readers.line_breaks_within(p, breaks) and not readers.line_breaks_within(p, breaks - 1)
    big = tmp_path / "big.csv"
    big.write_bytes(b"x,1\n" * 1_000_000)  # 4 MB
    read: list[int] = []
    real_open = Path.open

    class Counting:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def read(self, n: int) -> bytes:
            data: bytes = self.fh.read(n)
            read.append(len(data))
            return data

        def __enter__(self) -> Counting:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

    monkeypatch.setattr(Path, "open", lambda self, *a, **k: Counting(real_open(self, *a, **k)))
    assert not readers.line_breaks_within(big, 10)
    assert read == [1 << 20]  # one chunk told
    read.clear()
    assert readers.line_breaks_within(big, 1_000_000)
    assert sum(read) == 4_000_000


# ------------------------------------------------------------------------- a bad row in a big export


def _rows_path(con: duckdb.DuckDBPyConnection) -> list[Any]:
    return con.execute("SELECT DISTINCT row_no IS NULL FROM usage_rows").fetchall()


def test_rule_breaches_are_reported_from_the_bulk_read_exactly_as_the_checked_path_reports_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: list[list[Any]] = [USAGE_HEADER, *usage_rows(60)]
    rows[7][3] = 150  # more active than eligible (100)
    rows[31][4] = -1  # a negative count that also makes active > eligible: two problems on one row
    rows.append(["2026-09-07", "科室1", "EMR", 101, 100])  # the last row too
    path = write(tmp_path / "usage_bad.csv", rows)
    fast_calls: list[int] = []
    real = importer.record_refusal

    def spy(*a: Any, **k: Any) -> None:
        fast_calls.append(1)
        real(*a, **k)

    monkeypatch.setattr(importer, "prepare", _no_second_read(importer.prepare, fast_calls))
    monkeypatch.setattr(importer, "record_refusal", spy)
    fast, checked, a, b = both(path, monkeypatch)
    assert_same(fast, checked)
    assert fast.message == checked.message
    # by rule (ROW_RULES order), then by row; the row numbered as in the file (header = line 1)
    assert [(p.row, p.column, p.message.split(" / ")[1]) for p in fast.problems] == [
        (32, "应用人数", "negative count"),
        (8, "活跃用户数", "more active than eligible users"),
        (32, "活跃用户数", "more active than eligible users"),
        (62, "活跃用户数", "more active than eligible users"),
    ]
    assert fast_calls.count(0) == 1  # only the checked-only import read the file a second time
    assert _counts(a) == _counts(b) == (0, 0)
    hist = "SELECT dataset, file_name, sheet, rows, status, message FROM import_log"
    assert a.execute(hist).fetchall() == b.execute(hist).fetchall()


def _no_second_read(real: Any, calls: list[int]) -> Any:
    def prepare(*a: Any, **k: Any) -> Any:
        calls.append(0)
        return real(*a, **k)

    return prepare


def _from_the_bulk_read(path: Path, monkeypatch: pytest.MonkeyPatch) -> importer.ImportResult:
    """Import `path` as a big file and check the answer came from the bulk read alone (the file was not read again
    by the checked path)."""
    calls: list[int] = []
    with monkeypatch.context() as m:
        m.setattr(importer, "prepare", _no_second_read(importer.prepare, calls))
        m.setattr(readers, "PYTHON_PARSE_BYTES", 0)
        (res,) = importer.import_file(store.memory_store(), path)
    assert not calls
    return res


def test_skip_invalid_still_takes_the_checked_path_for_rule_breaches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: list[list[Any]] = [USAGE_HEADER, *usage_rows(40)]
    rows[5][3] = 500
    fast, checked, a, b = both(write(tmp_path / "u.csv", rows), monkeypatch, skip_invalid=True)
    assert_same(fast, checked)
    assert (fast.status, fast.rows) == ("loaded", 39)
    assert stored(a, "usage") == stored(b, "usage")
    assert _rows_path(a) == [(False,)]  # stored by the checked path, with row numbers


# ------------------------------------------------------------------------ cost ledgers on the bulk path

COST_HEADER = ["日期", "项目名称", "费用类别", "供应商", "金额(元)", "付款状态", "合同编号", "摘要"]


def cost_rows(n: int = 36) -> list[list[Any]]:
    stages = ("已签合同", "已开票", "已付款", "paid", "Invoiced", " 已支付 ", "COMMITTED", "已报销")
    return [
        [
            f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
            f"项目{i % 3}",
            f"类别{i % 4}",
            f"厂商{i % 5}",
            f"{1000 + i * 37.25:.2f}" if i % 7 else str(-200 - i),  # refunds are negative
            stages[i % len(stages)],
            f"HT-{i:05d}",
            f"第 {i}  笔\u3000付款" if i % 5 == 0 else f"第 {i} 笔",
        ]
        for i in range(n)
    ]


def _cost_rows_path(con: duckdb.DuckDBPyConnection) -> list[Any]:
    return con.execute("SELECT DISTINCT row_no IS NULL FROM cost_rows").fetchall()


@pytest.mark.parametrize("kind", ["stage", "priority"])
def test_every_word_the_bulk_path_reads_is_read_alike_by_the_rules(kind: str) -> None:
    """Stage words (已付款 …) and ticket priorities (P1, 紧急 …): each form the bulk path maps is read by the rules as
    the same value, with spaces around too."""
    from loaders import bulk, coerce

    words, listed, parse = {
        "stage": (bulk.STAGE_WORDS, len(coerce._STAGES), coerce.parse_stage),
        "priority": (bulk.PRIORITY_WORDS, len(coerce._PRIORITY_WORDS) + 12, coerce.parse_priority),
    }[kind]
    assert len(words) >= listed
    for word, value in words.items():
        assert parse(word) == value, word
        assert parse(f"  {word} ") == value, word


def test_a_cost_ledger_takes_the_bulk_path_and_stores_what_the_checked_path_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, checked, a, b = both(write(tmp_path / "付款台账.csv", [COST_HEADER, *cost_rows()]), monkeypatch)
    assert_same(fast, checked)
    assert (fast.status, fast.rows, fast.dataset) == ("loaded", 36, "costs")
    assert _cost_rows_path(a) == [(True,)]  # bulk: no row numbers
    assert stored(a, "costs") == stored(b, "costs")
    assert a.execute("SELECT stage, count(*) FROM costs GROUP BY ALL ORDER BY 1").fetchall() == [
        ("committed", 9),
        ("invoiced", 9),
        ("paid", 18),
    ]
    assert any("单位：元（取自表头「金额(元)」）" in n for n in fast.notes)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("付款状态", "已付 款"),  # not a stage word as written
        ("付款状态", "待定"),  # not a stage at all
        ("付款状态", "#N/A"),  # an Excel error
        ("付款状态", "合计"),  # a total label where the stage belongs: the checked path decides the row
        ("付款状态", "ＰＡＩＤ"),  # full-width letters: the rules read them
        ("付款状态", "已付款\u3000"),  # an ideographic space after: the rules strip it, DuckDB's trim() does not
        ("付款状态", "   "),  # a required stage missing
        ("付款状态", "\x00"),  # the sentinel's own text
        ("付款状态", ""),  # missing: reported from the bulk read
        ("项目名称", ""),
        ("项目名称", "\x00"),  # a text field's sentinel as written
        ("金额(元)", ""),
        ("日期", ""),
        ("供应商", ""),  # not required: stored empty
        ("金额(元)", "1,234.50"),  # separators: the rules read it, the native cast does not
        ("金额(元)", "12万"),  # a cell unit against the header's 元: refused by the rules
        ("日期", "2026/3/5"),
        ("项目名称", "合计"),
    ],
)
def test_anything_unusual_in_a_ledger_gets_exactly_the_checked_path_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str, value: str
) -> None:
    _one_cell_changed(tmp_path, monkeypatch, "costs", COST_HEADER, cost_rows(), column, value)


def _one_cell_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dataset: str, header: list[str], rows: list[list[Any]],
    column: str, value: str,
) -> None:  # fmt: skip
    """Row 20's `column` set to `value`: whichever path answers, result, report and stored rows are the checked path's."""
    rows[20][header.index(column)] = value
    fast, checked, a, b = both(write(tmp_path / "one.csv", [header, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.message == checked.message
    assert stored(a, dataset) == stored(b, dataset)


def test_a_ledger_without_stage_and_project_columns_takes_the_bulk_path_with_the_same_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [[f"2026-01-{d:02d}", "差旅", f"{100 + d}.5"] for d in range(1, 29)]
    path = write(tmp_path / "报销.csv", [["日期", "费用类别", "金额(元)"], *rows])
    for stage in (None, "invoiced"):
        fast, checked, a, b = both(path, monkeypatch, dataset="costs", project="HIS", stage=stage)
        assert_same(fast, checked)
        assert fast.status == "loaded" and _cost_rows_path(a) == [(True,)]
        assert stored(a, "costs") == stored(b, "costs")
        assert a.execute("SELECT DISTINCT project, stage FROM costs").fetchall() == [("HIS", stage or "paid")]
        assert fast.notes[:2] == checked.notes[:2] and "HIS" in fast.notes[0]


@pytest.mark.parametrize(
    "changes",
    [
        {(40, 3): "abc"},  # a non-number in the last row
        {(5, 3): "待定", (40, 4): "N/A"},  # two columns, two rows
        {(12, 3): "#DIV/0!", (12, 4): "-5"},  # an Excel error and, on the same row, a rule on the other field
        {(7, 3): "1,234", (8, 4): "200"},  # the rules read 1,234: the checked path stores the file
        {(9, 3): " 12"},  # spaces around: the rules read it
        {(3, 3): "-9223372036854775808"},  # the sentinel's own text
        {(2, 3): "12.5"},  # not a whole number
        {(5, 1): ""},  # a department missing (a key's text)
        {(5, 1): "", (6, 2): ""},  # two key texts missing: alike to the duplicate check, so the checked path's
        {(5, 1): "", (5, 3): "abc"},  # and a refused number on the same row
        {(5, 0): ""},  # the week missing: the checked path's
    ],
)
def test_refused_numbers_are_reported_from_the_bulk_read_exactly_as_the_checked_path_reports_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changes: dict[tuple[int, int], str]
) -> None:
    rows: list[list[Any]] = [USAGE_HEADER, *usage_rows(40)]
    for (r, c), v in changes.items():
        rows[r][c] = v
    fast, checked, a, b = both(write(tmp_path / "u.csv", rows), monkeypatch)
    assert_same(fast, checked)
    assert fast.message == checked.message
    assert stored(a, "usage") == stored(b, "usage")
    hist = "SELECT dataset, file_name, sheet, rows, status, message FROM import_log"
    assert a.execute(hist).fetchall() == b.execute(hist).fetchall()


@pytest.mark.parametrize("amount", ["abc", "#REF!", "12万", "(40)", "1,000.5", "NaN", "-"])
def test_refused_amounts_in_a_ledger_match_the_checked_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, amount: str
) -> None:
    rows = cost_rows()
    rows[30][COST_HEADER.index("金额(元)")] = amount
    fast, checked, a, b = both(write(tmp_path / "c.csv", [COST_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert stored(a, "costs") == stored(b, "costs")


@pytest.mark.parametrize(
    ("dataset", "column", "value", "message"),
    [
        ("costs", "付款状态", "待定", "「待定」不是可识别的资金状态"),
        ("incidents", "优先级", "P5", "P5"),
        ("costs", "项目名称", "", "必填字段「项目名称」为空 / required value missing"),
        ("incidents", "系统", "", "必填字段「系统」为空 / required value missing"),
        ("incidents", "报修时间", "", "必填字段「报修时间」为空 / required value missing"),
        ("incidents", "工单号", "", "必填字段「工单号」为空 / required value missing"),  # the key's text
    ],
)
def test_a_refused_word_or_a_missing_value_costs_no_second_read_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dataset: str, column: str, value: str, message: str
) -> None:
    """An unknown stage in a ledger, an unknown priority in a ticket export, a required value missing (a ticket id
    too, the key's text): reported from the bulk read with the checked path's message. Before, the file went to the checked path,
    which read it again: 2.1x the clean file for a stage, 2.3x for a missing project in a 1M-line ledger and 5.5x
    for a missing system in 1M tickets."""
    header, rows = {"costs": (COST_HEADER, cost_rows()), "incidents": (TICKET_HEADER, ticket_rows())}[dataset]
    rows[35][header.index(column)] = value
    res = _from_the_bulk_read(write(tmp_path / "one.csv", [header, *rows]), monkeypatch)
    assert res.status == "refused"
    # line 37: the header is line 1
    assert [(p.row, p.column, p.value) for p in res.problems] == [(37, column, value or None)]
    assert message in res.problems[0].message


@pytest.mark.parametrize(
    "changes",
    [
        {(4, c): "" for c in range(8)},  # a blank row: skipped by the checked path, with a note
        {(4, 1): "", (4, 2): ""},  # two required values missing: the row is reported once, for the first
        {(4, 1): "", (4, 4): "abc", (9, 5): ""},  # a refused amount beside a missing project; a missing stage
        {(4, 1): "", (5, 0): "合计"},  # a missing value and a total label: the checked path decides
        {(4, 1): "", (4, 6): "HT-1", (4, 7): "第 4 笔"},  # only the free-text cells written
        {(4, c): " " for c in range(8)},  # spaces in every cell
        {(40, 0): "2026-03-01", (40, 1): ""},  # a missing project on an extra last line
    ],
)
def test_missing_values_in_a_ledger_are_reported_from_the_bulk_read_exactly_as_the_checked_path_reports_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changes: dict[tuple[int, int], str]
) -> None:
    rows = cost_rows(40)
    rows.append(["", "项目1", "类别1", "厂商1", "100", "已付款", "", ""])
    for (r, c), v in changes.items():
        rows[r][c] = v
    fast, checked, a, b = both(write(tmp_path / "c.csv", [COST_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.message == checked.message
    assert stored(a, "costs") == stored(b, "costs")
    hist = "SELECT dataset, file_name, sheet, rows, status, message FROM import_log"
    assert a.execute(hist).fetchall() == b.execute(hist).fetchall()


def test_a_refused_number_costs_no_second_read_of_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows: list[list[Any]] = [USAGE_HEADER, *usage_rows(40)]
    rows[40][3] = "abc"
    calls: list[int] = []
    monkeypatch.setattr(importer, "prepare", _no_second_read(importer.prepare, calls))
    monkeypatch.setattr(readers, "PYTHON_PARSE_BYTES", 0)
    (res,) = importer.import_file(store.memory_store(), write(tmp_path / "u.csv", rows))
    assert res.status == "refused" and not calls
    assert [(p.row, p.column, p.value) for p in res.problems] == [
        (41, "活跃用户数", "abc")
    ]  # line 41: the header is line 1


def test_random_dirty_exports_get_the_same_result_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seeded mixes of what goes wrong in real exports (refused numbers, rule breaches, labels, blank cells,
    repeated keys, dates the native reader does not take): whichever path answers, status, report, notes, history
    and stored rows are those of the checked path."""
    import random

    rng = random.Random(20261202)
    mutations = [
        (3, "abc"),
        (3, "#N/A"),
        (4, "-1"),
        (3, "500"),
        (4, "7"),
        (3, "1,200"),
        (4, ""),
        (0, "2026/1/5"),
        (1, "合计"),
        (2, ""),
        (3, "3.5"),
        (4, "100 "),
    ]
    for case in range(12):
        rows: list[list[Any]] = [USAGE_HEADER, *usage_rows(40)]
        for _ in range(rng.randint(1, 3)):
            col, value = rng.choice(mutations)
            rows[rng.randint(1, 40)][col] = value
        if rng.random() < 0.2:
            rows.append(list(rows[rng.randint(1, 40)]))  # a repeated row
        fast, checked, a, b = both(write(tmp_path / f"u{case}.csv", rows), monkeypatch)
        assert_same(fast, checked)
        assert fast.message == checked.message, case
        assert stored(a, "usage") == stored(b, "usage"), case
        hist = "SELECT dataset, file_name, sheet, rows, status, message FROM import_log"
        assert a.execute(hist).fetchall() == b.execute(hist).fetchall(), case


def test_a_clean_export_over_the_limit_is_refused_from_the_bulk_read_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COCKPIT_MAX_ROWS", "25")
    calls: list[int] = []
    monkeypatch.setattr(importer, "prepare", _no_second_read(importer.prepare, calls))
    path = write(tmp_path / "usage_over.csv", [USAGE_HEADER, *usage_rows(40)])
    fast, checked, a, b = both(path, monkeypatch)
    assert_same(fast, checked)
    assert fast.message == checked.message and "超过上限 25" in fast.message
    assert calls == [0]  # only the checked-only import read the file again
    hist = "SELECT dataset, file_name, sheet, rows, status, message FROM import_log"
    assert a.execute(hist).fetchall() == b.execute(hist).fetchall()
    assert _counts(a) == (0, 0)


def test_untidy_text_in_several_ledger_columns_is_stored_as_the_checked_path_stores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one check scan finds untidy text (spaces around, runs of spaces, tabs, ideographic spaces) in any text
    column, only those columns are rewritten, and the counts are taken again after: same rows as the checked
    path, and a value that trims to nothing in a required column sends the file to the checked path."""
    rows = cost_rows()
    rows[2][2] = " 类别\t 2 "  # a required label column
    rows[5][3] = "厂商\u30003"  # an optional label column
    rows[7][6] = "  HT-0007  "  # a contract number (free text: never listed)
    rows[9][7] = "第  9 笔\u3000"  # a description
    fast, checked, a, b = both(write(tmp_path / "付款台账.csv", [COST_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "loaded" and _cost_rows_path(a) == [(True,)]  # bulk: no row numbers
    assert stored(a, "costs") == stored(b, "costs")
    assert a.execute("SELECT count(*) FROM costs WHERE category = '类别 2' OR vendor = '厂商 3'").fetchone()[0] >= 2  # type: ignore[index]
    rows[4][1] = " \u3000 "  # a required project that trims to nothing
    fast, checked, a, b = both(write(tmp_path / "付款台账2.csv", [COST_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "refused" and _cost_rows_path(a) == []


# every space DuckDB's trim() strips, which validate.text_sql trims: a no-break space (U+00A0, Excel and web
# pages), figure and thin spaces (U+2007, U+2009), narrow no-break (U+202F), ogham (U+1680), medium math (U+205F)
UNICODE_SPACES = ["\u00a0", "\u1680", "\u2000", "\u2007", "\u2009", "\u200a", "\u202f", "\u205f"]


@pytest.mark.parametrize("space", UNICODE_SPACES, ids=[f"U+{ord(s):04X}" for s in UNICODE_SPACES])
def test_a_unicode_space_at_the_edge_of_a_text_is_trimmed_alike_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, space: str
) -> None:
    """Found by comparing both paths on 3,372 generated files: the bulk path looked for a plain space at the edges
    only, so it stored '科室2' + U+00A0 where the checked path stores '科室2', loaded a system of one U+00A0 the checked
    path refuses as missing, kept two ticket ids differing by a trailing space as two tickets, and left the second
    missing category out of its report."""
    rows = usage_rows()
    rows[3][1] = f"{rows[3][1]}{space}"  # stored trimmed, as a department of its own
    rows[6][1] = f"{space}{rows[6][1]}"
    fast, checked, a, b = both(write(tmp_path / "u.csv", [USAGE_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "loaded" and stored(a, "usage") == stored(b, "usage")
    assert {r[1] for r in stored(a, "usage")} == {f"科室{i}" for i in range(5)}

    rows = usage_rows()
    rows[5][2] = space  # a required system of one space: missing
    fast, checked, a, b = both(write(tmp_path / "u2.csv", [USAGE_HEADER, *rows]), monkeypatch)
    _refused_alike(fast, checked, a, b, "")
    assert [(p.row, p.column) for p in fast.problems] == [(7, "系统")]

    tickets = ticket_rows()
    tickets[4] = [f"{tickets[3][0]}{space}", *tickets[3][1:]]  # the same ticket again, written with a space
    fast, checked, a, b = both(write(tmp_path / "运维工单.csv", [TICKET_HEADER, *tickets]), monkeypatch)
    assert_same(fast, checked)
    assert (fast.status, fast.rows) == ("loaded", 35) and stored(a, "incidents") == stored(b, "incidents")

    costs = cost_rows()
    costs[0][2] = ""  # a category missing, then one of a space only: both reported
    costs[1][2] = space
    fast, checked, a, b = both(write(tmp_path / "付款台账.csv", [COST_HEADER, *costs]), monkeypatch)
    _refused_alike(fast, checked, a, b, "2 ")
    assert [(p.row, p.column) for p in fast.problems] == [(2, "费用类别"), (3, "费用类别")]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("活跃用户数", "99999999999999999999"),  # beyond a 64-bit whole number: it crashed the checked path
        ("应用人数", "-9999999999999999999"),
        ("活跃用户数", "9" * 400),
    ],
)
def test_a_whole_number_the_store_cannot_hold_is_refused_with_its_row_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str, value: str
) -> None:
    rows = usage_rows()
    rows[2][USAGE_HEADER.index(column)] = value
    fast, checked, a, b = both(write(tmp_path / "u.csv", [USAGE_HEADER, *rows]), monkeypatch)
    _refused_alike(fast, checked, a, b, "")
    (problem,) = fast.problems
    assert (problem.row, problem.column, problem.value) == (4, column, value)
    assert "超出可存储的范围 / number out of range" in problem.message


def test_an_amount_too_large_for_a_float_is_refused_never_stored_as_infinity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = cost_rows()
    rows[3][4] = "9" * 400  # float() of it is infinity: the money page would have shown an infinite total
    rows[6][4] = "1e400"
    fast, checked, a, b = both(write(tmp_path / "付款台账.csv", [COST_HEADER, *rows]), monkeypatch)
    _refused_alike(fast, checked, a, b, "")
    assert [(p.row, p.column) for p in fast.problems] == [(5, "金额(元)"), (8, "金额(元)")]
    assert all("number out of range" in p.message for p in fast.problems)


def test_a_utf16_export_is_recorded_with_its_byte_order_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The big-file path named a UTF-16 file with a BOM 'utf-16', the checked path 'utf-16-le' / 'utf-16-be'."""
    for codec, name in (("utf-16", "utf-16-le"), ("utf-16-be", "utf-16-be")):
        path = tmp_path / f"{name}.csv"
        text = "\ufeff" * (codec == "utf-16-be") + "\r\n".join(",".join(r) for r in [TICKET_HEADER, *ticket_rows()])
        path.write_bytes(text.encode(codec))
        fast, checked, a, b = both(path, monkeypatch)
        assert_same(fast, checked)
        assert fast.status == "loaded" and stored(a, "incidents") == stored(b, "incidents")
        logged = "SELECT encoding FROM import_log"
        assert a.execute(logged).fetchall() == b.execute(logged).fetchall() == [(name,)]


# ------------------------------------------------------------------------ help-desk tickets on the bulk path

TICKET_HEADER = ["工单号", "系统", "报修科室", "优先级", "报修时间", "响应时间", "解决时间", "故障类别", "故障描述"]


def ticket_rows(n: int = 36) -> list[list[Any]]:
    """Tickets as help-desk systems export them: times with and without seconds, / or - and T, a date alone,
    no response or resolution yet, and the priority written every usual way."""
    priorities = ("P1", "p2", "3", "紧急", "高", "一般", "低", "Urgent", "MEDIUM", "四级", " P2 ")
    out: list[list[Any]] = []
    for i in range(n):
        day = 1 + i % 28
        opened = (
            f"2026-02-{day:02d} 0{i % 10}:{i % 60:02d}:{(7 * i) % 60:02d}",
            f"2026/2/{day} {8 + i % 12}:{i % 60:02d}",
        )[i % 2]
        responded = "" if i % 9 == 0 else (f"2026-02-{day:02d}T{10 + i % 10}:15", f"2026-02-{day:02d} 22:00:00")[i % 2]
        resolved = "" if i % 6 == 0 else f"2026-03-{day:02d}" if i % 4 == 0 else f"2026/3/{day} 23:59:59"
        out.append(
            [f"INC-{i:05d}", f"SYS{i % 3}", f"科室{i % 4}", priorities[i % len(priorities)], opened, responded,
             resolved, f"类别{i % 5}", f"第 {i} 号故障"]
        )  # fmt: skip
    return out


def _ticket_rows_path(con: duckdb.DuckDBPyConnection) -> list[Any]:
    return con.execute("SELECT DISTINCT row_no IS NULL FROM incident_rows").fetchall()


def test_a_ticket_export_takes_the_bulk_path_and_stores_what_the_checked_path_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, checked, a, b = both(write(tmp_path / "运维工单.csv", [TICKET_HEADER, *ticket_rows()]), monkeypatch)
    assert_same(fast, checked)
    assert (fast.status, fast.rows, fast.dataset) == ("loaded", 36, "incidents")
    assert _ticket_rows_path(a) == [(True,)]  # bulk: no row numbers
    assert _ticket_rows_path(b) == [(False,)]
    assert stored(a, "incidents") == stored(b, "incidents")
    got = a.execute(
        "SELECT ticket_id, priority, opened, responded, resolved FROM incidents WHERE ticket_id IN"
        " ('INC-00000', 'INC-00001', 'INC-00004', 'INC-00010') ORDER BY 1"
    ).fetchall()
    assert got == [  # read by hand from ticket_rows()
        ("INC-00000", "P1", dt.datetime(2026, 2, 1, 0, 0, 0), None, None),
        ("INC-00001", "P2", dt.datetime(2026, 2, 2, 9, 1), dt.datetime(2026, 2, 2, 22, 0), dt.datetime(2026, 3, 2, 23, 59, 59)),
        ("INC-00004", "P2", dt.datetime(2026, 2, 5, 4, 4, 28), dt.datetime(2026, 2, 5, 14, 15), dt.datetime(2026, 3, 5)),
        ("INC-00010", "P2", dt.datetime(2026, 2, 11, 0, 10, 10), dt.datetime(2026, 2, 11, 10, 15), dt.datetime(2026, 3, 11, 23, 59, 59)),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("报修时间", "2026-02-05 8:5"),  # a one-digit minute: refused by the rules
        ("报修时间", "2026-02-05 08:00:00.5"),  # a fraction of a second: the rules read it
        ("报修时间", "2026年2月5日 8:00"),
        ("报修时间", "2026-02-05 下午3:00"),
        ("报修时间", "2026-02-05 08:00:00+08:00"),  # a time zone: dropped by the rules
        ("报修时间", "2026-02-30 08:00"),  # no such day
        ("报修时间", "2026-02-05 24:00"),  # no such time
        ("报修时间", "0026-02-05 08:00"),  # an implausible year
        ("报修时间", "2026-2/5 08:00"),  # two separators
        ("报修时间", "46058.5"),  # an Excel serial
        ("报修时间", ""),  # a required time missing
        ("解决时间", "2026-01-01 00:00"),  # resolved before opened: a rule breach, reported by row
        ("响应时间", "2025/12/31"),  # responded before opened
        ("优先级", "P1-紧急"),  # both parts agree: the rules read it
        ("优先级", "P5"),
        ("优先级", "一 级"),
        ("工单号", "合计"),
        ("工单号", "INC-00003"),  # the same ticket twice in one export, with different times
        ("报修时间", "infinity"),  # DuckDB's cast reads it; the rules do not
        ("解决时间", "20260-03-21 10:00:00"),  # a typed extra digit: DuckDB's cast gives it back unchanged
        ("报修时间", "2026-02-21 (BC) 10:00:00"),
        ("响应时间", "2026-02-21 (BC) 10:00:00"),
        ("报修时间", "1989-12-31 10:00"),  # before the rules' first year
        ("解决时间", "-infinity"),
        ("响应时间", "#N/A"),
        ("响应时间", "   "),
        ("系统", ""),  # a required text missing
        ("优先级", ""),
        ("工单号", ""),  # the key missing: the checked path's
    ],
)
def test_anything_unusual_in_a_ticket_export_gets_exactly_the_checked_path_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str, value: str
) -> None:
    _one_cell_changed(tmp_path, monkeypatch, "incidents", TICKET_HEADER, ticket_rows(), column, value)


@pytest.mark.parametrize(
    ("changes", "reported"),
    [
        ({(36, 4): "2026-02-05 8:5"}, [(37, "报修时间", "2026-02-05 8:5")]),  # line 37: the header is line 1
        (
            {(2, 5): "2026-02-30 10:00", (30, 6): "上周五"},
            [(3, "响应时间", "2026-02-30 10:00"), (31, "解决时间", "上周五")],
        ),
    ],
)
def test_a_refused_time_in_a_ticket_export_is_reported_from_the_bulk_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changes: dict[tuple[int, int], str], reported: list[Any]
) -> None:
    """A time the rules refuse, in a column that is not the key, is kept as a sentinel and reported with the
    rules' own message, as the checked path reports it, without reading the file again."""
    rows: list[list[Any]] = [TICKET_HEADER, *ticket_rows()]
    for (r, c), v in changes.items():
        rows[r][c] = v
    path = write(tmp_path / "工单.csv", rows)
    res = _from_the_bulk_read(path, monkeypatch)
    assert res.status == "refused"
    assert [(p.row, p.column, p.value) for p in res.problems] == reported
    fast, checked, a, b = both(path, monkeypatch)
    assert_same(fast, checked)
    assert fast.message == checked.message


def test_a_later_ticket_export_replaces_the_same_tickets_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Next week's export holds some of the same tickets, now resolved: each replaces its earlier row wherever it
    was loaded from, the bulk path as the checked path."""
    first = write(tmp_path / "工单_第1周.csv", [TICKET_HEADER, *ticket_rows()])
    later = ticket_rows(48)[24:]  # tickets 24–35 again, and 12 new ones
    for row in later:
        row[6] = "2026/3/28 10:00"
    second = write(tmp_path / "工单_第2周.csv", [TICKET_HEADER, *later])
    monkeypatch.setattr(readers, "PYTHON_PARSE_BYTES", 0)
    fast, checked = store.memory_store(), store.memory_store()
    for path in (first, second):
        (r1,) = importer.import_file(fast, path)
        with monkeypatch.context() as m:
            m.setattr(importer, "_bulk_prepared", lambda *a, **k: None)
            (r2,) = importer.import_file(checked, path)
        assert_same(r1, r2)
        assert r1.status == "loaded"
    assert _ticket_rows_path(fast) == [(True,)]
    assert stored(fast, "incidents") == stored(checked, "incidents")
    counts = "SELECT count(*), count(*) FILTER (WHERE resolved = TIMESTAMP '2026-03-28 10:00') FROM incidents"
    assert fast.execute(counts).fetchone() == (48, 24)


# ------------------------------------------------------------------ plain dates read by DuckDB on the checked path


def _stamp_texts() -> list[str]:
    """Dates and date-times near every edge of the plain form: years 1989–2101, months 0–13, days 0–32, hours 0–25,
    minutes and seconds 0–61, one- and two-digit parts, space or T, fractions, zones and other separators."""
    import random

    rng = random.Random(20261203)
    out = ["2026-01-05", "2026-1-5", "2026-01-05 08:05", "2026-01-05T08:05:07", "2024-02-29", "2025-02-29",
           "2026-01-05 24:00", "2026-01-05 23:59:59", "2026-01-05 8:5", "2026-01-05 08:05:07.5", "1990-01-01",
           "1989-12-31", "2100-12-31", "2101-01-01", "2026-04-31", " 2026-01-05 ", "2026/01/05", "2026-01-05Z",
           "2026-01-05 08:05+08:00", "2026-01-05  08:05", "2026-01-05 08:60"]  # fmt: skip
    for _ in range(3000):
        y = rng.choice([1989, 1990, 1999, 2000, 2024, 2025, 2026, 2099, 2100, 2101])
        mo, d = rng.randint(0, 13), rng.randint(0, 32)
        text = f"{y}-{mo:0{rng.choice([1, 2])}d}-{d:0{rng.choice([1, 2])}d}"
        if rng.random() < 0.7:
            h, mi, s = rng.randint(0, 25), rng.randint(0, 61), rng.randint(0, 61)
            text += f"{rng.choice([' ', 'T', '  '])}{h:0{rng.choice([1, 2])}d}:{mi:02d}"
            if rng.random() < 0.5:
                text += f":{s:02d}" + rng.choice(["", "", ".5"])
        out.append(text)
    return out


@pytest.mark.parametrize("kind", ["date", "datetime"])
def test_a_plain_date_duckdb_reads_is_read_alike_by_the_rules(kind: str) -> None:
    """Every text the checked path hands to DuckDB's cast (validate.PLAIN_DATE) gives what coerce gives; the rest
    go to coerce, which reads or refuses them with its own message."""
    from loaders import coerce

    pattern, cast = validate.PLAIN_DATE[kind]
    texts = _stamp_texts()
    con = duckdb.connect()
    got = con.execute(
        f"SELECT t, regexp_full_match(trim(t), '{pattern}') AND try_cast(trim(t) AS {cast}) IS NOT NULL,"  # noqa: S608
        f" try_cast(trim(t) AS {cast}) FROM unnest(?::VARCHAR[]) AS u(t)",
        [texts],
    ).fetchall()
    parse = coerce.parse_date if kind == "date" else coerce.parse_datetime
    native = 0
    for text, plain, value in got:
        if plain:
            native += 1
            assert parse(text) == value, text
    assert 700 < native < len(texts) - 700  # both sides of the line are exercised


def test_a_ticket_export_on_the_checked_path_reads_its_times_in_duckdb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small export (the data page's preview, a file under the bulk size) has every time distinct: they are read by
    DuckDB's cast, not one by one by the rules, and stored as the rules store them."""
    from loaders import coerce

    rows = ticket_rows()
    rows[3][4] = "2026年2月4日 下午3:00"  # not plain: the rules read it
    path = write(tmp_path / "工单.csv", [TICKET_HEADER, *rows])
    seen: list[str] = []
    real = coerce.parse_datetime

    def spy(text: str) -> Any:
        seen.append(text)
        return real(text)

    monkeypatch.setitem(coerce.COERCERS, "datetime", spy)
    (res,) = importer.import_file(store.memory_store(), path)
    assert res.status == "loaded" and res.rows == 36
    plain = [t for r in rows for t in r[4:7] if t and "/" not in t and "年" not in t]
    assert len(plain) > 40 and not set(plain) & set(seen)  # none of the plain ones went through the rules
    assert "2026年2月4日 下午3:00" in seen and any("/" in t for t in seen)
    monkeypatch.undo()
    fast, checked, a, b = both(path, monkeypatch)  # and what is stored is what the rules alone store
    rules = store.memory_store()
    with monkeypatch.context() as m:
        m.setattr(validate, "PLAIN_DATE", {})
        (rules_only,) = importer.import_file(rules, path)
    assert_same(checked, rules_only)
    assert stored(b, "incidents") == stored(rules, "incidents")


INSPECTION_HEADER = ["系统", "计划巡检日期", "实际巡检日期", "巡检项数", "异常项数", "巡检人"]


@pytest.mark.parametrize("done", ["1月", "20260-01-21", "2026-01-21 (BC)", "2025/13/01"])
def test_a_date_outside_the_key_gets_exactly_the_checked_path_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, done: str
) -> None:
    """An inspection log whose file name states the year: 1月 is read as January of that year by the rules, so the
    file is stored (by the checked path); a date DuckDB's cast gives back unchanged but the rules refuse (a
    five-digit year, BC) is refused with the rules' message, never stored."""
    rows = [
        [
            f"SYS{i % 4}",
            f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}",
            f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}",
            10,
            i % 3,
            "王工",
        ]
        for i in range(40)
    ]
    rows[20][2] = done
    fast, checked, a, b = both(write(tmp_path / "2026年巡检记录.csv", [INSPECTION_HEADER, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.message == checked.message
    assert stored(a, "inspections") == stored(b, "inspections")
    assert fast.status == ("loaded" if done == "1月" else "refused")


# ----------------------------------------------------------------- found by review of the sentinel change


@pytest.mark.parametrize(
    ("dataset", "row"),
    [
        ("incidents", ["INC-99999", "SYS1", "科室1", "优先级", "报修时间", "响应时间", "解决时间", "类别1", "x"]),
        ("incidents", ["INC-99999", "SYS1", "科室1", "P1", "报修时间", "响应时间", "解决时间", "类别1", "故障描述"]),
        ("costs", ["日期", "项目1", "类别1", "供应商", "金额(元)", "付款状态", "HT-9", "x"]),
        ("costs", ["日期", "项目1", "类别1", "供应商", "金额(元)", "已付款", "合同编号", "x"]),
        ("costs", ["日期", "", "类别1", "供应商", "金额(元)", "已付款", "合同编号", ""]),
    ],
)
def test_a_header_repeated_in_dates_numbers_and_words_is_the_checked_paths_to_decide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dataset: str, row: list[str]
) -> None:
    """A row repeating the header in half its columns is a repeated header to the checked path, which counts every
    mapped column; the bulk scan counts text columns only, so a refused date, amount, stage or priority that is its
    column's header hands the file over instead of being reported as a bad value."""
    header, rows = (TICKET_HEADER, ticket_rows()) if dataset == "incidents" else (COST_HEADER, cost_rows())
    rows.insert(20, row)
    fast, checked, a, b = both(write(tmp_path / "h.csv", [header, *rows]), monkeypatch)
    assert_same(fast, checked)
    assert fast.message == checked.message
    assert stored(a, dataset) == stored(b, dataset)


@pytest.mark.parametrize(
    ("dataset", "column"),
    [("incidents", "故障描述"), ("incidents", "报修科室"), ("costs", "供应商"), ("costs", "合同编号")],
)
def test_a_lone_nul_in_an_optional_text_is_dropped_as_the_checked_path_drops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dataset: str, column: str
) -> None:
    """Only a required text's lone NUL is the sentinel of a missing value; anywhere else it is text the checked path
    drops (stored empty). A file over 50 MB decodes only its head on both paths (WHOLE_DECODE_BYTES), so the NUL past
    the head reaches both."""
    monkeypatch.setattr(readers, "WHOLE_DECODE_BYTES", 0)
    header, rows = (TICKET_HEADER, ticket_rows(400)) if dataset == "incidents" else (COST_HEADER, cost_rows(400))
    rows[350][header.index(column)] = "\x00"
    path = write(tmp_path / "n.csv", [header, *rows])
    assert path.read_bytes().find(b"\x00") > 8192
    fast, checked, a, b = both(path, monkeypatch)
    assert_same(fast, checked)
    assert fast.status == "loaded"
    assert stored(a, dataset) == stored(b, dataset)


def test_a_field_with_a_missing_and_a_refused_value_is_reported_from_the_one_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = ticket_rows()
    rows[3][TICKET_HEADER.index("优先级")] = ""
    rows[5][TICKET_HEADER.index("优先级")] = "P9"
    path = write(tmp_path / "m.csv", [TICKET_HEADER, *rows])
    res = _from_the_bulk_read(path, monkeypatch)
    assert res.status == "refused"
    fast, checked, _, _ = both(path, monkeypatch)
    assert_same(fast, checked)
    assert [(p.row, p.column, p.value) for p in res.problems] == [(7, "优先级", "P9"), (5, "优先级", None)]


def test_duplicate_keys_are_reported_in_file_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checked path's duplicate-key report follows the file (it followed the hash table's order, which changed
    between runs of the same file)."""
    rows: list[list[Any]] = [USAGE_HEADER, *usage_rows(40)]
    for r in range(12, 0, -1):  # rows 2..13 repeated, in reverse, with other counts
        rows.append([*rows[r][:3], 5, 100])
    path = write(tmp_path / "dups.csv", rows)
    (res,) = importer.import_file(store.memory_store(), path)
    assert res.status == "refused"
    dup_rows = [p.row for p in res.problems if "重复且内容不同" in p.message]
    firsts = [dup_rows[i] for i in range(0, len(dup_rows), 2)]
    assert len(dup_rows) == 24 and firsts == sorted(firsts) == list(range(2, 14))


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-16"])
def test_a_nul_past_the_head_of_a_file_decoded_whole_is_refused_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    """A file the checked path decodes whole (up to 50 MB) is refused for a NUL anywhere in it; the bulk path reads
    only the head to decide the encoding, so it looks for one too (before, it stored the rows without the NUL)."""
    start = dt.date(2020, 1, 6)
    rows: list[list[Any]] = [USAGE_HEADER]
    rows += [[start + dt.timedelta(weeks=i // 20), f"科室{i % 20}", "LIS", 1, 100] for i in range(1000)]
    rows[-3][1] = "科室\x00"
    path = write(tmp_path / "nul.csv", rows, encoding=encoding)
    assert path.read_bytes().find(b"\x00\x00" if encoding == "utf-16" else b"\x00") > 20_000  # past the sniffing
    fast, checked, a, b = both(path, monkeypatch)
    _refused_alike(fast, checked, a, b, "无法识别编码")


def test_refused_values_in_several_columns_are_read_back_in_one_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused time, a missing system and an unknown priority on three rows: the records are read back once for
    the three columns (each such read of a 1M-ticket file costs about a quarter of the clean import), and the
    report is the checked path's."""
    from loaders import bulk

    rows = ticket_rows()
    rows[3][TICKET_HEADER.index("报修时间")] = "2026-02-05 8:5"
    rows[7][TICKET_HEADER.index("系统")] = ""
    rows[10][TICKET_HEADER.index("优先级")] = "P9"
    path = write(tmp_path / "three.csv", [TICKET_HEADER, *rows])
    reads: list[int] = []
    real = bulk._csv_source
    with monkeypatch.context() as m:
        m.setattr(bulk, "_csv_source", lambda bp: (reads.append(1), real(bp))[1])
        m.setattr(readers, "PYTHON_PARSE_BYTES", 0)
        (res,) = importer.import_file(store.memory_store(), path)
    assert res.status == "refused" and len(reads) == 2  # the insert, then one read back
    assert [(p.row, p.column) for p in res.problems] == [(12, "优先级"), (5, "报修时间"), (9, "系统")]
    fast, checked, _, _ = both(path, monkeypatch)
    assert_same(fast, checked)
