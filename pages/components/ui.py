"""Small rendering helpers pages share: empty states, errors, tiles, lights and downloads."""

from __future__ import annotations

import functools
import re
from typing import Literal

import pandas as pd
import streamlit as st

from loaders.errors import CockpitError
from metrics import export
from pages.components import nav, session, store
from pages.components.i18n import column_label, t

LIGHTS = {"green": "🟢", "amber": "🟡", "red": "🔴", "none": "⚪"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


_AUTOLINK = re.compile(r"(?i)(www)(\.)|(:)(//)|(@)(?=\w)")  # what GFM turns into links without any markup


def escape_markdown(text: object) -> str:
    """Text from data shown inside markdown-rendering elements stays literal text: markup escaped, and a zero-width
    space breaks the bare URLs, www. names and e-mail addresses the renderer would otherwise turn into links."""
    unlinked = _AUTOLINK.sub(
        lambda m: "@\u200b" if m.group(5) else "\u200b".join(g for g in m.groups() if g), str(text)
    )
    return _MD_SPECIAL.sub(r"\\\1", unlinked)


def error(exc: CockpitError) -> None:
    """Show an expected error: its title (translated) and its message, never a traceback."""
    title = t(f"common.error.{type(exc).__name__}") if _has_key(f"common.error.{type(exc).__name__}") else exc.title
    st.error(f"**{escape_markdown(title)}**  \n{escape_markdown(exc.message)}", icon=":material/error:")


def _has_key(key: str) -> bool:
    from pages.components.i18n import catalogue

    return key in catalogue()


def store_ok() -> bool:
    """True when the store opens; otherwise shows the admin message (locked, corrupt) with a retry button."""
    try:
        store.cursor()
    except CockpitError as exc:
        error(exc)
        st.caption(t("common.store.retry_hint"))
        st.button(t("common.store.retry"), key="store_retry")
        return False
    return True


def require_data() -> bool:
    """When the store holds no data, show the empty state pointing to the data page and return False."""
    if not store_ok():
        return False
    if store.has_data():
        return True
    st.info(t("common.empty.title"), icon=":material/inbox:")
    st.caption(t("common.empty.body"))
    if nav.has_page("data.py"):
        st.page_link(str(nav.PAGES_DIR / "data.py"), label=t("common.empty.go"), icon=":material/upload_file:")
    return False


def empty(key: str) -> None:
    """An info box for "nothing for these filters": an empty result is a state, not an error."""
    st.info(t(key), icon=":material/filter_alt_off:")


def tile(label: str, value: str, delta: str | None = None, good: bool | None = None, help: str | None = None) -> None:
    """A metric tile; `good` says whether the delta is good news (green) or bad news (red).

    The arrow follows the sign of a numeric delta ("+3", "-2 d") and is left out for words ("3 critical")."""
    color: Literal["green", "red", "off"] = "off" if delta is None or good is None else ("green" if good else "red")
    numeric = delta is not None and delta.strip()[:1] in ("+", "-", "−") or (delta or "")[:1].isdigit()
    arrow: Literal["auto", "off"] = "auto" if numeric else "off"
    st.metric(label, value, delta=delta, delta_color=color, delta_arrow=arrow, help=help, border=True)


def light(status: str) -> str:
    return LIGHTS.get(status, LIGHTS["none"])


def download(df: pd.DataFrame, name: str, money_columns: tuple[str, ...] = (), key: str | None = None) -> None:
    """Excel (.xlsx, formula-safe, money formatted) and CSV download buttons for `df`, headed in the user's language."""
    key = key or f"dl_{name}"
    labels = {c: column_label(str(c)) for c in df.columns}
    df = df.rename(columns=labels)
    money_columns = tuple(labels.get(c, c) for c in money_columns)
    left, right = st.columns(2)
    left.download_button(
        t("common.download.xlsx"),
        data=export.to_xlsx(df, sheet=name, money_columns=money_columns),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        icon=":material/download:",
        on_click=functools.partial(session.record, "download", target=f"{name}.xlsx", detail=f"{len(df)} rows"),
    )
    right.download_button(
        t("common.download.csv"),
        data=export.to_csv(df),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click=functools.partial(session.record, "download", target=f"{name}.csv", detail=f"{len(df)} rows"),
    )
