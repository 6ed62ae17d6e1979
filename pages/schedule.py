"""Schedule: the Gantt of every plan (status, progress, baselines, milestones, critical path), then lazy tabs for the
milestones due, late tasks, the critical chain, the finish forecast and slippage since last week; clicking a bar or
a milestone narrows the view to that project.
"""

import dataclasses

import streamlit as st

from charts import gantt
from metrics import schedule
from pages.components import filters, fmt, schedule_risk, store, ui
from pages.components.i18n import lang, t

FOCUS = "schedule.focus"  # session_state: the project a click narrowed the view to
TABS = "schedule_tabs"  # the open tab (its label): tabs are lazy, only the open one computes and draws


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
if meta["picked"]:
    st.caption(t("schedule.picked", days=gantt.SOON_DAYS, **{k: f"{v:,}" for k, v in meta["picked"].items()}))
st.caption(t("schedule.click_hint"))
event = st.plotly_chart(
    fig, width="stretch", key=f"schedule.gantt.{suffix}", on_select="rerun", selection_mode=("points",)
)
narrow(gantt.selected_project(event.selection))

notes = schedule_risk.coded(schedule.plan_notes(plan), "kind", schedule.NOTE_KINDS)
if not notes.empty:
    with st.expander(t("schedule.notes", n=len(notes))):
        st.dataframe(notes, column_config=schedule_risk.columns(notes), hide_index=True)

# Lazy tabs: only the open one computes and draws (the forecast's 5,000 runs wait until someone asks for them).
keys = ("milestones", "late", "chain", "forecast", "slippage")
tabs = dict(zip(keys, st.tabs([t(f"schedule.tab.{k}") for k in keys], key=TABS, on_change="rerun"), strict=True))
if tabs["milestones"].open:
    with tabs["milestones"]:
        narrow(schedule_risk.milestones(plan, today, suffix))
if tabs["late"].open:
    with tabs["late"]:
        schedule_risk.late(plan, today)
if tabs["chain"].open:
    with tabs["chain"]:
        schedule_risk.critical_chain(plan)
if tabs["forecast"].open:
    with tabs["forecast"]:
        schedule_risk.finish_forecast(scope)
if tabs["slippage"].open:
    with tabs["slippage"]:
        schedule_risk.slippage(scope)
