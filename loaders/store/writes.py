"""The store's writes: record an import, insert its rows, replace what it supersedes, undo, refusals.

Every write of one import is one transaction; the import history row is written in it, so the history and the data
never disagree. What is stored and what is replaced is derived from the registry (loaders/store/registry.py).
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import re
import socket
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from loaders import bulk, settings, store, uploads
from loaders.errors import CockpitError, ImportBusy, Problem, StoreUnavailable, ValidationFailed
from loaders.store import lake, registry, replace, rollups
from loaders.store.connection import IMPORT_LOCK, bump_data_version, importing_hospital, quote_ident

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
    # what the importer decided and says (the money unit and where it was written, a default stage, a wide layout)
    notes: list[str] = field(default_factory=list)


_DIGITS = re.compile(r"[0-9]+")
BUSY_PREFIX = "已有导入正在进行"
_VIA: contextvars.ContextVar[str | None] = contextvars.ContextVar("cockpit_import_via", default=None)


def name_pattern(file_name: str | None) -> str | None:
    """The file name with its dates and numbers blanked: `付款台账2025年3月.xlsx` -> `付款台账#年#月.xlsx`.

    Migration 0002 computes the same for earlier imports (regexp_replace(lower(trim(file_name)), '[0-9]+', '#'))."""
    if not file_name:
        return None
    return _DIGITS.sub("#", file_name.strip().lower())


@contextlib.contextmanager
def via(way: str) -> Iterator[None]:
    """Name the way imports in this block came in (web, cli, inbox, demo), recorded in the history."""
    token = _VIA.set(way)
    try:
        yield
    finally:
        _VIA.reset(token)


def result_lines(res: ImportResult, out: list[str]) -> None:
    """The CLI's and the inbox report's lines for one result: the outcome, then each problem."""
    where = res.file_name + (f" [{res.sheet}]" if res.sheet else "")
    tag = {"loaded": "OK ", "skipped": "== ", "dry-run": "-- ", "undone": "<< "}.get(res.status, "XX ")
    out.append(f"{tag}{where}: {res.dataset or '?'} {res.status}, {res.rows} rows. {res.message}")
    for note in res.notes:
        out.append(f"    {note}")
    for p in res.problems:
        level = "错误" if p.severity == "error" else "提示"
        out.append(
            f"    [{level}] {p.file} / {p.sheet or '-'} / 行 {p.row if p.row is not None else '-'} / "
            f"列 {p.column or '-'} / 值 {p.value if p.value is not None else '-'} / {p.message}"
        )


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
    import_id = store.next_import_id(con)
    name = file_name or (prep.file_name if prep else None)
    con.execute(
        "INSERT INTO import_log (import_id, dataset, file_name, sheet, sha256, rows, imported_at, imported_by, status,"
        " message, as_of, encoding, stored_file, source, name_pattern, via, pid, host, hospital)"
        " VALUES (?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            _VIA.get(),
            os.getpid(),
            socket.gethostname(),
            importing_hospital(),
        ],
    )
    return import_id


def _start(con: duckdb.DuckDBPyConnection, prep: Prepared, user: str) -> int:
    """Write the attempt as 'started' in its own transaction, before any work: a killed import leaves this row,
    which the next start of the store turns into 'interrupted' (history.mark_interrupted)."""
    con.execute("BEGIN")
    try:
        import_id = _record(
            con, prep, status="started", message="导入进行中 / import running", user=user, rows=prep.row_count
        )
        con.execute("COMMIT")
    except BaseException:
        _rollback(con)
        raise
    return import_id


def _finish(con: duckdb.DuckDBPyConnection, import_id: int, status: str | None, message: str) -> None:
    """Turn a 'started' row into its outcome (status None: the attempt is withdrawn, e.g. the bulk path handing
    the file to the checked path, which records its own attempt)."""
    try:
        con.execute("BEGIN")
        if status is None:
            con.execute("DELETE FROM import_log WHERE import_id = ? AND status = 'started'", [import_id])
        else:
            con.execute(
                "UPDATE import_log SET status = ?, message = ?, rows = 0 WHERE import_id = ? AND status = 'started'",
                [status, message[:4000], import_id],
            )
        con.execute("COMMIT")
    except duckdb.Error:
        _rollback(con)  # the disk is full even for this: the next start marks the row interrupted


def record_refusal(
    con: duckdb.DuckDBPyConnection, file_name: str, message: str, *, dataset: str | None = None, user: str | None = None
) -> None:
    """Write a refused attempt to the history in its own small transaction (data tables are untouched)."""
    with lake.store_lock(con, file_name, notify=_tell):
        _refusal(con, file_name, message, dataset=dataset, user=user)


def _refusal(
    con: duckdb.DuckDBPyConnection, file_name: str, message: str, *, dataset: str | None, user: str | None
) -> None:
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


def save_mapping(con: duckdb.DuckDBPyConnection, sig: str, dataset: str, mapping: dict[str, str]) -> None:
    """Remember how the user mapped this export's headers, so the next upload maps itself.

    In the group store this holds the store's advisory lock like an import: DuckLake has no primary key to keep one
    mapping per (signature, header), and its DELETE conflicts at COMMIT with any other writer of the table, so two
    people saving at once (or a save during an import) would otherwise fail or leave both mappings."""
    with lake.store_lock(con, f"column mapping ({dataset})", notify=_tell):
        con.execute("BEGIN")
        try:
            con.execute("DELETE FROM column_mappings WHERE signature = ?", [sig])
            for source, fld in mapping.items():
                con.execute(
                    "INSERT INTO column_mappings (signature, dataset, source, field, saved_at)"
                    " VALUES (?, ?, ?, ?, now())",
                    [sig, dataset, source, fld],
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def _tell(text: str) -> None:
    """Say that this import waits for another one (the group store serialises writers)."""
    print(text, file=sys.stderr, flush=True)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # no transaction open, or the disk is full: the uncommitted work is discarded either way


def _keep_original(folder: Path | None, prep: Prepared) -> str | None:
    if folder is None:
        return None
    target = folder / prep.sha256[:2] / (prep.sha256 + prep.path.suffix.lower()[:8])
    if target.exists():
        return str(target)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        uploads.private_dir(folder)  # 0700, never a planted symlink
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        made = bulk.kept_copy(prep.bulk) if prep.bulk is not None else None  # written while the rows loaded
        if made is None or not _moved(made, tmp):
            uploads.keep_copy(prep.path, tmp)  # 0600, an .xlsm without its macro project
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StoreUnavailable(
                f"磁盘空间不足，无法保存原始文件到 {folder}，导入已取消，数据未改变。请清理磁盘后重试。"
                f" / Disk full while keeping the original in {folder}; import refused, nothing changed."
            ) from exc
        raise StoreUnavailable(
            f"无法保存原始文件到 {folder}({exc.strerror or exc})，导入已取消，数据未改变。"
            f" / Cannot keep the original in {folder} ({exc.strerror or exc}); import refused, nothing changed."
        ) from exc
    return str(target)


def _moved(src: Path, dst: Path) -> bool:
    """Move a copy made beside the store into the kept files (False across file systems: copy instead)."""
    try:
        os.replace(src, dst)
    except OSError:
        return False
    return True


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
    folder = store.originals_dir(con)
    db_file = store.local_file_of(con) or (str(folder) if folder is not None else None)  # the disk written to
    if db_file and store.free_mb(db_file) < settings.get_float("min_free_mb"):
        msg = (
            f"磁盘空间不足(少于 {settings.get('min_free_mb')} MB)，导入已取消，数据未改变。请清理磁盘。"
            " / Disk nearly full; import refused."
        )
        record_refusal(con, prep.file_name, msg, dataset=prep.dataset, user=who)
        raise StoreUnavailable(msg)
    IMPORT_LOCK.acquire(who, prep.file_name)
    held = contextlib.ExitStack()
    committed = False
    attempt: int | None = None
    outcome: tuple[str | None, str] = ("failed", "导入中断 / import stopped")
    # the bulk path hashes the file while its rows load; the same-file check then runs before COMMIT
    hashing = prep.bulk is not None and prep.bulk.sha is not None
    try:
        held.enter_context(lake.store_lock(con, prep.file_name, notify=_tell))
        stored: str | None = None
        if not hashing:
            skipped = _already_loaded(con, prep)
            if skipped:
                return skipped
        attempt = _start(con, prep, who)
        if not hashing:
            stored = _keep_original(folder, prep)
        con.execute("BEGIN")
        skipped_rows = len(prep.invalid_rows)
        message = (
            "已导入"
            + (f"，跳过 {skipped_rows} 个无效行" if skipped_rows else "")
            + f" / loaded{f', {skipped_rows} invalid rows skipped' if skipped_rows else ''}"
        )
        import_id = attempt
        con.execute(
            "UPDATE import_log SET status = 'loaded', message = ?, rows = ?, stored_file = ? WHERE import_id = ?",
            [message, prep.row_count, stored, import_id],
        )
        _insert(con, prep, import_id, progress)
        if prep.bulk is not None:
            if prep.bulk.sha is not None:
                prep.sha256 = bulk.file_hash(prep.bulk)
                skipped = _already_loaded(con, prep)
                if skipped:
                    outcome = (None, "")
                    return skipped  # the finally rolls the rows back and withdraws the attempt
                stored = _keep_original(folder, prep)
            con.execute(
                "UPDATE import_log SET rows = ?, sha256 = ?, stored_file = ? WHERE import_id = ?",
                [prep.row_count, prep.sha256, stored, import_id],
            )
        replaced = _supersede(con, prep, import_id)
        if replaced is not None and replaced.rows:
            zh, en = replaced.statement("zh", done=True), replaced.statement("en", done=True)  # "替换了 12 行旧数据：…"
            message += f"；{zh} / {en}"
            con.execute("UPDATE import_log SET message = ? WHERE import_id = ?", [message[:4000], import_id])
        bump_data_version(con)
        rollups.after_write(con, prep.dataset, import_id)
        con.execute("COMMIT")
        committed = True
        return ImportResult(
            prep.file_name,
            prep.sheet,
            prep.dataset,
            "loaded",
            prep.row_count,
            import_id,
            message,
            prep.report.problems,
            prep.notes,
        )
    except (bulk.NotClean, bulk.RowsRefused, bulk.OverLimit):
        # the checked path reads the file again and records its own attempt, or the caller records the refusal
        outcome = (None, "")
        raise
    except duckdb.Error as exc:
        text = str(exc)
        if "No space left" in text or "disk" in text.lower() and "full" in text.lower():
            failure = StoreUnavailable(
                "磁盘空间不足，导入已回滚，数据未改变。 / Disk full; the import was rolled back."
            )
        else:
            failure = StoreUnavailable(
                f"写入数据库失败，导入已回滚，数据未改变：{text.splitlines()[0]} / Store write failed; rolled back."
            )
        outcome = ("refused", failure.message)
        raise failure from exc
    except CockpitError as exc:
        outcome = ("refused", exc.message)
        raise
    except (KeyboardInterrupt, SystemExit):
        outcome = ("interrupted", "导入被中止 / import interrupted")
        raise
    except Exception as exc:
        outcome = ("failed", f"导入失败：{type(exc).__name__}: {exc} / import failed")
        raise
    finally:
        if not committed:
            _rollback(con)
            if attempt is not None:
                _finish(con, attempt, *outcome)
        if committed:
            prep.discard()
        held.close()
        IMPORT_LOCK.release()


def _already_loaded(con: duckdb.DuckDBPyConnection, prep: Prepared) -> ImportResult | None:
    """The result for a file whose exact bytes were loaded before (same dataset, sheet and as-of date)."""
    same = con.execute(
        "SELECT import_id FROM import_log WHERE sha256 = ? AND dataset = ? AND sheet IS NOT DISTINCT FROM ?"
        " AND status = 'loaded' AND (as_of IS NOT DISTINCT FROM ?) AND hospital IS NOT DISTINCT FROM ?"
        " ORDER BY import_id DESC LIMIT 1",
        [prep.sha256, prep.dataset, prep.sheet, prep.as_of, importing_hospital()],
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
    have = prep.out_columns if prep.staging is not None else list(prep.frame.columns)
    present = [c for c in stored if c in have]
    cols = ", ".join(quote_ident(c) for c in present)
    batches: Iterable[tuple[object, int]]
    if prep.staging is not None:
        batches = _staged_batches(prep.staging, cols, prep.staged_rows)
    else:
        import pyarrow as pa

        batches = (
            (b, b.num_rows) for b in pa.Table.from_pandas(prep.frame[present], preserve_index=False).to_batches(500_000)
        )
    total, done = prep.row_count, 0
    if progress:
        progress(0, total)
    for batch, size in batches:
        con.register("incoming", batch)
        try:
            con.execute(
                f"INSERT INTO {table} ({cols}{extra_cols}) SELECT {cols}{extra_vals} FROM incoming",  # noqa: S608
                params,
            )
        finally:
            con.unregister("incoming")
        done += size
        if progress:
            progress(done, total)


class _ArrowStream:
    """A query of the staging database, read by the store's connection through the Arrow PyCapsule interface:
    DuckDB to DuckDB, with no pyarrow (and no numpy) imported for it."""

    def __init__(self, rel: duckdb.DuckDBPyRelation) -> None:
        self.rel = rel

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.rel.__arrow_c_stream__(requested_schema)


def _staged_batches(staging: duckdb.DuckDBPyConnection, cols: str, rows: int) -> Iterator[tuple[object, int]]:
    """The staged rows in file order, a million at a time (by rowid: `final` was written by one statement)."""
    step = 1_000_000
    for start in range(0, max(rows, 1), step):
        rel = staging.sql(f"SELECT {cols} FROM final WHERE rowid >= {start} AND rowid < {start + step}")  # noqa: S608
        yield _ArrowStream(rel), min(step, rows - start)


def _supersede(con: duckdb.DuckDBPyConnection, prep: Prepared, import_id: int) -> replace.Replacement | None:
    """Periodic facts: the earlier rows this import replaces (loaders.store.replace) step aside.

    Returns what was replaced (None for a snapshot dataset or the first load of a dataset)."""
    ds = registry.dataset(prep.dataset)
    if registry.is_snapshot(ds):
        return None
    earlier = con.execute(
        "SELECT count(*) FROM import_log WHERE dataset = ? AND status = 'loaded' AND import_id <> ?"
        " AND hospital IS NOT DISTINCT FROM ?",
        [prep.dataset, import_id, importing_hospital()],
    ).fetchall()
    if not earlier or not earlier[0][0]:
        return None  # the first load of this dataset replaces nothing
    source, pattern = prep.signature or None, name_pattern(prep.file_name)
    plan = replace.stored_plan(con, ds, import_id, source, pattern)
    if not plan.rows:
        return plan
    table = quote_ident(registry.raw_table(ds))
    _, key_cols = registry.replace_match(ds)
    cols = ", ".join(quote_ident(k) for k in replace.key_columns(ds))
    new = f"(SELECT DISTINCT {cols} FROM {table} WHERE import_id = $import_id)"  # noqa: S608
    sql = f"UPDATE {table} AS o SET superseded_by = $import_id WHERE {replace.where_replaced(ds, new)}"  # noqa: S608
    params = replace.params(ds, import_id, source, pattern)
    result = con.execute(sql, replace.used(sql, params)).fetchone()
    done = int(result[0]) if result else 0
    if done != plan.rows:
        raise CockpitError(
            f"替换行数与预告不符({done} ≠ {plan.rows})，导入已回滚。 / Replaced {done} rows, announced {plan.rows}."
        )
    return plan


def undo(
    con: duckdb.DuckDBPyConnection, import_id: int, *, user: str | None = None, hospital: str | None = None
) -> ImportResult:
    """Take one loaded import back: its rows leave the views and the rows it replaced return. One transaction.

    `hospital`: the person's hospital in a group; an import another hospital loaded is refused (whatever id is
    asked for)."""
    who = user or settings.get("user")
    IMPORT_LOCK.acquire(who, f"undo #{import_id}")
    held = contextlib.ExitStack()
    committed = False
    try:
        held.enter_context(lake.store_lock(con, f"undo #{import_id}", notify=_tell))
        row = con.execute(
            "SELECT dataset, status, file_name, hospital FROM import_log WHERE import_id = ?", [import_id]
        ).fetchone()
        if row is None or row[1] != "loaded":
            raise CockpitError(
                f"导入 #{import_id} 不存在或不是已导入状态，无法撤销。 / Import #{import_id} cannot be undone."
            )
        dataset, _, file_name, owner = row
        if hospital is not None and owner != hospital:
            raise CockpitError(
                f"导入 #{import_id} 不是{hospital}导入的，无法撤销。 / Import #{import_id} was not loaded by"
                f" {hospital}; it cannot be undone from here."
            )
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
        rollups.after_write(con, dataset, import_id)
        con.execute("COMMIT")
        committed = True
        return ImportResult(
            file_name, None, dataset, "undone", 0, undo_id, f"已撤销导入 #{import_id} / import #{import_id} undone"
        )
    finally:
        if not committed:
            _rollback(con)
        held.close()
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
            results.append(
                ImportResult(p.file_name, p.sheet, p.dataset, "refused", 0, None, msg, p.report.problems, p.notes)
            )
        return results
    for p in preps:
        if dry_run:
            msg = "检查通过，未写入(试运行) / checked, nothing written (dry run)"
            plan = replace.replacement_plan(con, p)
            if plan is not None and not registry.is_snapshot(p.dataset):
                msg += f"；{plan.statement('zh')} / {plan.statement('en')}"
            results.append(
                ImportResult(
                    p.file_name, p.sheet, p.dataset, "dry-run", p.row_count, None, msg, p.report.problems, p.notes
                )
            )
            continue
        try:
            results.append(commit(con, p, skip_invalid=skip_invalid, user=user, progress=progress))
        except (ValidationFailed, ImportBusy, StoreUnavailable) as exc:
            results.append(ImportResult(p.file_name, p.sheet, p.dataset, "refused", 0, None, exc.message, exc.problems))
    return results
