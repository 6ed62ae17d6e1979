"""A figure kept under a data version is built from that version: the shared memos (the overview's week, the money
ledger, the finish forecast, the go-live dates) and the pages' cached loads read the version of their key and
build in one snapshot of the data, so an import that commits while they build is not in what is kept under the
version before it (it gets a version, and a build, of its own)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from loaders import store
from metrics import adoption, benefits, forecast, memo, money, overview
from metrics.scope import Scope
from tests.conftest import copy_store


@pytest.fixture
def demo_con(demo_template: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return store.open_store(copy_store(demo_template, tmp_path))


def _import_lands(con: duckdb.DuckDBPyConnection) -> None:
    """Another session's import commits: a new data version (on its own cursor, so in its own transaction)."""
    other = con.cursor()
    store.bump_data_version(other)
    other.close()


def test_a_snapshot_inside_a_snapshot_reads_in_the_outer_one(demo_con: duckdb.DuckDBPyConnection) -> None:
    with store.read_snapshot(demo_con):
        before = store.data_version(demo_con)  # the snapshot is the data as of its first read
        with store.read_snapshot(demo_con):
            _import_lands(demo_con)
            assert store.data_version(demo_con) == before
        assert store.data_version(demo_con) == before  # the inner block left the outer one open
    assert store.data_version(demo_con) == before + 1


def test_an_error_inside_a_snapshot_ends_it(demo_con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.CatalogException), store.read_snapshot(demo_con):
        demo_con.execute("SELECT * FROM no_such_table")
    assert demo_con.execute("SELECT 1").fetchone() == (1,)  # no transaction left open, aborted or not


def test_a_failed_rollback_does_not_hide_why_the_block_failed() -> None:
    class Broken:  # a store whose connection dropped inside the block (the group store's catalog went away)
        def execute(self, sql: str) -> None:
            if sql == "ROLLBACK":
                raise duckdb.ConnectionException("Connection already closed")

    con: Any = Broken()
    with pytest.raises(ValueError, match="the block's own error"), store.read_snapshot(con):
        raise ValueError("the block's own error")
    assert id(con) not in store.connection._SNAPSHOTS  # the next block begins its own, not "inside" a dead one
    with pytest.raises(duckdb.ConnectionException), store.read_snapshot(con):  # with nothing else wrong: said
        assert id(con) in store.connection._SNAPSHOTS
    assert id(con) not in store.connection._SNAPSHOTS


BUILDS: dict[str, tuple[Any, str, Callable[[duckdb.DuckDBPyConnection, Scope], object], memo.Memo[Any]]] = {
    "overview": (overview, "_build_week", lambda c, s: overview.week_view(c, s), overview._WEEKS),
    "money ledger": (money, "ledger_fresh", money.ledger, money._LEDGERS),
    "finish forecast": (
        forecast,
        "finish_forecast_fresh",
        lambda c, s: forecast.finish_forecast(c, s, 200),
        forecast._FORECASTS,
    ),
    "go-live dates": (adoption, "rollout_matrix", benefits._go_lives, benefits._ROLLOUTS),
}


@pytest.mark.parametrize("figure", list(BUILDS))
def test_an_import_landing_during_a_build_is_not_kept_under_the_version_before(
    figure: str, demo_con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, name, ask, kept = BUILDS[figure]
    real = getattr(module, name)
    seen: list[int] = []

    def build(con: duckdb.DuckDBPyConnection, *args: Any, **kwargs: Any) -> object:
        if not seen:
            _import_lands(con)  # commits between the key's version and the build's first read
        seen.append(store.data_version(con))
        return real(con, *args, **kwargs)

    monkeypatch.setattr(module, name, build)
    kept.clear()
    before = store.data_version(demo_con)
    ask(demo_con, Scope(today=dt.date(2026, 11, 30)))
    assert seen == [before]  # the build read the version its key holds, not the import's
    assert [k[1] for k in kept._kept] == [before]
    ask(demo_con, Scope(today=dt.date(2026, 11, 30)))  # the next viewer: the import's version, built anew
    assert seen == [before, before + 1]
    kept.clear()


def _version_inside(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """What a cached page function sees: the version at its start and after an import lands meanwhile."""
    start = store.data_version(con)
    _import_lands(con)
    return start, store.data_version(con)


def _load_page() -> None:
    import streamlit as st

    from pages.components import store as app_store
    from tests.test_snapshots import _version_inside

    st.session_state["seen"] = app_store.load(_version_inside)
    st.session_state["after"] = app_store.version()


def test_a_pages_cached_load_is_built_from_the_version_it_is_cached_under(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = copy_store(demo_template, tmp_path)
    before = store.open_store(db)
    version = store.data_version(before)
    before.close()
    monkeypatch.setenv("COCKPIT_DB", str(db))
    monkeypatch.setenv("COCKPIT_INBOX", "off")
    at = AppTest.from_function(_load_page, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["seen"] == (version, version)  # one version throughout the build
    assert at.session_state["after"] == version + 1  # and the import is there once the load is done
