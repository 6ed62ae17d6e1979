"""Adoption benchmark: N generated usage rows (default 10M) in a DuckDB file, each adoption query timed warm
(median of 5) beside the same computation in plain pandas. `python -m bench.adoption_bench --rows 1000000`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from loaders import store
from metrics import adoption as m
from metrics.scope import Scope

BUDGET_MS = 300.0  # the ceiling for one adoption query, warm
START = dt.date(2015, 1, 5)  # a Monday; one period per day from here


def generate(target: Path | str, rows: int, departments: int = 200, systems: int = 10) -> None:
    """Write `rows` usage rows straight into the store's raw table with SQL (range(), no Python loop), as one
    loaded import in one transaction. `target` is a DuckDB file or a group store's COCKPIT_STORE value (DuckLake:
    one snapshot, the import id from its PostgreSQL sequence): both stores get the same rows (bench.group_bench).

    Each day holds departments × systems rows; about 0.1 % have no eligible users (NULL or 0) and a few rates
    exceed 100 %, so the rules are exercised too."""
    from loaders.store import lake

    con = store.open_store(target)
    embedded = lake.spec_of(con) is None
    try:
        import_id = store.next_import_id(con)
        con.execute("BEGIN")
        con.execute("DELETE FROM usage_rows")
        con.execute(
            "INSERT INTO import_log (import_id, dataset, file_name, rows, imported_at, imported_by, status)"
            " VALUES (?, 'usage', 'bench', ?, now(), 'bench', 'loaded')",
            [import_id, rows],
        )
        per_day = departments * systems
        con.execute(
            """
            INSERT INTO usage_rows (import_id, superseded_by, row_no, period, department, system, active_users,
                                    eligible_users)
            SELECT ?, NULL, i,
                   ?::DATE + CAST(i // ? AS INTEGER),
                   '科室' || lpad(CAST(i % ? AS VARCHAR), 3, '0'),
                   'SYS' || CAST((i // ?) % ? AS VARCHAR),
                   CASE WHEN i % 4999 = 0 THEN e + 3 ELSE (hash(i) % (e + 1))::BIGINT END,
                   CASE WHEN i % 1999 = 0 THEN NULL WHEN i % 2003 = 0 THEN 0 ELSE e END
            FROM (SELECT i, 20 + (i % ?) % 97 AS e FROM range(?) t(i))
            """,
            [import_id, START, per_day, departments, departments, systems, departments, rows],
        )
        store.bump_data_version(con)
        con.execute("COMMIT")
        if embedded:
            con.execute("CHECKPOINT")
    finally:
        con.close()


def page_scope(con: Any) -> tuple[Scope, str, str]:
    """The adoption page's default filter on the bench rows (the last 12 months of data), and the first system
    and department, as the page picks them."""
    row = con.execute("SELECT max(period) FROM usage").fetchone()
    assert row is not None and row[0] is not None, "no usage rows"
    newest = pd.Timestamp(row[0]).date()
    scope = Scope(start=newest - dt.timedelta(days=365), end=newest, today=newest)
    return scope, m.systems(con, scope)[0], m.departments(con, scope)[0]


def queries(con: Any, scope: Scope, system: str, department: str) -> list[tuple[str, Callable[[], Any]]]:
    """The adoption queries the page runs, timed by this bench and by bench.group_bench for the group store."""
    return [
        ("usage_ranking(system, week)", lambda: m.usage_ranking(con, scope, system)),
        ("usage_ranking(all, week)", lambda: m.usage_ranking(con, scope)),
        ("usage_ranking(system, month)", lambda: m.usage_ranking(con, scope, system, "month")),
        ("rate_matrix(week)", lambda: m.rate_matrix(con, scope)),
        ("rollout_matrix()", lambda: m.rollout_matrix(con, scope)),
        ("trend(department, system)", lambda: m.trend(con, scope, department, system)),
        ("my_department(department)", lambda: m.my_department(con, scope, department)),
        ("usage_warnings(week)", lambda: m.usage_warnings(con, scope)),
    ]


# ------------------------------------------------------------------ the same computations in plain pandas


def _bucket(periods: pd.Series, period: str) -> pd.Series:
    p = pd.Series(pd.to_datetime(periods), index=periods.index)
    if period == "week":
        return pd.Series((p - pd.to_timedelta(p.dt.day_of_week, unit="D")).dt.normalize(), index=p.index)
    return pd.Series(p.dt.to_period("M").dt.to_timestamp(), index=p.index)


def _sums(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    ok = df["eligible_users"] > 0
    g = df.assign(a=df["active_users"].where(ok), e=df["eligible_users"].where(ok))
    out = g.groupby(keys, as_index=False)[["a", "e"]].sum(min_count=1)
    out["rate"] = out["a"] / out["e"]
    return out


def pd_ranking(df: pd.DataFrame, system: str | None, period: str) -> pd.DataFrame:
    d = df if system is None else df[df["system"] == system]
    b = _bucket(d["period"], period)
    buckets = sorted(b.unique())[-2:]
    recent = d[b.isin(buckets)].assign(p=b[b.isin(buckets)])
    sums = _sums(recent, ["p", "department", "system"])
    latest, previous = buckets[-1], buckets[0]
    if system is None:
        r = m.combine_systems(sums.rename(columns={"p": "period"})).rename(columns={"period": "p"})
    else:
        r = sums[["p", "department", "rate"]]
    cur = r[r["p"] == latest][["department", "rate"]]
    prev = r[r["p"] == previous][["department", "rate"]] if previous != latest else None
    return m.ranking_table(cur, prev, 0.8)


def pd_matrix(df: pd.DataFrame, period: str) -> pd.DataFrame:
    last = df.groupby("system")["period"].max()
    lb = _bucket(pd.Series(last.to_numpy()), period)
    cut = pd.Series(lb.to_numpy(), index=last.index)
    recent = df[pd.to_datetime(df["period"]) >= df["system"].map(cut)]
    return _sums(recent, ["department", "system"])


def pd_trend(df: pd.DataFrame, department: str, system: str, period: str) -> pd.DataFrame:
    d = df[df["system"] == system]
    hosp = _sums(d.assign(p=_bucket(d["period"], period)), ["p"])
    mine = d[d["department"] == department]
    dep = _sums(mine.assign(p=_bucket(mine["period"], period)), ["p"])
    return dep.merge(hosp[["p", "rate"]], on="p", suffixes=("", "_hospital"))


def pd_rates(df: pd.DataFrame, period: str) -> pd.DataFrame:
    return _sums(df.assign(p=_bucket(df["period"], period)), ["p", "department", "system"])


def pd_my_department(df: pd.DataFrame, department: str, period: str) -> pd.DataFrame:
    r = pd_rates(df, period)
    others = r[r["department"] != department].groupby(["p", "system"])["rate"].median().rename("others_median")
    return r[r["department"] == department].merge(others.reset_index(), on=["p", "system"], how="left")


def pd_warnings(df: pd.DataFrame, period: str) -> pd.DataFrame:
    r = df.assign(p=_bucket(df["period"], period), none=~(df["eligible_users"] > 0))
    g = r.groupby(["p", "department", "system"], as_index=False)[["none"]].sum()
    s = pd_rates(df, period).merge(g, on=["p", "department", "system"])
    return s[(s["none"] > 0) | (s["a"] > s["e"])]


def pd_pairs(df: pd.DataFrame) -> pd.DataFrame:
    return df[["system", "department"]].drop_duplicates()


# ------------------------------------------------------------------ timing


def warm_median_ms(fn: Callable[[], Any], repeat: int) -> float:
    return warm_medians_ms(fn, repeat)[0]


def warm_medians_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(wall, CPU) medians in ms of `repeat` warm runs. The CPU time is the whole process's (DuckDB's threads
    included): on a shared machine the wall time also counts the wait for a core, the CPU time only the work."""
    fn()  # warm: caches, page cache, lazy imports
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - t0) * 1000.0)
        cpus.append((time.process_time() - c0) * 1000.0)
    return statistics.median(walls), statistics.median(cpus)


def run(path: Path, repeat: int = 5, with_pandas: bool = True) -> list[tuple[str, float, float | None]]:
    """Time each adoption query the page runs, with the page's default filter (the last 12 months of data)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        scope, system, department = page_scope(con)
        assert scope.start is not None and scope.end is not None
        frame: pd.DataFrame | None = None
        if with_pandas:
            t0 = time.perf_counter()
            frame = con.execute("SELECT period, department, system, active_users, eligible_users FROM usage").df()
            frame["period"] = pd.to_datetime(frame["period"])
            print(f"(pandas: {len(frame):,} rows loaded in {time.perf_counter() - t0:.1f} s, not counted)")
        lo, hi = pd.Timestamp(scope.start), pd.Timestamp(scope.end)

        def win(f: pd.DataFrame) -> pd.DataFrame:  # the same date filter, done by pandas
            return f[(f["period"] >= lo) & (f["period"] <= hi)]

        in_pandas: list[Callable[[pd.DataFrame], Any]] = [
            lambda f: pd_ranking(win(f), system, "week"),
            lambda f: pd_ranking(win(f), None, "week"),
            lambda f: pd_ranking(win(f), system, "month"),
            lambda f: pd_matrix(win(f), "week"),
            lambda f: pd_pairs(win(f)),
            lambda f: pd_trend(win(f), department, system, "week"),
            lambda f: pd_my_department(win(f), department, "week"),
            lambda f: pd_warnings(win(f), "week"),
        ]
        cases = [
            (name, fn, pd_fn)
            for (name, fn), pd_fn in zip(queries(con, scope, system, department), in_pandas, strict=True)
        ]
        results: list[tuple[str, float, float | None]] = []
        print(f"scope: {scope.start} .. {scope.end}; system {system}, department {department}")
        print(f"{'query':32} {'duckdb ms':>10} {'pandas ms':>10} {'ratio':>7}")
        for name, db_fn, pd_fn in cases:
            db_ms = warm_median_ms(db_fn, repeat)
            pd_ms = warm_median_ms(lambda pd_fn=pd_fn: pd_fn(frame), repeat) if frame is not None else None  # type: ignore[misc]
            ratio = f"{pd_ms / db_ms:6.1f}x" if pd_ms is not None else "-"
            flag = "" if db_ms <= BUDGET_MS else f"  over {BUDGET_MS:.0f} ms"
            pd_text = f"{pd_ms:10.1f}" if pd_ms is not None else f"{'-':>10}"
            print(f"{name:32} {db_ms:10.1f} {pd_text} {ratio:>7}{flag}")
            results.append((name, db_ms, pd_ms))
        print("ratio = pandas ms / DuckDB ms (the pandas side starts from a DataFrame already in memory)")
        return results
    finally:
        con.close()


GOAL_MS = 100.0  # issue 19: every adoption query warm at 10M rows, any window


def scale_queries(con: Any, scope: Scope, system: str, department: str) -> list[tuple[str, Callable[[], Any]]]:
    """The page's queries plus the hospital-wide trend and the pickers: what the page and the overview run."""
    return [
        *queries(con, scope, system, department),
        ("trend(hospital, all systems)", lambda: m.trend(con, scope, None, None)),
        ("departments() + systems()", lambda: (m.departments(con, scope), m.systems(con, scope))),
    ]


def _load() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def scale_table(path: Path, repeat: int = 5, rows_too: bool = False) -> list[dict[str, Any]]:
    """Every adoption query on an existing store (the large store of bench.pages_bench), read-only, for the whole
    history and for the last 12 months, warm median wall and CPU ms from the rollups (and from the rows with
    `rows_too`), with the load average before and after. Prints a Markdown table."""
    con = duckdb.connect(str(path), read_only=True)
    out: list[dict[str, Any]] = []
    try:
        last12, system, department = page_scope(con)
        whole = Scope(today=last12.today)
        print(f"store {path}; rollups current: {m.rollups_current(con)}; load before: {_load()}")
        print(
            "| query | whole history wall / CPU ms | last 12 months wall / CPU ms |"
            + (" whole history, rows | last 12 months, rows |" if rows_too else "")
        )
        print("|---|---:|---:|" + ("---:|---:|" if rows_too else ""))
        names = [n for n, _ in scale_queries(con, whole, system, department)]
        for i, name in enumerate(names):
            row: dict[str, Any] = {"query": name}
            cells = []
            for label, scope in (("whole", whole), ("last12", last12)):
                fn = scale_queries(con, scope, system, department)[i][1]
                row[label] = warm_medians_ms(fn, repeat)
                cells.append(f"{row[label][0]:.1f} / {row[label][1]:.1f}")
            if rows_too:
                m.USE_ROLLUPS = False
                try:
                    for label, scope in (("whole_rows", whole), ("last12_rows", last12)):
                        fn = scale_queries(con, scope, system, department)[i][1]
                        row[label] = warm_medians_ms(fn, max(1, repeat // 2))
                        cells.append(f"{row[label][0]:.0f} / {row[label][1]:.0f}")
                finally:
                    m.USE_ROLLUPS = True
            flag = "" if max(row["whole"][0], row["last12"][0]) <= GOAL_MS else f" over {GOAL_MS:.0f} ms"
            print(f"| `{name}` | " + " | ".join(cells) + f" |{flag}")
            out.append(row)
        print(f"load after: {_load()}")
        return out
    finally:
        con.close()


PAGE_BUDGET_MS = 1000.0  # the ceiling for a rerun of the adoption page


def page_rerun_ms(path: Path) -> tuple[float, float]:
    """The adoption page through app.py under AppTest on the bench store: (first run after the data version
    changed, warm rerun), in ms. The first figure is what a user waits for after an import."""
    import os

    from tests.conftest import app_test  # the AppTest set-up the page tests use

    os.environ["COCKPIT_DB"] = str(path)
    con = store.open_store(path)
    row = con.execute("SELECT max(period) FROM usage").fetchone()
    con.close()
    assert row is not None and row[0] is not None
    at = app_test(path, "zh").run()
    at.date_input(key="dates").set_value((row[0] - dt.timedelta(days=365), row[0])).run()  # the data's last year
    at.switch_page("pages/adoption.py").run()
    ranked = [df for df in at.dataframe if "rank" in df.value.columns]
    if at.exception or not ranked or ranked[0].value.empty:
        raise SystemExit("the adoption page did not rank departments on the bench store")
    if at.exception:
        raise SystemExit(f"adoption page failed on the bench store: {at.exception[0].value}")
    # a new data version (as an import makes) misses every cached result, like the first view after a load
    con = store.open_store(path)
    store.bump_data_version(con)
    con.close()
    t0 = time.perf_counter()
    at.run()
    cold = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    at.run()
    warm = (time.perf_counter() - t0) * 1000
    return cold, warm


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000, help="usage rows to generate (default 10M)")
    parser.add_argument("--db", type=Path, help="DuckDB file to write (default: a temporary file, removed after)")
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--systems", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per query; the median is reported")
    parser.add_argument("--no-pandas", action="store_true", help="time DuckDB only")
    parser.add_argument("--reuse", action="store_true", help="time an existing --db without regenerating")
    parser.add_argument(
        "--store", type=Path, help="time every query on this existing store (read-only), whole history and 12 months"
    )
    parser.add_argument("--rows-too", action="store_true", help="with --store: also from the rows (no rollups)")
    args = parser.parse_args(argv)
    if args.store:
        scale_table(args.store, args.repeat, args.rows_too)
        return 0
    with tempfile.TemporaryDirectory(prefix="adoption_bench_") as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        if not (args.reuse and path.exists()):
            t0 = time.perf_counter()
            generate(path, args.rows, args.departments, args.systems)
            print(f"generated {args.rows:,} usage rows in {time.perf_counter() - t0:.1f} s -> {path}")
        results = run(path, args.repeat, not args.no_pandas)
        cold, warm = page_rerun_ms(path)
    slow = [name for name, ms, _ in results if ms > BUDGET_MS]
    print("all adoption queries within budget" if not slow else f"over {BUDGET_MS:.0f} ms: {', '.join(slow)}")
    print(f"adoption page rerun through app.py: {cold:.0f} ms after a new import, {warm:.0f} ms warm")
    print("page rerun within budget" if cold <= PAGE_BUDGET_MS else f"page rerun over {PAGE_BUDGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
