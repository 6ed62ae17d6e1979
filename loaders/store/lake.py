"""The group edition: DuckLake with its catalog in PostgreSQL and its Parquet files on a shared data path.

    COCKPIT_STORE=ducklake:postgres:dbname=cockpit host=db.example user=cockpit
    COCKPIT_DATA_PATH=/srv/cockpit/lake/            (local disk, NFS, or s3://bucket/ on an on-site MinIO)

What DuckLake does not have, and what stands in for it:
- no sequences: import ids come from the PostgreSQL sequence `cockpit_import_seq`;
- no primary keys: the importer checks keys (ids from the sequence, mappings replaced under the import lock);
- an UPDATE or DELETE conflicts with any other writer of the table at COMMIT: every write (import, undo, refusal,
  migration) holds the PostgreSQL advisory lock of the store, so a second importer waits (and says so), never fails;
- two replicas starting together: migrations run under the same lock and re-read the schema version inside it;
- each cursor selects the lake (`USE`), the data version is the lake's snapshot id, kept originals go to
  `<data path>/originals/`; `python -m loaders maintain` runs compaction and snapshot expiry (schedule it weekly).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from loaders import settings
from loaders.errors import StoreUnavailable

CATALOG = "lake"
PREFIX = "ducklake:postgres:"
LOCK_KEY = 7_316_020_113  # pg_advisory_lock key of the cockpit store (any constant shared by all replicas)
SEQUENCE = "cockpit_import_seq"


@dataclass(frozen=True)
class LakeSpec:
    conninfo: str  # libpq connection string of the catalog database
    data_path: str

    @property
    def attach(self) -> str:
        return PREFIX + self.conninfo


_SPECS: dict[int, LakeSpec] = {}  # id(duckdb database connection) -> its lake, for cursors and writes
_LOCAL = threading.local()


def is_lake_spec(text: str | None) -> bool:
    return bool(text) and str(text).startswith(PREFIX)


def spec_from(text: str, data_path: str | None = None) -> LakeSpec:
    path = data_path or settings.get("data_path")
    if not path:
        raise StoreUnavailable(
            "集团版需要数据目录：请设置 COCKPIT_DATA_PATH(本地磁盘、NFS 或院内 S3)。"
            " / The group store needs COCKPIT_DATA_PATH (local disk, NFS or on-site S3)."
        )
    return LakeSpec(text[len(PREFIX) :], path.rstrip("/") + "/")


def _pg(spec: LakeSpec) -> Any:
    import psycopg

    try:
        return psycopg.connect(spec.conninfo, autocommit=True)
    except psycopg.Error as exc:
        raise StoreUnavailable(
            f"无法连接集团版目录数据库(PostgreSQL)：{str(exc).splitlines()[0]} / Cannot reach the catalog database."
        ) from exc


def open_lake(spec: LakeSpec) -> duckdb.DuckDBPyConnection:
    """Attach the lake (creating it on first use) and bring its schema up to date under the store lock."""
    from loaders.store import migrations

    con = duckdb.connect(":memory:")
    # replicas starting together: creating the catalog (first ATTACH) and migrating happen under the store lock
    with _advisory(spec, "schema", None):
        try:
            con.execute("SET enable_progress_bar = false")
            for name in ("ducklake", "postgres"):
                con.execute(f"LOAD '{_quote(str(_loadable(name, extension_file(name))))}'")
            if "://" not in spec.data_path:
                Path(spec.data_path).mkdir(parents=True, exist_ok=True)
            con.execute(
                f"ATTACH '{_quote(spec.attach)}' AS {CATALOG} (DATA_PATH '{_quote(spec.data_path)}', DATA_INLINING_ROW_LIMIT 0)"
            )
            con.execute(f"USE {CATALOG}")
        except duckdb.Error as exc:
            con.close()
            raise StoreUnavailable(
                f"无法打开集团版数据湖：{str(exc).splitlines()[0]} / Cannot attach the DuckLake store."
            ) from exc
        _SPECS[id(con)] = spec
        with _pg(spec) as pg:
            pg.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
        _LOCAL.depth = 1
        try:
            migrations.migrate(con, dialect=lake_sql)
            from loaders.store.history import mark_interrupted

            mark_interrupted(con)  # attempts of replicas on this host that died mid-import
        finally:
            _LOCAL.depth = 0
    return con


def extension_file(name: str) -> Path:
    """The DuckDB extension file: from COCKPIT_DUCKDB_EXTENSIONS (IT's local folder: NAME.duckdb_extension, or
    vVERSION/NAME.duckdb_extension), else from the duckdb-extension-NAME wheel (the group requirements)."""
    import importlib

    file = f"{name}.duckdb_extension"
    version = "v" + duckdb.__version__
    folder = settings.get("duckdb_extensions")
    candidates: list[Path] = []
    if folder:
        candidates += [Path(folder) / file, Path(folder) / version / file]
    try:
        pkg = importlib.import_module(f"duckdb_extension_{name}")
        if pkg.__file__:
            candidates.append(Path(pkg.__file__).parent / "extensions" / version / file)
    except ImportError:
        pass
    for c in candidates:
        if c.is_file():
            return c
    raise StoreUnavailable(
        f"找不到 DuckDB {duckdb.__version__} 的 {name} 扩展文件：请使用集团版环境(make group-venv)"
        f"或设置 COCKPIT_DUCKDB_EXTENSIONS 指向扩展目录。 / DuckDB extension {name} for {duckdb.__version__} not"
        " found: use the group edition's environment or set COCKPIT_DUCKDB_EXTENSIONS."
    )


# the file name DuckDB derives the entry point from (the postgres extension's is postgres_scanner)
_ENTRY_NAMES = {"postgres": "postgres_scanner"}


def _loadable(name: str, file: Path) -> Path:
    entry = _ENTRY_NAMES.get(name, name)
    if file.stem == entry:
        return file
    import os
    import tempfile

    folder = Path(tempfile.gettempdir()) / f"cockpit-duckdb-ext-{os.getuid()}-v{duckdb.__version__}"
    folder.mkdir(mode=0o700, exist_ok=True)
    link = folder / f"{entry}.duckdb_extension"
    if not link.exists():
        tmp = folder / f".{entry}.{os.getpid()}"
        tmp.symlink_to(file)
        os.replace(tmp, link)
    return link


def _quote(text: str) -> str:
    return text.replace("'", "''")


def spec_of(con: duckdb.DuckDBPyConnection) -> LakeSpec | None:
    """The lake behind a connection or one of its cursors (None for the embedded store)."""
    if not _SPECS:
        return None  # no lake in this process: the embedded store
    spec = _SPECS.get(id(con))
    if spec is not None:
        return spec
    try:
        row = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    except duckdb.Error:
        return None
    if row and row[0] == "ducklake" and _SPECS:
        return next(iter(_SPECS.values()))  # one lake per process
    return None


def use(con: duckdb.DuckDBPyConnection, cur: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Make a new cursor of `con` select the lake (a DuckDB cursor starts on the in-memory default database)."""
    if id(con) in _SPECS:
        cur.execute(f"USE {CATALOG}")
        _SPECS[id(cur)] = _SPECS[id(con)]
    return cur


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    return use(con, con.cursor())


