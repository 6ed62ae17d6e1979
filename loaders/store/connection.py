"""The embedded DuckDB store: open it (pending migrations applied once), the data version, and the import lock.

One database object per process; every session or thread works on its own `cursor()` of it.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from loaders import settings
from loaders.errors import ImportBusy, StoreUnavailable
from loaders.store import migrations

_HOSPITAL: contextvars.ContextVar[str | None] = contextvars.ContextVar("cockpit_import_hospital", default=None)


def importing_hospital() -> str | None:
    """The hospital the imports (and the replacement and same-file checks) in this context record: the signed-in
    person's on the data page when they are bound to one (`as_hospital`), else COCKPIT_HOSPITAL of the app or
    import job; None in a single-hospital store."""
    return _HOSPITAL.get() or settings.get("hospital") or None


@contextlib.contextmanager
def as_hospital(hospital: str | None) -> Iterator[None]:
    """Imports in this block record `hospital` (None: the setting, as without the block)."""
    token = _HOSPITAL.set(hospital or None)
    try:
        yield
    finally:
        _HOSPITAL.reset(token)


@contextlib.contextmanager
def read_snapshot(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Every read in this block sees one version of the data, the one of its first read (an import committing
    later is not seen), so figures built here can be kept under the data version read here. Writes nothing. Inside
    another snapshot of the same cursor (the warm-up's, a page's cached load), the block reads in that one and
    leaves it open: a second BEGIN would fail and abort the outer transaction. Not for a cursor inside a writer's
    own transaction."""
    if id(con) in _SNAPSHOTS:
        yield
        return
    con.execute("BEGIN TRANSACTION")
    _SNAPSHOTS.add(id(con))
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # the reason the block failed is what the page must show
            con.execute("ROLLBACK")
        raise
    else:
        con.execute("ROLLBACK")
    finally:
        _SNAPSHOTS.discard(id(con))


_SNAPSHOTS: set[int] = set()  # the cursors inside read_snapshot (each cursor is used by one thread at a time)


def quote_ident(name: str) -> str:
    """Quote an identifier taken from our own allow-lists (never from user input)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not an allowed identifier: {name!r}")
    return '"' + name + '"'


class StoreLocked(StoreUnavailable):
    """The store file is held by another process (`pid`, and `app` when that process is the dashboard)."""

    def __init__(self, message: str, pid: int | None, app: bool) -> None:
        super().__init__(message)
        self.pid = pid
        self.app = app


def holder_of(pid: int) -> tuple[str, str, bool]:
    """What process `pid` is, in words (zh, en), and whether it is the dashboard itself."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        cmd = " ".join(a.decode("utf-8", "replace") for a in argv if a)
    except OSError:
        cmd = ""
    if "streamlit" in cmd:
        return "驾驶舱应用本身(streamlit)", "the dashboard itself (streamlit)", True
    if "loaders" in cmd and "python" in cmd:
        return "另一个导入命令(python -m loaders)", "another import command (python -m loaders)", False
    if re.search(r"(^|/)duckdb(\s|$)", cmd):
        return "DuckDB 命令行", "the DuckDB command line", False
    if cmd:
        short = cmd[:80]
        return f"另一个程序 “{short}” ", f"another program “{short}” ", False
    return "另一个程序", "another program", False


def _explain(exc: BaseException, path: Path) -> StoreUnavailable:
    text = str(exc)
    if "Could not set lock" in text or "Conflicting lock" in text:
        m = re.search(r"PID (\d+)", text)
        pid = int(m.group(1)) if m else None
        zh, en, app = holder_of(pid) if pid else ("另一个程序", "another program", False)
        who = f"(PID {pid})" if pid else ""
        advice_zh = "导入请放入收件箱或稍后重试。" if app else "请关闭该程序后重试。"
        advice_en = "hand imports to the inbox or retry later." if app else "close it and retry."
        return StoreLocked(
            f"数据库文件 {path} 正被{zh}{who}占用，{advice_zh} / The store {path} is locked by {en}{who}; {advice_en}",
            pid,
            app,
        )
    if "No space left" in text or "disk is full" in text.lower():
        return StoreUnavailable(f"磁盘空间不足，无法写入 {path}。请清理磁盘后重试。 / Disk full.")
    return StoreUnavailable(
        f"无法打开数据库文件 {path}：{text.splitlines()[0] if text else type(exc).__name__}。"
        "如文件已损坏，请从备份恢复(见 README 的“备份与恢复”)。 / The store cannot be opened; restore from backup."
    )


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the store to the newest schema version (pending migrations only; a current store is not touched)."""
    migrations.migrate(con)


def _check_version(con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool) -> None:
    have, want = migrations.schema_version(con), migrations.latest_version()
    if have > want:
        raise StoreUnavailable(
            f"数据库文件 {path} 由更新版本的驾驶舱写入(结构版本 {have}，本程序只认识到 {want})。请升级程序。"
            f" / The store {path} was written by a newer release (schema {have} > {want}); upgrade the program."
        )
    if read_only and have < want:
        raise StoreUnavailable(
            f"数据库文件 {path} 需要升级(结构版本 {have} → {want})，只读打开无法升级。请先以读写方式打开一次"
            f"(例如 `python -m loaders history`)。 / The store needs an upgrade ({have} → {want}); open it read-write once."
        )


def open_store(
    path: str | Path | None = None, *, read_only: bool = False, create: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open (or create) the store and apply pending migrations. Raises StoreUnavailable with an admin-facing message.

    `path` (or COCKPIT_STORE) `ducklake:postgres:...` opens the group store (loaders/store/lake.py)."""
    from loaders.store import lake

    chosen = str(path) if path is not None else settings.get("store")
    if lake.is_lake_spec(chosen):
        return lake.open_lake(lake.spec_from(chosen))
    p = Path(path) if path is not None else settings.db_path()
    if not create and not p.exists():
        raise StoreUnavailable(
            f"数据库文件不存在：{p}。请先导入数据(数据页或 `python -m loaders demo`)。 / Store missing."
        )
    try:
        if not read_only:
            p.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(p), read_only=read_only)
        con.execute("SET enable_progress_bar = false")
        try:
            _check_version(con, p, read_only=read_only)
            if not read_only:
                apply_schema(con)
                from loaders.store.history import mark_interrupted

                mark_interrupted(con)
        except BaseException:
            con.close()
            raise
    except duckdb.Error as exc:
        raise _explain(exc, p) from exc
    except OSError as exc:
        raise _explain(exc, p) from exc
    return con


