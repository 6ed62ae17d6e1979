"""A real browser on the schedule, money and risks pages (one served app for the module, Debian's Chromium):
a filter changes the Gantt, the money tiles fit and an Excel download keeps formula text as text, a click on a
heatmap cell narrows the risk list, and the hostile register title stays text. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from metrics import money, overview
from metrics import risks as rm
from metrics.scope import Scope
from tests.test_app import text
from tests.test_browser import (  # browser, page and server are fixtures: one server for this module
    CHROMIUM,
    assert_no_errors,
    browser,  # noqa: F401
    open_sidebar_multiselect,
    page,  # noqa: F401
    server,  # noqa: F401
    settle,
    shot,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed: browser tests skipped"),
]
Tab = Any  # a Playwright page; the package ships no stubs we rely on
HOSTILE = "<img src=x onerror=alert(1)>"
HYPERLINK = '=HYPERLINK("http://x")'
# The Gantt is the page's first Plotly graph; its graph div carries the figure as the browser drew it.
GANTT_PROJECTS = """() => {
    const gd = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
    if (!gd || !gd.data) return null;
    const names = new Set();
    for (const tr of gd.data) for (const row of (tr.customdata || [])) if (row && row[0]) names.add(String(row[0]));
    return Array.from(names).sort();
}"""
GANTT_TICKS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stMain"] .js-plotly-plot .yaxislayer-above .ytick text')).map(t => t.textContent)"""


def query(template: Path, fn: Any, *args: Any) -> Any:
    con = duckdb.connect(str(template), read_only=True)
    try:
        return fn(con, *args)
    finally:
        con.close()


def open_path(tab: Tab, server_url: str, path: str) -> None:
    tab.goto(f"{server_url}/{path}")
    settle(tab)
    tab.wait_for_selector('[data-testid="stMain"] h1')


# ------------------------------------------------------------------ schedule


def test_schedule_filter_changes_the_gantt(page: Tab, server: str, demo_template: Path) -> None:  # noqa: F811
    open_path(page, server, "schedule?lang=en")
    page.wait_for_function(f"({GANTT_PROJECTS})() !== null")
    before = page.evaluate(GANTT_PROJECTS)
    ticks_before = page.evaluate(GANTT_TICKS)
    assert len(before) >= 2 and ticks_before
    chosen = query(demo_template, overview.project_options)[-1]
    assert chosen in before
    open_sidebar_multiselect(page)
    page.get_by_role("option", name=chosen, exact=True).click()
    page.keyboard.press("Escape")
    settle(page)
    page.wait_for_function(f"JSON.stringify(({GANTT_PROJECTS})()) === JSON.stringify([{chosen!r}])")
    ticks_after = page.evaluate(GANTT_TICKS)
    assert ticks_after != ticks_before
    assert not [p for p in before if p != chosen and any(p in t for t in ticks_after)]  # other projects gone
    assert_no_errors(page, "schedule filtered")
    shot(page, "schedule_filtered_en")


def test_schedule_forecast_tab_draws_when_opened(page: Tab, server: str) -> None:  # noqa: F811
    open_path(page, server, "schedule?lang=en")
    page.wait_for_function(f"({GANTT_PROJECTS})() !== null")
    charts = '[data-testid="stMain"] .js-plotly-plot'
    before = page.eval_on_selector_all(charts, "els => els.length")
    assert before == 1  # the Gantt alone: the forecast tab has not run
    page.get_by_role("tab", name=text("schedule.tab.forecast", "en")).click()
    settle(page)
    page.wait_for_function(f"document.querySelectorAll('{charts}').length === 2")
    curves = page.evaluate(
        f"""() => Array.from(document.querySelectorAll('{charts}')).flatMap(gd => (gd.data || [])
            .map(tr => String(tr.meta || '')).filter(m => m.startsWith('curve:')))"""
    )
    assert len(curves) >= 2  # one cumulative curve per project
    assert_no_errors(page, "schedule forecast tab")
    shot(page, "schedule_forecast_tab_en")


# ------------------------------------------------------------------ money


