"""The shared sidebar filters (language, hospitals, projects, departments, date range, as-of week), kept in the URL.

app.py renders them once per run; pages read them through `scope()`. The widget keys below are also the
query-parameter names, so a filtered view can be bookmarked: ?lang=en&projects=EMR&asof=2026-11-16.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import streamlit as st

from auth import roles
from metrics import overview
from metrics.scope import Scope, default_dates
from pages.components import session, store
from pages.components.i18n import LANG_KEY, LANG_LABELS, LANGS, lang, t

LANG_WIDGET = "lang_switch"
HOSPITALS = "hospitals"
PROJECTS = "projects"
DEPARTMENTS = "depts"
DATES = "dates"
AS_OF = "asof"
FILTER_KEYS = (LANG_KEY, HOSPITALS, PROJECTS, DEPARTMENTS, DATES, AS_OF)  # reserved: pages must not reuse these keys


def _on_language() -> None:
    chosen = st.session_state.get(LANG_WIDGET)
    if chosen in LANGS:
        st.session_state[LANG_KEY] = chosen


def language_switch() -> str:
    """The 中文/English switch; keeps st.session_state["lang"] and the `lang` query parameter in step."""
    current = lang()
    st.session_state[LANG_KEY] = current
    st.session_state[LANG_WIDGET] = current
    st.sidebar.radio(
        "Language / 语言",
        LANGS,
        format_func=LANG_LABELS.__getitem__,
        key=LANG_WIDGET,
        horizontal=True,
        on_change=_on_language,
        label_visibility="collapsed",
    )
    if st.query_params.get(LANG_KEY) != current:
        st.query_params[LANG_KEY] = current  # navigation drops plain query parameters; put it back
    return current


def sidebar() -> None:
    """Hospitals (a group store only), projects, departments, date range and as-of week, each bound to its query
    parameter."""
    who = session.current()
    side = st.sidebar
    side.subheader(t("common.filter.header"))
    bound = roles.bind(Scope(), who).hospitals  # a person bound to one hospital gets no choice
    hospitals = store.load(overview.hospital_options) if bound is None else ()
    if len(hospitals) > 1:
        side.multiselect(
            t("common.filter.hospitals"),
            hospitals,
            key=HOSPITALS,
            bind="query-params",
            placeholder=t("common.filter.all"),
        )
    chosen = bound or _chosen_hospitals()
    projects = store.load(overview.project_options, chosen)
    departments = store.load(overview.department_options, chosen)
    if who is not None and who.role == roles.DEPT_HEAD:
        departments = (who.department or "",)  # a department head's department comes from their identity only
    snapshots = [d.isoformat() for d in store.load(overview.snapshot_dates, chosen)]
    side.multiselect(
        t("common.filter.projects"), projects, key=PROJECTS, bind="query-params", placeholder=t("common.filter.all")
    )
    side.multiselect(
        t("common.filter.departments"),
        departments,
        key=DEPARTMENTS,
        bind="query-params",
        placeholder=t("common.filter.all"),
    )
    side.date_input(t("common.filter.dates"), value=default_dates(), key=DATES, bind="query-params")
    side.selectbox(
        t("common.filter.as_of"),
        snapshots,
        index=None,
        key=AS_OF,
        bind="query-params",
        placeholder=t("common.filter.as_of_latest"),
        help=t("common.filter.as_of_help"),
    )


def allowed_departments(names: Sequence[str], named: Sequence[str] = ()) -> list[str]:
    """The departments a person may pick for a detail view (sorted): `named` when given (the ones an anonymous
    view may name), else `names`; a department head only their own."""
    names = named or names
    who = session.current()
    if who is not None and who.role == roles.DEPT_HEAD:
        return [d for d in names if d == who.department]
    return sorted(names)


def _chosen_hospitals() -> tuple[str, ...] | None:
    return tuple(st.session_state.get(HOSPITALS) or ()) or None


def scope() -> Scope:
    """What the user is looking at, from the sidebar filters (empty selections mean everything)."""
    ss = st.session_state
    projects = tuple(ss.get(PROJECTS) or ()) or None
    departments = tuple(ss.get(DEPARTMENTS) or ()) or None
    dates = ss.get(DATES)
    start: dt.date | None
    end: dt.date | None
    if dates is None:
        start, end = default_dates()
    elif isinstance(dates, dt.date):
        start, end = dates, None
    else:
        picked = tuple(dates)
        start = picked[0] if picked else None
        end = picked[1] if len(picked) > 1 else None
    raw_as_of = ss.get(AS_OF)
    as_of = dt.date.fromisoformat(raw_as_of) if raw_as_of else None
    asked = Scope(
        projects=projects, departments=departments, start=start, end=end, as_of=as_of, hospitals=_chosen_hospitals()
    )
    return roles.bind(asked, session.current())  # whatever the URL or a widget says
