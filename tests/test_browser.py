"""A real browser: serve app.py on a loopback port and drive Debian's headless Chromium through Playwright.

Opens every page in both languages, changes a filter, switches language, saves screenshots to tests/artifacts/.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pytest

from auth.roles import ROLE_PAGES
from metrics import overview
from pages.components import nav
from tests.conftest import ROOT, copy_store

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# The default page (overview) lives at the root URL; the others at their url_path.
URL_PATHS = [
    "" if url == "overview" else url
    for _, pages in nav.SECTIONS
    for f, _, _, url in pages
    if (nav.PAGES_DIR / f).is_file() and f in ROLE_PAGES["pmo"]  # demo mode: the PMO's pages
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed: browser tests skipped"),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(
    db: Path, workdir: Path, *, port: int | None = None, host: str = "127.0.0.1", args: Sequence[str] = ()
) -> Iterator[str]:
    """`streamlit run serve.py` on a loopback port (a free one unless given), waited for until healthy; always
    terminated on the way out. `host` is the name the URL uses (an OIDC redirect names `localhost`); `args` are
    further Streamlit options (`--secrets.files …`)."""
    port = port or free_port()
    log = (workdir / f"server-{port}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", *args],
        cwd=ROOT, env={**os.environ, "COCKPIT_DB": str(db)}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://{host}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited ({proc.returncode}): {Path(log.name).read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("streamlit did not become healthy within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()


@pytest.fixture(scope="module")
def server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on its own copy of the demo store (DuckDB lets only one process hold a file)."""
    workdir = tmp_path_factory.mktemp("browser")
    with serve(copy_store(demo_template, workdir), workdir) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's headless Chromium through Playwright, one per test module (each test opens its own context)."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        pw.stop()


