"""The one memo behind figures kept per store and data version (money ledger, finish forecast, go-live dates): kept
by key, built again when the data version moves, least recently used dropped, nothing kept for a store in memory;
and the benefits page's go-live dates kept that way equal the ones computed fresh."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd

from loaders import store
from metrics import adoption, benefits, memo
from metrics.scope import Scope
from tests.conftest import copy_store


def test_kept_by_key_until_the_data_version_moves(tmp_path: Path) -> None:
    con = store.open_store(tmp_path / "m.duckdb")
    kept: memo.Memo[list[int]] = memo.Memo(2)
    builds: list[int] = []

    def build() -> list[int]:
        builds.append(1)
        return [len(builds)]

    key = memo.store_key(con, "HIS")
    assert kept.get_or_build(key, build) == [1] and kept.get_or_build(key, build) == [1]
    assert len(builds) == 1  # kept
    store.bump_data_version(con)  # an import
    assert kept.get_or_build(memo.store_key(con, "HIS"), build) == [2]
    kept.get_or_build(memo.store_key(con, "PACS"), build)
    kept.get_or_build(memo.store_key(con, "LIS"), build)  # a third key: the least recently used goes
    assert kept.get(memo.store_key(con, "HIS")) is None and kept.get(memo.store_key(con, "LIS")) == [4]
    con.close()


def test_a_store_in_memory_keeps_nothing() -> None:
    con = store.memory_store()
    assert memo.store_key(con, "HIS") is None
    kept: memo.Memo[object] = memo.Memo(4)
    first, second = kept.get_or_build(None, object), kept.get_or_build(None, object)
    assert first is not second


def test_go_live_dates_kept_equal_the_fresh_roll_out(demo_template: Path, tmp_path: Path) -> None:
    db = copy_store(demo_template, tmp_path)  # the closed template, not the store other tests hold open
    con = store.open_store(db)
    scope = Scope(departments=("心内科",), today=dt.date(2026, 11, 30))
    whole = dataclasses.replace(scope, departments=None)
    fresh = adoption.rollout_matrix(con, whole)
    assert len(fresh) > 0 and fresh["go_live"].notna().any()
    kept = benefits._go_lives(con, scope)
    pd.testing.assert_frame_equal(kept, fresh)
    assert benefits._go_lives(con, scope) is kept  # the same frame for the next KPI
    store.bump_data_version(con)
    again = benefits._go_lives(con, scope)
    assert again is not kept  # a new data version: built again
    pd.testing.assert_frame_equal(again, fresh)
    con.close()
