"""Every download of the money, risks, adoption and benefits pages, opened and read back: its headers are the
table's headers on the page (the area's own labels, in the user's language, no internal column names and no
duplicates), money is a real number in 万元 (zh) or CNY (en) with the unit in the header and a number format,
shares are Excel percentages, and days carry no "00:00:00"."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from pages.components.i18n import LANGS
from tests import test_pages_schedule
from tests.test_app import assert_clean, open_page, text

downloads = test_pages_schedule.downloads  # the fixture, collected here too
PAGES = ("pages/money.py", "pages/risks.py", "pages/adoption.py", "pages/benefits.py")
INTERNAL = re.compile(r"^[a-z][a-z0-9_]*$")  # previous_rank, below_target, over_100 ...
UNIT = {"zh": "(万元)", "en": "(CNY)"}


def shown_tables(at: AppTest) -> list[list[str]]:
    return [[str(c) for c in d.value.columns] for d in at.main.dataframe]


def xlsx_headers_and_rows(data: bytes) -> tuple[list[str], list[list[openpyxl.cell.cell.Cell]]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows())
    return [str(c.value) for c in rows[0]], [list(r) for r in rows[1:]]


MONEY_TABS = ("budget", "evm", "burn", "warnings", "changes", "vendors")


def open_everything(db: Path, page: str, lang: str) -> tuple[AppTest, list[list[str]]]:
    """The page with every lazy tab opened in turn (only the open tab runs): the app and the tables it showed."""
    at = open_page(db, page, lang)
    if page == "pages/adoption.py":  # its lower tabs are lazy: open the roll-out, whose table downloads
        at.session_state["adoption_tabs"] = text("adoption.tab.rollout", lang)
        at.run()
    # the cost ledger lines list once a project is picked; AppTest formats the page's radio options in the test
    # process (default language), so a widget change only round-trips in Chinese
    if page == "pages/money.py" and lang == "zh":
        at.selectbox(key="money_project").set_value(at.selectbox(key="money_project").options[1]).run()
    tables = shown_tables(at)
    if page == "pages/risks.py":  # the register's second tab (responses) is lazy too
        at.session_state["risks_register_tabs"] = text("risks.register.tab.responses", lang)
        at.run()
        tables += shown_tables(at)
    if page == "pages/money.py":
        for tab in MONEY_TABS[1:]:
            at.session_state["money_tabs"] = text(f"money.tab.{tab}", lang)
            at.run()
            tables += shown_tables(at)
    assert_clean(at)
    return at, tables


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PAGES)
def test_every_download_is_headed_as_its_table(
    demo_db: Path, downloads: dict[str, bytes], page: str, lang: str
) -> None:
    _, tables = open_everything(demo_db, page, lang)
    books = {name: data for name, data in downloads.items() if name.endswith(".xlsx")}
    assert books, "the page offers downloads"
    for name, data in books.items():
        heads, rows = xlsx_headers_and_rows(data)
        assert heads in tables, (name, heads)  # exactly the columns the page shows, in its order and words
        assert len(set(heads)) == len(heads), (name, heads)  # no header twice (名次变化 once)
        assert not [h for h in heads if INTERNAL.match(h)], (name, heads)  # no previous_rank, over_100 ...
        for j, head in enumerate(heads):
            cells = [r[j] for r in rows if r[j].value is not None]
            if head.endswith(UNIT[lang]):  # money: a number with a number format, never text
                assert all(isinstance(c.value, int | float) for c in cells), (name, head)
                assert all(c.number_format == "#,##0.00" for c in cells), (name, head)
            for c in cells:
                if isinstance(c.value, dt.datetime) and c.value.time() == dt.time(0):  # a day: shown as one
                    assert c.number_format == "yyyy-mm-dd", (name, head, c.number_format)
                assert not (isinstance(c.value, str) and c.value.endswith("00:00:00")), (name, head)
        with_csv = downloads[name.removesuffix(".xlsx") + ".csv"]
        csv_heads = next(csv.reader(io.StringIO(with_csv.decode("utf-8-sig"))))
        assert csv_heads == heads, name
        assert b" 00:00:00" not in with_csv, name


def test_money_exports_in_wan_with_two_decimals_and_excel_percentages(
    demo_db: Path, downloads: dict[str, bytes]
) -> None:
    open_everything(demo_db, "pages/money.py", "zh")
    heads, rows = xlsx_headers_and_rows(downloads["budget_committed_project.xlsx"])
    assert heads == ["项目", "原始预算(万元)", "已批准变更(万元)", "当前预算(万元)", "已签约(万元)", "签约占预算",
                     "未签约余额(万元)"]  # fmt: skip
    spent, _ = xlsx_headers_and_rows(downloads["budget_spent_project.xlsx"])
    assert spent[:5] == ["项目", "当前预算(万元)", "实际支出(万元)", "使用率", "未花余额(万元)"]  # remaining, two ways
    his = next(r for r in rows if r[0].value == "HIS系统替换")
    cell = {h: c for h, c in zip(heads, his, strict=True)}
    assert cell["原始预算(万元)"].value == pytest.approx(3_500)
    assert cell["当前预算(万元)"].value == pytest.approx(3_811.5)  # 3,500 + approved 311.5
    assert cell["已签约(万元)"].value == pytest.approx(4_057.7)  # signed + amendments, not 4,369.8
    share = cell["签约占预算"]
    assert share.number_format == "0.0%" and share.value == pytest.approx(4_057.7 / 3_811.5)  # 106.5 %, a share
    in_csv = list(csv.DictReader(io.StringIO(downloads["budget_committed_project.csv"].decode("utf-8-sig"))))
    his_csv = next(r for r in in_csv if r["项目"] == "HIS系统替换")
    assert his_csv["签约占预算"] == "106.4594%"  # a percentage, as on the page, not the fraction 1.0645...
    heads, rows = xlsx_headers_and_rows(downloads["earned_value_meanings.xlsx"])
    values = [r[heads.index("数值")].value for r in rows]
    assert all(re.fullmatch(r"—|-?\d+\.\d{2}|-?[\d,]+\.\d{2} 万元", str(v)) for v in values), values


def test_risk_register_export_is_headed_as_a_risk_register(demo_db: Path, downloads: dict[str, bytes]) -> None:
    open_everything(demo_db, "pages/risks.py", "zh")
    heads, _ = xlsx_headers_and_rows(downloads["risk_register.xlsx"])
    assert heads[:4] == ["项目", "编号", "风险", "等级"]  # not 变更内容
    assert "状态" in heads and "结果" not in heads and "变更内容" not in heads
    heads, _ = xlsx_headers_and_rows(downloads["risk_responses.xlsx"])
    assert heads[:3] == ["编号", "风险", "类别"] and "应对措施" in heads  # not 费用类别
    heads, _ = xlsx_headers_and_rows(downloads["decisions_waiting.xlsx"])
    assert "费用影响(万元)" in heads


def test_ranking_export_has_no_internal_columns(demo_db: Path, downloads: dict[str, bytes]) -> None:
    open_everything(demo_db, "pages/adoption.py", "zh")
    heads, rows = xlsx_headers_and_rows(downloads["usage_ranking.xlsx"])
    assert heads == ["名次", "参与排名科室数", "名次变化", "科室", "使用率", "距目标", "无应用人数记录"]
    rate = [r[heads.index("使用率")] for r in rows]
    assert all(c.number_format == "0.0%" and 0 <= c.value <= 1.5 for c in rate)
