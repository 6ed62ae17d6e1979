"""What the store derives from the one registry (loaders/datasets.py): raw tables, stored columns, replacement.

Nothing here is written per dataset: a new dataset declared in the registry (with its `table`) and given a table
by a migration is stored, replaced and undone like the others.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from loaders.datasets import DATASETS, Dataset
from loaders.store.connection import quote_ident as _q

# Kinds of registry fields -> the SQL type of their stored column.
SQL_TYPES = {
    "text": "VARCHAR",
    "code": "VARCHAR",
    "date": "DATE",
    "money": "DOUBLE",
    "percent": "DOUBLE",
    "int": "BIGINT",
    "number": "DOUBLE",
    "level": "INTEGER",
    "bool": "BOOLEAN",
    "duration": "DOUBLE",
    "stage": "VARCHAR",
    "gate_status": "VARCHAR",
    "readiness": "VARCHAR",
    "severity": "VARCHAR",
    "grade": "DOUBLE",
}

# Columns every raw table has besides the dataset's own: which import wrote the row, and its position in the file.
SNAPSHOT_META = ("import_id", "as_of", "row_no")
PERIODIC_META = ("import_id", "superseded_by", "row_no")


def dataset(name: str) -> Dataset:
    ds = DATASETS.get(name)
    if ds is None:
        raise KeyError(f"unknown dataset: {name}")
    return ds


def raw_table(ds: Dataset | str) -> str:
    d = dataset(ds) if isinstance(ds, str) else ds
    if not d.table:
        raise ValueError(f"dataset {d.name} declares no `table` in loaders/datasets.py")
    return d.table


class _RawTables(Mapping[str, str]):
    """dataset name -> raw table, read from the registry at each use (a test may add a dataset)."""

    def __getitem__(self, name: str) -> str:
        return raw_table(dataset(name))

    def __iter__(self) -> Iterator[str]:
        return iter(list(DATASETS))

    def __len__(self) -> int:
        return len(DATASETS)


RAW_TABLES: Mapping[str, str] = _RawTables()


def is_snapshot(ds: Dataset | str) -> bool:
    d = dataset(ds) if isinstance(ds, str) else ds
    if d.mode not in ("snapshot", "periodic"):
        raise ValueError(f"dataset {d.name}: mode must be snapshot or periodic, not {d.mode!r}")
    return d.mode == "snapshot"


def store_columns(ds: Dataset | str) -> tuple[str, ...]:
    """Columns a raw table receives from a prepared frame: row_no, every field, then the derived columns."""
    d = dataset(ds) if isinstance(ds, str) else ds
    return ("row_no", *(f.name for f in d.fields), *d.derived)


def meta_columns(ds: Dataset | str) -> tuple[str, ...]:
    return SNAPSHOT_META if is_snapshot(ds) else PERIODIC_META


def month_field(d: Dataset) -> str:
    """The date a periodic dataset's `month` replacement key is read from: its first required date field."""
    for f in d.fields:
        if f.kind == "date" and f.required:
            return f.name
    raise ValueError(f"dataset {d.name}: replace_key 'month' needs a required date field")


def replace_match(ds: Dataset | str, old: str = "o", new: str = "n") -> tuple[str, tuple[str, ...]]:
    """SQL matching an old row to a new one on the dataset's `replace_key`, and the new table's key columns.

    A key is a field name, or `month` (the calendar month of the dataset's date). Optional fields match when both
    are empty (IS NOT DISTINCT FROM); required ones with `=` (faster, and never empty).
    """
    d = dataset(ds) if isinstance(ds, str) else ds
    if not d.replace_key:
        raise ValueError(f"periodic dataset {d.name} declares no replace_key")
    conds: list[str] = []
    cols: list[str] = []
    for k in d.replace_key:
        if k == "month":
            m = _q(month_field(d))
            conds.append(f"date_trunc('month', {old}.{m}) = date_trunc('month', {new}.{m})")
            cols.append(month_field(d))
            continue
        f = d.field(k)
        op = "=" if f.required else "IS NOT DISTINCT FROM"
        conds.append(f"{old}.{_q(k)} {op} {new}.{_q(k)}")
        cols.append(k)
    return "(" + " AND ".join(conds) + ")", tuple(dict.fromkeys(cols))


class _StoreColumns(Mapping[str, tuple[str, ...]]):
    """dataset name -> stored columns (`store_columns`), read from the registry at each use."""

    def __getitem__(self, name: str) -> tuple[str, ...]:
        return store_columns(dataset(name))

    def __iter__(self) -> Iterator[str]:
        return iter(list(DATASETS))

    def __len__(self) -> int:
        return len(DATASETS)


STORE_COLUMNS: Mapping[str, tuple[str, ...]] = _StoreColumns()
