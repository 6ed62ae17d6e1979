"""Read a file into raw grids of cell text: every sheet of an .xlsx/.xls, or the records of a CSV.

Cells become text exactly once here (numbers without a spurious `.0`, dates as ISO text), so every later
rule works on what the user typed. Large CSVs are not held in Python: they go to DuckDB as a file path.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import python_calamine as pc

from loaders import settings, staging
from loaders.errors import FileRefused, Problem

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from loaders.sniff import XlsxInfo

# How many leading records a CSV reader looks at to find the header.
HEAD_RECORDS = 60
# How many leading rows of an Arrow-read sheet become Python rows (the header is searched in the first 30).
HEAD_ROWS = 60
# Files up to this size are decoded whole in Python; bigger ones are streamed.
WHOLE_DECODE_BYTES = 50_000_000
# The head of a big text is parsed from this many leading characters (more when they hold too few records).
_HEAD_CHARS = 1_000_000
# Files up to this size are parsed whole by Python's csv module; bigger ones by DuckDB's parallel reader.
PYTHON_PARSE_BYTES = 8_000_000


@dataclass
class Grid:
    """One sheet (or one CSV) as text cells. `rows[i]` is Excel row `first_row + i`."""

    file_name: str
    sheet: str | None
    rows: list[list[str]]
    first_row: int = 1
    hidden: bool = False
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    encoding: str | None = None
    # Cells the preflight found broken, keyed by (excel_row, column_index): message.
    bad_cells: dict[tuple[int, int], tuple[str, str, str | None]] = field(default_factory=dict)
    # CSV only: the whole file is read by DuckDB from `csv_path` after `skip_lines`, with `delimiter`.
    csv_path: Path | None = None
    delimiter: str = ","
    line_of_record: list[int] = field(default_factory=list)  # CSV: physical line after each head record
    truncated: bool = False  # CSV: `rows` holds only the first records; the rest is read by DuckDB
    # .xlsx read by fastexcel: every row as Arrow text (null when empty), its first column at `col_offset`;
    # `rows` then holds only the first HEAD_ROWS rows. `arrow` is the reader's own sheet, which DuckDB scans
    # through the Arrow PyCapsule interface (so pyarrow and numpy are never imported for it), or a pyarrow Table
    # once something needed one (see `table`)
    arrow: Any = None
    col_offset: int = 0
    arrow_rows: int = 0
    arrow_width: int = 0
    # merged ranges not yet filled in `arrow` (fill_merged fills `rows` at once; the Arrow rows only when a
    # pyarrow Table is asked for, or when a range reaches the rows that are staged)
    merged_pending: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    # the sheet's rows already in DuckDB (table `sheet`: _n, then the Arrow columns), read from `arrow` once for
    # the head rows; the importer stages from it (see take_duck) while `arrow` is the reader's unchanged sheet
    duck: duckdb.DuckDBPyConnection | None = None
    # .xlsx: cells formatted as a percentage, as (excel_row, column_index): such a cell holding 1 is 100 %
    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    warnings: list[Problem] = field(default_factory=list)  # reading findings to report (a damaged character)
    # a grid built from another (an unpivoted wide sheet): the Excel row of each row after the header
    row_numbers: list[int] | None = None

    @property
    def table(self) -> pa.Table | None:
        """The Arrow rows as a pyarrow Table (converted, and the pending merged ranges filled, on first use)."""
        if self.arrow is None:
            return None
        import pyarrow as pa

        if not isinstance(self.arrow, pa.Table):
            batch = self.arrow.to_arrow() if hasattr(self.arrow, "to_arrow") else pa.record_batch(self.arrow)
            self.arrow = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        if self.merged_pending:
            _fill_merged_table(self)
            if self.duck is not None:  # its rows are not filled: staged from the Table instead
                self.duck.close()
                self.duck = None
        return self.arrow

    @table.setter
    def table(self, value: pa.Table | None) -> None:
        self.arrow = value
        self.merged_pending = []
        if self.duck is not None:  # changed rows: staged from the Table
            self.duck.close()
            self.duck = None
        self.arrow_rows = value.num_rows if value is not None else 0
        self.arrow_width = value.num_columns if value is not None else 0

    def staged_arrow(self, first: int) -> Any:
        """The Arrow rows for staging rows `first`.. on: the reader's sheet as it is when no pending merged range
        reaches those rows (a title merged above the header changes nothing staged), else the filled Table."""
        if any(r1 >= first for (_, _), (r1, _) in self.merged_pending):
            return self.table
        return self.arrow

    def take_duck(self, first: int) -> duckdb.DuckDBPyConnection | None:
        """The connection holding the sheet's rows (table `sheet`), handed over once, when they are what staging
        rows `first`.. on needs (no merged range to fill there, no column added): the staging database then
        starts from it and the sheet is not read into DuckDB twice."""
        duck, self.duck = self.duck, None
        if duck is not None and (first <= 0 or any(r1 >= first for (_, _), (r1, _) in self.merged_pending)):
            duck.close()
            return None
        return duck


def cell_text(value: object) -> str:
    """The text of one Excel cell as a person reads it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return f"{value.total_seconds() / 86400:g}"
    return str(value)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def read_workbook(path: Path, display_name: str, info: XlsxInfo | None = None) -> list[Grid]:
    """Every sheet of an .xlsx/.xlsm/.xls file as grids (hidden sheets flagged, not dropped here).

    With the preflight's `info` (an .xlsx), sheets are read by fastexcel straight into Arrow text columns and
    placed at their Excel coordinates from the declared used range; otherwise (legacy .xls, or a sheet whose
    used range cannot be placed) calamine's Python rows are used."""
    if info is not None:
        fast = _read_fast(path, display_name, info)
        if fast is not None:
            return _with_formats(fast, info)
    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError as exc:
        raise FileRefused(
            f"{display_name}：文件已加密，请在 Excel 中取消密码后再导入。 / The file is encrypted."
        ) from exc
    except (pc.CalamineError, pc.ZipError, pc.XmlError, OSError, ValueError) as exc:
        raise FileRefused(
            f"{display_name}：文件不完整或已损坏，无法读取({type(exc).__name__})。请在 Excel 中打开并另存为 .xlsx 后重试。"
            " / The workbook is damaged or incomplete."
        ) from exc
    grids: list[Grid] = []
    try:
        for meta in wb.sheets_metadata:
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            sheet = wb.get_sheet_by_name(meta.name)
            raw = sheet.to_python(skip_empty_area=False)
            rows = [[v if type(v) is str else cell_text(v) for v in r] for r in raw]  # str first: most cells
            merged = list(sheet.merged_cell_ranges or [])
            grids.append(
                Grid(
                    file_name=display_name,
                    sheet=meta.name,
                    rows=rows,
                    first_row=1,
                    hidden=meta.visible != pc.SheetVisibleEnum.Visible,
                    merged=merged,
                )
            )
    except (pc.CalamineError, pc.ZipError, pc.XmlError, ValueError) as exc:
        raise FileRefused(f"{display_name}：工作表无法读取({exc})。 / A sheet cannot be read.") from exc
    finally:
        wb.close()
    return _with_formats(grids, info) if info is not None else grids


