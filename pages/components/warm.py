"""The app's warm-up: once the store is open, and again whenever its data version moves (an import or undo, from the
inbox, the data page or the command line), the overview the president opens first, and the money ledger the money
page starts from, are built in the background, so the first person to open them after a weekly load finds them
ready instead of waiting (seconds on a large store).

What is built is kept where every session finds it: the shared memos of `metrics.overview.week_view` and
`metrics.money.ledger`, keyed by the store, its data version, the settings and the scope. The warm-up builds the
scope of a person with no filter touched: the whole store and, when this app records its imports for one hospital
(COCKPIT_HOSPITAL), that hospital's; then the last few scopes people asked the overview for (a department head's,
a project filter's). It reads inside one transaction, so what it keeps is the data of the version it is kept
under. COCKPIT_WARM=0 turns it off.

The scopes asked for lately outlive a restart: the warm-up keeps them in a small file beside the store
(`cockpit.duckdb.viewed.json`; the group store's beside COCKPIT_DB) and reads it when it starts, so a department
head's first view after an upgrade finds their overview built too. A scope with the date filter nobody touched
follows the calendar: yesterday's default window is warmed as today's, which is what that person's page asks for.
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import duckdb

from loaders import settings
from loaders import store as _store
from loaders.store import threads
from metrics import money, overview
from metrics.scope import Scope, default_dates


def scopes(today: dt.date | None = None) -> list[Scope]:
    """The scopes warmed: what the overview computes for a viewer who has not touched a filter, then those asked
    for lately (a department head's, a filtered one: `overview.viewed_scopes`), so whoever looked last week finds
    this week's overview built after the weekly load. A viewed scope whose dates are the untouched default of an
    earlier day is warmed with today's default (`today`: the day's date, for tests)."""
    today = today or dt.date.today()
    start, end = default_dates(today)
    whole = Scope(start=start, end=end)
    hospital = settings.get("hospital")
    out = [whole, dataclasses.replace(whole, hospitals=(hospital,))] if hospital else [whole]
    for s in overview.viewed_scopes():
        if s.end is not None and s.end < today and (s.start, s.end) == default_dates(s.end):
            s = dataclasses.replace(s, start=start, end=end)
        if s not in out:
            out.append(s)
    return out


# ---------------------------------------------------------------------------------------------- across a restart
_DATES = ("start", "end", "as_of", "today")
_NAMES = ("projects", "departments", "hospitals")


def viewed_file(where: str) -> Path:
    """Where the scopes asked for lately are kept between runs of the app serving the store `where`."""
    base = settings.db_path() if where.startswith("ducklake:") else Path(where)
    return base.with_name(base.name + ".viewed.json")


def save_viewed(path: Path, viewed: list[Scope]) -> None:
    """Write `viewed` (the latest first) to `path`, whole or not at all (a new file renamed over the old one)."""
    rows = [
        {f.name: (v.isoformat() if isinstance(v, dt.date) else list(v) if isinstance(v, tuple) else v)
         for f in dataclasses.fields(s) for v in [getattr(s, f.name)]}
        for s in viewed
    ]  # fmt: skip
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        part.write_text(json.dumps({"viewed": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)  # a full disk leaves no half file behind
        raise


def load_viewed(path: Path) -> list[Scope]:
    """The scopes kept in `path`, the latest first; none when there is no file. A file that cannot be read as
    written by `save_viewed` is logged and ignored: it only says what to build ahead, never a figure."""
    if not path.is_file():
        return []
    try:
        return [_scope(row) for row in json.loads(path.read_text(encoding="utf-8"))["viewed"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        _LOG.warning("the overviews viewed before the restart are not warmed: %s is unreadable (%s)", path, exc)
        return []


def _scope(row: dict[str, Any]) -> Scope:
    if set(row) - set(_DATES) - set(_NAMES):
        raise ValueError(f"unknown fields {sorted(set(row) - set(_DATES) - set(_NAMES))}")
    fields: dict[str, Any] = {}
    for name in _DATES:
        v = row.get(name)
        fields[name] = None if v is None else dt.date.fromisoformat(v)
    for name in _NAMES:
        v = row.get(name)
        if v is not None and not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            raise TypeError(f"{name} is not a list of names: {v!r}")
        fields[name] = None if v is None else tuple(v)
    return Scope(**fields)


def warm(con: duckdb.DuckDBPyConnection) -> int:
    """Build the warmed figures of the store's current data version, in one read transaction; the version."""
    with _store.read_snapshot(con):
        version = _store.data_version(con)
        if _store.has_data(con):
            for scope in scopes():
                overview.week_view(con, scope)
                money.ledger(con, scope)  # the money page's figures start from it (the overview's is the week's)
        return version


