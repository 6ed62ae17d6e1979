"""`make bench`: import throughput (100k-row .xlsx, 1M and 10M-row usage CSV) beside pandas and DuckDB, then the
adoption queries on 10M usage rows, then the overview's warm render and the weekly brief on the demo store plus
10M usage rows, then every operations query on 1M help-desk tickets. Each measurement runs in its own process, so
peak memory is its own.

Each import case runs --repeat times (default 3) and the median run is reported.

Usage: python -m bench [--xlsx-rows N] [--csv-rows N,N] [--adoption-rows N] [--skip-adoption] [--skip-schedule]
       [--repeat N] [--operations-rows N] [--skip-operations]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def _case(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-m", "bench.cases", *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"bench case {args[0]} failed:\n{out.stderr[-2000:]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _median(repeat: int, *args: str) -> dict[str, float]:
    """The run with the median time of `repeat` runs (each import into a fresh store)."""
    runs = []
    for i in range(repeat):
        run_args = list(args)
        if args[0] == "cockpit_import" or args[0] == "duckdb_read_csv":
            run_args[2] = f"{args[2]}.{i}"
        runs.append(_case(*run_args))
    runs.sort(key=lambda r: r["seconds"])
    return runs[len(runs) // 2]


def _line(label: str, r: dict[str, float]) -> str:
    rate = (r["rows"] or 0) / r["seconds"] if r["seconds"] else 0
    return f"| {label} | {r['rows']:,} | {r['seconds']:.2f} s | {rate:,.0f} rows/s | {r['peak_mb']:,.0f} MB |"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--xlsx-rows", type=int, default=100_000)
    ap.add_argument("--csv-rows", default="1000000,10000000")
    ap.add_argument("--adoption-rows", type=int, default=10_000_000)
    ap.add_argument("--skip-adoption", action="store_true")
    ap.add_argument("--skip-schedule", action="store_true")
    ap.add_argument("--skip-overview", action="store_true", help="skip the overview render and brief cases")
    ap.add_argument("--repeat", type=int, default=3, help="runs per import case; the median is reported")
    ap.add_argument("--operations-rows", type=int, default=1_000_000, help="help-desk tickets of the operations bench")
    ap.add_argument("--skip-operations", action="store_true", help="skip the operations queries")
    args = ap.parse_args(argv)
    lines = ["| case | rows | time | throughput | peak memory |", "|---|---|---|---|---|"]
    ratios: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-") as tmp:
        work = Path(tmp)
        xlsx = work / "ledger.xlsx"
        _case("make_xlsx", str(xlsx), str(args.xlsx_rows))
        pandas_r = _median(args.repeat, "pandas_read_excel", str(xlsx))
        ours = _median(args.repeat, "cockpit_import", str(xlsx), str(work / "x.duckdb"), "costs")
        lines += [_line("xlsx: pandas.read_excel (openpyxl)", pandas_r), _line("xlsx: cockpit import", ours)]
        ratios.append(f"xlsx import is {pandas_r['seconds'] / ours['seconds']:.1f}x faster than pandas.read_excel")
        for n in [int(x) for x in args.csv_rows.split(",") if x]:
            csv = work / f"usage_{n}.csv"
            _case("make_csv", str(csv), str(n))
            duck = _median(args.repeat, "duckdb_read_csv", str(csv), str(work / f"d{n}.duckdb"))
            ours = _median(args.repeat, "cockpit_import", str(csv), str(work / f"c{n}.duckdb"), "usage")
            lines += [_line(f"csv {n:,}: DuckDB read_csv", duck), _line(f"csv {n:,}: cockpit import", ours)]
            ratios.append(
                f"csv {n:,} rows: cockpit import takes {ours['seconds'] / duck['seconds']:.1f}x DuckDB's read_csv"
            )
            csv.unlink()
    print("\n".join(lines))
    print()
    print("\n".join(ratios))
    if not args.skip_schedule:
        from bench import schedule_bench

        print()
        schedule_bench.main([])
    status = 0
    if not args.skip_adoption:
        from bench import adoption_bench

        print()
        status = adoption_bench.main(["--rows", str(args.adoption_rows)])
    if not args.skip_overview:
        print()
        out = subprocess.run(
            [sys.executable, "-m", "bench.overview_bench", "--rows", str(args.adoption_rows)], check=False
        )
        status = status or out.returncode
    if not args.skip_operations:
        print()
        out = subprocess.run(
            [sys.executable, "-m", "bench.operations_bench", "--rows", str(args.operations_rows)], check=False
        )
        status = status or out.returncode
    return status


if __name__ == "__main__":
    raise SystemExit(main())
