"""`make bench` still runs: every case on tiny inputs, one run each."""

from __future__ import annotations

import pytest

from bench.__main__ import main


def test_bench_runs_every_import_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--xlsx-rows", "300", "--csv-rows", "3000", "--skip-adoption", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "xlsx: cockpit import | 300 |" in out
    assert "csv 3,000: cockpit import | 3,000 |" in out
    assert "faster than pandas.read_excel" in out and "DuckDB's read_csv" in out
