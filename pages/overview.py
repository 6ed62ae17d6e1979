"""Programme overview: headline tiles for the programme and for each project (a first version)."""

from collections.abc import Mapping
from typing import Any

import streamlit as st

from metrics import overview
from pages.components import filters, fmt, store, ui
from pages.components.i18n import t

st.title(t("overview.title"))
if not ui.require_data():
    st.stop()

scope = filters.scope()
summary = store.load(overview.project_summary, scope)
end = fmt.date(scope.end) if scope.end else fmt.date(scope.today_or_now())
if scope.as_of:
    st.caption(t("overview.caption_as_of", as_of=fmt.date(scope.as_of), end=end))
else:
    st.caption(t("overview.caption_latest", end=end))
if summary.empty:
    ui.empty("common.empty.filtered")
    st.stop()


def tiles(row: Mapping[Any, Any]) -> None:
    """Five tiles in one row: plan, late tasks, open risks, pending changes, budget used."""
    cols = st.columns(5)
    critical = int(row["critical_risks"] or 0)
    share = overview.budget_used_share(row["budget"], row["spent"])
    with cols[0]:
        ui.tile(t("overview.plan_complete"), fmt.pct(row["plan_complete"]), help=t("overview.plan_complete_help"))
    with cols[1]:
        ui.tile(t("overview.late_tasks"), fmt.num(row["late_tasks"]), help=t("overview.late_tasks_help"))
    with cols[2]:
        ui.tile(
            t("overview.open_risks"),
            fmt.num(row["open_risks"]),
            delta=t("overview.critical", n=critical) if critical else None,
            good=False if critical else None,
            help=t("overview.critical_help", score=overview.critical_score()),
        )
    with cols[3]:
        ui.tile(t("overview.pending_changes"), fmt.num(row["pending_changes"]))
    with cols[4]:
        ui.tile(t("overview.budget_used"), fmt.pct(share) if share is not None else t("overview.no_budget"))
        st.caption(t("overview.budget_line", spent=fmt.money(row["spent"]), budget=fmt.money(row["budget"])))


totals = overview.programme_totals(summary)
with st.container(border=True):
    st.subheader(t("overview.programme"))
    tiles(totals)

for record in summary.to_dict("records"):  # one bordered box per project
    with st.container(border=True):
        st.subheader(ui.escape_markdown(record["project"]))
        tiles(record)
