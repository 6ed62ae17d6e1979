"""`make bench` still runs: every case on tiny inputs, one run each."""

from __future__ import annotations

import pytest

from bench.__main__ import main


def test_bench_runs_every_import_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["--xlsx-rows", "300", "--csv-rows", "3000", "--skip-adoption", "--skip-schedule", "--repeat", "1"]) == 0
    )
    out = capsys.readouterr().out
    assert "xlsx: cockpit import | 300 |" in out
    assert "csv 3,000: cockpit import | 3,000 |" in out
    assert "faster than pandas.read_excel" in out and "DuckDB's read_csv" in out


def test_schedule_bench_runs_on_a_small_plan(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import schedule_bench

    assert schedule_bench.main(["--tasks", "200", "--links", "240", "--iterations", "200", "--skip-import"]) == 0
    out = capsys.readouterr().out
    assert "| CPM (forward + backward pass, floats, notes) | 200 tasks / 240 links |" in out
    assert "| Monte Carlo finish forecast | 200 iterations x 200 tasks |" in out
