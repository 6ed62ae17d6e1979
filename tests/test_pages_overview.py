"""The overview through app.py (AppTest) in both languages: a light and its reasons per project, the figures of
metrics.overview, "what changed" items that open their page with the filters set, and the brief's downloads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from metrics import overview
from metrics.scope import Scope
from pages.components.i18n import catalogue
from tests.conftest import app_test, click, deferred_downloads

WEEK = "2026-11-23"


def text(key: str, lang: str, **kw: object) -> str:
    zh, en = catalogue()[key]
    return (zh if lang == "zh" else en).format(**kw)


def expected(db: Path) -> overview.Week:
    con = duckdb.connect(str(db), read_only=False)
    try:
        return overview.week_view(con, Scope(as_of=dt.date.fromisoformat(WEEK)))
    finally:
        con.close()


def run(db: Path, lang: str) -> AppTest:
    at = app_test(db, lang)
    at.query_params["asof"] = WEEK
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lights_reasons_and_figures(demo_db: Path, lang: str) -> None:
    want = expected(demo_db)
    at = run(demo_db, lang)
    assert [s.value.replace("\\", "") for s in at.main.subheader] == [
        text("overview.programme", lang),
        *want.projects["project"],
    ]
    badges = " ".join(m.value for m in at.main.markdown)
    for status in want.projects["status"]:
        assert text(f"overview.light.{status}", lang) in badges
    red = want.projects[want.projects["status"] == "red"].iloc[0]
    why = [e for e in at.main.expander if e.label == text("overview.why", lang, light=text("overview.light.red", lang))]
    assert why, "the red project explains its light"
    lines = [t.value for t in why[0].text]
    assert len(lines) == len(red["reasons"])
    assert any(text("overview.rule.cpi", lang) in line for line in lines)
    late = [m for m in at.main.metric if m.label == text("overview.late_tasks", lang)]
    assert late[0].value == f"{want.totals['late_tasks']:,.0f}"
    assert [h.value for h in at.main.header][:3] == [
        text("overview.changes", lang), text("overview.decisions", lang), text("overview.kpis", lang)
    ]  # fmt: skip
    assert len([b for b in at.main.button if b.key and b.key.startswith("overview_change_")]) == len(want.changes)


def test_a_change_opens_its_page_with_filters(demo_db: Path) -> None:
    want = expected(demo_db)
    at = run(demo_db, "en")
    first = want.changes.iloc[0]
    at.button(key="overview_change_0").click().run()
    assert not at.exception, at.exception
    params = dict(first["params"])
    assert at.session_state["asof"] == WEEK
    if "projects" in params:
        assert at.session_state["projects"] == [params["projects"]]
    if "depts" in params:
        assert at.session_state["depts"] == [params["depts"]]
    title = {"schedule": "Schedule", "risks": "Risks", "money": "Money", "adoption": "Adoption", "benefits": "Benefits",
             "data_quality": "Data quality", "grading": "EMR grading"}  # fmt: skip
    title["operations"] = "Operations"  # an SLA breach opens the operations page
    assert title[str(first["page"])].split()[0] in at.title[0].value


def test_brief_downloads_on_request_and_each_is_audited_when_clicked(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offered = deferred_downloads(monkeypatch)
    at = run(demo_db, "zh")
    assert not at.get("download_button")
    at.toggle(key="overview_brief").set_value(True).run()
    assert not at.exception, at.exception
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == [
        text("overview.brief_pdf", "zh"),
        text("overview.brief_xlsx", "zh"),
        text("overview.brief_pptx", "zh"),
    ]
    assert all(b.proto.ignore_rerun for b in buttons)  # a click reruns nothing
    names = sorted(n for n in offered if n.rsplit(".", 1)[-1] in ("pdf", "xlsx", "pptx"))
    assert [n.rsplit(".", 1)[-1] for n in names] == ["pdf", "pptx", "xlsx"], sorted(offered)
    made = {n: click(offered[n]) for n in names}
    assert [made[n][:4] for n in names] == [b"%PDF", b"PK\x03\x04", b"PK\x03\x04"]
    at.switch_page("pages/audit.py").run()
    log = at.dataframe[0].value
    audited = log[(log["event"] == "download") & log["subject"].isin(names)]
    assert sorted(audited["subject"]) == names and set(audited["who"]) == {"demo"}
