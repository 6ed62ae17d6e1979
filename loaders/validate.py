"""Row-level checks of a staged table: rows that are not data, refused values, rule breaches, duplicate keys,
and the grand-total cross-check. Every problem goes into the file's report; nothing stops at the first.
"""

from __future__ import annotations

import re

import duckdb

from loaders import coerce, readers, store
from loaders.datasets import Dataset
from loaders.errors import Problem, Report
from loaders.headers import HeaderChoice

MAX_PROBLEMS = 2000


def check_totals(
    mem: duckdb.DuckDBPyConnection,
    ds: Dataset,
    choice: HeaderChoice,
    report: Report,
    name: str,
    sheet: str | None,
    money_units: dict[str, float] | None = None,
) -> None:
    """A single grand-total row is cross-checked against the sum of the data; a mismatch is a warning."""
    totals = [p.row for p in report.warnings if p.row is not None and p.message.startswith("合计/小计行")]
    if len(totals) != 1:
        return
    for fld, idx in choice.mapped.items():
        if ds.field(fld).kind not in ("money", "number"):
            continue
        q = store.quote_ident(f"c{idx}")
        raw = mem.execute(f"SELECT {q} FROM raw WHERE _row = ?", [totals[0]]).fetchone()  # noqa: S608
        if not raw or raw[0] is None:
            continue
        try:
            unit = (money_units or {}).get(fld, 1.0) if ds.field(fld).kind == "money" else 1.0
            stated = coerce.parse_money(str(raw[0]).strip(), unit)
        except coerce.CoerceError:
            continue
        row = mem.execute(f"SELECT sum({store.quote_ident(fld)}) FROM typed").fetchone()  # noqa: S608
        summed = float(row[0]) if row and row[0] is not None else 0.0
        if abs(stated - summed) > max(0.01, abs(summed) * 1e-6):
            report.add(
                Problem(
                    name,
                    sheet,
                    totals[0],
                    choice.columns[idx].header,
                    str(raw[0]),
                    f"合计行为 {stated:,.2f}，但明细合计为 {summed:,.2f}，请核对。 / The total row says {stated:,.2f};"
                    f" the rows add up to {summed:,.2f}.",
                    "warning",
                )
            )


LABEL_HINT = (
    r"(?i)([合总小][\s\x{3000}]*计|total|sum|注|说明|单位|图例|来源|note|legend|source|n\.?b|※|#|\*"
    r"|^\s*[一二三四五六七八九十]+\s*[、.．])"
)
# a heading between groups: 一、硬件购置 / 二. 软件 (a section label, like 小计, when the row has no values)
SECTION = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]\s*\S")
LABEL_HINT_SQL = "'" + LABEL_HINT.replace("'", "''") + "'"

# Plain numbers (what Excel number cells and most exports hold), per kind: the pattern a trimmed text must match
# in full, and the DuckDB type whose cast reads it exactly as float()/int() would.
PLAIN_NUMBER = {
    "money": (r"-?\d{1,15}(\.\d+)?", "DOUBLE"),
    "number": (r"-?\d{1,15}(\.\d+)?", "DOUBLE"),
    "int": (r"-?\d{1,15}", "BIGINT"),
}
# ISO dates and date-times (a plausible year, a month, a day, an optional time to the second with a space or T):
# DuckDB's cast reads a text of this shape as coerce.parse_date/parse_datetime do, when the day exists (the cast
# gives NULL otherwise, and the Python rules say why). An hour of 24, a one-digit minute, a fraction of a second
# and every other form are left to the rules (DuckDB's cast would read 24:00 as the next day).
_PLAIN_STAMP = (
    r"(199[0-9]|20[0-9][0-9]|2100)-(0?[1-9]|1[0-2])-(0?[1-9]|[12][0-9]|3[01])"
    r"([ T]([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?)?"
)
PLAIN_DATE = {"date": (_PLAIN_STAMP, "DATE"), "datetime": (_PLAIN_STAMP, "TIMESTAMP")}


def text_sql(col: str) -> str:
    """How a text cell is stored: NUL dropped, runs of spaces, tabs and ideographic spaces made one, trimmed, '' as NULL.

    `col` is a quoted (and possibly qualified) column of our own. NUL (an Excel `_x0000_`) is dropped: it would
    truncate the text in C APIs and poison CSV exports."""
    col = f"replace({col}, chr(0), '')"
    return (
        f"nullif(trim(CASE WHEN contains({col}, '  ') OR contains({col}, chr(9)) OR contains({col}, chr(12288)) "
        f"THEN regexp_replace({col}, '[ \\t\u3000]+', ' ', 'g') ELSE {col} END), '')"
    )


