"""The adoption queries on N usage rows (default 10M) in both stores side by side: the embedded DuckDB file and the
group store (DuckLake, catalog in a private PostgreSQL on a loopback port, Parquet in a temp folder). Warm medians
of the wall time and of the process's CPU time (the work itself, whatever else the machine runs).

Runs in the group edition's environment: `.venv-group/bin/python -m bench.group_bench --rows 10000000` (make bench).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.adoption_bench import generate, page_scope, queries, warm_medians_ms
from loaders import store

ROOT = Path(__file__).resolve().parent.parent


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
        generate(spec, args.rows)
        t_lake = time.perf_counter() - t0
        print(f"{args.rows:,} usage rows written: embedded {t_file:.1f} s, group (DuckLake) {t_lake:.1f} s")
        embedded = store.open_store(path, read_only=True)
        group = store.open_store(spec)
        scope, system, department = page_scope(embedded)
        file_cases = queries(embedded, scope, system, department)
        lake_cases = queries(group, scope, system, department)
        print(
            f"scope: {scope.start} .. {scope.end}; warm median of {args.repeat}; load average {os.getloadavg()[0]:.1f}"
        )
        print("| query | embedded wall ms | embedded CPU ms | group wall ms | group CPU ms |")
        print("|---|---:|---:|---:|---:|")
        for (name, f_fn), (_, l_fn) in zip(file_cases, lake_cases, strict=True):
            f_wall, f_cpu = warm_medians_ms(f_fn, args.repeat)
            l_wall, l_cpu = warm_medians_ms(l_fn, args.repeat)
            print(f"| {name} | {f_wall:.1f} | {f_cpu:.1f} | {l_wall:.1f} | {l_cpu:.1f} |", flush=True)
        print(f"load average at the end {os.getloadavg()[0]:.1f} (2 cores: wall time above CPU time is waiting)")
        embedded.close()
        group.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
