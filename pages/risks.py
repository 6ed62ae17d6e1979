"""Risks and decisions: the 5×5 heatmap (click a cell to list its risks), the register with review hygiene,
movement since the previous snapshot, open risks by band per week, and the decisions waiting for the president.
The register's filters, tiles, heatmap and tables are one fragment: a filter change reruns only them."""

import pandas as pd
import streamlit as st

from charts import risks as charts
from metrics import risks as m
from pages.components import filters, fmt, store, ui
from pages.components.i18n import lang, t

CELL = "risks_cell"  # the chosen (likelihood, impact) cell, kept across reruns and filter changes
GEN = "risks_heatmap_gen"  # bumped by "clear" so the chart starts with no selection
BANDS = m.configured_bands()
REVIEW_DAYS, SHOWN = 30, 300  # days before a review is overdue; rows a long table shows (worst first, files: all)
NARROW = {c: "medium" for c in ("title", "item", "mitigation", "contingency")}  # long texts: whole on hover
REGISTER = ["project", "risk_id", "title", "band", "score", "owner", "status", "last_review", "days_since_review"]
RESPONSES = ["risk_id", "title", "category", "likelihood", "impact", "residual_score", "residual_band", "mitigation"]


def show(df: pd.DataFrame, name: str | None = None, shade: str | None = None, cols: list[str] | None = None) -> None:
    """A table headed in the user's language (money in the user's unit, named); downloadable as shown."""
    money = [c for c in ("cost_impact",) if c in df.columns]
    ui.table(df.reset_index(drop=True), name or "", area="risks", money=money, key=f"risks_dl_{name}",
             download_too=name is not None, shade=shade, widths=NARROW, rows=SHOWN,
             columns=[c for c in cols if c in df.columns] if cols else None)  # fmt: skip


def clear_cell() -> None:
    st.session_state.pop(CELL, None)
    st.session_state[GEN] = st.session_state.get(GEN, 0) + 1


def decisions_waiting(decisions: pd.DataFrame, band_labels: dict[str, str]) -> None:  # the president's list
    st.subheader(t("risks.decisions.header"))
    st.caption(t("risks.decisions.help"))
    if decisions.empty:
        st.info(t("risks.decisions.none"))
        return
    listing = m.relabel(m.relabel(decisions, "kind", {k: t(f"risks.kind.{k}") for k in ("change", "risk")}), "band",
                        band_labels).rename(columns={"title": "item"})  # fmt: skip
    show(listing, "decisions_waiting", cols=["kind", "project", "id", "item", "age_days", "cost_impact", "band"])


st.title(t("risks.title"))
if not ui.require_data():
    st.stop()

scope = filters.scope()
day = m.reference_day(scope)
view = store.load(m.register_view, scope, day, BANDS)  # once per data version and scope, whatever the filters
band_labels = {b: t(f"risks.band.{b}") for b in m.BAND_NAMES}
if view.register.empty:  # change requests still wait for the board when a project keeps no risk register
    ui.empty("risks.empty")
    decisions_waiting(view.decisions, band_labels)
    st.stop()
ranges = {b: f"{lo}–{hi}" for b, (lo, hi) in BANDS.ranges().items()}
as_of = fmt.date(view.register["as_of"].max())
st.caption(t("risks.caption", as_of=as_of, day=fmt.date(day), days=REVIEW_DAYS), help=t("risks.bands_help", **ranges))


