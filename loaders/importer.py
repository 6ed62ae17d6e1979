"""The importer: prepare a file (read, map, coerce, validate — nothing stored), then commit it in one transaction.

Staging and coercion run in a private in-memory DuckDB: every distinct cell text of a column is coerced once
(plain numbers by DuckDB, the rest in Python) and joined back, so a 10M-row usage CSV is never held as Python
objects. `import_file` tries the bulk path (loaders.bulk) first for a big clean CSV.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from loaders import bulk, coerce, mpp, plans, readers, settings, sniff, staging, store, units, uploads, validate, wide
from loaders.datasets import DATASETS, Dataset
from loaders.errors import CockpitError, FileRefused, ImportBusy, Problem, Report, StoreUnavailable, ValidationFailed
from loaders.headers import (
    HEADER_SCAN_ROWS,
    ColumnMap,
    HeaderChoice,
    choose_header,
    field_for,
    header_names,
    match_field,
    signature,
)
from loaders.store import registry, writes
from loaders.store.writes import ImportResult as ImportResult

if TYPE_CHECKING:  # pandas and pyarrow load when a table needs them, not at start-up (python -m loaders --help)
    import pandas as pd

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
    # the stored columns (row_no, then the fields); a small table's rows are in `frame`
    out_columns: list[str]
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
    # facts the preview and the CLI state ("单位：万元（取自第 2 行）", a default stage, an unpivoted layout)
    notes: list[str] = field(default_factory=list)
    # fields filled with one value for the whole file (a cost ledger without a stage column: paid)
    defaults: dict[str, str] = field(default_factory=dict)
    # canonical columns + row_no, valid rows only (None for a table staged in DuckDB or on the bulk path:
    # `frame` is then an empty frame of the stored columns, built only when asked for)
    frame_data: pd.DataFrame | None = None

    @property
    def frame(self) -> pd.DataFrame:
        if self.frame_data is None:
            import pandas as pd

            self.frame_data = pd.DataFrame(columns=self.out_columns)
        return self.frame_data

    @frame.setter
    def frame(self, df: pd.DataFrame) -> None:
        self.frame_data = df

    @property
    def row_count(self) -> int:
        if self.staging is not None or self.bulk is not None:
            return self.staged_rows
        return len(self.frame)

    def head(self, n: int = 20) -> pd.DataFrame:
        """The first rows as they will be stored (read from the staging database for a big table)."""
        if self.staging is None:
            return self.frame.head(n)
        cols = ", ".join(store.quote_ident(c) for c in self.out_columns)
        return self.staging.execute(f"SELECT {cols} FROM final ORDER BY row_no LIMIT ?", [n]).df()  # noqa: S608

    def discard(self) -> None:
        """Release the staging database of a preview the user cancelled (commit does it after loading)."""
        if self.staging is not None:
            self.staging.close()
            self.staging = None
        if self.stage_file is not None:
            _drop_stage_file(self.stage_file)
            self.stage_file = None
        if self.bulk is not None:
            self.bulk.stop.set()  # a hash still running is not needed any more
        if self.bulk is not None and self.bulk.temp_copy is not None:
            self.bulk.temp_copy.unlink(missing_ok=True)
            self.bulk.temp_copy = None
        if self.bulk is not None and self.bulk.copy is not None:
            if self.bulk.sha is not None:
                with contextlib.suppress(Exception):
                    self.bulk.sha.result()  # the worker has let go of the copy (stopped early, or done)
            self.bulk.copy.unlink(missing_ok=True)  # not moved into the kept files: not needed
            self.bulk.copy = None

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
    stage: str | None = None,
) -> list[Prepared]:
    """Read and check a file; store nothing. Raises FileRefused when no table in it can be read.

    `project` fills the project of every table without a project column; `stage` is the money stage of a cost
    ledger without a stage column (default paid: a 报销台账 lists money paid)."""
    token = staging.CURRENT.set(store.local_file_of(con) if con is not None else None)
    try:
        staging.folder()  # the first import of a process sweeps what a killed one left behind
        return _prepare(Path(path), display_name, dataset, project, as_of, sheet, mapping, con, stage)
    finally:
        staging.CURRENT.reset(token)


def _prepare(
    p: Path,
    display_name: str | None,
    dataset: str | None,
    project: str | None,
    as_of: dt.date | None,
    sheet: str | None,
    mapping: dict[str, str] | None,
    con: duckdb.DuckDBPyConnection | None,
    stage: str | None,
) -> list[Prepared]:
    name = sniff.safe_name(display_name or p.name)
    if dataset is not None and dataset not in DATASETS:
        raise FileRefused(f"未知的数据类型「{dataset}」，可选：{', '.join(DATASETS)} / Unknown dataset.")
    if stage is not None and stage not in DATASETS["costs"].field("stage").allowed:
        raise FileRefused(f"未知的资金状态「{stage}」 / Unknown stage.")
    if mpp.is_plan_file(p, name):  # .mpp, .mpx, .xer, .pod ...: read by MPXJ in its worker process
        return [_prepare_project_xml(p, name, "mpxj", file_sha256(p), project, as_of)]
    kind = sniff.sniff(p, name)  # MS Project XML is sniffed (DTDs refused) before MPXJ reads it
    if kind in ("mspdi", "gan"):
        return [_prepare_project_xml(p, name, kind, file_sha256(p), project, as_of)]
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
        fixed: dict[str, str] = {}
        wide_note: str | None = None
        wide_skips: list[Problem] = []
        if not complete:
            found = _wide(g, candidates, saved, mapping, project, len(grids) > 1)
            if found is not None:
                g, choice, wide_note, fixed, wide_skips = found
                complete = True
        if choice is None or not complete:
            unrecognised.append(g.sheet or name)
            if choice is not None and (best_missing is None or choice.score > best_missing[1].score):
                best_missing = (g, choice)
            continue
        prep = _prepare_grid(g, choice, p, name, "", project, as_of, stage, fixed)
        if wide_note:
            prep.notes.insert(0, wide_note)
            prep.report.problems[:0] = wide_skips
        prep.report.problems[:0] = [] if prepared else warnings
        prepared.append(prep)
    if not prepared:
        if best_missing is not None:
            g, choice = best_missing
            miss = "、".join(f"「{_label(choice.dataset, m)}」" for m in _missing(choice, project))
            where = f"(sheet {g.sheet})" if g.sheet else ""
            level_only = _level_only(choice, project)
            if level_only is not None:
                raise FileRefused(
                    f"{name}：风险登记册只有「{level_only.header}」({level_only.letter} 列，如 高/中/低)，没有「可能性」和"
                    f"「影响」两列。一个等级无法放入 5×5 矩阵(“高”可能是 4×5，也可能是 5×4)，系统不会猜测。请补充可能性和影响"
                    f"两列(1–5 或 很低/低/中/高/很高)后再导入{where}。 / {name}: the risk register has only a level"
                    f" ('{level_only.header}', column {level_only.letter}: High/Medium/Low) and no likelihood and impact"
                    " columns. A level cannot be placed on the 5×5 grid (High may be 4×5 or 5×4) and is never guessed;"
                    " add likelihood and impact (1–5 or Very low…Very high) and import again.",
                    problems=[
                        Problem(
                            name,
                            g.sheet,
                            choice.header_row + g.first_row,
                            level_only.header,
                            None,
                            "只有风险等级，缺少可能性和影响 / a level only, no likelihood and impact",
                        )
                    ],
                )
            raise FileRefused(
                f"{name}：看起来是{choice.dataset.label_zh}，但缺少必填列{miss}{where}。"
                "请在数据页把对应的列映射到这些字段(或用 --dataset 指定数据类型)，或在文件中补上这些列后重新导入。"
                f" / Looks like {choice.dataset.label_en} but required columns are missing: "
                + ", ".join(_missing(choice, project))
                + ". Map the matching columns on the data page (or choose the dataset), or add them and import again.",
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
    sha = file_sha256(p)  # after reading: a file refused while reading (over the row limit) is not hashed whole
    for prep in prepared:
        prep.sha256 = sha
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


def _wide(
    g: readers.Grid,
    candidates: list[Dataset],
    saved: dict[str, tuple[str, dict[str, str]]],
    mapping: dict[str, str] | None,
    project: str | None,
    several_sheets: bool,
) -> tuple[readers.Grid, HeaderChoice, str, dict[str, str], list[Problem]] | None:
    """A sheet with one column per period, unpivoted, with the dataset it then completes (KPIs, then a budget)."""
    for value_header in wide.VALUE_HEADERS:
        label = "指标" if value_header == wide.VALUE_HEADERS[0] else None
        found = wide.unpivot(g, value_header, label, keep_if=_names_a_category)
        if found is None:
            break
        choice = choose_header(found.grid.rows, candidates, saved=saved, sheet=g.sheet, user_mapping=mapping)
        if choice is None or _missing(choice, project):
            continue
        mapped = choice.mapped
        if "period" not in mapped or choice.columns[mapped["period"]].header != wide.PERIOD_HEADER:
            continue
        fixed: dict[str, str] = {}
        dept = wide.sheet_department(g.sheet) if several_sheets else None
        if choice.dataset.name == "kpis" and "department" not in mapped and dept:
            fixed["department"] = dept
        skips: list[Problem] = []
        if found.empty_rows:
            rows = found.empty_rows
            listed = "、".join(str(r) for r in rows[:10]) + ("…" if len(rows) > 10 else "")
            skips.append(
                Problem(
                    g.file_name,
                    g.sheet,
                    rows[0],
                    None,
                    None,
                    f"{len(rows)} 行在所有期间都没有数值(第 {listed} 行)，未导入。"
                    f" / {len(rows)} rows have no value in any period (rows {listed}); nothing to store.",
                    "warning",
                )
            )
        for r in found.repeated_headers:
            skips.append(Problem(g.file_name, g.sheet, r, None, None, "(表头重复行 / repeated header)", "warning"))
        return found.grid, choice, found.note, fixed, skips
    return _wide_measures(g, candidates, project)


def _names_a_category(header: str) -> bool:
    """A wide sheet's label column that names a budget or cost category (预算科目) is not a KPI name."""
    return match_field("budget", header) == "category" or match_field("costs", header) == "category"


