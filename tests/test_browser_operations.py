"""The operations page in a real browser (Debian's headless Chromium, one served app for the module): the tiles
show what metrics.operations computes, the SLA heatmap draws every live system, the ticket open past its target
is listed, and switching the clock to response redraws the heatmap without errors."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from metrics import operations as o
from tests import test_browser
from tests.test_browser import CHROMIUM, assert_no_errors, settle, shot
from tests.test_pages_adoption import page_scope

browser, page, server = test_browser.browser, test_browser.page, test_browser.server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed: browser tests skipped"),
]


def test_operations_page(page: object, server: str, demo_template: Path) -> None:
    con = duckdb.connect(str(demo_template), read_only=True)
    try:
        totals = o.sla_totals(o.sla_compliance(con, page_scope()))
        late = o.open_breaches(con, page_scope())
    finally:
        con.close()
    page.goto(f"{server}/operations?lang=zh")  # type: ignore[attr-defined]
    settle(page)
    main = '[data-testid="stMain"]'
    page.wait_for_selector(f"{main} h1:has-text('运维与健康度')")  # type: ignore[attr-defined]
    heatmap = page.locator(f"{main} .js-plotly-plot").first  # type: ignore[attr-defined]
    heatmap.locator("g.heatmaplayer").wait_for(state="attached")
    tickets = page.locator(f"{main} [data-testid='stMetric']").filter(has_text="工单数").first  # type: ignore[attr-defined]
    assert f"{int(totals['tickets']):,}" in tickets.inner_text()
    labels = heatmap.locator("g.ytick text").all_text_contents()
    assert {"EMR", "HIS", "PACS", "LIS", "HRP", "移动护理"} <= set(labels), labels
    breach = page.locator(f"{main} [data-testid='stDataFrame']").filter(has_text="工单编号").first  # type: ignore[attr-defined]
    breach.locator("table tbody tr").first.wait_for(state="attached")
    shown = breach.locator("table tbody").inner_text()
    assert all(str(t) in shown for t in late["ticket_id"]), shown[:300]
    assert_no_errors(page, "operations zh")
    shot(page, "operations_zh")

    page.locator(f"{main} [data-testid='stRadio'] label").filter(has_text="响应").first.click()  # type: ignore[attr-defined]
    settle(page)
    page.locator(f"{main} .js-plotly-plot g.heatmaplayer").first.wait_for(state="attached")  # type: ignore[attr-defined]
    assert_no_errors(page, "operations zh, response clock")