def memory_store() -> duckdb.DuckDBPyConnection:
    """An in-memory store with the schema (tests)."""
    con = duckdb.connect(":memory:")
    apply_schema(con)
    return con


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that changes whenever the current data changes (loads and undos): cache keys use it.
    The group store's is the lake's snapshot id."""
    from loaders.store import lake

    if lake.spec_of(con) is not None:
        return lake.snapshot_id(con)
    row = con.execute("SELECT value FROM store_meta WHERE key = 'data_version'").fetchone()
    return int(row[0]) if row else 0


def bump_data_version(con: duckdb.DuckDBPyConnection) -> int:
    from loaders.store import lake

    if lake.spec_of(con) is not None:
        return lake.snapshot_id(con)  # every commit makes a new lake snapshot
    version = data_version(con) + 1
    con.execute(
        "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('data_version', ?)",
        [str(version)],
    )
    return version


def has_data(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT count(*) FROM import_log WHERE status = 'loaded'").fetchone()
    return bool(row and row[0])


def db_file_of(con: duckdb.DuckDBPyConnection) -> str | None:
    """The file behind a connection (None in memory)."""
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return str(row[0]) if row and row[0] else None


def local_file_of(con: duckdb.DuckDBPyConnection) -> str | None:
    """The embedded store's file: None in memory and for the group store, whose catalog is a PostgreSQL connection
    string, not a file (a folder named after it must never appear beside the app)."""
    from loaders.store import lake

    return None if lake.spec_of(con) is not None else db_file_of(con)


def originals_dir(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Where this store keeps original uploads: beside the file, or `originals/` on the group store's data path."""
    from loaders.store import lake

    spec = lake.spec_of(con)
    if spec is not None:
        return None if "://" in spec.data_path else Path(spec.data_path) / "originals"
    return files_dir(db_file_of(con))


def next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    """A new import id: the store's sequence (the group store's is in PostgreSQL)."""
    from loaders.store import lake

    if lake.spec_of(con) is not None:
        return lake.next_id(con)
    row = con.execute("SELECT nextval('import_seq')").fetchone()
    assert row is not None
    return int(row[0])


def session_cursor(con: duckdb.DuckDBPyConnection, cur: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """`cur` (a new cursor of `con`) made to select the store (the group store's lake, not the memory default)."""
    from loaders.store import lake

    return lake.use(con, cur)


def files_dir(db_file: str | Path | None) -> Path | None:
    """Where original uploads are kept, content-addressed (None for an in-memory store)."""
    if db_file is None or str(db_file) == ":memory:":
        return None
    p = Path(db_file)
    return p.with_name(p.stem + ".files")


def free_mb(path: str | Path) -> float:
    p = Path(path)
    target = p if p.is_dir() else p.parent
    while not target.exists() and target != target.parent:
        target = target.parent
    return shutil.disk_usage(target).free / 1e6


# ------------------------------------------------------------------ the import lock


@dataclass
class LockHolder:
    user: str
    file_name: str
    since: dt.datetime


class ImportLock:
    """One import at a time per process (the store is one DuckDB database per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.holder: LockHolder | None = None

    def acquire(self, user: str, file_name: str) -> None:
        if not self._lock.acquire(blocking=False):
            h = self.holder
            who = f"用户 {h.user}，文件 {h.file_name}，开始于 {h.since:%Y-%m-%d %H:%M:%S}" if h else "未知"
            raise ImportBusy(
                f"已有导入正在进行({who})，请稍后再试。 / An import is running ({who}); try again shortly."
            )
        self.holder = LockHolder(user, file_name, dt.datetime.now())

    def release(self) -> None:
        self.holder = None
        self._lock.release()

    def busy(self) -> bool:
        return self._lock.locked()


IMPORT_LOCK = ImportLock()
