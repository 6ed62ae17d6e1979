"""The business rules, each defined once: every page, the weekly brief and the exports quote these.

Where a rule already lives with the area that owns it (money, schedule, risks, adoption), this module names it and
calls it rather than computing it again; the README's "Definitions" section says each in plain words.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pandas as pd

from metrics import evm, money, risks, schedule
from metrics.scope import Scope
from metrics.targets import UsageTargets


# ---------------------------------------------------------------------------------------------- the week
def week_scope(scope: Scope) -> Scope:
    """The scope a week's figures are computed in: with an as-of week chosen, "today" is that week, so money
    cut-offs, late tasks and review ages are exactly what they were then (last month's brief regenerates)."""
    if scope.as_of is not None and scope.today != scope.as_of:
        return dataclasses.replace(scope, today=scope.as_of)
    return scope


def reference_day(scope: Scope) -> dt.date:
    """The day every "late", "overdue" and "age" is measured at: the as-of week, else today."""
    return scope.as_of or scope.today_or_now()


# ---------------------------------------------------------------------------------------------- plan
def plan_percent(tasks: pd.DataFrame) -> float | None:
    """Plan % complete (share 0..1) of one project's plan snapshot: percent complete of the work tasks
    (summary rows left out), weighted by duration (working days as the plan states them, else calendar days
    start..finish); milestones weigh nothing; when every weight is zero, the plain mean.

    The money page's earned value uses the same figure (EV = BAC × plan % complete)."""
    return money.plan_percent(tasks)


def plan_percent_by_project(tasks: pd.DataFrame) -> dict[str, float | None]:
    """`plan_percent` per project of a frame holding several plans."""
    if tasks.empty:
        return {}
    return {str(p): plan_percent(g) for p, g in tasks.groupby("project", sort=True)}


def task_status(plan: pd.DataFrame, today: dt.date) -> pd.Series:
    """done / on_track / late / not_started per task (the schedule page's rule, metrics.schedule.task_status)."""
    return schedule.task_status(plan, today)


def late_mask(plan: pd.DataFrame, today: dt.date) -> pd.Series:
    """A late task: below 100 % and either its finish date has passed, or it has started and is behind the
    share of its span already elapsed by more than schedule.LATE_MARGIN points."""
    return task_status(plan, today) == "late"


def late_count_by_project(plan: pd.DataFrame, today: dt.date) -> dict[str, int]:
    """Late tasks per project (summary rows left out)."""
    work = plan[~plan["is_summary"]] if "is_summary" in plan and len(plan) else plan
    if work.empty:
        return {}
    late = late_mask(work, today)
    return {str(p): int(late[g.index].sum()) for p, g in work.groupby("project", sort=True)}


def critical_mask(plan: pd.DataFrame) -> pd.Series:
    """A critical task: on the critical path of its project (metrics.schedule.critical_path)."""
    if plan.empty:
        return pd.Series([], dtype=bool)
    return schedule.critical_path(plan)["critical"].astype(bool)


# ---------------------------------------------------------------------------------------------- risks, changes
def is_open_risk(status: object) -> bool:
    """An open risk: any status that does not say closed (已关闭, 已解决, closed, resolved …); blank is open."""
    return risks.is_open(status)


def is_critical_risk(score: object, status: object, bands: risks.Bands | None = None) -> bool:
    """A critical risk: open, and its score (likelihood × impact) reaches the critical band's floor (setting
    COCKPIT_RISK_BANDS, 20 by default)."""
    b = bands or risks.configured_bands()
    return is_open_risk(status) and b.band(None if _missing(score) else float(str(score))) == "critical"


def is_pending_change(status: object) -> bool:
    """A pending change request: waiting for the change-control board (待审批, 审批中, submitted, pending …)."""
    return risks.normalise_status(status) in risks.PENDING_CHANGE_STATUSES


# ---------------------------------------------------------------------------------------------- money
def budget_used(spent: float | None, budget: float | None) -> float | None:
    """Budget used (share): actual cost to date (per contract the larger of invoiced and paid) ÷ the current
    budget (the loaded budget + approved changes, metrics.money); None without a positive budget. The money
    page's `share_used`."""
    if spent is None or budget is None or _missing(budget) or _missing(spent) or float(budget) <= money.EPS:
        return None
    return float(spent) / float(budget)


def project_money(led: money.Ledger, project: str, threshold: float | None = None) -> evm.Evm:
    """Earned value of one project (BAC, PV, EV, AC, SPI, CPI, EAC …) exactly as the money page computes it."""
    thr = money.default_threshold() if threshold is None else threshold
    return money.project_evm(led, project, "cpi", thr)


def eac(led: money.Ledger, project: str) -> float | None:
    """Estimate at completion: the money page's EAC (metrics.money / metrics.evm)."""
    return project_money(led, project).eac


def spent(led: money.Ledger, project: str) -> float:
    """Actual cost to date of a project: the sum of its contracts' AC (money.Contract.actual)."""
    return sum(k.actual for k in led.contracts if k.project == project)


# ---------------------------------------------------------------------------------------------- adoption, KPIs
def usage_rate(active: float | None, eligible: float | None) -> float | None:
    """Usage rate: Σ active users ÷ Σ eligible users; rows without eligible users are left out (None here)."""
    if active is None or eligible is None or _missing(active) or _missing(eligible) or float(eligible) <= 0:
        return None
    return float(active) / float(eligible)


def usage_below_target(rate: float | None, system: str | None, department: str | None, table: UsageTargets) -> bool:
    """Usage below target: the rate is under the target of that system in that department (targets dataset;
    the most specific row wins, then the `usage_target` setting)."""
    if rate is None or _missing(rate):
        return False
    return float(rate) < table.target(system, department)


def kpi_on_target(value: float | None, target: float | None, direction: str) -> bool | None:
    """A KPI meets its target when it is at or below it (lower is better) or at or above it (higher is
    better); None without a value or a target. Below target = not on target."""
    if value is None or target is None or _missing(value) or _missing(target):
        return None
    return bool(value <= target) if direction == "lower" else bool(value >= target)


def _missing(x: object) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    return isinstance(x, float) and math.isnan(x)


# ---------------------------------------------------------------------------------------------- operations SLA
SLA_OUTCOMES = ("met", "breached", "pending")


def sla_outcome(
    opened: dt.datetime, finished: dt.datetime | None, target_minutes: float, period_end: dt.datetime
) -> str:
    """One SLA clock of a help-desk ticket (response or resolution) judged at `period_end`.

    met: finished by the period end within the target (elapsed ≤ target); breached: finished later than the
    target, or still running at the period end and already past it; pending: still running and not yet past it
    (not counted either way). A finish recorded after the period end is not known at the period end (an as-of week
    reproduces what was known then). The response clock's finish is the response time, else the resolution time (a
    ticket resolved without a recorded response was answered when it was resolved). metrics.operations computes
    the same rule in SQL; a test holds both to these hand-worked cases."""
    target = dt.timedelta(minutes=target_minutes)
    if finished is not None and finished <= period_end:
        return "met" if finished - opened <= target else "breached"
    return "breached" if period_end - opened > target else "pending"


def sla_compliance(met: int, breached: int) -> float | None:
    """SLA compliance: met ÷ (met + breached); pending tickets are left out; None when nothing is counted."""
    counted = met + breached
    return met / counted if counted else None