def _wide_measures(
    g: readers.Grid, candidates: list[Dataset], project: str | None
) -> tuple[readers.Grid, HeaderChoice, str, dict[str, str], list[Problem]] | None:
    """A KPI sheet with one column per measure (Period | attendances | % within 4 hours | …), unpivoted."""
    kpis = DATASETS["kpis"]
    if kpis not in candidates:
        return None
    for r in range(min(len(g.rows), HEADER_SCAN_ROWS)):
        levels = 2 if r > 0 and any(v.strip() for v in g.rows[r - 1]) else 1
        names = header_names(g.rows, r, levels)
        fields = {i: field_for("kpis", n.split("/")[-1]) for i, n in enumerate(names) if n.strip()}
        keep = sorted(i for i, f in fields.items() if f in ("period", "department"))
        if not any(fields.get(i) == "period" for i in keep) or any(f in ("kpi", "value") for f in fields.values()):
            continue
        named = readers.Grid(g.file_name, g.sheet, [*g.rows[:r], names, *g.rows[r + 1 :]], g.first_row)
        named.col_offset, named.percent_cells = g.col_offset, g.percent_cells
        if g.arrow is not None:  # the header row of the Arrow table becomes the flattened names
            rows = wide._all_rows(g)
            if rows is None:
                return None
            named.rows = [*rows[:r], names, *rows[r + 1 :]]
        found = wide.unpivot_measures(named, r, keep, "指标", "数值")
        if found is None:
            continue
        long_choice = choose_header(found.grid.rows, [kpis], sheet=g.sheet)
        if long_choice is None or _missing(long_choice, project):
            continue
        return found.grid, long_choice, found.note, {}, []
    return _wide_departments(g, kpis, project)


