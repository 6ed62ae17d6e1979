"""The import history for the data page (kept in loaders.store.history), the kept originals, header guesses."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from loaders import importer
from loaders.datasets import DATASETS
from loaders.headers import ColumnMap
from loaders.store import history as store_history
from loaders.store import replace
from metrics.scope import Scope

HISTORY_COLUMNS = store_history.HISTORY_COLUMNS
latest_import_id = store_history.latest_import_id
undoable = store_history.undoable
stored_file = store_history.stored_file


def history(con: duckdb.DuckDBPyConnection, scope: Scope | None = None, limit: int = 500) -> pd.DataFrame:
    """The latest imports first (loads, refusals, undos). The log is programme-wide: an import may span projects
    and departments, so only the scope's hospitals narrow it (a member hospital's office sees its own attempts)."""
    return store_history.history(con, limit, scope.hospitals if scope is not None else None)


def replacement_statement(con: duckdb.DuckDBPyConnection, prep: importer.Prepared, lang: str = "zh") -> str | None:
    """What loading `prep` would replace, in `lang` ("将替换 3 月 HIS 项目来自《付款台账》的 12 行"); None for a
    snapshot, or when it can only be known once the rows are read (a big CSV on the bulk path)."""
    plan = replace.replacement_plan(con, prep)
    if plan is None or plan.dataset not in DATASETS or DATASETS[plan.dataset].mode == "snapshot":
        return None
    return plan.statement("zh" if lang == "zh" else "en")


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
