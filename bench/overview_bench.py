"""Overview and brief benchmark: the demo store plus N generated usage rows (default 10M); the overview through
app.py under AppTest (first run after a data change, the same after the app's warm-up, then warm), and the weekly brief for one week (PDF, Excel,
PowerPoint) generated from scratch. `python -m bench.overview_bench --rows 1000000`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb

from loaders import store
from loaders.demo import build_demo

WEEK = dt.date(2026, 11, 23)  # the demo's last week
OVERVIEW_BUDGET_MS = 500.0  # the ceiling for a warm render of the overview
BRIEF_BUDGET_S = 10.0  # and for the brief of one week


@contextlib.contextmanager
def writing(target: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store (a DuckDB file or a group store's COCKPIT_STORE value) open for one bench write: one transaction
    (one lake snapshot) with the data version moved, then a checkpoint of the file."""
    from loaders.store import lake

    con = store.open_store(target)
    try:
        con.execute("BEGIN")
        yield con
        store.bump_data_version(con)
        con.execute("COMMIT")
        if lake.spec_of(con) is None:
            con.execute("CHECKPOINT")
    finally:
        con.close()


def add_usage(path: Path | str, rows: int, departments: int = 200, systems: int = 10) -> None:
    """Append `rows` daily usage rows ending on WEEK (200 departments x 10 systems a day), in SQL, as one
    transaction; `path` a DuckDB file or a group store's COCKPIT_STORE value (bench.pages_bench --group)."""
    with writing(path) as con:
        per_day = departments * systems
        start = WEEK - dt.timedelta(days=rows // per_day)
        import_id = store.next_import_id(con)
        con.execute(
            "INSERT INTO import_log (import_id, dataset, file_name, rows, imported_at, imported_by, status)"
            " VALUES (?, 'usage', 'bench', ?, now(), 'bench', 'loaded')",
            [import_id, rows],
        )
        con.execute(
            """
            INSERT INTO usage_rows (import_id, superseded_by, row_no, period, department, system, active_users,
                                    eligible_users)
            SELECT ?, NULL, i, ?::DATE + CAST(i // ? AS INTEGER), '科室' || lpad(CAST(i % ? AS VARCHAR), 3, '0'),
                   'SYS' || CAST((i // ?) % ? AS VARCHAR), (hash(i) % 100)::BIGINT, 100
            FROM range(?) t(i)
            """,
            [import_id, start, per_day, departments, departments, systems, rows],
        )


def overview_ms(path: Path) -> tuple[float, float, float, float]:
    """The overview through app.py, in ms: the first run after a data change, the same once the app's warm-up
    (pages.components.warm) has built it, that warm-up itself, and a warm rerun."""
    from pages.components import warm
    from tests.conftest import app_test

    os.environ["COCKPIT_DB"] = str(path)
    os.environ["COCKPIT_WARM"] = "0"  # the bench runs the warm-up itself, at a known moment
    at = app_test(path, "zh")
    at.query_params["asof"] = WEEK.isoformat()
    at.run(timeout=600)
    if at.exception:
        raise SystemExit(f"overview failed on the bench store: {at.exception[0].value}")

    def changed() -> None:
        con = store.open_store(path)
        store.bump_data_version(con)
        con.close()

    changed()
    t0 = time.perf_counter()
    at.run(timeout=600)
    cold = (time.perf_counter() - t0) * 1000
    changed()
    con = store.open_store(path)
    t0 = time.perf_counter()
    warm.warm(con)
    warming = (time.perf_counter() - t0) * 1000
    con.close()
    t0 = time.perf_counter()
    at.run(timeout=600)
    warmed = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    at.run()
    rerun = (time.perf_counter() - t0) * 1000
    return cold, warmed, warming, rerun


def brief_seconds(path: Path) -> tuple[float, int]:
    """Seconds to build the zh brief of WEEK from the store (overview figures, PDF, Excel, deck), and bytes."""
    from metrics.scope import Scope
    from reports import brief

    con = store.open_store(path, read_only=True)
    try:
        t0 = time.perf_counter()
        files = brief.build(con, Scope(as_of=WEEK), "zh")
        return time.perf_counter() - t0, sum(len(b) for b in files.values())
    finally:
        con.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000, help="usage rows to add (default 10M)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cockpit-overview-bench-") as tmp:
        path = Path(tmp) / "bench.duckdb"
        build_demo(path)
        add_usage(path, args.rows)
        seconds, size = brief_seconds(path)
        cold, warmed, warming, warm = overview_ms(path)
    print("| case | rows | time | budget |\n|---|---|---|---|")
    print(f"| overview first run after a data change | {args.rows:,} | {cold:,.0f} ms | — |")
    print(f"| the app's warm-up after a data change (in the background) | {args.rows:,} | {warming:,.0f} ms | — |")
    print(f"| overview first run after a data change, once warmed | {args.rows:,} | {warmed:,.0f} ms |"
          f" {OVERVIEW_BUDGET_MS:,.0f} ms |")  # fmt: skip
    print(f"| overview warm rerun | {args.rows:,} | {warm:,.0f} ms | {OVERVIEW_BUDGET_MS:,.0f} ms |")
    print(f"| brief for one week (PDF + Excel + PPTX, {size / 1024:,.0f} KB) | {args.rows:,} | {seconds:.2f} s |"
          f" {BRIEF_BUDGET_S:.0f} s |")  # fmt: skip
    return 0 if max(warm, warmed) <= OVERVIEW_BUDGET_MS and seconds <= BRIEF_BUDGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
