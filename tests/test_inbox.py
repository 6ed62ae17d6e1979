"""The inbox: files dropped beside the store are imported one at a time by the running app's worker, filed under
done/ or refused/ with a report; the CLI hands files to it when the app holds the store (--wait: the outcome)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from loaders import store
from loaders.__main__ import main
from loaders.store import inbox
from tests.conftest import ROOT

USAGE_HEADER = ["月份", "科室", "系统", "活跃用户数", "应使用人数"]


def usage_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(USAGE_HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_a_dropped_file_is_imported_and_filed_with_its_report(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    con = store.open_store(db)
    folder = inbox.inbox_dir(db)
    assert folder == tmp_path / "inbox"
    folder.mkdir()
    usage_xlsx(
        folder / "EMR使用_2026-02.xlsx", [["2026-02", "心内科", "EMR", 40, 50], ["2026-02", "骨科", "EMR", 9, 10]]
    )
    (folder / "半截文件.xlsx.part").write_bytes(b"PK")  # still being written: left alone
    bad = folder / "不是表格.xlsx"
    bad.write_bytes(b"this is not a spreadsheet")
    old = time.time() - 60
    for p in folder.iterdir():
        os.utime(p, (old, old))
    ready = inbox.waiting(folder)
    assert {p.name for p in ready} == {"EMR使用_2026-02.xlsx", "不是表格.xlsx"}
    outcomes = [inbox.import_one(con, p, folder) for p in ready]
    assert all(o is not None for o in outcomes)
    by_name = {o.file_name: o for o in outcomes if o is not None}
    good, refused = by_name["EMR使用_2026-02.xlsx"], by_name["不是表格.xlsx"]
    assert good.ok and not refused.ok
    assert good.moved_to is not None and good.moved_to.parent == folder / "done"
    assert refused.moved_to is not None and refused.moved_to.parent == folder / "refused"
    report = (folder / "done" / f"{good.moved_to.name}.report.txt").read_text(encoding="utf-8")
    assert "已导入 / loaded" in report and "usage loaded, 2 rows" in report
    why = (folder / "refused" / f"{refused.moved_to.name}.report.txt").read_text(encoding="utf-8")
    assert "未导入 / refused" in why and "不是表格.xlsx" in why
    assert (folder / "半截文件.xlsx.part").exists()
    assert con.execute("SELECT sum(active_users) FROM usage").fetchone() == (49,)
    hist = con.execute("SELECT file_name, status, imported_by, via FROM imports ORDER BY import_id").fetchall()
    assert ("EMR使用_2026-02.xlsx", "loaded", inbox.INBOX_USER, "inbox") in hist
    assert any(h[0] == "不是表格.xlsx" and h[1] == "refused" and h[2] == inbox.INBOX_USER for h in hist)


def test_a_file_still_being_written_waits_until_it_settles(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    usage_xlsx(folder / "u.xlsx", [["2026-02", "心内科", "EMR", 40, 50]])
    assert inbox.waiting(folder, settle=30) == []
    assert [p.name for p in inbox.waiting(folder, settle=0)] == ["u.xlsx"]


APP_LIKE = """
import sys, time
from pathlib import Path
from loaders import store
from loaders.store import inbox
con = store.open_store(sys.argv[1])
w = inbox.start(con, inbox.inbox_dir(sys.argv[1]))
deadline = time.monotonic() + 60
while inbox.worker_alive(inbox.inbox_dir(sys.argv[1])) is None:  # its first heartbeat, written by its thread
    assert time.monotonic() < deadline, "no heartbeat"
    time.sleep(0.02)
