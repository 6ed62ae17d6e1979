"""User-facing strings in the user's language: `t(key, **kwargs)` and `lang()`.

The catalogue is merged from every module in pages/components/strings/ (each defines STRINGS).
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import logging
import pkgutil
from collections.abc import Iterator
from functools import lru_cache

import streamlit as st

from pages.components import strings as _strings

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_KEY = "lang"  # session_state key and URL query parameter
LANG_LABELS = {"zh": "中文", "en": "English"}

_log = logging.getLogger(__name__)
# The language of work done off the script thread for a session (a download's file, made when it is clicked):
# there is no session state there to ask.
_SPEAKING: contextvars.ContextVar[str | None] = contextvars.ContextVar("cockpit_lang", default=None)


def sources() -> list[tuple[str, dict[str, tuple[str, str]]]]:
    """(module name, STRINGS) of every strings module, in name order (tests check them for duplicates)."""
    found = []
    for info in sorted(pkgutil.iter_modules(_strings.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{_strings.__name__}.{info.name}")
        table = getattr(module, "STRINGS", None)
        if isinstance(table, dict):
            found.append((info.name, table))
    return found


@lru_cache(maxsize=1)
def catalogue() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for name, table in sources():
        for key, pair in table.items():
            if key in merged:
                # A duplicate is a bug the i18n test reports; at runtime the first definition wins.
                _log.warning("duplicate string key %s in strings/%s.py", key, name)
                continue
            merged[key] = pair
    return merged


def lang() -> str:
    """The current language: "zh" or "en" (inside `speaking`, that one; else the sidebar switch, else the `lang`
    query parameter, else zh)."""
    held = _SPEAKING.get()
    if held is not None:
        return held
    value = st.session_state.get(LANG_KEY)
    if value in LANGS:
        return str(value)
    query = st.query_params.get(LANG_KEY)
    return query if query in LANGS else DEFAULT_LANG


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """`lang()` is `language` inside the block, on this thread (and what it starts with this context)."""
    token = _SPEAKING.set(language)
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def t(key: str, **kwargs: object) -> str:
    """The string for `key` in the current language, with `.format(**kwargs)` applied."""
    pair = catalogue().get(key)
    if pair is None:
        _log.warning("missing string key %s", key)
        return key  # visible but harmless; tests/test_i18n.py fails on missing keys
    text = pair[0] if lang() == "zh" else pair[1]
    return text.format(**kwargs) if kwargs else text


@lru_cache(maxsize=1)
def column_keys() -> dict[str, str]:
    """Column name -> the first catalogue key that labels it (`<area>.col.<name>`)."""
    found: dict[str, str] = {}
    for key in catalogue():
        area, sep, column = key.partition(".col.")
        if sep and area and column and "." not in column:
            found.setdefault(column, key)
    return found


def column_label(name: str) -> str:
    """A data column's header in the user's language (the column name itself when no label is known)."""
    key = column_keys().get(name)
    return t(key) if key else name
