"""The usage rollups (weekly and monthly sums, loaders/store/rollups.py) give every adoption query exactly what the
plain aggregation of the usage rows gives, for any date window (whole history, windows cut mid-week and
mid-month, one day, an as-of week) and filter; and imports, replacements and undos keep them equal to a rebuild."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from loaders import importer, store
from loaders.store import rollups, writes
from metrics import adoption
from metrics.scope import Scope

D = dt.date
TODAY = D(2026, 11, 23)
DEPARTMENTS = [f"科室{i:02d}" for i in range(12)]
SYSTEMS = ["EMR", "HIS", "PACS"]


def _usage(rng: random.Random, first: dt.date, days: int) -> pd.DataFrame:
    rows = []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        for dep in DEPARTMENTS:
            for system in SYSTEMS:
                if rng.random() < 0.15:
                    continue  # gaps: not every department reports every day
                eligible = rng.choice([None, 0, *range(5, 60)])
                active = rng.randint(0, (eligible or 10) + (3 if rng.random() < 0.02 else 0))  # a few over 100 %
                rows.append({"period": day, "department": dep, "system": system, "active_users": active,
                             "eligible_users": eligible})  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = store.memory_store()
    frame = _usage(random.Random(7), D(2024, 12, 30), 700)
    row = c.execute("SELECT nextval('import_seq')").fetchone()
    assert row is not None
    c.execute(
        "INSERT INTO import_log (import_id, dataset, file_name, rows, imported_at, imported_by, status)"
        " VALUES (?, 'usage', 'u.csv', ?, now(), 'test', 'loaded')",
        [row[0], len(frame)],
    )
    c.register("frame", frame)
    c.execute(
        "INSERT INTO usage_rows (import_id, row_no, period, department, system, active_users, eligible_users)"
        " SELECT ?, 2, period, department, system, active_users, eligible_users FROM frame",
        [row[0]],
    )
    store.bump_data_version(c)
    rollups.rebuild(c)
    assert adoption.rollups_current(c)
    return c


WINDOWS = [
    Scope(today=TODAY),  # the whole history
    Scope(start=D(2025, 3, 12), end=D(2025, 11, 20), today=TODAY),  # a Wednesday to a Thursday, mid-month
    Scope(start=D(2025, 3, 3), end=D(2025, 3, 30), today=TODAY),  # Monday to Sunday: whole weeks only
    Scope(start=D(2025, 4, 1), end=D(2025, 6, 30), today=TODAY),  # whole months
    Scope(start=D(2025, 5, 14), end=D(2025, 5, 16), today=TODAY),  # inside one week
    Scope(start=D(2025, 5, 14), end=D(2025, 5, 14), today=TODAY),  # one day
    Scope(start=D(2025, 8, 20), today=TODAY),  # open end
    Scope(end=D(2025, 2, 11), today=TODAY),  # open start
    Scope(as_of=D(2025, 10, 8), today=TODAY),  # an as-of Wednesday
    Scope(start=D(2025, 1, 15), end=D(2025, 12, 31), departments=("科室03", "科室07"), today=TODAY),
]

QUERIES: dict[str, Callable[[duckdb.DuckDBPyConnection, Scope], Any]] = {
    "usage_rates week": lambda c, s: adoption.usage_rates(c, s),
    "usage_rates month": lambda c, s: adoption.usage_rates(c, s, "month", "EMR"),
    "ranking system week": lambda c, s: adoption.usage_ranking(c, s, "HIS"),
    "ranking all week": lambda c, s: adoption.usage_ranking(c, s),
    "ranking all month": lambda c, s: adoption.usage_ranking(c, s, None, "month"),
    "rate_matrix": lambda c, s: adoption.rate_matrix(c, s),
    "rate_matrix month": lambda c, s: adoption.rate_matrix(c, s, "month"),
    "rollout_matrix": lambda c, s: adoption.rollout_matrix(c, s),
    "trend department": lambda c, s: adoption.trend(c, s, "科室03", "EMR"),
    "trend hospital": lambda c, s: adoption.trend(c, s, None, None, "month"),
    "trend hospital week": lambda c, s: adoption.trend(c, s, None, None),
    "trend hospital system": lambda c, s: adoption.trend(c, s, None, "PACS"),
    "trend department all systems": lambda c, s: adoption.trend(c, s, "科室08", None, "month"),
    "my_department": lambda c, s: adoption.my_department(c, s, "科室05"),
    "department_trend month": lambda c, s: adoption.department_trend(c, s, "科室11", "month"),
    "usage_warnings": lambda c, s: adoption.usage_warnings(c, s),
    "departments": lambda c, s: adoption.departments(c, s),
    "systems": lambda c, s: adoption.systems(c, s),
}


def _same(a: Any, b: Any, what: str) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, obj=what)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{what}.{f.name}")
    else:
        assert a == b, what


@pytest.mark.parametrize("scope", WINDOWS, ids=lambda s: f"{s.start}..{s.end or s.as_of}")
def test_every_adoption_query_equals_the_plain_aggregation(
    con: duckdb.DuckDBPyConnection, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, query in QUERIES.items():
        fast = query(con, scope)
        monkeypatch.setattr(adoption, "USE_ROLLUPS", False)
        plain = query(con, scope)
        monkeypatch.setattr(adoption, "USE_ROLLUPS", True)
        _same(fast, plain, name)
    assert len(adoption.usage_rates(con, scope)) > 0


def test_stale_rollups_are_never_read(con: duckdb.DuckDBPyConnection) -> None:
    scope = Scope(today=TODAY)
    before = adoption.usage_rates(con, scope, "month")
    con.execute("UPDATE usage_rollup SET active = active + 1000")  # wrong sums, and:
    store.bump_data_version(con)  # a write that did not keep the rollups (a raw insert, a benchmark)
    assert not adoption.rollups_current(con)
    pd.testing.assert_frame_equal(adoption.usage_rates(con, scope, "month"), before)  # the rows, not the sums
    rollups.rebuild(con)
    assert adoption.rollups_current(con)
    pd.testing.assert_frame_equal(adoption.usage_rates(con, scope, "month"), before)


def _rollup_table(c: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    sums = c.execute("SELECT * FROM usage_rollup ORDER BY ALL").df()
    spread = c.execute("SELECT * FROM usage_rollup_spread ORDER BY ALL").df()
    return pd.concat([sums, spread], keys=["sums", "spread"])


def test_every_department_s_others_median_equals_the_plain_median(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every department (own rate in the middle, at either end, missing in some weeks), weeks and months
    for period in adoption.PERIODS:
        for dep in DEPARTMENTS:
            scope = Scope(start=D(2025, 2, 5), end=D(2025, 9, 17), today=TODAY)
            fast = adoption.department_trend(con, scope, dep, period)  # type: ignore[arg-type]
            monkeypatch.setattr(adoption, "USE_ROLLUPS", False)
            plain = adoption.department_trend(con, scope, dep, period)  # type: ignore[arg-type]
            monkeypatch.setattr(adoption, "USE_ROLLUPS", True)
            _same(fast, plain, f"{dep} {period}")
            assert fast["others_median"].notna().sum() > 10


def test_others_median_with_ties_one_or_two_others_and_no_rate_of_its_own() -> None:
    """Hand-computed medians of the other departments in one week (x = the department's own rate)."""
    c = store.memory_store()
    week = D(2025, 3, 3)
    rates = {  # system: {department: (active, eligible)}
        "TIES": {"A": (5, 10), "B": (5, 10), "C": (5, 10), "D": (9, 10)},  # 0.5 0.5 0.5 0.9
        "ODD": {"A": (1, 10), "B": (2, 10), "C": (4, 10), "D": (8, 10), "E": (9, 10)},
        "TWO": {"A": (3, 10), "B": (6, 10)},
        "ONE": {"A": (3, 10)},
        "NONE": {"A": (3, None), "B": (2, 10), "C": (6, 10)},  # A has no eligible users: no rate of its own
    }
    rows = [{"period": week, "department": d, "system": sy, "active_users": a, "eligible_users": e}
            for sy, deps in rates.items() for d, (a, e) in deps.items()]  # fmt: skip
    _store_rows(c, rows)
    scope = Scope(today=TODAY)

    def others(dep: str) -> dict[str, float | None]:
        df = adoption.department_trend(c, scope, dep)
        adoption.USE_ROLLUPS = False
        try:
            _same(df, adoption.department_trend(c, scope, dep), dep)  # the plain median agrees
        finally:
            adoption.USE_ROLLUPS = True
        return {str(r.system): (None if pd.isna(r.others_median) else round(r.others_median, 12))
                for r in df.itertuples()}  # fmt: skip

    assert others("A") == {"TIES": 0.5, "ODD": 0.6, "TWO": 0.6, "ONE": None, "NONE": 0.4}
    assert others("B") == {"TIES": 0.5, "ODD": 0.6, "TWO": 0.3, "NONE": 0.6}  # ODD: 1, 4, 8, 9 → (4 + 8) / 2
    assert others("C") == {"TIES": 0.5, "ODD": 0.5, "NONE": 0.2}  # NONE: B alone (A has no rate)
    assert others("D") == {"TIES": 0.5, "ODD": 0.3}  # TIES: 0.5 0.5 0.5; ODD: 1 2 4 9 → 3
    assert others("E") == {"ODD": 0.3}


def _migration_spread() -> str:
    """Migration 0012's statement for the spread (a window over each bucket's sorted rates): the plain form."""
    sql = (Path(rollups.__file__).parent / "migrations" / "0012_adoption.sql").read_text(encoding="utf-8")
    last = sql[sql.rindex("INSERT INTO usage_rollup_spread") :]
    return last.removeprefix("INSERT INTO usage_rollup_spread").strip().rstrip(";")


def _same_rows(c: duckdb.DuckDBPyConnection, a: str, b: str) -> int:
    """The rows of query `a`, after checking they are exactly those of `b` (as multisets, NULLs equal)."""
    for x, y in ((a, b), (b, a)):
        extra = c.execute(f"SELECT count(*) FROM (({x}) EXCEPT ALL ({y}))").fetchone()  # noqa: S608
        assert extra == (0,), f"rows of one statement missing from the other:\n{x}"
    n = c.execute(f"SELECT count(*) FROM ({a})").fetchone()  # noqa: S608
    assert n is not None
    return int(n[0])


def test_the_spread_equals_the_migration_s_window_statement(con: duckdb.DuckDBPyConnection) -> None:
    fast = rollups._SPREAD.format(where="TRUE")
    assert _same_rows(con, fast, _migration_spread()) > 300  # about 100 weeks and 23 months of 3 systems
    c = store.memory_store()  # one, two and three rates, ties, a bucket with no rate at all
    week = D(2025, 3, 3)
    deps = {"TIES": [(5, 10), (5, 10), (5, 10)], "ONE": [(3, 10)], "TWO": [(3, 10), (6, 10)],
            "NORATE": [(3, None), (2, 0)], "MIXED": [(3, None), (1, 10), (9, 10), (4, 10)]}  # fmt: skip
    rows = [{"period": week, "department": f"D{i}", "system": sy, "active_users": a, "eligible_users": e}
            for sy, pairs in deps.items() for i, (a, e) in enumerate(pairs)]  # fmt: skip
    _store_rows(c, rows)
    assert _same_rows(c, fast, _migration_spread()) == 2 * len(deps)  # a week and a month per system
    got = c.execute(
        "SELECT system, n, lo, mid, hi, round(median, 12) FROM usage_rollup_spread WHERE grain = 'week'"
    ).fetchall()
    assert sorted(got) == [
        ("MIXED", 3, 0.1, 0.4, 0.9, 0.4),
        ("NORATE", 0, None, None, None, None),
        ("ONE", 1, None, 0.3, None, 0.3),
        ("TIES", 3, 0.5, 0.5, 0.5, 0.5),
        ("TWO", 2, 0.3, 0.6, None, 0.45),
    ]


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    out = frame.rename(columns={"period": "日期", "department": "科室", "system": "系统", "active_users": "活跃用户数",
                                "eligible_users": "应使用人数"})  # fmt: skip
    out.to_csv(path, index=False, encoding="utf-8")
    return path


def test_imports_replacements_and_undo_keep_the_rollups_equal_to_a_rebuild(tmp_path: Path) -> None:
    c = store.open_store(tmp_path / "s.duckdb")
    try:
        rng = random.Random(3)
        first = _usage(rng, D(2025, 1, 6), 60).dropna(subset=["eligible_users"])
        first = first[(first["eligible_users"] > 0) & (first["active_users"] <= first["eligible_users"])]
        r1 = importer.import_file(c, _csv(tmp_path / "usage_1.csv", first), dataset="usage")
        assert [r.status for r in r1] == ["loaded"], [r.message for r in r1]
        assert adoption.rollups_current(c)
        # a corrected export of February replaces those days; March is new
        second = first[(first["period"] >= D(2025, 2, 1))].copy()
        second["active_users"] = (second["eligible_users"] // 2).astype(int)
        r2 = importer.import_file(c, _csv(tmp_path / "usage_2.csv", second), dataset="usage")
        assert [r.status for r in r2] == ["loaded"], [r.message for r in r2]
        kept = _rollup_table(c)
        rollups.rebuild(c)
        pd.testing.assert_frame_equal(kept, _rollup_table(c))
        assert adoption.rollups_current(c)
        writes.undo(c, int(r2[0].import_id or 0))  # February's first figures come back
        kept = _rollup_table(c)
        rollups.rebuild(c)
        pd.testing.assert_frame_equal(kept, _rollup_table(c))
        fast = adoption.usage_rates(c, Scope(today=TODAY))
        plain = c.execute(
            "SELECT date_trunc('week', period)::DATE AS period, department, system, sum(active_users) AS a"
            " FROM usage GROUP BY ALL ORDER BY ALL"
        ).df()
        assert fast["active"].sum() == plain["a"].sum() and len(fast) == len(plain)
    finally:
        c.close()


def test_a_system_last_reported_a_year_ago_is_cut_at_the_same_day_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rankings look back RECENT_DAYS from the newest row; a system whose last rows straddle that day keeps only
    the rows on or after it, whether its buckets come from the rollups or from the rows."""
    c = store.memory_store()
    newest = D(2026, 11, 18)  # a Wednesday
    since = newest - dt.timedelta(days=adoption.RECENT_DAYS)
    rows = [{"period": newest - dt.timedelta(days=i), "department": dep, "system": "EMR", "active_users": 5 + i % 7,
             "eligible_users": 20} for i in range(30) for dep in DEPARTMENTS[:4]]  # fmt: skip
    for k in range(-9, 4):  # the old system: days around `since`, a different rate each day
        rows += [{"period": since + dt.timedelta(days=k), "department": dep, "system": "OLD",
                  "active_users": 10 + k + j, "eligible_users": 40} for j, dep in enumerate(DEPARTMENTS[:4])]  # fmt: skip
    _store_rows(c, rows)
    scope = Scope(today=newest)
    for name, query in {
        "ranking OLD week": lambda: adoption.usage_ranking(c, scope, "OLD"),
        "ranking OLD month": lambda: adoption.usage_ranking(c, scope, "OLD", "month"),
        "matrix": lambda: adoption.rate_matrix(c, scope),
        "matrix month": lambda: adoption.rate_matrix(c, scope, "month"),
        "my_department": lambda: adoption.my_department(c, scope, DEPARTMENTS[1]),
    }.items():
        fast = query()
        monkeypatch.setattr(adoption, "USE_ROLLUPS", False)
        plain = query()
        monkeypatch.setattr(adoption, "USE_ROLLUPS", True)
        _same(fast, plain, name)
    # across systems the look-back starts from the newest row of any system (EMR's): OLD's latest week (Monday
    # 2025-10-13) counts its rows from `since` (Tuesday 2025-10-14) on only, 10 + k active of 40 for k = 0..3
    cell = adoption.rate_matrix(c, scope).set_index(["department", "system"]).loc[(DEPARTMENTS[0], "OLD")]
    assert pd.Timestamp(cell["period"]).date() == since - dt.timedelta(days=since.weekday())
    assert (cell["active"], cell["eligible"]) == (10 + 11 + 12 + 13, 4 * 40)
    # one system alone looks back from its own newest row: the whole week, 2025-10-13 to 10-17
    alone = adoption.usage_ranking(c, scope, "OLD").set_index("department").loc[DEPARTMENTS[0]]
    assert (alone["active"], alone["eligible"]) == (9 + 10 + 11 + 12 + 13, 5 * 40)


@pytest.mark.parametrize("scope", WINDOWS[:4], ids=lambda s: f"{s.start}..{s.end or s.as_of}")
def test_my_department_stands_where_the_all_systems_ranking_puts_it(
    con: duckdb.DuckDBPyConnection, scope: Scope
) -> None:
    ranking = adoption.usage_ranking(con, dataclasses.replace(scope, departments=None), target=0.8)
    for dep in DEPARTMENTS:
        view = adoption.my_department(con, scope, dep, target=0.8)
        row = ranking.set_index("department").loc[dep]
        assert view.overall_rank == int(row["rank"]) and view.overall_rate == pytest.approx(row["rate"], rel=1e-12)
        assert view.n_departments == int(row["n_ranked"])
        assert view.period == pd.Timestamp(row["period"]).date()


def _store_rows(c: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> None:
    """Usage rows written as one loaded import, the rollups rebuilt from them and current."""
    frame = pd.DataFrame(rows)
    c.execute(
        "INSERT INTO import_log (import_id, dataset, file_name, rows, imported_at, imported_by, status)"
        " VALUES (1, 'usage', 'u.csv', ?, now(), 'test', 'loaded')",
        [len(frame)],
    )
    c.register("frame", frame)
    c.execute(
        "INSERT INTO usage_rows (import_id, row_no, period, department, system, active_users, eligible_users)"
        " SELECT 1, 2, period, department, system, active_users, eligible_users FROM frame"
    )
    store.bump_data_version(c)
    rollups.rebuild(c)
    assert adoption.rollups_current(c)
