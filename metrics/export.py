"""Excel and CSV exports of any table, safe to open: no cell of ours can ever run as a formula.

XLSX has cell types: every text cell is written as a string cell (shown, never evaluated), with no quote to see.
CSV has no types: text that starts like a formula (= + - @ tab CR) gets a leading quote (OWASP's rule).
Numbers stay numbers in both, so a negative figure keeps its sign.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import numbers
import re
import unicodedata
from collections.abc import Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
NUMBER_FORMAT = "0.00"
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def neutralise(text: str) -> str:
    """Text a spreadsheet would read as a formula, made inert with a leading quote (for CSV)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def sheet_title(name: str) -> str:
    """A legal sheet name: no []:*?/\\ and at most 31 characters."""
    return _SHEET_BAD.sub("_", name).strip("'")[:31] or "data"


def display_width(text: str) -> int:
    """Columns a text takes on screen: CJK (wide) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _missing(v: object) -> bool:
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    return isinstance(v, float) and math.isnan(v)


def cell_value(v: object) -> object:
    """A value openpyxl can write: numbers, booleans, dates, else text."""
    if _missing(v):
        return None
    if isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, dt.datetime):
        return v.date() if v.time() == dt.time(0) and v.tzinfo is None else v  # a day, not "00:00:00"
    if isinstance(v, dt.date):
        return v
    item = getattr(v, "item", None)  # numpy scalars
    if callable(item):
        return cell_value(item())
    return str(v)


def to_xlsx(
    df: pd.DataFrame,
    sheet_name: str = "data",
    money_columns: Sequence[str] = (),
    *,
    sheet: str | None = None,
    percent_columns: Sequence[str] = (),
    number_columns: Sequence[str] = (),
) -> bytes:
    """The table as an .xlsx: bold frozen header, sized columns, text always a string cell, and real number
    formats: money #,##0.00, shares 0.0% (the cell holds the fraction: 1.0668 shows as 106.7%), indices 0.00.

    `sheet` is an alias of `sheet_name` (the shell's download helper passes it by that name).
    """
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet_title(sheet if sheet is not None else sheet_name)
    formats: dict[int, str] = {}
    for names, fmt in (
        (number_columns, NUMBER_FORMAT),
        (percent_columns, PERCENT_FORMAT),
        (money_columns, MONEY_FORMAT),
    ):
        formats.update({i: fmt for i, c in enumerate(df.columns) if c in set(names)})
    widths = [display_width(str(c)) for c in df.columns]
    bold = Font(bold=True)
    for j, name in enumerate(df.columns, start=1):
        cell = ws.cell(row=1, column=j)
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(name))
        cell.data_type = "s"
        cell.font = bold
    for i, row in enumerate(df.itertuples(index=False, name=None), start=2):
        for j, raw in enumerate(row):
            value = cell_value(raw)
            cell = ws.cell(row=i, column=j + 1)
            if isinstance(value, str):
                text = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.value = text
                # openpyxl turns text starting with "=" into a formula on assignment; a string cell stays text.
                cell.data_type = "s"
                widths[j] = max(widths[j], display_width(text))
                continue
            cell.value = value  # type: ignore[assignment]
            if isinstance(value, dt.date | dt.datetime):
                cell.number_format = DATE_FORMAT
                widths[j] = max(widths[j], 10)
            elif j in formats and isinstance(value, int | float) and not isinstance(value, bool):
                cell.number_format = formats[j]
                widths[j] = max(widths[j], len(f"{value:,.2f}") + 1)
            elif value is not None:
                widths[j] = max(widths[j], len(str(value)))
    ws.freeze_panes = "A2"
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, w + 2)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv_value(v: object) -> object:
    if isinstance(v, str):
        return neutralise(v)
    if isinstance(v, dt.date | pd.Timestamp):
        return cell_value(v)  # days without "00:00:00"
    return v


def to_csv(df: pd.DataFrame, percent_columns: Sequence[str] = ()) -> bytes:
    """UTF-8 with a BOM (Excel opens it in the right encoding); text cells that start like a formula get a quote.
    A share in `percent_columns` is written as a percentage ("106.4594%", four decimals), as the table shows it and
    as Excel reads it back (the share 1.064594), never as the bare fraction a reader could take for 1.06 %."""
    safe = df.copy()
    for col in safe.columns:
        safe[col] = safe[col].map(_percent if col in percent_columns else _csv_value).astype(object)
    return safe.to_csv(index=False).encode("utf-8-sig")


def _percent(v: object) -> object:
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or v != v:
        return _csv_value(v)  # a blank or a text stays what it is
    return f"{v * 100:.4f}".rstrip("0").rstrip(".") + "%"
