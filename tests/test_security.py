"""Each hole a visitor could use, reproduced as an attack that now fails: a forged Host header (DNS rebinding),
/_stcore/metrics, demo mode off loopback, world-readable store files, the shared upload folder and its symlink,
upload quotas, a planted column mapping, an .xlsm's macro project kept, NUL in names and cells."""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pytest

from auth import audit, guard
from loaders import importer, store, uploads
from loaders.errors import StoreUnavailable
from metrics import export
from tests.conftest import ROOT, app_test, as_role, copy_store
from tests.test_browser import free_port
from tests.test_data_page import LEDGER, PENDING, csv_bytes, open_data, upload

# ------------------------------------------------------------------ the Host header and the metrics endpoint


def test_host_check() -> None:
    hosts = ("localhost", "127.0.0.1", "::1", "cockpit.hospital.org", "*.intra.hospital.org")
    for ok in (
        "localhost",
        "localhost:8501",
        "127.0.0.1:8501",
        "[::1]:8501",
        "cockpit.hospital.org.",
        "a.intra.hospital.org",
    ):
        assert guard.host_allowed(ok, hosts), ok
    for bad in (None, "", "evil.example", "evil.example:8501", "localhost.evil.example", "localhost@evil.example",
                "localhost:80/x", "localhost:abc", "intra.hospital.org.evil", "[::2]:1", "127.0.0.1 evil"):  # fmt: skip
        assert not guard.host_allowed(bad, hosts), bad


def test_allowed_hosts_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_ALLOWED_HOSTS", "cockpit.hospital.org, *.intra.hospital.org")
    assert guard.allowed_hosts() == ("localhost", "127.0.0.1", "::1", "cockpit.hospital.org", "*.intra.hospital.org")
    assert guard.host_allowed("cockpit.hospital.org:443") and not guard.host_allowed("rebind.attacker.net")


def test_loopback_and_demo_refusal() -> None:
    assert guard.is_loopback("localhost") and guard.is_loopback("127.0.0.1") and guard.is_loopback("::1")
    assert not guard.is_loopback("0.0.0.0") and not guard.is_loopback("") and not guard.is_loopback(None)
    assert not guard.is_loopback("10.1.2.3")
    assert guard.demo_refusal("10.1.2.3", demo=True) and guard.demo_refusal(None, demo=True)
    assert guard.demo_refusal("10.1.2.3", demo=False) is None and guard.demo_refusal("127.0.0.1", demo=True) is None


