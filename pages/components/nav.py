"""The page list, built by one function so that roles can later decide who sees what."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages.components.i18n import t

PAGES_DIR = Path(__file__).resolve().parent.parent

# (section title key, [(page file, title key, icon, url path)]) in menu order.
SECTIONS: tuple[tuple[str, tuple[tuple[str, str, str, str], ...]], ...] = (
    ("common.section.overview", (("overview.py", "common.page.overview", ":material/dashboard:", "overview"),)),
    ("common.section.schedule", (("schedule.py", "common.page.schedule", ":material/view_timeline:", "schedule"),)),
    ("common.section.money", (("money.py", "common.page.money", ":material/payments:", "money"),)),
    ("common.section.risks", (("risks.py", "common.page.risks", ":material/warning:", "risks"),)),
    (
        "common.section.adoption",
        (
            ("adoption.py", "common.page.adoption", ":material/groups:", "adoption"),
            ("benefits.py", "common.page.benefits", ":material/trending_up:", "benefits"),
        ),
    ),
    ("common.section.data", (("data.py", "common.page.data", ":material/upload_file:", "data"),)),
)

# Pages a role may open; every role sees everything until sign-in arrives.
ROLE_PAGES: dict[str, frozenset[str] | None] = {"pmo": None}


def page_files(role: str = "pmo") -> list[Path]:
    """The page files of `role` that exist on disk, in menu order (tests parametrise over these)."""
    allowed = ROLE_PAGES.get(role)
    files = [PAGES_DIR / f for _, pages in SECTIONS for f, *_ in pages]
    return [p for p in files if p.is_file() and (allowed is None or p.name in allowed)]


def build_pages(role: str = "pmo") -> dict[str, list[st.Page]]:
    """Sections (translated titles) -> st.Page objects; pages not written yet are left out, not broken."""
    present = set(page_files(role))
    sections: dict[str, list[st.Page]] = {}
    for section_key, pages in SECTIONS:
        entries = [
            st.Page(PAGES_DIR / f, title=t(title), icon=icon, url_path=url, default=(url == "overview"))
            for f, title, icon, url in pages
            if PAGES_DIR / f in present
        ]
        if entries:
            sections[t(section_key)] = entries
    return sections


def has_page(name: str, role: str = "pmo") -> bool:
    return any(p.name == name for p in page_files(role))