def _wide_departments(
    g: readers.Grid, kpis: Dataset, project: str | None
) -> tuple[readers.Grid, HeaderChoice, str, dict[str, str], list[Problem]] | None:
    """KPIs with one column per department (指标 | 内科 | 外科 | …) and the month in the title or file name."""
    choice = choose_header(g.rows, [kpis], sheet=g.sheet)
    if choice is None or "kpi" not in choice.mapped or {"period", "value", "department"} & set(choice.mapped):
        return None
    top = max(0, choice.header_row - choice.levels + 1)
    month = wide.month_stated(g.rows[:top], g.sheet, g.file_name)
    if month is None:
        return None
    keep = sorted(choice.mapped.values())
    named = g
    if g.arrow is not None:
        rows = wide._all_rows(g)
        if rows is None:
            return None
        named = readers.Grid(g.file_name, g.sheet, rows, g.first_row, percent_cells=g.percent_cells)
    found = wide.unpivot_measures(
        named, choice.header_row, keep, "科室", "数值", (wide.PERIOD_HEADER, month.isoformat())
    )
    if found is None:
        return None
    long_choice = choose_header(found.grid.rows, [kpis], sheet=g.sheet)
    if long_choice is None or _missing(long_choice, project):
        return None
    return found.grid, long_choice, found.note, {}, []


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
        warnings += grids[0].warnings
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
    # a plan or register without a project column takes the project from --project or the file name; any other
    # table takes it from --project; a cost ledger without a stage column is money paid (the clerk may choose)
    miss = list(choice.missing)
    if "project" in miss and (choice.dataset.mode == "snapshot" or project):
        miss.remove("project")
    if "stage" in miss and choice.dataset.name == "costs":
        miss.remove("stage")
    return miss


_LEVEL_HEADER = re.compile(
    r"(风险等级|风险级别|等级|级别|risk\s*level|level|rating|severity|priority|优先级|严重程度)", re.I
)


def _level_only(choice: HeaderChoice, project: str | None) -> ColumnMap | None:
    """A risk register refused for missing likelihood/impact that holds a level column (风险等级 高/中/低)."""
    missing = set(_missing(choice, project))
    if choice.dataset.name != "risks" or not {"likelihood", "impact"} <= missing:
        return None
    return next(
        (
            c
            for c in choice.columns
            if c.field is None
            and c.header
            and _LEVEL_HEADER.search(c.header)
            and not {"likelihood", "impact"} & set(c.candidates)  # Impact Level (1–5) may be the impact: asked
        ),
        None,
    )


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


# what a file name says about its contents, taken off the END of the name only, so the project's own words stay
# (互联网医院项目计划表 → 互联网医院项目, 计划科信息化 keeps its 计划)
_NAME_TAIL = re.compile(
    r"(?:[_\-. ]*(?:进度计划|实施计划|工作计划|计划|进度|甘特图|风险登记册|风险登记表|风险清单|风险|变更申请|变更记录|变更"
    r"|预算|台账|费用|报表|明细)(?:表|单|书|清单)?"
    r"|[_\-. ]*(?:project\s*)?(?:plan|schedule|gantt|risks?|register|changes?|budget|ledger))$",
    re.I,
)


def project_from_name(file_name: str) -> str:
    """The project a file name states: dates and the trailing words naming the document type taken off."""
    stem = Path(file_name).stem
    stem = _DATE_IN_NAME.sub("", stem).strip(" _-.")
    for _ in range(3):  # 项目进度计划表_风险 → peel a few tails
        cut = _NAME_TAIL.sub("", stem).strip(" _-.")
        if not cut or cut == stem:
            break
        stem = cut
    return stem or Path(file_name).stem


# ----------------------------------------------------------------------------- staging in DuckDB


def _stage_grid(
    mem: duckdb.DuckDBPyConnection,
    grid: readers.Grid,
    choice: HeaderChoice,
    limit: int | None = None,
    *,
    from_sheet: bool = False,
) -> None:
    """Create `raw(_row, c0..cN)` with every record after the header, as text (a big CSV: at most `limit`
    records, so a file over the row limit costs what the limit costs, not what the file does). With
    `from_sheet`, `mem` holds the Arrow-read sheet already (table `sheet`, see readers.Grid.take_duck)."""
    width = len(choice.columns)
    cols = [f"c{i}" for i in range(width)]
    hdr = choice.header_row
    if grid.csv_path is not None and grid.truncated:
        skip = grid.line_of_record[hdr] if hdr < len(grid.line_of_record) else 0
        columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
        sql = (
            "CREATE TABLE raw0 AS SELECT * FROM read_csv(?, delim = ?, header = false, "  # noqa: S608
            f"skip = ?, columns = {columns}, null_padding = true, quote = '\"', escape = '\"', "
            "strict_mode = false, ignore_errors = false, parallel = ?)" + (" LIMIT ?" if limit is not None else "")
        )
        params: list[object] = [str(grid.csv_path), grid.delimiter, skip]
        tail: list[object] = [limit] if limit is not None else []
        try:
            try:
                mem.execute(sql, [*params, True, *tail])
            except duckdb.Error as exc:
                if "parallel=false" not in str(exc):
                    raise
                # quoted line breaks with ragged rows: DuckDB reads them only single-threaded
                mem.execute(sql, [*params, False, *tail])
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
    if grid.arrow is not None:
        # an Arrow-read sheet: rows after the header, placed at their Excel columns, numbered as in Excel. DuckDB
        # reads the sheet's own Arrow columns (the reader's data through the PyCapsule interface: no pyarrow) and
        # casts them to text; the rows are numbered in the order DuckDB scans them, the sheet's order
        if from_sheet:
            source = "sheet"
        else:
            mem.register("raw_arrow", grid.staged_arrow(hdr + 1))
            source = "(SELECT CAST(row_number() OVER () AS BIGINT) AS _n, * FROM raw_arrow)"
        try:
            names = [d[0] for d in mem.execute(f"SELECT * EXCLUDE (_n) FROM {source} LIMIT 0").description]  # noqa: S608
            placed = [
                f"CAST({store.quote_ident(names[j])} AS VARCHAR) AS {c}"
                if 0 <= (j := i - grid.col_offset) < len(names)
                else f"NULL::VARCHAR AS {c}"
                for i, c in enumerate(cols)
            ]
            mem.execute(
                f"CREATE TABLE raw AS SELECT _n + ? AS _row, {', '.join(placed)} FROM {source} WHERE _n > ?",  # noqa: S608
                [grid.first_row - 1, hdr + 1],
            )
        finally:
            if from_sheet:
                mem.execute("DROP TABLE sheet")
            else:
                mem.unregister("raw_arrow")
        return
    import pyarrow as pa

    data = grid.rows[hdr + 1 :]
    first_row = grid.first_row + hdr + 1
    numbers = grid.row_numbers if grid.row_numbers is not None else range(first_row, first_row + len(data))
    arrays: dict[str, list[Any]] = {"_row": list(numbers)}
    for i, c in enumerate(cols):
        arrays[c] = [(r[i] if i < len(r) and r[i].strip() else None) for r in data]
    table = pa.table(arrays, schema=pa.schema([("_row", pa.int64())] + [(c, pa.string()) for c in cols]))
    mem.register("raw_arrow", table)
    mem.execute("CREATE TABLE raw AS SELECT * FROM raw_arrow")
    mem.unregister("raw_arrow")


