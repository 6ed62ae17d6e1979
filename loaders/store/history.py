"""The import history: who loaded what and when, refusals and undos, and the kept original of each upload."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from loaders.store.connection import originals_dir

if TYPE_CHECKING:
    import pandas as pd

HISTORY_COLUMNS = (
    "import_id",
    "imported_at",
    "imported_by",
    "dataset",
    "file_name",
    "sheet",
    "rows",
    "status",
    "message",
    "stored_file",
    "undone_by",
)


def history(con: duckdb.DuckDBPyConnection, limit: int = 500, hospitals: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The latest imports first (loads, refusals, undos); of `hospitals` only when given (a hospital group)."""
    where, params = "TRUE", []
    if hospitals is not None:
        where, params = "hospital IN (SELECT unnest(?::VARCHAR[]))", [list(hospitals)]
    df = con.execute(
        "SELECT import_id, imported_at, imported_by, dataset, file_name, sheet, rows, status, message,"  # noqa: S608
        f" stored_file, undone_by FROM imports WHERE {where} ORDER BY import_id DESC LIMIT ?",
        [*params, limit],
    ).df()
    return df[list(HISTORY_COLUMNS)]


def history_rows(con: duckdb.DuckDBPyConnection, hospital: str | None = None) -> list[tuple[object, ...]]:
    """Every attempt, oldest first (the CLI's `history`); only `hospital`'s when given (a member hospital's job)."""
    where, params = ("hospital = ?", [hospital]) if hospital else ("TRUE", [])
    return con.execute(
        "SELECT import_id, imported_at, imported_by, dataset, file_name, sheet, rows, status, message"  # noqa: S608
        f" FROM imports WHERE {where} ORDER BY import_id",
        params,
    ).fetchall()


def latest_import_id(con: duckdb.DuckDBPyConnection) -> int | None:
    """The newest import the data reflects (status loaded), or None. Refusals are logged but change no data."""
    row = con.execute("SELECT max(import_id) FROM imports WHERE status = 'loaded'").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def undoable(con: duckdb.DuckDBPyConnection) -> tuple[int, ...]:
    """Ids of imports that are loaded now, so could be undone (newest first)."""
    rows = con.execute("SELECT import_id FROM imports WHERE status = 'loaded' ORDER BY import_id DESC").fetchall()
    return tuple(int(r[0]) for r in rows)


def stored_file(con: duckdb.DuckDBPyConnection, import_id: int) -> Path | None:
    """The kept original of an import, when it exists inside this store's file folder (never anywhere else)."""
    row = con.execute("SELECT stored_file FROM imports WHERE import_id = ?", [import_id]).fetchone()
    folder = originals_dir(con)
    if not row or not row[0] or folder is None:
        return None
    path = Path(row[0]).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        return None
    return path


def mark_interrupted(con: duckdb.DuckDBPyConnection) -> int:
    """Attempts left 'started' by a process that is gone (killed, power cut) become 'interrupted'.

    Called when a process opens the store for writing. The embedded store is held by one process at a time, so
    a 'started' row of another process on this host is dead; rows of this process (another thread) are left."""
    from loaders.store import lake
    from loaders.store.inbox import pid_alive

    rows = con.execute("SELECT import_id, pid, host FROM import_log WHERE status = 'started'").fetchall()
    me, here = os.getpid(), socket.gethostname()
    shared = lake.spec_of(con) is not None  # the group store: several live processes; only dead ones count
    dead = [
        int(r[0])
        for r in rows
        if not (r[1] == me and r[2] == here) and r[2] in (None, here) and (not shared or not pid_alive(int(r[1] or 0)))
    ]
    if not dead:
        return 0
    con.execute("BEGIN")
    try:
        for import_id in dead:
            con.execute(
                "UPDATE import_log SET status = 'interrupted', rows = 0, message = ? WHERE import_id = ?",
                [
                    "导入被中断(进程已退出)，数据未改变 / import interrupted (the process ended); nothing stored",
                    import_id,
                ],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(dead)
