"""Single sign-on end to end: a real OIDC provider on loopback (oidc-provider-mock), the app through serve.py with
st.login configured in a secrets file, Chromium signing in as a president and as a department head, landing on
their pages, signing out, and the ID token's expiry ending the session."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from auth.accounts import Accounts
from tests.conftest import copy_store
from tests.test_browser import CHROMIUM, IDLE, browser, free_port, serve

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with tests/test_browser.py

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed: browser tests skipped"),
]
TOKEN_SECONDS = 25
SIGN_IN_BUTTON = "button:has-text('single sign-on'), button:has-text('统一身份认证')"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    from oidc_provider_mock import User, run_server_in_thread

    users = [
        User(sub="dean", claims={"email": "dean@hospital.org", "name": "Dean", "cockpit_role": "president"}),
        User(
            sub="head",
            claims={
                "email": "head@hospital.org",
                "name": "Head",
                "cockpit_role": "dept_head",
                "cockpit_department": "心内科",
            },
        ),
        User(sub="stranger", claims={"email": "stranger@hospital.org", "name": "Stranger"}),  # no role anywhere
        User(sub="listed", claims={"email": "listed@hospital.org", "name": "Listed"}),  # role from the roles file
    ]
    with run_server_in_thread(
        port=free_port(), user_claims=users, access_token_max_age=dt.timedelta(seconds=TOKEN_SECONDS)
    ) as server:
        yield f"http://localhost:{server.server_port}"


@contextlib.contextmanager
def serve_oidc(db: Path, workdir: Path, provider: str) -> Iterator[str]:
    port = free_port()
    secrets_file = workdir / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "cockpit"\nclient_secret = "cockpit-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    with serve(db, workdir, port=port, host="localhost", args=["--secrets.files", str(secrets_file)]) as url:
        yield url


@pytest.fixture(scope="module")
def app_url(demo_template: Path, tmp_path_factory: pytest.TempPathFactory, provider: str) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("oidc")
    roles_file = Accounts(workdir / "roles.sqlite")  # the admin's roles file: no password, a role
    roles_file.add("listed@hospital.org", "finance", display_name="Listed")
    mp = pytest.MonkeyPatch()
    mp.setenv("COCKPIT_ACCOUNTS", str(workdir / "roles.sqlite"))
    try:
        with serve_oidc(copy_store(demo_template, workdir), workdir, provider) as url:
            yield url
    finally:
        mp.undo()


@pytest.fixture
def tab(browser: object, app_url: str) -> Iterator[object]:
    """A fresh browser context (no cookies: signed out) of the module's Chromium."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()


def settle(page: object) -> None:
    page.wait_for_selector(IDLE)  # type: ignore[attr-defined]
    page.wait_for_timeout(400)  # type: ignore[attr-defined]


def sign_in(page: object, app_url: str, sub: str) -> None:
    page.goto(f"{app_url}/?lang=en")  # type: ignore[attr-defined]
    settle(page)
    page.get_by_role("button", name="Sign in with the hospital's single sign-on").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/oauth2/authorize**")  # type: ignore[attr-defined]
    page.get_by_role("button", name=sub, exact=True).click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{app_url}/**")  # type: ignore[attr-defined]
    settle(page)


def finish_logout(page: object, app_url: str) -> None:
    """st.logout sends the browser to the provider's end-session page; confirm it and come back signed out."""
    page.wait_for_url("**/oauth2/end_session**")  # type: ignore[attr-defined]
    page.get_by_role("button", name="End session").click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{app_url}/**")  # type: ignore[attr-defined]
    page.wait_for_selector(SIGN_IN_BUTTON)  # type: ignore[attr-defined]


def nav_links(page: object) -> list[str]:
    links = page.locator('[data-testid="stSidebarNav"] a')  # type: ignore[attr-defined]
    return sorted(str(links.nth(i).get_attribute("href") or "").rsplit("/", 1)[-1] for i in range(links.count()))


def test_sign_in_pages_and_sign_out(tab: object, app_url: str) -> None:
    tab.goto(f"{app_url}/money?lang=en")  # type: ignore[attr-defined]
    settle(tab)
    body = tab.inner_text("body")  # type: ignore[attr-defined]
    assert "Sign in · HIT Cockpit" in body and "Budget" not in body  # no page list, no data before sign-in
    assert nav_links(tab) == []
    sign_in(tab, app_url, "dean")
    # the identity provider's redirect drops ?lang=en: the app speaks its default, Chinese
    assert "当前用户：Dean(院长)" in tab.inner_text('[data-testid="stSidebar"]')  # type: ignore[attr-defined]
    assert nav_links(tab) == sorted(
        ["", "schedule", "money", "risks", "adoption", "benefits", "readiness", "data_quality", "grading", "operations"]
    )
    tab.goto(f"{app_url}/data?lang=en")  # type: ignore[attr-defined]  # not a president's page
    settle(tab)
    assert "Data import" not in tab.inner_text('[data-testid="stMain"]')  # type: ignore[attr-defined]
    assert "Programme overview" in tab.inner_text('[data-testid="stMain"]')  # type: ignore[attr-defined]
    assert tab.locator('[data-testid="stDialog"]').count() == 1  # type: ignore[attr-defined]  # "page not found"
    tab.keyboard.press("Escape")  # type: ignore[attr-defined]
    tab.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    finish_logout(tab, app_url)
    assert nav_links(tab) == []


def test_department_head_lands_on_their_pages(tab: object, app_url: str) -> None:
    sign_in(tab, app_url, "head")
    assert nav_links(tab) == sorted(
        ["", "adoption", "benefits", "data_quality", "readiness"]
    )  # roles.ROLE_PAGES[DEPT_HEAD]
    assert "科室主任 · 心内科" in tab.inner_text('[data-testid="stSidebar"]')  # type: ignore[attr-defined]
    tab.goto(f"{app_url}/money?lang=en")  # type: ignore[attr-defined]  # editing the URL
    settle(tab)
    assert "Budget & spend" not in tab.inner_text('[data-testid="stMain"]')  # type: ignore[attr-defined]


def test_role_from_the_roles_file(tab: object, app_url: str) -> None:
    sign_in(tab, app_url, "listed")
    assert nav_paths_ok(tab, ["", "money"])


def nav_paths_ok(tab: object, expected: list[str]) -> bool:
    return nav_links(tab) == sorted(expected)


def test_no_role_gets_nothing(tab: object, app_url: str) -> None:
    sign_in(tab, app_url, "stranger")
    assert "在驾驶舱中没有角色" in tab.inner_text("body")  # type: ignore[attr-defined]
    assert nav_links(tab) == []


def test_id_token_expiry_ends_the_session(tab: object, app_url: str) -> None:
    sign_in(tab, app_url, "dean")
    assert nav_links(tab)
    signed_in = time.monotonic()
    tab.wait_for_timeout(TOKEN_SECONDS / 2 * 1000)  # type: ignore[attr-defined]
    assert nav_links(tab)  # halfway through the token's life: still signed in
    # left alone, the page ends the session itself at the token's end (no click, no reload) and signs out at the
    # provider too
    tab.wait_for_url("**/oauth2/end_session**", timeout=(TOKEN_SECONDS + 30) * 1000)  # type: ignore[attr-defined]
    assert time.monotonic() - signed_in >= TOKEN_SECONDS / 2
    finish_logout(tab, app_url)
    settle(tab)
    assert nav_links(tab) == []
