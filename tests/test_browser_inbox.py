"""Scheduled imports while a browser session is open: a file dropped in the inbox and a file given to the CLI both
land while the app serves, and the open page shows the new projects on its next rerun (no reload)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from loaders.store import inbox
from tests.conftest import ROOT, copy_store
from tests.test_browser import CHROMIUM, assert_no_errors, browser, serve, settle, shot

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with tests/test_browser.py

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed: browser tests skipped"),
]


def plan(path: Path, project: str) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["项目", "任务名称", "开始时间", "完成时间", "完成百分比"])
    ws.append([project, "需求调研", date(2026, 10, 1), date(2026, 10, 20), 100])
    ws.append([project, "系统上线", date(2026, 11, 1), date(2026, 12, 20), 30])
    wb.save(path)
    return path


@pytest.fixture
def served(demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    monkeypatch.setenv("COCKPIT_INBOX_POLL", "0.5")
    monkeypatch.setenv("COCKPIT_INBOX_SETTLE", "0.5")
    db = copy_store(demo_template, tmp_path)
    with serve(db, tmp_path) as url:
        yield url, db


def boxes_named(tab: object, name: str) -> int:
    return int(tab.locator('[data-testid="stMain"] h3', has_text=name).count())  # type: ignore[attr-defined]


def rerun(tab: object) -> None:
    """The open page reruns (Streamlit's R shortcut), as it does on any click: same session, no reload."""
    tab.locator('[data-testid="stMain"] h1').first.click()  # type: ignore[attr-defined]
    tab.keyboard.press("r")  # type: ignore[attr-defined]
    settle(tab)


def test_inbox_and_cli_imports_land_while_a_page_is_open(
    browser: object, served: tuple[str, Path], tmp_path: Path
) -> None:
    url, db = served
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")  # type: ignore[attr-defined]
    try:
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        tab.goto(f"{url}/?lang=zh")
        settle(tab)
        before = int(tab.locator('[data-testid="stMain"] h3').count())
        assert boxes_named(tab, "测试院区甲") == 0
        folder = inbox.inbox_dir(db)
        deadline = time.monotonic() + 60
        while inbox.worker_alive(folder) is None and time.monotonic() < deadline:
            time.sleep(0.2)  # the app's worker beats once it has opened the store
        assert inbox.worker_alive(folder) is not None

        # 1. an export job drops a plan into the inbox
        staged = plan(tmp_path / "测试院区甲计划.xlsx", "测试院区甲")
        os.replace(staged, folder / staged.name)
        deadline = time.monotonic() + 90
        while not list((folder / "done").glob("*测试院区甲计划.xlsx.result.json")) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert list((folder / "done").glob("*测试院区甲计划.xlsx.result.json")), list(folder.rglob("*"))
        rerun(tab)
        tab.wait_for_function("document.querySelectorAll('[data-testid=\"stMain\"] h3').length > " + str(before))
        assert boxes_named(tab, "测试院区甲") > 0
        assert_no_errors(tab, "overview after the inbox import")

        # 2. the weekly cron job runs the CLI while the app holds the store: handed over, waited for, exit 0
        cli_plan = plan(tmp_path / "测试院区乙计划.xlsx", "测试院区乙")
        done = subprocess.run(
            [sys.executable, "-m", "loaders", "--db", str(db), "import", "--wait", "120", str(cli_plan)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ},
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "文件已交给收件箱" in done.stdout and "tasks loaded, 2 rows" in done.stdout
        rerun(tab)
        tab.wait_for_function("document.querySelectorAll('[data-testid=\"stMain\"] h3').length > " + str(before + 1))
        assert boxes_named(tab, "测试院区乙") > 0 and boxes_named(tab, "测试院区甲") > 0
        assert_no_errors(tab, "overview after the CLI import")
        shot(tab, "overview_after_scheduled_imports")
    finally:
        context.close()
