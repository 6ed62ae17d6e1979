"""Operations after go-live: SLA compliance per system and priority, tickets open past their target, MTTR and
backlog trends, tickets per 1,000 active users, inspection completion and the yearly health scorecard per system."""

import pandas as pd
import streamlit as st

from charts import operations as charts
from metrics import definitions
from metrics import operations as m
from pages.components import filters, fmt, store, ui
from pages.components.i18n import lang, t

PCT = ("response_compliance", "resolution_compliance", "completion", "sla", "incidents", "inspections", "quality",
       "usage", "score")  # fmt: skip
SLA_COLS = ["system", "priority", "tickets", "no_response", "response_target_min", "response_met", "response_breached",
            "response_pending", "response_compliance", "resolution_target_min", "resolution_met",
            "resolution_breached", "resolution_pending", "resolution_compliance"]  # fmt: skip


def show(df: pd.DataFrame, name: str, columns: list[str], index: tuple[str, ...] = ()) -> None:
    ui.table(df, name, area="operations", columns=columns, percent=[c for c in columns if c in PCT], index=index,
             lights=("light",) if "light" in columns else (), key=f"operations_dl_{name}")  # fmt: skip


st.title(t("operations.title"))
if not ui.require_data():
    st.stop()
scope = filters.scope()
sla = store.load(m.sla_compliance, scope)
insp = store.load(m.inspection_completion, scope)
if sla.empty and insp.empty:
    ui.empty("operations.empty")
    st.stop()
start, end = m.period_bounds(scope)
targets = "; ".join(f"{p} {r:g}/{s:g}" for p, (r, s) in m.sla_targets().items())
at = store.load(m.judged_at, scope)
st.caption(t("operations.caption", start=fmt.date(start) if start else "—", end=fmt.date(end), targets=targets,
             judged=f"{fmt.date(at)} {at:%H:%M}"))  # fmt: skip

totals = m.sla_totals(sla)
breaches = store.load(m.open_breaches, scope)
tiles = st.columns(5)
with tiles[0]:
    ui.tile(t("operations.tile.tickets"), fmt.num(totals["tickets"]),
            help=t("operations.tile.no_response", n=fmt.num(totals["no_response"])))  # fmt: skip
with tiles[1]:
    ui.tile(t("operations.tile.response"), fmt.pct(totals["response_compliance"]))
with tiles[2]:
    ui.tile(t("operations.tile.resolution"), fmt.pct(totals["resolution_compliance"]))
with tiles[3]:
    ui.tile(t("operations.tile.breaches"), fmt.num(len(breaches)))
with tiles[4]:
    ui.tile(t("operations.tile.inspections"), fmt.pct(m.completion_total(insp)))

# ---------------------------------------------------------------- SLA heatmap and table
st.subheader(t("operations.sla.header"))
st.caption(t("operations.rule"))
if not sla.empty:
    clock = st.radio(t("operations.clock"), m.CLOCKS, format_func={c: t(f"operations.clock.{c}") for c in m.CLOCKS}.__getitem__,
                     horizontal=True, index=1, key="operations_clock")  # fmt: skip
    st.plotly_chart(charts.sla_heatmap(sla, clock, lang()), width="stretch", key="operations_heatmap")
    show(sla, "sla", SLA_COLS)

st.subheader(t("operations.breaches.header"))
if breaches.empty:
    st.info(t("operations.breaches.none"))
else:
    show(breaches, "breaches", ["ticket_id", "system", "department", "priority", "title", "opened", "target_min",
                                "elapsed_min"])  # fmt: skip

# ---------------------------------------------------------------- MTTR and backlog
st.subheader(t("operations.trend.header"))
left, right = st.columns(2)
with left:
    st.caption(t("operations.trend.mttr"))
    st.plotly_chart(charts.mttr_trend(store.load(m.mttr, scope), lang()), width="stretch", key="operations_mttr")
with right:
    st.caption(t("operations.trend.backlog"))
    st.plotly_chart(charts.backlog_trend(store.load(m.backlog, scope), lang()), width="stretch",
                    key="operations_backlog")  # fmt: skip
mttr_table = store.load(m.mttr_by_system, scope)
if not mttr_table.empty:
    show(mttr_table, "mttr", ["system", "resolved", "mttr_hours"], index=("mttr_hours",))

# ---------------------------------------------------------------- per 1,000 active users
st.subheader(t("operations.rates.header"))
st.caption(t("operations.rates.caption"))
rates = store.load(m.incident_rates, scope)
if not rates.empty:
    st.plotly_chart(charts.rate_trend(rates, lang()), width="stretch", key="operations_rates")
    show(m.rate_by_system(rates), "rates", ["system", "tickets", "user_months", "per_1000", "no_usage_tickets"],
         index=("user_months", "per_1000"))  # fmt: skip

# ---------------------------------------------------------------- inspections
st.subheader(t("operations.inspections.header"))
st.caption(t("operations.inspections.caption"))
if not insp.empty:
    st.plotly_chart(charts.inspection_bars(insp, lang()), width="stretch", key="operations_inspections")
    show(insp, "inspections", ["system", "planned", "done", "missed", "completion", "items_checked", "items_failed"])

# ---------------------------------------------------------------- yearly health scorecard
year = definitions.reference_day(scope).year
st.subheader(t("operations.scorecard.header", year=year))
weights = t("operations.weight.join").join(f"{t(f'operations.weight.{k}')} {w:.0%}" for k, w in m.SCORE_WEIGHTS.items())
st.caption(t("operations.scorecard.caption", weights=weights, ceiling=m.INCIDENT_RATE_CEILING))
card = store.load(m.health_scorecard, scope, year)
if not card.empty:
    st.plotly_chart(charts.scorecard_bars(card, lang()), width="stretch", key="operations_scorecard")
    show(card, "scorecard", ["system", "sla", "incidents", "per_1000", "inspections", "quality", "usage", "score", "light",
                             "components"], index=("per_1000",))  # fmt: skip
