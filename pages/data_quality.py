"""Data quality: each check per system and department with its pass rate, target and change since the previous
period, the worst cells first; the chosen cell's trend against its target; every check hospital-wide over time;
one pass rate per system. A department head sees their own department only (the scope is bound at sign-in)."""

import streamlit as st

from charts import quality as charts
from metrics import quality as m
from pages.components import filters, fmt, store, ui
from pages.components.i18n import lang, t

MAX_PICK = 60  # the cell picker lists the worst cells

st.title(t("data_quality.title"))
if not ui.require_data():
    st.stop()
scope = filters.scope()
hospital = t("data_quality.hospital")
cells = store.load(m.quality_cells, scope, hospital_label=hospital)
if cells.empty:
    ui.empty("data_quality.empty")
    st.stop()
st.caption(t("data_quality.caption", period=fmt.date(cells["period"].max()), points=f"{m.DROP_POINTS * 100:g}"))

systems = store.load(m.system_quality, scope)
columns = st.columns(3)
with columns[0]:
    ui.tile(t("data_quality.tile.below"), fmt.num(int(cells["below_target"].sum())))
with columns[1]:
    ui.tile(t("data_quality.tile.dropped"), fmt.num(int(cells["dropped"].sum())))
with columns[2]:
    ui.tile(t("data_quality.tile.cells"), fmt.num(len(cells)))
for column, row in zip(st.columns(max(1, len(systems))), systems.to_dict("records"), strict=False):
    with column:
        ui.tile(
            ui.escape_markdown(row["system"]), fmt.pct(row["quality_rate"]), help=t("data_quality.tile.system_help")
        )

drops = store.load(m.quality_drops, scope)
if not drops.empty:
    st.subheader(t("data_quality.drops"))
    ui.table(drops.assign(department=drops["department"].fillna(hospital)), "data_quality_drops", area="data_quality",
             columns=["system", "department", "check_name", "previous_period", "previous_rate", "period", "rate",
                      "change", "target"], percent=("previous_rate", "rate", "change", "target"),
             key="data_quality_drops_dl")  # fmt: skip

st.subheader(t("data_quality.worst"))
shown = ["system", "department", "check_name", "dimension", "period", "rate", "target", "gap", "change",
         "numerator", "denominator", "below_target", "dropped"]  # fmt: skip
ui.table(cells, "data_quality", area="data_quality", columns=shown, percent=("rate", "target", "gap", "change"),
         key="data_quality_dl", shade="below_target")  # fmt: skip

st.subheader(t("data_quality.trend"))
records = cells.head(MAX_PICK).to_dict("records")
pick = st.selectbox(
    t("data_quality.pick"),
    range(len(records)),
    format_func=lambda i: t(
        "data_quality.cell_label",
        system=records[i]["system"],
        department=records[i]["department"],
        check=records[i]["check_name"],
    ),
    key="data_quality_pick",
)
chosen = records[pick or 0]
department = None if chosen["department"] == hospital else str(chosen["department"])
trend = store.load(m.cell_trend, scope, str(chosen["system"]), department, str(chosen["check_name"]))
if trend["rate"].notna().any():
    title = t("data_quality.cell_label", system=chosen["system"], department=chosen["department"],
              check=chosen["check_name"])  # fmt: skip
    st.plotly_chart(charts.rate_trend(trend, lang(), title), width="stretch", key="data_quality_trend")
else:
    st.info(t("data_quality.no_rate"))

st.subheader(t("data_quality.checks"))
st.plotly_chart(charts.check_trends(store.load(m.check_trends, scope), lang()), width="stretch", key="dq_checks")
