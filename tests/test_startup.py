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


def test_an_xlsx_import_imports_no_dataframe_library(tmp_path: Path) -> None:
    """A big .xlsx goes fastexcel -> DuckDB (Arrow PyCapsule) -> staging -> store: no pandas, pyarrow or numpy.
    `STAGE_ROWS` is lowered so a small sheet takes the big sheet's path."""
    import openpyxl

    path = tmp_path / "ledger.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "费用台账"
    ws.append(["合同台账(单位：元)"])  # a merged title above the header: it changes nothing staged
    ws.merge_cells("A1:E1")
    ws.append(["日期", "项目名称", "费用类别", "金额(元)", "付款状态"])
    for i in range(40):
        ws.append([f"2025-01-{1 + i % 28:02d}", "HIS", f"类别{i % 3}", 100 + i, "已付款"])
    wb.save(path)
    script = (
        "from loaders import importer, store\n"
        "importer.STAGE_ROWS = 5\n"
        "con = store.memory_store()\n"
        f"(r,) = importer.import_file(con, {str(path)!r}, dataset='costs')\n"
        "assert (r.status, r.rows) == ('loaded', 40), (r.status, r.message, r.problems)\n"
        "assert con.execute('SELECT count(*), sum(amount), min(row_no) FROM cost_rows').fetchone() == (40, 4780.0, 3)\n"
    )
    names = _imported("-c", script)
    loaded = {n.split(".")[0] for n in names}
    assert "fastexcel" in loaded
    assert not loaded & {"pandas", "pyarrow", "numpy"}, sorted(loaded & {"pandas", "pyarrow", "numpy"})