def _distinct(mem: duckdb.DuckDBPyConnection, col: str) -> list[str]:
    """The column's distinct texts in the order they first appear, so a message names the same cells every run."""
    q = store.quote_ident(col)
    rows = mem.execute(
        f"SELECT {q} FROM data WHERE {q} IS NOT NULL GROUP BY {q} ORDER BY min(_row)"  # noqa: S608
    ).fetchall()
    return [r[0] for r in rows]


_PLAIN_NUMBER = re.compile(r"-?\d{1,15}(?:\.\d+)?\Z")
_PLAIN_INT = re.compile(r"-?\d{1,15}\Z")


_MONTH_ONLY = re.compile(r"\s*(\d{1,2})\s*月份?\s*")


def _coercer(
    ds: Dataset, fld: str, header: str, values: list[str], unit: units.Unit | None = None, year: int | None = None
) -> Callable[[str], object]:
    kind = ds.field(fld).kind
    if kind == "date" and year is not None:
        # 3月 in a sheet whose title (or name) states the year: the first of that month
        def month(v: str) -> object:
            m = _MONTH_ONLY.fullmatch(v)
            if m and 1 <= int(m.group(1)) <= 12:
                return dt.date(year, int(m.group(1)), 1)
            return coerce.parse_date(v)

        return month
    # plain digits (what Excel number cells become) skip the full rules, which handle 万元, brackets, separators
    if kind == "money":
        mult = unit.mult if unit is not None else 1.0
        source, source_en = ("", "") if unit is None else (unit.where_zh(), unit.where_en())

        def money(v: str) -> object:
            if _PLAIN_NUMBER.match(v):
                return float(v) * mult
            return coerce.parse_money(v, mult, declared=unit is not None, source=source, source_en=source_en)

        return money
    if kind == "number" and ds.name == "kpis" and fld == "value":
        return _kpi_value
    if kind == "number":
        return lambda v: float(v) if _PLAIN_NUMBER.match(v) else coerce.parse_number(v)
    if kind == "int":
        return lambda v: int(v) if _PLAIN_INT.match(v) else coerce.parse_int(v)
    if kind == "percent":
        fraction = coerce.column_is_fraction(values)
        mixed = coerce.mixed_percent_scale(values)
        if mixed is not None:
            big, small = mixed

            def ambiguous(v: str) -> object:
                value = coerce.parse_percent(v)
                if "%" not in v and 0 < value < 1:
                    raise coerce.CoerceError(
                        f"「{v}」与同列的「{big}」写法不一致：{v} 是 {float(value) * 100:g}% 还是 {v}%？"
                        f"请统一写成百分数(如 {float(value) * 100:g} 或 {float(value) * 100:g}%)后再导入"
                        f" / '{v}' and '{big}' in the same column: is {v} {float(value) * 100:g}% or {v}%?"
                        " Write every value one way and import again"
                    )
                return value

            return ambiguous
        return lambda v: coerce.parse_percent(v, fraction=fraction)
    return coerce.COERCERS[kind]


# a KPI value may carry its unit: 95.2%, 88 %, 3级 (the EMR level), 4.5分; the unit column takes it when empty
_KPI_UNITS = ("%", "％", "级", "分", "人次", "人", "次", "天", "日", "元")
_KPI_VALUE = re.compile(r"(.*?\d)\s*(" + "|".join(sorted(_KPI_UNITS, key=len, reverse=True)) + r")\s*$")
_KPI_UNIT_SQL = (
    "nullif(replace(regexp_extract({col}, '\\d\\s*("
    + "|".join(sorted(_KPI_UNITS, key=len, reverse=True))
    + ")\\s*$', 1), '％', '%'), '')"
)


def _kpi_value(v: str) -> object:
    """A KPI value: a plain number, "12,345", or a number with its unit "95.2%" / "88 %" / "3级" (the number)."""
    m = _KPI_VALUE.fullmatch(v.strip())
    if m:
        return coerce.parse_number(m.group(1))
    return coerce.parse_number(v.strip())


def _value_map(
    mem: duckdb.DuckDBPyConnection,
    ds: Dataset,
    fld: str,
    colname: str,
    header: str,
    mtab: str,
    unit: units.Unit | None = None,
    year: int | None = None,
) -> bool:
    """Build `mtab(raw, val, err)`: every distinct text of a column with its value or why it was refused.

    Returns whether any value was refused."""

    kind = ds.field(fld).kind
    q, m = store.quote_ident(colname), store.quote_ident(mtab)
    sql_type = SQL_TYPES[kind]
    # converted by DuckDB; other texts by the Python rules (a date of a sheet whose title states the year too: a
    # full date is read alike, but 3月 is not a plain date)
    native = validate.PLAIN_NUMBER.get(kind) or validate.PLAIN_DATE.get(kind)
    if native is None:
        values = _distinct(mem, colname)
        mem.execute(f"CREATE TABLE {m} (raw VARCHAR, val {sql_type}, err VARCHAR)")
    else:
        pattern, cast = native
        mult = unit.mult if kind == "money" and unit is not None else 1.0
        scale = "" if mult == 1.0 else f" * {float(mult)!r}"
        d = store.quote_ident(mtab + "_d")
        mem.execute(
            f"CREATE TEMP TABLE {d} AS SELECT {q} AS raw, min(_row) AS first FROM data "  # noqa: S608
            f"WHERE {q} IS NOT NULL GROUP BY {q}"
        )
        # a plain number always casts; a plain date only when the day exists (2025-02-30 is the rules' to explain)
        ok = f"regexp_full_match(trim(raw), '{pattern}') AND try_cast(trim(raw) AS {cast}) IS NOT NULL"
        mem.execute(
            f"CREATE TABLE {m} AS SELECT raw, CAST(CAST(trim(raw) AS {cast}){scale} AS {sql_type}) AS val, "  # noqa: S608
            f"NULL::VARCHAR AS err FROM {d} WHERE {ok}"
        )
        values = [
            r[0]
            for r in mem.execute(
                f"SELECT raw FROM {d} WHERE NOT ({ok}) ORDER BY first"  # noqa: S608
            ).fetchall()
        ]
        mem.execute(f"DROP TABLE {d}")
    if not values:
        return False
    fn = _coercer(ds, fld, header, values, unit, year)
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
    # the three lists travel as bound LIST parameters (no pyarrow/pandas round trip for a few distinct texts)
    mem.execute(
        f"INSERT INTO {m} SELECT unnest(?::VARCHAR[]), unnest(?::{sql_type}[]), unnest(?::VARCHAR[])",  # noqa: S608
        [values, vals, errs],
    )
    return any(e is not None for e in errs)


