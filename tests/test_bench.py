"""`make bench` still runs: every case on tiny inputs, one run each."""

from __future__ import annotations

import pytest

from bench.__main__ import main


def test_bench_runs_every_import_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "--xlsx-rows",
                "300",
                "--csv-rows",
                "3000",
                "--skip-adoption",
                "--skip-schedule",
                "--skip-overview",
                "--skip-operations",
                "--repeat",
                "1",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "| xlsx: cockpit CLI import (preflight, read, map, coerce, validate, commit) | 300 |" in out
    assert "| csv usage: cockpit CLI import | 3,000 |" in out
    assert "| csv cost ledger: cockpit CLI import | 3,000 |" in out
    assert "| csv help-desk tickets: cockpit CLI import | 3,000 |" in out
    assert "| csv usage with one bad last row (not a number), reported by row | 3,001 |" in out
    assert "| csv help-desk tickets with one bad last row (a time the rules refuse), reported by row | 3,001 |" in out
    assert "| csv help-desk tickets with one bad last row (a system missing), reported by row | 3,001 |" in out
    assert "| csv cost ledger with one bad last row (an unknown stage), reported by row | 3,001 |" in out
    assert "| csv usage over a row limit of 300: refused | 9,000 |" in out
    assert "faster than pandas.read_excel" in out and "DuckDB's read_csv" in out and "raw fastexcel" in out


def test_schedule_bench_runs_on_a_small_plan(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import schedule_bench

    assert schedule_bench.main(["--tasks", "200", "--links", "240", "--iterations", "200", "--skip-import"]) == 0
    out = capsys.readouterr().out
    assert "| CPM (forward + backward pass, floats, notes) | 200 tasks / 240 links |" in out
    assert "| Monte Carlo finish forecast | 200 iterations x 200 tasks |" in out


def test_overview_bench_runs_on_a_small_store(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import overview_bench

    overview_bench.main(["--rows", "20000"])  # the budgets are for 10M rows; here only that every case runs
    out = capsys.readouterr().out
    assert "| overview warm rerun | 20,000 |" in out
    assert "| overview first run after a data change, once warmed | 20,000 |" in out
    assert "| brief for one week (PDF + Excel + PPTX" in out


def test_operations_bench_runs_on_a_small_store(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import operations_bench

    assert operations_bench.main(["--rows", "5000", "--runs", "1"]) == 0  # the 200 ms target is for 1M tickets
    out = capsys.readouterr().out
    assert "| operations query (5,000 tickets) | warm wall ms | CPU ms | target |" in out
    for label, _ in operations_bench.queries():
        assert f"| {label} |" in out


@pytest.mark.timeout(1200)
def test_pages_bench_serves_the_group_store_beside_the_embedded_one(capfd: pytest.CaptureFixture[str]) -> None:
    """`pages_bench --group` on a tiny store: the same store built in a DuckLake group store (a private PostgreSQL
    on a loopback port) and served by the group edition's Python, its row and ratio printed beside the embedded."""
    from bench import pages_bench

    if not pages_bench.CHROMIUM.exists():
        pytest.skip("Chromium not installed: the pages bench needs it (browser tests are skipped too)")
    python = pages_bench.group_python()
    assert python, "the group edition's environment is missing: `make group-venv` (make test builds it)"
    argv = ["--skip-demo", "--scale", "0.0001", "--repeat", "1", "--pages", "money", "--group"]
    assert pages_bench.main(argv) == 0
    out = capfd.readouterr().out  # the group store is built in a subprocess
    assert "built the large store (scale 0.0001) in" in out and "-> ducklake:postgres:" in out
    assert "| large | money |" in out and "| group | money |" in out
    assert "server memory with five sessions (group store):" in out
    assert "group store ÷ embedded file" in out
    assert "reference, a one-title Streamlit app served and viewed the same way: first view" in out
    row = next(line for line in out.splitlines() if line.startswith("| large | money |"))
    assert row.split(" | ")[6].count("× / ") == 2, row  # first view, returning browser, rerun against the reference
    ratio = next(line for line in out.splitlines() if line.startswith("| money | ") and "×" in line)
    differing = "\n".join(line for line in out.splitlines() if line.startswith("  money: "))
    assert ratio.endswith("| same |"), f"{ratio}\n{differing}"  # the money page shows the same text on both stores
    assert "SHOWS AN ERROR" not in out
