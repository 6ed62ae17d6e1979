"""Faults at the process level: a SIGKILL before COMMIT leaves the old data; after COMMIT the new data survives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl

from loaders import importer, store

ROOT = Path(__file__).resolve().parents[1]


def _plan(path: Path, rows: int) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["标识号", "任务名称", "开始时间", "完成时间"])
    for i in range(1, rows + 1):
        ws.append([i, f"任务{i}", "2026-01-05", "2026-01-09"])
    wb.save(path)
    return path


def _run_and_kill(db: Path, plan: Path, when: str) -> None:
    """Import in a child process that stops at `when` ('insert' or 'commit'); the parent kills it with SIGKILL."""
    code = textwrap.dedent(
        f"""
        import sys, time
        from loaders import importer, store
        con = store.open_store({str(db)!r})
        (prep,) = importer.prepare({str(plan)!r}, project="HIS")
        def progress(done, total):
            if {when!r} == "insert" and done == total:
                print("inserted", flush=True)
                time.sleep(60)
        importer.commit(con, prep, progress=progress)
        print("committed", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE)
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    assert line == (b"inserted" if when == "insert" else b"committed")
    os.kill(child.pid, signal.SIGKILL)
    child.wait()


def test_kill_before_commit_keeps_the_old_data(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    con = store.open_store(db)
    importer.import_file(con, _plan(tmp_path / "EMR_计划.xlsx", 3))
    con.close()
    _run_and_kill(db, _plan(tmp_path / "HIS_计划.xlsx", 50), "insert")
    con = store.open_store(db)
    assert con.execute("SELECT project, count(*) FROM tasks GROUP BY ALL").fetchall() == [("EMR", 3)]
    assert con.execute("SELECT count(*) FROM task_rows").fetchone() == (3,)
    assert con.execute("SELECT count(*) FROM import_log WHERE status = 'loaded'").fetchone() == (1,)


def test_kill_after_commit_keeps_the_new_data(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    store.open_store(db).close()
    _run_and_kill(db, _plan(tmp_path / "HIS_计划.xlsx", 50), "commit")
    con = store.open_store(db)
    assert con.execute("SELECT project, count(*) FROM tasks GROUP BY ALL").fetchall() == [("HIS", 50)]
    assert con.execute("SELECT status FROM imports").fetchall() == [("loaded",)]
