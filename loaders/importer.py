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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from loaders import bulk, coerce, plans, readers, settings, sniff, store, uploads, validate
from loaders.datasets import DATASETS, Dataset
from loaders.errors import CockpitError, FileRefused, ImportBusy, Problem, Report, StoreUnavailable, ValidationFailed
from loaders.headers import ColumnMap, HeaderChoice, choose_header, signature

Progress = Callable[[int, int], None]

# Canonical column types in the staging tables.
SQL_TYPES = {
    "text": "VARCHAR",
    "code": "VARCHAR",
    "date": "DATE",
    "money": "DOUBLE",
    "percent": "DOUBLE",
    "int": "BIGINT",
    "number": "DOUBLE",
    "level": "INTEGER",
    "bool": "BOOLEAN",
    "duration": "DOUBLE",
    "stage": "VARCHAR",
}

# Columns each raw table receives from a prepared frame (besides import_id / as_of / superseded_by).
STORE_COLUMNS: dict[str, tuple[str, ...]] = {
    "tasks": (
        "row_no",
        "project",
        "task_id",
        "wbs",
        "name",
        "phase",
        "start",
        "finish",
        "baseline_start",
        "baseline_finish",
        "percent_complete",
        "duration_days",
        "is_milestone",
        "is_gate",
        "predecessors",
        "owner",
        "outline_level",
        "is_summary",
    ),
    "budget": ("row_no", "project", "category", "period", "amount"),
    "costs": ("row_no", "date", "project", "category", "vendor", "amount", "stage", "reference", "description"),
    "risks": (
        "row_no",
        "risk_id",
        "project",
        "title",
        "category",
        "likelihood",
        "impact",
        "owner",
        "mitigation",
        "contingency",
        "status",
        "identified",
        "last_review",
        "residual_likelihood",
        "residual_impact",
    ),
    "changes": (
        "row_no",
        "change_id",
        "project",
        "title",
        "status",
        "requested",
        "decided",
        "cost_impact",
        "schedule_impact_days",
        "requested_by",
    ),
    "usage": ("row_no", "period", "department", "system", "active_users", "eligible_users"),
    "kpis": ("row_no", "period", "kpi", "department", "value", "unit"),
}

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


@dataclass
class ImportResult:
    file_name: str
    sheet: str | None
    dataset: str | None
    status: str  # loaded | refused | skipped | undone | dry-run
    rows: int
    import_id: int | None
    message: str
    problems: list[Problem] = field(default_factory=list)


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
    kind = sniff.sniff(p, name)
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

    if kind == "mspdi":
        tasks = project_xml.read_mspdi(path, name)
        proj = project or project_xml.mspdi_project_name(path) or project_from_name(name)
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


def _record(
    con: duckdb.DuckDBPyConnection,
    prep: Prepared | None,
    *,
    status: str,
    message: str,
    user: str,
    file_name: str | None = None,
    dataset: str | None = None,
    rows: int = 0,
    stored_file: str | None = None,
) -> int:
    row = con.execute("SELECT nextval('import_seq')").fetchone()
    assert row is not None
    import_id = int(row[0])
    con.execute(
        "INSERT INTO import_log (import_id, dataset, file_name, sheet, sha256, rows, imported_at, imported_by, status,"
        " message, as_of, encoding, stored_file) VALUES (?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?)",
        [
            import_id,
            dataset or (prep.dataset if prep else "unknown"),
            file_name or (prep.file_name if prep else None),
            prep.sheet if prep else None,
            prep.sha256 if prep else None,
            rows,
            user,
            status,
            message[:4000],
            prep.as_of if prep else None,
            prep.encoding if prep else None,
            stored_file,
        ],
    )
    return import_id


def record_refusal(
    con: duckdb.DuckDBPyConnection, file_name: str, message: str, *, dataset: str | None = None, user: str | None = None
) -> None:
    """Write a refused attempt to the history in its own small transaction (data tables are untouched)."""
    try:
        con.execute("BEGIN")
        _record(
            con,
            None,
            status="refused",
            message=message,
            user=user or settings.get("user"),
            file_name=file_name,
            dataset=dataset or "unknown",
        )
        con.execute("COMMIT")
    except duckdb.Error:
        _rollback(con)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # no transaction open, or the disk is full: the uncommitted work is discarded either way