@pytest.fixture
def page(browser: object, server: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    tab.goto(server)  # the first run of a fresh server goes through app.py
    settle(tab)
    try:
        yield tab
    finally:
        context.close()


def settle(tab: object) -> None:
    """Wait until the app has started and finished its current run."""
    try:
        tab.wait_for_selector('[data-testid="stApp"]:not([data-test-script-state="notRunning"])', timeout=1500)  # type: ignore[attr-defined]
    except Exception:  # noqa: S110 - the run may have finished before we looked
        pass
    tab.wait_for_selector(IDLE)  # type: ignore[attr-defined]
    tab.wait_for_timeout(300)  # type: ignore[attr-defined]


def open_sidebar_multiselect(tab: object, n: int = 0) -> None:
    """Open the n-th sidebar multiselect's option list. With the menu's many pages the filters sit below the fold:
    a click that first has to scroll the sidebar only focuses the box, so scroll, then click its text box (again
    if the list did not open)."""
    box = tab.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').nth(n)  # type: ignore[attr-defined]
    field = box.locator('input[role="combobox"]')
    field.scroll_into_view_if_needed()
    for _ in range(3):
        field.click()
        try:
            tab.get_by_role("option").first.wait_for(timeout=5000)  # type: ignore[attr-defined]
            return
        except Exception:  # noqa: S112 - not open yet: click again
            tab.keyboard.press("Escape")  # type: ignore[attr-defined]
    raise AssertionError(f"sidebar multiselect {n} did not open its options")


def assert_no_errors(tab: object, where: str) -> None:
    assert tab.locator('[data-testid="stException"]').count() == 0, where  # type: ignore[attr-defined]
    assert tab.locator('[data-testid="stAlertContentError"]').count() == 0, where  # type: ignore[attr-defined]
    body = tab.inner_text("body")  # type: ignore[attr-defined]
    assert "Traceback" not in body, where
    assert not re.search(r"\bError\b", body), where


def shot(tab: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_opens_without_errors(page: object, server: str, lang: str) -> None:
    for url_path in URL_PATHS:
        page.goto(f"{server}/{url_path}?lang={lang}")  # type: ignore[attr-defined]
        settle(page)
        page.wait_for_selector('[data-testid="stMain"] h1')  # type: ignore[attr-defined]
        assert_no_errors(page, f"{url_path} ({lang})")
        assert page.locator('[data-testid="stDialog"]').count() == 0, f"{url_path}: page not found"  # type: ignore[attr-defined]
        shot(page, f"{url_path or 'overview'}_{lang}")


def project_boxes(tab: object) -> int:
    return int(tab.locator('[data-testid="stMain"] h3').count())  # type: ignore[attr-defined]


def test_filter_changes_the_overview_and_the_url(page: object, server: str, demo_template: Path) -> None:
    con = duckdb.connect(str(demo_template), read_only=True)
    try:
        first = overview.project_options(con)[0]
    finally:
        con.close()
    page.goto(f"{server}/?lang=en")  # type: ignore[attr-defined]
    settle(page)
    before = project_boxes(page)
    assert before >= 3  # the programme box plus several projects
    open_sidebar_multiselect(page)
    page.get_by_role("option", name=first, exact=True).click()  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    settle(page)
    page.wait_for_function(f"document.querySelectorAll('[data-testid=\"stMain\"] h3').length < {before}")  # type: ignore[attr-defined]
    assert project_boxes(page) == 2
    assert "projects=" in page.url  # type: ignore[attr-defined]
    assert_no_errors(page, "overview filtered")
    shot(page, "overview_filtered")
    bookmarked = page.url  # type: ignore[attr-defined]
    page.goto(bookmarked)  # type: ignore[attr-defined]
    settle(page)
    assert project_boxes(page) == 2  # the filtered view survives a reload from the URL


def test_language_switch_in_the_browser(page: object, server: str) -> None:
    page.goto(f"{server}/?lang=zh")  # type: ignore[attr-defined]
    settle(page)
    assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == "项目群总览"  # type: ignore[attr-defined]
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()  # type: ignore[attr-defined]
    settle(page)
    page.wait_for_function(
        "document.querySelector('[data-testid=\"stMain\"] h1')?.innerText.trim() === 'Programme overview'"
    )  # type: ignore[attr-defined]
    assert "lang=en" in page.url  # type: ignore[attr-defined]
    assert_no_errors(page, "overview en")
    shot(page, "overview_switched_to_en")


def test_a_deep_link_on_a_fresh_server_gets_the_shell(
    browser: object, demo_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A bookmark opened before anyone visited the root still gets the menu, the filters and the language."""
    workdir = tmp_path_factory.mktemp("deep_link")
    deep = next((u for u in URL_PATHS if u), "")
    with serve(copy_store(demo_template, workdir), workdir) as url:
        context = browser.new_context(viewport={"width": 1440, "height": 1000})  # type: ignore[attr-defined]
        try:
            tab = context.new_page()
            tab.set_default_timeout(60_000)
            tab.goto(f"{url}/{deep}?lang=en")
            settle(tab)
            tab.wait_for_selector('[data-testid="stSidebar"] h3')
            assert tab.locator('[data-testid="stSidebar"] h3').first.inner_text().strip() == "Filters"
            assert tab.get_by_text("Programme overview", exact=True).count() >= 1  # the translated menu
            assert_no_errors(tab, f"deep link /{deep}")
            shot(tab, f"deep_link_{deep or 'overview'}")
        finally:
            context.close()


def test_the_presidents_brief_downloads_one_after_another(browser: object, server: str) -> None:
    """The three files of the brief, clicked in a row: each arrives whole (a click does not rerun the page, so the
    next button's file is still there), and the page stays as it was."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    try:
        tab.goto(f"{server}/?lang=en")
        settle(tab)
        tab.get_by_text("Prepare this week's brief (PDF / Excel / PPT)").click()
        settle(tab)
        got = {}
        for label in ("Brief PDF", "Meeting deck PPT", "Tables Excel"):
            with tab.expect_download() as info:
                tab.get_by_role("button", name=label).click()
            got[label] = (info.value.suggested_filename, Path(info.value.path()).read_bytes()[:4])
        assert [name.rsplit(".", 1)[-1] for name, _ in got.values()] == ["pdf", "pptx", "xlsx"]
        assert [head for _, head in got.values()] == [b"%PDF", b"PK\x03\x04", b"PK\x03\x04"]
        assert tab.get_by_role("button", name="Brief PDF").count() == 1  # the brief is still offered
        assert_no_errors(tab, "overview after the brief's downloads")
    finally:
        context.close()
