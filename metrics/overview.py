"""The president's overview: per project the headline figures and a status light with its reasons, what
changed since the week before, the decisions waiting, and the headline KPIs, for any chosen week.

Every figure quotes metrics.definitions; money is in yuan; "today" is the as-of week when one is chosen.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import math
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from loaders import settings
from loaders import store as _store
from metrics import (
    adoption,
    benefits,
    definitions,
    evm,
    forecast,
    grading,
    memo,
    money,
    operations,
    quality,
    readiness,
    risks,
    schedule,
    targets,
)
from metrics.scope import Scope


def critical_score() -> int:
    """The score from which a risk counts as critical (the risk bands setting)."""
    return risks.configured_bands().critical


def project_options(con: duckdb.DuckDBPyConnection, hospitals: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Every project named in any dataset (of `hospitals` when given), sorted."""
    hc, hp = Scope(hospitals=hospitals).hospital_clause()
    rows = con.execute(
        "SELECT DISTINCT project FROM ("  # noqa: S608 - our own clause
        " SELECT project, hospital FROM tasks UNION SELECT project, hospital FROM budget"
        " UNION SELECT project, hospital FROM costs UNION SELECT project, hospital FROM risks"
        " UNION SELECT project, hospital FROM changes"
        f") WHERE project IS NOT NULL AND {hc} ORDER BY project",
        hp,
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


def department_options(con: duckdb.DuckDBPyConnection, hospitals: tuple[str, ...] | None = None) -> tuple[str, ...]:
    hc, hp = Scope(hospitals=hospitals).hospital_clause()
    rows = con.execute(
        "SELECT DISTINCT department FROM (SELECT department, hospital FROM usage"  # noqa: S608 - our own clause
        f" UNION SELECT department, hospital FROM kpis) WHERE department IS NOT NULL AND {hc} ORDER BY department",
        hp,
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


def hospital_options(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """The hospitals whose imports the store holds (a group store); empty in a single-hospital store."""
    rows = con.execute(
        "SELECT DISTINCT hospital FROM imports WHERE status = 'loaded' AND hospital IS NOT NULL ORDER BY 1"
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


def snapshot_dates(con: duckdb.DuckDBPyConnection, hospitals: tuple[str, ...] | None = None) -> tuple[dt.date, ...]:
    """The distinct as-of dates of plan, risk and change snapshots (of `hospitals` when given), newest first."""
    hc, hp = Scope(hospitals=hospitals).hospital_clause()
    rows = con.execute(
        "SELECT DISTINCT as_of FROM ("  # noqa: S608 - our own clause
        " SELECT as_of, hospital FROM task_snapshots UNION SELECT as_of, hospital FROM risk_snapshots"
        " UNION SELECT as_of, hospital FROM change_snapshots"
        f") WHERE as_of IS NOT NULL AND {hc} ORDER BY as_of DESC",
        hp,
    ).fetchall()
    return tuple(r[0] for r in rows)


# ---------------------------------------------------------------------------------------------- status rules
LIGHTS = ("green", "amber", "red", "none")
RULES = ("slip", "spi", "cpi", "eac", "risks", "usage")
_LEVEL = {"green": 0, "amber": 1, "red": 2}


@dataclass(frozen=True)
class StatusRules:
    """Thresholds (amber, red) of the status light; the setting COCKPIT_STATUS_RULES overrides them.

    slip: days the forecast finish (P80 where available, else the plan's finish) lies after the baseline finish;
    spi / cpi: index below; eac: EAC over budget as a share of budget (0 = any overrun); risks: open critical
    risks; usage: share of live department x system pairs whose usage rate is below target."""

    slip: tuple[float, float] = (7.0, 30.0)
    spi: tuple[float, float] = (evm.INDEX_GREEN, evm.INDEX_AMBER)
    cpi: tuple[float, float] = (evm.INDEX_GREEN, evm.INDEX_AMBER)
    eac: tuple[float, float] = (0.0, 0.10)
    risks: tuple[float, float] = (1.0, 3.0)
    usage: tuple[float, float] = (0.10, 0.30)


def parse_rules(text: str) -> StatusRules:
    """ "slip=7,30;spi=0.95,0.90;…" → StatusRules; rules not named keep their defaults. ValueError names the part."""
    values: dict[str, tuple[float, float]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, _, nums = part.partition("=")
        name = name.strip()
        bits = [b.strip() for b in nums.split(",")]
        if name not in RULES or len(bits) != 2:
            raise ValueError(f"status rule {part!r}: expected one of {RULES} as name=amber,red")
        values[name] = (float(bits[0]), float(bits[1]))
    return dataclasses.replace(StatusRules(), **values)


def status_rules() -> StatusRules:
    """The hospital's rules from the setting; a malformed setting raises (never a silently different light)."""
    return parse_rules(settings.get("status_rules"))


@dataclass(frozen=True)
class Reason:
    """One rule's verdict: its level, the value measured and the thresholds it was held against."""

    rule: str
    level: str  # green | amber | red
    value: float
    amber: float
    red: float


def _grade(value: float | None, amber: float, red: float, low_is_bad: bool) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if low_is_bad:
        return "red" if value < red else "amber" if value < amber else "green"
    return "red" if value >= red else "amber" if value >= amber else "green"


def project_status(
    facts: Mapping[Any, Any], rules: StatusRules, forecast_finish: dt.date | None = None
) -> tuple[str, tuple[Reason, ...]]:
    """The light of one project and every rule's verdict (pure). `facts` is a row of `project_facts`;
    `forecast_finish` (the P80 finish from the schedule's forecast) replaces the plan's finish in the slip rule.
    No rule measurable → "none"; else the worst level."""
    reasons: list[Reason] = []
    slip = _slip_days(facts.get("baseline_finish"), forecast_finish or _day(facts.get("finish")))
    budget = _num(facts.get("budget"))
    eac_value = _num(facts.get("eac"))
    over = (eac_value - budget) / budget if eac_value is not None and budget and budget > 0 else None
    checks: tuple[tuple[str, float | None, tuple[float, float], bool], ...] = (
        ("slip", slip, rules.slip, False),
        ("spi", _num(facts.get("spi")), rules.spi, True),
        ("cpi", _num(facts.get("cpi")), rules.cpi, True),
        ("eac", over, rules.eac, False),
        ("risks", _num(facts.get("critical_risks")), rules.risks, False),
        ("usage", _num(facts.get("usage_below_share")), rules.usage, False),
    )
    for rule, value, (amber, red), low_is_bad in checks:
        if rule == "eac" and value is not None:
            level = "red" if value > red else "amber" if value > amber else "green"
        else:
            level = _grade(value, amber, red, low_is_bad) or ""
        if level and value is not None:
            reasons.append(Reason(rule, level, float(value), amber, red))
    if not reasons:
        return "none", ()
    worst = max(reasons, key=lambda r: _LEVEL[r.level]).level
    return worst, tuple(reasons)


def _num(x: object) -> float | None:
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    try:
        v = float(str(x)) if not isinstance(x, int | float) else float(x)
    except ValueError:
        return None
    return None if math.isnan(v) else v


def _day(x: object) -> dt.date | None:
    if x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x)):
        return None
    return pd.Timestamp(str(x) if isinstance(x, str) else x).date()  # type: ignore[arg-type]


def _slip_days(baseline: object, finish: dt.date | None) -> float | None:
    base = _day(baseline)
    if base is None or finish is None:
        return None
    return float((finish - base).days)


# ---------------------------------------------------------------------------------------------- project facts
FACT_COLUMNS = [
    "project", "plan_complete", "late_tasks", "critical_tasks", "open_risks", "critical_risks", "pending_changes",
    "budget", "spent", "budget_used", "eac", "spi", "cpi", "finish", "baseline_finish", "usage_live",
    "usage_below", "usage_below_share",
]  # fmt: skip
SUMMARY_COLUMNS = FACT_COLUMNS


def _project_systems(plan: pd.DataFrame, systems: list[str]) -> dict[str, str]:
    """system → the project that rolls it out: the project whose name, else whose milestone names, name it most."""
    out: dict[str, str] = {}
    if plan.empty:
        return out
    names = plan.loc[plan["is_milestone"] | plan["is_gate"], ["project", "name"]]
    for system in systems:
        key = system.lower()
        by_name = sorted({str(p) for p in plan["project"].unique() if key in str(p).lower()})
        if by_name:
            out[system] = by_name[0]
            continue
        hits = names[names["name"].astype(str).str.lower().str.contains(key, regex=False)]
        if len(hits):
            out[system] = str(hits["project"].value_counts().index[0])
    return out


def usage_standing(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per live department x system at the week: rate, target (targets dataset) and below_target."""
    rates = adoption.rate_matrix(con, scope, "week")
    rollout = adoption.rollout_matrix(con, scope)
    table = targets.usage_targets(con, scope.as_of, scope.one_hospital())
    cols = ["department", "system", "rate", "target", "below_target"]
    if rates.empty or rollout.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    live = rollout.loc[rollout["phase"] == "live", ["department", "system"]]
    df = rates.merge(live, on=["department", "system"], how="inner")
    df["target"] = [table.target(str(s), str(d)) for s, d in zip(df["system"], df["department"], strict=True)]
    df["below_target"] = [
        definitions.usage_below_target(r, str(s), str(d), table)
        for r, s, d in zip(df["rate"], df["system"], df["department"], strict=True)
    ]
    return df[cols].reset_index(drop=True)


@dataclass(frozen=True)
class Inputs:
    """What one week's figures are computed from, read once per week (the overview reads each dataset once)."""

    plan: pd.DataFrame
    register: pd.DataFrame
    changes: pd.DataFrame
    led: money.Ledger
    standing: pd.DataFrame
    tiles: pd.DataFrame


def load_inputs(con: duckdb.DuckDBPyConnection, scope: Scope) -> Inputs:
    scope = definitions.week_scope(scope)
    return Inputs(
        plan=schedule.load_tasks(con, scope),
        register=risks.load_register(con, scope),
        changes=risks.load_changes(con, scope),
        led=money.ledger(con, scope),
        standing=usage_standing(con, scope),
        tiles=benefits.kpi_tiles(con, scope),
    )


def project_facts(con: duckdb.DuckDBPyConnection, scope: Scope, inputs: Inputs | None = None) -> pd.DataFrame:
    """One row per project at the week (see FACT_COLUMNS), every figure by metrics.definitions. `inputs`: the
    week's data when the caller has read it already."""
    scope = definitions.week_scope(scope)
    today = definitions.reference_day(scope)
    got = inputs or load_inputs(con, scope)
    plan, register, changes, led, standing = got.plan, got.register, got.changes, got.led, got.standing
    work = plan[~plan["is_summary"]]
    late = definitions.late_count_by_project(work, today)
    pct = definitions.plan_percent_by_project(plan)
    crit: dict[str, int] = {}
    if len(work):  # one pass over every project's plan (the schedule computes each project's path apart)
        flags = definitions.critical_mask(work).to_numpy(dtype=bool)
        crit = {str(p): int(n) for p, n in pd.Series(flags, index=work.index).groupby(work["project"]).sum().items()}
    owner = _project_systems(work, sorted({str(s) for s in standing["system"]}))
    projects = sorted(
        set(pct) | set(led.projects) | {str(p) for p in register.get("project", [])}
        | {str(p) for p in changes.get("project", [])}
    )  # fmt: skip
    if scope.projects is not None:
        projects = [p for p in projects if p in scope.projects]
    rows: list[dict[str, object]] = []
    bands = risks.configured_bands()  # the setting read once, not per risk
    for p in projects:
        g = work[work["project"] == p]
        r = register[register["project"] == p] if len(register) else register
        c = changes[changes["project"] == p] if len(changes) else changes
        has_money = p in led.projects
        e = definitions.project_money(led, p) if has_money else None
        budget = led.bac.get(p) if has_money else None
        spent = definitions.spent(led, p) if has_money else 0.0
        mine = standing[standing["system"].map(lambda s, p=p: owner.get(str(s)) == p)] if len(standing) else standing
        live = len(mine)
        below = int(mine["below_target"].sum()) if live else 0
        rows.append(
            {
                "project": p,
                "plan_complete": pct.get(p),
                "late_tasks": late.get(p, 0),
                "critical_tasks": crit.get(p, 0),
                "open_risks": sum(definitions.is_open_risk(s) for s in r["status"]) if len(r) else 0,
                "critical_risks": (
                    sum(
                        definitions.is_critical_risk(sc, st, bands)
                        for sc, st in zip(r["score"], r["status"], strict=True)
                    )
                    if len(r)
                    else 0
                ),
                "pending_changes": sum(definitions.is_pending_change(s) for s in c["status"]) if len(c) else 0,
                "budget": budget,
                "spent": spent,
                "budget_used": definitions.budget_used(spent, budget),
                "eac": e.eac if e else None,
                "spi": e.spi if e else None,
                "cpi": e.cpi if e else None,
                "finish": g["finish"].max() if len(g) else pd.NaT,
                "baseline_finish": g["baseline_finish"].max() if len(g) else pd.NaT,
                "usage_live": live,
                "usage_below": below,
                "usage_below_share": below / live if live else None,
            }
        )
    out = pd.DataFrame(rows, columns=FACT_COLUMNS)
    for col in ("finish", "baseline_finish"):
        out[col] = pd.to_datetime(out[col])
    return out


def project_summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """`project_facts` (kept under its former name for callers)."""
    return project_facts(con, scope)


def with_status(
    facts: pd.DataFrame, rules: StatusRules, forecasts: Mapping[str, dt.date] | None = None
) -> pd.DataFrame:
    """`facts` plus `status` (light) and `reasons` (tuple of Reason) per project (pure)."""
    out = facts.copy()
    lights: list[str] = []
    reasons: list[tuple[Reason, ...]] = []
    for row in facts.to_dict("records"):
        light, why = project_status(row, rules, (forecasts or {}).get(str(row["project"])))
        lights.append(light)
        reasons.append(why)
    out["status"] = pd.Series(lights, index=out.index, dtype=object)
    out["reasons"] = pd.Series(reasons, index=out.index, dtype=object)
    return out


def status_overview(
    con: duckdb.DuckDBPyConnection, scope: Scope, forecasts: tuple[tuple[str, dt.date], ...] | None = None
) -> pd.DataFrame:
    """Facts and status light per project at the week. `forecasts`: (project, P80 finish) pairs from the
    schedule's forecast where available (hashable for the page cache)."""
    return with_status(project_facts(con, scope), status_rules(), dict(forecasts or ()))


def programme_totals(summary: pd.DataFrame) -> dict[str, float | None]:
    """Programme-wide figures from `project_facts` rows (pure: tests feed hand-made frames).

    Plan % complete of the programme is the budget-weighted mean of the projects' (equal weights without budgets)."""
    if summary.empty:
        return {k: None for k in FACT_COLUMNS if k != "project"} | {"projects": 0.0}
    summary = summary.reindex(columns=FACT_COLUMNS)  # a hand-made frame may hold only some figures
    budget = summary["budget"].dropna()
    pc = summary[["plan_complete", "budget"]].dropna(subset=["plan_complete"])
    w = pc["budget"].fillna(0.0).astype(float)
    if len(pc) and w.sum() > 0:
        plan_complete: float | None = float((pc["plan_complete"].astype(float) * w).sum() / w.sum())
    else:
        plan_complete = float(pc["plan_complete"].mean()) if len(pc) else None
    total_budget = float(budget.sum()) if not budget.empty else None
    spent = float(summary["spent"].sum())
    live = float(summary["usage_live"].sum())
    below = float(summary["usage_below"].sum())
    return {
        "projects": float(len(summary)),
        "plan_complete": plan_complete,
        "late_tasks": float(summary["late_tasks"].sum()),
        "critical_tasks": float(summary["critical_tasks"].sum()),
        "open_risks": float(summary["open_risks"].sum()),
        "critical_risks": float(summary["critical_risks"].sum()),
        "pending_changes": float(summary["pending_changes"].sum()),
        "budget": total_budget,
        "spent": spent,
        "budget_used": definitions.budget_used(spent, total_budget),
        "eac": float(summary["eac"].dropna().sum()) if summary["eac"].notna().any() else None,
        "usage_live": live,
        "usage_below": below,
        "usage_below_share": below / live if live else None,
    }


def budget_used_share(budget: float | None, spent: float | None) -> float | None:
    """spent / budget as a share (metrics.definitions.budget_used)."""
    return definitions.budget_used(spent, budget)


# ---------------------------------------------------------------------------------------------- what changed
# The documented weight of each kind of change: score = weight × (0.5 + 0.5 × min(1, size / reference)), so a
# kind's biggest changes score up to twice its smallest; the ten highest scores are shown.
CHANGE_WEIGHTS: dict[str, tuple[float, float, str]] = {
    # kind: (weight, reference size, what the size is)
    "overrun": (100.0, 0.10, "EAC over budget, share of budget"),
    "risk_red": (90.0, 25.0, "risk score"),
    "milestone_slipped": (80.0, 30.0, "days the milestone moved later"),
    "kpi_crossed": (70.0, 0.10, "distance from the target, share of the target"),
    "change_approved": (60.0, 1_000_000.0, "cost impact in yuan"),
    "milestone_reached": (50.0, 1.0, "one milestone"),
    "risk_closed": (40.0, 25.0, "risk score before closing"),
    "usage_rank": (30.0, 10.0, "places moved in the usage ranking"),
    "sla_breach": (85.0, 5.0, "tickets that ran past their resolution target in the week"),
    "quality_drop": (65.0, 0.10, "fall of a data-quality pass rate since the week before, share"),
    "grading_moved": (55.0, 5.0, "points the EMR grading self-assessment score moved"),
}
CHANGE_COLUMNS = ["kind", "project", "subject", "before", "after", "size", "score", "page", "params"]
PAGES = {
    "overrun": "money",
    "risk_red": "risks",
    "risk_closed": "risks",
    "milestone_slipped": "schedule",
    "milestone_reached": "schedule",
    "change_approved": "risks",
    "kpi_crossed": "benefits",
    "usage_rank": "adoption",
    "sla_breach": "operations",
    "quality_drop": "data_quality",
    "grading_moved": "grading",
}


def change_score(kind: str, size: float) -> float:
    weight, reference, _ = CHANGE_WEIGHTS[kind]
    return weight * (0.5 + 0.5 * min(1.0, abs(size) / reference))


def _change(kind: str, project: str | None, subject: str, before: object, after: object, size: float,
            week: dt.date, filters: Mapping[str, str]) -> dict[str, object]:  # fmt: skip
    params = tuple(sorted({"asof": week.isoformat(), **filters}.items()))
    return {
        "kind": kind, "project": project, "subject": subject, "before": before, "after": after, "size": float(size),
        "score": change_score(kind, size), "page": PAGES[kind], "params": params,
    }  # fmt: skip


def milestone_changes(now: pd.DataFrame, before: pd.DataFrame, week: dt.date) -> list[dict[str, object]]:
    """Milestones and gates that moved later, or reached 100 %, between two plan snapshots (pure)."""
    out: list[dict[str, object]] = []
    if now.empty or before.empty:
        return out
    keys = ["project", "task_id"]
    cur = now[now["is_milestone"] | now["is_gate"]]
    prev = before[[*keys, "finish", "percent_complete"]]
    both = cur.merge(prev, on=keys, suffixes=("", "_prev"))
    for r in both.to_dict("records"):
        f, fp = _day(r["finish"]), _day(r["finish_prev"])
        filters = {"projects": str(r["project"])}
        if f and fp and (f - fp).days > 0:
            out.append(
                _change("milestone_slipped", str(r["project"]), str(r["name"]), fp, f, (f - fp).days, week, filters)
            )
        if float(r["percent_complete"]) >= 100 > float(r["percent_complete_prev"]):
            out.append(_change("milestone_reached", str(r["project"]), str(r["name"]), None, f, 1.0, week, filters))
    return out


def risk_changes(moves: pd.DataFrame, week: dt.date, known: Collection[str] | None = None) -> list[dict[str, object]]:
    """Risks that entered the critical band (turned red) or closed, from metrics.risks.movement rows (pure).

    `known`: the projects that had a register the week before (None: every project). A project's first register
    turns nothing red — its risks were not green before, only not loaded — so its new rows are left out here
    (its critical risks still count in the status, the decisions and the risks page)."""
    out: list[dict[str, object]] = []
    for r in moves.to_dict("records"):
        if known is not None and r["kind"] == "new" and str(r["project"]) not in known:
            continue
        filters = {"projects": str(r["project"])}
        subject = f"{r['risk_id']} {r['title']}"
        if r["band"] == "critical" and r["prev_band"] != "critical":
            out.append(_change("risk_red", str(r["project"]), subject, r["prev_score"], r["score"],
                               float(r["score"]), week, filters))  # fmt: skip
        elif r["kind"] == "closed":
            prev = r["prev_score"]
            size = 0.0 if prev is None or prev is pd.NA else float(prev)
            out.append(_change("risk_closed", str(r["project"]), subject, prev, None, size, week, filters))
    return out


def approved_changes(now: pd.DataFrame, before: pd.DataFrame, week: dt.date) -> list[dict[str, object]]:
    """Change requests approved since the week before: approved now, not approved then (pure)."""
    out: list[dict[str, object]] = []
    if now.empty:
        return out
    was = {
        (str(p), str(c)): money.normalise_change_status(s)
        for p, c, s in zip(
            before.get("project", []), before.get("change_id", []), before.get("status", []), strict=True
        )
    }
    for r in now.to_dict("records"):
        status = money.normalise_change_status(r["status"])
        if status in money.APPROVED and was.get((str(r["project"]), str(r["change_id"]))) not in money.APPROVED:
            cost = _num(r.get("cost_impact")) or 0.0
            out.append(_change("change_approved", str(r["project"]), f"{r['change_id']} {r['title']}", None, cost,
                               cost, week, {"projects": str(r["project"])}))  # fmt: skip
    return out


def overrun_changes(now: pd.DataFrame, before: pd.DataFrame, week: dt.date) -> list[dict[str, object]]:
    """Projects whose EAC went over budget this week (facts frames of both weeks; pure)."""
    out: list[dict[str, object]] = []
    prev = {str(r["project"]): r for r in before.to_dict("records")}
    for r in now.to_dict("records"):
        b, e = _num(r.get("budget")), _num(r.get("eac"))
        if not b or e is None or e <= b:
            continue
        p = prev.get(str(r["project"]))
        pe, pb = (_num(p.get("eac")), _num(p.get("budget"))) if p else (None, None)
        if p is not None and pe is not None and pb and pe > pb:
            continue  # already over budget a week before
        out.append(_change("overrun", str(r["project"]), str(r["project"]), pe, e, (e - b) / b, week,
                           {"projects": str(r["project"])}))  # fmt: skip
    return out


def usage_rank_changes(ranking: pd.DataFrame, week: dt.date, top: int = 3) -> list[dict[str, object]]:
    """The departments whose overall usage rank moved most since the week before (pure)."""
    if ranking.empty or "rank_change" not in ranking:
        return []
    r = ranking.dropna(subset=["rank_change"])
    r = r[r["rank_change"] != 0]
    r = r.assign(_m=r["rank_change"].abs()).sort_values(["_m", "department"], ascending=[False, True]).head(top)
    return [
        _change(
            "usage_rank",
            None,
            str(x["department"]),
            _num(x["previous_rank"]),
            _num(x["rank"]),
            float(x["rank_change"]),
            week,
            {"depts": str(x["department"])},
        )  # fmt: skip
        for x in r.to_dict("records")
    ]


def kpi_changes(now: pd.DataFrame, before: pd.DataFrame, week: dt.date) -> list[dict[str, object]]:
    """KPIs whose on-target verdict changed between the two weeks' tiles (pure)."""
    out: list[dict[str, object]] = []
    prev = {str(r["kpi"]): r for r in before.to_dict("records")}
    for r in now.to_dict("records"):
        p = prev.get(str(r["kpi"]))
        if p is None or r["on_target"] is None or p["on_target"] is None or r["on_target"] == p["on_target"]:
            continue
        target = _num(r["target"]) or 0.0
        size = abs(float(r["current"]) - target) / abs(target) if target else 0.0
        out.append(_change("kpi_crossed", None, str(r["kpi"]), _num(p["current"]), _num(r["current"]), size, week, {}))
    return out


def rank_changes(rows: list[dict[str, object]], top: int = 10) -> pd.DataFrame:
    """The `top` largest changes by score (ties: kind order of CHANGE_WEIGHTS, then project, subject)."""
    order = {k: i for i, k in enumerate(CHANGE_WEIGHTS)}
    df = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    if df.empty:
        return df
    df["_k"] = df["kind"].map(order)
    df["_p"] = df["project"].fillna("")
    df = df.sort_values(["score", "_k", "_p", "subject"], ascending=[False, True, True, True], kind="stable")
    return df.drop(columns=["_k", "_p"]).head(top).reset_index(drop=True)


def previous_week(scope: Scope) -> Scope:
    """The same view seven days before the week (or before today)."""
    day = definitions.reference_day(scope) - dt.timedelta(days=7)
    return dataclasses.replace(scope, as_of=day, today=day)


def money_facts(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per project with money: budget and EAC at the week (what the overrun comparison needs, no more)."""
    led = money.ledger(con, definitions.week_scope(scope))
    rows = [
        {"project": p, "budget": led.bac.get(p), "eac": definitions.project_money(led, p).eac} for p in led.projects
    ]
    return pd.DataFrame(rows, columns=["project", "budget", "eac"])


def what_changed(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    top: int = 10,
    facts: pd.DataFrame | None = None,
    inputs: Inputs | None = None,
) -> pd.DataFrame:
    """The `top` largest changes across every dataset between the week and seven days before it. `facts` and
    `inputs`: this week's project_facts and data when the caller has them already (not read twice)."""
    now = definitions.week_scope(dataclasses.replace(scope, as_of=definitions.reference_day(scope)))
    before = previous_week(now)
    week = definitions.reference_day(now)
    plan = inputs.plan if inputs else schedule.load_tasks(con, now)
    register = inputs.register if inputs else risks.load_register(con, now)
    changes = inputs.changes if inputs else risks.load_changes(con, now)
    tiles = inputs.tiles if inputs else benefits.kpi_tiles(con, now)
    rows: list[dict[str, object]] = []
    rows += milestone_changes(plan, schedule.load_tasks(con, before), week)
    bands = risks.configured_bands()
    previous = risks.load_register(con, before)
    known = {str(p) for p in previous["project"].unique()} if len(previous) else set()
    rows += risk_changes(risks.movement(register, previous, bands), week, known)
    rows += approved_changes(changes, risks.load_changes(con, before), week)
    now_money = money_facts(con, now) if facts is None else facts
    rows += overrun_changes(now_money, money_facts(con, before), week)
    rows += usage_rank_changes(adoption.usage_ranking(con, now), week)
    rows += kpi_changes(tiles, benefits.kpi_tiles(con, before), week)
    rows += operations.overview_changes(con, now, week)
    rows += quality.overview_changes(con, now) + grading.overview_changes(con, now)
    return rank_changes(rows, top)


# ---------------------------------------------------------------------------------------------- decisions
DECISION_COLUMNS = ["kind", "project", "id", "title", "age_days", "cost_impact", "schedule_impact_days", "due"]
ACCEPTANCE_WORDS = ("验收", "acceptance", "accepted", "sign-off", "签收")


def decisions(con: duckdb.DuckDBPyConnection, scope: Scope, inputs: Inputs | None = None) -> pd.DataFrame:
    """What waits for the president at the week: change requests pending the board (age, cost and schedule
    impact), critical risks without an owner or past their review date (30 days), quality gates due within 14
    days or overdue, and payments due to vendors of projects whose acceptance milestone is not yet reached."""
    scope = definitions.week_scope(scope)
    today = definitions.reference_day(scope)
    register = inputs.register if inputs else risks.load_register(con, scope)
    changes = inputs.changes if inputs else risks.load_changes(con, scope)
    rows: list[dict[str, object]] = []
    waiting = risks.decisions_waiting(changes, register, today, risks.configured_bands())
    for r in waiting.to_dict("records"):
        rows.append({
            "kind": "change" if r["kind"] == "change" else "risk_owner", "project": r["project"], "id": r["id"],
            "title": r["title"], "age_days": r["age_days"], "cost_impact": r["cost_impact"],
            "schedule_impact_days": r["schedule_impact_days"], "due": None,
        })  # fmt: skip
    overdue = risks.overdue_reviews(register, today) if len(register) else register
    for r in overdue.to_dict("records") if len(overdue) else []:
        if definitions.is_critical_risk(r["score"], r["status"]):
            rows.append({
                "kind": "risk_review", "project": r["project"], "id": r["risk_id"], "title": r["title"],
                "age_days": r["days_since_review"], "cost_impact": None, "schedule_impact_days": None, "due": None,
            })  # fmt: skip
    plan = inputs.plan if inputs else schedule.load_tasks(con, scope)
    due = schedule.milestones_due(plan, today, 14)
    for r in due[due["is_gate"]].to_dict("records"):
        rows.append({
            "kind": "gate", "project": r["project"], "id": r["task_id"], "title": r["name"],
            "age_days": -int(r["days_to_due"]), "cost_impact": None, "schedule_impact_days": None,
            "due": _day(r["finish"]),
        })  # fmt: skip
    work = plan[~plan["is_summary"]]
    accepted_open = set()
    for r in work.to_dict("records"):
        name = str(r["name"]).lower()
        if (r["is_milestone"] or r["is_gate"]) and any(w in name for w in ACCEPTANCE_WORDS):
            if float(r["percent_complete"]) < 100:
                accepted_open.add(str(r["project"]))
    payments = money.payments_due_frame((inputs.led if inputs else money.ledger(con, scope)).contracts)
    for r in payments.to_dict("records"):
        if str(r["project"]) in accepted_open:
            first = _day(r["first_invoice"])
            rows.append({
                "kind": "payment", "project": r["project"], "id": r["reference"], "title": r["vendor"],
                "age_days": (today - first).days if first else None, "cost_impact": r["due"],
                "schedule_impact_days": None, "due": first,
            })  # fmt: skip
    rows += operations.overview_decisions(con, scope)
    rows += readiness.decision_rows(con, scope)  # gates due with unmet criteria, overdue supervision findings
    rows += grading.overview_decisions(con, scope)
    out = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    out["age_days"] = pd.to_numeric(out["age_days"]).astype("Int64")
    out["schedule_impact_days"] = pd.to_numeric(out["schedule_impact_days"]).astype("Int64")
    out["cost_impact"] = pd.to_numeric(out["cost_impact"]).astype("float64")
    return out


# ---------------------------------------------------------------------------------------------- headline KPIs
KPI_COLUMNS = ["kpi", "unit", "direction", "baseline", "target", "current", "change", "on_target", "since_go_live",
               "go_live", "period"]  # fmt: skip


def headline_kpis(con: duckdb.DuckDBPyConnection, scope: Scope, inputs: Inputs | None = None) -> pd.DataFrame:
    """Per KPI: baseline, target, this week's value, the change since last week and since go-live (the first
    value on or after the system's go-live), and whether it is on target."""
    scope = definitions.week_scope(scope)
    tiles = inputs.tiles if inputs else benefits.kpi_tiles(con, scope)
    if tiles.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in KPI_COLUMNS})
    series = benefits.kpi_series(con, benefits.history(scope))
    since: list[float] = []
    for r in tiles.to_dict("records"):
        s = series[series["kpi"] == r["kpi"]].dropna(subset=["value"]).sort_values("period")
        gl = r["go_live"]
        after = s[s["period"] >= gl] if gl is not None and gl is not pd.NaT else s.iloc[0:0]
        since.append(float(r["current"]) - float(after["value"].iloc[0]) if len(after) else math.nan)
    out = tiles.assign(since_go_live=since)
    return out[KPI_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- one week, whole
@dataclass(frozen=True)
class Week:
    """Everything the overview and the brief show for one week (the brief is built from this alone)."""

    week: dt.date
    scope: Scope
    projects: pd.DataFrame  # project_facts + status + reasons
    totals: dict[str, float | None]
    changes: pd.DataFrame
    decisions: pd.DataFrame
    kpis: pd.DataFrame
    rules: StatusRules
    late: pd.DataFrame  # the late tasks themselves (definitions.late_mask), most overdue first
    red_risks: pd.DataFrame  # open critical risks: project, risk_id, title, owner, score
    below_target: pd.DataFrame  # live department x system pairs below their usage target


def p80_forecasts(con: duckdb.DuckDBPyConnection, scope: Scope) -> tuple[tuple[str, dt.date], ...]:
    """(project, P80 finish) from the schedule's Monte Carlo forecast (metrics.forecast, seeded: the same week
    gives the same dates), for the projects it can forecast. Finish dates only: the criticality index is skipped."""
    projects = forecast.finish_forecast(con, definitions.week_scope(scope), criticality=False).projects
    out: list[tuple[str, dt.date]] = []
    for p, d in zip(projects.get("project", []), projects.get("p80_finish", []), strict=True):
        day = forecast.as_date(d)
        if day is not None:
            out.append((str(p), day))
    return tuple(out)


def week_view(
    con: duckdb.DuckDBPyConnection, scope: Scope, forecasts: tuple[tuple[str, dt.date], ...] | None = None
) -> Week:
    """The overview of one week: pass `scope.as_of` to reproduce a past week exactly. Without one, the week is
    the latest snapshot date on or before today, so "this week" and "last week" are both weeks of data. Built once
    per store, data version, settings and scope and shared by every viewer, the brief and the warm-up
    (pages.components.warm); each caller gets its own copy. The week, its key's data version and what it is built
    from are read in one snapshot of the data, so an import landing meanwhile is never kept under the version
    before it."""
    if scope.as_of is None and forecasts is None:
        _remember(scope)
    with _store.read_snapshot(con):
        if scope.as_of is None:
            dates = [d for d in snapshot_dates(con, scope.hospitals) if d <= scope.today_or_now()]
            if dates:
                scope = dataclasses.replace(scope, as_of=dates[0])
        scope = definitions.week_scope(scope)
        rules = status_rules()
        key = memo.store_key(con, scope, forecasts, scope.today_or_now())
        return copy.deepcopy(_WEEKS.get_or_build(key, lambda: _build_week(con, scope, rules, forecasts)))


_WEEKS: memo.Memo[Week] = memo.Memo(16)  # a few scopes (the president's, a few departments', past weeks)
_VIEWED: OrderedDict[Scope, None] = OrderedDict()  # this week's overviews asked for lately, the latest last
VIEWED_KEPT = 8
_VIEWED_LOCK = threading.Lock()


def _remember(scope: Scope) -> None:
    with _VIEWED_LOCK:
        _VIEWED[scope] = None
        _VIEWED.move_to_end(scope)
        while len(_VIEWED) > VIEWED_KEPT:
            _VIEWED.popitem(last=False)


def viewed_scopes() -> list[Scope]:
    """The scopes of this week's overview asked for lately (a department head's, a project filter's), the latest
    first: the warm-up builds them again after each import and keeps them across a restart (pages.components.warm)."""
    with _VIEWED_LOCK:
        return list(reversed(_VIEWED))


def remember_earlier(scopes: Collection[Scope]) -> None:
    """Scopes asked for before this process began (the latest first, as `viewed_scopes` gives them), kept as older
    than any asked for since; the oldest are dropped beyond VIEWED_KEPT."""
    with _VIEWED_LOCK:
        since = list(_VIEWED)
        _VIEWED.clear()
        for scope in [*reversed(list(scopes)), *since]:
            _VIEWED[scope] = None
            _VIEWED.move_to_end(scope)
        while len(_VIEWED) > VIEWED_KEPT:
            _VIEWED.popitem(last=False)


def _build_week(
    con: duckdb.DuckDBPyConnection, scope: Scope, rules: StatusRules, forecasts: tuple[tuple[str, dt.date], ...] | None
) -> Week:
    if forecasts is None:
        forecasts = p80_forecasts(con, scope)
    inputs = load_inputs(con, scope)
    facts = with_status(project_facts(con, scope, inputs), rules, dict(forecasts or ()))
    today = definitions.reference_day(scope)
    plan = inputs.plan
    return Week(
        week=today,
        scope=scope,
        projects=facts,
        totals=programme_totals(facts),
        changes=what_changed(con, scope, facts=facts, inputs=inputs),
        decisions=decisions(con, scope, inputs),
        kpis=headline_kpis(con, scope, inputs),
        rules=rules,
        late=schedule.late_tasks(plan[~plan["is_summary"]], today),
        red_risks=critical_risks(con, scope, inputs.register),
        below_target=below_target(con, scope, inputs.standing),
    )


def critical_risks(con: duckdb.DuckDBPyConnection, scope: Scope, register: pd.DataFrame | None = None) -> pd.DataFrame:
    """The open critical risks at the week (definitions.is_critical_risk), highest score first."""
    reg = register if register is not None else risks.load_register(con, definitions.week_scope(scope))
    cols = ["project", "risk_id", "title", "owner", "score"]
    if reg.empty:
        return reg.reindex(columns=cols)
    bands = risks.configured_bands()  # the setting read once, not per risk (46,000 reads: 0.25 s of a cold view)
    keep = [definitions.is_critical_risk(sc, st, bands) for sc, st in zip(reg["score"], reg["status"], strict=True)]
    return reg.loc[keep, cols].sort_values(["score", "project"], ascending=[False, True]).reset_index(drop=True)


def below_target(con: duckdb.DuckDBPyConnection, scope: Scope, standing: pd.DataFrame | None = None) -> pd.DataFrame:
    """Live department x system pairs below their usage target at the week, lowest rate first."""
    s = standing if standing is not None else usage_standing(con, definitions.week_scope(scope))
    return s[s["below_target"].astype(bool)].sort_values(["rate", "department"]).reset_index(drop=True)