def test_money_tiles_fit_and_excel_keeps_formula_text(
    page: Tab,  # noqa: F811
    server: str,  # noqa: F811
    demo_template: Path,
    tmp_path: Path,
) -> None:
    open_path(page, server, "money?lang=en")
    # the tiles are drawn row by row: wait for all three rows (the first alone raced a loaded machine)
    page.wait_for_function(
        """() => document.querySelectorAll('[data-testid="stMain"] [data-testid="stMetricValue"]').length >= 9"""
    )
    widths = page.eval_on_selector_all(
        '[data-testid="stMain"] [data-testid="stMetricValue"]',
        "els => els.map(e => { const d = e.querySelector('div') || e;"
        " return [e.innerText, d.scrollWidth, d.clientWidth]; })",
    )
    assert len(widths) == 9  # three rows of three
    cut = [w for w in widths if w[1] > w[2]]
    assert not cut, f"tile values cut at 1440 px (text, needed, shown): {cut}"

    project = query(
        demo_template,
        lambda con: con.execute("SELECT project FROM costs WHERE description = ?", [HYPERLINK]).fetchone(),
    )[0]
    page.locator(".st-key-money_project").click()
    page.get_by_role("option", name=project, exact=True).click()
    settle(page)
    page.get_by_role("tab", name="Vendors").click()
    button = page.locator(".st-key-money_dl_cost_lines_xlsx button")
    button.wait_for()
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "cost_lines.xlsx"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    sheet = openpyxl.load_workbook(io.BytesIO(target.read_bytes())).active
    assert sheet is not None
    rows = list(sheet.iter_rows())
    expected = [text(f"money.col.{c}", "en") + (" (CNY)" if c == "amount" else "") for c in money.LEDGER_COLUMNS]
    assert [c.value for c in rows[0]] == expected  # headed in the user's language, money with its unit
    project_col = money.LEDGER_COLUMNS.index("project")
    assert len(rows) > 2 and {r[project_col].value for r in rows[1:]} == {project}
    cells = [c for r in rows[1:] for c in r if c.value == HYPERLINK]
    assert len(cells) == 1 and cells[0].data_type == "s"  # text: Excel shows it, never runs it
    assert_no_errors(page, "money vendors")
    shot(page, "money_cost_lines_en")


# ------------------------------------------------------------------ risks


def heatmap_points(tab: Tab) -> list[list[float]]:
    """[impact, likelihood, x, y]: each heatmap marker's cell and its centre on screen."""
    result: list[list[float]] = tab.evaluate(
        """() => Array.from(document.querySelectorAll(
            '[data-testid="stMain"] .js-plotly-plot .scatterlayer .trace .points path.point')).map(p => {
                const r = p.getBoundingClientRect();
                return [p.__data__.x, p.__data__.y, r.x + r.width / 2, r.y + r.height / 2]; })"""
    )
    return result


def test_heatmap_click_narrows_the_list_and_hostile_title_is_text(
    page: Tab,  # noqa: F811
    server: str,  # noqa: F811
    demo_template: Path,
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    register = query(demo_template, rm.load_register, Scope())
    hostile = register[register["title"] == HOSTILE].iloc[0]
    lik, imp = int(hostile["likelihood"]), int(hostile["impact"])
    open_now = rm.open_risks(register)
    expected = sorted(open_now[(open_now["likelihood"] == lik) & (open_now["impact"] == imp)]["risk_id"])
    assert 1 < len(expected) < len(open_now)

    open_path(page, server, "risks?lang=en")
    page.wait_for_selector('[data-testid="stMain"] .js-plotly-plot .scatterlayer path.point')
    heading = f"Likelihood {lik} × impact {imp}"
    assert page.get_by_text(heading).count() == 0
    x, y = next((px, py) for i, li, px, py in heatmap_points(page) if (i, li) == (imp, lik))
    page.mouse.click(x, y)
    settle(page)
    page.get_by_text(heading).wait_for()
    settle(page)
    column = page.locator('[data-testid="stColumn"]').filter(has_text=heading)
    grid = column.locator('[data-testid="stDataFrame"]')
    assert grid.count() == 1
    cells = grid.locator("td").all_text_contents()
    assert sorted(c for c in cells if c in set(register["risk_id"])) == expected  # the cell's risks, no others
    assert HOSTILE in cells  # the title as typed, character for character

    main_text = page.locator('[data-testid="stMain"]').text_content() or ""
    assert HOSTILE in main_text
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("img[onerror]").count() == 0
    assert dialogs == []
    assert_no_errors(page, "risks cell")
    shot(page, "risks_cell_selected_en")
