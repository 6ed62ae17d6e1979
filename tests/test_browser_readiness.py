"""A real browser on the readiness page (one served app for the module, Debian's headless Chromium), in both
languages, as of the demo's status week: the blocked gate of 内分泌科 with its computed training criterion (57.7 %),
the readiness heatmap drawn, and the two overdue supervision findings.
"""

from __future__ import annotations

import pytest

from tests import test_browser
from tests.test_browser import CHROMIUM, assert_no_errors, settle, shot
from tests.test_pages_adoption import text

browser, page, server = test_browser.browser, test_browser.page, test_browser.server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed: browser tests skipped"),
]


def grid_with(tab: object, cell_text: str) -> list[list[str]]:
    """Body rows of the first st.dataframe holding a cell with `cell_text` (waits for it to be drawn)."""
    grid = tab.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').filter(has_text=cell_text).first  # type: ignore[attr-defined]
    grid.locator("table tbody tr").first.wait_for(state="attached")
    return [[c.text_content() or "" for c in r.locator("td").all()] for r in grid.locator("table tbody tr").all()]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_readiness_page_in_the_browser(page: object, server: str, lang: str) -> None:
    page.goto(f"{server}/readiness?lang={lang}&asof=2026-11-23")  # type: ignore[attr-defined]
    settle(page)
    title = page.locator('[data-testid="stMain"] h1').first  # type: ignore[attr-defined]
    title.wait_for()
    assert title.inner_text().strip() == text("readiness.title", lang)
    blocked = text("readiness.gate.blocked", lang).format(blocking="培训覆盖率达标")
    warning = page.locator('[data-testid="stAlert"]').filter(has_text=blocked).first  # type: ignore[attr-defined]
    warning.wait_for()
    rows = grid_with(page, "57.7%")
    row = next(r for r in rows if "培训覆盖率达标" in r)
    assert text("readiness.source.computed", lang) in row and text("readiness.status.not_met", lang) in row
    heat = page.locator('[data-testid="stMain"] .js-plotly-plot').first  # type: ignore[attr-defined]
    heat.wait_for()
    findings = grid_with(page, "JL-06")
    # columns: finding, project, area, text, severity, action, due, days overdue, …
    overdue = sorted(r[0] for r in findings if r[7].strip() not in ("", "—"))
    assert overdue == ["JL-06", "JL-07"], findings
    assert_no_errors(page, f"readiness {lang}")
    shot(page, f"readiness_{lang}")
