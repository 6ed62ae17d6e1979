"""Adoption: department ranking by usage rate for a system (or all), the department × system heatmap, the roll-out
matrix from the plan's milestones, trends with go-live marked, and a department head's own view."""

from typing import Any

import pandas as pd
import streamlit as st

from charts import adoption as charts
from metrics import adoption as m
from pages.components import filters, fmt, store, ui
from pages.components.i18n import lang, t

ALL = ""  # the system picker's "all systems (weighted mean)" choice
PICKED = "adoption_picked_department"  # the department clicked in the ranking, kept across reruns
TABS = "adoption_tabs"  # the open lower tab (its label): tabs are lazy, only the open one runs its queries


def columns(names: list[str]) -> dict[str, Any]:
    """Column headers in the user's language; shares shown as percentages."""
    pct, label = {"rate", "gap", "target", "others_median"}, {c: t(f"adoption.col.{c}") for c in names}
    return {c: st.column_config.NumberColumn(label[c], format="percent") if c in pct else label[c] for c in names}


def show(df: pd.DataFrame, names: list[str]) -> None:
    st.dataframe(df, column_order=names, column_config=columns(names), hide_index=True, width="stretch")


st.title(t("adoption.title"))
if not ui.require_data():
    st.stop()
scope = filters.scope()
systems = store.load(m.systems, scope)
if not systems:
    ui.empty("adoption.empty")
    st.stop()
st.caption(t("adoption.rule"))

left, right = st.columns([2, 1])
system = left.selectbox(
    t("adoption.system"),
    [ALL, *systems],
    format_func={ALL: t("adoption.all_systems"), **{s: s for s in systems}}.__getitem__,
    key="adoption_system",
)
period = right.radio(
    t("adoption.period"),
    m.PERIODS,
    format_func={p: t(f"adoption.period.{p}") for p in m.PERIODS}.__getitem__,
    horizontal=True,
    key="adoption_period",
)
chosen = system or None

# ---------------------------------------------------------------- ranking
st.subheader(t("adoption.ranking.header"))
ranking = store.load(m.usage_ranking, scope, chosen, period)
if ranking.empty:
    ui.empty("adoption.empty")
    st.stop()
st.caption(
    t(
        "adoption.ranking.caption",
        period=fmt.date(ranking["period"].iloc[0]),
        previous=fmt.date(ranking["previous_period"].iloc[0]),
        target=fmt.pct(ranking["target"].iloc[0], 0),
        n=m.BOTTOM_N,
    )
)
event = st.plotly_chart(
    charts.ranking_bar(ranking, lang()),
    width="stretch",
    key=f"adoption_ranking_{system}_{period}",
    on_select="rerun",
    selection_mode=("points",),
)
clicked = charts.department_from_selection(event.selection.points)
if clicked is not None and clicked != st.session_state.get(PICKED):
    st.session_state[PICKED] = clicked
    st.session_state[TABS] = t("adoption.tab.trend")  # a new click opens that department's trend
rank_cols = ["rank", "movement", "department", "rate", "gap", "active", "eligible", "no_eligible_rows"]
show(ranking, rank_cols if chosen else [c for c in rank_cols if c not in ("active", "eligible")])
ui.download(ranking, "usage_ranking", key="adoption_dl_ranking")

warnings = store.load(m.usage_warnings, scope, period)
if len(warnings):
    over = int(warnings["over_100"].sum())
    st.warning(t("adoption.warnings", over=over, none=len(warnings) - over), icon=":material/warning:")
    with st.expander(t("adoption.warnings.detail")):
        show(warnings, ["period", "department", "system", "issue", "active", "eligible", "no_eligible_rows"])

# ---------------------------------------------------------------- heatmap, roll-out, trend, my department
heat, rollout, trend_tab, mine_tab = st.tabs(
    [t(f"adoption.tab.{k}") for k in ("heatmap", "rollout", "trend", "mine")], key=TABS, on_change="rerun"
)
if heat.open:
    with heat:
        st.caption(t("adoption.heatmap.caption"))
        heatmap = charts.rate_heatmap(store.load(m.rate_matrix, scope, period), lang())
        st.plotly_chart(heatmap, width="stretch", key="adoption_heatmap")
if rollout.open:
    with rollout:
        st.caption(t("adoption.rollout.caption"))
        matrix = store.load(m.rollout_matrix, scope)
        st.plotly_chart(charts.rollout_chart(matrix, lang()), width="stretch", key="adoption_rollout")
        ui.download(matrix, "rollout_matrix", key="adoption_dl_rollout")
if trend_tab.open:
    with trend_tab:
        picked, departments = st.session_state.get(PICKED), store.load(m.departments, scope)
        options = [ALL, *departments]
        department = st.selectbox(
            t("adoption.trend.department"),
            options,
            index=options.index(picked) if picked in options else 0,
            format_func={ALL: t("adoption.trend.hospital"), **{d: d for d in departments}}.__getitem__,
            key=f"adoption_trend_department_{picked}",
        )
        st.caption(t("adoption.trend.caption"))
        series = store.load(m.trend, scope, department or None, chosen, period)
        fig = charts.trend_lines(series, lang(), target=float(ranking["target"].iloc[0]))
        st.plotly_chart(fig, width="stretch", key="adoption_trend")
if mine_tab.open:
    with mine_tab:
        forced = m.anonymous_setting()
        everyone = filters.allowed_departments(store.load(m.departments, scope, True))
        mine = st.selectbox(t("adoption.mine.department"), everyone, key="adoption_mine_department")
        anonymous = st.toggle(t("adoption.mine.anonymous"), value=forced, disabled=forced, key="adoption_anonymous")
        if forced:
            st.caption(t("adoption.mine.anonymous_forced"))
        view = store.load(m.my_department, scope, mine, forced or anonymous, period)
        if view.overall_rank is None:
            st.info(t("adoption.mine.none"))
        else:
            a, b = st.columns(2)
            rank = t("adoption.mine.rank_value", rank=view.overall_rank, n=view.n_departments)
            with a:
                ui.tile(t("adoption.mine.rank"), rank)
            with b:
                ui.tile(t("adoption.mine.rate"), fmt.pct(view.overall_rate))
        show(view.systems, ["system", "rate", "rank", "n_ranked", "movement", "others_median", "gap"])
        if view.others is not None and len(view.others):
            with st.expander(t("adoption.mine.others")):
                show(view.others, ["department", "system", "rate"])
        st.markdown(f"**{t('adoption.mine.trend')}**")
        st.plotly_chart(charts.my_department_lines(view.trend, lang()), width="stretch", key="adoption_mine_trend")
