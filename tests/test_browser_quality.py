"""A real browser on the data-quality and EMR grading pages (one served app for the module, Debian's headless
Chromium): the grading page states the demo's gap in words and draws the gap chart; the data-quality page lists
the worst cell first, as metrics.quality.quality_cells orders them, and choosing another cell redraws its trend.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from metrics import quality
from tests import test_browser
from tests.test_browser import CHROMIUM, assert_no_errors, settle, shot
from tests.test_browser_adoption_data import grid_rows
from tests.test_pages_adoption import page_scope

browser, page, server = test_browser.browser, test_browser.page, test_browser.server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed: browser tests skipped"),
]


def test_grading_page_states_the_gap_and_draws_it(page: object, server: str) -> None:
    page.goto(f"{server}/grading?lang=zh")  # type: ignore[attr-defined]
    settle(page)
    heading = page.get_by_text("距五级还差 3 个基本项和 12 分", exact=True)  # type: ignore[attr-defined]
    heading.first.wait_for()
    chart = page.locator('[data-testid="stMain"] .js-plotly-plot').first  # type: ignore[attr-defined]
    chart.wait_for()
    assert "128 / 140 分" in chart.inner_text()
    assert "17 / 20 项" in chart.inner_text()
    assert_no_errors(page, "grading zh")
    shot(page, "grading_zh")
    page.goto(f"{server}/grading?lang=en")  # type: ignore[attr-defined]
    settle(page)
    page.get_by_text("3 basic items and 12 points short of grade 5", exact=True).first.wait_for()  # type: ignore[attr-defined]
    assert_no_errors(page, "grading en")


def test_data_quality_worst_cell_first_and_its_trend(page: object, server: str, demo_template: Path) -> None:
    con = duckdb.connect(str(demo_template), read_only=True)
    try:
        cells = quality.quality_cells(con, page_scope(), hospital_label="Whole hospital")
    finally:
        con.close()
    worst, second = cells.iloc[0], cells.iloc[1]
    page.goto(f"{server}/data_quality?lang=en")  # type: ignore[attr-defined]
    settle(page)
    drops = grid_rows(page, 0)  # the drops since the previous period come first: 骨科, then 检验科
    assert [r[1] for r in drops] == ["骨科", "检验科"]
    first_row = grid_rows(page, 1)[0]  # then the worst cells
    assert [worst["system"], worst["department"], worst["check_name"]] == first_row[:3]
    title = page.locator('[data-testid="stMain"] .js-plotly-plot .gtitle').first  # type: ignore[attr-defined]
    title.wait_for()
    assert title.text_content() == f"{worst['system']} · {worst['department']} · {worst['check_name']}"
    shot(page, "data_quality_en")
    label = f"{second['system']} · {second['department']} · {second['check_name']}"
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first  # type: ignore[attr-defined]
    box.click()
    page.keyboard.type(label)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    settle(page)
    page.wait_for_function(  # type: ignore[attr-defined]
        "([t]) => document.querySelector('[data-testid=\"stMain\"] .js-plotly-plot .gtitle')?.textContent === t",
        arg=[label],
    )
    assert_no_errors(page, "data quality en")
