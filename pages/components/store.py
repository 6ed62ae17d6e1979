"""The one place that touches the DuckDB database: one per process, one cursor per session, cached loads.

Only this module holds the process-wide connection (st.cache_resource); everyone else gets `cursor()`,
so no two sessions ever share results or transactions (reliability F7).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import streamlit as st

from loaders import settings
from loaders import store as _store
from loaders.errors import StoreUnavailable
from loaders.store import inbox
from pages.components import warm

T = TypeVar("T")

_CURSOR_KEY = "_cockpit_cursor"  # session_state: (id of the database, this session's cursor)
_FUNCS: dict[str, Callable[..., Any]] = {}  # qualified name -> metrics function, for the cached loader


def db_path() -> Path:
    """COCKPIT_DB, else `--db PATH` after `--` on the streamlit command line, else the settings default."""
    env = os.environ.get("COCKPIT_DB")
    if env:
        return Path(env)
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == "--db" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--db="):
            return Path(arg.split("=", 1)[1])
    return settings.db_path()


@st.cache_resource(show_spinner=False)
def _database(path: str) -> duckdb.DuckDBPyConnection:
    # A failure (locked, corrupt) raises StoreUnavailable and is not cached: the next rerun tries again.
    con = _store.open_store(path)
    folder = inbox.inbox_dir(path)
    if inbox.enabled():
        inbox.start(con, folder)  # files dropped in the inbox are imported in the background, one at a time
    if warm.enabled():
        warm.start(con, path)  # the overview is built ahead of its first viewer, after start and every import
    return con


def open_at_launch() -> threading.Thread:
    """At server start (serve.py's lifespan): open the store on a thread of its own, with its inbox and warm-up, so
    the overview is being built before the first person asks for it. A store that cannot be opened yet (locked, the
    group catalog not up) is left to the first session, which says why."""

    def opening() -> None:
        with contextlib.suppress(StoreUnavailable):
            _database(database_path())

    thread = threading.Thread(target=opening, name="cockpit-open", daemon=True)
    thread.start()
    return thread


def database_path() -> str:
    """The store this app serves: the group store's COCKPIT_STORE (ducklake:postgres:...), else the file."""
    chosen = settings.get("store")
    if chosen.startswith("ducklake:"):
        return chosen
    return str(db_path().resolve())


def cursor() -> duckdb.DuckDBPyConnection:
    """This session's own cursor of the process-wide database. Raises StoreUnavailable."""
    db = _database(database_path())
    held = st.session_state.get(_CURSOR_KEY)
    if not held or held[0] != id(db):
        held = (id(db), _store.session_cursor(db, db.cursor()))
        st.session_state[_CURSOR_KEY] = held
    return held[1]


def opener() -> Callable[[], duckdb.DuckDBPyConnection]:
    """A function giving a new cursor of this session's database, for work done off the script thread (a deferred
    download's audit record): the session's own cursor may be in use by its script run there. Nothing is opened
    until it is called (it raises StoreUnavailable then)."""
    path = database_path()

    def new_cursor() -> duckdb.DuckDBPyConnection:
        db = _database(path)
        return _store.session_cursor(db, db.cursor())

    return new_cursor


def version() -> int:
    """The data version: changes with every import or undo, so cached results refresh at once."""
    return _store.data_version(cursor())


def has_data() -> bool:
    return _store.has_data(cursor())


def role() -> str:
    """The viewer's role and bound department (from sign-in), part of every cache key."""
    from pages.components import session  # session imports this module

    return session.cache_key()


@st.cache_data(show_spinner=False, max_entries=2000)
def _cached(
    name: str, path: str, data_version: int, viewer: str, args: tuple[Any, ...], kwargs: tuple[Any, ...]
) -> Any:
    return _FUNCS[name](cursor(), *args, **dict(kwargs))


def load(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(cursor(), *args, **kwargs)`, cached by function, store, data version, role and (hashable) arguments. The
    version and a result built here come from one snapshot of the data: an import landing meanwhile is never
    cached under the version before it."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    _FUNCS[name] = fn
    from pages.components import session  # session imports this module

    cur = cursor()
    with _store.read_snapshot(cur):
        result = _cached(name, database_path(), _store.data_version(cur), role(), args, tuple(sorted(kwargs.items())))
    return session.restrict(result)  # type: ignore[no-any-return]