class Warmer(threading.Thread):
    """Looks at the data version every `poll` seconds and warms each new one, until stopped. With `keep`, the
    scopes asked for lately are read from that file first and written back to it whenever they change."""

    def __init__(self, con: duckdb.DuckDBPyConnection, poll: float = 2.0, keep: Path | None = None) -> None:
        super().__init__(name="cockpit-warm", daemon=True)
        self.con = con
        self.poll = poll
        self.keep = keep
        self.stop_event = threading.Event()
        self.warmed: int | None = None  # the data version last warmed
        self.seconds: float | None = None  # how long that took
        self.errors: list[str] = []

    def run(self) -> None:
        kept: list[Scope] | None = None
        if self.keep is not None:
            kept = load_viewed(self.keep)
            overview.remember_earlier(kept)
        while not self.stop_event.is_set():
            if self.keep is not None and overview.viewed_scopes() != kept:
                kept = self._save(self.keep, overview.viewed_scopes())
            try:
                if _store.data_version(self.con) != self.warmed:
                    began = time.perf_counter()
                    self.warmed = warm(self.con)
                    self.seconds = time.perf_counter() - began
            except duckdb.ConnectionException:
                return  # the store was closed: nothing left to warm
            except Exception as exc:  # noqa: BLE001 - a figure that fails here fails on its page, with its message
                if self.stop_event.is_set():
                    return  # interrupted by stop_all: the build is kept nowhere
                self.errors.append(f"{type(exc).__name__}: {exc}")
                del self.errors[:-20]
                self.warmed = _version_or_none(self.con)  # not again for the same data
                _LOG.warning("warm-up of data version %s failed (its page says why): %s", self.warmed, self.errors[-1])
            self.stop_event.wait(self.poll)

    def _save(self, path: Path, viewed: list[Scope]) -> list[Scope]:
        try:
            save_viewed(path, viewed)
        except OSError as exc:  # a full or read-only disk: the warm-up goes on, the scopes are kept in memory
            _LOG.warning("the overviews viewed lately could not be kept in %s: %s", path, exc)
        return viewed

    def stop(self) -> None:
        self.stop_event.set()

    def interrupt(self) -> None:
        """Cancel the query under way, if any (safe from another thread; a later query runs as usual)."""
        self.con.interrupt()


def _version_or_none(con: duckdb.DuckDBPyConnection) -> int | None:
    try:
        return _store.data_version(con)
    except duckdb.Error:
        return None


_LOG = logging.getLogger(__name__)
_WARMERS: dict[str, Warmer] = {}
_START = threading.Lock()


def enabled() -> bool:
    return settings.get("warm") != "0"


def start(con: duckdb.DuckDBPyConnection, where: str) -> Warmer:
    """Start (once per store and process) the warm-up on its own cursor of `con`."""
    with _START:
        w = _WARMERS.get(where)
        if w is None or not w.is_alive():
            w = Warmer(_store.session_cursor(con, con.cursor()), settings.get_float("inbox_poll"), viewed_file(where))
            w.start()
            _WARMERS[where] = w
        return w


def stop_all(timeout: float = 10.0) -> None:
    """Stop every warm-up of this process and wait for it, a build under way cancelled (it is kept nowhere). Run at
    exit: a thread left inside DuckDB while Python shuts down aborts the whole process ("terminate called ...")."""
    threads.stop_all(_WARMERS, _START, timeout, Warmer.interrupt)  # again until it ends: one query after another


atexit.register(stop_all)
