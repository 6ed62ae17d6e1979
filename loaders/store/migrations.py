"""The versioned schema: ordered migration files in `migrations/`, each applied once, recorded in `schema_version`.

A store written by the release before versioning has its tables but no `schema_version`: migration 0001 (that
release's schema, kept byte for byte) is written with `IF NOT EXISTS` / `OR REPLACE` throughout, so it adopts such a
store in place; every later migration runs exactly once. Opening a current store runs one query, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_FILE = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql\Z")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def migrations(folder: Path | None = None) -> list[Migration]:
    """Every migration file in version order; numbering must run 1, 2, 3… without gaps or repeats."""
    found: list[Migration] = []
    for p in sorted((folder or MIGRATIONS_DIR).iterdir()):
        if p.suffix != ".sql":
            continue
        m = _FILE.fullmatch(p.name)
        if not m:
            raise ValueError(f"migration file {p.name} is not named NNNN_name.sql")
        found.append(Migration(int(m.group(1)), m.group(2), p))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise ValueError(f"migration numbers must run 1..{len(found)} without gaps: {[m.path.name for m in found]}")
    return found


def latest_version() -> int:
    return len(migrations())


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The newest migration applied to this store (0 for an empty store or one written before versioning)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version' AND database_name = current_database()"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def pending(con: duckdb.DuckDBPyConnection, folder: Path | None = None) -> list[Migration]:
    current = schema_version(con)
    return [m for m in migrations(folder) if m.version > current]


def migrate(
    con: duckdb.DuckDBPyConnection, folder: Path | None = None, dialect: Callable[[str], str] | None = None
) -> list[int]:
    """Apply the pending migrations, all in one transaction; returns the versions applied (none: nothing ran).

    `dialect` rewrites each file for another backend (the group store drops sequences and primary keys)."""
    todo = pending(con, folder)
    if not todo:
        return []
    sql = dialect or (lambda text: text)
    con.execute("BEGIN")
    try:
        con.execute(
            sql(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL);"
            )
        )
        for m in todo:
            con.execute(sql(m.sql()))
            con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [m.version, m.name])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return [m.version for m in todo]
