"""Adoption: department ranking by usage rate for a system (or all), the department × system heatmap, the roll-out
matrix from the plan's milestones, trends with go-live marked, and a department head's own view."""

import pandas as pd
import streamlit as st

from charts import adoption as charts
from metrics import adoption as m
from pages.components import filters, fmt, store, ui
from pages.components.i18n import lang, t

ALL = ""  # the system picker's "all systems (weighted mean)" choice
PICKED = "adoption_picked_department"  # the department clicked in the ranking, kept across reruns
TABS = "adoption_tabs"  # the open lower tab (its label): tabs are lazy, only the open one runs its queries
PCT = ("rate", "gap", "target", "others_median", "coverage_before", "ready_before", "rate_after")


def show(df: pd.DataFrame, names: list[str], name: str | None = None) -> None:
    """A table headed in the user's language, shares as percentages; downloadable as shown when `name` is given."""
    cols = [c for c in names if c in df.columns]
    ui.table(df, name or "", area="adoption", columns=cols, percent=[c for c in cols if c in PCT],
             key=f"adoption_dl_{name}", download_too=name is not None)  # fmt: skip


def trend_chart(department: str | None, key: str) -> None:
    series = store.load(m.trend, scope, department, chosen, period)
    fig = charts.trend_lines(series, lang(), target=float(ranking["target"].iloc[0]))
    st.plotly_chart(fig, width="stretch", key=key)


@st.fragment  # a department chosen here reruns this tab only, not the ranking and heatmap above
def trend_view() -> None:
    picked, options = st.session_state.get(PICKED), [ALL, *sorted(named)]
    department = st.selectbox(t("adoption.trend.department"), options, index=options.index(picked) if picked in
                              options else 0, format_func={ALL: t("adoption.trend.hospital"), **{d: d for d in
                              named}}.__getitem__, key=f"adoption_trend_department_{picked}")  # fmt: skip
    st.caption(t("adoption.trend.caption"))
    trend_chart(department or None, "adoption_trend")


@st.fragment  # the department and the anonymity switch rerun this tab only
def mine_view() -> None:
    everyone = filters.allowed_departments(store.load(m.departments, scope, True), visible if anonymous else ())
    mine = st.selectbox(t("adoption.mine.department"), everyone, key="adoption_mine_department")
    hide = st.toggle(t("adoption.mine.anonymous"), value=anonymous, disabled=anonymous, key="adoption_anonymous")
    if anonymous:
        st.caption(t("adoption.mine.anonymous_forced"))
    view = store.load(m.my_department, scope, mine, anonymous or hide, period)
    if view.overall_rank is None:
        st.info(t("adoption.mine.none"))
    else:
        rank = t("adoption.mine.rank_value", rank=view.overall_rank, n=view.n_departments)
        for col, key, value in zip(st.columns(2), ("rank", "rate"), (rank, fmt.pct(view.overall_rate)), strict=True):
            with col:
                ui.tile(t(f"adoption.mine.{key}"), value)
    show(view.systems, ["system", "rate", "rank", "n_ranked", "movement", "others_median", "gap"])
    if view.others is not None and len(view.others):
        with st.expander(t("adoption.mine.others")):
            show(view.others, ["department", "system", "rate"])
    st.markdown(f"**{t('adoption.mine.trend')}**")
    st.plotly_chart(charts.my_department_lines(view.trend, lang()), width="stretch", key="adoption_mine_trend")


st.title(t("adoption.title"))
if not ui.require_data():
    st.stop()
scope = filters.scope()
systems = store.load(m.systems, scope)
if not systems:
    ui.empty("adoption.empty")
    st.stop()
anonymous, visible = m.anonymous_setting(), scope.departments or ()  # with anonymity only these are named
st.caption(t("adoption.rule") + (" " + t("adoption.anonymous_note") if anonymous else ""))

left, right = st.columns([2, 1])
system = left.selectbox(t("adoption.system"), [ALL, *systems], key="adoption_system",
                        format_func={ALL: t("adoption.all_systems"), **{s: s for s in systems}}.__getitem__)  # fmt: skip
