"""Schedule: the Gantt of every plan (status, progress, baselines, milestones, critical path), slippage since last
week, late tasks and the milestones due; clicking a bar or a milestone narrows the view to that project.
"""

import dataclasses
from typing import Any

import pandas as pd
import streamlit as st

from charts import gantt
from metrics import schedule
from pages.components import filters, fmt, schedule_risk, store, ui
from pages.components.i18n import lang, t

FOCUS = "schedule.focus"  # session_state: the project a click narrowed the view to


def columns(df: pd.DataFrame) -> dict[str, Any]:
    """Column headers in the user's language."""
    return {c: st.column_config.Column(t(f"schedule.col.{c}")) for c in df.columns}


def coded(df: pd.DataFrame, column: str, codes: tuple[str, ...]) -> pd.DataFrame:
    """The codes in `column` ("later", "added", …) as words in the user's language."""
    return schedule.relabel(df, column, {c: t(f"schedule.{column}.{c}") for c in codes})


def narrow(project: str | None) -> None:
    if project and project != st.session_state.get(FOCUS):
        st.session_state[FOCUS] = project
        st.rerun()


def show_all() -> None:
    st.session_state.pop(FOCUS, None)


st.title(t("schedule.title"))
if not ui.require_data():
    st.stop()

base = filters.scope()
focus = st.session_state.get(FOCUS)
if focus and base.projects is not None and focus not in base.projects:
    focus = None  # the sidebar filter moved away from the clicked project
scope = dataclasses.replace(base, projects=(focus,)) if focus else base
today = schedule.plan_today(scope)
# Widget keys carry the focus so a stale selection never re-applies after "show all".
suffix = focus or "all"

caption = t("schedule.caption", today=fmt.date(today))
if scope.as_of:
    caption += " " + t("schedule.caption_as_of", as_of=fmt.date(scope.as_of))
st.caption(caption)

c1, c2, c3, c4 = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
# one project reads best task by task; the whole portfolio starts one bar per phase
single = bool(focus) or (scope.projects is not None and len(scope.projects) == 1)
view = c1.segmented_control(
    t("schedule.view"),
    ["task", "phase", "project"],
    format_func=lambda v: t(f"schedule.view.{v}"),
    default="task" if single else "phase",
    key=f"schedule.view.{'one' if single else 'all'}",
)
zoom = c2.segmented_control(
    t("schedule.zoom"), ["all", "month", "quarter"], format_func=lambda v: t(f"schedule.zoom.{v}"), default="all"
)
show_baseline = c3.toggle(t("schedule.show_baseline"), value=True)
show_critical = c4.toggle(t("schedule.show_critical"), value=True)

if focus:
    f1, f2 = st.columns([4, 1], vertical_alignment="center")
    f1.info(t("schedule.focus", project=ui.escape_markdown(focus)), icon=":material/filter_alt:")
    f2.button(t("schedule.show_all"), on_click=show_all, key="schedule.show_all")

plan = store.load(schedule.load_plan, scope)
if plan.empty:
    ui.empty("schedule.empty")
    st.stop()

fig = gantt.gantt(
    plan,
    today,
    lang=lang(),
    group=view or "task",
    zoom=None if zoom in (None, "all") else zoom,
    show_baseline=show_baseline,
    show_critical=show_critical,
)
meta = fig.layout.meta
if meta["collapsed"]:
    st.caption(t("schedule.collapsed", rows=len(plan), group=t(f"schedule.group.{meta['group']}")))
st.caption(t("schedule.click_hint"))
event = st.plotly_chart(
    fig, width="stretch", key=f"schedule.gantt.{suffix}", on_select="rerun", selection_mode=("points",)
)
narrow(gantt.selected_project(event.selection))

notes = coded(schedule.plan_notes(plan), "kind", schedule.NOTE_KINDS)
if not notes.empty:
    with st.expander(t("schedule.notes", n=len(notes))):
        st.dataframe(notes, column_config=columns(notes), hide_index=True)

schedule_risk.critical_chain(plan)
schedule_risk.finish_forecast(scope)

st.subheader(t("schedule.slippage"), help=t("schedule.slippage_help"))
slip = store.load(schedule.load_slippage, scope)
if slip.projects.empty:
    ui.empty("schedule.no_slippage")
else:
    st.plotly_chart(gantt.slippage_chart(slip.projects, lang()), width="stretch", key="schedule.slip_chart")
    slip_projects = coded(slip.projects, "direction", schedule.DIRECTIONS)
    st.dataframe(slip_projects, column_config=columns(slip_projects), hide_index=True)
    st.markdown(f"**{t('schedule.moved')}**")
    if slip.tasks.empty:
        ui.empty("schedule.none_moved")
    else:
        moved = coded(slip.tasks, "change", schedule.CHANGES)
        st.dataframe(moved, column_config=columns(moved), hide_index=True)

st.subheader(t("schedule.late"), help=t("schedule.late_help", margin=f"{schedule.LATE_MARGIN:.0f}"))
late = schedule.late_tasks(plan, today)
if late.empty:
    ui.empty("schedule.none_late")
else:
    st.dataframe(late, column_config=columns(late), hide_index=True)
    ui.download(late, "late_tasks", key="schedule.late_download")

st.subheader(t("schedule.milestones", days=14))
due = schedule.milestones_due(plan, today, days=14)
if due.empty:
    ui.empty("schedule.none_milestones")
else:
    st.caption(t("schedule.milestones_hint"))
    picked = st.dataframe(
        due,
        column_config=columns(due),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"schedule.milestones.{suffix}",
    )
    ui.download(due, "milestones", key="schedule.milestones_download")
    rows = picked.selection.rows
    if rows and rows[0] < len(due):
        narrow(str(due["project"].iloc[rows[0]]))
