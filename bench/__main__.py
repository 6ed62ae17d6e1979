"""`make bench`: imports through the command line end to end (100k-row .xlsx, 1M and 10M-row usage and cost-ledger
CSVs, a bad row, the row limit; bench/import_bench.py) beside DuckDB, pandas and fastexcel, then the adoption
queries on 10M usage rows, then the overview's warm render and the weekly brief on the demo store plus 10M usage
rows, then every operations query on 1M help-desk tickets. Each measurement runs in its own process, so peak
memory is its own.

Each import case runs --repeat times (default 3) and the median run is reported.

Usage: python -m bench [--xlsx-rows N] [--csv-rows N,N] [--adoption-rows N] [--skip-adoption] [--skip-schedule]
       [--repeat N] [--operations-rows N] [--skip-operations]
"""

from __future__ import annotations

import argparse
import subprocess
import sys


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
    # the import part: the command line end to end against DuckDB, pandas and fastexcel (bench/import_bench.py)
    from bench import import_bench

    import_bench.main(["--xlsx-rows", str(args.xlsx_rows), "--csv-rows", args.csv_rows, "--repeat", str(args.repeat)])
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
