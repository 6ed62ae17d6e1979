"""The shared table helper as the browser receives it (the pandas Styler's display values): money in the user's
unit with two decimals and the unit in the header, shares as percentages, "—" for every empty cell (never
"None"), days without a time, lights as words on a coloured cell, yes/no in words."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pages.components import ui


@pytest.fixture
def zh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ui, "lang", lambda: "zh")
    monkeypatch.setattr("pages.components.i18n.lang", lambda: "zh")


@pytest.fixture
def en(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ui, "lang", lambda: "en")
    monkeypatch.setattr("pages.components.i18n.lang", lambda: "en")


FRAME = pd.DataFrame(
    {
        "project": ["HIS系统替换", None],
        "budget": [38_115_000.0, float("nan")],
        "share_used": [1.0668, None],
        "month": pd.to_datetime([dt.date(2026, 3, 1), None]),
        "eac_light": ["red", "green"],
        "ahead": [True, False],
    }
)


def render(money: tuple[str, ...] = ("budget",)) -> tuple[pd.DataFrame, str]:
    frame, heads = ui.table_frame(FRAME, "money", None, money, ("eac_light",))
    html = ui._styled(frame, heads, money, ("share_used",), (), ("eac_light",)).to_html()
    return frame, html


def test_chinese_money_in_wan_with_the_unit_in_the_header(zh: None) -> None:
    frame, html = render()
    assert list(frame.columns) == ["项目", "当前预算(万元)", "使用率", "月份", "预测状态", "高于计划"]
    assert frame["当前预算(万元)"].iloc[0] == pytest.approx(3_811.5)
    assert "3,811.50" in html and "106.7%" in html
    assert "None" not in html and "nan" not in html and "NaT" not in html and "—" in html
    assert "00:00:00" not in html and "2026-03-01" in html
    assert frame["预测状态"].tolist() == ["预警", "正常"] and "background-color: #c62828" in html
    assert frame["高于计划"].tolist() == ["是", "否"]


def test_english_money_in_cny(en: None) -> None:
    frame, html = render()
    assert "Current budget (CNY)" in frame.columns
    assert "38,115,000.00" in html and "Alert" in html


def test_yuan_setting_for_chinese_users(zh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_MONEY_UNIT_ZH", "yuan")
    frame, html = render()
    assert "当前预算(元)" in frame.columns and "38,115,000.00" in html


def test_light_badges_are_markdown_not_emoji(zh: None) -> None:
    assert ui.light("red") == ":red-badge[预警]"
    assert ui.light("amber") == ":orange-badge[关注]"
    assert ui.light("whatever") == ":gray-badge[无数据]"
