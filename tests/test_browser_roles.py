"""Roles in a real browser: local accounts signed in through the form in Chromium; each role's pages, a department
head's view and downloads free of other departments (names anonymised), forged page addresses refused; and data
that tries to be markdown or HTML (links, images, auto-links) shown as literal text."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from auth.accounts import Accounts
from loaders import store
from tests import storekit
from tests.conftest import copy_store
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, serve, settle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed: browser tests skipped"),
]
PASSWORD = "a long enough password"
MINE = "心内科"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def signed_server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    workdir = tmp_path_factory.mktemp("roles")
    db = copy_store(demo_template, workdir)
    con = duckdb.connect(str(db), read_only=True)
    try:
        departments = [str(r[0]) for r in con.execute("SELECT DISTINCT department FROM usage").fetchall()]
    finally:
        con.close()
    accounts = Accounts(workdir / "accounts.sqlite")
    accounts.add("head", "dept_head", password=PASSWORD, department=MINE)
    accounts.add("dean", "president", password=PASSWORD)
    accounts.add("money", "finance", password=PASSWORD)
    mp = pytest.MonkeyPatch()
    mp.setenv("COCKPIT_ACCOUNTS", str(workdir / "accounts.sqlite"))
    mp.setenv("COCKPIT_ANONYMOUS", "1")
    try:
        with serve(db, workdir) as url:
            yield url, departments
    finally:
        mp.undo()


@pytest.fixture
def tab(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN", accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()


def sign_in(page: object, url: str, user: str) -> None:
    page.goto(f"{url}/?lang=en")  # type: ignore[attr-defined]
    settle(page)
    page.get_by_role("textbox", name="User name").fill(user)  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stSidebarNav"]')  # type: ignore[attr-defined]
    settle(page)


def nav_paths(page: object) -> list[str]:
    links = page.locator('[data-testid="stSidebarNav"] a')  # type: ignore[attr-defined]
    return sorted(str(links.nth(i).get_attribute("href") or "").rsplit("/", 1)[-1] for i in range(links.count()))


def go(page: object, path: str) -> None:
    """Open a page from the sidebar (in the same session: a local sign-in lasts as long as the browser tab's
    session; typing an address starts a new session, which begins at the sign-in page)."""
    page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').first.click()  # type: ignore[attr-defined]
    settle(page)


def downloads_text(page: object) -> str:
    """Click every download button on the page and read what arrives (CSV as text; Excel as its XML)."""
    import zipfile

    out = []
    buttons = page.locator('[data-testid="stDownloadButton"] button')  # type: ignore[attr-defined]
    for i in range(buttons.count()):
        with page.expect_download() as info:  # type: ignore[attr-defined]
            buttons.nth(i).click()
        path = info.value.path()
        data = Path(path).read_bytes()
        if data[:2] == b"PK":
            with zipfile.ZipFile(path) as z:
                out += [z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")]
        else:
            out.append(data.decode("utf-8-sig", "replace"))
    return "\n".join(out)


def test_department_head_in_the_browser(tab: object, signed_server: tuple[str, list[str]]) -> None:
    url, departments = signed_server
    sign_in(tab, url, "head")
    assert nav_paths(tab) == sorted(
        ["", "adoption", "benefits", "data_quality", "readiness"]
    )  # roles.ROLE_PAGES[DEPT_HEAD]
    seen = []
    for path in ("", "adoption", "benefits"):
        go(tab, path)
        seen.append(tab.inner_text("body"))  # type: ignore[attr-defined]
        seen.append(tab.content())  # type: ignore[attr-defined]  # chart hovers live in the page's JSON
        seen.append(downloads_text(tab))
    shown = "\n".join(seen)
    assert MINE in shown
    assert [d for d in departments if d != MINE and d in shown] == []
    for forged in ("money", "data", "audit", "admin", f"adoption?depts={departments[0]}"):
        tab.goto(f"{url}/{forged}")  # type: ignore[attr-defined]  # an edited address: a new session
        settle(tab)
        main = tab.inner_text('[data-testid="stMain"]')  # type: ignore[attr-defined]
        assert "Budget" not in main and "Data import" not in main and "Audit" not in main, forged
        assert "Sign in" in main or "登录" in main, forged
        assert [d for d in departments if d != MINE and d in tab.content()] == [], forged  # type: ignore[attr-defined]


@pytest.mark.parametrize(("user", "paths"), [
    ("dean", ["", "schedule", "money", "risks", "adoption", "benefits", "readiness", "data_quality", "grading", "operations"]),
    ("money", ["", "money"]),
])  # fmt: skip
def test_each_role_gets_its_pages_in_the_browser(
    tab: object, signed_server: tuple[str, list[str]], user: str, paths: list[str]
) -> None:
    url, _ = signed_server
    sign_in(tab, url, user)
    assert nav_paths(tab) == sorted(paths)
    for path in paths:
        go(tab, path)
        assert tab.locator('[data-testid="stException"]').count() == 0, path  # type: ignore[attr-defined]
        assert tab.locator('[data-testid="stDialog"]').count() == 0, path  # type: ignore[attr-defined]
    tab.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    tab.wait_for_selector("text=Sign in")  # type: ignore[attr-defined]
    assert nav_paths(tab) == []


# ------------------------------------------------------------------ data that tries to be markdown or HTML

HOSTILE = '**www.evil.example** ![p](http://127.0.0.1:9/pic.png) <a href="http://evil.example/">x</a> [y](http://evil.example/)'


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("hostile")
    db = workdir / "hostile.duckdb"
    con = store.open_store(db)
    try:
        task = {"project": HOSTILE, "task_id": "1", "name": HOSTILE, "start": dt.date(2026, 1, 5), "duration_days": 20}
        storekit.insert_rows(con, "tasks", [{**task, "finish": dt.date(2026, 11, 1)}], as_of=dt.date(2026, 11, 16))
        storekit.insert_rows(con, "tasks", [{**task, "finish": dt.date(2026, 12, 1)}], as_of=dt.date(2026, 11, 23))
        kpi = {"kpi": HOSTILE, "department": None, "unit": HOSTILE}
        storekit.insert_rows(
            con, "kpis", [{**kpi, "period": dt.date(2026, m, 1), "value": float(m)} for m in (9, 10, 11)]
        )
        storekit.insert_rows(con, "budget", [{"project": HOSTILE, "category": HOSTILE, "amount": 100.0}])
    finally:
        con.close()
    mp = pytest.MonkeyPatch()
    mp.delenv("COCKPIT_ACCOUNTS", raising=False)  # demo mode: the PMO sees every page
    try:
        with serve(db, workdir) as url:
            yield url
    finally:
        mp.undo()


def test_data_is_shown_as_literal_text(tab: object, hostile_server: str) -> None:
    fetched: list[str] = []
    tab.on("request", lambda r: fetched.append(r.url))  # type: ignore[attr-defined]
    for path in ("", "schedule", "benefits", "money"):
        tab.goto(f"{hostile_server}/{path}?lang=en")  # type: ignore[attr-defined]
        settle(tab)
        tab.wait_for_timeout(500)  # type: ignore[attr-defined]
        links = tab.evaluate(  # type: ignore[attr-defined]
            "[...document.querySelectorAll('a')].map(a => a.getAttribute('href') || a.getAttribute('xlink:href') || '')"
        )
        assert not [h for h in links if "evil" in h and not h.startswith("#")], (path, links)  # "#": heading anchors
        assert tab.locator('img[src*="127.0.0.1:9"]').count() == 0, path  # type: ignore[attr-defined]
        body = tab.inner_text("body").replace("\u200b", "")  # type: ignore[attr-defined]
        assert "www.evil.example" in body or path in ("schedule", "money"), path  # those draw it in canvases
    assert not [u for u in fetched if "127.0.0.1:9" in u or "evil.example" in u]
    assert re.search(r"\*\*www\.evil\.example\*\*", tab.inner_text("body").replace("\u200b", ""))  # type: ignore[attr-defined]


def test_a_page_left_open_goes_to_sign_in_by_itself_when_the_session_lapses(
    browser: object, demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the idle limit at 6 s, a president's money page left alone (no click) turns into the sign-in page with
    the expired notice once the limit passes, not before; the sign-out is in the audit log with why."""
    import time

    db = copy_store(demo_template, tmp_path)
    accounts = Accounts(tmp_path / "accounts.sqlite")
    accounts.add("dean", "president", password=PASSWORD)
    monkeypatch.setenv("COCKPIT_ACCOUNTS", str(tmp_path / "accounts.sqlite"))
    monkeypatch.setenv("COCKPIT_IDLE_MINUTES", "0.1")
    with serve(db, tmp_path) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")  # type: ignore[attr-defined]
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            sign_in(page, url, "dean")
            clicked = time.monotonic()  # the money page's run, the last one of the whole page, starts after this
            page.locator('[data-testid="stSidebarNav"] a[href$="/money"]').first.click()  # type: ignore[attr-defined]
            page.wait_for_timeout(4000)
            assert page.get_by_role("button", name="Sign in").count() == 0  # still signed in before the limit
            assert page.locator('[data-testid="stSidebarNav"]').count() == 1
            page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
            waited = time.monotonic() - clicked
            assert page.get_by_text("Your session expired; sign in again.").count() == 1
            assert page.locator('[data-testid="stSidebarNav"]').count() == 0
            # the look falls 7 s (6 s idle and its 1 s margin) after the run began, which is after the click
            assert 6.0 <= waited <= 30.0, waited
        finally:
            context.close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        ends = con.execute("SELECT who, event, detail FROM audit_log WHERE event = 'sign_out'").fetchall()
    finally:
        con.close()
    assert ends == [("dean", "sign_out", "expired")]