period = right.radio(t("adoption.period"), m.PERIODS, horizontal=True, key="adoption_period",
                     format_func={p: t(f"adoption.period.{p}") for p in m.PERIODS}.__getitem__)  # fmt: skip
chosen = system or None

# ---------------------------------------------------------------- ranking, and the clicked department beside it
st.subheader(t("adoption.ranking.header"))
ranking = store.load(m.usage_ranking, scope, chosen, period, anonymous=anonymous)
if ranking.empty:
    ui.empty("adoption.empty")
    st.stop()
first = ranking.iloc[0]
st.caption(t("adoption.ranking.caption", period=fmt.date(first["period"]), previous=fmt.date(first["previous_period"]),
             target=fmt.pct(first["target"], 0), n=int(first["n_ranked"])))  # fmt: skip
chart_col, side = st.columns([3, 2])
with chart_col:
    event = st.plotly_chart(
        charts.ranking_bar(ranking, lang(), m.NEAR_TARGET, m.BOTTOM_N),
        width="stretch",
        key=f"adoption_ranking_{system}_{period}",
        on_select="rerun",
        selection_mode=("points",),
    )
named = set(visible) if anonymous else set(store.load(m.departments, scope))  # names the user may see
clicked = charts.department_from_selection(event.selection.points)
if clicked is not None and clicked in named:
    st.session_state[PICKED] = clicked
with side:  # the clicked department's trend opens beside the bar, not a screen below it
    picked = st.session_state.get(PICKED)
    if picked in named:
        st.markdown(f"**{ui.escape_markdown(t('adoption.beside.title', department=picked))}**")
        trend_chart(picked, "adoption_trend_beside")
    else:
        st.info(t("adoption.beside.hint"), icon=":material/touch_app:")
rank_cols = ["rank", "n_ranked", "movement", "department", "rate", "gap", "active", "eligible", "no_eligible_rows"]
show(ranking, rank_cols if chosen else [c for c in rank_cols if c not in ("active", "eligible")], "usage_ranking")

warnings = store.load(m.usage_warnings, scope, period)
if len(warnings):
    over = int(warnings["over_100"].sum())
    st.warning(t("adoption.warnings", over=over, none=len(warnings) - over), icon=":material/warning:")
    with st.expander(t("adoption.warnings.detail")):
        shown = m.labelled(m.mask_departments(warnings, visible) if anonymous else warnings, "issue", lang())
        show(shown, ["period", "department", "system", "issue_label", "active", "eligible", "no_eligible_rows"])

# ---------------------------------------------------------------- heatmap, roll-out, trend, my department
heat, rollout, trend_tab, mine_tab = st.tabs(
    [t(f"adoption.tab.{k}") for k in ("heatmap", "rollout", "trend", "mine")], key=TABS, on_change="rerun"
)
if heat.open:
    with heat:
        st.caption(t("adoption.heatmap.caption"))
        matrix = store.load(m.rate_matrix, scope, period, anonymous=anonymous)
        fig = charts.rate_heatmap(matrix, lang(), m.NEAR_TARGET)
        st.plotly_chart(fig, width="stretch", key="adoption_heatmap")
        if fig.data and not charts.heatmap_labelled(fig):
            st.caption(t("adoption.heatmap.unlabelled", cells=charts.LABELLED_CELLS))
if rollout.open:
    with rollout:
        st.caption(t("adoption.rollout.caption"))
        matrix = store.load(m.rollout_readiness, scope)
        matrix = m.labelled(m.mask_departments(matrix, visible) if anonymous else matrix, "phase", lang())
        st.plotly_chart(charts.rollout_chart(matrix, lang()), width="stretch", key="adoption_rollout")
        show(matrix, m.ROLLOUT_SHOWN, "rollout_matrix")
if trend_tab.open:
    with trend_tab:
        trend_view()
if mine_tab.open:
    with mine_tab:
        mine_view()
