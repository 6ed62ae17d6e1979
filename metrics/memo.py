"""Figures built once per store and data version and shared by every session, page, the overview and the brief (the
money ledger, the finish forecast, the go-live dates): a new import moves the data version, so a kept figure is
never stale. A store in memory keeps nothing (tests change those freely)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import duckdb

from loaders import store as _store

T = TypeVar("T")


def store_key(con: duckdb.DuckDBPyConnection, *parts: Hashable) -> tuple[Hashable, ...] | None:
    """The store, its data version and what else the figure depends on; None for a store in memory."""
    where = _store.db_file_of(con)
    if where is None:
        return None
    return (where, _store.data_version(con), *parts)


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