def _prepare_grid(
    grid: readers.Grid,
    choice: HeaderChoice,
    path: Path,
    name: str,
    sha: str,
    project: str | None,
    as_of: dt.date | None,
    stage: str | None = None,
    fixed: dict[str, str] | None = None,
) -> Prepared:
    ds = choice.dataset
    report = Report()
    notes: list[str] = []
    sheet = grid.sheet
    header_excel_row = grid.first_row + choice.header_row
    plans.claim_outline_column(choice, grid, path)  # an id column holding the outline is the WBS, not a duplicate
    for text, dup_idx in choice.duplicates:
        dup_cols = [choice.columns[i] for i in dup_idx if i < len(choice.columns)]
        # the same header on columns that map to different fields (Likelihood, then residual Likelihood) is fine
        if any(m.how == "duplicate" for m in dup_cols):
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
    stage_file = staging.new_file(".duckdb") if big_csv else None
    # an Arrow-read sheet's rows are in DuckDB already (read once for its head): staging starts from them
    adopted = None if big_csv else grid.take_duck(choice.header_row + 1)
    mem = adopted or duckdb.connect(str(stage_file) if stage_file else ":memory:")
    if big_csv:
        mem.execute("SET memory_limit = '768MB'")
    mem.execute("SET enable_progress_bar = false")
    keep_staging = False
    try:
        if big_csv:
            _stage_within_limit(mem, grid, choice, name)
        else:
            _stage_grid(mem, grid, choice, from_sheet=adopted is not None)
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
        # ------------------------------------------------------------ money units, values for the whole file
        money_units = _money_units(mem, grid, choice, non_data, name, report)
        stated = _stated_year(grid, choice, name)
        year = stated[0] if stated is not None else None
        _percent_formatted(mem, grid, choice, header_excel_row)
        constants = _constants(ds, mapped, project, stage, notes)
        for fld, value in (fixed or {}).items():
            constants[fld] = value
            notes.append(f"{_label(ds, fld)}：{value}（取自工作表名） / {fld}: {value} (from the sheet name)")
        # ------------------------------------------------------------ coerce every distinct value once
        selects = ["d._row AS row_no"]
        joins: list[str] = []
        error_maps: list[tuple[str, str, str]] = []  # (field, staging column, map table) with refused values
        for fld, idx in mapped.items():
            colname = f"c{idx}"
            kind = ds.field(fld).kind
            q = store.quote_ident(colname)
            if kind in ("text", "code"):
                text = validate.text_sql(f"d.{q}")
                if ds.name == "kpis" and fld == "unit" and "value" in mapped:
                    # a value written "95.2%" says its unit when the unit cell is empty
                    vq = store.quote_ident(f"c{mapped['value']}")
                    text = f"coalesce({text}, {_KPI_UNIT_SQL.format(col=f'd.{vq}')})"
                selects.append(f"{text} AS {store.quote_ident(fld)}")
                continue
            mtab = f"m_{fld}"
            unit = money_units.get(fld)
            if _value_map(mem, ds, fld, colname, choice.columns[idx].header, mtab, unit, year):
                error_maps.append((fld, colname, mtab))
            if kind == "money":
                _unit_note(mem, mtab, unit, choice.columns[idx].header, notes)
            if kind == "date" and stated is not None:
                _year_note(mem, mtab, stated, choice.columns[idx].header, notes)
            alias = store.quote_ident("j_" + fld)
            joins.append(f"LEFT JOIN {store.quote_ident(mtab)} {alias} ON d.{q} = {alias}.raw")
            selects.append(f"{alias}.val AS {store.quote_ident(fld)}")
        computed: set[str] = set()
        if ds.name == "kpis" and "value" in mapped and "unit" not in mapped:
            vq = store.quote_ident(f"c{mapped['value']}")
            selects.append(f"{_KPI_UNIT_SQL.format(col=f'd.{vq}')} AS unit")
            computed.add("unit")
        if constants:
            names = list(constants)
            mem.execute(
                "CREATE TABLE consts AS SELECT "  # noqa: S608
                + ", ".join(f"?::VARCHAR AS {store.quote_ident(n)}" for n in names),
                [constants[n] for n in names],
            )
            joins.append("CROSS JOIN consts")
            selects += [f"consts.{store.quote_ident(n)}" for n in names]
        # a big staged table keeps `typed` as a view: the joins against the small value maps are cheap to
        # repeat, writing 10M rows once more is not
        typed_kind = "VIEW" if big_csv else "TABLE"
        mem.execute(f"CREATE {typed_kind} typed AS SELECT {', '.join(selects)} FROM data d {' '.join(joins)} ")  # noqa: S608
        headers = {fld: choice.columns[idx].header for fld, idx in mapped.items()}
        bad_rows = validate.row_problems(mem, ds, headers, name, sheet, report, error_maps)
        bad_rows |= {p.row for p in report.errors if p.row is not None and p.row > header_excel_row}
        if grid.row_numbers is None:  # an unpivoted total row holds one total per period: not cross-checked
            validate.check_totals(
                mem, ds, choice, report, name, sheet, {f: u.mult for f, u in money_units.items() if u}
            )
        _wan_warning(mem, ds, mapped, money_units, choice, name, sheet, header_excel_row, report)
        fields = [f.name for f in ds.fields if f.name in mapped or f.name in constants or f.name in computed]
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
            typed_cols = [r[0] for r in mem.execute("SELECT column_name FROM (DESCRIBE typed)").fetchall()]
            if not bad_rows and typed_kind == "TABLE" and sorted(typed_cols) == sorted(["row_no", *fields]):
                # every row is kept: the typed table is the final one (a copy cost 0.05 s per 100,000 rows)
                mem.execute("ALTER TABLE typed RENAME TO final")
            else:
                mem.execute("CREATE TABLE bad_rows AS SELECT unnest(?::BIGINT[]) AS row_no", [sorted(bad_rows)])
                mem.execute(f"CREATE TABLE final AS SELECT {keep} FROM typed ANTI JOIN bad_rows USING (row_no)")  # noqa: S608
            counted = mem.execute("SELECT count(*) FROM final").fetchall()  # fetchall: leave no open result
            staged_rows = int(counted[0][0]) if counted else 0
            keep_staging = True
            frame: pd.DataFrame | None = None
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
        out_columns=["row_no", *fields],
        frame_data=frame,
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
        notes=notes,
        defaults={k: v for k, v in constants.items() if v is not None},
    )
    if prep.staging is None:
        _finish_frame(prep)
    return prep


