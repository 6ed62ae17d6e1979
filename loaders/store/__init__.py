"""The store: connection, versioned schema, writes, import history and the latest-snapshot rule.

Modules
- `connection`: open the store (`open_store`, `memory_store`), `quote_ident`, the data version, the import lock.
- `migrations`: the versioned schema. The store records the migrations applied in `schema_version`; opening a store
  applies only the pending ones, once, in one transaction.
- `registry`: what the store derives from loaders/datasets.py (raw table, stored columns, replacement keys, mode).
- `writes`: record an import, insert, supersede, undo, refusals (imported lazily by loaders.importer).
- `history`: the import history.
- `snapshots`: `latest_snapshot`, the one "latest snapshot per project as of a date" rule.

How to change the schema (the migration convention)
- Never edit an existing file in `loaders/store/migrations/`: stores in hospitals have already applied it.
- Add a new file `NNNN_short_name.sql` with the next number (0003, 0004, ...; no gaps, lower case, underscores).
  It holds plain DuckDB SQL statements (ALTER TABLE ... ADD COLUMN, CREATE TABLE, CREATE OR REPLACE VIEW ...).
  It runs exactly once per store, inside one transaction with the other pending ones, and is recorded in
  `schema_version`; a failure rolls back every pending migration and the store stays as it was.
- A view that changes is re-created whole with CREATE OR REPLACE VIEW in the new file.
- A new dataset: declare it in loaders/datasets.py (with `table=`), add its raw table (`import_id`, then `as_of`
  for a snapshot or `superseded_by` for a periodic dataset, `row_no`, then one column per field) and its contract
  view in a new migration; tests/test_store.py checks that registry and schema agree.
- 0001_initial.sql is the schema of the release before versioning, byte for byte: it uses IF NOT EXISTS / OR
  REPLACE throughout, so a store written by that release is adopted in place.
"""

from __future__ import annotations

from loaders.store.connection import (
    IMPORT_LOCK,
    ImportLock,
    LockHolder,
    apply_schema,
    as_hospital,
    bump_data_version,
    data_version,
    db_file_of,
    files_dir,
    free_mb,
    has_data,
    importing_hospital,
    local_file_of,
    memory_store,
    next_import_id,
    open_store,
    originals_dir,
    quote_ident,
    read_snapshot,
    session_cursor,
)
from loaders.store.migrations import latest_version, migrate, schema_version
from loaders.store.registry import RAW_TABLES, SQL_TYPES, is_snapshot, raw_table, store_columns
from loaders.store.snapshots import SNAPSHOT_VIEWS, latest_snapshot

__all__ = [
    "IMPORT_LOCK",
    "RAW_TABLES",
    "SNAPSHOT_VIEWS",
    "SQL_TYPES",
    "ImportLock",
    "LockHolder",
    "apply_schema",
    "as_hospital",
    "bump_data_version",
    "data_version",
    "db_file_of",
    "files_dir",
    "free_mb",
    "has_data",
    "importing_hospital",
    "is_snapshot",
    "latest_snapshot",
    "latest_version",
    "local_file_of",
    "memory_store",
    "migrate",
    "next_import_id",
    "originals_dir",
    "session_cursor",
    "open_store",
    "quote_ident",
    "read_snapshot",
    "raw_table",
    "schema_version",
    "store_columns",
]
