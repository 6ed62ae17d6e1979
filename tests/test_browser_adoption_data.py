"""A real browser on the adoption and data pages (one served app for the module, Debian's headless Chromium):
changing the system re-ranks the departments as metrics.adoption.usage_ranking does, and a real file uploaded
through the data page's file picker is previewed, loaded, and listed in the import history.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from metrics import adoption as m
from tests import test_browser
from tests.conftest import ROOT
from tests.test_browser import CHROMIUM, assert_no_errors, settle, shot
from tests.test_pages_adoption import page_scope, text

# The browser test's fixtures, collected here too: one server (module scope) for this file's tests.
browser, page, server = test_browser.browser, test_browser.page, test_browser.server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed: browser tests skipped"),
]

DEMO_CHANGES = ROOT / "data" / "demo" / "changes" / "变更申请_2026-11-23.xlsx"
NEW_REQUEST = "CR-2026-990"


def grid_rows(tab: object, index: int = 0) -> list[list[str]]:
    """Body rows of the index-th st.dataframe on the page, read from the grid's accessible table."""
    grid = tab.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').nth(index)  # type: ignore[attr-defined]
    grid.locator("table tbody tr").first.wait_for(state="attached")
    return [[c.text_content() or "" for c in r.locator("td").all()] for r in grid.locator("table tbody tr").all()]


def departments_shown(tab: object) -> list[str]:
    return [cells[3] for cells in grid_rows(tab)]  # rank, of how many, change, department, …


def pick(tab: object, label: str, option: str) -> None:
    box = tab.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(has_text=label).first  # type: ignore[attr-defined]
    box.click()
    tab.get_by_role("option", name=option, exact=True).click()  # type: ignore[attr-defined]
    settle(tab)


def test_changing_the_system_changes_the_ranking(page: object, server: str, demo_template: Path) -> None:
    con = duckdb.connect(str(demo_template), read_only=True)
    try:
        expected = {s: m.usage_ranking(con, page_scope(), s, "week")["department"].tolist() for s in (None, "EMR")}
    finally:
        con.close()
    assert expected[None][:5] != expected["EMR"][:5]  # the test needs systems that rank differently
    page.goto(f"{server}/adoption?lang=en")  # type: ignore[attr-defined]
    settle(page)
    before = departments_shown(page)
    assert before[:5] == expected[None][:5]
    shot(page, "adoption_all_systems")

    pick(page, "System", "EMR")
    page.wait_for_function(  # type: ignore[attr-defined]
        '([first]) => document.querySelector(\'[data-testid="stMain"] [data-testid="stDataFrame"] tbody tr td:nth-child(4)\')'
        "?.textContent === first",
        arg=[expected["EMR"][0]],
    )
    after = departments_shown(page)
    assert after[:5] == expected["EMR"][:5]
    assert after[:5] != before[:5]
    assert_no_errors(page, "adoption EMR")
    shot(page, "adoption_emr")


def new_change_file(folder: Path) -> Path:
    """The demo change register with one more request, under a new week's name: a file never loaded before."""
    target = folder / "变更申请_2026-11-30.xlsx"
    shutil.copy2(DEMO_CHANGES, target)
    wb = openpyxl.load_workbook(target)
    ws = wb.active
    assert ws is not None
    ws.append([NEW_REQUEST, "HIS系统替换", "浏览器测试新增的变更", "待审批", "2026-11-27", None, 3.5, 2, "信息科-测试"])
    wb.save(target)
    return target


def test_upload_preview_load_and_history(page: object, server: str, tmp_path: Path) -> None:
    upload = new_change_file(tmp_path)
    page.goto(f"{server}/data?lang=en")  # type: ignore[attr-defined]
    settle(page)
    history_before = grid_rows(page)
    assert not any(upload.name in " ".join(r) for r in history_before)

    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(upload))  # type: ignore[attr-defined]
    settle(page)
    panel = page.locator('[data-testid="stMain"] h4', has_text=upload.name)  # type: ignore[attr-defined]
    panel.wait_for()
    page.get_by_text(text("data.preview.rows", "en"), exact=True).wait_for()  # type: ignore[attr-defined]
    # the file panel's tables come first: its column mapping, then the rows as they will be stored (the history
    # and the targets table below may be empty)
    preview = " ".join(" ".join(r) for i in range(2) for r in grid_rows(page, i))
    assert "CR-2025-001" in preview  # the first rows as they will be stored
    assert_no_errors(page, "data preview")
    shot(page, "data_preview")

    page.get_by_role("button", name=text("data.btn.load", "en"), exact=True).click()  # type: ignore[attr-defined]
    panel.wait_for(state="detached")  # the staged upload is gone once it is loaded
    settle(page)
    success = page.locator('[data-testid="stAlertContentSuccess"]', has_text=upload.name)  # type: ignore[attr-defined]
    assert "43 rows loaded" in success.first.inner_text()  # 42 demo requests + the new one
    newest = grid_rows(page)[0]  # the history lists the newest import first
    assert upload.name in newest and text("data.status.loaded", "en") in newest
    assert grid_rows(page)[1] == history_before[0]  # and the one that was newest comes next
    assert_no_errors(page, "data loaded")
    shot(page, "data_loaded")
