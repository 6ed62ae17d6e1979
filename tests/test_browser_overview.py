"""The overview in a real browser (Debian's headless Chromium): readable at desktop and phone (390 px) widths
without horizontal scrolling, lights before the details, and a "what changed" item that opens its page with the
filters set."""

from __future__ import annotations

import pytest

from tests import test_browser
from tests.test_browser import CHROMIUM, assert_no_errors, settle, shot

browser, server = test_browser.browser, test_browser.server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed: browser tests skipped"),
]


def open_overview(browser: object, server: str, width: int, lang: str) -> object:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    tab.goto(f"{server}/?lang={lang}")
    settle(tab)
    tab.wait_for_selector('[data-testid="stMain"] h1')
    tab.wait_for_selector('[data-testid="stMain"] h3')  # the programme's box: the overview has drawn
    settle(tab)
    return tab


@pytest.mark.parametrize(("width", "lang"), [(1440, "zh"), (390, "zh"), (390, "en")])
def test_overview_reads_at_desktop_and_phone_widths(browser: object, server: str, width: int, lang: str) -> None:
    tab = open_overview(browser, server, width, lang)
    try:
        assert_no_errors(tab, f"overview {width}px {lang}")
        badges = tab.locator('[data-testid="stMain"] [data-testid="stBadge"], [data-testid="stMain"] .stBadge')  # type: ignore[attr-defined]
        main_text = tab.inner_text('[data-testid="stMain"]')  # type: ignore[attr-defined]
        light_words = ("正常", "关注", "预警") if lang == "zh" else ("On track", "At risk", "Off track")
        assert any(w in main_text for w in light_words), main_text[:500]
        assert badges.count() >= 7 or sum(main_text.count(w) for w in light_words) >= 7  # programme + 6 projects
        # no horizontal scrolling of the page
        overflow = tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")  # type: ignore[attr-defined]
        assert overflow <= 1, f"page scrolls sideways by {overflow}px at {width}px"
        if width < 500:
            # one column: the first two tiles stack (same left edge), and the light comes before the tiles
            metrics = tab.locator('[data-testid="stMetric"]')  # type: ignore[attr-defined]
            a, b = metrics.nth(0).bounding_box(), metrics.nth(1).bounding_box()
            assert abs(a["x"] - b["x"]) < 2 and b["y"] > a["y"]
            badge = (
                tab.get_by_text(light_words[0])
                .or_(tab.get_by_text(light_words[1]))
                .or_(  # type: ignore[attr-defined]
                    tab.get_by_text(light_words[2])
                )
            )
            assert badge.first.bounding_box()["y"] < a["y"]  # the programme's light sits above its first tile
        shot(tab, f"overview_{width}_{lang}")
    finally:
        tab.context.close()  # type: ignore[attr-defined]


def test_a_change_opens_its_page_with_the_filter_set(browser: object, server: str) -> None:
    tab = open_overview(browser, server, 1440, "en")
    try:
        link = tab.locator('[data-testid="stMain"] button').filter(has_text="Milestone slipped").first  # type: ignore[attr-defined]
        label = link.inner_text()
        project = label.split(" · ")[1]
        link.click()
        settle(tab)
        tab.wait_for_function("location.pathname.endsWith('/schedule') && location.search.includes('projects=')")  # type: ignore[attr-defined]
        settle(tab)
        assert "asof=2026-11-23" in tab.url  # type: ignore[attr-defined]
        chosen = tab.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.inner_text()  # type: ignore[attr-defined]
        assert project in chosen, (project, chosen, tab.url)  # type: ignore[attr-defined]
        assert_no_errors(tab, "schedule opened from a change")
        shot(tab, "overview_change_link_schedule")
    finally:
        tab.context.close()  # type: ignore[attr-defined]
