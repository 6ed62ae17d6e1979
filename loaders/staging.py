"""Import staging files (a big CSV's private DuckDB, a transcoded UTF-8 copy) live in the store's own folder,
`<store>.staging/` beside the store file, private to this user (0700), never in a shared /tmp folder.

Each file name carries the id of the process that made it; the first use in a process removes what a killed
process left behind (its id no longer runs), so a crash mid-import leaves nothing for long.
"""

from __future__ import annotations

import os
import tempfile
import threading
import uuid
from contextvars import ContextVar
from pathlib import Path

from loaders import settings

_SWEPT: set[Path] = set()
_LOCK = threading.Lock()
# the store file the import being read belongs to (set by the importer around its reads)
CURRENT: ContextVar[str | None] = ContextVar("cockpit_staging_store", default=None)


def folder(db_file: str | Path | None = None) -> Path:
    """The staging folder of the store `db_file` (default: the configured store), created 0700 and swept of
    files left by processes that no longer run the first time this process uses it."""
    db_file = db_file or CURRENT.get()
    base = Path(db_file) if db_file and str(db_file) != ":memory:" else settings.db_path()
    path = base.with_name(base.stem + ".staging")
    with _LOCK:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode is masked by the umask; the folder must stay private
        if path not in _SWEPT:
            sweep(path)
            _SWEPT.add(path)
    return path


def new_file(suffix: str, db_file: str | Path | None = None) -> Path:
    """A fresh private file name in the staging folder: stage-<pid>-<random><suffix> (not created)."""
    return folder(db_file) / f"stage-{os.getpid()}-{uuid.uuid4().hex}{suffix}"


def text_copy(suffix: str = ".csv", db_file: str | Path | None = None) -> tempfile._TemporaryFileWrapper[str]:
    """An open UTF-8 text file in the staging folder (the caller deletes it when done)."""
    return tempfile.NamedTemporaryFile(
        "w",
        suffix=suffix,
        prefix=f"stage-{os.getpid()}-",
        delete=False,
        encoding="utf-8",
        newline="",
        dir=folder(db_file),
    )


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: not ours to judge
    return True


def sweep(path: Path) -> int:
    """Remove staging files whose process is gone; returns how many were removed."""
    removed = 0
    for f in path.glob("stage-*"):
        parts = f.name.split("-")
        try:
            pid = int(parts[1])
        except (IndexError, ValueError):
            continue
        if _alive(pid):
            continue
        try:
            f.unlink()
            removed += 1
        except OSError:
            continue
    return removed
