"""Figures built once per store and data version and shared by every session, page, the overview and the brief (the
money ledger, the finish forecast, the go-live dates): a new import moves the data version, so a kept figure is
never stale. A store in memory keeps nothing (tests change those freely)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import duckdb

from loaders import settings
from loaders import store as _store

T = TypeVar("T")


def store_key(con: duckdb.DuckDBPyConnection, *parts: Hashable) -> tuple[Hashable, ...] | None:
    """The store, its data version, the settings in force and what else the figure depends on; None for a store in
    memory."""
    where = _store.db_file_of(con)
    if where is None:
        return None
    return (where, _store.data_version(con), figure_settings(), *parts)


# Settings that change no figure (where the store is, imports, mail, the app's own upkeep); every other setting, a
# new one included, is part of a kept figure's key.
_NOT_FIGURES = frozenset(
    """db_path store data_path duckdb_extensions max_file_mb max_rows max_sheet_rows max_sheet_cols max_zip_ratio
    max_unzipped_mb min_free_mb plan_worker_mb plan_timeout_s smtp_host smtp_port smtp_user smtp_password
    smtp_starttls smtp_from smtp_to inbox_dir inbox_poll inbox_settle warm hospital user""".split()
)


def figure_settings() -> tuple[str, ...]:
    """The value of every setting a figure may depend on (status rules, risk bands, targets, calendar, ...)."""
    return tuple(s.get() for name, s in settings.SETTINGS.items() if name not in _NOT_FIGURES)


class Memo(Generic[T]):
    """The last `size` figures by key, least recently used dropped first. `lock` is held while one is built, so
    sessions asking for the same figure together wait for the first build instead of repeating it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lock = threading.RLock()
        self._kept: OrderedDict[Hashable, T] = OrderedDict()

    def get(self, key: Hashable) -> T | None:
        with self.lock:
            hit = self._kept.get(key)
            if hit is not None:
                self._kept.move_to_end(key)
            return hit

    def put(self, key: Hashable, value: T) -> T:
        with self.lock:
            self._kept[key] = value
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
            return value

    def get_or_build(self, key: Hashable | None, build: Callable[[], T]) -> T:
        """The kept figure of `key`, else `build()` kept under it; built every time when `key` is None."""
        if key is None:
            return build()
        with self.lock:
            hit = self.get(key)
            return hit if hit is not None else self.put(key, build())

    def clear(self) -> None:
        with self.lock:
            self._kept.clear()