@contextlib.contextmanager
def serve_guarded(db: Path, workdir: Path, address: str = "127.0.0.1") -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    log = (workdir / f"server-{port}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", address, "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "COCKPIT_DB": str(db)}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        yield port, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        log.close()


def request(port: int, path: str, host: str, headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        return conn.getresponse().status
    finally:
        conn.close()


def wait_healthy(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return
        time.sleep(0.3)
    pytest.fail("no health within 60 s")


def test_served_app_refuses_forged_hosts_and_metrics(demo_template: Path, tmp_path: Path) -> None:
    db = copy_store(demo_template, tmp_path)
    os.chmod(db, 0o644)  # as DuckDB leaves a new store under the usual umask
    with serve_guarded(db, tmp_path) as (port, proc):
        wait_healthy(port, proc)
        assert request(port, "/", "localhost") == 200
        # DNS rebinding: the browser talks to our address but says the attacker's host name
        assert request(port, "/", "rebind.attacker.net") == 403
        assert request(port, "/_stcore/health", f"rebind.attacker.net:{port}") == 403
        upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                   "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "http://rebind.attacker.net"}  # fmt: skip
        assert request(port, "/_stcore/stream", "rebind.attacker.net", upgrade) == 403
        assert request(port, "/_stcore/metrics", "localhost") == 404
        assert request(port, "/_stcore/metrics", "127.0.0.1") == 404
        assert stat.S_IMODE(db.stat().st_mode) == 0o600  # made private at start-up


def test_demo_mode_refuses_to_serve_beyond_loopback(tmp_path: Path) -> None:
    db = tmp_path / "cockpit.duckdb"
    store.open_store(db).close()
    with serve_guarded(db, tmp_path, address="0.0.0.0") as (_port, proc):
        assert proc.wait(60) != 0
    log = next(tmp_path.glob("server-*.log")).read_text()
    assert "Demo mode (no sign-in configured) serves loopback only" in log


# ------------------------------------------------------------------ upload copies


def test_uploads_live_in_a_private_folder_beside_the_store(tmp_path: Path) -> None:
    db = tmp_path / "store" / "cockpit.duckdb"
    db.parent.mkdir()
    path = uploads.tmp_copy(b"abc", ".csv", owner="s1", db_file=db)
    assert path.parent == db.parent / ".uploads"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert uploads.usage("s1", db) == (1, 3) and uploads.usage("s2", db) == (0, 0)


def test_symlinked_upload_folder_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    os.utime(victim / "precious.txt", (0, 0))  # old enough for any sweep
    db = tmp_path / "cockpit.duckdb"
    (tmp_path / ".uploads").symlink_to(victim)
    with pytest.raises(StoreUnavailable, match="symlink"):
        uploads.tmp_copy(b"x", ".csv", owner="s1", db_file=db)
    assert (victim / "precious.txt").read_text() == "keep me"


def test_planted_symlink_inside_the_folder_is_unlinked_never_followed(tmp_path: Path) -> None:
    db = tmp_path / "cockpit.duckdb"
    folder = uploads.upload_dir(db)
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    os.utime(target, (0, 0))
    (folder / ("s1~" + "0" * 32 + ".csv")).symlink_to(target)
    uploads.tmp_copy(b"x", ".csv", owner="s2", db_file=db)  # every copy sweeps first
    assert target.read_text() == "keep me"
    assert not any(p.is_symlink() for p in folder.iterdir())


def test_copies_of_ended_sessions_and_old_copies_are_removed(tmp_path: Path) -> None:
    db = tmp_path / "cockpit.duckdb"
    mine = uploads.tmp_copy(b"x", ".csv", owner="alive", db_file=db)
    gone = uploads.tmp_copy(b"x", ".csv", owner="ended", db_file=db)
    old = uploads.tmp_copy(b"x", ".csv", owner="alive", db_file=db)
    os.utime(old, (time.time() - 3601, time.time() - 3601))
    removed = uploads.sweep(uploads.upload_dir(db), alive=lambda owner: owner == "alive")
    assert removed == 2 and mine.exists() and not gone.exists() and not old.exists()


def test_upload_quota_per_session(empty_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_UPLOAD_FILES", "2")
    at = open_data(empty_db, "en")
    at.session_state[PENDING] = [(f"ledger{i}.csv", csv_bytes(LEDGER)) for i in range(3)]
    at.run()
    assert not at.exception
    assert any("upload limit is reached" in w.value for w in at.warning)
    assert len(list((empty_db.parent / ".uploads").iterdir())) == 2
    monkeypatch.setenv("COCKPIT_UPLOAD_FILES", "20")
    monkeypatch.setenv("COCKPIT_UPLOAD_MB", "0.0001")  # 100 bytes
    upload(at, "big.csv", csv_bytes(LEDGER) * 10)
    assert any("upload limit is reached" in w.value for w in at.warning)


# ------------------------------------------------------------------ mappings, originals, NUL


def test_planted_mapping_is_warned_and_only_the_pmo_saves(empty_db: Path) -> None:
    # An attacker's mapping for this export: the amount column ignored, an internal number stored as the amount.
    ledger = [["日期", "项目名称", "费用类别", "金额", "付款状态", "内部编号"]] + [
        [f"2026/1/{d}", "HIS", "硬件", str(100 * d), "已付款", str(900000 + d)] for d in range(5, 9)
    ]
    path = empty_db.parent / "ledger.csv"
    path.write_bytes(csv_bytes(ledger))
    con = store.open_store(empty_db)
    try:
        prep = importer.prepare(path, display_name="ledger.csv", con=con)[0]
        planted = {c.header: (c.field or "") for c in prep.columns} | {"金额": "", "内部编号": "amount"}
        importer.save_mapping(con, prep.signature, prep.dataset, planted)
    finally:
        con.close()
    at = upload(open_data(empty_db, "en"), "ledger.csv", csv_bytes(ledger))
    assert not at.exception
    warned = [w.value for w in at.warning if "saved column mapping overrides" in w.value]
    assert warned and "金额 → — (amount)" in warned[0]
    # Not the PMO: the data page (and its mapping checkbox) does not exist for the role.
    finance = app_test(empty_db, "en", as_role("finance")).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        finance.switch_page("pages/data.py")


def _xlsm_bytes() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "费用"
    for row in [["日期", "项目名称", "费用类别", "金额", "付款状态"], ["2026/1/5", "HIS", "硬件", "100", "已付款"]]:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                )
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"'
                    b' Target="vbaProject.bin"/></Relationships>',
                )
            z.writestr(info, data)
        z.writestr("xl/vbaProject.bin", b'\xd0\xcf\x11\xe0 Attribute VB_Name = "Evil" Shell("calc")')
    return out.getvalue()


def test_xlsm_original_is_kept_without_macros_and_private(empty_db: Path) -> None:
    path = empty_db.parent / "ledger.xlsm"
    path.write_bytes(_xlsm_bytes())
    con = store.open_store(empty_db)
    try:
        res = importer.import_file(con, path, dataset="costs")
        assert [r.status for r in res] == ["loaded"], [r.message for r in res]
        kept = Path(str(con.execute("SELECT stored_file FROM import_log WHERE status = 'loaded'").fetchone()[0]))  # type: ignore[index]
    finally:
        con.close()
    with zipfile.ZipFile(kept) as z:
        names = z.namelist()
        assert not [n for n in names if "vba" in n.lower()]
        assert b"vbaProject" not in z.read("[Content_Types].xml") + z.read("xl/_rels/workbook.xml.rels")
    assert openpyxl.load_workbook(kept)["费用"]["B2"].value == "HIS"  # still a workbook with the values
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert (
        stat.S_IMODE(kept.parent.stat().st_mode) == 0o700 and stat.S_IMODE(kept.parent.parent.stat().st_mode) == 0o700
    )


def test_nul_file_name_does_not_break_the_data_page(empty_db: Path) -> None:
    at = upload(open_data(empty_db, "en"), "led\x00ger.csv", csv_bytes(LEDGER))
    assert not at.exception
    assert not any("\x00" in m.value for m in at.markdown)
    at.run()  # and the session goes on
    assert not at.exception


def test_nul_from_x0000_never_reaches_the_store_or_exports(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "风险"
    ws.append(["风险编号", "项目", "风险描述", "可能性", "影响"])
    ws.append(["R1", "EMR", "PLACEHOLDER", 3, 4])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    path = tmp_path / "risks.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for info in src.infolist():
            z.writestr(info, src.read(info.filename).replace(b"PLACEHOLDER", b"a_x0000_b"))
    con = store.memory_store()
    assert [r.status for r in importer.import_file(con, path, dataset="risks", project="EMR")] == ["loaded"]
    title = con.execute("SELECT title FROM risks").fetchone()
    assert title == ("ab",)
    assert b"\x00" not in export.to_csv(con.execute("SELECT * FROM risks").df())


# ------------------------------------------------------------------ the audit trail of the data page


def test_import_and_mapping_are_audited_as_the_signed_in_person(empty_db: Path) -> None:
    at = app_test(empty_db, "en", as_role("pmo", user="wang.pmo")).run()
    at.switch_page("pages/data.py").run()
    upload(at, "ledger.csv", csv_bytes(LEDGER))
    at.selectbox(key="data_map_1_3").set_value("amount")
    at.button(key="data_apply_1").click().run()
    at.checkbox(key="data_remember_1").check()
    at.button(key="data_load_1").click().run()
    assert not at.exception
    con = duckdb.connect(str(empty_db))
    try:
        events = audit.log(con)[["who", "event", "subject", "result"]].values.tolist()
        by = con.execute("SELECT imported_by FROM import_log WHERE status = 'loaded'").fetchall()
    finally:
        con.close()
    assert events[:2] == [["wang.pmo", "import", "ledger.csv", "loaded"], ["wang.pmo", "mapping", "ledger.csv", "ok"]]
    assert by == [("wang.pmo",)]


def test_server_config_keeps_xsrf_on_and_binds_loopback() -> None:
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["address"] == "localhost"
    assert config["client"]["showErrorDetails"] == "none"
