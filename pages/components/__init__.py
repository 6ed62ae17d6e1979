"""Streamlit helpers every page shares (the UI contract in docs/UI_CONTRACT.md): i18n, fmt, store, filters, ui, nav.

Importing this package also takes a fresh server out of Streamlit's legacy "pages/ directory" mode (see below).
"""

from __future__ import annotations


def _leave_legacy_pages_mode() -> None:
    # Our page files live in pages/, so until app.py has called st.navigation once, Streamlit routes a deep link
    # (/money?...) straight to pages/money.py in its legacy multipage mode: no shell, no filters, a menu of file
    # names. When that happens, the page's first import of this package switches the mode off (as st.navigation
    # would) and reruns, so the same URL goes through app.py.
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    if PagesManager.uses_pages_directory and get_script_run_ctx(suppress_warning=True) is not None:
        import streamlit as st

        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_pages_mode()
