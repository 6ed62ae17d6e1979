"""The adoption queries on N usage rows (default 10M) in both stores side by side: the embedded DuckDB file and the
group store (DuckLake, catalog in a private PostgreSQL on a loopback port, Parquet in a temp folder). Warm medians.

Runs in the group edition's environment: `.venv-group/bin/python -m bench.group_bench --rows 10000000` (make bench).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bench.adoption_bench import START, generate, warm_median_ms
from loaders import store
from metrics import adoption as m
from metrics.scope import Scope

ROOT = Path(__file__).resolve().parent.parent


def generate_lake(spec: str, rows: int, departments: int = 200, systems: int = 10) -> None:
    """The same rows as adoption_bench.generate, written into the lake in one statement (one snapshot)."""
    con = store.open_store(spec)
    import_id = store.next_import_id(con)
    con.execute("BEGIN")
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
    con.execute("COMMIT")
    con.close()


def queries(con: Any) -> tuple[Scope, list[tuple[str, Callable[[], Any]]]]:
    row = con.execute("SELECT max(period) FROM usage").fetchone()
    newest = pd.Timestamp(row[0]).date()
    scope = Scope(start=newest - dt.timedelta(days=365), end=newest, today=newest)
    system = m.systems(con, scope)[0]
    department = m.departments(con, scope)[0]
    return scope, [
        ("usage_ranking(system, week)", lambda: m.usage_ranking(con, scope, system)),
        ("usage_ranking(all, week)", lambda: m.usage_ranking(con, scope)),
        ("usage_ranking(system, month)", lambda: m.usage_ranking(con, scope, system, "month")),
        ("rate_matrix(week)", lambda: m.rate_matrix(con, scope)),
        ("rollout_matrix()", lambda: m.rollout_matrix(con, scope)),
        ("trend(department, system)", lambda: m.trend(con, scope, department, system)),
        ("my_department(department)", lambda: m.my_department(con, scope, department)),
        ("usage_warnings(week)", lambda: m.usage_warnings(con, scope)),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="warm runs per query; the median is reported")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "grouptests"))
    import pgserver

    with tempfile.TemporaryDirectory(prefix="group_bench_") as tmp, pgserver.postgres("cockpit_bench") as ci:
        work = Path(tmp)
        path = work / "bench.duckdb"
        t0 = time.perf_counter()
        generate(path, args.rows)
        t_file = time.perf_counter() - t0
        os.environ["COCKPIT_DATA_PATH"] = str(work / "lake")
        spec = "ducklake:postgres:" + ci
        t0 = time.perf_counter()
        generate_lake(spec, args.rows)
        t_lake = time.perf_counter() - t0
        print(f"{args.rows:,} usage rows written: embedded {t_file:.1f} s, group (DuckLake) {t_lake:.1f} s")
        embedded = store.open_store(path, read_only=True)
        group = store.open_store(spec)
        scope, file_cases = queries(embedded)
        _, lake_cases = queries(group)
        print(f"scope: {scope.start} .. {scope.end}; warm median of {args.repeat}")
        print("| query | embedded DuckDB ms | group DuckLake ms |\n|---|---:|---:|")
        for (name, f_fn), (_, l_fn) in zip(file_cases, lake_cases, strict=True):
            f_ms = warm_median_ms(f_fn, args.repeat)
            l_ms = warm_median_ms(l_fn, args.repeat)
            print(f"| {name} | {f_ms:.1f} | {l_ms:.1f} |", flush=True)
        embedded.close()
        group.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
