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
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import threading
import time

import duckdb

from loaders import settings
from loaders import store as _store
from loaders.store import threads
from metrics import money, overview
from metrics.scope import Scope, default_dates


def scopes() -> list[Scope]:
    """The scopes warmed: what the overview computes for a viewer who has not touched a filter, then those asked
    for lately in this process (a department head's, a filtered one: `overview.viewed_scopes`), so whoever looked
    last week finds this week's overview built after the weekly load."""
    start, end = default_dates()
    whole = Scope(start=start, end=end)
    hospital = settings.get("hospital")
    first = [whole, dataclasses.replace(whole, hospitals=(hospital,))] if hospital else [whole]
    return first + [s for s in overview.viewed_scopes() if s not in first]


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
    """Looks at the data version every `poll` seconds and warms each new one, until stopped."""

    def __init__(self, con: duckdb.DuckDBPyConnection, poll: float = 2.0) -> None:
        super().__init__(name="cockpit-warm", daemon=True)
        self.con = con
        self.poll = poll
        self.stop_event = threading.Event()
        self.warmed: int | None = None  # the data version last warmed
        self.seconds: float | None = None  # how long that took
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.stop_event.is_set():
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
            w = Warmer(_store.session_cursor(con, con.cursor()), settings.get_float("inbox_poll"))
            w.start()
            _WARMERS[where] = w
        return w


def stop_all(timeout: float = 10.0) -> None:
    """Stop every warm-up of this process and wait for it, a build under way cancelled (it is kept nowhere). Run at
    exit: a thread left inside DuckDB while Python shuts down aborts the whole process ("terminate called ...")."""
    threads.stop_all(_WARMERS, _START, timeout, Warmer.interrupt)  # again until it ends: one query after another


atexit.register(stop_all)
