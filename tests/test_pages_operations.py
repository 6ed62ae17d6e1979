"""The operations page through app.py under AppTest, in both languages: the demo (tiles, SLA heatmap and table equal
metrics.operations, the open P1 breach listed, scorecard per live system), the empty store, a store without
tickets, the response/resolution switch, and who may open it."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from auth import roles
from metrics import operations as o
from pages.components import nav
from pages.components.i18n import LANGS, catalogue
from tests.conftest import app_test, as_role
from tests.test_pages_adoption import assert_clean, charts, computed, open_page, text

PAGE = "pages/operations.py"


def table(at: AppTest, lang: str, first_header: str) -> object:
    """The shown table whose first column is headed `first_header`, its headers turned back into column names."""
    names = {text(k, lang): k.rsplit(".", 1)[1] for k in catalogue() if k.startswith("operations.col.")}
    for df in (d.value for d in at.main.dataframe):
        frame = df.data if hasattr(df, "data") else df  # a Styler or a frame
        if list(frame.columns)[:1] == [first_header]:
            return frame.rename(columns=names)
    raise AssertionError(f"no table headed {first_header}")


@pytest.mark.parametrize("lang", LANGS)
def test_demo_store(demo_db: Path, lang: str) -> None:
    at = open_page(demo_db, PAGE, lang)
    assert at.title[0].value == text("operations.title", lang)
    judged = computed(demo_db, o.judged_at)  # the export's latest stamp, before the period end (today)
    assert f"{judged:%H:%M}" in at.main.caption[0].value and judged.date() == dt.date(2026, 11, 23)
    sla = computed(demo_db, o.sla_compliance)
    totals = o.sla_totals(sla)
    tiles = {mt.label: mt.value for mt in at.main.metric}
    assert tiles[text("operations.tile.tickets", lang)] == f"{int(totals['tickets']):,}"
    share = totals["resolution_compliance"]
    assert share is not None and tiles[text("operations.tile.resolution", lang)] == f"{share * 100:.1f}%"
    open_late = computed(demo_db, o.open_breaches)
    assert tiles[text("operations.tile.breaches", lang)] == str(len(open_late)) and len(open_late) >= 1
    figs = charts(at.main)
    heat = figs["operations_heatmap"]["data"][0]
    assert heat["x"] == ["P1", "P2", "P3", "P4"] and len(heat["y"]) == 6
    his_p1 = sla[(sla["system"] == "HIS") & (sla["priority"] == "P1")]["resolution_compliance"].iloc[0]
    assert heat["z"][heat["y"].index("HIS")][0] == pytest.approx(his_p1)
    shown = table(at, lang, text("operations.col.system", lang))
    assert int(shown["tickets"].sum()) == int(totals["tickets"])
    breaches = table(at, lang, text("operations.col.ticket_id", lang))
    assert list(breaches["ticket_id"]) == list(open_late["ticket_id"])
    assert "P1" in set(breaches["priority"])  # the HIS P1 still open since 22 November
    card = computed(demo_db, o.health_scorecard, None)
    assert len(card) == 6 and not card["score"].isna().any()
    for key in ("operations_mttr", "operations_backlog", "operations_rates", "operations_inspections",
                "operations_scorecard"):  # fmt: skip
        assert figs[key]["data"], key


def test_clock_switch_shows_response_compliance(demo_db: Path) -> None:
    at = open_page(demo_db, PAGE, "en")
    at.session_state["operations_clock"] = "response"  # as a click on 响应 / Response does
    at.run()
    assert_clean(at)
    heat = charts(at.main)["operations_heatmap"]["data"][0]
    sla = computed(demo_db, o.sla_compliance)
    p2 = sla[(sla["system"] == "HIS") & (sla["priority"] == "P2")]["response_compliance"].iloc[0]
    got = heat["z"][heat["y"].index("HIS")][1]
    assert (got is None and math.isnan(p2)) or got == pytest.approx(p2)


@pytest.mark.parametrize("lang", LANGS)
def test_empty_store(empty_db: Path, lang: str) -> None:
    at = open_page(empty_db, PAGE, lang)
    assert [i.value for i in at.info] == [text("common.empty.title", lang)]
    assert not at.main.metric


@pytest.mark.parametrize("lang", LANGS)
def test_store_without_tickets(tmp_path: Path, lang: str) -> None:
    from loaders import store
    from tests import storekit

    path = tmp_path / "usage_only.duckdb"
    con = store.open_store(path)
    storekit.insert_rows(
        con,
        "usage",
        [{"period": "2026-11-02", "department": "心内科", "system": "HIS", "active_users": 5, "eligible_users": 9}],
    )
    con.close()
    at = open_page(path, PAGE, lang)
    assert text("operations.empty", lang) in [i.value for i in at.info]


def test_roles_that_see_the_page() -> None:
    assert "operations.py" in roles.ROLE_PAGES[roles.PRESIDENT] and "operations.py" in roles.ROLE_PAGES[roles.PMO]
    for role in (roles.FINANCE, roles.DEPT_HEAD, roles.ADMIN):
        assert "operations.py" not in roles.ROLE_PAGES[role]
    assert any(p.name == "operations.py" for p in nav.page_files(roles.PRESIDENT))


def test_president_reads_it(demo_db: Path) -> None:
    at = app_test(demo_db, "zh", as_role(roles.PRESIDENT)).run()
    at.switch_page(PAGE).run()
    assert_clean(at)
    assert at.title[0].value == text("operations.title", "zh")
    assert not at.main.file_uploader  # read-only: nothing to load from here
