"""Helpers for tests: an in-memory store and rows put straight into its raw tables."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import openpyxl

from loaders import store


def xlsx(path: Path, rows: list[list[Any]], sheet: str = "Sheet1") -> Path:
    """An .xlsx export written cell by cell as the rows say (title rows, totals and all)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def gbk_csv(path: Path, rows: list[list[Any]]) -> Path:
    """A CSV saved in GBK, as Excel on a Chinese Windows does."""
    with path.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def new_store() -> duckdb.DuckDBPyConnection:
    return store.memory_store()


def add_import(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    as_of: dt.date | None = None,
    status: str = "loaded",
    hospital: str | None = None,
) -> int:
    row = con.execute("SELECT nextval('import_seq')").fetchone()
    assert row is not None
    import_id = int(row[0])
    con.execute(
        "INSERT INTO import_log (import_id, dataset, file_name, rows, imported_at, imported_by, status, as_of,"
        " hospital) VALUES (?, ?, ?, 0, now(), 'test', ?, ?, ?)",
        [import_id, dataset, f"{dataset}-{import_id}.xlsx", status, as_of, hospital],
    )
    store.bump_data_version(con)
    return import_id


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    rows: Iterable[Mapping[str, Any]],
    as_of: dt.date | None = None,
    hospital: str | None = None,
) -> int:
    """Insert rows (dicts of raw-table columns) as one loaded import of `dataset` (of `hospital`, in a group store);
    returns its import id."""
    table = store.RAW_TABLES[dataset]
    snapshot = store.is_snapshot(dataset)
    import_id = add_import(con, dataset, as_of=as_of if snapshot else None, hospital=hospital)
    for i, r in enumerate(rows, start=2):
        data = dict(r)
        data["import_id"] = import_id
        data.setdefault("row_no", i)
        if snapshot:
            data.setdefault("as_of", as_of or dt.date(2026, 11, 23))
        cols = ", ".join(store.quote_ident(c) for c in data)
        marks = ", ".join("?" for _ in data)
        con.execute(f"INSERT INTO {store.quote_ident(table)} ({cols}) VALUES ({marks})", list(data.values()))  # noqa: S608
    return import_id
