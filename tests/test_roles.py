"""Each role through app.py under AppTest: the pages it gets (and only those, even by a forged page address), and
for a department head nothing of another department anywhere: tables, charts (hovers), texts, downloads, errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from auth import roles
from pages.components import nav
from pages.components.i18n import catalogue
from tests.conftest import ROOT, app_test, as_role, record_downloads

MINE = "心内科"


@pytest.fixture(scope="module")
def departments(demo_template: Path) -> list[str]:
    con = duckdb.connect(str(demo_template), read_only=True)
    try:
        rows = con.execute(
            "SELECT DISTINCT department FROM usage UNION SELECT DISTINCT department FROM kpis WHERE department IS NOT NULL"
        ).fetchall()
    finally:
        con.close()
    names = sorted(str(r[0]) for r in rows)
    assert MINE in names and len(names) >= 10
    return names


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every byte string a download button offers (written at once or on a click)."""
    seen: list[bytes] = []
    record_downloads(monkeypatch, lambda _name, data: seen.append(data))
    return seen


def page_path(name: str) -> str:
    return (Path("pages") / name).as_posix()


def texts(at: AppTest) -> list[str]:
    """Everything the page put on screen as text: element values and labels, table cells, chart JSON."""
    out: list[str] = []

    def walk(node: Any) -> None:
        for child in getattr(node, "children", {}).values():
            walk(child)
        proto = getattr(node, "proto", None)
        if proto is not None and getattr(node, "type", "") == "plotly_chart":
            out.append(json.dumps(json.loads(proto.spec), ensure_ascii=False))
        for attr in ("value", "label", "body", "help", "options"):
            try:
                value = getattr(node, attr)
            except Exception:  # noqa: S112 - not every element has every attribute
                continue
            if hasattr(value, "to_csv"):
                out.append(value.to_csv())
            elif isinstance(value, list | tuple):
                out.extend(str(v) for v in value)
            elif value is not None:
                out.append(str(value))

    walk(at._tree)
    return out


def download_texts(blobs: list[bytes]) -> list[str]:
    out = []
    for blob in blobs:
        if blob[:2] == b"PK":
            book = openpyxl.load_workbook(io.BytesIO(blob), read_only=True)
            out.extend(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row)
        else:
            out.append(blob.decode("utf-8-sig", errors="replace"))
    return out


# ------------------------------------------------------------------ page lists


@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_gets_exactly_its_pages(demo_db: Path, role: str) -> None:
    dept = MINE if role == roles.DEPT_HEAD else None
    for page in [*nav.page_files("pmo"), nav.PAGES_DIR / "admin.py"]:
        at = app_test(demo_db, "en", as_role(role, dept)).run()  # a fresh session per page, as a new tab would
        assert not at.exception
        path = page.relative_to(ROOT).as_posix()
        if page.name in roles.ROLE_PAGES[role]:
            at.switch_page(path).run()
            assert not at.exception, (role, path, [e.value for e in at.exception])
            assert not at.error, (role, path, [e.value for e in at.error])
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(path)  # not registered for this role: it does not exist


def forged(db: Path, identity: roles.Identity, page: str) -> AppTest:
    """A page address taken from a PMO's session and replayed by `identity` (a URL edit)."""
    pmo = app_test(db, "en").run()
    pmo.switch_page(page).run()
    at = app_test(db, "en", identity).run()
    at._page_hash = pmo._page_hash
    return at.run()


@pytest.mark.parametrize("page", ["pages/money.py", "pages/data.py", "pages/audit.py", "pages/risks.py"])
def test_department_head_editing_the_address_is_refused(demo_db: Path, page: str) -> None:
    at = forged(demo_db, as_role(roles.DEPT_HEAD, MINE), page)
    assert not at.exception
    assert [t.value for t in at.title] == ["Programme overview"]  # the default page, not the one asked for


def test_admin_page_refused_to_the_pmo_by_address(demo_db: Path, tmp_path: Path) -> None:
    admin = app_test(demo_db, "en", as_role(roles.ADMIN)).run()
    admin.switch_page("pages/admin.py").run()
    at = app_test(demo_db, "en").run()
    at._page_hash = admin._page_hash
    at.run()
    assert [t.value for t in at.title] == ["Programme overview"]


def test_no_role_sees_only_the_sign_in_page(demo_db: Path) -> None:
    at = app_test(demo_db, "en", roles.Identity("someone", None, source="test")).run()
    assert not at.exception
    assert not at.sidebar.subheader  # no filters, no page list
    assert [t.value for t in at.title] == ["Sign in · HIT Cockpit"] or not at.title
    head_without_department = app_test(demo_db, "en", roles.Identity("x", roles.DEPT_HEAD, None, source="test")).run()
    assert not head_without_department.sidebar.subheader and not head_without_department.dataframe


# ------------------------------------------------------------------ a department head's scope


def _everything(db: Path, identity: roles.Identity, blobs: list[bytes]) -> str:
    seen: list[str] = []
    for page in nav.page_files(str(identity.role)):
        at = app_test(db, "zh", identity).run()
        at.switch_page(page.relative_to(ROOT).as_posix()).run()
        assert not at.exception, (page.name, [e.value for e in at.exception])
        seen += texts(at)
        if page.name == "adoption.py":  # open every lower tab: each runs its own queries
            for key in ("adoption.tab.heatmap", "adoption.tab.rollout", "adoption.tab.trend", "adoption.tab.mine"):
                at.session_state["adoption_tabs"] = catalogue()[key][0]
                at.run()
                assert not at.exception, (key, [e.value for e in at.exception])
                seen += texts(at)
    seen += download_texts(blobs)
    return "\n".join(seen)


def test_department_head_sees_no_other_department_when_anonymous(
    demo_db: Path, departments: list[str], downloads: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COCKPIT_ANONYMOUS", "1")
    shown = _everything(demo_db, as_role(roles.DEPT_HEAD, MINE), downloads)
    assert MINE in shown
    assert downloads, "no download was offered"
    leaked = [d for d in departments if d != MINE and d in shown]
    assert not leaked, leaked


def test_the_pmo_sees_every_department(demo_db: Path, departments: list[str], downloads: list[bytes]) -> None:
    shown = _everything(demo_db, as_role(roles.PMO), downloads)  # the same walk finds them when allowed
    assert [d for d in departments if d not in shown] == []


def test_department_head_cannot_widen_by_url(demo_db: Path, departments: list[str]) -> None:
    other = next(d for d in departments if d != MINE)
    at = app_test(demo_db, "zh", as_role(roles.DEPT_HEAD, MINE))
    at.query_params["depts"] = other
    at.run()
    at.switch_page("pages/benefits.py").run()
    assert not at.exception
    assert other not in "\n".join(texts(at))
