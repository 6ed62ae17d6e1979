"""EMR grading readiness: for the hospital's target grade, how far it is ("3 basic items and 12 points short"),
the gap as three bars, the items still short with their coverage shortfall, the projects and tasks linked to each
gap, and the other evaluations' targets (interoperability maturity …). Read-only for the president; the PMO
imports the tables."""

import streamlit as st

from charts import quality as charts
from metrics import grading as g
from pages.components import filters, fmt, store, ui
from pages.components.i18n import lang, t

ITEM_COLUMNS = ["item_no", "role", "item", "is_basic", "current_level", "target_level", "coverage",
                "required_coverage", "coverage_short", "level_gap", "score", "projects", "tasks", "owner"]  # fmt: skip
COVERAGE = ("coverage", "required_coverage", "coverage_short")

st.title(t("grading.title"))
if not ui.require_data():
    st.stop()
scope = filters.scope()
gap = store.load(g.grading_gap, scope)
others = store.load(g.other_targets, scope, lang())
if gap.items.empty and others.empty:
    ui.empty("grading.empty")
    st.stop()

req = gap.requirement
sentence = g.gap_sentence(gap, lang())
st.subheader(ui.escape_markdown(sentence))
if req is None:
    st.info(t("grading.no_target"))
if not gap.items.empty:
    st.caption(t("grading.caption", as_of=fmt.date(gap.as_of)))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        grade = g.grade_label(req.grade if req else None, lang())
        ui.tile(t("grading.tile.grade"), grade)
        current = g.grade_label(req.current_grade if req else None, lang())
        st.caption(t("grading.tile.grade_line", current=current, due=fmt.date(req.due if req else None)))
    with c2:
        need = g.points(req.min_score) if req and req.min_score is not None else "—"
        ui.tile(t("grading.tile.score"), f"{g.points(gap.total_score)} / {need}", good=not gap.score_gap)
        st.caption(t("grading.tile.projected", score=g.points(gap.projected_score)))
    with c3:
        met = gap.basic_total - gap.basic_short
        ui.tile(t("grading.tile.basic"), f"{met} / {gap.basic_total}", good=gap.basic_short == 0)
    with c4:
        need_opt = req.optional_required if req and req.optional_required is not None else "—"
        ui.tile(t("grading.tile.optional"), f"{gap.optional_meeting} / {need_opt}", good=not gap.optional_short)
    if gap.unscored:
        st.caption(t("grading.tile.unscored", n=gap.unscored))
    st.plotly_chart(charts.grading_gap(gap, sentence, lang()), width="stretch", key="grading_gap_chart")

    st.subheader(t("grading.items_short"))
    short = gap.items[~gap.items["meets"]]
    if short.empty:
        st.success(t("grading.all_met"))
    else:
        ui.table(short, "grading_short", area="grading", columns=ITEM_COLUMNS, percent=COVERAGE,
                 index=("score",), key="grading_short_dl")  # fmt: skip
    st.subheader(t("grading.links"))
    if gap.links.empty:
        st.info(t("grading.no_links"))
    else:
        words = [t(f"grading.status.{s}") if isinstance(s, str) else "" for s in gap.links["status"]]
        ui.table(gap.links.assign(status=words), "grading_links", area="grading", percent=("percent_complete",),
                 key="grading_links_dl")  # fmt: skip
    with st.expander(t("grading.all_items")):
        ui.table(gap.items, "grading_items", area="grading", columns=[*ITEM_COLUMNS, "coefficient", "meets"],
                 percent=COVERAGE, index=("score", "coefficient"), key="grading_items_dl")  # fmt: skip

if not others.empty:
    st.subheader(t("grading.others"))
    ui.table(others, "grading_others", area="grading", key="grading_others_dl",
             columns=["evaluation", "current", "target", "levels_short", "due", "linked_project"])  # fmt: skip