@st.fragment
def register_part(view: m.RegisterView) -> None:
    """Filters (projects come from the sidebar scope), tiles, the heatmap with its chosen cell, the register."""
    f1, f2, f3 = st.columns(3)
    everyone = t("risks.filter.all")
    owners = f1.multiselect(t("risks.filter.owner"), view.owners, key="risks_owner", placeholder=everyone)
    statuses = f2.multiselect(t("risks.filter.status"), view.statuses, key="risks_status", placeholder=everyone)
    picked_bands = f3.multiselect(t("risks.filter.band"), m.BAND_NAMES, format_func=band_labels.__getitem__,
                                  key="risks_band", placeholder=everyone)  # fmt: skip
    shown = m.filter_register(view.register, owners, statuses, picked_bands, BANDS)
    open_now = m.open_risks(shown)
    tiles = {
        "risks.tile.open": len(open_now),
        "risks.tile.critical": m.band_counts(open_now, BANDS)["critical"],
        "risks.tile.overdue": len(m.overdue_reviews(shown, day, REVIEW_DAYS)),
        "risks.tile.decisions": len(view.decisions),
    }
    for column, (key, n) in zip(st.columns(len(tiles)), tiles.items(), strict=True):
        with column:
            ui.tile(t(key), fmt.num(n))

    st.subheader(t("risks.heatmap.header"))
    st.caption(t("risks.heatmap.hint"))
    key = f"risks_heatmap_{st.session_state.get(GEN, 0)}"
    clicked = st.session_state.get(key) or {}  # a click is known before the chart is drawn: no second run
    picked = charts.cell_from_selection(clicked.get("selection", {}).get("points", []))
    if picked is not None:
        st.session_state[CELL] = picked
    cell = st.session_state.get(CELL)
    left, right = st.columns([3, 2])
    with left:
        arrows = m.moves_within(view.moves, open_now, moved_only=True)
        fig = charts.risk_heatmap(open_now, BANDS, lang(), moves=arrows, selected=cell)
        st.plotly_chart(fig, width="stretch", key=key, on_select="rerun", selection_mode=("points",))
    with right:
        if cell is not None:
            st.markdown(f"**{t('risks.cell.title', lik=cell[0], imp=cell[1])}**")
            in_cell = m.register_table(m.cell_risks(open_now, cell), day, BANDS, REVIEW_DAYS, band_labels)
            if in_cell.empty:
                st.info(t("risks.cell.none"))
            else:
                show(in_cell[["project", "risk_id", "title", "owner", "status", "overdue"]])
            st.button(t("risks.cell.clear"), key="risks_clear", on_click=clear_cell, icon=":material/close:")

    st.subheader(t("risks.register.header"))
    table = m.register_table(shown, day, BANDS, REVIEW_DAYS, band_labels)
    if table.empty:
        ui.empty("common.empty.filtered")
        return
    scores, responses = st.tabs([t(f"risks.register.tab.{k}") for k in ("scores", "responses")],
                                key="risks_register_tabs", on_change="rerun")  # fmt: skip
    if scores.open:  # lazy: only the open tab draws its (up to 1,000-row) table
        with scores:
            st.caption(t("risks.register.overdue_note"))
            show(table, "risk_register", shade="overdue", cols=REGISTER)  # two tables, so each fits at 1440 px
    if responses.open:
        with responses:
            show(table, "risk_responses", cols=[*RESPONSES, "contingency"])


register_part(view)

# ---------------------------------------------------------------- movement since the previous snapshot
st.subheader(t("risks.move.header"))
if not view.has_previous:
    st.info(t("risks.move.none"))
else:
    s = m.movement_summary(view.moves)
    st.caption(t("risks.move.waterfall", previous=s.previous_open, new=s.new, closed=s.closed, current=s.current_open))
    kinds = ("new", "closed", "worsened", "improved")
    tabs = st.tabs([f"{t(f'risks.move.{k}')} ({getattr(s, k)})" for k in kinds], key="risks_move_tabs",
                   on_change="rerun")  # fmt: skip
    for tab, kind in zip(tabs, kinds, strict=True):
        if tab.open:  # lazy: only the open tab draws its table
            with tab:
                part = m.movement_table(view.moves, kind, band_labels)
                if len(part):
                    show(part, f"risk_moves_{kind}")
                else:
                    st.caption(t("risks.move.empty"))
    st.plotly_chart(charts.movement_waterfall(s, lang()), width="stretch", key="risks_waterfall")

# ---------------------------------------------------------------- trend
st.subheader(t("risks.trend.header"))
st.plotly_chart(charts.band_trend(view.trend, lang()), width="stretch", key="risks_trend")

decisions_waiting(view.decisions, band_labels)
