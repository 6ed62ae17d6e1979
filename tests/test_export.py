"""Exports are safe to open: a formula typed into the data stays text in .xlsx and is neutralised in CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from metrics import export

LINK = '=HYPERLINK("http://x")'


def _sheet(body: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(body)).worksheets[0]


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, so Excel reads Chinese correctly
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_xlsx_holds_the_formula_as_a_string_cell() -> None:
    df = pd.DataFrame({"description": [LINK], "amount": [1234.5]})
    ws = _sheet(export.to_xlsx(df, sheet_name="costs", money_columns=("amount",)))
    cell = ws["A2"]
    assert cell.value == LINK
    assert cell.data_type == "s"
    assert ws.title == "costs"


def test_csv_neutralises_the_formula() -> None:
    df = pd.DataFrame({"description": [LINK], "amount": [-12.5]})
    rows = _csv(export.to_csv(df))
    assert rows == [["description", "amount"], ["'" + LINK, "-12.5"]]  # the number keeps its sign


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_lead_is_handled(lead: str) -> None:
    text = lead + "SUM(1,2)"
    df = pd.DataFrame({"t": [text]})
    cell = _sheet(export.to_xlsx(df))["A2"]
    assert cell.data_type == "s"
    # XML parsers read a bare CR back as LF; what matters is the string cell
    assert cell.value in (text, text.replace("\r", "\n"))
    assert ("'" + text).encode() in export.to_csv(df)


def test_xlsx_formats_money_dates_header_and_panes() -> None:
    df = pd.DataFrame(
        {"项目": ["电子病历", None], "amount": [1_234_567.891, float("nan")], "day": [dt.date(2026, 3, 1), None]}
    )
    ws = _sheet(export.to_xlsx(df, money_columns=("amount",), sheet="预算/实际[1]"))
    assert ws.title == "预算_实际_1_"
    assert [c.value for c in ws[1]] == ["项目", "amount", "day"]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws["B2"].value == pytest.approx(1_234_567.891) and ws["B2"].number_format == "#,##0.00"
    assert ws["B3"].value is None and ws["A3"].value is None
    assert ws["C2"].value.date() == dt.date(2026, 3, 1)
    assert ws.column_dimensions["A"].width >= 10  # four CJK characters count double


def test_csv_writes_shares_as_percentages() -> None:
    df = pd.DataFrame({"project": ["HIS", "EMR", "PACS", "LIS", "RIS"],
                       "used": [4_057.7 / 3_811.5, 0.5, -0.05, float("nan"), 0.0]})  # fmt: skip
    rows = _csv(export.to_csv(df, percent_columns=("used",)))
    assert rows == [["project", "used"], ["HIS", "106.4594%"], ["EMR", "50%"], ["PACS", "-5%"], ["LIS", ""],
                    ["RIS", "0%"]]  # fmt: skip  # a negative share is a number, not a formula to neutralise
    assert _csv(export.to_csv(df))[1] == ["HIS", str(4_057.7 / 3_811.5)]  # no percent column named: as before


def test_plain_text_and_numbers_are_untouched() -> None:
    df = pd.DataFrame({"a": ["ok", "a=b"], "n": [1, 2]})
    assert _csv(export.to_csv(df))[1:] == [["ok", "1"], ["a=b", "2"]]
    ws = _sheet(export.to_xlsx(df))
    assert ws["B2"].value == 1 and ws["B2"].data_type == "n"
