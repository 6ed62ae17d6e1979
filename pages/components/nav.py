"""The page list, built per role: a page a role may not open does not exist for it, not even by URL."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from auth.roles import ROLE_PAGES
from pages.components import session
from pages.components.i18n import t

PAGES_DIR = Path(__file__).resolve().parent.parent

# (section title key, [(page file, title key, icon, url path)]) in menu order.
SECTIONS: tuple[tuple[str, tuple[tuple[str, str, str, str], ...]], ...] = (
    ("common.section.overview", (("overview.py", "common.page.overview", ":material/dashboard:", "overview"),)),
    ("common.section.schedule", (("schedule.py", "common.page.schedule", ":material/view_timeline:", "schedule"),)),
    ("common.section.money", (("money.py", "common.page.money", ":material/payments:", "money"),)),
    ("common.section.risks", (("risks.py", "common.page.risks", ":material/warning:", "risks"),)),
    ("common.section.readiness", (("readiness.py", "common.page.readiness", ":material/fact_check:", "readiness"),)),
    (
        "common.section.adoption",
        (
            ("adoption.py", "common.page.adoption", ":material/groups:", "adoption"),
            ("benefits.py", "common.page.benefits", ":material/trending_up:", "benefits"),
        ),
    ),
    (
        "data_quality.section",
        (
            ("data_quality.py", "data_quality.nav", ":material/fact_check:", "data_quality"),
            ("grading.py", "grading.nav", ":material/military_tech:", "grading"),
        ),
    ),
    ("common.section.data", (("data.py", "common.page.data", ":material/upload_file:", "data"),)),
    (
        "common.section.admin",
        (
            ("admin.py", "common.page.admin", ":material/manage_accounts:", "admin"),
            ("audit.py", "common.page.audit", ":material/policy:", "audit"),
        ),
    ),
)


def page_files(role: str = "pmo") -> list[Path]:
    """The page files of `role` that exist on disk, in menu order (tests parametrise over these). Deny by
    default: an unknown role has none."""
    allowed = ROLE_PAGES.get(role, frozenset())
    files = [PAGES_DIR / f for _, pages in SECTIONS for f, *_ in pages]
    return [p for p in files if p.is_file() and p.name in allowed]


def build_pages(role: str) -> dict[str, list[st.Page]]:
    """Sections (translated titles) -> st.Page objects; pages not written yet are left out, not broken."""
    present = set(page_files(role))
    first = next((p.name for p in page_files(role)), None)  # the overview, or the admin's first page
    sections: dict[str, list[st.Page]] = {}
    for section_key, pages in SECTIONS:
        entries = [
            st.Page(PAGES_DIR / f, title=t(title), icon=icon, url_path=url, default=(f == first))
            for f, title, icon, url in pages
            if PAGES_DIR / f in present
        ]
        if entries:
            sections[t(section_key)] = entries
    return sections


def has_page(name: str, role: str | None = None) -> bool:
    """Whether `role` (default: the signed-in person's) has the page."""
    who = session.current()
    return any(p.name == name for p in page_files(role or (who.role if who and who.valid_role else "") or ""))
