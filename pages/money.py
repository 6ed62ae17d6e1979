"""Money: budget against actuals, monthly burn and the S-curve, earned value in plain words, overrun warnings,
the change-control ledger with its budget waterfall, and the vendor view. Every table downloads.
"""

from typing import Any

import pandas as pd
import streamlit as st

from charts import money as charts
from metrics import money as m
from pages.components import filters, fmt, store, ui
from pages.components.i18n import lang, t

MONEY = tuple(
    "budget committed invoiced paid actual due remaining bac pv ev ac sv cv eac eac_alt etc vac cum_budget cum_actual"
    " amount cost_impact original approved_changes current forecast_change forecast".split()
)
SHARES = ("share_used", "percent_complete", "share")
INDICES = ("spi", "cpi", "tcpi")
PICK = "money_project"  # the project followed by the burn, S-curve and waterfall
PICK_REQUEST = "money_project_request"  # set by a click on a bar, applied before the picker is drawn


def config(df: pd.DataFrame) -> dict[str, Any]:
    """Headers in the user's language; money with separators, shares as percentages."""
    cfg: dict[str, Any] = {}
    for c in df.columns:
        label = t(f"money.col.{c}")
        if c in MONEY:
            cfg[c] = st.column_config.NumberColumn(label, format="localized")
        elif c in SHARES:
            cfg[c] = st.column_config.NumberColumn(label, format="percent")
        elif c in INDICES:
            cfg[c] = st.column_config.NumberColumn(label, format="%.2f")
        else:
            cfg[c] = label
    return cfg


def table(df: pd.DataFrame, name: str) -> None:
    st.dataframe(df, column_config=config(df), hide_index=True, width="stretch")
    ui.download(df, name, money_columns=tuple(c for c in df.columns if c in MONEY), key=f"money_dl_{name}")


st.title(t("money.title"))
if not ui.require_data():
    st.stop()

scope = filters.scope()
L = lang()
threshold = m.default_threshold()
summary = store.load(m.summary, scope, threshold=threshold)
if summary.bac == 0 and summary.ac == 0:
    ui.empty("money.empty")
    st.stop()
st.caption(t("money.caption", day=fmt.date(m.cut_off(scope))))
tiles = [  # three a row below: six in one row cut values such as "CNY 120,868,064" at 1440 px
    (t("money.tile.bac"), fmt.money(summary.bac), None),
    (t("money.tile.ac"), fmt.money(summary.ac), None),
    (t("money.tile.committed"), fmt.money(summary.committed), None),
    (t("money.tile.remaining"), fmt.money(summary.remaining), None),
    (t("money.tile.share_used"), fmt.pct(summary.share_used), None),
    (t("money.tile.eac"), f"{ui.light(summary.eac_light)} {fmt.money(summary.eac)}", fmt.pct(threshold, 0)),
]
for column, (label, value, thr) in zip([*st.columns(3), *st.columns(3)], tiles, strict=True):
    with column:
        ui.tile(label, value, help=t("money.tile.eac_help", threshold=thr) if thr else None)

evm = store.load(m.evm_table, scope, lang=L, threshold=threshold)
projects = [None, *evm["project"]]
st.session_state[PICK] = st.session_state.pop(PICK_REQUEST, st.session_state.get(PICK))
if st.session_state[PICK] not in projects:  # a bar click or an old choice outside today's filters
    st.session_state[PICK] = None
every = t("money.all_projects")  # a None value shows the placeholder, not the formatted option
project = st.selectbox(t("money.project"), projects, key=PICK, format_func=lambda p: p or every, placeholder=every)

tabs = st.tabs([t(f"money.tab.{k}") for k in ("budget", "evm", "burn", "warnings", "changes", "vendors")])
with tabs[0]:
    by_keys = ("project", "category")
    by = st.radio(t("money.by"), by_keys, format_func=lambda k: t(f"money.by.{k}"), horizontal=True, key="money_by")
    spend = store.load(m.budget_vs_actual, scope, by=by)
    st.caption(t("money.pick_hint"))
    bars = charts.budget_vs_actual_bars(spend, L)
    event = st.plotly_chart(bars, width="stretch", key="money_bars", on_select="rerun", selection_mode=("points",))
    points = event.selection.points if event else []
    if points and points[0].get("customdata") not in (None, project):
        st.session_state[PICK_REQUEST] = points[0]["customdata"]
        st.rerun()
    table(spend, f"budget_vs_actual_{by}")

with tabs[1]:
    st.caption(t("money.eac_method"))
    table(evm, "earned_value")
    st.subheader(t("money.evm.detail"))
    table(store.load(m.evm_detail, scope, project=project, lang=L, threshold=threshold), "earned_value_meanings")

with tabs[2]:
    st.subheader(t("money.burn.monthly"))
    burn = store.load(m.monthly_burn, scope, project=project)
    st.plotly_chart(charts.burn_chart(burn, L), width="stretch", key="money_burn")
    table(burn, "monthly_burn")
    st.subheader(t("money.burn.s_curve"))
    curve = store.load(m.s_curve, scope, project=project, threshold=threshold)
    st.plotly_chart(charts.s_curve_chart(curve, L), width="stretch", key="money_s_curve")
    table(curve.points, "s_curve")

with tabs[3]:
    st.caption(t("money.warnings.rules", threshold=fmt.pct(threshold, 0)))
    warnings = store.load(m.overrun_warnings, scope, threshold=threshold, lang=L)
    if warnings.empty:
        st.success(t("money.warnings.none"))
    else:
        table(warnings[["message", "project", "category", "amount", "since", "months"]], "overrun_warnings")

with tabs[4]:
    by_status = store.load(m.changes_by_status, scope, lang=L)
    if by_status.empty:
        st.info(t("money.changes.none"))
    else:
        st.subheader(t("money.changes.by_status"))
        table(by_status[["status_label", "count", "cost_impact", "schedule_impact_days"]], "changes_by_status")
    st.subheader(t("money.changes.waterfall"))
    waterfall = store.load(m.budget_waterfall, scope, threshold=threshold)
    for i, row in enumerate(waterfall.to_dict("records")):
        if project in (None, row["project"]):
            st.plotly_chart(charts.waterfall_chart(row, L), width="stretch", key=f"money_wf_{i}")
    table(waterfall, "budget_waterfall")
    if not by_status.empty:
        st.subheader(t("money.changes.register"))
        table(store.load(m.change_ledger, scope, lang=L).drop(columns=["status_key"]), "change_register")

with tabs[5]:
    st.subheader(t("money.vendors.spend"))
    vendors = store.load(m.vendor_spend, scope, by="contract")
    st.plotly_chart(charts.vendor_bars(vendors, L), width="stretch", key="money_vendors")
    table(vendors, "vendor_contracts")
    st.subheader(t("money.vendors.due"))
    due = store.load(m.payments_due, scope)
    if due.empty:
        st.info(t("money.vendors.none_due"))
    else:
        table(due, "payments_due")
    st.subheader(t("money.vendors.lines"))
    if project is None:  # the whole ledger (thousands of lines) only per project: its Excel is built every run
        st.info(t("money.vendors.lines_pick"))
    else:
        table(store.load(m.ledger_lines, scope, project=project, lang=L), "cost_lines")