def _money_units(
    mem: duckdb.DuckDBPyConnection,
    grid: readers.Grid,
    choice: HeaderChoice,
    non_data: list[int],
    name: str,
    report: Report,
) -> dict[str, units.Unit | None]:
    """The unit of each money column: its header's, else the one a title line or a note row states.

    Two statements that disagree (a title line 万元 and a header 元, or a title line and a note) are an error
    naming both cells; the column then reads with no unit so every value is still checked."""
    ds = choice.dataset
    money = {f: i for f, i in choice.mapped.items() if ds.field(f).kind == "money"}
    if not money:
        return {}
    header_excel_row = grid.first_row + choice.header_row
    top = max(0, choice.header_row - choice.levels + 1)
    stated = units.in_rows(grid.rows[:top], grid.first_row, "title")
    if non_data:
        width = min(len(choice.columns), 8)
        cols = ", ".join(store.quote_ident(f"c{i}") for i in range(width))
        below = mem.execute(
            f"SELECT _row, {cols} FROM raw WHERE _row IN (SELECT unnest(?::BIGINT[])) ORDER BY _row",  # noqa: S608
            [non_data],
        ).fetchall()
        for rec in below:
            found = units.in_rows([[v or "" for v in rec[1:]]], int(rec[0]), "note")
            stated += found
    table: units.Unit | None = None
    for u in stated:
        if table is None:
            table = u
        elif u.mult != table.mult:
            report.add(_unit_conflict(name, grid.sheet, table, u, None))
            return dict.fromkeys(money)
    out: dict[str, units.Unit | None] = {}
    for fld, idx in money.items():
        header = choice.columns[idx].header
        own = units.in_header(header.split("/")[-1], header_excel_row, idx) or units.in_header(
            header, header_excel_row, idx
        )
        if own is not None and table is not None and own.mult != table.mult:
            report.add(_unit_conflict(name, grid.sheet, table, own, header))
            out[fld] = None
            continue
        out[fld] = own or table
    return out


def _percent_formatted(
    mem: duckdb.DuckDBPyConnection, grid: readers.Grid, choice: HeaderChoice, header_excel_row: int
) -> None:
    """A cell formatted as a percentage holds the fraction (1 shows 100 %): its text becomes what the user sees
    ("100%"), so the percent rules read it as written on screen."""
    if not grid.percent_cells or grid.arrow is None and grid.csv_path is not None:
        return
    ds = choice.dataset
    for fld, idx in choice.mapped.items():
        kind = ds.field(fld).kind
        if kind != "percent" and not (ds.name == "kpis" and fld == "value"):
            continue
        rows = sorted(r for r, c in grid.percent_cells if c == idx and r > header_excel_row)
        if not rows:
            continue
        col = store.quote_ident(f"c{idx}")
        found = mem.execute(
            f"SELECT _row, {col} FROM raw WHERE _row IN (SELECT unnest(?::BIGINT[])) AND {col} IS NOT NULL",  # noqa: S608
            [rows],
        ).fetchall()
        fixed: list[tuple[int, str]] = []
        for row, text in found:
            try:
                value = Decimal(str(text).strip())
            except InvalidOperation:
                continue  # text in a percent-formatted cell is read as typed
            shown = format((value * 100).normalize(), "f")
            fixed.append((int(row), f"{shown}%"))
        if fixed:
            mem.execute(
                f"UPDATE raw SET {col} = pct_fix.v FROM (SELECT unnest(?::BIGINT[]) AS r, unnest(?::VARCHAR[]) AS v) "  # noqa: S608
                "pct_fix WHERE raw._row = pct_fix.r",
                [[r for r, _ in fixed], [v for _, v in fixed]],
            )


def _unit_conflict(name: str, sheet: str | None, a: units.Unit, b: units.Unit, header: str | None) -> Problem:
    return Problem(
        name,
        sheet,
        b.row,
        header,
        b.text,
        f"金额单位矛盾：{a.where_zh()}写「{a.text}」({a.name})，{b.where_zh()}写「{b.text}」({b.name})。"
        f"请只保留一个正确的单位后再导入，系统不会猜测。"
        f" / Conflicting money units: {a.where_en()} says {a.name}, {b.where_en()} says {b.name}; keep one and"
        " import again (never guessed).",
    )


def _year_note(
    mem: duckdb.DuckDBPyConnection, mtab: str, stated: tuple[int, str], header: str, notes: list[str]
) -> None:
    """Say so when a month written without its year (3月) took the year the title, sheet or file name states."""
    raws = [r[0] for r in mem.execute(f"SELECT raw FROM {store.quote_ident(mtab)} WHERE err IS NULL").fetchall()]  # noqa: S608
    months = [v for v in raws if _MONTH_ONLY.fullmatch(v)]
    if not months:
        return
    year, source = stated
    notes.append(
        f"列「{header}」的「{months[0]}」等没有写年份，按 {year} 年读取（取自「{source}」）"
        f" / column '{header}': '{months[0]}' and the like have no year; read as {year} (from '{source}')"
    )


def _unit_note(
    mem: duckdb.DuckDBPyConnection, mtab: str, unit: units.Unit | None, header: str, notes: list[str]
) -> None:
    cell_units = False
    if unit is None:
        found = mem.execute(
            f"SELECT count(*) FROM {store.quote_ident(mtab)} WHERE regexp_matches(raw, '[万元亿千]')"  # noqa: S608
        ).fetchall()
        cell_units = bool(found and found[0][0])
    notes.append(units.note_zh_en(unit, header, cell_units))