def _with_formats(grids: list[Grid], info: XlsxInfo) -> list[Grid]:
    by_name = {s.name: s for s in info.sheets}
    for g in grids:
        sheet = by_name.get(g.sheet or "")
        if sheet is not None and sheet.percent_cells:
            g.percent_cells = {(r + 1, c) for r, c in sheet.percent_cells}
    return grids


def _read_fast(path: Path, display_name: str, info: XlsxInfo) -> list[Grid] | None:
    """fastexcel -> Arrow -> text rows at Excel coordinates; None when a sheet cannot be placed safely.

    The sheet stays the reader's Arrow data (scanned by DuckDB through the PyCapsule interface); only the head
    becomes Python rows, read through DuckDB too, so no pyarrow (and no numpy) is imported for it."""
    import duckdb
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception:  # noqa: BLE001 - any reader failure: fall back to calamine, which explains it
        return None
    meta = {s.name: s for s in info.sheets}
    grids: list[Grid] = []
    done = False
    try:
        for name in reader.sheet_names:
            sheet_info = meta.get(name)
            if sheet_info is None:
                return None
            duck: duckdb.DuckDBPyConnection | None = None
            try:
                sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0, whitespace_as_null=True)
                width, height = int(sheet.width), int(sheet.height)
                head: list[tuple[str | None, ...]] = []
                if width:
                    # the reader hands its Arrow data over once: into DuckDB (numbered in the sheet's order), where
                    # the head is read from and the staging starts
                    duck = duckdb.connect()
                    duck.execute("SET enable_progress_bar = false")
                    duck.register("sheet_arrow", sheet)
                    duck.execute(
                        "CREATE TABLE sheet AS SELECT CAST(row_number() OVER () AS BIGINT) AS _n, * FROM sheet_arrow"
                    )
                    duck.unregister("sheet_arrow")
                    head = [
                        r[1:]
                        for r in duck.execute("SELECT * FROM sheet WHERE _n <= ? ORDER BY _n", [HEAD_ROWS]).fetchall()
                    ]
            except Exception:  # noqa: BLE001 - chart sheets, odd cells: the calamine path handles or explains them
                if duck is not None:
                    duck.close()
                return None
            first_col = sheet_info.first_col or 0
            if sheet_info.cols is not None and width and first_col + width != sheet_info.cols:
                if duck is not None:
                    duck.close()
                return None  # the declared used range does not tell where the columns start
            # only the head becomes Python rows (header search, as-of label); the data stays in Arrow for staging
            pad = [""] * first_col
            rows = [pad + [v if v is not None else "" for v in cells] for cells in head]
            grids.append(
                Grid(
                    file_name=display_name,
                    sheet=name,
                    rows=rows,
                    first_row=1,
                    hidden=sheet_info.hidden,
                    merged=list(sheet_info.merged),
                    arrow=sheet if width else None,
                    col_offset=first_col,
                    arrow_rows=height if width else 0,
                    arrow_width=width,
                    duck=duck,
                )
            )
        done = True
    finally:
        if not done:  # the calamine path reads the workbook instead
            for g in grids:
                g.take_duck(0)
    return grids


