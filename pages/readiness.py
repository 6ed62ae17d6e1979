"""Go-live readiness: each upcoming quality gate with its criteria (computed or typed) and sign-off, the department ×
dimension readiness heatmap and who can go live next, training coverage against target, the chief-user feedback
backlog and its age, and the third-party supervision findings (open, overdue, by severity)."""

from typing import Any

import pandas as pd
import streamlit as st

from charts import readiness as charts
from metrics import readiness as m
from pages.components import filters, fmt, store, ui
from pages.components.i18n import lang, t

CRITERIA = ["criterion", "source", "value", "threshold", "typed_status", "status", "note", "reason", "evidence",
            "signed_by", "signed_on"]  # fmt: skip
GATES = ["project", "gate", "department", "due", "days_to_due", "criteria", "met", "waived", "open", "computed",
         "passes", "blocking"]  # fmt: skip
NEXT = ["department", "system", "go_live", "ready", "not_ready", "na", "ready_share", "can_go_live", "blocking", "live"]
COVERAGE = ["department", "system", "date", "staff", "trained", "passed", "coverage", "pass_rate", "target",
            "below_target"]  # fmt: skip
BACKLOG = ["department", "system", "open", "high", "median_age", "oldest_age", "resolved", "mean_days_to_resolve"]
OPEN_ITEMS = ["feedback_id", "department", "system", "issue", "category", "severity", "raised", "age", "chief_user"]
FINDINGS = ["finding_id", "project", "area", "finding", "severity", "action", "due", "days_overdue", "status",
            "closed", "closed_by"]  # fmt: skip
NARROW = {c: "medium" for c in ("criterion", "evidence", "reason", "issue", "finding", "action", "blocking")}


def words(prefix: str, codes: tuple[str, ...]) -> dict[str, str]:
    return {c: t(f"readiness.{prefix}.{c}") for c in codes}


def show(df: pd.DataFrame, name: str, cols: list[str], percent: tuple[str, ...] = (), shade: str | None = None) -> None:
    ui.table(m.dashed(df).reset_index(drop=True), name, area="readiness", columns=[c for c in cols if c in df.columns],
             percent=percent, key=f"readiness_dl_{name}", widths=NARROW, shade=shade)  # fmt: skip


def gate_block(gate: dict[Any, Any], criteria: pd.DataFrame, labels: dict[str, dict[str, str]]) -> None:
    department = m.text_or(gate["department"], t("readiness.gate.whole"))
    head = t("readiness.gate.head", gate=gate["gate"], project=gate["project"], department=department,
             due=fmt.date(gate["due"]))  # fmt: skip
    st.markdown(f"**{ui.escape_markdown(head)}**")
    verdict = t("readiness.gate.passes") if gate["passes"] else t("readiness.gate.blocked", blocking=gate["blocking"])
    (st.success if gate["passes"] else st.warning)(ui.escape_markdown(verdict))
    mine = m.criteria_of(criteria, gate)
    show(m.criteria_table(mine, labels), f"gate_{gate['project']}_{gate['gate']}_{department}", CRITERIA)


st.title(t("readiness.title"))
if not ui.require_data():
    st.stop()
scope = filters.scope()
day = m.reference_day(scope)
st.caption(t("readiness.caption", day=fmt.date(day)), help=t("readiness.computed_help"))

# ---- gates
st.header(t("readiness.gates.header"))
gates = store.load(m.gates, scope)
if gates.empty:
    ui.empty("readiness.gates.empty")
else:
    criteria = store.load(m.gate_criteria, scope)
    statuses = words("status", m.GATE_STATUSES)
    labels = {"status": statuses, "typed_status": statuses, "source": words("source", ("computed", "typed")),
              "note": words("note", ("no_data", "threshold_unreadable"))}  # fmt: skip
    st.subheader(t("readiness.gates.upcoming"))
    upcoming = m.upcoming(gates)
    if upcoming.empty:
        st.info(t("readiness.gates.none_upcoming"))
    for gate in upcoming.to_dict("records"):
        gate_block(gate, criteria, labels)
    st.subheader(t("readiness.gates.all"))
    show(gates, "gates", GATES)

# ---- departments
st.header(t("readiness.depts.header"))
matrix = store.load(m.department_readiness, scope)
if matrix.empty:
    ui.empty("readiness.depts.empty")
else:
    ready_words = words("ready", m.READY_STATUSES)
    st.plotly_chart(charts.readiness_heatmap(matrix, lang()), width="stretch", key="readiness_heatmap")
    st.subheader(t("readiness.next.header"))
    nxt = store.load(m.go_live_next, scope)
    waiting = nxt[~nxt["live"]]
    if len(waiting):
        first = waiting.iloc[0]
        key = "readiness.next.ready" if first["can_go_live"] else "readiness.next.blocked"
        st.markdown(ui.escape_markdown(t(key, department=first["department"], system=m.text_or(first["system"], "—"),
                                         go_live=fmt.date(first["go_live"]), blocking=first["blocking"])))  # fmt: skip
    show(nxt, "go_live_next", NEXT, percent=("ready_share",))
    ui.download(m.long_matrix_labels(matrix, ready_words), "department_readiness", area="readiness")

# ---- training
st.header(t("readiness.training.header"))
coverage = store.load(m.training_coverage, scope)
if coverage.empty:
    ui.empty("readiness.training.empty")
else:
    st.caption(t("readiness.training.caption", target=fmt.pct(m.COVERAGE_TARGET, 0)))
    st.plotly_chart(charts.coverage_chart(coverage, lang()), width="stretch", key="readiness_coverage")
    show(coverage, "training_coverage", COVERAGE, percent=("coverage", "pass_rate", "target"))

# ---- feedback
st.header(t("readiness.feedback.header"))
backlog = store.load(m.feedback_backlog, scope)
if backlog.empty:
    ui.empty("readiness.feedback.empty")
else:
    show(backlog, "feedback_backlog", BACKLOG)
    st.plotly_chart(charts.backlog_chart(store.load(m.feedback_trend, scope), lang()), width="stretch",
                    key="readiness_backlog")  # fmt: skip
    st.subheader(t("readiness.feedback.open"))
    items = m.relabel(store.load(m.feedback_open, scope), "severity", words("severity", m.SEVERITIES))
    show(items, "feedback_open", OPEN_ITEMS)

# ---- supervision
st.header(t("readiness.findings.header"))
findings = store.load(m.findings, scope)
if findings.empty:
    ui.empty("readiness.findings.empty")
else:
    left, right, chart = st.columns([1, 1, 3])
    with left:
        ui.tile(t("readiness.findings.open"), fmt.num(int(findings["open"].sum())))
    with right:
        ui.tile(t("readiness.findings.overdue"), fmt.num(int(findings["overdue"].sum())))
    with chart:
        severity = m.findings_by_severity(findings)
        st.plotly_chart(charts.severity_chart(severity, lang()), width="stretch", key="readiness_severity")
    listing = m.relabel(findings, "severity", words("severity", (*m.SEVERITIES, "unstated")))
    show(listing, "supervision_findings", FINDINGS, shade="overdue")
