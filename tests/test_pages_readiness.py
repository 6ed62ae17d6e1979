"""The readiness page through app.py under AppTest, in both languages: the demo's upcoming gate with its computed
training criterion (15 of 26 = 57.7 %, not met) beside the typed status, the pilot gate among all gates as passed,
the next department blocked by training, the two overdue supervision findings; the empty store; a department
head sees their own department only; the president gets the page and cannot import.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from auth import roles
from metrics import adoption
from metrics.scope import Scope
from pages.components.i18n import LANGS, catalogue
from tests.conftest import app_test, as_role, copy_store
from tests.test_pages_adoption import assert_clean, charts, text

PAGE = "pages/readiness.py"
WEEK = "2026-11-23"  # the demo's status week: the story is told as of it, whatever today is


def open_page_at(
    db: Path, page: str, lang: str, identity: roles.Identity | None = None, week: str | None = WEEK
) -> AppTest:
    at = app_test(db, lang, identity)
    if week:
        at.query_params["asof"] = week
    at.run()
    at.switch_page(page).run()
    assert_clean(at)
    return at


def open_page(db: Path, lang: str, identity: roles.Identity | None = None, week: str | None = WEEK) -> AppTest:
    return open_page_at(db, PAGE, lang, identity, week)


def tables(at: AppTest, first_column_key: str, lang: str) -> list[Any]:
    """The tables whose first header is `first_column_key`'s label, headers turned back into column names."""
    names = {text(k, lang): k.rsplit(".", 1)[1] for k in catalogue() if k.startswith("readiness.col.")}
    head = text(f"readiness.col.{first_column_key}", lang)
    found = [d.value.rename(columns=names) for d in at.main.dataframe if list(d.value.columns)[0] == head]
    assert found, f"no table starting with {head}"
    return found


def table(at: AppTest, first_column_key: str, lang: str) -> Any:
    return tables(at, first_column_key, lang)[0]


@pytest.mark.parametrize("lang", LANGS)
def test_demo_store(demo_db: Path, lang: str) -> None:
    at = open_page(demo_db, lang)
    assert at.title[0].value == text("readiness.title", lang)
    headers = [h.value for h in at.main.header]
    for key in ("gates", "depts", "training", "feedback", "findings"):
        assert text(f"readiness.{key}.header", lang) in headers
    # the upcoming gate of 内分泌科: blocked by training, which is computed
    warnings = [w.value for w in at.main.warning]
    assert any("培训覆盖率达标" in w for w in warnings), warnings
    # the upcoming gates in due order: EMR 五级评审 (12-07, passes), then 内分泌科's (12-14); the pilot's is past
    emr, crit = tables(at, "criterion", lang)
    assert set(emr["status"]) == {text("readiness.status.met", lang)}
    row = crit[crit["criterion"] == "培训覆盖率达标"].iloc[0]
    assert row["source"] == text("readiness.source.computed", lang)
    assert row["value"] == f"{15 / 26:.1%}"
    assert row["status"] == text("readiness.status.not_met", lang)
    waived = crit[crit["criterion"] == "医保在线结算"].iloc[0]
    assert waived["status"] == text("readiness.status.waived", lang) and waived["reason"]
    gates = table(at, "project", lang).set_index("gate")
    yes = text("common.yes", lang)
    assert gates.loc["处方流转试点上线评审", "passes"] == yes
    assert gates.loc["处方流转推广上线评审", "passes"] == text("common.no", lang)
    nxt = table(at, "department", lang)
    assert nxt.iloc[0]["department"] == "内分泌科" and nxt.iloc[0]["blocking"] == "培训"
    findings = table(at, "finding_id", lang)
    overdue = findings[findings["days_overdue"].notna()]
    assert sorted(overdue["finding_id"]) == ["JL-06", "JL-07"]
    tiles = {mt.label: mt.value for mt in at.main.metric}
    assert tiles[text("readiness.findings.overdue", lang)] == "2"
    figs = charts(at.main)
    assert {"readiness_heatmap", "readiness_coverage", "readiness_backlog", "readiness_severity"} <= set(figs)
    heat = figs["readiness_heatmap"]["data"][0]
    assert text("readiness.ready.not_ready", lang) in str(heat["text"]) or "未就绪" in str(heat["text"])


@pytest.mark.parametrize("lang", LANGS)
def test_empty_store(empty_db: Path, lang: str) -> None:
    at = open_page(empty_db, lang, week=None)
    assert [i.value for i in at.info] == [text("common.empty.title", lang)]


def test_department_head_sees_their_department_only(demo_db: Path) -> None:
    at = open_page(demo_db, "zh", as_role(roles.DEPT_HEAD, "内分泌科"))
    seen = "\n".join(df.value.to_csv() for df in at.main.dataframe)
    assert "内分泌科" in seen
    for other in ("心内科", "呼吸内科", "消化内科", "急诊科"):
        assert other not in seen, other
    nxt = table(at, "department", "zh")
    assert nxt["department"].tolist() == ["内分泌科"]


def test_president_reads_it(demo_db: Path) -> None:
    at = open_page(demo_db, "en", as_role(roles.PRESIDENT))
    assert at.title[0].value == text("readiness.title", "en")
    assert not at.get("file_uploader")  # read-only: nothing to load here


def test_adoption_rollout_shows_readiness_before_beside_usage_after(
    demo_db: Path, demo_template: Path, tmp_path: Path
) -> None:
    at = open_page_at(demo_db, "pages/adoption.py", "en")
    at.session_state["adoption_tabs"] = text("adoption.tab.rollout", "en")
    at.run()
    assert_clean(at)
    names = {text(k, "en"): k.rsplit(".", 1)[1] for k in catalogue() if k.startswith("adoption.col.")}
    (frame,) = [d.value.rename(columns=names) for d in at.tabs[1].dataframe]
    assert {"coverage_before", "ready_before", "rate_after"} <= set(frame.columns)
    row = frame[(frame["department"] == "急诊科") & (frame["system"] == "EMR")].iloc[0]
    con = duckdb.connect(str(copy_store(demo_template, tmp_path)), read_only=True)
    try:
        scope = Scope(as_of=dt.date(2026, 11, 23))
        want = adoption.rollout_readiness(con, scope).set_index(["department", "system"]).loc[("急诊科", "EMR")]
    finally:
        con.close()
    assert want["coverage_before"] == pytest.approx(1.0)  # 33 of 33 trained the week before the pilot
    assert row["coverage_before"] == pytest.approx(want["coverage_before"])
    assert row["rate_after"] == pytest.approx(want["rate_after"]) and want["rate_after"] > 0.5
