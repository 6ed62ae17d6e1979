"""The targets table edited on the data page, saved the way a PMO upload is: written as the template's export
(Chinese headers) and imported through the importer, so it is checked, recorded in the history and can be undone."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
from openpyxl import Workbook

from loaders import importer, templates
from loaders.datasets import DATASETS

KIND_WORDS = {"kpi": "效益指标", "usage": "使用率"}
DIRECTION_WORDS = {"lower": "越低越好", "higher": "越高越好"}


def export_rows(df: pd.DataFrame, path: Path) -> None:
    """Write `df` (columns: the targets fields) as a targets export with the template's headers."""
    ds = DATASETS["targets"]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = ds.label_zh
    ws.append([templates.header_for(ds, f) for f in ds.fields])
    for row in df.to_dict("records"):
        values: list[object] = []
        for f in ds.fields:
            v = row.get(f.name)
            if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
                values.append(None)
            elif f.name == "kind":
                values.append(KIND_WORDS.get(str(v), str(v)))
            elif f.name == "direction":
                values.append(DIRECTION_WORDS.get(str(v), str(v)))
            else:
                values.append(v)
        ws.append(values)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # typed text is never a formula
    wb.save(path)


def save(
    con: duckdb.DuckDBPyConnection, df: pd.DataFrame, as_of: dt.date, user: str | None = None
) -> list[importer.ImportResult]:
    """Import the edited table as the targets in force from `as_of` (one import: history, undo)."""
    with tempfile.TemporaryDirectory(prefix="cockpit-targets-") as tmp:
        path = Path(tmp) / f"目标值_{as_of.isoformat()}.xlsx"
        export_rows(df.dropna(how="all"), path)
        return importer.import_file(con, path, dataset="targets", as_of=as_of, user=user)