print("serving", flush=True)
time.sleep(120)
"""


@pytest.fixture
def held_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, subprocess.Popen[str]]:
    """A process that holds the store and runs the inbox worker, as the dashboard does."""
    monkeypatch.setenv("COCKPIT_INBOX_SETTLE", "0.2")
    monkeypatch.setenv("COCKPIT_INBOX_POLL", "0.2")
    db = tmp_path / "s.duckdb"
    store.open_store(db).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", APP_LIKE, str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "serving"
    yield db, proc  # type: ignore[misc]
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)


def test_the_cli_hands_files_to_the_running_app_and_waits(
    held_store: tuple[Path, subprocess.Popen[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, proc = held_store
    good = usage_xlsx(tmp_path / "EMR使用_2026-03.xlsx", [["2026-03", "心内科", "EMR", 41, 50]])
    assert main(["--db", str(db), "import", "--wait", "60", "--user", "王工", str(good)]) == 0
    out = capsys.readouterr().out
    assert "文件已交给收件箱" in out and "OK EMR使用_2026-03.xlsx [Sheet]: usage loaded, 1 rows" in out
    bad = tmp_path / "坏文件.csv"
    bad.write_bytes(b"\x00\x01\x02 not a table")
    assert main(["--db", str(db), "import", "--wait", "60", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "XX 坏文件.csv" in out
    # without --wait: handed over, exit 0, the outcome lands later
    later = usage_xlsx(tmp_path / "EMR使用_2026-04.xlsx", [["2026-04", "心内科", "EMR", 43, 50]])
    assert main(["--db", str(db), "import", str(later)]) == 0
    folder = inbox.inbox_dir(db)
    deadline = time.monotonic() + 60
    while not list((folder / "done").glob("*EMR使用_2026-04.xlsx.result.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    (result,) = (folder / "done").glob("*EMR使用_2026-04.xlsx.result.json")
    assert json.loads(result.read_text(encoding="utf-8"))["ok"] is True
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(15)
    con = store.open_store(db)
    hist = con.execute("SELECT file_name, status, imported_by, via FROM imports ORDER BY import_id").fetchall()
    assert ("EMR使用_2026-03.xlsx", "loaded", f"王工 ({inbox.INBOX_USER})", "inbox") in hist
    rows = con.execute("SELECT strftime(period, '%Y-%m'), active_users FROM usage ORDER BY period").fetchall()
    assert rows == [("2026-03", 41), ("2026-04", 43)]


def test_without_an_app_the_lock_message_names_the_holder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.duckdb"
    store.open_store(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"ok"
        f = usage_xlsx(tmp_path / "u.xlsx", [["2026-02", "心内科", "EMR", 40, 50]])
        assert main(["--db", str(db), "import", str(f)]) == 1
        err = capsys.readouterr().err
        assert f"PID {holder.pid}" in err and "另一个程序" in err and "收件箱" not in err
    finally:
        holder.kill()
        holder.wait()


def test_two_replicas_on_one_inbox_import_a_file_once(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    con = store.open_store(db)
    folder = inbox.inbox_dir(db)
    folder.mkdir()
    path = usage_xlsx(folder / "u.xlsx", [["2026-02", "心内科", "EMR", 40, 50]])
    # another replica claimed it a moment ago: this one finds nothing to do
    other = folder / ".work.1.u.xlsx"
    os.rename(path, other)
    assert inbox.import_one(con, path, folder) is None
    assert con.execute("SELECT count(*) FROM usage").fetchone() == (0,)
    # that replica died mid-import (pid 1 is never ours to claim with): its claim goes back to the inbox
    os.rename(other, folder / ".work.999999999.u.xlsx")
    assert inbox.release_stale_claims(folder) == 1
    assert (folder / "u.xlsx").exists()
    out = inbox.import_one(con, folder / "u.xlsx", folder)
    assert out is not None and out.ok
    assert con.execute("SELECT count(*) FROM usage").fetchone() == (1,)
    assert not [p for p in folder.iterdir() if p.name.startswith(".work.")]


@pytest.mark.parametrize("word", ["off", "OFF", "0", "false", "no", "none", " Off "])
def test_the_words_for_off_turn_the_inbox_off_and_name_no_folder(
    word: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COCKPIT_INBOX", word)
    monkeypatch.chdir(tmp_path)
    assert not inbox.enabled()
    assert inbox.inbox_dir(tmp_path / "s.duckdb") == tmp_path / "inbox"  # the default place, not a folder "0"
    assert list(tmp_path.iterdir()) == []


def test_a_configured_inbox_folder_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_INBOX", str(tmp_path / "drop"))
    assert inbox.enabled()
    assert inbox.inbox_dir(tmp_path / "s.duckdb") == tmp_path / "drop"
