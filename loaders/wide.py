"""Wide layouts: one column per period (2025年1月 … 12月, Y2018 … Y2020, 2020年 … 2017年) unpivoted into the long
form every dataset is stored in: one row per (label columns, period) with the cell as its value.

The long grid keeps the sheet's title rows above its header and numbers each row as the Excel row it came from,
so every later rule (units in a title line, problems by row) works as on any other sheet.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from loaders import coerce, readers

PERIOD_HEADER = "月份"  # the long grid's period column (a period alias of KPIs, budgets and usage)
VALUE_HEADERS = ("数值", "预算金额")  # the value column: KPIs first, then a budget
# headers of columns that describe a row without naming it (never taken as the KPI name)
_NOT_LABEL = {"单位", "unit", "行次", "栏次", "说明", "备注", "id", "序号", "编号", "no", "注"}
_NON_DATA_LABELS = {"栏次", "行次"}  # a column-number row under the header
# in a wide layout these cells mean "no value for this period / measure" (as an empty cell does)
NO_VALUE = {"-", "--", "—", "——", "/", "－"}
MAX_WIDE_ROWS = 200_000
_GENERIC_SHEETS = re.compile(r"^(sheet\d*|工作表\d*|统计指标|指标|数据|汇总|全院|医院|合计|kpi|kpis)$", re.I)

_YEAR = re.compile(r"^(?:y|fy|year)?\s*(\d{4})\s*年?(?:度)?$", re.I)
_YEAR_MONTH = re.compile(r"^(\d{4})\s*(?:年\s*(\d{1,2})\s*月(?:份)?|[-./](\d{1,2})|(\d{2}))$")
_MONTH_ONLY = re.compile(r"^(\d{1,2})\s*月(?:份)?$")
_YEAR_IN_TEXT = re.compile(r"((?:19|20)\d\d)\s*(?:年|-|/|\.|_|$)")


@dataclass
class Wide:
    """A sheet unpivoted: its long grid and what the preview says about it."""

    grid: readers.Grid
    note: str
    periods: list[str] = field(default_factory=list)
    empty_rows: list[int] = field(default_factory=list)  # Excel rows with a label and no value in any period
    repeated_headers: list[int] = field(default_factory=list)


def period_of(text: str, year: int | None) -> dt.date | None:
    """The first day of the period a column header names, or None: 2025年3月, 2025-03, 2025.04, 202503,
    2025/3, Y2018, 2020年, and 3月 when the sheet states its year elsewhere (`year`)."""
    s = coerce._norm(text).strip()
    if not s:
        return None
    m = _YEAR_MONTH.match(s)
    if m:
        y = int(m.group(1))
        mon = int(m.group(2) or m.group(3) or m.group(4))
        return _valid(y, mon)
    m = _YEAR.match(s)
    if m:
        return _valid(int(m.group(1)), 1)
    m = _MONTH_ONLY.match(s)
    if m and year is not None:
        return _valid(year, int(m.group(1)))
    return None


def _valid(y: int, m: int) -> dt.date | None:
    if not 1990 <= y <= 2100 or not 1 <= m <= 12:
        return None
    return dt.date(y, m, 1)


_YM_IN_TEXT = re.compile(r"((?:19|20)\d\d)\s*(?:年\s*(\d{1,2})\s*月|[-./](\d{1,2})(?!\d)|(0[1-9]|1[0-2])(?!\d))")


def month_stated(rows: list[list[str]], *names: str | None) -> dt.date | None:
    """A month written in the title rows, the sheet name or the file name (2025年3月, 2025-03, 202503)."""
    texts = [v for row in rows for _, v in readers.iter_nonempty(row)] + [n for n in names if n]
    for text in texts:
        m = _YM_IN_TEXT.search(coerce._norm(text))
        if m:
            found = _valid(int(m.group(1)), int(m.group(2) or m.group(3) or m.group(4)))
            if found is not None:
                return found
    return None


def year_stated(rows: list[list[str]], *names: str | None) -> int | None:
    """A year written in the title rows, the sheet name or the file name (for headers such as 3月)."""
    found = year_source(rows, *names)
    return found[0] if found is not None else None


def year_source(rows: list[list[str]], *names: str | None) -> tuple[int, str] | None:
    """The year `year_stated` finds and the text it was read from (a title cell, the sheet or the file name)."""
    texts = [v for row in rows for _, v in readers.iter_nonempty(row)] + [n for n in names if n]
    for text in texts:
        m = _YEAR_IN_TEXT.search(coerce._norm(text))
        if m:
            return int(m.group(1)), text
    return None


def _header_like(row: list[str], found: list[tuple[int, dt.date]]) -> bool:
    """Period columns side by side, in order, in a row whose other cells are words (a data row holding two
    numbers that look like years is not a header)."""
    cols = [c for c, _ in found]
    dates = [d for _, d in found]
    if cols[-1] - cols[0] + 1 != len(cols) or len(set(dates)) != len(dates):
        return False
    if dates != sorted(dates) and dates != sorted(dates, reverse=True):
        return False
    period_cols = set(cols)
    for c, v in readers.iter_nonempty(row):
        if c in period_cols:
            continue
        try:
            coerce.parse_number(v)
            return False
        except coerce.CoerceError:
            continue
    return True


def _all_rows(grid: readers.Grid) -> list[list[str]] | None:
    if grid.arrow is None:
        return grid.rows if grid.csv_path is None or not grid.truncated else None
    if grid.arrow_rows > MAX_WIDE_ROWS:
        return None
    table = grid.table
    assert table is not None
    cols = [table.column(i).to_pylist() for i in range(table.num_columns)]
    pad = [""] * grid.col_offset
    return [pad + [v if v is not None else "" for v in cells] for cells in zip(*cols, strict=True)]


def unpivot(
    grid: readers.Grid,
    value_header: str,
    label_header: str | None = None,
    keep_if: Callable[[str], bool] | None = None,
) -> Wide | None:
    """The sheet in long form when a header row holds two or more period columns, else None.

    `label_header` renames the first column that names the rows (项目 of a KPI sheet → 指标), unless `keep_if`
    says its own name already means something (预算科目)."""
    rows = _all_rows(grid)
    if rows is None:
        return None
    year = None
    best: tuple[int, list[tuple[int, dt.date]]] | None = None
    for r in range(min(len(rows), 30)):
        if year is None:
            year = year_stated(rows[:r], grid.sheet, grid.file_name)
        found = [(c, d) for c, v in readers.iter_nonempty(rows[r]) if (d := period_of(v, year)) is not None]
        if len(found) >= 2 and _header_like(rows[r], found) and (best is None or len(found) > len(best[1])):
            best = (r, found)
    if best is None:
        return None
    hdr, periods = best
    period_cols = {c for c, _ in periods}
    header = rows[hdr]
    keep = [c for c in range(len(header)) if c not in period_cols and header[c].strip()]
    if not keep or min(keep) > min(period_cols):
        return None  # nothing names the rows
    names = [header[c].strip() for c in keep]
    if label_header is not None:
        for i, n in enumerate(names):
            if coerce._norm(n).lower() not in _NOT_LABEL:
                if keep_if is None or not keep_if(n):
                    names[i] = label_header
                break
    long_rows: list[list[str]] = [list(r) for r in rows[:hdr]] + [[*names, PERIOD_HEADER, value_header]]
    numbers: list[int] = []
    empty_rows: list[int] = []
    repeated: list[int] = []
    first = grid.first_row
    for i in range(hdr + 1, len(rows)):
        row = rows[i]
        cells = [row[c] if c < len(row) else "" for c in keep]
        label = next((v.strip() for v in cells if v.strip()), "")
        if label in _NON_DATA_LABELS:
            continue
        excel_row = first + i
        if all(period_of(row[c] if c < len(row) else "", year) == d for c, d in periods):
            repeated.append(excel_row)  # the period headers again (a paged or pasted sheet)
            continue
        any_value = False
        for c, d in periods:
            v = row[c] if c < len(row) else ""
            if not v.strip() or v.strip() in NO_VALUE:
                continue
            any_value = True
            if (excel_row, c) in grid.percent_cells:
                v = _as_percent(v)
            long_rows.append([*cells, d.isoformat(), v])
            numbers.append(excel_row)
        if not any_value and any(v.strip() for v in cells):
            empty_rows.append(excel_row)  # a heading, or a measure with no value yet: nothing to store
    out = readers.Grid(
        file_name=grid.file_name,
        sheet=grid.sheet,
        rows=long_rows,
        first_row=first,
        hidden=grid.hidden,
        encoding=grid.encoding,
        row_numbers=numbers,
        warnings=grid.warnings,
    )
    out.bad_cells = grid.bad_cells
    letters = f"{readers.column_letter(min(period_cols))}–{readers.column_letter(max(period_cols))}"
    shown = "、".join(header[c].strip() for c, _ in periods[:3]) + ("…" if len(periods) > 3 else "")
    note = (
        f"宽表：第 {first + hdr} 行的 {len(periods)} 个期间列({letters} 列：{shown})已转为每期一行"
        f"({len(numbers)} 行) / Wide layout: {len(periods)} period columns of row {first + hdr} ({letters}) unpivoted"
        f" into one row per period ({len(numbers)} rows)"
    )
    yearless = [header[c].strip() for c, _ in periods if period_of(header[c], None) is None]
    if yearless and year is not None:  # 3月 … : the year was taken from the title, sheet or file name, say so
        note += (
            f"；「{yearless[0]}」等列没有写年份，按 {year} 年导入(取自标题、工作表名或文件名)"
            f" / columns such as {yearless[0]} state no year: read as {year} (from the title, sheet or file name)"
        )
    return Wide(out, note, [header[c] for c, _ in periods], empty_rows, repeated)


def _as_percent(text: str) -> str:
    try:
        return format((Decimal(text.strip()) * 100).normalize(), "f") + "%"
    except InvalidOperation:
        return text


def sheet_department(sheet: str | None) -> str | None:
    """A KPI workbook with one sheet per department names the department in the sheet name (医院 = hospital-wide)."""
    name = (sheet or "").strip()
    if not name or _GENERIC_SHEETS.match(name):
        return None
    return name


def _numeric_share(rows: list[list[str]], col: int) -> float:
    seen = ok = 0
    for row in rows:
        v = row[col].strip() if col < len(row) else ""
        if not v or v in NO_VALUE:
            continue
        seen += 1
        try:
            coerce.parse_number(v.rstrip("%％").strip())
            ok += 1
        except coerce.CoerceError:
            pass
        if seen >= 50:
            break
    return ok / seen if seen else 0.0


def _has_text(rows: list[list[str]], col: int) -> bool:
    return any(col < len(row) and row[col].strip() for row in rows[:50])


def unpivot_measures(
    grid: readers.Grid,
    header_row: int,
    keep: list[int],
    kpi_header: str,
    value_header: str,
    extra: tuple[str, str] | None = None,
) -> Wide | None:
    """A sheet with one column per KPI (Period | 急诊人次 | 4 小时内比例 | …): one row per (period, KPI); or one
    column per department (指标 | 内科 | 外科 | …, `kpi_header` 科室) with the period in `extra` (header, value).

    `keep` are the columns that name the row (the period, a department); every other column whose values are
    numbers becomes a row named by its header."""
    rows = _all_rows(grid)
    if rows is None or header_row >= len(rows):
        return None
    header = rows[header_row]
    body = rows[header_row + 1 :]
    others = [c for c in range(len(header)) if c not in keep and header[c].strip()]
    shares = {c: _numeric_share(body, c) for c in others}
    measures = [c for c in others if shares[c] >= 0.8]
    # only a sheet of measures: any other column with text (a name, an address) means it is not this layout
    if len(measures) < 2 or any(0 < shares[c] < 0.8 or _has_text(body, c) for c in others if c not in measures):
        return None
    names = [header[c].strip() for c in keep] + ([extra[0]] if extra else [])
    long_rows: list[list[str]] = [list(r) for r in rows[:header_row]] + [[*names, kpi_header, value_header]]
    numbers: list[int] = []
    for i, row in enumerate(body):
        excel_row = grid.first_row + header_row + 1 + i
        cells = [row[c] if c < len(row) else "" for c in keep] + ([extra[1]] if extra else [])
        if not any(v.strip() for v in cells[: len(keep)]):
            continue  # no name for the row
        for c in measures:
            v = row[c] if c < len(row) else ""
            if not v.strip() or v.strip() in NO_VALUE:
                continue
            if (excel_row, c) in grid.percent_cells:
                v = _as_percent(v)
            long_rows.append([*cells, header[c].strip(), v])
            numbers.append(excel_row)
    out = readers.Grid(
        file_name=grid.file_name,
        sheet=grid.sheet,
        rows=long_rows,
        first_row=grid.first_row,
        hidden=grid.hidden,
        encoding=grid.encoding,
        row_numbers=numbers,
        warnings=grid.warnings,
    )
    out.bad_cells = grid.bad_cells
    letters = "、".join(readers.column_letter(c) for c in measures[:6]) + ("…" if len(measures) > 6 else "")
    what_zh, what_en = ("科室", "department") if kpi_header == "科室" else ("指标", "KPI")
    note = (
        f"宽表：第 {grid.first_row + header_row} 行的 {len(measures)} 个{what_zh}列({letters} 列)已转为每个{what_zh}一行"
        f"({len(numbers)} 行) / Wide layout: {len(measures)} {what_en} columns of row {grid.first_row + header_row}"
        f" unpivoted into one row per {what_en} ({len(numbers)} rows)"
    )
    if extra:
        note += f"；期间：{extra[1]}(取自标题或文件名) / period {extra[1]} (from the title or file name)"
    return Wide(out, note, [header[c] for c in measures])
