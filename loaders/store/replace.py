"""Which stored rows a re-import of a periodic dataset replaces, and the sentence that says so before it happens.

A periodic row is replaced when an earlier loaded import holds a row with the same `replace_key` values as one of
the new rows. For a dataset whose `replace_key` is coarser than a row's identity (a ledger: project, month, stage),
only rows of the same source are replaced: the same export (sheet + header signature), the same file-name pattern,
or rows sharing the dataset's `row_key` (a contract or invoice number). So a payments ledger never wipes a
contracts ledger of the same project and month, and a corrected payments ledger replaces only its own rows.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from loaders.datasets import Dataset
from loaders.store import registry
from loaders.store.connection import quote_ident

if TYPE_CHECKING:
    from loaders.importer import Prepared


def source_scoped(ds: Dataset) -> bool:
    """True when the replace key does not name a row (no business key inside it): replacement is per source."""
    return not ds.key or not set(ds.key) <= set(ds.replace_key)


def _project_field(ds: Dataset) -> str | None:
    return "project" if "project" in {f.name for f in ds.fields} else None


def _period_field(ds: Dataset) -> str | None:
    if "month" in ds.replace_key:
        return registry.month_field(ds)
    for k in ds.replace_key:
        if ds.field(k).kind == "date":
            return k
    return None


def where_replaced(ds: Dataset, new: str) -> str:
    """The WHERE clause (over old rows `o` of the raw table) picking the rows that the rows of `new` replace.

    `new` is a relation (a table name or a parenthesised query) holding the new rows' replace-key (and row-key)
    columns. Named parameters: $import_id (the new import), $dataset, $source, $pattern, $hospital.
    """
    match, _ = registry.replace_match(ds, "o", "n")
    same_key = f"EXISTS (SELECT 1 FROM {new} n WHERE {match})"  # noqa: S608
    loaded = (
        "o.import_id IN (SELECT import_id FROM import_log WHERE status = 'loaded' AND dataset = $dataset"
        " AND hospital IS NOT DISTINCT FROM $hospital)"  # one hospital's import never replaces another's rows
    )
    where = f"o.superseded_by IS NULL AND o.import_id <> $import_id AND {loaded} AND {same_key}"
    if not source_scoped(ds):
        return where
    same_source = (
        "o.import_id IN (SELECT import_id FROM import_log WHERE status = 'loaded' AND dataset = $dataset"
        " AND (source = $source OR name_pattern = $pattern))"
    )
    alternatives = [same_source]
    if ds.row_key:
        rk = " AND ".join(f"n.{quote_ident(k)} = o.{quote_ident(k)}" for k in ds.row_key)
        alternatives.append(f"EXISTS (SELECT 1 FROM {new} n WHERE {match} AND {rk})")  # noqa: S608
    return f"{where} AND ({' OR '.join(alternatives)})"


def key_columns(ds: Dataset) -> tuple[str, ...]:
    """The columns of the new rows the replacement rule reads."""
    _, cols = registry.replace_match(ds)
    return tuple(dict.fromkeys((*cols, *(ds.row_key if source_scoped(ds) else ()))))


@dataclass(frozen=True)
class ReplacedGroup:
    project: str | None
    period: dt.date | None  # the month (ledgers) or period of the replaced rows; None = the whole project
    file_name: str | None  # the earlier import's file
    import_id: int
    rows: int


@dataclass(frozen=True)
class Replacement:
    """What an import replaces: per project, month and earlier file, how many rows."""

    dataset: str
    groups: tuple[ReplacedGroup, ...]
    monthly: bool  # periods are months (ledgers, budgets) rather than days

    @property
    def rows(self) -> int:
        return sum(g.rows for g in self.groups)

    def statement(self, lang: str = "zh", *, done: bool = False, limit: int = 6) -> str:
        """ "将替换 3 月 HIS 项目来自《付款台账》的 12 行" / "will replace 12 rows of project HIS for March from
        《付款台账》"; `done` for the history once stored ("替换了 12 行旧数据：…"). Several groups are listed (the
        first `limit`) with the total."""
        if not self.groups:
            return "不替换任何已有数据" if lang == "zh" else "replaces no stored rows"
        years = {g.period.year for g in self.groups if g.period is not None}
        parts = []
        for g in self.groups[:limit]:
            src = Path(g.file_name).stem if g.file_name else f"#{g.import_id}"
            if lang == "zh":
                when = _when_zh(g.period, self.monthly, len(years) > 1)
                who = f" {g.project} 项目" if g.project is not None else " "
                parts.append(f"{when}{who}来自《{src}》的 {g.rows} 行")
            else:
                when = _when_en(g.period, self.monthly, len(years) > 1)
                who = f" of project {g.project}" if g.project is not None else ""
                parts.append(f"{g.rows} rows{who} for {when} from 《{src}》")
        more = len(self.groups) - limit
        if lang == "zh":
            text = "；".join(parts) + (f"；另有 {more} 组" if more > 0 else "")
            if done:
                return f"替换了 {self.rows} 行旧数据：{text}"
            return "将替换 " + text + (f"(共 {self.rows} 行)" if len(self.groups) > 1 else "")
        text = "; ".join(parts) + (f"; {more} more groups" if more > 0 else "")
        if done:
            return f"replaced {self.rows} earlier rows: {text}"
        return "will replace " + text + (f" ({self.rows} rows in all)" if len(self.groups) > 1 else "")


def _when_zh(d: dt.date | None, monthly: bool, with_year: bool) -> str:
    if d is None:
        return "全周期"
    if not monthly:
        return d.isoformat()
    return f"{d.year} 年 {d.month} 月" if with_year else f"{d.month} 月"


def _when_en(d: dt.date | None, monthly: bool, with_year: bool) -> str:
    if d is None:
        return "the whole project"
    if not monthly:
        return d.isoformat()
    return f"{calendar.month_name[d.month]} {d.year}" if with_year else calendar.month_name[d.month]


def _plan(con: duckdb.DuckDBPyConnection, ds: Dataset, new: str, params: dict[str, object]) -> Replacement:
    table = quote_ident(registry.raw_table(ds))
    proj = _project_field(ds)
    period = _period_field(ds)
    p_sql = f"o.{quote_ident(proj)}" if proj else "NULL"
    if period is None:
        d_sql = "NULL::DATE"
    elif "month" in ds.replace_key:
        d_sql = f"CAST(date_trunc('month', o.{quote_ident(period)}) AS DATE)"
    else:
        d_sql = f"o.{quote_ident(period)}"
    sql = (
        f"SELECT {p_sql} AS project, {d_sql} AS period, i.file_name, o.import_id, count(*) AS n "  # noqa: S608
        f"FROM {table} o JOIN import_log i ON i.import_id = o.import_id "
        f"WHERE {where_replaced(ds, new)} GROUP BY ALL ORDER BY 2 NULLS FIRST, 1, 4"
    )
    rows = con.execute(sql, used(sql, params)).fetchall()
    groups = tuple(ReplacedGroup(None if r[0] is None else str(r[0]), r[1], r[2], int(r[3]), int(r[4])) for r in rows)
    # months when the key is a month, or when every replaced period is the first of a month (monthly budgets, KPIs)
    monthly = "month" in ds.replace_key or all(g.period is None or g.period.day == 1 for g in groups)
    return Replacement(ds.name, groups, monthly)


def used(sql: str, params: dict[str, object]) -> dict[str, object]:
    """Only the named parameters the statement uses (DuckDB refuses extra ones)."""
    return {k: v for k, v in params.items() if f"${k}" in sql}


def params(ds: Dataset, import_id: int, source: str | None, pattern: str | None) -> dict[str, object]:
    from loaders.store.connection import importing_hospital

    hospital = importing_hospital()
    return {"import_id": import_id, "dataset": ds.name, "source": source, "pattern": pattern, "hospital": hospital}


def stored_plan(
    con: duckdb.DuckDBPyConnection, ds: Dataset, import_id: int, source: str | None, pattern: str | None
) -> Replacement:
    """What the rows already inserted under `import_id` (inside the open transaction) replace."""
    new = f"(SELECT * FROM {quote_ident(registry.raw_table(ds))} WHERE import_id = $import_id)"  # noqa: S608
    return _plan(con, ds, new, params(ds, import_id, source, pattern))


def replacement_plan(con: duckdb.DuckDBPyConnection, prep: Prepared) -> Replacement | None:
    """What committing `prep` would replace, computed before anything is stored (preview, dry run).

    None when it cannot be known before the rows are read (a big CSV on the bulk path: the CLI prints what was
    replaced once stored). Snapshot datasets replace nothing (every snapshot is kept)."""
    from loaders.store.writes import name_pattern

    ds = registry.dataset(prep.dataset)
    if registry.is_snapshot(ds):
        return Replacement(ds.name, (), False)
    cols = key_columns(ds)
    if prep.bulk is not None and prep.staging is None:
        return None
    sel = ", ".join(quote_ident(c) for c in cols)
    import pyarrow as pa

    keys: pa.Table
    if prep.staging is not None:
        keys = prep.staging.sql(f"SELECT DISTINCT {sel} FROM final").to_arrow_table()  # noqa: S608
    else:
        keys = pa.Table.from_pandas(prep.frame[list(cols)].drop_duplicates(), preserve_index=False)
    name = "incoming_keys_" + uuid.uuid4().hex[:12]
    con.register(name, keys)
    try:
        return _plan(con, ds, quote_ident(name), params(ds, -1, prep.signature or None, name_pattern(prep.file_name)))
    finally:
        con.unregister(name)