def _encoding_name(codec: str, head: bytes) -> str:
    """The encoding as the import history names it, whichever way the file was read: a UTF-16 BOM's byte order
    (utf-16-le, utf-16-be), as sniff._decode_bytes names it for a file decoded whole."""
    if codec == "utf-16":
        return "utf-16-le" if head.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    return codec


def _detect_encoding_head(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    return ""


def _records(text: str, delimiter: str, limit: int) -> tuple[list[list[str]], list[int]]:
    if len(text) > 2 * _HEAD_CHARS and limit <= HEAD_RECORDS:
        # the head of a big text: parse a prefix (no copy of the whole file); a record cut at the end of the
        # prefix is never among the first `limit` unless the prefix holds fewer, then parse it all
        head = _records(text[:_HEAD_CHARS], delimiter, limit)
        if len(head[0]) >= limit:
            return head
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for rec in reader:
            rows.append(rec)
            lines.append(reader.line_num)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows, lines


def read_csv_head(path: Path, display_name: str, *, whole: bool = True) -> Grid:
    """The first records of a text file (for header detection), and how DuckDB should read the rest.

    Small files are decoded whole (unless `whole` is False: then only the head decides the encoding, as for
    big files); a non-UTF-8 file is transcoded to a temporary UTF-8 copy for DuckDB.
    """
    from loaders import sniff

    size = path.stat().st_size
    if size <= WHOLE_DECODE_BYTES and (whole or size <= PYTHON_PARSE_BYTES):
        # decoding the whole file proves its encoding; only the head is parsed in Python, DuckDB reads the rest
        text, encoding, damaged = sniff.decode_text_checked(path, display_name)
        if text.startswith("\ufeff"):
            text = text[1:]
        delimiter = sniff.sniff_delimiter(text[:65536])
        small = size <= PYTHON_PARSE_BYTES
        rows, lines = _records(text, delimiter, limit=10**9 if small else HEAD_RECORDS)
        if small:
            # Python's csv module is the most forgiving parser (bare LF inside quoted CRLF files, ragged rows)
            return Grid(
                file_name=display_name,
                sheet=None,
                rows=rows,
                encoding=encoding,
                delimiter=delimiter,
                warnings=damaged,
            )
        csv_path = path
        if encoding.replace("_", "-").lower() not in ("utf-8", "utf8", "ascii"):
            tmp = staging.text_copy(".csv")
            with tmp:
                tmp.write(text)
            csv_path = Path(tmp.name)
        return Grid(
            file_name=display_name,
            sheet=None,
            rows=rows,
            encoding=encoding,
            csv_path=csv_path,
            delimiter=delimiter,
            line_of_record=lines,
            truncated=True,
            warnings=damaged,
        )
    # A big file: decide the encoding from its head, stream-transcode if it is not UTF-8.
    with path.open("rb") as fh:
        head = fh.read(1_000_000)
    enc = _detect_encoding_head(head) or "utf-8"
    try:
        sample = head.decode(enc if enc != "utf-8" else "utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4 and enc == "utf-8":
            sample = head[: exc.start].decode("utf-8")
        else:
            sample, enc = _decode_head_fallback(head, display_name)
    if sample.startswith("\ufeff"):
        sample = sample[1:]
    delimiter = sniff.sniff_delimiter(sample[:65536])
    rows, lines = _records(sample, delimiter, limit=HEAD_RECORDS)
    # a file the checked path decodes whole (whole=True) is refused there for a NUL anywhere ("text files never
    # contain NUL"): the head alone must not let one through
    nul_matters = not whole and size <= WHOLE_DECODE_BYTES
    csv_path = path
    if enc not in ("utf-8",):
        csv_path = _transcode(path, enc, refuse_nul=nul_matters)
    elif nul_matters and _contains_nul(path):
        raise _nul_refusal(display_name)
    return Grid(
        file_name=display_name,
        sheet=None,
        rows=rows,
        encoding=_encoding_name(enc, head),
        csv_path=csv_path,
        delimiter=delimiter,
        line_of_record=lines,
        truncated=True,
    )


def _decode_head_fallback(head: bytes, display_name: str) -> tuple[str, str]:
    for enc in ("gb18030", "utf-16"):
        for cut in range(4):
            try:
                return head[: len(head) - cut].decode(enc), enc
            except UnicodeDecodeError:
                continue
    raise FileRefused(f"{display_name}：无法识别编码，请另存为 UTF-8 CSV。 / Unknown text encoding.")


def _transcode(path: Path, encoding: str, *, refuse_nul: bool = False) -> Path:
    tmp = staging.text_copy(".csv")
    try:
        with tmp, path.open("r", encoding=encoding, newline="") as src:
            first = True
            for chunk in iter(lambda: src.read(1 << 20), ""):
                if first and chunk.startswith("\ufeff"):
                    chunk = chunk[1:]
                first = False
                if refuse_nul and "\x00" in chunk:
                    raise _nul_refusal(path.name)
                tmp.write(chunk)
    except BaseException:
        Path(tmp.name).unlink(missing_ok=True)
        raise
    return Path(tmp.name)


def _contains_nul(path: Path) -> bool:
    with path.open("rb") as fh:
        return any(b"\x00" in chunk for chunk in iter(lambda: fh.read(1 << 22), b""))


def _nul_refusal(display_name: str) -> FileRefused:
    """Only for the bulk path's head-only read: the checked path then decodes the file and says where."""
    return FileRefused(f"{display_name}：含 NUL 字符 / contains a NUL character")


def line_breaks_within(path: Path, bound: int) -> bool:
    """True when the file holds at most `bound` line-break bytes (\\n and \\r, each counted), so a CSV reader cannot
    find more than bound + 1 records in it: every record but the last ends at a line break, and a quoted line break
    only joins two lines into one record. An encoding's other bytes never look like one in UTF-8 or GBK, and in
    UTF-16 they only count too many. Reading stops as soon as the count passes `bound`, so a file far over the
    bound costs what the bound costs, not what the file does."""
    seen = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            seen += chunk.count(b"\n") + chunk.count(b"\r")
            if seen > bound:
                return False
    return True


def fill_merged(grid: Grid) -> None:
    """Copy each merged range's value into all of its cells (headers spanning columns, modules spanning rows)."""
    if grid.arrow is not None:
        # filled in the Arrow rows when a Table is asked for, or when a range reaches the staged rows
        grid.merged_pending = list(grid.merged)
    rows = grid.rows
    for (r0, c0), (r1, c1) in grid.merged:
        if r0 >= len(rows) or (r1 - r0 + 1) * (c1 - c0 + 1) > 100_000:
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, c1 + 1):
                if c >= len(row):
                    row.extend([""] * (c + 1 - len(row)))
                if not row[c]:
                    row[c] = value


def _fill_merged_table(grid: Grid) -> None:
    """Merged ranges are filled in the Arrow columns they touch too (each column converted once)."""
    import pyarrow as pa

    table = grid.arrow
    pending, grid.merged_pending = grid.merged_pending, []
    assert isinstance(table, pa.Table)
    fills: dict[int, list[tuple[int, int, str]]] = {}
    for (r0, c0), (r1, c1) in pending:
        if r0 >= table.num_rows or (r1 - r0 + 1) * (c1 - c0 + 1) > 1_000_000:
            continue
        j0 = c0 - grid.col_offset
        if not 0 <= j0 < table.num_columns:
            continue
        value = table.column(j0)[r0].as_py()
        if value is None:
            continue
        for c in range(c0, c1 + 1):
            fills.setdefault(c - grid.col_offset, []).append((r0, min(r1, table.num_rows - 1), str(value)))
    for j, spans in fills.items():
        if not 0 <= j < table.num_columns:
            continue
        values = table.column(j).to_pylist()
        for r0, r1, value in spans:
            for r in range(r0, r1 + 1):
                if values[r] is None:
                    values[r] = value
        table = table.set_column(j, table.field(j), pa.array(values, pa.string()))
    grid.arrow = table


def iter_nonempty(row: list[str]) -> Iterator[tuple[int, str]]:
    for i, v in enumerate(row):
        if v and v.strip():
            yield i, v


def max_file_bytes() -> int:
    return int(settings.get_float("max_file_mb") * 1_000_000)
