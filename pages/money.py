"""Money: budget against actuals, monthly burn and the S-curve, earned value in plain words, overrun warnings,
the change-control ledger with its budget waterfall, and the vendor view. Every table downloads.
"""

import streamlit as st

from charts import money as charts
from metrics import money as m
from metrics.scope import default_dates
from pages.components import filters, fmt, store, ui
from pages.components.i18n import lang, t
from pages.components.money_view import table

PICK = "money_project"  # the project followed by the tiles, burn, S-curve and waterfall
PICK_REQUEST = "money_project_request"  # set by a click on a bar, applied before the picker is drawn
TABS = "money_tabs"  # the open tab (its label): tabs are lazy, only the open one computes and draws

st.title(t("money.title"))
if not ui.require_data():
    st.stop()

scope = filters.scope()
L = lang()
threshold = m.default_threshold()
evm = store.load(m.evm_table, scope, lang=L, threshold=threshold)
if evm.empty:
    ui.empty("money.empty")
    st.stop()
projects = [None, *evm["project"]]
st.session_state[PICK] = st.session_state.pop(PICK_REQUEST, st.session_state.get(PICK))
if st.session_state[PICK] not in projects:  # a bar click or an old choice outside today's filters
    st.session_state[PICK] = None
every = t("money.all_projects")  # a None value shows the placeholder, not the formatted option
project = st.selectbox(t("money.project"), projects, key=PICK, format_func=lambda p: p or every, placeholder=every)
s = store.load(m.summary, scope, threshold=threshold, project=project)
st.caption(t("money.caption", day=fmt.date(s.cut), who=project or every))
tiles = [  # three a row: six in one row cut values such as "CNY 120,868,064" at 1440 px
    ("original", fmt.money(s.original), None),
    ("bac", fmt.money(s.bac), t("money.tile.bac_help", changes=fmt.money(s.approved_changes))),
    ("committed", fmt.money(s.committed), t("money.tile.committed_help")),
    ("ac", fmt.money(s.ac), None),
    ("remaining", fmt.money(s.remaining), t("money.tile.remaining_help")),
    ("uncommitted", fmt.money(s.uncommitted), t("money.tile.uncommitted_help")),
    ("share_used", fmt.pct(s.share_used), t("money.tile.share_help")),
    ("eac", fmt.money(s.eac), t("money.tile.eac_help", threshold=fmt.pct(threshold, 0))),
    ("in_range", fmt.money(s.spent_in_range), None),
]
for column, (k, value, help_text) in zip([*st.columns(3), *st.columns(3), *st.columns(3)], tiles, strict=True):
    with column:
        label = t(f"money.tile.{k}", start=fmt.date(s.range_start), end=fmt.date(s.cut))
        ui.tile(label, value, help=help_text)
        if k == "eac":
            st.markdown(ui.light(s.eac_light) + (" " + t("money.tile.eac_floored") if s.eac_floored else ""))
        if k == "committed" and s.over_committed:
            st.markdown(ui.light("red") + " " + t("money.tile.over_committed", amount=fmt.money(-s.uncommitted)))
charts_scope = m.chart_scope(scope, default_dates()[0])  # from the programme's start unless narrowed

budget_tab, evm_tab, burn_tab, warn_tab, change_tab, vendor_tab = st.tabs(
    [t(f"money.tab.{k}") for k in ("budget", "evm", "burn", "warnings", "changes", "vendors")],
    key=TABS,
    on_change="rerun",
)
if budget_tab.open:
    with budget_tab:
        by_keys = ("project", "category")
        words = {k: t(f"money.by.{k}") for k in by_keys}  # the labels of this run (AppTest formats them later)
        by = st.radio(t("money.by"), by_keys, format_func=words.__getitem__, horizontal=True, key="money_by")
        spend = store.load(m.budget_vs_actual, scope, by=by)
        st.caption(t(f"money.budget_basis.{by}") + " " + t("money.pick_hint"))
        bars = charts.budget_vs_actual_bars(spend, L)
        event = st.plotly_chart(bars, width="stretch", key="money_bars", on_select="rerun", selection_mode=("points",))
        points = event.selection.points if event else []
        if points and points[0].get("customdata") not in (None, project):
            st.session_state[PICK_REQUEST] = points[0]["customdata"]
            st.rerun()
        key = [c for c in ("project", "category") if c in spend.columns]  # two tables, so each fits at 1440 px
        base = "budget" if by == "project" else "original_budget"
        signed = ["original_budget", "approved_changes", "budget", "committed", "committed_share", "uncommitted"]
        table(spend, f"budget_committed_{by}", key + [c for c in signed if c in spend.columns])
        table(spend, f"budget_spent_{by}", [*key, base, "actual", "share_used", "remaining", "paid", "due"])

if evm_tab.open:
    with evm_tab:
        st.caption(t("money.eac_method"))
        table(evm, "earned_value", ["project", "percent_complete", "bac", "pv", "ev", "ac", "eac", "vac"])
        table(
            evm,
            "earned_value_indices",
            ["project", "spi", "spi_light", "cpi", "cpi_light", "eac_light", "tcpi", "note"],
        )
        st.subheader(t("money.evm.detail"))
        table(store.load(m.evm_detail, scope, project=project, lang=L, threshold=threshold), "earned_value_meanings")

if burn_tab.open:
    with burn_tab:
        st.subheader(t("money.burn.monthly"))
        burn = store.load(m.monthly_burn, charts_scope, project=project)
        st.plotly_chart(charts.burn_chart(burn, L), width="stretch", key="money_burn")
        table(burn, "monthly_burn", ["month", "budget", "actual", "cum_budget", "cum_actual"])
        st.subheader(t("money.burn.s_curve"))
        curve = store.load(m.s_curve, charts_scope, project=project, threshold=threshold)
        st.plotly_chart(charts.s_curve_chart(curve, L), width="stretch", key="money_s_curve")
        table(curve.points, "s_curve")

if warn_tab.open:
    with warn_tab:
        st.caption(t("money.warnings.rules", threshold=fmt.pct(threshold, 0)))
        warnings = store.load(m.overrun_warnings, scope, threshold=threshold, lang=L)
        if warnings.empty:
            st.success(t("money.warnings.none"))
        else:
            table(warnings, "overrun_warnings", ["message", "project", "category", "amount", "since", "months"])

if change_tab.open:
    with change_tab:
        by_status = store.load(m.changes_by_status, scope, lang=L)
        if by_status.empty:
            st.info(t("money.changes.none"))
        else:
            st.subheader(t("money.changes.by_status"))
            table(by_status, "changes_by_status", ["status_label", "count", "cost_impact", "schedule_impact_days"])
        st.subheader(t("money.changes.waterfall"))
        waterfall = store.load(m.budget_waterfall, scope, threshold=threshold)
        for i, row in enumerate(waterfall.to_dict("records")):
            if project in (None, row["project"]):
                st.plotly_chart(charts.waterfall_chart(row, L), width="stretch", key=f"money_wf_{i}")
        table(waterfall, "budget_waterfall")
        if not by_status.empty:
            st.subheader(t("money.changes.register"))
            register = store.load(m.change_ledger, scope, lang=L)
            table(register, "change_register", [c for c in register.columns if c not in ("status_key", "status")])

if vendor_tab.open:
    with vendor_tab:
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
