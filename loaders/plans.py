"""Plans as exports write them, completed: ids when the file has none, predecessors given by WBS number, links
with type and lag, milestones from zero durations, finish dates from durations, the outline (summary rows, levels,
phases) from WBS numbers, an outline-level column or indented names.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from loaders.links import LinkError, links_json, parse_links

_OUTLINE = re.compile(r"^\d+(\.\d+)*$")
CONSTRAINTS = {
    "SNET": ("snet", "start no earlier than", "不得早于...开始", "不得早于开始", "开始不早于"),
    "SNLT": ("snlt", "start no later than", "不得晚于...开始", "不得晚于开始", "开始不晚于"),
    "FNET": ("fnet", "finish no earlier than", "不得早于...完成", "不得早于完成", "完成不早于"),
    "FNLT": ("fnlt", "finish no later than", "不得晚于...完成", "不得晚于完成", "完成不晚于"),
    "MSO": ("mso", "must start on", "必须开始于"),
    "MFO": ("mfo", "must finish on", "必须完成于"),
    "ALAP": ("alap", "as late as possible", "越晚越好"),
    "ASAP": ("asap", "as soon as possible", "越早越好"),
}
_CONSTRAINT_OF = {w: code for code, words in CONSTRAINTS.items() for w in words}


def constraint_code(text: object) -> str | None:
    """SNET/SNLT/FNET/FNLT/MSO/MFO/ALAP from MS Project's words (Chinese or English); ASAP and unknown -> None."""
    if not isinstance(text, str) or not text.strip():
        return None
    code = _CONSTRAINT_OF.get(re.sub(r"\s+", " ", text.strip().lower()))
    return None if code in (None, "ASAP") else code