# every amount of a money column without a stated unit below this looks like 万元
WAN_LOOKING_BELOW = 10_000.0


def _wan_warning(
    mem: duckdb.DuckDBPyConnection,
    ds: Dataset,
    mapped: dict[str, int],
    money_units: dict[str, units.Unit | None],
    choice: HeaderChoice,
    name: str,
    sheet: str | None,
    header_row: int,
    report: Report,
) -> None:
    """A budget or ledger with no unit anywhere whose amounts are all small was probably written in 万元."""
    if ds.name not in ("budget", "costs"):
        return
    for fld, unit in money_units.items():
        if unit is not None:
            continue
        col = store.quote_ident(f"c{mapped[fld]}")
        with_unit = mem.execute(
            f"SELECT count(*) FROM data WHERE regexp_matches({col}, '[万元亿千]')"  # noqa: S608
        ).fetchall()
        if with_unit and with_unit[0][0]:
            continue
        q = store.quote_ident(fld)
        row = mem.execute(f"SELECT count({q}), max(abs({q})) FROM typed").fetchall()  # noqa: S608
        n, biggest = (row[0][0], row[0][1]) if row else (0, None)
        if not n or biggest is None or float(biggest) >= WAN_LOOKING_BELOW or float(biggest) == 0:
            continue
        header = choice.columns[mapped[fld]].header
        report.add(
            Problem(
                name,
                sheet,
                header_row,
                header,
                f"{float(biggest):,.2f}",
                f"文件没有写明金额单位，而「{header}」的 {n} 个金额都小于 {WAN_LOOKING_BELOW:,.0f}(最大 {float(biggest):,.2f})，"
                f"看起来像以万元填写。已按元读取；若是万元，请在表头写明「{header}(万元)」后重新导入。"
                f" / No money unit is stated and all {n} amounts of '{header}' are under {WAN_LOOKING_BELOW:,.0f}"
                f" (largest {float(biggest):,.2f}): they look like 万元 (10k yuan). Read as yuan; if they are 万元,"
                f" write '{header}(万元)' in the header and import again.",
                "warning",
            )
        )


def _constants(
    ds: Dataset, mapped: dict[str, int], project: str | None, stage: str | None, notes: list[str]
) -> dict[str, str | None]:
    """Fields without a column that take one value for the whole file: the project (--project or the page's
    project field) of a periodic table, and the stage of a cost ledger (paid unless the clerk chose another)."""
    out: dict[str, str | None] = {}
    names = {f.name for f in ds.fields}
    if ds.mode == "periodic" and "project" in names and "project" not in mapped and project:
        out["project"] = project
        notes.append(
            f"项目：{project}（文件没有项目列，整份文件按此项目导入） / Project: {project} (no project column)"
        )
    if ds.name == "costs" and "stage" not in mapped:
        chosen = stage or "paid"
        out["stage"] = chosen
        zh = {"committed": "已签合同", "invoiced": "已开票", "paid": "已付款"}[chosen]
        notes.append(
            f"资金状态：{zh}（文件没有状态列，整份文件按{zh}导入，可在数据页改选） / Stage: {chosen} (no stage column;"
            " the whole file is loaded so, choose another on the data page)"
        )
    return out


