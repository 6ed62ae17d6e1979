"""The store's writes: record an import, insert its rows, replace what it supersedes, undo, refusals.

Every write of one import is one transaction; the import history row is written in it, so the history and the data
never disagree. What is stored and what is replaced is derived from the registry (loaders/store/registry.py).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from loaders import bulk, settings, store
from loaders.errors import CockpitError, ImportBusy, Problem, StoreUnavailable, ValidationFailed
from loaders.store import registry
from loaders.store.connection import IMPORT_LOCK, bump_data_version, db_file_of, files_dir, quote_ident

if TYPE_CHECKING:
    from loaders.importer import Prepared

Progress = Callable[[int, int], None]


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


_DIGITS = re.compile(r"\d+")


def name_pattern(file_name: str | None) -> str | None:
    """The file name with its dates and numbers blanked: `付款台账2025年3月.xlsx` -> `付款台账#年#月.xlsx`."""
    if not file_name:
        return None
    return _DIGITS.sub("#", file_name.strip().lower())


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
    name = file_name or (prep.file_name if prep else None)
    con.execute(
        "INSERT INTO import_log (import_id, dataset, file_name, sheet, sha256, rows, imported_at, imported_by, status,"
        " message, as_of, encoding, stored_file, source, name_pattern)"
        " VALUES (?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            import_id,
            dataset or (prep.dataset if prep else "unknown"),
            name,
            prep.sheet if prep else None,
            prep.sha256 if prep else None,
            rows,
            user,
            status,
            message[:4000],
            prep.as_of if prep else None,
            prep.encoding if prep else None,
            stored_file,
            (prep.signature or None) if prep else None,
            name_pattern(name),
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
    folder = files_dir(db_file)
    if folder is None:
        return None
    target = folder / prep.sha256[:2] / (prep.sha256 + prep.path.suffix.lower()[:8])
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        shutil.copyfile(prep.path, tmp)
        tmp.replace(target)
    return str(target)


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
    IMPORT_LOCK.acquire(who, prep.file_name)
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
        bump_data_version(con)
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
        IMPORT_LOCK.release()


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
    ds = registry.dataset(prep.dataset)
    if prep.bulk is not None:
        if progress:
            progress(0, 0)
        prep.staged_rows = bulk.insert(con, ds, prep.bulk, import_id)
        if progress:
            progress(prep.staged_rows, prep.staged_rows)
        return
    table = quote_ident(registry.raw_table(ds))
    snapshot = registry.is_snapshot(ds)
    extra_cols = ", import_id" + (", as_of" if snapshot else "")
    extra_vals = ", ?" + (", ?" if snapshot else "")
    params: list[object] = [import_id] + ([prep.as_of] if snapshot else [])
    stored = registry.store_columns(ds)
    present = [c for c in stored if c in prep.frame.columns]
    cols = ", ".join(quote_ident(c) for c in present)
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
    """Periodic facts: earlier rows sharing the dataset's `replace_key` with this import's rows step aside."""
    ds = registry.dataset(prep.dataset)
    if registry.is_snapshot(ds):
        return 0
    earlier = con.execute(
        "SELECT count(*) FROM import_log WHERE dataset = ? AND status = 'loaded' AND import_id <> ?",
        [prep.dataset, import_id],
    ).fetchall()
    if not earlier or not earlier[0][0]:
        return 0  # the first load of this dataset replaces nothing
    table = quote_ident(registry.raw_table(ds))
    match, key_cols = registry.replace_match(ds)
    keys = ", ".join(quote_ident(k) for k in key_cols)
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
    IMPORT_LOCK.acquire(who, f"undo #{import_id}")
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
        table = quote_ident(registry.raw_table(dataset))
        periodic = not registry.is_snapshot(dataset)
        if periodic:
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
        if periodic:
            con.execute(f"UPDATE {table} SET superseded_by = NULL WHERE superseded_by = ?", [import_id])  # noqa: S608
        bump_data_version(con)
        con.execute("COMMIT")
        committed = True
        return ImportResult(
            file_name, None, dataset, "undone", 0, undo_id, f"已撤销导入 #{import_id} / import #{import_id} undone"
        )
    finally:
        if not committed:
            _rollback(con)
        IMPORT_LOCK.release()


def commit_all(
    con: duckdb.DuckDBPyConnection,
    preps: list[Prepared],
    *,
    skip_invalid: bool,
    dry_run: bool,
    user: str | None,
    progress: Progress | None,
) -> list[ImportResult]:
    """Commit every table of one file; a file is refused whole when any of its tables has errors."""
    results: list[ImportResult] = []
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
