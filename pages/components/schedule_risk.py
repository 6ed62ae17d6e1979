"""Schedule page tabs: milestones due, late tasks, the critical chain, the finish forecast and slippage (kept here so
pages/schedule.py stays thin). Render only: the figures come from metrics.schedule / cpm / forecast, the charts from
charts.gantt / charts.forecast.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from charts import forecast as forecast_chart
from charts import gantt
from metrics import cpm, forecast, schedule
from metrics.scope import Scope
from pages.components import store, ui
from pages.components.i18n import lang, t


def columns(df: pd.DataFrame) -> dict[str, Any]:
    """Column headers in the user's language."""
    return {c: st.column_config.Column(t(f"schedule.col.{c}")) for c in df.columns}


def coded(df: pd.DataFrame, column: str, codes: tuple[str, ...]) -> pd.DataFrame:
    """The codes in `column` ("later", "added", …) as words in the user's language."""
    return schedule.relabel(df, column, {c: t(f"schedule.{column}.{c}") for c in codes})


def milestones(plan: pd.DataFrame, today: dt.date, suffix: str) -> str | None:
    """Milestones due in 14 days or overdue, with downloads; returns the project of a selected row."""
    st.subheader(t("schedule.milestones", days=14))
    due = schedule.milestones_due(plan, today, days=14)
    if due.empty:
        ui.empty("schedule.none_milestones")
        return None
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
    return str(due["project"].iloc[rows[0]]) if rows and rows[0] < len(due) else None


def late(plan: pd.DataFrame, today: dt.date) -> None:
    """Late tasks, most overdue first: the first rows shown, every row in the downloads (written on a click)."""
    st.subheader(t("schedule.late"), help=t("schedule.late_help", margin=f"{schedule.LATE_MARGIN:.0f}"))
    rows = schedule.late_tasks(plan, today)
    if rows.empty:
        ui.empty("schedule.none_late")
        return
    ui.table(rows, "late_tasks", area="schedule", index=("percent_complete", "expected_percent", "days_late"),
             key="schedule.late_download")  # fmt: skip


def slippage(scope: Scope) -> None:
    """Each project's finish against its baseline and last week's plan, and the tasks that moved."""
    st.subheader(t("schedule.slippage"), help=t("schedule.slippage_help"))
    slip = store.load(schedule.load_slippage, scope)
    if slip.projects.empty:
        ui.empty("schedule.no_slippage")
        return
    st.plotly_chart(gantt.slippage_chart(slip.projects, lang()), width="stretch", key="schedule.slip_chart")
    slip_projects = coded(slip.projects, "direction", schedule.DIRECTIONS)
    st.dataframe(slip_projects, column_config=columns(slip_projects), hide_index=True)
    st.markdown(f"**{t('schedule.moved')}**")
    if slip.tasks.empty:
        ui.empty("schedule.none_moved")
    else:
        moved = coded(slip.tasks, "change", schedule.CHANGES)
        st.dataframe(moved, column_config=columns(moved), hide_index=True)


def _columns(df: pd.DataFrame) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for c in df.columns:
        if c in ("p_meet_baseline", "criticality"):
            config[c] = st.column_config.ProgressColumn(t(f"schedule.col.{c}"), format="percent", min_value=0.0)
        elif c.endswith("_finish") or c in ("early_start", "finish"):
            config[c] = st.column_config.DateColumn(t(f"schedule.col.{c}"), format="YYYY-MM-DD")
        else:
            config[c] = st.column_config.Column(t(f"schedule.col.{c}"))
    return config


def critical_chain(plan: pd.DataFrame) -> None:
    """Per project: the milestone the critical chain drives, then the chain itself (open critical tasks)."""
    st.subheader(t("schedule.chain"), help=t("schedule.chain_help", days=f"{cpm.near_critical_days():g}"))
    driven = cpm.driven_milestones(plan)
    if driven.empty:
        ui.empty("schedule.no_chain")
        return
    st.dataframe(driven, column_config=_columns(driven), hide_index=True)
    chain = cpm.critical_chain(plan)
    with st.expander(t("schedule.chain_tasks", n=len(chain))):
        st.dataframe(chain, column_config=_columns(chain), hide_index=True)
        ui.download(chain, "critical_chain", key="schedule.chain_download")


def finish_forecast(scope: Scope) -> None:
    """The Monte Carlo finish forecast: the distribution chart, P50/P80 per project, milestones; the criticality
    index (the backward passes: as much work again) only when asked for."""
    st.subheader(t("schedule.forecast"), help=t("schedule.forecast_help", n=f"{forecast.ITERATIONS:,}"))
    fc = store.load(forecast.finish_forecast, scope, criticality=False)  # the overview's: usually kept already
    if fc.projects.empty:
        ui.empty("schedule.no_forecast")
        return
    fig = forecast_chart.finish_distribution(fc.distribution, fc.projects, lang())
    st.plotly_chart(fig, width="stretch", key="schedule.forecast_chart")
    projects = schedule.relabel(fc.projects, "method", {m: t(f"schedule.method.{m}") for m in forecast.METHODS})
    st.dataframe(projects, column_config=_columns(projects), hide_index=True)
    ui.download(projects, "finish_forecast", key="schedule.forecast_download")
    if not fc.milestones.empty:
        with st.expander(t("schedule.forecast_milestones", n=len(fc.milestones))):
            st.dataframe(fc.milestones, column_config=_columns(fc.milestones), hide_index=True)
    if st.toggle(t("schedule.criticality_on"), key="schedule.criticality_on"):
        crit = store.load(forecast.finish_forecast, scope).criticality
        top = crit[crit["criticality"] > 0].head(20)
        st.markdown(f"**{t('schedule.criticality', n=len(top))}**")
        st.dataframe(top, column_config=_columns(top), hide_index=True)
