"""The importer: prepare a file (read, map, coerce, validate — nothing stored), then commit it in one transaction.

Staging and coercion run in a private in-memory DuckDB: every distinct cell text of a column is coerced once
(plain numbers by DuckDB, the rest in Python) and joined back, so a 10M-row usage CSV is never held as Python
objects. `import_file` tries the bulk path (loaders.bulk) first for a big clean CSV.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from loaders import bulk, coerce, mpp, plans, readers, settings, sniff, store, uploads, validate
from loaders.datasets import DATASETS, Dataset
from loaders.errors import CockpitError, FileRefused, ImportBusy, Problem, Report, StoreUnavailable, ValidationFailed
from loaders.headers import ColumnMap, HeaderChoice, choose_header, signature
from loaders.store import registry, writes
from loaders.store.writes import ImportResult as ImportResult

Progress = Callable[[int, int], None]

# Canonical column types in the staging tables, and the columns each raw table receives (both from the registry).
SQL_TYPES = registry.SQL_TYPES
STORE_COLUMNS = registry.STORE_COLUMNS

# Periodic tables with more rows than this stay in DuckDB until commit instead of becoming a pandas frame.
STAGE_ROWS = 50_000
_AS_OF_LABEL = re.compile(
    r"(状态日期|报告日期|数据日期|截至|截止日期|统计截止|as\s*-?\s*of|status\s*date|report\s*date)", re.I
)
_DATE_IN_NAME = re.compile(r"(20\d\d)[-_.年]?(\d\d)[-_.月]?(\d\d)")


@dataclass
class Prepared:
    """One table of one file, read and checked, ready to be committed (or shown in a preview)."""

    file_name: str
    sheet: str | None
    dataset: str
    path: Path
    sha256: str
    header_row: int  # 1-based Excel row of the (last) header row
    columns: list[ColumnMap]
    frame: pd.DataFrame  # canonical columns + row_no, valid rows only
    report: Report
    invalid_rows: list[int] = field(default_factory=list)
    data_rows: int = 0  # rows that looked like data (before validation)
    as_of: dt.date | None = None
    project: str | None = None
    encoding: str | None = None
    signature: str = ""
    # a big periodic table stays in its private staging DuckDB (table `final`) until commit or discard
    staging: duckdb.DuckDBPyConnection | None = None
    stage_file: Path | None = None
    staged_rows: int = 0
    # a big clean CSV on the bulk path is read straight from the file at commit (see loaders.bulk)
    bulk: bulk.BulkPlan | None = None

    @property
    def row_count(self) -> int:
        if self.staging is not None or self.bulk is not None:
            return self.staged_rows
        return len(self.frame)

    def head(self, n: int = 20) -> pd.DataFrame:
        """The first rows as they will be stored (read from the staging database for a big table)."""
        if self.staging is None:
            return self.frame.head(n)
        return self.staging.execute("SELECT * FROM final ORDER BY row_no LIMIT ?", [n]).df()

    def discard(self) -> None:
        """Release the staging database of a preview the user cancelled (commit does it after loading)."""
        if self.staging is not None:
            self.staging.close()
            self.staging = None
        if self.stage_file is not None:
            _drop_stage_file(self.stage_file)
            self.stage_file = None
        if self.bulk is not None and self.bulk.temp_copy is not None:
            self.bulk.temp_copy.unlink(missing_ok=True)
            self.bulk.temp_copy = None

    @property
    def ok(self) -> bool:
        return not self.report.errors


# --------------------------------------------------------------------------------------------- prepare


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _saved_mappings(con: duckdb.DuckDBPyConnection | None) -> dict[str, tuple[str, dict[str, str]]]:
    if con is None:
        return {}
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for sig, dataset, source, fld in con.execute(
        "SELECT signature, dataset, source, field FROM column_mappings"
    ).fetchall():
        out.setdefault(sig, (dataset, {}))[1][source] = fld
    return out


def save_mapping(con: duckdb.DuckDBPyConnection, sig: str, dataset: str, mapping: dict[str, str]) -> None:
    """Remember how the user mapped this export's headers, so the next upload maps itself."""
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM column_mappings WHERE signature = ?", [sig])
        for source, fld in mapping.items():
            con.execute(
                "INSERT INTO column_mappings (signature, dataset, source, field, saved_at) VALUES (?, ?, ?, ?, now())",
                [sig, dataset, source, fld],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def prepare(
    path: str | Path,
    *,
    display_name: str | None = None,
    dataset: str | None = None,
    project: str | None = None,
    as_of: dt.date | None = None,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[Prepared]:
    """Read and check a file; store nothing. Raises FileRefused when no table in it can be read."""
    p = Path(path)
    name = sniff.safe_name(display_name or p.name)
    if dataset is not None and dataset not in DATASETS:
        raise FileRefused(f"未知的数据类型「{dataset}」，可选：{', '.join(DATASETS)} / Unknown dataset.")
    if mpp.is_plan_file(p, name):  # .mpp, .mpx, .xer, .pod ...: read by MPXJ in its worker process
        return [_prepare_project_xml(p, name, "mpxj", file_sha256(p), project, as_of)]
    kind = sniff.sniff(p, name)  # MS Project XML is sniffed (DTDs refused) before MPXJ reads it
    sha = file_sha256(p)
    if kind in ("mspdi", "gan"):
        return [_prepare_project_xml(p, name, kind, sha, project, as_of)]
    saved = _saved_mappings(con)
    candidates = [DATASETS[dataset]] if dataset else list(DATASETS.values())
    grids, warnings = _read_grids(p, name, kind, sheet)

    prepared: list[Prepared] = []
    unrecognised: list[str] = []
    best_missing: tuple[readers.Grid, HeaderChoice] | None = None
    for g in grids:
        readers.fill_merged(g) if g.csv_path is None else None
        choice = choose_header(g.rows, candidates, saved=saved, sheet=g.sheet, user_mapping=mapping)
        complete = choice is not None and not _missing(choice, project)
        if choice is None or not complete:
            unrecognised.append(g.sheet or name)
            if choice is not None and (best_missing is None or choice.score > best_missing[1].score):
                best_missing = (g, choice)
            continue
        prep = _prepare_grid(g, choice, p, name, sha, project, as_of)
        prep.report.problems[:0] = [] if prepared else warnings
        prepared.append(prep)
    if not prepared:
        if best_missing is not None:
            g, choice = best_missing
            miss = "、".join(f"「{_label(choice.dataset, m)}」" for m in _missing(choice, project))
            where = f"(sheet {g.sheet})" if g.sheet else ""
            raise FileRefused(
                f"{name}：看起来是{choice.dataset.label_zh}，但缺少必填列{miss}{where}。"
                f" / Looks like {choice.dataset.label_en} but required columns are missing: "
                + ", ".join(_missing(choice, project)),
                problems=[
                    Problem(
                        name, g.sheet, choice.header_row + g.first_row, _label(choice.dataset, m), None, "缺少必填列"
                    )
                    for m in _missing(choice, project)
                ],
            )
        raise FileRefused(
            f"{name}：无法识别数据类型，没有找到可识别的表头(已检查前 30 行)。可用 --dataset 指定，或在数据页映射列。"
            " / No recognisable header found; choose the dataset or map the columns."
        )
    for sheet_name in unrecognised:
        for prep in prepared:
            prep.report.add(
                Problem(
                    name,
                    sheet_name,
                    None,
                    None,
                    None,
                    "该工作表未识别为任何数据，已忽略。 / Sheet not recognised, ignored.",
                    "warning",
                )
            )
            break
    return prepared


def _read_grids(p: Path, name: str, kind: str, sheet: str | None) -> tuple[list[readers.Grid], list[Problem]]:
    """The grids of a spreadsheet or text file (hidden sheets left out, preflight findings attached)."""
    grids: list[readers.Grid]
    warnings: list[Problem] = []
    if kind in ("xlsx", "xls"):
        bad: dict[str, list[tuple[str, str, str | None]]] = {}
        info: sniff.XlsxInfo | None = None
        if kind == "xlsx":
            info = sniff.scan_xlsx(p, name)
            for s in info.sheets:
                bad[s.name] = [
                    (ref, "是公式但没有计算结果，请在 Excel 中打开并保存后再导入", None)
                    for ref in s.formula_without_value
                ]
                bad[s.name] += [(ref, f"是 Excel 错误值 {code}", code) for ref, code in s.error_cells]
            if info.has_macros:
                warnings.append(
                    Problem(name, None, None, None, None, "文件含宏(VBA)，宏不会被执行，只读取数值。", "warning")
                )
        grids = readers.read_workbook(p, name, info if kind == "xlsx" else None)
        for g in grids:
            for ref, msg, value in bad.get(g.sheet or "", []):
                row, col = _split_ref(ref)
                g.bad_cells[(row, col)] = (ref, msg, value)
        if sheet is not None:
            wanted = [g for g in grids if g.sheet == sheet or (g.sheet or "").strip() == sheet.strip()]
            if not wanted:
                names = "、".join(g.sheet or "" for g in grids)
                raise FileRefused(f"{name}：没有名为「{sheet}」的工作表(有：{names})。 / No such sheet.")
            grids = wanted
        else:
            for g in grids:
                if g.hidden:
                    warnings.append(
                        Problem(
                            name, g.sheet, None, None, None, "隐藏的工作表未导入。 / Hidden sheet ignored.", "warning"
                        )
                    )
            grids = [g for g in grids if not g.hidden]
    else:
        grids = [readers.read_csv_head(p, name)]
    return grids, warnings


def guess_header(path: str | Path, display_name: str, dataset: str | None = None) -> tuple[str, list[ColumnMap]] | None:
    """For a file refused as unrecognised: the best-matching dataset and how each of its headers maps.

    The data page offers these headers for mapping by hand; None when no row looks like any dataset's header."""
    p = Path(path)
    candidates = [DATASETS[dataset]] if dataset else list(DATASETS.values())
    try:
        kind = sniff.sniff(p, display_name)
        if kind in ("mspdi", "gan"):
            return None
        grids, _ = _read_grids(p, display_name, kind, None)
    except CockpitError:
        return None
    best: HeaderChoice | None = None
    for g in grids:
        if g.csv_path is not None and g.csv_path != p:
            g.csv_path.unlink(missing_ok=True)  # a transcoded copy; only the head rows are needed here
        if g.csv_path is None:
            readers.fill_merged(g)
        choice = choose_header(g.rows, candidates, sheet=g.sheet)
        if choice is not None and (best is None or choice.score > best.score):
            best = choice
    if best is None:
        return None
    return best.dataset.name, [c for c in best.columns if c.header]


def _label(ds: Dataset, fld: str) -> str:
    """A field's name for messages: its first Chinese alias with the canonical name."""
    f = ds.field(fld)
    zh = next((a for a in f.aliases if re.search(r"[\u4e00-\u9fff]", a)), None)
    return f"{zh}/{fld}" if zh else fld


def _missing(choice: HeaderChoice, project: str | None) -> list[str]:
    # a plan or register without a project column takes the project from --project or the file name
    miss = list(choice.missing)
    if "project" in miss and choice.dataset.mode == "snapshot":
        miss.remove("project")
    return miss


def _split_ref(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref.upper())
    if not m:
        return (0, 0)
    col = 0
    for ch in m.group(1):
        col = col * 26 + (ord(ch) - 64)
    return int(m.group(2)), col - 1


def _as_of_from(grid: readers.Grid, header_idx: int, file_name: str) -> dt.date | None:
    for r in range(min(header_idx, len(grid.rows))):
        row = grid.rows[r]
        for i, text in readers.iter_nonempty(row):
            if _AS_OF_LABEL.search(text):
                tail = re.split(r"[:：]", text, maxsplit=1)
                candidates = [tail[1]] if len(tail) > 1 and tail[1].strip() else []
                candidates += [v for _, v in readers.iter_nonempty(row[i + 1 :])][:2]
                for c in candidates:
                    try:
                        return coerce.parse_date(c.strip())
                    except coerce.CoerceError:
                        continue
    m = _DATE_IN_NAME.search(file_name)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    return None


def project_from_name(file_name: str) -> str:
    stem = Path(file_name).stem
    stem = _DATE_IN_NAME.sub("", stem)
    stem = re.sub(r"(计划|进度计划|项目计划|风险登记册|变更申请|plan|schedule|risks?|register)", "", stem, flags=re.I)
    stem = stem.strip(" _-.")
    return stem or Path(file_name).stem


# ----------------------------------------------------------------------------- staging in DuckDB


def _stage_grid(mem: duckdb.DuckDBPyConnection, grid: readers.Grid, choice: HeaderChoice) -> None:
    """Create `raw(_row, c0..cN)` with every record after the header, as text."""
    width = len(choice.columns)
    cols = [f"c{i}" for i in range(width)]
    hdr = choice.header_row
    if grid.csv_path is not None and grid.truncated:
        skip = grid.line_of_record[hdr] if hdr < len(grid.line_of_record) else 0
        columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
        sql = (
            "CREATE TABLE raw0 AS SELECT * FROM read_csv(?, delim = ?, header = false, "  # noqa: S608
            f"skip = ?, columns = {columns}, null_padding = true, quote = '\"', escape = '\"', "
            "strict_mode = false, ignore_errors = false, parallel = ?)"
        )
        params: list[object] = [str(grid.csv_path), grid.delimiter, skip]
        try:
            try:
                mem.execute(sql, [*params, True])
            except duckdb.Error as exc:
                if "parallel=false" not in str(exc):
                    raise
                # quoted line breaks with ragged rows: DuckDB reads them only single-threaded
                mem.execute(sql, [*params, False])
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise FileRefused(
                f"{grid.file_name}：CSV 格式错误，无法逐行读取({first[:200]})。请检查引号和每行的列数是否一致。"
                " / Malformed CSV (quotes or column counts); fix the reported line."
            ) from exc
        # rowid follows the file's record order (insertion order is preserved), so no window sort is needed
        mem.execute("SET VARIABLE row_offset = ?", [int(hdr + grid.first_row) + 1])
        mem.execute("CREATE VIEW raw AS SELECT rowid + getvariable('row_offset') AS _row, * FROM raw0")
        return
    if grid.table is not None:
        # an Arrow-read sheet: rows after the header, placed at their Excel columns, numbered as in Excel
        body = grid.table.slice(hdr + 1)
        first_row = grid.first_row + hdr + 1
        placed: dict[str, pa.Array] = {"_row": pa.array(range(first_row, first_row + body.num_rows), pa.int64())}
        for i, c in enumerate(cols):
            j = i - grid.col_offset
            placed[c] = (
                body.column(j).combine_chunks().cast(pa.string())
                if 0 <= j < body.num_columns
                else pa.nulls(body.num_rows, pa.string())
            )
        mem.register("raw_arrow", pa.table(placed))
        mem.execute("CREATE TABLE raw AS SELECT * FROM raw_arrow")
        mem.unregister("raw_arrow")
        return
    data = grid.rows[hdr + 1 :]
    first_row = grid.first_row + hdr + 1
    arrays: dict[str, list[Any]] = {"_row": list(range(first_row, first_row + len(data)))}
    for i, c in enumerate(cols):
        arrays[c] = [(r[i] if i < len(r) and r[i].strip() else None) for r in data]
    table = pa.table(arrays, schema=pa.schema([("_row", pa.int64())] + [(c, pa.string()) for c in cols]))
    mem.register("raw_arrow", table)
    mem.execute("CREATE TABLE raw AS SELECT * FROM raw_arrow")
    mem.unregister("raw_arrow")


def _distinct(mem: duckdb.DuckDBPyConnection, col: str) -> list[str]:
    rows = mem.execute(
        f"SELECT DISTINCT {store.quote_ident(col)} FROM data WHERE {store.quote_ident(col)} IS NOT NULL"  # noqa: S608
    ).fetchall()  # noqa: S608
    return [r[0] for r in rows]


_PLAIN_NUMBER = re.compile(r"-?\d{1,15}(?:\.\d+)?\Z")
_PLAIN_INT = re.compile(r"-?\d{1,15}\Z")


def _coercer(ds: Dataset, fld: str, header: str, values: list[str]) -> Callable[[str], object]:
    kind = ds.field(fld).kind
    # plain digits (what Excel number cells become) skip the full rules, which handle 万元, brackets, separators
    if kind == "money":
        unit = coerce.unit_from_header(header)

        def money(v: str) -> object:
            return float(v) * unit if _PLAIN_NUMBER.match(v) else coerce.parse_money(v, unit)

        return money
    if kind == "number":
        return lambda v: float(v) if _PLAIN_NUMBER.match(v) else coerce.parse_number(v)
    if kind == "int":
        return lambda v: int(v) if _PLAIN_INT.match(v) else coerce.parse_int(v)
    if kind == "percent":
        fraction = coerce.column_is_fraction(values)
        return lambda v: coerce.parse_percent(v, fraction=fraction)
    return coerce.COERCERS[kind]


def _value_map(mem: duckdb.DuckDBPyConnection, ds: Dataset, fld: str, colname: str, header: str, mtab: str) -> bool:
    """Build `mtab(raw, val, err)`: every distinct text of a column with its value or why it was refused.

    Returns whether any value was refused."""
    kind = ds.field(fld).kind
    q, m = store.quote_ident(colname), store.quote_ident(mtab)
    sql_type = SQL_TYPES[kind]
    native = validate.PLAIN_NUMBER.get(kind)  # converted by DuckDB; other texts by the Python rules
    if native is None:
        values = _distinct(mem, colname)
        mem.execute(f"CREATE TABLE {m} (raw VARCHAR, val {sql_type}, err VARCHAR)")
    else:
        pattern, cast = native
        unit = coerce.unit_from_header(header) if kind == "money" else 1.0
        scale = "" if unit == 1.0 else f" * {float(unit)!r}"
        d = store.quote_ident(mtab + "_d")
        mem.execute(f"CREATE TEMP TABLE {d} AS SELECT DISTINCT {q} AS raw FROM data WHERE {q} IS NOT NULL")  # noqa: S608
        mem.execute(
            f"CREATE TABLE {m} AS SELECT raw, CAST(CAST(trim(raw) AS {cast}){scale} AS {sql_type}) AS val, "  # noqa: S608
            f"NULL::VARCHAR AS err FROM {d} WHERE regexp_full_match(trim(raw), '{pattern}')"
        )
        values = [
            r[0]
            for r in mem.execute(
                f"SELECT raw FROM {d} WHERE NOT regexp_full_match(trim(raw), '{pattern}')"  # noqa: S608
            ).fetchall()
        ]
        mem.execute(f"DROP TABLE {d}")
    if not values:
        return False
    fn = _coercer(ds, fld, header, values)
    vals: list[object] = []
    errs: list[str | None] = []
    for v in values:
        text = v.strip()
        if not text:
            vals.append(None)
            errs.append(None)
            continue
        code = coerce.excel_error(text)
        if code:
            vals.append(None)
            errs.append(f"是 Excel 错误值 {code}")
            continue
        try:
            vals.append(fn(text))
            errs.append(None)
        except coerce.CoerceError as exc:
            vals.append(None)
            errs.append(exc.message)
    frame = pa.table(
        {"raw": pa.array(values, pa.string()), "val": _arrow_values(vals, kind), "err": pa.array(errs, pa.string())}
    )
    mem.register(mtab + "_a", frame)
    mem.execute(f"INSERT INTO {m} SELECT raw, CAST(val AS {sql_type}), err FROM {store.quote_ident(mtab + '_a')}")  # noqa: S608
    mem.unregister(mtab + "_a")
    return any(e is not None for e in errs)


def _prepare_grid(
    grid: readers.Grid,
    choice: HeaderChoice,
    path: Path,
    name: str,
    sha: str,
    project: str | None,
    as_of: dt.date | None,
) -> Prepared:
    ds = choice.dataset
    report = Report()
    sheet = grid.sheet
    header_excel_row = grid.first_row + choice.header_row
    plans.claim_outline_column(choice, grid)  # an id column holding the outline is the WBS, not a duplicate
    for text, dup_idx in choice.duplicates:
        dup_cols = [choice.columns[i] for i in dup_idx if i < len(choice.columns)]
        if any(m.field for m in dup_cols) or any(m.how == "duplicate" for m in dup_cols):
            letters = "与".join(f"{readers.column_letter(i)} 列" for i in dup_idx)
            report.add(Problem(name, sheet, header_excel_row, text, None, f"列名重复「{text}」({letters})"))
    for cm in choice.columns:
        if cm.how == "duplicate":
            report.add(
                Problem(
                    name,
                    sheet,
                    header_excel_row,
                    cm.header,
                    None,
                    "与前面的列映射到同一字段，已忽略此列。 / Maps to a field already taken; ignored.",
                    "warning",
                )
            )
    # a big CSV is staged in a private DuckDB file with a memory limit, so a 10M-row export stays well under
    # 2 GB; anything else is staged in memory
    big_csv = grid.truncated
    stage_file = upload_dir() / f"stage-{uuid.uuid4().hex}.duckdb" if big_csv else None
    mem = duckdb.connect(str(stage_file) if stage_file else ":memory:")
    if big_csv:
        mem.execute("SET memory_limit = '768MB'")
    mem.execute("SET enable_progress_bar = false")
    keep_staging = False
    try:
        _stage_grid(mem, grid, choice)
        mapped: dict[str, int] = choice.mapped
        width = len(choice.columns)
        # ------------------------------------------------------------ rows that are not data
        non_data = validate.non_data_rows(mem, grid, choice, name, report)
        if non_data:
            mem.execute("CREATE TABLE skipped AS SELECT unnest(?::BIGINT[]) AS _row", [non_data])
            mem.execute("CREATE VIEW data AS SELECT * FROM raw ANTI JOIN skipped USING (_row)")
        else:
            mem.execute("CREATE VIEW data AS SELECT * FROM raw")
        data_rows = int(mem.execute("SELECT count(*) FROM data").fetchone()[0])  # type: ignore[index]
        _check_limits(data_rows, name)
        # ------------------------------------------------------------ cells the preflight marked
        for (row, col), (ref, msg, value) in sorted(grid.bad_cells.items()):
            if row > header_excel_row and col < width and row not in non_data and choice.columns[col].field:
                hdr = choice.columns[col].header
                report.add(Problem(name, sheet, row, hdr, value, f"单元格 {ref} {msg}"))
        # ------------------------------------------------------------ coerce every distinct value once
        selects = ["d._row AS row_no"]
        joins: list[str] = []
        error_maps: list[tuple[str, str, str]] = []  # (field, staging column, map table) with refused values
        for fld, idx in mapped.items():
            colname = f"c{idx}"
            kind = ds.field(fld).kind
            q = store.quote_ident(colname)
            if kind in ("text", "code"):
                selects.append(f"{validate.text_sql(f'd.{q}')} AS {store.quote_ident(fld)}")
                continue
            mtab = f"m_{fld}"
            if _value_map(mem, ds, fld, colname, choice.columns[idx].header, mtab):
                error_maps.append((fld, colname, mtab))
            alias = store.quote_ident("j_" + fld)
            joins.append(f"LEFT JOIN {store.quote_ident(mtab)} {alias} ON d.{q} = {alias}.raw")
            selects.append(f"{alias}.val AS {store.quote_ident(fld)}")
        # a big staged table keeps `typed` as a view: the joins against the small value maps are cheap to
        # repeat, writing 10M rows once more is not
        typed_kind = "VIEW" if big_csv else "TABLE"
        mem.execute(f"CREATE {typed_kind} typed AS SELECT {', '.join(selects)} FROM data d {' '.join(joins)} ")  # noqa: S608
        headers = {fld: choice.columns[idx].header for fld, idx in mapped.items()}
        bad_rows = validate.row_problems(mem, ds, headers, name, sheet, report, error_maps)
        bad_rows |= {p.row for p in report.errors if p.row is not None and p.row > header_excel_row}
        validate.check_totals(mem, ds, choice, report, name, sheet)
        fields = [f.name for f in ds.fields if f.name in mapped]
        proj = project
        snap_as_of: dt.date | None = None
        if ds.mode == "snapshot":
            snap_as_of = as_of or _as_of_from(grid, choice.header_row, name) or dt.date.today()
            if "project" not in mapped and proj is None:
                proj = project_from_name(name)
        keep = ", ".join(["row_no", *(store.quote_ident(f) for f in fields)])
        staged_rows = 0
        if ds.mode == "periodic" and (big_csv or data_rows > STAGE_ROWS):
            # the rows to store stay in the staging database; commit streams them into the store
            mem.execute("CREATE TABLE bad_rows AS SELECT unnest(?::BIGINT[]) AS row_no", [sorted(bad_rows)])
            mem.execute(f"CREATE TABLE final AS SELECT {keep} FROM typed ANTI JOIN bad_rows USING (row_no)")  # noqa: S608
            counted = mem.execute("SELECT count(*) FROM final").fetchall()  # fetchall: leave no open result
            staged_rows = int(counted[0][0]) if counted else 0
            keep_staging = True
            frame = pd.DataFrame(columns=["row_no", *fields])
        else:
            frame = mem.execute(f"SELECT {keep} FROM typed ORDER BY row_no").df()  # noqa: S608
            frame = frame[~frame["row_no"].isin(bad_rows)].reset_index(drop=True)
    finally:
        if not keep_staging:
            mem.close()
            if stage_file is not None:
                _drop_stage_file(stage_file)
        if grid.csv_path is not None and grid.csv_path != path:
            grid.csv_path.unlink(missing_ok=True)

    prep = Prepared(
        file_name=name,
        sheet=sheet,
        dataset=ds.name,
        path=path,
        sha256=sha,
        header_row=header_excel_row,
        columns=choice.columns,
        frame=frame,
        report=report,
        invalid_rows=sorted(bad_rows),
        data_rows=data_rows,
        as_of=snap_as_of,
        project=proj,
        encoding=grid.encoding,
        signature=signature(sheet, [c.header for c in choice.columns]),
        staging=mem if keep_staging else None,
        stage_file=stage_file if keep_staging else None,
        staged_rows=staged_rows,
    )
    if prep.staging is None:
        _finish_frame(prep)
    return prep


def _drop_stage_file(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _arrow_values(vals: list[object], kind: str) -> pa.Array:
    types = {
        "date": pa.date32(),
        "money": pa.float64(),
        "percent": pa.float64(),
        "int": pa.int64(),
        "number": pa.float64(),
        "level": pa.int64(),
        "bool": pa.bool_(),
        "duration": pa.float64(),
        "stage": pa.string(),
    }
    return pa.array(vals, types[kind])


def _check_limits(rows: int, name: str) -> None:
    limit = settings.get_int("max_rows")
    if rows > limit:
        raise FileRefused(
            f"{name}：数据行数 {rows:,} 超过上限 {limit:,}。请拆分文件。 / Over the row limit of {limit:,}."
        )


def _finish_frame(prep: Prepared) -> None:
    """Dataset-specific completion on small frames: task ids, predecessors by WBS, derived finish dates."""
    df = prep.frame
    ds = DATASETS[prep.dataset]
    for f in ds.fields:
        if f.name not in df.columns:
            df[f.name] = None
    if ds.mode == "snapshot":
        if prep.project is not None:
            df["project"] = (
                df["project"].where(df["project"].notna(), prep.project) if "project" in df else prep.project
            )
        df["project"] = df["project"].fillna(prep.project or "")
    if prep.dataset == "tasks":
        plans.finish_tasks(df)
    if prep.dataset == "changes" or prep.dataset == "risks":
        pass
    prep.frame = df


def _prepare_project_xml(
    path: Path, name: str, kind: str, sha: str, project: str | None, as_of: dt.date | None
) -> Prepared:
    from loaders import project_xml  # type: ignore[attr-defined,unused-ignore]

    if kind in ("mpxj", "mspdi"):  # MSPDI through MPXJ: link types and lags, calendars, actuals, all baselines
        plan = mpp.read_plan(path, name)
        tasks = mpp.plan_tasks(plan)
        proj = project or plan["title"] or project_from_name(name)
        status = plan.get("status_date")
        as_of = as_of or (status.date() if isinstance(status, dt.datetime) else None)
    else:
        tasks = project_xml.read_gan(path, name)
        proj = project or project_xml.gan_project_name(path) or project_from_name(name)
    cols = [c for c in STORE_COLUMNS["tasks"]]
    frame = pd.DataFrame(tasks)
    for c in cols:
        if c not in frame.columns:
            frame[c] = None
    frame["project"] = proj
    frame["row_no"] = range(1, len(frame) + 1)
    report = Report()
    bad: list[int] = []
    for _i, rec in frame.iterrows():
        if rec["start"] is None or (isinstance(rec["start"], float) and pd.isna(rec["start"])):
            report.add(
                Problem(name, None, int(rec["row_no"]), "Start", None, "任务没有开始时间 / task without a start")
            )
            bad.append(int(rec["row_no"]))
    frame = frame[~frame["row_no"].isin(bad)].reset_index(drop=True)
    frame["is_milestone"] = frame["is_milestone"].fillna(False).astype(bool)
    frame["is_gate"] = False
    return Prepared(
        file_name=name,
        sheet=None,
        dataset="tasks",
        path=path,
        sha256=sha,
        header_row=0,
        columns=[],
        frame=frame[list(cols)],
        report=report,
        invalid_rows=bad,
        data_rows=len(frame) + len(bad),
        as_of=as_of or dt.date.today(),
        project=proj,
        encoding="utf-8",
        signature=kind,
    )


# ---------------------------------------------------------------------------------------------- commit
# The write half lives in loaders.store.writes; these names stay importable from here.
commit = writes.commit
undo = writes.undo
record_refusal = writes.record_refusal
_commit_all = writes.commit_all
db_file_of = store.db_file_of


# -------------------------------------------------------------------------------------------- one call


def import_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    display_name: str | None = None,
    dataset: str | None = None,
    project: str | None = None,
    as_of: dt.date | None = None,
    sheet: str | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
) -> list[ImportResult]:
    """Prepare and commit every table of a file. Refusals are recorded and returned, not raised.

    A big clean CSV takes the bulk path (one statement from the file); when it is not clean, nothing of that
    attempt remains and the checked path below reads, reports and stores it."""
    name = display_name or Path(path).name
    if not dry_run and sheet is None:
        quick = _bulk_prepared(Path(path), name, dataset, project, con)
        if quick is not None:
            try:
                return [commit(con, quick, skip_invalid=skip_invalid, user=user, progress=progress)]
            except bulk.NotClean:
                pass
            except (ValidationFailed, ImportBusy, StoreUnavailable) as exc:
                return [ImportResult(quick.file_name, None, quick.dataset, "refused", 0, None, exc.message)]
            finally:
                quick.discard()
    try:
        preps = prepare(path, display_name=name, dataset=dataset, project=project, as_of=as_of, sheet=sheet, con=con)
    except FileRefused as exc:
        if not dry_run:
            record_refusal(con, sniff_safe(name), exc.message, dataset=dataset, user=user)
        return [ImportResult(name, None, dataset, "refused", 0, None, exc.message, exc.problems)]
    try:
        return _commit_all(con, preps, skip_invalid=skip_invalid, dry_run=dry_run, user=user, progress=progress)
    finally:
        for p in preps:
            p.discard()


def _bulk_prepared(
    p: Path, display_name: str, dataset: str | None, project: str | None, con: duckdb.DuckDBPyConnection
) -> Prepared | None:
    """A Prepared for the bulk path, or None when the file is small, not a CSV, or needs the checked path."""
    try:
        if dataset is not None and dataset not in DATASETS or p.stat().st_size <= readers.PYTHON_PARSE_BYTES:
            return None
        name = sniff.safe_name(display_name)
        if sniff.sniff(p, name) != "csv":
            return None
        # the head decides the encoding; DuckDB checks the rest as it reads (bad bytes: the checked path)
        grid = readers.read_csv_head(p, name, whole=False)
    except (FileRefused, OSError):
        return None  # the checked path explains it
    temp = grid.csv_path if grid.csv_path is not None and grid.csv_path != p else None
    bp: bulk.BulkPlan | None = None
    choice: HeaderChoice | None = None
    if grid.truncated and grid.csv_path is not None:
        candidates = [DATASETS[dataset]] if dataset else list(DATASETS.values())
        choice = choose_header(grid.rows, candidates, saved=_saved_mappings(con), sheet=None, user_mapping=None)
        if choice is not None and not _missing(choice, project):
            hdr = choice.header_row
            skip = grid.line_of_record[hdr] if hdr < len(grid.line_of_record) else 0
            bp = bulk.plan(choice, grid.csv_path, grid.delimiter, skip)
    if bp is None or choice is None:
        if temp is not None:
            temp.unlink(missing_ok=True)
        return None
    bp.temp_copy = temp
    bp.sha = bulk.hash_in_background(p)
    return Prepared(
        file_name=name,
        sheet=None,
        dataset=choice.dataset.name,
        path=p,
        sha256="",
        header_row=grid.first_row + choice.header_row,
        columns=choice.columns,
        frame=pd.DataFrame(columns=["row_no", *bp.fields]),
        report=Report(),
        encoding=grid.encoding,
        signature=signature(None, [c.header for c in choice.columns]),
        bulk=bp,
    )


def sniff_safe(name: str) -> str:
    try:
        return sniff.safe_name(name)
    except FileRefused:
        return "(无效文件名)"


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """The problem report as a table: file / sheet / row / column / value / what is wrong / severity."""
    return pd.DataFrame(
        [
            {
                "file": p.file,
                "sheet": p.sheet,
                "row": p.row,
                "column": p.column,
                "value": p.value,
                "problem": p.message,
                "severity": p.severity,
            }
            for p in problems
        ],
        columns=["file", "sheet", "row", "column", "value", "problem", "severity"],
    )


# Upload copies live in loaders/uploads.py (private folder beside the store, quotas, session-end removal).
UPLOAD_TTL_SECONDS = uploads.UPLOAD_TTL_SECONDS
upload_dir = uploads.upload_dir
tmp_copy = uploads.tmp_copy
