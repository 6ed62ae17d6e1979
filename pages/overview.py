"""Programme overview: are we on track (a light per project and why), what changed since last week (links that
open the page with its filters set), what waits for a decision, the headline KPIs, and the weekly brief."""

import streamlit as st

from metrics import overview
from pages.components import filters, fmt, store, ui
from pages.components import overview_parts as parts
from pages.components.i18n import t

parts.follow()  # a "what changed" item was clicked: open its page with the filters set
st.title(t("overview.title"))
if not ui.require_data():
    st.stop()

scope = filters.scope()
week = store.load(overview.week_view, scope)
if scope.as_of:
    st.caption(t("overview.caption_as_of", week=fmt.date(week.week)))
else:
    st.caption(t("overview.caption_latest", week=fmt.date(week.week)))
if week.projects.empty:
    ui.empty("common.empty.filtered")
    st.stop()

parts.programme(week)
parts.projects(week)
parts.changes(week)
parts.decisions(week)
parts.kpis(week)
parts.brief_download(week)