def _drop_stage_file(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _check_limits(rows: int, name: str) -> None:
    limit = settings.get_int("max_rows")
    if rows > limit:
        raise FileRefused(
            f"{name}：数据行数 {rows:,} 超过上限 {limit:,}。请拆分文件。 / Over the row limit of {limit:,}."
        )


def over_limit(name: str, limit: int) -> FileRefused:
    """The refusal of a big CSV found over the row limit while reading (the rest of the file is never read)."""
    return FileRefused(
        f"{name}：数据行数超过上限 {limit:,}(读到第 {limit + 1:,} 个数据行即停止读取)。请把文件拆分为每份不超过"
        f" {limit:,} 行后分别导入。 / {name}: more than {limit:,} data rows (reading stopped at data row"
        f" {limit + 1:,}); split the file into parts of at most {limit:,} rows and import each."
    )


def _stage_within_limit(mem: duckdb.DuckDBPyConnection, grid: readers.Grid, choice: HeaderChoice, name: str) -> None:
    """Stage a big CSV reading at most row limit + 1 records. When all of them are data rows the file is over
    the limit and is refused right there; when some are not (blank, total or note rows), the whole file is staged
    and the usual count decides, so the refusal is exact either way. A file with no more line breaks than the limit
    cannot hold more records: it is staged whole, without the cut (which costs DuckDB an ordered pass)."""
    limit = settings.get_int("max_rows")
    assert grid.csv_path is not None
    if readers.line_breaks_within(grid.csv_path, limit):
        _stage_grid(mem, grid, choice)
        return
    _stage_grid(mem, grid, choice, limit + 1)
    counted = mem.execute("SELECT count(*) FROM raw").fetchall()
    if not counted or int(counted[0][0]) <= limit:
        return  # the whole file is in
    non_data = validate.non_data_rows(mem, grid, choice, name, Report())
    if int(counted[0][0]) - len(non_data) > limit:
        raise over_limit(name, limit)
    mem.execute("DROP VIEW raw")
    mem.execute("DROP TABLE raw0")
    _stage_grid(mem, grid, choice)


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
    import pandas as pd

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
        out_columns=list(cols),
        frame_data=frame[list(cols)],
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
save_mapping = writes.save_mapping
_commit_all = writes.commit_all


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
    stage: str | None = None,
    user: str | None = None,
    progress: Progress | None = None,
) -> list[ImportResult]:
    """Prepare and commit every table of a file. Refusals are recorded and returned, not raised.

    A big clean CSV takes the bulk path (one statement from the file); when it is not clean, nothing of that
    attempt remains and the checked path below reads, reports and stores it."""
    name = display_name or Path(path).name
    if not dry_run and sheet is None:
        quick = _bulk_prepared(Path(path), name, dataset, project, con, stage)
        if quick is not None:
            assert quick.bulk is not None
            quick.bulk.report_rows = not skip_invalid
            try:
                return [commit(con, quick, skip_invalid=skip_invalid, user=user, progress=progress)]
            except bulk.NotClean:
                pass
            except bulk.OverLimit as over:
                # the refusal the checked path gives when its read of the same limit + 1 records finds them all data
                msg = over_limit(quick.file_name, over.limit).message
                record_refusal(con, sniff_safe(name), msg, dataset=dataset, user=user)
                return [ImportResult(name, None, dataset, "refused", 0, None, msg, [])]
            except bulk.RowsRefused as refused:
                # the report the checked path would give, found in the rows already read (commit_all's refusal)
                errors = sum(1 for p in refused.problems if p.severity == "error")
                msg = f"{errors} 个问题，整个文件未导入 / {errors} problems; nothing stored"
                record_refusal(con, quick.file_name, msg, dataset=quick.dataset, user=user)
                return [
                    ImportResult(
                        quick.file_name, None, quick.dataset, "refused", 0, None, msg, refused.problems, quick.notes
                    )
                ]
            except (ValidationFailed, ImportBusy, StoreUnavailable) as exc:
                return [ImportResult(quick.file_name, None, quick.dataset, "refused", 0, None, exc.message)]
            finally:
                quick.discard()
    try:
        preps = prepare(
            path, display_name=name, dataset=dataset, project=project, as_of=as_of, sheet=sheet, con=con, stage=stage
        )
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
    p: Path,
    display_name: str,
    dataset: str | None,
    project: str | None,
    con: duckdb.DuckDBPyConnection,
    stage: str | None = None,
) -> Prepared | None:
    """A Prepared for the bulk path, or None when the file is small, not a CSV, or needs the checked path."""
    try:
        if dataset is not None and dataset not in DATASETS or p.stat().st_size <= readers.PYTHON_PARSE_BYTES:
            return None
        if stage is not None and stage not in DATASETS["costs"].field("stage").allowed:
            return None
        name = sniff.safe_name(display_name)
        if sniff.sniff(p, name) != "csv":
            return None
        # the head decides the encoding; DuckDB checks the rest as it reads (bad bytes: the checked path)
        token = staging.CURRENT.set(store.local_file_of(con))
        try:
            grid = readers.read_csv_head(p, name, whole=False)
        finally:
            staging.CURRENT.reset(token)
    except (FileRefused, OSError, UnicodeError):
        return None  # the checked path explains it
    temp = grid.csv_path if grid.csv_path is not None and grid.csv_path != p else None
    bp: bulk.BulkPlan | None = None
    choice: HeaderChoice | None = None
    notes: list[str] = []
    constants: dict[str, str | None] = {}
    if grid.truncated and grid.csv_path is not None:
        candidates = [DATASETS[dataset]] if dataset else list(DATASETS.values())
        choice = choose_header(grid.rows, candidates, saved=_saved_mappings(con), sheet=None, user_mapping=None)
        if choice is not None and not _missing(choice, project):
            # the project and a ledger's stage for the whole file, stated as the checked path states them
            constants = _constants(choice.dataset, choice.mapped, project, stage, notes)
        if choice is not None and not _missing(choice, project) and _bulk_can_read(choice, grid, constants):
            hdr = choice.header_row
            skip = grid.line_of_record[hdr] if hdr < len(grid.line_of_record) else 0
            bp = bulk.plan(choice, grid.csv_path, grid.delimiter, skip)
            if bp is not None:
                bp.constants = {k: v for k, v in constants.items() if v is not None}
    if bp is None or choice is None:
        if temp is not None:
            temp.unlink(missing_ok=True)
        return None
    bp.temp_copy = temp
    if store.originals_dir(con) is not None:
        # the original's copy for the kept files is written by the hash's read, while the rows load (in the staging
        # folder: the group store's is the app's own, beside COCKPIT_DB; moved into the kept files, or copied)
        bp.copy = staging.new_file(".part", store.local_file_of(con))
    bp.sha = bulk.hash_in_background(p, bp.stop, bp.copy, bp.copied)
    header_row = grid.first_row + choice.header_row
    bp.file_name, bp.header_row = name, header_row
    stated = _stated_year(grid, choice, name)
    bp.year = stated[0] if stated is not None else None
    bp.headers = {fld: choice.columns[idx].header for fld, idx in choice.mapped.items()}
    notes += [
        units.note_zh_en(units.in_header(choice.columns[i].header, header_row, i), choice.columns[i].header, False)
        for f, i in choice.mapped.items()
        if choice.dataset.field(f).kind == "money"
    ]
    return Prepared(
        file_name=name,
        sheet=None,
        dataset=choice.dataset.name,
        path=p,
        sha256="",
        header_row=grid.first_row + choice.header_row,
        columns=choice.columns,
        out_columns=["row_no", *bp.fields],
        report=Report(),
        encoding=grid.encoding,
        signature=signature(None, [c.header for c in choice.columns]),
        bulk=bp,
        notes=notes,
        defaults=dict(bp.constants),
    )


def _stated_year(grid: readers.Grid, choice: HeaderChoice, name: str) -> tuple[int, str] | None:
    """The year a title line above the header, the sheet or the file name states, and where (wide.year_source)."""
    top = max(0, choice.header_row - choice.levels + 1)
    return wide.year_source(grid.rows[:top], grid.sheet, name)


def _bulk_can_read(choice: HeaderChoice, grid: readers.Grid, constants: dict[str, str | None] | None = None) -> bool:
    """The bulk path reads only what it reads exactly like the checked path: every required field in a column
    (or one value for the whole file: --project, a ledger's stage), and money only under a header that states
    its unit, 元 included (a unit in a title line or a note, a warning about amounts that look like 万元, cells
    with their own units: the checked path decides)."""
    ds = choice.dataset
    if any(f not in choice.mapped and not (constants or {}).get(f) for f in ds.required):
        return False
    for fld, idx in choice.mapped.items():
        if ds.field(fld).kind != "money":
            continue
        header = choice.columns[idx].header
        # the unit as the checked path finds it (_money_units) must be the one bulk.plan scales by
        own = units.in_header(header.split("/")[-1], 0, idx) or units.in_header(header, 0, idx)
        if own is None or own.mult != coerce.unit_from_header(header):
            return False
    top = max(0, choice.header_row - choice.levels + 1)
    return not units.in_rows(grid.rows[:top], grid.first_row, "title")


def sniff_safe(name: str) -> str:
    try:
        return sniff.safe_name(name)
    except FileRefused:
        return "(无效文件名)"


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """The problem report as a table: file / sheet / row / column / value / what is wrong / severity."""
    import pandas as pd

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
