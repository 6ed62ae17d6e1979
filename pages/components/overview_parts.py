"""The overview's sections (kept out of pages/overview.py so the page stays short): lights with their reasons,
tiles, what changed as links to the pages with filters set, decisions, KPIs and the brief's download."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from metrics import overview
from pages.components import filters, fmt, nav, session, store, ui
from pages.components.i18n import lang, t

BADGE = {"green": "green", "amber": "orange", "red": "red", "none": "gray"}
ICON = {"green": ":material/check_circle:", "amber": ":material/error:", "red": ":material/cancel:",
        "none": ":material/help:"}  # fmt: skip


def light_badge(status: str) -> None:
    """The light as a coloured badge (a shape with a word, not an emoji)."""
    st.badge(t(f"overview.light.{status}"), icon=ICON[status], color=BADGE[status])  # type: ignore[arg-type]


def _rule_value(rule: str, value: float) -> str:
    if rule == "slip":
        return fmt.days(value)
    if rule in ("eac", "usage"):
        return fmt.pct(value)
    if rule == "risks":
        return fmt.num(value)
    return fmt.num(value, 2)


def why(status: str, reasons: tuple[overview.Reason, ...]) -> None:
    """ "为什么是黄灯？": every rule with its value, thresholds and verdict."""
    with st.expander(t("overview.why", light=t(f"overview.light.{status}"))):
        for r in reasons:
            st.text(
                t(
                    "overview.rule_line",
                    rule=t(f"overview.rule.{r.rule}"),
                    value=_rule_value(r.rule, r.value),
                    amber=_rule_value(r.rule, r.amber),
                    red=_rule_value(r.rule, r.red),
                    level=t(f"overview.light.{r.level}"),
                )
            )
        st.caption(t("overview.rules_note"))


def tiles(row: Mapping[Any, Any]) -> None:
    """Five tiles: plan, late tasks, open risks (critical), pending changes, budget used."""
    cols = st.columns(5)
    critical = int(row["critical_risks"] or 0)
    share = row["budget_used"]
    with cols[0]:
        ui.tile(t("overview.plan_complete"), fmt.pct(row["plan_complete"]), help=t("overview.plan_complete_help"))
    with cols[1]:
        ui.tile(t("overview.late_tasks"), fmt.num(row["late_tasks"]), help=t("overview.late_tasks_help"))
    with cols[2]:
        ui.tile(
            t("overview.open_risks"),
            fmt.num(row["open_risks"]),
            delta=t("overview.critical", n=critical) if critical else None,
            good=False if critical else None,
            help=t("overview.critical_help", score=overview.critical_score()),
        )
    with cols[3]:
        ui.tile(t("overview.pending_changes"), fmt.num(row["pending_changes"]))
    with cols[4]:
        ui.tile(
            t("overview.budget_used"),
            fmt.pct(share) if share is not None and not pd.isna(share) else t("overview.no_budget"),
        )
        st.caption(t("overview.budget_line", spent=fmt.money(row["spent"]), budget=fmt.money(row["budget"])))


def programme(week: overview.Week) -> None:
    worst = max(week.projects["status"], key=lambda s: ("none", "green", "amber", "red").index(s), default="none")
    with st.container(border=True):
        st.subheader(t("overview.programme"))
        light_badge(str(worst))
        with st.container(horizontal=True):  # every project's light first, then the figures
            for p, status in zip(week.projects["project"], week.projects["status"], strict=True):
                st.badge(ui.escape_markdown(f"{p} · {t(f'overview.light.{status}')}"), color=BADGE[status])  # type: ignore[arg-type]
        tiles(week.totals)


def projects(week: overview.Week) -> None:
    for r in week.projects.to_dict("records"):  # one bordered box per project, its light first
        with st.container(border=True):
            st.subheader(ui.escape_markdown(r["project"]))
            light_badge(str(r["status"]))
            if r["reasons"]:
                why(str(r["status"]), r["reasons"])
            tiles(r)


def _value(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float):
        return fmt.num(v, 0 if abs(v) >= 100 else 1)
    return fmt.date(v) if isinstance(v, dt.date | dt.datetime) else str(v)


def change_label(row: Mapping[Any, Any]) -> str:
    parts = [t(f"overview.kind.{row['kind']}")]
    if isinstance(row["project"], str):
        parts.append(row["project"])
    parts.append(str(row["subject"]))
    moved = " → ".join(x for x in (_value(row["before"]), _value(row["after"])) if x)
    return ui.escape_markdown(" · ".join(parts) + (f" ({moved})" if moved else ""))


_FILTERS = {"projects": filters.PROJECTS, "depts": filters.DEPARTMENTS, "asof": filters.AS_OF}
_GO = "overview_go"


def _open(page: str, params: tuple[tuple[str, str], ...]) -> None:
    """Button callback: set the sidebar filters the change names (before the widgets draw), then go there."""
    for key, value in params:
        target = _FILTERS[key]
        st.session_state[target] = value if key == "asof" else [value]
    st.session_state[_GO] = page


def follow() -> None:
    """Open the page a "what changed" item asked for (st.switch_page cannot run inside a callback)."""
    page = st.session_state.pop(_GO, None)
    if page:
        # only the unbound language goes in query_params: the bound filters take their values from the state
        st.switch_page(str(nav.PAGES_DIR / f"{page}.py"), query_params={"lang": lang()})


def changes(week: overview.Week) -> None:
    st.header(t("overview.changes"), help=t("overview.changes_help"))
    if week.changes.empty:
        st.info(t("overview.no_changes"))
    for i, r in enumerate(week.changes.to_dict("records")):
        st.button(
            change_label(r),
            key=f"overview_change_{i}",
            type="tertiary",
            icon=":material/arrow_forward:",
            on_click=_open,
            args=(str(r["page"]), tuple(r["params"])),
        )


def decisions(week: overview.Week) -> None:
    st.header(t("overview.decisions"))
    d = week.decisions
    if d.empty:
        st.info(t("overview.no_decisions"))
        return
    shown = d.assign(
        kind=[t(f"overview.kind.{k}") for k in d["kind"]], cost_impact=[fmt.money(v) for v in d["cost_impact"]]
    )
    st.dataframe(shown.rename(columns={c: t(f"overview.col.{c}") for c in shown.columns}), hide_index=True)


def kpis(week: overview.Week) -> None:
    st.header(t("overview.kpis"))
    if week.kpis.empty:
        st.info(t("overview.no_kpis"))
        return
    cols = st.columns(min(4, len(week.kpis)))
    for i, r in enumerate(week.kpis.to_dict("records")):
        with cols[i % len(cols)]:
            unit = ui.escape_markdown(r["unit"]) if isinstance(r["unit"], str) else ""  # metric text is markdown
            ui.tile(ui.escape_markdown(r["kpi"]), f"{fmt.num(r['current'], 1)} {unit}", delta=fmt.num(r["change"], 1),
                    good=r["on_target"])  # fmt: skip
            st.caption(t("overview.kpi_line", baseline=fmt.num(r["baseline"], 1), target=fmt.num(r["target"], 1),
                         since=fmt.num(r["since_go_live"], 1)))  # fmt: skip


def brief_download(week: overview.Week) -> None:
    """The brief of the week shown, built on request (a few seconds) and kept for this data version."""
    from reports import brief

    st.header(t("overview.brief"))
    if not st.toggle(t("overview.brief_make"), key="overview_brief"):
        return
    files = store.load(brief.build, week.scope, lang())
    kinds = {".pdf": "overview.brief_pdf", ".xlsx": "overview.brief_xlsx", ".pptx": "overview.brief_pptx"}
    cols = st.columns(3)
    for col, (name, data) in zip(cols, files.items(), strict=True):
        with col:
            st.download_button(
                t(kinds[name[name.rfind(".") :]]),
                session.audited(functools.partial(bytes, data), name, None),  # built already; audited on click
                file_name=name,
                key=f"brief{name[name.rfind('.') :]}",
                on_click="ignore",
            )