def non_data_rows(
    mem: duckdb.DuckDBPyConnection, grid: readers.Grid, choice: HeaderChoice, name: str, report: Report
) -> list[int]:
    """Blank rows, total rows (合计/总计/小计/Total), notes and legends: left out and reported."""
    width = len(choice.columns)
    mapped_cols = [f"c{i}" for i in choice.mapped.values()]
    all_cols = [f"c{i}" for i in range(width)]
    empty_mapped = " AND ".join(f"({store.quote_ident(c)} IS NULL)" for c in mapped_cols) or "TRUE"
    blanks = [
        r[0]
        for r in mem.execute(f"SELECT _row FROM raw WHERE {empty_mapped}").fetchall()  # noqa: S608
    ]
    # total and note labels are looked for in the first few text columns; each distinct text is checked once
    label_cols = all_cols[: min(width, 6)]
    out = set(blanks)
    totals: list[tuple[int, str]] = []
    notes: list[tuple[int, str]] = []
    sections: list[tuple[int, str]] = []
    # a section heading only when a required value of its row is empty (一、需求调研 with dates is a task)
    required_idx = [choice.mapped[f] for f in choice.dataset.required if f in choice.mapped]
    for c in label_cols:
        q = store.quote_ident(c)
        # a vectorised pre-filter on the distinct texts; the exact rules in coerce run on the few candidates
        # the pattern is a literal: a bound one would be compiled again for every row the filter reaches
        texts = [
            r[0]
            for r in mem.execute(
                f"SELECT v FROM (SELECT DISTINCT {q} AS v FROM raw WHERE {q} IS NOT NULL) WHERE regexp_matches(v, {LABEL_HINT_SQL})"  # noqa: S608
            ).fetchall()
        ]
        tot = [t for t in texts if coerce.is_total_label(t)]
        note = [t for t in texts if coerce.is_note_label(t)]
        heads = [t for t in texts if SECTION.match(t) and t not in tot and t not in note]
        if heads and required_idx:
            others = [store.quote_ident(f"c{i}") for i in required_idx if f"c{i}" != c]
            missing = " OR ".join(f"{o} IS NULL" for o in others) or "FALSE"
            for row_no, text in mem.execute(
                f"SELECT _row, {q} FROM raw WHERE {q} IN (SELECT unnest(?::VARCHAR[])) AND ({missing})",  # noqa: S608
                [heads],
            ).fetchall():
                if row_no not in out:
                    sections.append((int(row_no), str(text)))
                    out.add(int(row_no))
        for label_list, sink in ((tot, totals), (note, notes)):
            if label_list:
                for row_no, text in mem.execute(
                    f"SELECT _row, {q} FROM raw WHERE {q} IN (SELECT unnest(?::VARCHAR[]))",  # noqa: S608
                    [label_list],
                ).fetchall():
                    if row_no not in out:
                        sink.append((int(row_no), str(text)))
                        out.add(int(row_no))
    # header rows repeated below the header (vertically merged headers, paged exports)
    header_match = [f"({store.quote_ident(f'c{i}')} = ?)" for i in choice.mapped.values() if choice.columns[i].header]
    header_vals: list[object] = [
        choice.columns[i].header.split("/")[-1].strip() for i in choice.mapped.values() if choice.columns[i].header
    ]
    if header_match:
        need = max(1, len(header_match) // 2)
        cond = " + ".join(f"CAST(coalesce({m}, false) AS INTEGER)" for m in header_match)
        repeated = mem.execute(f"SELECT _row FROM raw WHERE ({cond}) >= ?", [*header_vals, need]).fetchall()  # noqa: S608
        for (row_no,) in repeated:
            if row_no not in out:
                out.add(int(row_no))
                notes.append((int(row_no), "(表头重复行 / repeated header)"))
    # a footer (legend, notes) after the last complete row and a blank gap is not data
    required = [f"c{choice.mapped[f]}" for f in choice.dataset.required if f in choice.mapped]
    if required:
        complete = " AND ".join(f"{store.quote_ident(c)} IS NOT NULL" for c in required)
        last = mem.execute(f"SELECT max(_row) FROM raw WHERE {complete}").fetchone()  # noqa: S608
        last_row = int(last[0]) if last and last[0] is not None else None
        if last_row is not None:
            gap = mem.execute(
                f"SELECT min(_row) FROM raw WHERE _row > ? AND ({empty_mapped})",  # noqa: S608
                [last_row],  # noqa: S608
            ).fetchone()
            if gap and gap[0] is not None:
                footer = [
                    int(r[0])
                    for r in mem.execute(
                        f"SELECT _row FROM raw WHERE _row > ? AND NOT ({empty_mapped})",  # noqa: S608
                        [gap[0]],
                    ).fetchall()
                ]
                footer = [r for r in footer if r not in out]
                if footer:
                    out.update(footer)
                    report.add(
                        Problem(
                            name,
                            grid.sheet,
                            footer[0],
                            None,
                            None,
                            f"表格下方第 {footer[0]}–{footer[-1]} 行是说明或图例，未导入。 / Footer rows {footer[0]}–{footer[-1]} (notes, legend) left out.",
                            "warning",
                        )
                    )
    for row_no, text in sections:
        report.add(
            Problem(
                name,
                grid.sheet,
                row_no,
                None,
                text[:80],
                "分组标题行，未计入数据。 / Section heading left out.",
                "warning",
            )
        )
    for row_no, text in totals:
        report.add(
            Problem(name, grid.sheet, row_no, None, text, "合计/小计行，未计入数据。 / Total row left out.", "warning")
        )
    for row_no, text in notes:
        report.add(
            Problem(
                name, grid.sheet, row_no, None, text[:80], "说明/图例行，未计入数据。 / Note row left out.", "warning"
            )
        )
    # blank rows that hold stray text in unmapped columns only are reported; fully blank ones are not
    if blanks:
        n = len(blanks)
        report.add(
            Problem(
                name,
                grid.sheet,
                None,
                None,
                None,
                f"跳过 {n} 个空行(必填列均为空)。 / {n} blank rows skipped.",
                "warning",
            )
        )
    return sorted(out)


ROW_RULES: dict[str, list[tuple[str, str, str]]] = {
    # (condition that marks a bad row, field it concerns, message)
    "tasks": [
        (
            "finish IS NOT NULL AND start IS NOT NULL AND finish < start",
            "finish",
            "完成时间早于开始时间 / finish before start",
        ),
        (
            "baseline_finish IS NOT NULL AND baseline_start IS NOT NULL AND baseline_finish < baseline_start",
            "baseline_finish",
            "基线完成时间早于基线开始时间 / baseline finish before baseline start",
        ),
    ],
    "budget": [("amount < 0", "amount", "预算金额为负数 / negative budget")],
    "changes": [
        ("decided IS NOT NULL AND decided < requested", "decided", "审批日期早于申请日期 / decided before requested")
    ],
    "usage": [
        ("active_users < 0", "active_users", "活跃用户数为负数 / negative count"),
        ("eligible_users < 0", "eligible_users", "应用人数为负数 / negative count"),
        (
            "eligible_users IS NOT NULL AND active_users > eligible_users",
            "active_users",
            "活跃用户数大于应用人数 / more active than eligible users",
        ),
    ],
    "incidents": [
        ("responded < opened", "responded", "响应时间早于报修时间 / responded before opened"),
        ("resolved < opened", "resolved", "解决时间早于报修时间 / resolved before opened"),
    ],
    "inspections": [
        ("items_checked < 0", "items_checked", "巡检项数为负数 / negative count"),
        ("items_failed < 0", "items_failed", "异常项数为负数 / negative count"),
        (
            "items_checked IS NOT NULL AND items_failed > items_checked",
            "items_failed",
            "异常项数大于巡检项数 / more items failed than checked",
        ),
    ],
    "gate_criteria": [
        (
            "status = 'waived' AND reason IS NULL",
            "reason",
            "豁免的标准必须写明豁免原因 / a waived criterion needs a reason",
        )
    ],
    "training": [
        ("staff < 0", "staff", "应培训人数为负数 / negative count"),
        ("trained < 0", "trained", "已培训人数为负数 / negative count"),
        ("passed < 0", "passed", "考核通过人数为负数 / negative count"),
        ("trained > staff", "trained", "已培训人数大于应培训人数 / more trained than staff to train"),
        ("passed > trained", "passed", "考核通过人数大于已培训人数 / more passed than trained"),
    ],
    "feedback": [("resolved < raised", "resolved", "解决日期早于提出日期 / resolved before raised")],
    "supervision": [("closed < raised", "closed", "关闭日期早于下发日期 / closed before raised")],
    "quality_checks": [
        ("numerator < 0", "numerator", "分子为负数 / negative count"),
        ("denominator < 0", "denominator", "分母为负数 / negative count"),
        ("numerator > denominator", "numerator", "分子大于分母(合格数多于检查数) / numerator above denominator"),
    ],
    "emr_items": [
        ("current_level <> floor(current_level)", "current_level", "电子病历评级没有甲等/乙等 / no sub-grades"),
        ("target_level <> floor(target_level)", "target_level", "电子病历评级没有甲等/乙等 / no sub-grades"),
    ],
}


def missing_message(header: str) -> str:
    """The report's words for a required value missing (the checked path's and the bulk path's)."""
    return f"必填字段「{header}」为空 / required value missing"


def row_problems(
    mem: duckdb.DuckDBPyConnection,
    ds: Dataset,
    headers: dict[str, str],
    name: str,
    sheet: str | None,
    report: Report,
    error_maps: list[tuple[str, str, str]],
) -> set[int]:
    bad: set[int] = set()
    count = 0

    def add(row: int, fld: str | None, value: object, message: str) -> None:
        nonlocal count
        bad.add(int(row))
        count += 1
        if count <= MAX_PROBLEMS:
            report.add(
                Problem(
                    name, sheet, int(row), headers.get(fld or "", fld), None if value is None else str(value), message
                )
            )

    mapped = set(headers)
    rules = [
        (cond, fld, message)
        for cond, fld, message in ROW_RULES.get(ds.name, [])
        if set(re.findall(r"[a-z_]+", cond)) & {f.name for f in ds.fields} <= mapped
    ]
    # values the coercion refused: only the maps that hold a refusal are joined back to find their rows
    for fld, colname, mtab in error_maps:
        c, m = store.quote_ident(colname), store.quote_ident(mtab)
        for row, raw, err in mem.execute(
            f"SELECT d._row, d.{c}, m.err FROM data d JOIN {m} m ON d.{c} = m.raw "  # noqa: S608
            "WHERE m.err IS NOT NULL ORDER BY d._row"
        ).fetchall():
            add(row, fld, raw, err)
    # one scan finds whether any row breaks a rule; the detailed queries below run only when one does
    checks = [f"{store.quote_ident(f.name)} IS NULL" for f in ds.fields if f.name in mapped and f.required]
    checks += [f"coalesce({cond}, false)" for cond, _, _ in rules]
    any_bad = mem.execute(f"SELECT count(*) FROM typed WHERE {' OR '.join(checks) or 'FALSE'}").fetchone()  # noqa: S608
    for f in ds.fields:
        if not any_bad or not any_bad[0]:
            break
        if f.name in mapped and f.required:
            q = store.quote_ident(f.name)
            for (row,) in mem.execute(f"SELECT row_no FROM typed WHERE {q} IS NULL ORDER BY row_no").fetchall():  # noqa: S608
                if row not in bad:
                    add(row, f.name, None, missing_message(headers[f.name]))
    for cond, fld, message in rules if any_bad and any_bad[0] else []:
        for (row,) in mem.execute(f"SELECT row_no FROM typed WHERE {cond} ORDER BY row_no").fetchall():  # noqa: S608
            add(row, fld, None, message)
    # duplicate business keys: same key with different values is an error; exact repeats are warnings
    key = [k for k in ds.key if k in mapped]
    if key and len(key) == len([k for k in ds.key if k != "project" or "project" in mapped]):
        fields = [f"t.{store.quote_ident(f.name)}" for f in ds.fields if f.name in mapped]
        kq = ", ".join(store.quote_ident(k) for k in key)
        # an empty key part (a hospital-wide KPI has no department) is a value like any other here
        same_key = " AND ".join(
            f"t.{store.quote_ident(k)} IS NOT DISTINCT FROM dup.{store.quote_ident(k)}" for k in key
        )
        tk = ", ".join(f"t.{store.quote_ident(k)}" for k in key)
        sql = (
            f"WITH dup AS (SELECT {kq} FROM typed GROUP BY {kq} HAVING count(*) > 1) "  # noqa: S608
            f"SELECT {tk}, list(t.row_no ORDER BY t.row_no) AS rows_, count(DISTINCT ({', '.join(fields)})) AS variants "
            f"FROM typed t JOIN dup ON {same_key} WHERE t.row_no NOT IN (SELECT unnest(?::BIGINT[])) GROUP BY {tk} "
            "HAVING count(*) > 1 ORDER BY min(t.row_no)"  # the report lists them in file order, the same every run
        )
        for rec in mem.execute(sql, [sorted(bad)]).fetchall():
            rows_ = rec[len(key)]
            variants = rec[len(key) + 1]
            label = " / ".join(str(v) for v in rec[: len(key)])
            listed = "、".join(f"第 {r} 行" for r in rows_[:10])
            if variants > 1:
                for r in rows_:
                    add(
                        r,
                        key[-1],
                        label,
                        f"编号 {label} 在{listed}重复且内容不同 / duplicate key with different values",
                    )
            else:
                for r in rows_[1:]:
                    bad.add(int(r))
                report.add(
                    Problem(
                        name,
                        sheet,
                        int(rows_[1]),
                        headers.get(key[-1]),
                        label,
                        f"完全相同的重复行({listed})，只保留一行。 / exact duplicate rows, one kept.",
                        "warning",
                    )
                )
    if count > MAX_PROBLEMS:
        report.add(
            Problem(
                name,
                sheet,
                None,
                None,
                None,
                f"另有 {count - MAX_PROBLEMS} 个问题未列出。 / {count - MAX_PROBLEMS} more problems.",
            )
        )
    return bad
