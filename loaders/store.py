"""The DuckDB store: open it (schema applied idempotently), the data version, and the import lock.

One database object per process; every session or thread works on its own `cursor()` of it.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from loaders import settings
from loaders.errors import ImportBusy, StoreUnavailable

SCHEMA_FILE = Path(__file__).with_name("schema.sql")

# Tables and columns that may appear as identifiers in SQL; everything else is a bound parameter.
RAW_TABLES = {
    "tasks": "task_rows",
    "budget": "budget_rows",
    "costs": "cost_rows",
    "risks": "risk_rows",
    "changes": "change_rows",
    "usage": "usage_rows",
    "kpis": "kpi_rows",
    "targets": "target_rows",
}


def quote_ident(name: str) -> str:
    """Quote an identifier taken from our own allow-lists (never from user input)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not an allowed identifier: {name!r}")
    return '"' + name + '"'


def _explain(exc: BaseException, path: Path) -> StoreUnavailable:
    text = str(exc)
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = re.search(r"PID (\d+)", text)
        who = f"(进程 PID {pid.group(1)})" if pid else ""
        return StoreUnavailable(
            f"数据库文件 {path} 正被另一个程序占用{who}。请关闭该程序(例如 DuckDB 命令行或备份工具)后重试。"
            f" / The store {path} is locked by another program{who}; close it and retry."
        )
    if "No space left" in text or "disk is full" in text.lower():
        return StoreUnavailable(f"磁盘空间不足，无法写入 {path}。请清理磁盘后重试。 / Disk full.")
    return StoreUnavailable(
        f"无法打开数据库文件 {path}：{text.splitlines()[0] if text else type(exc).__name__}。"
        "如文件已损坏，请从备份恢复(见 README 的“备份与恢复”)。 / The store cannot be opened; restore from backup."
    )


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))


def open_store(
    path: str | Path | None = None, *, read_only: bool = False, create: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open (or create) the store and apply the schema. Raises StoreUnavailable with an admin-facing message."""
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
        if not read_only:
            apply_schema(con)
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
    """A number that changes whenever the current data changes (loads and undos): cache keys use it."""
    row = con.execute("SELECT value FROM store_meta WHERE key = 'data_version'").fetchone()
    return int(row[0]) if row else 0


def bump_data_version(con: duckdb.DuckDBPyConnection) -> int:
    version = data_version(con) + 1
    con.execute(
        "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('data_version', ?)",
        [str(version)],
    )
    return version


def has_data(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT count(*) FROM import_log WHERE status = 'loaded'").fetchone()
    return bool(row and row[0])


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


IMPORT_LOCK = ImportLock()
