"""Benefits: a tile per outcome KPI (current, change since last period coloured by direction, baseline, target),
then per KPI the before/after means hospital-wide and per department and the interrupted time series.
"""

from typing import Any

import pandas as pd
import streamlit as st

from charts import benefits as charts
from metrics import benefits as m
from pages.components import filters, fmt, store, ui
from pages.components.i18n import lang, t

TILES_PER_ROW = 4


def number(x: object) -> str:
    return fmt.num(x, 1)  # type: ignore[arg-type]


def tile(row: dict[Any, Any], its: m.Its) -> None:
    unit = ui.escape_markdown(row["unit"] or "")
    change = row["change"]
    delta = None if pd.isna(change) else t("benefits.delta", delta=f"{change:+.1f}", unit=unit)
    target = number(row["target"])
    help_text = t(
        "benefits.tile.help",
        better=t(f"benefits.{row['direction']}"),
        baseline=number(row["baseline"]),
        target=target,
        improvement=fmt.pct(row["improvement"]),
    )
    value = t("benefits.value", value=number(row["current"]), unit=unit)
    ui.tile(ui.escape_markdown(row["kpi"]), value, delta=delta, good=row["change_good"], help=help_text)
    on = row["on_target"]
    status = "" if on is None or pd.isna(on) else " · " + t("benefits.on_target" if on else "benefits.off_target")
    st.caption(t("benefits.tile.line", baseline=number(row["baseline"]), target=target) + status)
    go_live = None if pd.isna(row["go_live"]) else row["go_live"]
    fig = charts.sparkline(its.series, go_live, charts.improved(row["improvement"]))
    st.plotly_chart(fig, width="stretch", key=f"benefits_spark_{row['kpi']}", config={"displayModeBar": False})


st.title(t("benefits.title"))
if not ui.require_data():
    st.stop()
scope = filters.scope()
tiles = store.load(m.kpi_tiles, scope)
if tiles.empty:
    ui.empty("benefits.empty")
    st.stop()
st.caption(t("benefits.caption", period=fmt.date(tiles["period"].max())))

records = tiles.to_dict("records")
series = {str(r["kpi"]): store.load(m.its, scope, str(r["kpi"])) for r in records}
for start in range(0, len(records), TILES_PER_ROW):
    row_records = records[start : start + TILES_PER_ROW]
    for column, record in zip(st.columns(TILES_PER_ROW), row_records, strict=False):
        with column:
            tile(record, series[str(record["kpi"])])

st.subheader(t("benefits.detail.header"))
ba_cols = ["department", "before", "after", "change", "improvement", "good", "n_before", "n_after"]
tabs = st.tabs([ui.escape_markdown(r["kpi"]) for r in records], key="benefits_tabs", on_change="rerun")
for tab, record in zip(tabs, records, strict=True):
    if not tab.open:  # lazy: only the open KPI's table and chart are built and sent
        continue
    with tab:
        kpi = str(record["kpi"])
        its = series[kpi]
        if its.go_live is None:
            st.info(t("benefits.detail.no_go_live"))
        else:
            st.caption(t("benefits.detail.caption", go_live=fmt.date(its.go_live), system=record["system"] or "—"))
            table = store.load(m.before_after, scope, kpi, hospital_label=t("benefits.hospital"))
            ui.table(table, f"before_after_{kpi}", area="benefits", columns=ba_cols, index=("before", "after", "change"),
                     percent=("improvement",), key=f"benefits_dl_{kpi}")  # fmt: skip
            st.caption(
                t(
                    "benefits.its.caption",
                    level=number(its.level_change),
                    pre=fmt.num(its.pre_slope, 2),
                    post=fmt.num(its.post_slope, 2),
                )
            )
        st.plotly_chart(charts.its_chart(its, lang()), width="stretch", key=f"benefits_its_{kpi}")
