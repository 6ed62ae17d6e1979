"""The command line starts without the heavy libraries: `python -m loaders --help` imports no DuckDB, pandas,
pyarrow, numpy, openpyxl or plotly, and the importer module itself no pandas/pyarrow/numpy (a big clean CSV on
the bulk path never needs them). Checked from `python -X importtime`, never by timing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "pyarrow", "numpy", "openpyxl", "plotly", "fastexcel", "streamlit")


def _imported(*args: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    names = set()
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert names, "python -X importtime printed nothing"
    return names


def test_help_imports_no_heavy_module() -> None:
    names = _imported("-m", "loaders", "--help")
    assert "loaders.datasets" in names  # the dataset choices are listed
    loaded = {n.split(".")[0] for n in names}
    assert not loaded & {*HEAVY, "duckdb"}, sorted(loaded & {*HEAVY, "duckdb"})


def test_importer_module_imports_no_dataframe_library() -> None:
    names = _imported("-c", "import loaders.importer, loaders.store.writes, loaders.bulk")
    loaded = {n.split(".")[0] for n in names}
    assert "duckdb" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
