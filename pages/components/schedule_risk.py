"""Schedule page sections for the critical chain and the finish forecast (kept here so pages/schedule.py stays thin).

Render only: the figures come from metrics.cpm / metrics.forecast, the chart from charts.forecast.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from charts import forecast as forecast_chart
from metrics import cpm, forecast, schedule
from metrics.scope import Scope
from pages.components import store, ui
from pages.components.i18n import lang, t


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
    """The Monte Carlo finish forecast: the distribution chart, P50/P80 per project, milestones, criticality."""
    st.subheader(t("schedule.forecast"), help=t("schedule.forecast_help", n=f"{forecast.ITERATIONS:,}"))
    fc = store.load(forecast.finish_forecast, scope)
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
    top = fc.criticality[fc.criticality["criticality"] > 0].head(20)
    with st.expander(t("schedule.criticality", n=len(top))):
        st.dataframe(top, column_config=_columns(top), hide_index=True)
