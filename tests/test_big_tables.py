"""A long table (the vendor contracts of a 1M-line ledger) shows its first SHOWN_ROWS rows and says so, while its
Excel and CSV downloads still hold every row, written only when a button is clicked."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pages.components import ui
from tests.conftest import click, deferred_downloads


def _page() -> None:
    import pandas as pd
    import streamlit as st

    from pages.components import ui

    st.session_state["lang"] = "en"
    n = int(st.session_state.get("rows", 10))
    df = pd.DataFrame({"vendor": [f"v{i}" for i in range(n)], "actual": [float(i) for i in range(n)]})
    ui.table(df, "vendor_contracts", area="money", money=["actual"], key="big")


def _run(rows: int) -> AppTest:
    at = AppTest.from_function(_page)
    at.session_state["rows"] = rows
    return at.run()


def test_a_short_table_is_shown_whole_with_its_files_written_on_click() -> None:
    at = _run(ui.SHOWN_ROWS)
    assert not at.exception
    assert len(at.dataframe[0].value) == ui.SHOWN_ROWS
    assert not at.caption  # no "first rows" note
    xlsx, csv = ui.files(pd.DataFrame({"a": range(ui.SHOWN_ROWS)}), "t", [], [], [])
    assert callable(xlsx) and callable(csv)  # a run nobody downloads from writes no file
    assert len(pd.read_csv(io.BytesIO(csv()), encoding="utf-8-sig")) == ui.SHOWN_ROWS


def test_a_long_table_shows_its_first_rows_and_downloads_every_row() -> None:
    rows = ui.SHOWN_ROWS + 500
    at = _run(rows)
    assert not at.exception
    shown = at.dataframe[0].value
    assert len(shown) == ui.SHOWN_ROWS and shown.iloc[0, 0] == "v0"  # the first rows, in the table's order
    assert at.caption[0].value == f"Showing the first {ui.SHOWN_ROWS:,} of {rows:,} rows; the downloads hold every row."
    full = pd.DataFrame({"vendor": [f"v{i}" for i in range(rows)], "actual": [float(i) for i in range(rows)]})
    xlsx, csv = ui.files(full, "vendor_contracts", ["actual"], [], [])
    assert callable(xlsx) and callable(csv)  # written on click, not on every run
    book = openpyxl.load_workbook(io.BytesIO(xlsx()))
    assert book.active is not None and book.active.max_row == rows + 1  # the header and every row
    assert len(pd.read_csv(io.BytesIO(csv()), encoding="utf-8-sig")) == rows


def _page_fewer() -> None:
    import pandas as pd
    import streamlit as st

    from pages.components import ui

    st.session_state["lang"] = "en"
    n = int(st.session_state["rows"])
    df = pd.DataFrame({"vendor": [f"v{i}" for i in range(n)], "actual": [float(i) for i in range(n)]})
    ui.table(df, "risk_register", area="risks", key="few", rows=50)


def test_a_page_may_show_fewer_rows_and_still_download_every_row() -> None:
    at = AppTest.from_function(_page_fewer)
    at.session_state["rows"] = 120
    at.run()
    assert not at.exception
    assert at.dataframe[0].value.iloc[:, 0].tolist() == [f"v{i}" for i in range(50)]
    assert at.caption[0].value == "Showing the first 50 of 120 rows; the downloads hold every row."
    assert len(at.get("download_button")) == 2
    assert all(b.proto.HasField("deferred_file_id") for b in at.get("download_button"))  # every row, on click
    at.session_state["rows"] = 40
    at.run()
    assert len(at.dataframe[0].value) == 40 and not at.caption  # short: shown whole, no note
    assert all(b.proto.HasField("deferred_file_id") for b in at.get("download_button"))  # on click too


def _page_shaded() -> None:
    import pandas as pd
    import streamlit as st

    from pages.components import ui

    st.session_state["lang"] = "en"
    overdue = [True, False, None, pd.NA, float("nan"), True]
    df = pd.DataFrame({"title": list("abcdef"), "overdue": pd.Series(overdue, dtype=object)})
    ui.table(df, "t", area="risks", key="shaded", shade="overdue", download_too=False)


def test_shaded_rows_are_exactly_the_true_ones_and_an_unknown_is_not_shaded() -> None:
    at = AppTest.from_function(_page_shaded).run()
    assert not at.exception
    css = at.dataframe[0].proto.arrow_data.styler.styles
    shaded = sorted({int(r) for r in re.findall(r"_row(\d+)_col\d+", css)})
    assert shaded == [0, 5], css  # True only: not False, None, pd.NA or NaN
    assert css.count("background-color: #fff3cd") == 1 and css.count("_col") == 4  # one rule, both columns of each


@pytest.mark.parametrize("rows", [40, ui.SHOWN_ROWS + 500])
def test_a_download_clicked_is_written_in_the_language_and_unit_the_table_was_shown_in(
    rows: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The file is made on the click's own thread, where there is no session to ask for the language: it is
    headed and scaled as the table on screen was (English: CNY), short table or long, with the money format."""
    monkeypatch.setenv("COCKPIT_DB", str(tmp_path / "audit.duckdb"))  # the click's audit record goes here
    offered = deferred_downloads(monkeypatch)
    at = _run(rows)
    assert not at.exception
    shown = list(at.dataframe[0].value.columns)
    assert shown == ["Vendor", "Actual (CNY)"], shown
    got = pd.read_csv(io.BytesIO(click(offered["vendor_contracts.csv"])), encoding="utf-8-sig")
    assert list(got.columns) == shown and len(got) == rows
    assert got["Actual (CNY)"].iloc[-1] == rows - 1  # yuan, not 万元
    book = openpyxl.load_workbook(io.BytesIO(click(offered["vendor_contracts.xlsx"])))
    sheet = book.active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == shown
    assert sheet.cell(row=2, column=2).number_format == "#,##0.00", sheet.cell(row=2, column=2).number_format
