"""A real browser (Debian's headless Chromium at 1440 px) on the figures finance and department heads read: the
ranks, units, colours and headers as drawn, not as computed. One served app for the module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import test_browser
from tests.test_browser import CHROMIUM, assert_no_errors, settle, shot

browser, page, server = test_browser.browser, test_browser.page, test_browser.server  # fixtures, collected here

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed: browser tests skipped"),
]
Tab = Any


def grids(tab: Tab) -> list[dict[str, Any]]:
    """Every st.dataframe on the page as drawn: its header texts and its body cells (the grid's accessible table)."""
    found: list[dict[str, Any]] = tab.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid="stDataFrame"]')).map(g => ({
            heads: Array.from(g.querySelectorAll('table thead th')).map(th => th.textContent.trim()),
            rows: Array.from(g.querySelectorAll('table tbody tr')).map(r =>
                Array.from(r.querySelectorAll('td')).map(td => td.textContent.trim())),
        }))"""
    )
    return found


def grid_with(tab: Tab, head: str) -> dict[str, Any]:
    """The drawn grid whose header holds `head`, waiting until Streamlit has drawn it with its rows (pages draw
    their tables one after another, so the first grid on screen says nothing about the others)."""
    tab.wait_for_function(
        """head => Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid="stDataFrame"]'))
            .some(g => Array.from(g.querySelectorAll('table thead th')).some(th => th.textContent.trim() === head)
                && g.querySelector('table tbody tr'))""",
        arg=head,
        timeout=30_000,
    )
    return next(g for g in grids(tab) if head in g["heads"] and g["rows"])


def column(grid: dict[str, Any], head: str) -> list[str]:
    j = grid["heads"].index(head) - (len(grid["heads"]) - len(grid["rows"][0]))  # a leading row-number header
    return [r[j] for r in grid["rows"]]


def open_path(tab: Tab, server_url: str, path: str) -> None:
    tab.goto(f"{server_url}/{path}")
    settle(tab)
    tab.wait_for_selector('[data-testid="stMain"] h1')


def test_money_tables_in_wan_with_the_unit_and_lights_as_badges(page: Tab, server: str) -> None:
    open_path(page, server, "money?lang=zh")
    page.wait_for_selector('[data-testid="stMain"] [data-testid="stDataFrame"] table tbody tr', state="attached")
    budget = grid_with(page, "当前预算(万元)")
    shown = grids(page)
    # the grid's accessible table holds the values (the canvas draws them as 3,811.50): in 万元, not yuan
    his = budget["rows"][column(budget, "项目").index("HIS系统替换")]
    row = dict(zip(budget["heads"][-len(his) :], his, strict=True))
    assert (row["原始预算(万元)"], row["当前预算(万元)"], row["已签约(万元)"]) == ("3500", "3811.5", "4057.7")
    cells = [c for g in shown for r in g["rows"] for c in r]
    assert not [c for c in cells if any(e in c for e in ("🟢", "🟡", "🔴", "⚪"))]  # no emoji lights anywhere
    badge = page.locator('[data-testid="stMain"] .stMarkdownBadge').first
    assert badge.text_content() in ("正常", "关注", "预警", "无数据")  # the EAC tile's light, drawn as a badge
    colour = badge.evaluate("b => getComputedStyle(b).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    assert_no_errors(page, "money zh")
    shot(page, "money_tables_zh")


TABLE_WIDTHS = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid="stDataFrame"]'))
    .map(g => { const s = g.querySelector('.dvn-scroller'); if (!s || !s.clientWidth) return null;
        return [Array.from(g.querySelectorAll('table thead th')).map(t => t.textContent.trim()).join('|'),
                s.scrollWidth, s.clientWidth]; }).filter(x => x)"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_table_is_cut_off_at_1440_px(page: Tab, server: str, lang: str) -> None:
    cut: list[Any] = []
    seen = 0
    for path in ("money", "risks", "adoption", "benefits"):
        open_path(page, server, f"{path}?lang={lang}")
        tabs = page.evaluate(
            """() => Array.from(document.querySelectorAll('[data-testid="stMain"] [role=tab]'))
                .map(t => t.textContent.trim())"""
        )
        for name in [None, *tabs] if path in ("money", "risks") else [None]:  # their tabs all hold tables
            if name is not None:
                page.get_by_role("tab", name=name, exact=True).first.click()
                settle(page)  # the tabs are lazy: a click reruns the page to draw the opened tab
                page.wait_for_timeout(600)
            widths = page.evaluate(TABLE_WIDTHS)
            seen += len(widths)
            cut += [(path, name, *w) for w in widths if w[1] > w[2] + 1]
    assert seen >= 15, seen
    assert not cut, cut  # (page, tab, headers, needed width, shown width)


def test_one_department_is_ranked_among_all_and_coloured_by_target(page: Tab, server: str) -> None:
    open_path(page, server, "adoption?lang=zh&depts=中医科")
    page.wait_for_selector('[data-testid="stMain"] [data-testid="stDataFrame"] table tbody tr', state="attached")
    ranking = grid_with(page, "参与排名科室数")
    assert len(ranking["rows"]) == 1
    row = dict(zip(ranking["heads"][-len(ranking["rows"][0]) :], ranking["rows"][0], strict=True))
    assert (row["科室"], row["名次"], row["参与排名科室数"]) == ("中医科", "30", "30")
    assert float(row["使用率"]) < 0.7 and float(row["距目标"]) < -0.1  # shares, drawn as percentages
    # the drawn bar: red (more than 10 points under the 80 % target), with the legend naming the colours
    fills = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot .barlayer path'))
            .map(p => getComputedStyle(p).fill).filter(f => f && f !== 'none')"""
    )
    assert "rgb(229, 57, 53)" in fills, fills  # #e53935
    legend = page.locator('[data-testid="stMain"] .js-plotly-plot .legend').first.text_content() or ""
    assert "达到目标(≥ 80%)" in legend and "低于目标超过 10 个百分点" in legend
    caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').all_text_contents()
    assert any("全部 30 个科室" in c for c in caption)
    assert_no_errors(page, "adoption 中医科")
    shot(page, "adoption_one_department_zh")


def test_risk_register_headed_as_a_register(page: Tab, server: str, tmp_path: Path) -> None:
    open_path(page, server, "risks?lang=zh")
    page.wait_for_selector('[data-testid="stMain"] [data-testid="stDataFrame"] table tbody tr', state="attached")
    register = grid_with(page, "距上次评审(天)")
    heads = register["heads"][-len(register["rows"][0]) :]
    assert heads[:4] == ["项目", "编号", "风险", "等级"]  # a register's words: not 变更内容 / 费用类别 / 结果
    page.get_by_role("tab", name="应对措施与残余风险", exact=True).click()  # a lazy tab: drawn when opened
    settle(page)
    responses = grid_with(page, "应对措施")
    assert responses["heads"][-len(responses["rows"][0]) :][:3] == ["编号", "风险", "类别"]
    decisions = grid_with(page, "费用影响(万元)")
    costs = [float(c) for c in column(decisions, "费用影响(万元)") if c]
    assert costs and all(0 < c < 1_000 for c in costs), costs  # 56 万元, not 560,000
    assert_no_errors(page, "risks zh")