def outline_levels(df: pd.DataFrame) -> pd.Series:
    """Each row's outline level: the level column, else the depth of an outline number (1.2.3 -> 3), else the
    indentation of the name (leading spaces, 2 or more per level; full-width spaces count as 2), else NaN."""
    import pandas as pd

    level = pd.to_numeric(df["outline_level"], errors="coerce")
    if level.notna().any():
        return level
    wbs = df["wbs"].astype(object)
    outline = wbs.map(lambda w: isinstance(w, str) and bool(_OUTLINE.match(w.strip())))
    if outline.mean() >= 0.8:  # a numbered outline, not codes such as HIS-01
        return wbs.map(
            lambda w: (
                float(w.strip().count(".") + 1) if isinstance(w, str) and _OUTLINE.match(w.strip()) else float("nan")
            )
        )
    names = df["name"].astype(object)
    indent = names.map(
        lambda n: (
            len(n.replace("\u3000", "  ")) - len(n.replace("\u3000", "  ").lstrip(" ")) if isinstance(n, str) else 0
        )
    )
    steps = sorted({int(i) for i in indent if i > 0})
    if not steps:
        return pd.Series(float("nan"), index=df.index)
    unit = steps[0]
    return (indent // unit + 1).astype(float)


INDENT_HEADER = "(缩进层级 / indent level)"


def _cell_indents(path: Any, grid: Any, col: int, first: int, total: int, cells: list[Any]) -> list[int]:
    """Excel's own cell indentation (Format Cells → Alignment → Indent) of the name column, -1 for empty rows.
    Read with openpyxl in read-only mode after the preflight has checked the file; other formats have none."""
    from pathlib import Path

    indent = [-1] * total
    if Path(str(path)).suffix.lower() not in (".xlsx", ".xlsm") or not grid.sheet:
        return indent
    import openpyxl

    try:
        wb = openpyxl.load_workbook(str(path), read_only=True)
    except Exception:  # noqa: BLE001  (not an openpyxl workbook after all: no indentation to read)
        return indent
    try:
        ws = wb[grid.sheet]
        top = grid.first_row + first
        for i, row in enumerate(
            ws.iter_rows(min_row=top, max_row=grid.first_row + total - 1, min_col=col + 1, max_col=col + 1),
            start=first,
        ):
            align = getattr(row[0], "alignment", None) if row else None
            if i < total and str(cells[i] or "").strip():
                indent[i] = int(getattr(align, "indent", 0) or 0)
    except KeyError:
        pass
    finally:
        wb.close()
    return indent


def claim_outline_column(choice: Any, grid: Any, path: Any = None) -> None:
    """The outline before cells are cleaned (`choice` is a headers.HeaderChoice, `grid` a readers.Grid):

    - a second id column (MS Project's `Unique ID`/`标识号` beside `№`/`ID`) that holds outline numbers (1, 2.1,
      2.1.1) becomes the WBS instead of being dropped as a duplicate;
    - with no WBS or outline-level column, names indented with leading spaces (or, in an .xlsx, with Excel's cell
      indentation) give each row's level, added to the grid as a derived column (the preview shows it) before
      the names are trimmed.
    """
    if choice.dataset.name != "tasks" or (grid.csv_path is not None and grid.truncated):
        return
    rows: list[list[str]] = grid.rows
    _claim_unique_id(choice, rows)
    mapped = choice.mapped
    if "wbs" in mapped or "outline_level" in mapped or "name" not in mapped:
        return
    col = mapped["name"]
    first = choice.header_row + 1
    # every data row's name: an Arrow-read sheet keeps only its head in `rows`, the rest is in its table
    table = grid.table if grid.arrow is not None and 0 <= col - grid.col_offset < grid.arrow_width else None
    if table is not None:
        cells = table.column(col - grid.col_offset).to_pylist()
        total = table.num_rows
    else:
        cells = [r[col] if col < len(r) else "" for r in rows]
        total = len(rows)
    indent = [-1] * total
    for i in range(first, total):
        text = (cells[i] or "").replace("\u3000", "  ")
        if text.strip():
            indent[i] = len(text) - len(text.lstrip(" "))
    steps = sorted({n for n in indent if n > 0})
    if not steps and path is not None:
        indent = _cell_indents(path, grid, col, first, total, cells)
        steps = sorted({n for n in indent if n > 0})
    if not steps:
        return
    unit = steps[0]
    levels = [None if i < first or n < 0 else str(n // unit + 1) for i, n in enumerate(indent)]
    new = max(len(r) for r in rows)
    if grid.arrow is not None:  # an Arrow-read sheet is staged from its table: the derived column goes there
        import pyarrow as pa

        table = grid.table
        assert table is not None
        new = max(new, grid.col_offset + table.num_columns)
        while table.num_columns < new - grid.col_offset:
            table = table.append_column(f"_pad{table.num_columns}", pa.nulls(table.num_rows, pa.string()))
        grid.table = table.append_column("_indent_level", pa.array(levels, pa.string()))
    for i, r in enumerate(rows):
        r.extend([""] * (new - len(r)))
        r.append(INDENT_HEADER if i == choice.header_row else (levels[i] or "") if i < len(levels) else "")
    from loaders.headers import ColumnMap

    choice.columns.append(ColumnMap(new, INDENT_HEADER, "outline_level", "alias"))


def _claim_unique_id(choice: Any, rows: list[list[str]]) -> None:
    if "wbs" in choice.mapped:
        return
    from loaders.headers import match_field

    body = rows[choice.header_row + 1 : choice.header_row + 501]
    for cm in choice.columns:
        if cm.how != "duplicate" or match_field("tasks", cm.header) != "task_id":
            continue
        values = [r[cm.index].strip() for r in body if cm.index < len(r) and r[cm.index].strip()]
        outline = [v for v in values if _OUTLINE.match(v)]
        if values and len(outline) >= 0.8 * len(values) and any("." in v for v in outline):
            cm.field, cm.how = "wbs", "alias"
            return


def finish_tasks(df: pd.DataFrame) -> None:
    """Complete a plan in place: task ids, predecessors by WBS, milestones, derived finish dates, phases."""
    import pandas as pd

    if df.empty:
        return
    # MS Project's "Unique ID"/"标识号" column sometimes holds the outline number (2.1.1): keep it as the WBS too
    if df["wbs"].isna().all() and df["task_id"].notna().any():
        ids_text = df["task_id"].astype(object)
        dotted = ids_text.map(lambda v: isinstance(v, str) and bool(_OUTLINE.match(v.strip())) and "." in v)
        if dotted.any() and ids_text.dropna().map(lambda v: bool(_OUTLINE.match(str(v).strip()))).all():
            df["wbs"] = ids_text
    # task ids: the file's ids, else the WBS when unique, else the Excel row
    if df["task_id"].isna().all():
        wbs = df["wbs"]
        if wbs.notna().all() and not wbs.duplicated().any():
            df["task_id"] = wbs
        else:
            df["task_id"] = df["row_no"].map(lambda r: f"R{r}")
    else:
        df["task_id"] = df["task_id"].where(df["task_id"].notna(), df["row_no"].map(lambda r: f"R{r}"))
    # predecessors written as WBS numbers (OmniPlan, some templates) become task ids
    ids = set(df["task_id"].astype(str))
    wbs_to_id: dict[str, str] = {}
    for w, t in zip(df["wbs"], df["task_id"], strict=True):
        if isinstance(w, str) and w not in wbs_to_id:
            wbs_to_id[w] = str(t)

    def resolve(text: object) -> object:
        if not isinstance(text, str) or not text.strip():
            return None
        parts = [p.strip() for p in re.split(r"[,;，；、]", text) if p.strip()]
        out = []
        for part in parts:
            m = re.match(r"^([0-9A-Za-z.\-_]+?)(FS|SS|FF|SF)?([+-].*)?$", part)
            ref = m.group(1) if m else part
            if ref not in ids and ref in wbs_to_id:
                ref = wbs_to_id[ref]
            out.append(ref + ((m.group(2) or "") + (m.group(3) or "") if m else ""))
        return ",".join(out)

    # links with type and lag (ids resolved), kept beside the predecessors text as the user wrote it; an
    # unreadable lag leaves the links empty and the engine reads the ids alone
    def canonical(text: object) -> str | None:
        try:
            return links_json(parse_links(resolve(text)))
        except LinkError:
            return None

    df["links"] = df["predecessors"].map(canonical)
    if "constraint_type" in df.columns:
        df["constraint_type"] = df["constraint_type"].map(constraint_code)
    # milestones: flagged, or zero duration
    dur = pd.to_numeric(df["duration_days"], errors="coerce")
    ms = df["is_milestone"].astype("boolean").fillna(False) | (dur == 0)
    df["is_milestone"] = ms.astype(bool)
    df["is_gate"] = df["is_gate"].astype("boolean").fillna(False).astype(bool)
    # a missing finish comes from the duration (working days), a milestone finishes on its start
    start = pd.to_datetime(df["start"])
    finish = pd.to_datetime(df["finish"])
    need = finish.isna() & start.notna()
    if need.any():
        days = dur.fillna(1).clip(lower=1).round().astype(int)
        derived = [
            (s + pd.offsets.BDay(int(n) - 1)) if not m else s
            for s, n, m in zip(start[need], days[need], df["is_milestone"][need], strict=True)
        ]
        finish = finish.where(~need, pd.Series(derived, index=finish.index[need]))
    df["finish"] = finish.dt.date
    df["start"] = start.dt.date
    # outline: summary rows (a deeper row follows), levels and the phase of their children
    level = outline_levels(df)
    if "name" in df.columns:
        df["name"] = df["name"].map(lambda n: n.strip() if isinstance(n, str) else n)
    if level.notna().any():
        df["outline_level"] = level.astype("Int64")
        nxt = level.shift(-1)
        summary = (nxt > level).fillna(False).astype(bool)
        df["is_summary"] = summary
        if df["phase"].isna().all():
            phase: list[object] = []
            current: object = None
            top = level.min()
            for lv, nm, is_sum in zip(level, df["name"], summary, strict=True):
                if lv == top:
                    current = nm if is_sum else None
                phase.append(current)
            df["phase"] = pd.Series(phase, index=df.index)
    else:
        df["is_summary"] = False