def _keep_original(db_file: str | None, prep: Prepared) -> str | None:
    folder = store.files_dir(db_file)
    if folder is None:
        return None
    target = folder / prep.sha256[:2] / (prep.sha256 + prep.path.suffix.lower()[:8])
    if not target.exists():
        uploads.private_dir(folder)  # 0700, never a planted symlink
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        uploads.keep_copy(prep.path, tmp)  # 0600, an .xlsm without its macro project
        tmp.replace(target)
    return str(target)


def db_file_of(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return str(row[0]) if row and row[0] else None


def commit(
    con: duckdb.DuckDBPyConnection,
    prep: Prepared,
    *,
    skip_invalid: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Store one prepared table in one transaction. A refusal is recorded in the history and raised."""
    who = user or settings.get("user")
    if prep.report.errors and not skip_invalid:
        msg = f"{len(prep.report.errors)} 个问题，整个文件未导入 / {len(prep.report.errors)} problems; nothing stored"
        record_refusal(con, prep.file_name, msg, dataset=prep.dataset, user=who)
        raise ValidationFailed(f"{prep.file_name}：{msg}", problems=prep.report.problems)
    if prep.row_count == 0 and prep.bulk is None:
        msg = "没有可导入的数据行 / no data rows to load"
        record_refusal(con, prep.file_name, msg, dataset=prep.dataset, user=who)
        raise ValidationFailed(f"{prep.file_name}：{msg}", problems=prep.report.problems)
    db_file = db_file_of(con)
    if db_file and store.free_mb(db_file) < settings.get_float("min_free_mb"):
        raise StoreUnavailable(
            f"磁盘空间不足(少于 {settings.get('min_free_mb')} MB)，导入已取消，数据未改变。请清理磁盘。 / Disk nearly full; import refused."
        )
    store.IMPORT_LOCK.acquire(who, prep.file_name)
    committed = False
    # the bulk path hashes the file while its rows load; the same-file check then runs before COMMIT
    hashing = prep.bulk is not None and prep.bulk.sha is not None
    try:
        stored: str | None = None
        if not hashing:
            skipped = _already_loaded(con, prep)
            if skipped:
                return skipped
            stored = _keep_original(db_file, prep)
        con.execute("BEGIN")
        skipped_rows = len(prep.invalid_rows)
        message = (
            "已导入"
            + (f"，跳过 {skipped_rows} 个无效行" if skipped_rows else "")
            + f" / loaded{f', {skipped_rows} invalid rows skipped' if skipped_rows else ''}"
        )
        import_id = _record(
            con, prep, status="loaded", message=message, user=who, rows=prep.row_count, stored_file=stored
        )
        _insert(con, prep, import_id, progress)
        if prep.bulk is not None:
            if prep.bulk.sha is not None:
                prep.sha256 = bulk.file_hash(prep.bulk)
                skipped = _already_loaded(con, prep)
                if skipped:
                    return skipped  # the finally rolls the rows back
                stored = _keep_original(db_file, prep)
            con.execute(
                "UPDATE import_log SET rows = ?, sha256 = ?, stored_file = ? WHERE import_id = ?",
                [prep.row_count, prep.sha256, stored, import_id],
            )
        superseded = _supersede(con, prep, import_id)
        if superseded:
            con.execute(
                "UPDATE import_log SET message = message || ? WHERE import_id = ?",
                [f"；替换了 {superseded} 行旧数据 / replaced {superseded} earlier rows", import_id],
            )
        store.bump_data_version(con)
        con.execute("COMMIT")
        committed = True
        return ImportResult(
            prep.file_name, prep.sheet, prep.dataset, "loaded", prep.row_count, import_id, message, prep.report.problems
        )
    except duckdb.Error as exc:
        text = str(exc)
        if "No space left" in text or "disk" in text.lower() and "full" in text.lower():
            raise StoreUnavailable(
                "磁盘空间不足，导入已回滚，数据未改变。 / Disk full; the import was rolled back."
            ) from exc
        raise StoreUnavailable(
            f"写入数据库失败，导入已回滚，数据未改变：{text.splitlines()[0]} / Store write failed; rolled back."
        ) from exc
    finally:
        if not committed:
            _rollback(con)
        if committed:
            prep.discard()
        store.IMPORT_LOCK.release()


def _already_loaded(con: duckdb.DuckDBPyConnection, prep: Prepared) -> ImportResult | None:
    """The result for a file whose exact bytes were loaded before (same dataset, sheet and as-of date)."""
    same = con.execute(
        "SELECT import_id FROM import_log WHERE sha256 = ? AND dataset = ? AND sheet IS NOT DISTINCT FROM ?"
        " AND status = 'loaded' AND (as_of IS NOT DISTINCT FROM ?) ORDER BY import_id DESC LIMIT 1",
        [prep.sha256, prep.dataset, prep.sheet, prep.as_of],
    ).fetchone()
    if not same:
        return None
    return ImportResult(
        prep.file_name,
        prep.sheet,
        prep.dataset,
        "skipped",
        0,
        int(same[0]),
        f"同一文件已导入(导入 #{same[0]})，未重复计入。 / Same file already loaded as #{same[0]}.",
    )


def _insert(con: duckdb.DuckDBPyConnection, prep: Prepared, import_id: int, progress: Progress | None) -> None:
    """Append the prepared rows batch by batch (memory stays bounded whatever the row count)."""
    if prep.bulk is not None:
        if progress:
            progress(0, 0)
        prep.staged_rows = bulk.insert(con, DATASETS[prep.dataset], prep.bulk, import_id)
        if progress:
            progress(prep.staged_rows, prep.staged_rows)
        return
    table = store.quote_ident(store.RAW_TABLES[prep.dataset])
    snapshot = DATASETS[prep.dataset].mode == "snapshot"
    extra_cols = ", import_id" + (", as_of" if snapshot else "")
    extra_vals = ", ?" + (", ?" if snapshot else "")
    params: list[object] = [import_id] + ([prep.as_of] if snapshot else [])
    present = [c for c in STORE_COLUMNS[prep.dataset] if c in prep.frame.columns]
    cols = ", ".join(store.quote_ident(c) for c in present)
    batches: Iterable[pa.RecordBatch]
    if prep.staging is not None:
        batches = prep.staging.sql(f"SELECT {cols} FROM final").to_arrow_reader(1_000_000)  # noqa: S608
    else:
        batches = pa.Table.from_pandas(prep.frame[present], preserve_index=False).to_batches(500_000)
    total, done = prep.row_count, 0
    if progress:
        progress(0, total)
    for batch in batches:
        con.register("incoming", batch)
        try:
            con.execute(
                f"INSERT INTO {table} ({cols}{extra_cols}) SELECT {cols}{extra_vals} FROM incoming",  # noqa: S608
                params,
            )
        finally:
            con.unregister("incoming")
        done += batch.num_rows
        if progress:
            progress(done, total)


def _supersede(con: duckdb.DuckDBPyConnection, prep: Prepared, import_id: int) -> int:
    """Periodic facts: the rows this import replaces (same project and month, same period and key) step aside."""
    ds = DATASETS[prep.dataset]
    if ds.mode != "periodic":
        return 0
    earlier = con.execute(
        "SELECT count(*) FROM import_log WHERE dataset = ? AND status = 'loaded' AND import_id <> ?",
        [prep.dataset, import_id],
    ).fetchall()
    if not earlier or not earlier[0][0]:
        return 0  # the first load of this dataset replaces nothing
    table = store.quote_ident(store.RAW_TABLES[prep.dataset])
    if prep.dataset == "costs":
        match = "(o.project = n.project AND date_trunc('month', o.date) = date_trunc('month', n.date))"
        keys = "project, date"
    elif prep.dataset == "budget":
        match = "(o.project = n.project AND o.period IS NOT DISTINCT FROM n.period)"
        keys = "project, period"
    elif prep.dataset == "usage":
        match = "(o.period = n.period AND o.department = n.department AND o.system = n.system)"
        keys = "period, department, system"
    else:
        match = "(o.period = n.period AND o.kpi = n.kpi AND o.department IS NOT DISTINCT FROM n.department)"
        keys = "period, kpi, department"
    sql = (
        f"UPDATE {table} AS o SET superseded_by = ? WHERE o.superseded_by IS NULL AND o.import_id <> ? "  # noqa: S608
        f"AND o.import_id IN (SELECT import_id FROM import_log WHERE status = 'loaded') "
        f"AND EXISTS (SELECT 1 FROM (SELECT DISTINCT {keys} FROM {table} WHERE import_id = ?) n WHERE {match})"
    )
    result = con.execute(sql, [import_id, import_id, import_id]).fetchone()
    return int(result[0]) if result else 0


def undo(con: duckdb.DuckDBPyConnection, import_id: int, *, user: str | None = None) -> ImportResult:
    """Take one loaded import back: its rows leave the views and the rows it replaced return. One transaction."""
    who = user or settings.get("user")
    store.IMPORT_LOCK.acquire(who, f"undo #{import_id}")
    committed = False
    try:
        row = con.execute(
            "SELECT dataset, status, file_name FROM import_log WHERE import_id = ?", [import_id]
        ).fetchone()
        if row is None or row[1] != "loaded":
            raise CockpitError(
                f"导入 #{import_id} 不存在或不是已导入状态，无法撤销。 / Import #{import_id} cannot be undone."
            )
        dataset, _, file_name = row
        table = store.quote_ident(store.RAW_TABLES[dataset])
        if DATASETS[dataset].mode == "periodic":
            later = con.execute(
                f"SELECT DISTINCT superseded_by FROM {table} WHERE import_id = ? AND superseded_by IS NOT NULL",  # noqa: S608
                [import_id],
            ).fetchall()
            if later:
                ids = "、".join(f"#{r[0]}" for r in later)
                raise CockpitError(
                    f"导入 #{import_id} 的部分数据已被更晚的导入 {ids} 替换，请先撤销这些导入。"
                    f" / Later imports {ids} replaced part of it; undo them first."
                )
        con.execute("BEGIN")
        undo_id = _record(
            con,
            None,
            status="undo",
            message=f"撤销导入 #{import_id} / undid import #{import_id}",
            user=who,
            file_name=file_name,
            dataset=dataset,
        )
        con.execute("UPDATE import_log SET status = 'undone', undone_by = ? WHERE import_id = ?", [undo_id, import_id])
        if DATASETS[dataset].mode == "periodic":
            con.execute(f"UPDATE {table} SET superseded_by = NULL WHERE superseded_by = ?", [import_id])  # noqa: S608
        store.bump_data_version(con)
        con.execute("COMMIT")
        committed = True
        return ImportResult(
            file_name, None, dataset, "undone", 0, undo_id, f"已撤销导入 #{import_id} / import #{import_id} undone"
        )
    finally:
        if not committed:
            _rollback(con)
        store.IMPORT_LOCK.release()


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


def _commit_all(
    con: duckdb.DuckDBPyConnection,
    preps: list[Prepared],
    *,
    skip_invalid: bool,
    dry_run: bool,
    user: str | None,
    progress: Progress | None,
) -> list[ImportResult]:
    results: list[ImportResult] = []
    # a file is refused whole when any of its tables has errors (unless skip_invalid)
    if not skip_invalid and any(not p.ok for p in preps):
        for p in preps:
            msg = (
                f"{len(p.report.errors)} 个问题，整个文件未导入 / {len(p.report.errors)} problems; nothing stored"
                if not p.ok
                else "同一文件的其他工作表有问题，未导入 / another sheet of this file has problems; nothing stored"
            )
            if not dry_run:
                record_refusal(con, p.file_name, msg, dataset=p.dataset, user=user)
            results.append(ImportResult(p.file_name, p.sheet, p.dataset, "refused", 0, None, msg, p.report.problems))
        return results
    for p in preps:
        if dry_run:
            results.append(
                ImportResult(
                    p.file_name,
                    p.sheet,
                    p.dataset,
                    "dry-run",
                    p.row_count,
                    None,
                    "检查通过，未写入(试运行) / checked, nothing written (dry run)",
                    p.report.problems,
                )
            )
            continue
        try:
            results.append(commit(con, p, skip_invalid=skip_invalid, user=user, progress=progress))
        except (ValidationFailed, ImportBusy, StoreUnavailable) as exc:
            results.append(ImportResult(p.file_name, p.sheet, p.dataset, "refused", 0, None, exc.message, exc.problems))
    return results


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
