"""Import benchmark: the command line end to end (`python -m loaders import`, start-up included) against the
references measured in the same run: DuckDB `read_csv` into a table, `pandas.read_excel` (openpyxl) and a raw
fastexcel read into Arrow. Also CLI start-up, a file with one bad row against the clean one, and a file over the
row limit at two sizes (the refusal must cost what the limit costs, not what the file does).

Every case is its own process, timed from outside (wall time) with the child's CPU time and peak memory from
`wait4`. References report their in-process work time too; ratios use it (the strict comparison: our start-up
counts, theirs does not), with the ratio against their whole process beside it, and the CPU ratio (the steadier
figure on a shared machine). The load average is printed with every section.

As installed: the project's modules are byte-compiled first (a deployed app has its .pyc files; an environment
with PYTHONDONTWRITEBYTECODE would otherwise compile them again in every run), and each import goes into an
existing empty store (created beforehand, as the app's store exists before any import; creating one is timed on
its own row).

Usage: python -m bench.import_bench [--xlsx-rows N] [--csv-rows N,N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    wall: float  # seconds, process start to exit
    cpu: float  # user + system seconds of the process (all its threads)
    peak_mb: float
    code: int
    out: str
    work: float | None = None  # a reference's own timing of its work, without Python start-up and imports
    rows: int | None = None


def _once(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace") + err.read().decode("utf-8", "replace")
    run = Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode, text)
    last = text.strip().splitlines()[-1] if text.strip() else ""
    if last.startswith("{") and '"case"' in last:
        data = json.loads(last)
        run.work, run.rows = float(data["seconds"]), data.get("rows")
    return run


def _median(repeat: int, make: list[list[str]] | list[str], env: dict[str, str] | None = None) -> Run:
    """The run with the median wall time; `make` is one command, or one per repeat (a fresh store each)."""
    cmds = make if make and isinstance(make[0], list) else [make] * repeat
    runs = sorted((_once(list(c), env) for c in cmds[:repeat]), key=lambda r: r.wall)  # type: ignore[arg-type]
    return runs[len(runs) // 2]


def _case(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.cases", *args]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "loaders", *args]


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f})"


def _row(label: str, rows: int | None, r: Run) -> str:
    work = f"{r.work:.2f} s" if r.work is not None else "—"
    shown = f"{rows:,}" if rows is not None else "—"
    return f"| {label} | {shown} | {r.wall:.2f} s | {r.cpu:.2f} s | {r.peak_mb:,.0f} MB | {work} |"


def _check(r: Run, label: str, code: int = 0) -> Run:
    if r.code != code:
        raise SystemExit(f"bench case {label} exited {r.code}, expected {code}:\n{r.out[-2000:]}")
    return r


def _bulk_bytes() -> int:
    from loaders import readers

    return readers.PYTHON_PARSE_BYTES  # smaller files are parsed by Python's csv module, always checked


def _bulk_stored(db: str, dataset: str) -> None:
    """A clean big export must have taken the bulk path (its rows carry no row_no): a file that fell back to the
    checked path would be timed as something else."""
    import duckdb

    from loaders.store import RAW_TABLES, quote_ident

    con = duckdb.connect(db, read_only=True)
    try:
        row = con.execute(f"SELECT count(*), count(row_no) FROM {quote_ident(RAW_TABLES[dataset])}").fetchone()  # noqa: S608
    finally:
        con.close()
    if not row or not row[0] or row[1]:
        raise SystemExit(f"the {dataset} export did not take the bulk path ({row})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.import_bench")
    ap.add_argument("--xlsx-rows", type=int, default=100_000)
    ap.add_argument("--csv-rows", default="1000000,10000000")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case; the median wall time is reported")
    args = ap.parse_args(argv)
    rep = max(1, args.repeat)
    lines = [
        "| case | rows | wall, start-up included | CPU | peak memory | reference's own work time |",
        "|---|---|---|---|---|---|",
    ]
    ratios: list[str] = [_load() + " at the start"]
    import compileall

    compileall.compile_dir(str(ROOT / "loaders"), quiet=1)  # as installed: the modules' .pyc files exist
    with tempfile.TemporaryDirectory(prefix="cockpit-import-bench-") as tmp:
        work = Path(tmp)

        def fresh(name: str) -> list[str]:
            """One existing empty store per repeat (created here, untimed: an import goes into the app's store)."""
            paths = [str(work / f"{name}.{i}.duckdb") for i in range(rep)]
            for d in paths:
                _check(_once(_cli("history", "--db", d)), "store creation")
            return paths

        start = _check(_median(rep, _cli("--help")), "start-up")
        lines.append(_row("start-up: `python -m loaders --help`", None, start))
        ratios.append(f"start-up: {start.wall:.2f} s wall, {start.cpu:.2f} s CPU (target ≤ 0.3 s)")
        created = _median(rep, [_cli("history", "--db", str(work / f"new.{i}.duckdb")) for i in range(rep)])
        lines.append(_row("a new store's creation (first use only; every import below goes into one)", None, created))

        xlsx = work / "ledger.xlsx"
        _check(_once(_case("make_xlsx", str(xlsx), str(args.xlsx_rows))), "make_xlsx")
        pandas_r = _check(_median(rep, _case("pandas_read_excel", str(xlsx))), "pandas")
        fast_r = _check(_median(rep, _case("fastexcel_read", str(xlsx))), "fastexcel")
        ours = _median(rep, [_cli("import", str(xlsx), "--dataset", "costs", "--db", d) for d in fresh("x")])
        _check(ours, "xlsx import")
        n = args.xlsx_rows
        lines += [
            _row("xlsx: `pandas.read_excel` (openpyxl)", n, pandas_r),
            _row("xlsx: raw fastexcel read into Arrow", n, fast_r),
            _row("xlsx: cockpit CLI import (preflight, read, map, coerce, validate, commit)", n, ours),
        ]
        assert pandas_r.work is not None and fast_r.work is not None
        ratios.append(
            f"xlsx {n:,} rows: cockpit CLI is {pandas_r.work / ours.wall:.1f}x faster than pandas.read_excel's own"
            f" time ({pandas_r.wall / ours.wall:.1f}x its process, {pandas_r.cpu / ours.cpu:.1f}x in CPU; target ≥ 15x)"
            f" and takes {ours.wall / fast_r.work:.1f}x a raw fastexcel read ({ours.wall / fast_r.wall:.1f}x its"
            f" process, {ours.cpu / fast_r.cpu:.1f}x in CPU; target ≤ 2x); {_load()}"
        )
        xlsx.unlink()

        for n in [int(x) for x in args.csv_rows.split(",") if x]:
            usage = work / f"usage_{n}.csv"
            costs = work / f"costs_{n}.csv"
            _check(_once(_case("make_csv", str(usage), str(n))), "make_csv")
            tickets = work / f"tickets_{n}.csv"
            _check(_once(_case("make_costs_csv", str(costs), str(n))), "make_costs_csv")
            _check(_once(_case("make_tickets_csv", str(tickets), str(n))), "make_tickets_csv")
            kinds = (
                ("usage", usage, "usage"),
                ("cost ledger", costs, "costs"),
                ("help-desk tickets", tickets, "incidents"),
            )
            clean_runs: dict[str, Run] = {}
            for label, path, ds in kinds:
                new_files = [str(work / f"d{ds}{n}.{i}.duckdb") for i in range(rep)]  # DuckDB makes its own file
                duck = _median(rep, [_case("duckdb_read_csv", str(path), d) for d in new_files])
                _check(duck, "duckdb")
                stores = fresh(f"c{ds}{n}")
                mine = _median(rep, [_cli("import", str(path), "--dataset", ds, "--db", d) for d in stores])
                _check(mine, f"{label} import")
                clean_runs[ds] = mine
                if path.stat().st_size > _bulk_bytes():
                    _bulk_stored(stores[0], ds)
                lines += [
                    _row(f"csv {label}: DuckDB `read_csv` into a table", n, duck),
                    _row(f"csv {label}: cockpit CLI import", n, mine),
                ]
                assert duck.work is not None
                ratios.append(
                    f"csv {label} {n:,} rows: cockpit CLI takes {mine.wall / duck.work:.2f}x DuckDB's read_csv"
                    f" ({mine.wall / duck.wall:.2f}x its process, {mine.cpu / duck.cpu:.2f}x in CPU; target ≤ 1.5x);"
                    f" {_load()}"
                )
            # one bad last row: a rule breach (more active than eligible), a value that is not a number, a ticket's
            # time the rules refuse (a one-digit minute), an unknown stage and required values missing
            for label, ds, source, kind, line in (
                ("usage", "usage", usage, "rule breach", "2031-01-06,科室1,SYS1,999,150"),
                ("usage", "usage", usage, "not a number", "2031-01-06,科室1,SYS1,abc,150"),
                ("usage", "usage", usage, "a department missing", "2031-01-06,,SYS1,10,150"),
                ("cost ledger", "costs", costs, "an unknown stage", "2025-01-06,项目1,类别1,厂商1,100,待定,HT-9,坏"),
                ("cost ledger", "costs", costs, "a project missing", "2025-01-06,,类别1,厂商1,100,已开票,HT-9,坏"),
                ("help-desk tickets", "incidents", tickets, "a time the rules refuse",
                 "INC99999999,SYS1,科室1,P1,2031-01-06 8:5,,,类别1,坏"),
                ("help-desk tickets", "incidents", tickets, "a system missing",
                 "INC99999999,,科室1,P1,2031-01-06 08:05,,,类别1,坏"),
            ):  # fmt: skip
                clean = clean_runs[ds]
                bad = work / f"bad_{n}.csv"
                _check(_once(_case("with_bad_row", str(source), str(bad), line)), "with_bad_row")
                r = _median(rep, [_cli("import", str(bad), "--dataset", ds, "--db", d) for d in fresh(f"b{ds}{n}")])
                _check(r, f"bad row ({kind})", code=1)
                if f"行 {n + 2}" not in r.out:
                    raise SystemExit(f"the bad row {n + 2} was not reported:\n{r.out[-2000:]}")
                lines.append(_row(f"csv {label} with one bad last row ({kind}), reported by row", n + 1, r))
                ratios.append(
                    f"csv {label} {n:,} rows, one bad last row ({kind}): {r.wall / clean.wall:.2f}x the clean file's"
                    f" wall time, {r.cpu / clean.cpu:.2f}x its CPU (target ≤ 1.5x)"
                )
                bad.unlink()
            # over the row limit: the limit at a tenth of the file, the file once and three times over
            limit = max(1, n // 10)
            big = work / f"usage_{3 * n}.csv"
            _check(_once(_case("make_csv", str(big), str(3 * n))), "make_csv")
            for path, rows in ((usage, n), (big, 3 * n)):
                r = _median(
                    rep,
                    [_cli("import", str(path), "--dataset", "usage", "--db", d) for d in fresh(f"l{rows}")],
                    env={"COCKPIT_MAX_ROWS": str(limit)},
                )
                _check(r, "over the limit", code=1)
                lines.append(_row(f"csv usage over a row limit of {limit:,}: refused", rows, r))
            ratios.append(f"over the row limit of {limit:,}: refused as fast whatever the file's size (rows above)")
            for p in (usage, costs, tickets, big):
                p.unlink()
    print("\n".join(lines))
    print()
    print("\n".join(f"- {r}" for r in ratios))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
