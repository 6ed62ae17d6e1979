"""The import history for the data page: who loaded what and when, and the kept original of each upload."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from loaders import importer, store
from loaders.headers import ColumnMap
from loaders.importer import db_file_of
from metrics.scope import Scope

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


def history(con: duckdb.DuckDBPyConnection, scope: Scope | None = None, limit: int = 500) -> pd.DataFrame:
    """The latest imports first (loads, refusals, undos). The log is programme-wide: `scope` does not narrow it."""
    del scope  # an import may span projects; the programme office sees every attempt
    df = con.execute(
        "SELECT import_id, imported_at, imported_by, dataset, file_name, sheet, rows, status, message,"
        " stored_file, undone_by FROM imports ORDER BY import_id DESC LIMIT ?",
        [limit],
    ).df()
    return df[list(HISTORY_COLUMNS)]


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
    folder = store.files_dir(db_file_of(con))
    if not row or not row[0] or folder is None:
        return None
    path = Path(row[0]).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        return None
    return path


def read_stored(path: str | Path) -> bytes:
    """The bytes of a kept original (the page offers them as a download; pages do no file I/O)."""
    return Path(path).read_bytes()


def discard_upload(path: str | Path) -> None:
    """Delete the private temporary copy of an upload once it is loaded or cancelled."""
    Path(path).unlink(missing_ok=True)


def header_columns(
    path: str | Path, display_name: str, dataset: str | None = None
) -> tuple[str, list[ColumnMap]] | None:
    """For a file the importer refused as unrecognised: the best-matching dataset and how each header maps."""
    return importer.guess_header(path, display_name, dataset)