def next_id(con: duckdb.DuckDBPyConnection) -> int:
    spec = spec_of(con)
    assert spec is not None
    with _pg(spec) as pg:
        row = pg.execute(f"SELECT nextval('{SEQUENCE}')").fetchone()
    return int(row[0]) if row else 0


def snapshot_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT max(snapshot_id) FROM ducklake_snapshots(?)", [CATALOG]).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


@contextlib.contextmanager
def store_lock(
    con: duckdb.DuckDBPyConnection, what: str, notify: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the store's PostgreSQL advisory lock (re-entrant per thread). A second writer waits and is told so."""
    spec = spec_of(con)
    if spec is None:
        yield
        return
    depth = getattr(_LOCAL, "depth", 0)
    if depth:
        _LOCAL.depth = depth + 1
        try:
            yield
        finally:
            _LOCAL.depth -= 1
        return
    with _advisory(spec, what, notify):
        _LOCAL.depth = 1
        try:
            yield
        finally:
            _LOCAL.depth = 0


@contextlib.contextmanager
def _advisory(spec: LakeSpec, what: str, notify: Callable[[str], None] | None) -> Iterator[None]:
    """The PostgreSQL advisory lock of the store, held on its own connection; waits (and says so) when taken."""
    pg = _pg(spec)
    try:
        row = pg.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()
        if not (row and row[0]):
            if notify is not None:
                notify(
                    f"另一个导入正在写入集团版数据，等待其完成后继续({what})…"
                    f" / Another import is writing to the group store; waiting for it ({what})…"
                )
            pg.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            yield
        finally:
            pg.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    finally:
        pg.close()


_PK = re.compile(r"\s+PRIMARY KEY\b", re.I)
_PK_CLAUSE = re.compile(r",\s*PRIMARY KEY\s*\([^)]*\)", re.I)
_SEQ = re.compile(r"CREATE SEQUENCE[^;]*;", re.I)


def lake_sql(sql: str) -> str:
    """A migration as DuckLake takes it: no sequences, no primary keys (ids and keys are the importer's)."""
    return _PK.sub("", _PK_CLAUSE.sub("", _SEQ.sub("", sql)))


def maintain(con: duckdb.DuckDBPyConnection, older_than_days: int = 30) -> list[str]:
    """Compaction and snapshot expiry (schedule weekly): merge small files, expire snapshots older than the window
    (time travel keeps that many days), delete the files no snapshot needs."""
    done: list[str] = []
    with store_lock(con, "maintenance"):
        con.execute(f"CALL ducklake_merge_adjacent_files('{CATALOG}')")
        done.append("merge_adjacent_files")
        con.execute(
            f"CALL ducklake_expire_snapshots('{CATALOG}', older_than => now() - to_days(CAST(? AS INTEGER)))",
            [older_than_days],
        )
        done.append(f"expire_snapshots older than {older_than_days} days")
        con.execute(f"CALL ducklake_cleanup_old_files('{CATALOG}', cleanup_all => true)")
        done.append("cleanup_old_files")
    return done
