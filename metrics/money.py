"""Money: budget against actuals, monthly burn, the S-curve, earned value, overrun warnings, changes and vendors.

Every public function takes (con, scope); the pure helpers below them take plain frames so tests can feed them.

How the ledger is read (the cost ledger holds one line per stage for the same contract). These definitions are
the programme's one source: the overview, the brief and the exports quote the functions below.
- A contract is (project, reference); lines without a reference share one contract per project, category and
  vendor. A supplementary agreement (补充协议) is booked under its own reference, the base contract's reference
  plus a marker: `HT-010-补1`, `HT-010补充协议2`, `HT-010-变更1` (see `base_reference`). When that base contract
  exists in the same project, the amendment belongs to it; otherwise it stands as a contract of its own.
- Committed (已签约) per contract = signed amount + signed amendments, or the invoiced amount (AC) when that is
  higher (work billed beyond the signed amount is still owed). Never signed + amendments + over-billing.
- AC (actual cost, "spent") = work accepted and billed = the invoiced amount; paid = cash out. Per contract
  AC = max(invoiced, paid), because small purchases are often booked as paid without an invoice line;
  due (payable) = max(AC - paid, 0).
- Monthly AC follows the lines of the stage that gives the contract's AC (invoiced, or paid where paid
  exceeds invoiced), so monthly figures add up to the totals.
- Original budget = the loaded budget. Current (approved) budget = original + the cost impact of approved and
  implemented change requests decided by the cut-off day. EVM (BAC), EAC, VAC, "budget used" and over-budget
  all use the current budget; tables show both, labelled.
- Remaining is stated two ways: current budget - AC (not yet spent) and current budget - committed (not yet
  signed). Committed above the current budget is a warning of its own (over-committed).
- EAC = BAC / CPI (or AC + (BAC - EV)), and never below committed: signed contracts will be paid.
- PV to date = the phased budget up to the day, the current month pro rata by day. Budget lines without a
  period are spread evenly over the months of the project's plan (or, without a plan, over its phased months);
  an approved change is spread over the months from its decision (else its request) to the plan's finish.
- EV = BAC x physical % complete: the duration-weighted percent complete of the plan's leaf tasks (summary
  tasks excluded) in the latest snapshot; past months use the snapshots that existed then.
- Everything "to date" stops at today (scope.today) or at the end of the date filter if that is earlier.
  Spend in the date range (AC between its start and the cut-off) is reported beside the totals. Charts start
  at the programme's first month unless the user narrowed the range (`chart_start`). The department filter
  does not apply: money data has no department.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import duckdb
import pandas as pd

from loaders import settings
from loaders import store as _store
from metrics import evm as evm_maths
from metrics import memo, risks
from metrics.scope import Scope

Con = duckdb.DuckDBPyConnection
EPS = 1e-9
HALF_CENT = 0.005  # invoiced and paid are compared to the cent: sums of the same amounts in another order differ
STAGES = ("committed", "invoiced", "paid")
_STAGE_ALIASES = {
    "committed": "committed", "commitment": "committed", "contract": "committed", "已签约": "committed",
    "已承诺": "committed", "合同": "committed", "承诺": "committed",
    "invoiced": "invoiced", "invoice": "invoiced", "accepted": "invoiced", "已开票": "invoiced",
    "已验收": "invoiced", "开票": "invoiced", "发票": "invoiced",
    "paid": "paid", "payment": "paid", "已付款": "paid", "已支付": "paid", "付款": "paid", "已付": "paid",
}  # fmt: skip

CHANGE_STATUSES = ("pending", "approved", "implemented", "rejected", "other")
_CHANGE_ALIASES = {
    "approved": "approved", "已批准": "approved", "批准": "approved", "已通过": "approved", "通过": "approved",
    "同意": "approved", "accepted": "approved",
    "rejected": "rejected", "已拒绝": "rejected", "拒绝": "rejected", "驳回": "rejected", "已驳回": "rejected",
    "declined": "rejected", "withdrawn": "rejected", "已撤回": "rejected",
    "implemented": "implemented", "已实施": "implemented", "实施": "implemented", "已完成": "implemented",
    "done": "implemented", "closed": "implemented", "completed": "implemented", "已关闭": "implemented",
}  # fmt: skip
CHANGE_STATUS_LABELS = {
    "pending": ("待审批", "Pending"),
    "approved": ("已批准", "Approved"),
    "implemented": ("已实施", "Implemented"),
    "rejected": ("已拒绝", "Rejected"),
    "other": ("其他", "Other"),
}
STAGE_LABELS = {"committed": ("已签约", "Committed"), "invoiced": ("已开票", "Invoiced"), "paid": ("已付款", "Paid")}
APPROVED = ("approved", "implemented")  # statuses whose cost impact is part of the current budget
LIGHT_WORDS = {
    "green": ("正常", "On track"),
    "amber": ("关注", "Watch"),
    "red": ("预警", "Alert"),
    "none": ("数据不足", "No data"),
}
LIGHTS = tuple(LIGHT_WORDS)
UNKNOWN_VENDOR = "—"
CHANGE_CATEGORY = "\u0000approved changes"  # phasing key of approved changes: never a budget category
# A reference that is another one's supplementary agreement: the base, a separator, a marker and a number.
_AMENDMENT = re.compile(
    r"^(?P<base>.+?)[\s\-_/—–(（]*(?:补充协议|补充|补|增补|变更协议|变更|amendment|amend|supplement|supp)"
    r"\s*[-_#]?\s*\d*\s*[)）]?$",
    re.IGNORECASE,
)


def light_word(status: str, lang: str = "zh") -> str:
    """A light's status in words ("正常" / "On track"): tables show words on a coloured badge, never emoji."""
    zh, en = LIGHT_WORDS.get(status, LIGHT_WORDS["none"])
    return zh if lang == "zh" else en


# ------------------------------------------------------------------ small helpers


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def month_end(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of every month from first's month to last's month, inclusive."""
    out: list[dt.date] = []
    m = month_start(first)
    while m <= last:
        out.append(m)
        m = next_month(m)
    return out


def _missing(x: object) -> bool:
    if x is None or x is pd.NaT or x is pd.NA:
        return True
    return isinstance(x, float) and math.isnan(x)


def _date(x: object) -> dt.date | None:
    if _missing(x):
        return None
    if isinstance(x, pd.Timestamp):
        return x.date()
    if isinstance(x, dt.datetime):
        return x.date()
    if isinstance(x, dt.date):
        return x
    return None


def _text(x: object, default: str = "") -> str:
    return default if _missing(x) else str(x)


def _float(x: object) -> float:
    return 0.0 if _missing(x) else float(x)  # type: ignore[arg-type]


def normalise_stage(stage: object) -> str | None:
    return _STAGE_ALIASES.get(_text(stage).strip().lower())


def normalise_change_status(status: object) -> str:
    """pending / approved / implemented / rejected / other. "Pending" is the one list the risks page's decisions
    and the overview use (metrics.risks.PENDING_CHANGE_STATUSES), so the change ledger counts the same requests."""
    if risks.normalise_status(status) in risks.PENDING_CHANGE_STATUSES:
        return "pending"
    return _CHANGE_ALIASES.get(_text(status).strip().lower(), "other")


def cut_off(scope: Scope) -> dt.date:
    """The "to date" day: today, or the end of the date filter when it is earlier."""
    today = scope.today_or_now()
    return min(today, scope.end) if scope.end is not None else today


def default_threshold() -> float:
    return settings.get_float("eac_threshold")


def _frame(con: Con, sql: str, params: Sequence[object]) -> pd.DataFrame:
    """Run a query and keep DATE columns as datetime.date (not pandas timestamps)."""
    cur = con.execute(sql, list(params))
    cols = [d[0] for d in cur.description or []]
    return pd.DataFrame(cur.fetchall(), columns=cols, dtype=object)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in df.to_dict("records")]


def _columns(df: pd.DataFrame, names: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of `df` as _records gives them (the same to_dict boxing: NA as None, dates as timestamps), with
    only the columns `names` (absent ones left out, so `.get` says None): a 5,000-task plan has some 25 columns and
    plan_percent reads 7 (1.0 s of the overview's cold view went on building the other 18 per row)."""
    present = [n for n in names if n in df.columns]
    return cast(list[dict[str, Any]], df[present].to_dict("records")) if present else [{} for _ in range(len(df))]


# ------------------------------------------------------------------ queries


def budget_rows(con: Con, scope: Scope) -> pd.DataFrame:
    pc, pp = scope.project_clause("project")
    sql = f"SELECT project, category, period, amount FROM budget WHERE {pc} ORDER BY project, category, period"  # noqa: S608
    return _frame(con, sql, pp)


def cost_lines(con: Con, scope: Scope) -> pd.DataFrame:
    pc, pp = scope.project_clause("project")
    cols = "date, project, category, vendor, reference, description, stage, amount"
    order = "date, project, category, vendor NULLS LAST"  # the first line of a contract names its owner
    sql = f"SELECT {cols} FROM costs WHERE {pc} AND date <= ? ORDER BY {order}"  # noqa: S608
    return _frame(con, sql, [*pp, cut_off(scope)])


def plan_snapshots(con: Con, scope: Scope) -> pd.DataFrame:
    pc, pp = scope.project_clause("project")
    params: list[object] = list(pp)
    as_of = "TRUE"
    if scope.as_of is not None:
        as_of = "as_of <= ?"
        params.append(scope.as_of)
    cols = "project, as_of, import_id, task_id, wbs, start, finish, percent_complete, duration_days, is_milestone, is_summary"
    sql = f"SELECT {cols} FROM task_snapshots WHERE {pc} AND {as_of} ORDER BY project, as_of, import_id"  # noqa: S608
    return _frame(con, sql, params)


def change_rows(con: Con, scope: Scope) -> pd.DataFrame:
    pc, pp = scope.project_clause("project")
    cols = "change_id, project, title, status, requested, decided, cost_impact, schedule_impact_days, requested_by"
    sql = f"SELECT {cols} FROM changes WHERE {pc} ORDER BY project, requested, change_id"  # noqa: S608
    return _frame(con, sql, pp)


# ------------------------------------------------------------------ pure: plan progress


def plan_percent(tasks: pd.DataFrame) -> float | None:
    """Duration-weighted percent complete (0..1) of one plan snapshot's leaf tasks; None without tasks.

    Weight = duration_days, else calendar days start..finish; milestones weigh nothing. A task is a summary
    when flagged, or (flag missing) when another task's WBS sits under its WBS. All weights zero -> plain mean.
    """
    recs = _columns(
        tasks, ("wbs", "is_summary", "percent_complete", "duration_days", "is_milestone", "start", "finish")
    )
    wbs_codes = [_text(r.get("wbs")) for r in recs]
    leaves: list[tuple[float, float]] = []
    for r in recs:
        flag = r.get("is_summary")
        if _missing(flag):
            w = _text(r.get("wbs"))
            summary = bool(w) and any(c.startswith(w + ".") for c in wbs_codes)
        else:
            summary = bool(flag)
        if summary:
            continue
        pct = min(max(_float(r.get("percent_complete")), 0.0), 100.0) / 100.0
        if not _missing(r.get("duration_days")):
            weight = max(float(r["duration_days"]), 0.0)
        elif r.get("is_milestone") is True:
            weight = 0.0
        else:
            s, f = _date(r.get("start")), _date(r.get("finish"))
            weight = float((f - s).days + 1) if s and f and f >= s else 0.0
        leaves.append((weight, pct))
    if not leaves:
        return None
    total = sum(w for w, _ in leaves)
    if total <= 0:
        return sum(p for _, p in leaves) / len(leaves)
    return sum(w * p for w, p in leaves) / total


@dataclass(frozen=True)
class Plan:
    """One project's plan: current percent complete, dates, and percent complete by snapshot date."""

    percent: float | None
    start: dt.date | None
    finish: dt.date | None
    history: tuple[tuple[dt.date, float], ...]  # (as_of, percent) per snapshot, oldest first


def plans(snapshots: pd.DataFrame) -> dict[str, Plan]:
    out: dict[str, Plan] = {}
    if snapshots.empty:
        return out
    for project, rows in snapshots.groupby("project", sort=True):
        history: list[tuple[dt.date, float]] = []
        latest: pd.DataFrame | None = None
        for (as_of, _import_id), snap in rows.groupby(["as_of", "import_id"], sort=True):
            pct = plan_percent(snap)
            d = _date(as_of)
            if pct is not None and d is not None:
                history.append((d, pct))
            latest = snap
        assert latest is not None
        starts = [d for d in (_date(x) for x in latest["start"]) if d]
        finishes = [d for d in (_date(x) for x in latest["finish"]) if d]
        out[str(project)] = Plan(
            percent=plan_percent(latest),
            start=min(starts) if starts else None,
            finish=max(finishes) if finishes else None,
            history=tuple(history),
        )
    return out


# ------------------------------------------------------------------ pure: budget phasing and the ledger


def phase_budget(budget: pd.DataFrame, plan_by_project: dict[str, Plan]) -> dict[tuple[str, str, dt.date], float]:
    """Budget per (project, category, month). Lines without a period are spread evenly (see module doc)."""
    phased: dict[tuple[str, str, dt.date], float] = defaultdict(float)
    unphased: list[tuple[str, str, float]] = []
    for r in _records(budget):
        p, c, amount, period = str(r["project"]), str(r["category"]), _float(r["amount"]), _date(r["period"])
        if period is None:
            unphased.append((p, c, amount))
        else:
            phased[(p, c, month_start(period))] += amount
    for p, c, amount in unphased:
        plan = plan_by_project.get(p)
        months: list[dt.date] = []
        if plan and plan.start and plan.finish and plan.finish >= plan.start:
            months = months_between(plan.start, plan.finish)
        else:
            months = sorted({m for (pp, _, m) in phased if pp == p})
        if not months:
            continue  # cannot be phased: counts in BAC, not in PV
        for m in months:
            phased[(p, c, m)] += amount / len(months)
    return dict(phased)


def base_reference(reference: str, known: Iterable[str]) -> str:
    """The contract a reference belongs to: the base contract when `reference` is its supplementary agreement
    (`HT-010-补1` -> `HT-010`, when `HT-010` is among `known`), else the reference itself."""
    match = _AMENDMENT.match(reference.strip())
    if match is None:
        return reference
    base = match.group("base").strip()
    pool = known if isinstance(known, (set, frozenset)) else set(known)  # a set is not copied for every line
    return base if base and base != reference and base in pool else reference


@dataclass(frozen=True)
class Contract:
    project: str
    category: str
    vendor: str
    reference: str
    committed: float  # max(signed + amendments, AC): the definition of committed
    invoiced: float
    paid: float
    actual: float  # AC = max(invoiced, paid)
    due: float  # max(AC - paid, 0)
    first_invoice: dt.date | None
    signed: float = 0.0  # the committed-stage lines of the contract itself
    amendments: float = 0.0  # the committed-stage lines of its supplementary agreements


def contract_committed(signed: float, amendments: float, actual: float) -> float:
    """Committed per contract: signed amount plus signed amendments, or what was billed when that is higher."""
    return max(signed + amendments, actual)


def contracts(lines: pd.DataFrame) -> tuple[list[Contract], dict[tuple[str, str, dt.date], float]]:
    """Contracts with their stages, and monthly AC per (project, category, month) (see module doc)."""
    daily, cons = _contracts(lines)
    monthly: dict[tuple[str, str, dt.date], float] = defaultdict(float)
    for (p, c, d), v in daily.items():
        monthly[(p, c, month_start(d))] += v
    return cons, dict(monthly)


def _contracts(lines: pd.DataFrame) -> tuple[dict[tuple[str, str, dt.date], float], list[Contract]]:
    recs = _records(lines)
    refs: dict[str, set[str]] = defaultdict(set)
    for r in recs:
        ref = _text(r.get("reference")).strip()
        if ref:
            refs[str(r["project"])].add(ref)
    owner: dict[tuple[str, str], tuple[str, str]] = {}  # (project, base reference) -> (category, vendor)
    keyed: list[tuple[tuple[str, str, str, str], bool, dict[str, Any]]] = []
    for r in recs:
        project = str(r["project"])
        ref = _text(r.get("reference")).strip()
        base = base_reference(ref, refs[project]) if ref else ref
        amendment = base != ref
        category, vendor = str(r["category"]), _text(r.get("vendor"), UNKNOWN_VENDOR)
        if ref and not amendment:
            owner.setdefault((project, ref), (category, vendor))
        keyed.append(((project, category, vendor, base), amendment, r))
    sums: dict[tuple[str, str, str, str], dict[str, float]] = defaultdict(
        lambda: dict.fromkeys((*STAGES, "amendments"), 0.0)
    )
    by_day: dict[tuple[str, str, str, str], dict[str, dict[dt.date, float]]] = defaultdict(
        lambda: {s: defaultdict(float) for s in STAGES}
    )
    first_inv: dict[tuple[str, str, str, str], dt.date] = {}
    for (project, category, vendor, ref), amendment, r in keyed:
        stage = normalise_stage(r["stage"])
        d = _date(r["date"])
        if stage is None or d is None:
            continue
        if ref and (project, ref) in owner:  # an amendment (or a line) joins its contract's category and vendor
            category, vendor = owner[(project, ref)]
        key = (project, category, vendor, ref)
        amount = _float(r["amount"])
        if stage == "committed" and amendment:
            sums[key]["amendments"] += amount
        else:
            sums[key][stage] += amount
        by_day[key][stage][d] += amount
        if stage == "invoiced":
            first_inv[key] = min(first_inv.get(key, d), d)
    out: list[Contract] = []
    daily: dict[tuple[str, str, dt.date], float] = defaultdict(float)
    for key, s in sorted(sums.items()):  # contracts in key order, whatever the order of the lines
        basis = "invoiced" if s["invoiced"] >= s["paid"] - HALF_CENT else "paid"
        actual = s[basis]
        for d, v in by_day[key][basis].items():
            daily[(key[0], key[1], d)] += v
        out.append(
            Contract(
                *key,
                committed=contract_committed(s["committed"], s["amendments"], actual),
                invoiced=s["invoiced"],
                paid=s["paid"],
                actual=actual,
                due=max(actual - s["paid"], 0.0),
                first_invoice=first_inv.get(key),
                signed=s["committed"],
                amendments=s["amendments"],
            )
        )
    return dict(daily), out


# ------------------------------------------------------------------ the bundle every view starts from


@dataclass(frozen=True)
class Ledger:
    cut: dt.date
    projects: tuple[str, ...]  # projects holding a budget or a cost line
    bac: dict[str, float]  # the current (approved) budget: original + approved changes
    bac_by_category: dict[tuple[str, str], float]  # original budget per category (changes are not allocated)
    phased: dict[tuple[str, str, dt.date], float]  # current budget per month (approved changes included)
    contracts: tuple[Contract, ...]
    monthly_ac: dict[tuple[str, str, dt.date], float]
    plans: dict[str, Plan]
    original: dict[str, float] = dataclasses.field(default_factory=dict)  # the loaded budget
    approved: dict[str, float] = dataclasses.field(default_factory=dict)  # approved changes' cost impact
    daily_ac: dict[tuple[str, str, dt.date], float] = dataclasses.field(default_factory=dict)
    first_month: dt.date | None = None  # the programme's first month (budget, spend or plan)

    def only(self, project: str | None) -> Ledger:
        """The same ledger narrowed to one project (None = unchanged)."""
        if project is None:
            return self
        keep = (project,) if project in self.projects else ()
        return dataclasses.replace(
            self,
            projects=keep,
            bac={p: v for p, v in self.bac.items() if p == project},
            bac_by_category={k: v for k, v in self.bac_by_category.items() if k[0] == project},
            phased={k: v for k, v in self.phased.items() if k[0] == project},
            contracts=tuple(c for c in self.contracts if c.project == project),
            monthly_ac={k: v for k, v in self.monthly_ac.items() if k[0] == project},
            plans={p: v for p, v in self.plans.items() if p == project},
            original={p: v for p, v in self.original.items() if p == project},
            approved={p: v for p, v in self.approved.items() if p == project},
            daily_ac={k: v for k, v in self.daily_ac.items() if k[0] == project},
        )


def approved_changes(changes: pd.DataFrame, cut: dt.date | None = None) -> list[tuple[str, dt.date | None, float]]:
    """(project, decision day else request day, cost impact) of approved or implemented change requests decided
    (else requested) by the cut-off day; a change without any date counts."""
    out: list[tuple[str, dt.date | None, float]] = []
    for r in _records(changes):
        if normalise_change_status(r.get("status")) not in APPROVED:
            continue
        when = _date(r.get("decided")) or _date(r.get("requested"))
        if cut is not None and when is not None and when > cut:
            continue
        out.append((str(r["project"]), when, _float(r.get("cost_impact"))))
    return out


def current_budget(original: float, approved: float) -> float:
    """The current (approved) budget: the original budget plus approved changes' cost impact."""
    return original + approved


def build_ledger(
    budget: pd.DataFrame,
    lines: pd.DataFrame,
    snapshots: pd.DataFrame,
    cut: dt.date,
    changes: pd.DataFrame | None = None,
) -> Ledger:
    """The ledger from plain frames, every line read in Python (the reference the SQL path is tested against)."""
    daily, cons = _contracts(lines)
    return assemble_ledger(budget, daily, cons, snapshots, cut, changes)


def assemble_ledger(
    budget: pd.DataFrame,
    daily: dict[tuple[str, str, dt.date], float],
    cons: Sequence[Contract],
    snapshots: pd.DataFrame,
    cut: dt.date,
    changes: pd.DataFrame | None = None,
) -> Ledger:
    """The ledger from the contracts and their daily AC per (project, category, day), however they were summed."""
    plan_by_project = plans(snapshots)
    original: dict[str, float] = defaultdict(float)
    bac_cat: dict[tuple[str, str], float] = defaultdict(float)
    for r in _records(budget):
        original[str(r["project"])] += _float(r["amount"])
        bac_cat[(str(r["project"]), str(r["category"]))] += _float(r["amount"])
    monthly: dict[tuple[str, str, dt.date], float] = defaultdict(float)
    for (p, c, d), v in daily.items():
        monthly[(p, c, month_start(d))] += v
    changed = approved_changes(changes, cut) if changes is not None else []
    approved: dict[str, float] = defaultdict(float)
    for p, _, v in changed:
        approved[p] += v
    projects = sorted(set(original) | {c.project for c in cons})
    phased = phase_budget(budget, plan_by_project)
    for p, when, v in changed:
        if p not in projects:
            continue
        plan = plan_by_project.get(p)
        first = month_start(when) if when else (plan.start if plan and plan.start else None)
        last = plan.finish if plan and plan.finish else None
        if first is None or last is None:
            continue  # cannot be phased: counts in BAC, not in PV
        months = months_between(first, max(last, first))
        for m in months:
            phased[(p, CHANGE_CATEGORY, m)] = phased.get((p, CHANGE_CATEGORY, m), 0.0) + v / len(months)
    starts = [m for (_, _, m) in phased] + [month_start(d) for (_, _, d) in daily]
    starts += [month_start(pl.start) for pl in plan_by_project.values() if pl.start]
    return Ledger(
        cut=cut,
        projects=tuple(projects),
        bac={p: current_budget(original.get(p, 0.0), approved.get(p, 0.0)) for p in projects},
        bac_by_category=dict(bac_cat),
        phased=phased,
        contracts=tuple(cons),
        monthly_ac=dict(monthly),
        plans=plan_by_project,
        original={p: original.get(p, 0.0) for p in projects},
        approved={p: approved.get(p, 0.0) for p in projects},
        daily_ac=dict(daily),
        first_month=min(starts) if starts else None,
    )


def ledger_plain(con: Con, scope: Scope) -> Ledger:
    """The ledger with every cost line read into Python: the reference `ledger` is tested against."""
    return build_ledger(
        budget_rows(con, scope), cost_lines(con, scope), plan_snapshots(con, scope), cut_off(scope),
        change_rows(con, scope),
    )  # fmt: skip


def ledger_fresh(con: Con, scope: Scope) -> Ledger:
    """The ledger with the cost lines summed in DuckDB (`contract_rollup`), built now, never from the memo."""
    daily, cons = contract_rollup(con, scope)
    return assemble_ledger(
        budget_rows(con, scope), daily, cons, plan_snapshots(con, scope), cut_off(scope), change_rows(con, scope)
    )


_LEDGERS: memo.Memo[Ledger] = memo.Memo(8)  # a few scopes (projects, as-of week, cut-off day) of the data version


def _memo_key(con: Con, scope: Scope) -> tuple[object, ...] | None:
    """What a ledger depends on: the store, its data version, the projects and hospitals, the as-of week and the
    cut-off day (not the date range's start nor the departments). None for an in-memory store."""
    hospitals = getattr(scope, "hospitals", None)  # a hospital group's scope
    return memo.store_key(con, scope.projects, hospitals, scope.as_of, cut_off(scope))


def ledger(con: Con, scope: Scope) -> Ledger:
    """The bundle every money figure starts from, built once per data version and scope and shared by every
    metric, page, the overview and the brief (`metrics.memo`: a new import changes the data version, so it is
    never stale; the key's version and the build are read in one snapshot of the data). Treat it as read-only."""
    with _store.read_snapshot(con):
        return _LEDGERS.get_or_build(_memo_key(con, scope), lambda: ledger_fresh(con, scope))


_ROLLUP = """
WITH refs AS (
    SELECT unnest(?::VARCHAR[]) AS project, unnest(?::VARCHAR[]) AS raw, unnest(?::VARCHAR[]) AS base,
           unnest(?::BOOLEAN[]) AS amendment
), stages AS (
    SELECT unnest(?::VARCHAR[]) AS raw, unnest(?::VARCHAR[]) AS stage
), lines AS (
    SELECT c.date, c.project, c.category, c.vendor, c.amount, s.stage, r.base, r.amendment
    FROM costs c
    JOIN refs r ON r.project = c.project AND r.raw = coalesce(c.reference, '')
    LEFT JOIN stages s ON s.raw = c.stage
    WHERE {where}
), owner AS (  -- a contract's category and vendor: those of its first own line (the Python path's line order)
    SELECT project, base,
           first(category ORDER BY date, category, vendor NULLS LAST) AS category,
           first(coalesce(vendor, ?) ORDER BY date, category, vendor NULLS LAST) AS vendor
    FROM lines WHERE base <> '' AND NOT amendment GROUP BY project, base
), keyed AS (
    SELECT l.date, l.project, l.stage, l.amendment, l.amount, l.base AS reference,
           CASE WHEN o.project IS NULL THEN l.category ELSE o.category END AS category,
           CASE WHEN o.project IS NULL THEN coalesce(l.vendor, ?) ELSE o.vendor END AS vendor
    FROM lines l LEFT JOIN owner o ON o.project = l.project AND o.base = l.base
    WHERE l.stage IS NOT NULL
), contracts AS (
    SELECT project, category, vendor, reference,
           coalesce(fsum(amount) FILTER (WHERE stage = 'committed' AND NOT amendment), 0) AS signed,
           coalesce(fsum(amount) FILTER (WHERE stage = 'committed' AND amendment), 0) AS amendments,
           coalesce(fsum(amount) FILTER (WHERE stage = 'invoiced'), 0) AS invoiced,
           coalesce(fsum(amount) FILTER (WHERE stage = 'paid'), 0) AS paid,
           min(date) FILTER (WHERE stage = 'invoiced') AS first_invoice
    FROM keyed GROUP BY project, category, vendor, reference
), based AS (
    SELECT *, CASE WHEN invoiced >= paid - {half_cent} THEN 'invoiced' ELSE 'paid' END AS basis FROM contracts
)  -- both answers in one statement (the CTEs run once): the contracts ('k' rows), then the daily AC ('d' rows:
   -- the day in first_invoice, the amount in signed) of the lines of each contract's AC stage
SELECT 'k', project, category, vendor, reference, signed, amendments, invoiced, paid, basis, first_invoice
FROM based
UNION ALL
SELECT 'd', k.project, k.category, NULL, NULL, fsum(k.amount), 0, 0, 0, NULL, k.date
FROM keyed k JOIN based b ON b.project = k.project AND b.category = k.category AND b.vendor = k.vendor
                          AND b.reference = k.reference AND b.basis = k.stage
GROUP BY k.project, k.category, k.date
"""


def contract_rollup(con: Con, scope: Scope) -> tuple[dict[tuple[str, str, dt.date], float], list[Contract]]:
    """`_contracts(cost_lines(con, scope))` computed in DuckDB: the same contracts (committed, invoiced, paid, AC,
    due, first invoice) and daily AC per (project, category, day), summed in SQL instead of line by line in
    Python. Only the distinct references and stages come to Python (the amendment rule and the stage words stay
    the one definition in this module); every line stays in the database."""
    pc, pp = scope.project_clause("c.project")
    cut = cut_off(scope)
    where, params = f"{pc} AND c.date <= ?", [*pp, cut]
    raw_refs = con.execute(
        f"SELECT DISTINCT c.project, coalesce(c.reference, '') FROM costs c WHERE {where}",  # noqa: S608
        params,
    ).fetchall()
    raw_stages = [r[0] for r in con.execute(f"SELECT DISTINCT c.stage FROM costs c WHERE {where}", params).fetchall()]  # noqa: S608
    known: dict[str, set[str]] = defaultdict(set)
    for project, raw in raw_refs:
        if raw.strip():
            known[project].add(raw.strip())
    bases = [base_reference(raw.strip(), known[p]) if raw.strip() else "" for p, raw in raw_refs]
    ref_params: list[object] = [
        [p for p, _ in raw_refs],
        [raw for _, raw in raw_refs],
        bases,
        [b != raw.strip() for b, (_, raw) in zip(bases, raw_refs, strict=True)],
        raw_stages,
        [normalise_stage(x) for x in raw_stages],
    ]
    sql = _ROLLUP.format(where=where, half_cent=repr(HALF_CENT))  # our own clause and constant  # noqa: S608
    rows = con.execute(sql, [*ref_params, *params, UNKNOWN_VENDOR, UNKNOWN_VENDOR]).fetchall()
    cons: list[Contract] = []
    daily: dict[tuple[str, str, dt.date], float] = {}
    for kind, project, category, vendor, reference, signed, amendments, invoiced, paid, basis, day in rows:
        if kind == "d":
            daily[(str(project), str(category), day)] = float(signed)
            continue
        actual = float(invoiced if basis == "invoiced" else paid)
        cons.append(
            Contract(
                project, category, vendor, reference,
                committed=contract_committed(signed, amendments, actual), invoiced=float(invoiced),
                paid=float(paid), actual=actual, due=max(actual - paid, 0.0), first_invoice=day,
                signed=float(signed), amendments=float(amendments),
            )
        )  # fmt: skip
    cons.sort(key=lambda k: (k.project, k.category, k.vendor, k.reference))
    return daily, cons


def chart_scope(scope: Scope, default_start: dt.date | None) -> Scope:
    """The scope of the money charts: from the programme's start (no start), unless the user narrowed the date
    range away from its default start."""
    return scope if scope.start is not None and scope.start != default_start else dataclasses.replace(scope, start=None)


def ac_between(led: Ledger, start: dt.date | None, end: dt.date) -> float:
    """AC booked from `start` (None = the beginning) to `end`, both inclusive."""
    return sum(v for (_, _, d), v in led.daily_ac.items() if (start is None or d >= start) and d <= end)


def _monthly(
    values: dict[tuple[str, str, dt.date], float], project: str | None = None, category: str | None = None
) -> dict[dt.date, float]:
    out: dict[dt.date, float] = defaultdict(float)
    for (p, c, m), v in values.items():
        if (project is None or p == project) and (category is None or c == category):
            out[m] += v
    return dict(out)


def pv_at(phased_by_month: dict[dt.date, float], day: dt.date) -> float:
    """Cumulative phased budget up to `day`: whole months before it, its own month pro rata by day."""
    total = 0.0
    this = month_start(day)
    for m, v in phased_by_month.items():
        if m < this:
            total += v
        elif m == this:
            total += v * day.day / calendar.monthrange(day.year, day.month)[1]
    return total


def ac_at(monthly_ac: dict[dt.date, float], day: dt.date) -> float:
    """Cumulative AC up to the end of `day`'s month (the ledger already stops at the cut-off day)."""
    return sum(v for m, v in monthly_ac.items() if m <= month_start(day))


def _percent_at(plan: Plan | None, day: dt.date) -> float | None:
    if plan is None:
        return None
    known = [pct for d, pct in plan.history if d <= day]
    return known[-1] if known else None


# ------------------------------------------------------------------ budget against actuals


PROJECT_MONEY_COLUMNS = [
    "project", "original_budget", "approved_changes", "budget", "committed", "invoiced", "paid", "actual", "due",
    "remaining", "uncommitted", "share_used", "committed_share",
]  # fmt: skip
CATEGORY_MONEY_COLUMNS = [
    "project", "category", "original_budget", "committed", "invoiced", "paid", "actual", "due", "remaining",
    "uncommitted", "share_used",
]  # fmt: skip


def budget_vs_actual_frame(led: Ledger, by: str = "project") -> pd.DataFrame:
    """Per project: original budget, approved changes, current budget (`budget`), committed, invoiced, paid, AC,
    due, remaining = budget - AC, uncommitted = budget - committed, share used = AC / budget and committed share.

    Per category the budget is the original one (approved changes are not allocated to categories), so there
    `remaining` and `uncommitted` are measured against `original_budget`.
    """
    if by not in ("project", "category"):
        raise ValueError("by must be 'project' or 'category'")
    rows: dict[tuple[str, ...], dict[str, float]] = {}
    fields = ("original_budget", "approved_changes", "budget", "committed", "invoiced", "paid", "actual", "due")

    def row(key: tuple[str, ...]) -> dict[str, float]:
        return rows.setdefault(key, dict.fromkeys(fields, 0.0))

    if by == "project":
        for p in led.projects:
            r = row((p,))
            r["original_budget"] += led.original.get(p, led.bac.get(p, 0.0))
            r["approved_changes"] += led.approved.get(p, 0.0)
            r["budget"] += led.bac.get(p, 0.0)
    else:
        for (p, c), v in led.bac_by_category.items():
            r = row((p, c))
            r["original_budget"] += v
            r["budget"] += v
    for k in led.contracts:
        r = row((k.project,) if by == "project" else (k.project, k.category))
        for f in ("committed", "invoiced", "paid", "actual", "due"):
            r[f] += getattr(k, f)
    cols = ["project"] if by == "project" else ["project", "category"]
    out = []
    for key in sorted(rows):
        r = rows[key]
        base = r["budget"]
        out.append(
            {
                **dict(zip(cols, key, strict=True)),
                **r,
                "remaining": base - r["actual"],
                "uncommitted": base - r["committed"],
                "share_used": share_used(r["actual"], base),
                "committed_share": share_used(r["committed"], base),
            }
        )
    names = PROJECT_MONEY_COLUMNS if by == "project" else CATEGORY_MONEY_COLUMNS
    return pd.DataFrame(out, columns=names)


def share_used(actual: float, budget: float) -> float | None:
    """Budget used = AC / current budget (None for a zero budget): the one definition of "budget used"."""
    return actual / budget if budget > 0 else None


def budget_vs_actual(con: Con, scope: Scope, by: str = "project") -> pd.DataFrame:
    return budget_vs_actual_frame(ledger(con, scope), by)


# ------------------------------------------------------------------ monthly burn


def burn_frame(led: Ledger, project: str | None = None, start: dt.date | None = None) -> pd.DataFrame:
    """Per month up to the cut-off: phased budget, AC, their running totals, and whether AC ran ahead."""
    budget = _monthly(led.phased, project)
    actual = _monthly(led.monthly_ac, project)
    months_known = [m for m in (*budget, *actual) if m <= led.cut]
    if not months_known:
        return pd.DataFrame(columns=["month", "budget", "actual", "cum_budget", "cum_actual", "ahead"])
    out = []
    cum_b = cum_a = 0.0
    for m in months_between(min(months_known), led.cut):
        b, a = budget.get(m, 0.0), actual.get(m, 0.0)
        cum_b += b
        cum_a += a
        out.append(
            {"month": m, "budget": b, "actual": a, "cum_budget": cum_b, "cum_actual": cum_a, "ahead": a > b + EPS}
        )
    df = pd.DataFrame(out)
    if start is not None:
        df = df[df["month"] >= month_start(start)].reset_index(drop=True)
    return df


def monthly_burn(con: Con, scope: Scope, project: str | None = None) -> pd.DataFrame:
    return burn_frame(ledger(con, scope), project, scope.start)


# ------------------------------------------------------------------ earned value


def project_evm(led: Ledger, project: str, method: str = "cpi", threshold: float = 0.05) -> evm_maths.Evm:
    plan = led.plans.get(project)
    bac = led.bac.get(project, 0.0)
    pv = pv_at(_monthly(led.phased, project), led.cut)
    ev = bac * plan.percent if plan is not None and plan.percent is not None else None
    ac = ac_at(_monthly(led.monthly_ac, project), led.cut)
    committed = sum(k.committed for k in led.contracts if k.project == project)
    return evm_maths.evm(bac, pv, ev, ac, method=method, threshold=threshold, committed=committed)


def portfolio_evm(led: Ledger, method: str = "cpi", threshold: float = 0.05) -> evm_maths.Evm:
    """EVM of all projects in scope together: the sums of BAC, PV, EV (projects with a plan) and AC.

    The programme's EAC is the sum of the projects' EACs (each never below its own committed amount; a project
    whose EAC cannot be computed yet counts at its budget or committed, whichever is higher), so one project's
    overrun is not averaged away by the others' efficiency. ETC, VAC and the EAC light follow from it.
    """
    parts = [project_evm(led, p, method, threshold) for p in led.projects]
    evs = [e.ev for e in parts if e.ev is not None]
    total = evm_maths.evm(
        sum(e.bac or 0.0 for e in parts),
        sum(e.pv or 0.0 for e in parts),
        sum(evs) if evs else None,
        sum(e.ac or 0.0 for e in parts),
        method=method,
        threshold=threshold,
        committed=sum(k.committed for k in led.contracts),
    )
    if total.eac is None or not any(e.eac is not None for e in parts):
        return total
    eac = sum(e.eac if e.eac is not None else max(e.bac or 0.0, e.committed or 0.0) for e in parts)
    alt = [e.eac_alt if e.eac_alt is not None else max(e.bac or 0.0, e.committed or 0.0) for e in parts]
    lights = {**total.lights, "eac": evm_maths.eac_light(eac, total.bac, threshold)}
    lights["vac"] = lights["eac"]
    return dataclasses.replace(
        total,
        eac=eac,
        eac_alt=sum(alt),
        etc=eac - total.ac if total.ac is not None else None,
        vac=(total.bac - eac) if total.bac is not None else None,
        lights=lights,
        eac_floored=any(e.eac_floored for e in parts),
    )


EVM_COLUMNS = ["project", "percent_complete", *evm_maths.METRICS, "eac_alt"]
LIGHT_COLUMNS = ["spi_light", "cpi_light", "eac_light", "tcpi_light"]


def evm_frame(led: Ledger, lang: str = "zh", method: str = "cpi", threshold: float = 0.05) -> pd.DataFrame:
    """One row per project: the EVM figures (BAC = current budget), lights as status keys (green/amber/red/none,
    drawn as badges by the page), and a plain-words note."""
    out = []
    for p in led.projects:
        e = project_evm(led, p, method, threshold)
        plan = led.plans.get(p)
        row: dict[str, object] = {"project": p, "percent_complete": plan.percent if plan else None}
        row.update({m: getattr(e, m) for m in (*evm_maths.METRICS, "eac_alt")})
        for k in ("spi", "cpi", "eac", "tcpi"):
            row[f"{k}_light"] = e.lights[k]
        row["note"] = evm_maths.meaning("cpi", e, lang) if e.cpi is not None else evm_maths.reason_text(e.reason, lang)
        out.append(row)
    return pd.DataFrame(out, columns=[*EVM_COLUMNS, *LIGHT_COLUMNS, "note"])


def evm_table(
    con: Con, scope: Scope, lang: str = "zh", method: str = "cpi", threshold: float | None = None
) -> pd.DataFrame:
    thr = default_threshold() if threshold is None else threshold
    return evm_frame(ledger(con, scope), lang, method, thr)


def evm_detail_frame(e: evm_maths.Evm, lang: str = "zh") -> pd.DataFrame:
    """One row per metric: the value as text (money in 万元 / CNY with two decimals, indices with two), its light
    (a status key) and its meaning in plain words."""
    rows = [
        {
            "metric": m.upper(),
            "value": value_text(m, getattr(e, m), lang),
            "light": e.lights.get(m),  # None: this figure has no light
            "meaning": evm_maths.meaning(m, e, lang),
        }
        for m in evm_maths.METRICS
    ]
    return pd.DataFrame(rows, columns=["metric", "value", "light", "meaning"])


def value_text(metric: str, value: float | None, lang: str) -> str:
    """One EVM figure as the meanings table shows it: indices 0.00, money in 万元 (zh) or CNY (en), "—" if None."""
    if value is None or _missing(value):
        return "—"
    if metric in ("spi", "cpi", "tcpi"):
        return f"{value:.2f}"
    return f"{value / 10_000:,.2f} 万元" if lang == "zh" else f"CNY {value:,.2f}"


def evm_detail(
    con: Con,
    scope: Scope,
    project: str | None = None,
    lang: str = "zh",
    method: str = "cpi",
    threshold: float | None = None,
) -> pd.DataFrame:
    """The meaning table of one project, or of the whole scope when project is None."""
    thr = default_threshold() if threshold is None else threshold
    led = ledger(con, scope)
    e = project_evm(led, project, method, thr) if project else portfolio_evm(led, method, thr)
    return evm_detail_frame(e, lang)


@dataclass(frozen=True)
class MoneySummary:
    """The money tiles of one scope (or one project). `bac` is the current (approved) budget."""

    bac: float
    ac: float
    committed: float
    paid: float
    due: float
    remaining: float  # bac - ac
    share_used: float | None  # ac / bac
    eac: float | None  # never below committed
    eac_light: str
    percent_complete: float | None
    reason: str | None
    original: float = 0.0  # the loaded budget
    approved_changes: float = 0.0
    uncommitted: float = 0.0  # bac - committed
    over_committed: bool = False  # committed above the current budget
    vac: float | None = None  # bac - eac
    eac_floored: bool = False
    spent_in_range: float = 0.0  # AC from the date range's start to the cut-off day
    range_start: dt.date | None = None
    cut: dt.date | None = None


def summary_of(
    led: Ledger, method: str = "cpi", threshold: float = 0.05, range_start: dt.date | None = None
) -> MoneySummary:
    e = portfolio_evm(led, method, threshold)
    bac = sum(led.bac.values())
    ac = sum(k.actual for k in led.contracts)
    committed = sum(k.committed for k in led.contracts)
    return MoneySummary(
        bac=bac,
        ac=ac,
        committed=committed,
        paid=sum(k.paid for k in led.contracts),
        due=sum(k.due for k in led.contracts),
        remaining=bac - ac,
        share_used=share_used(ac, bac),
        eac=e.eac,
        eac_light=e.lights["eac"],
        percent_complete=(e.ev / bac) if e.ev is not None and bac > 0 else None,
        reason=e.reason,
        original=sum(led.original.values()),
        approved_changes=sum(led.approved.values()),
        uncommitted=bac - committed,
        over_committed=committed > bac + EPS,
        vac=e.vac,
        eac_floored=e.eac_floored,
        spent_in_range=ac_between(led, range_start, led.cut),
        range_start=range_start,
        cut=led.cut,
    )


def summary(
    con: Con, scope: Scope, method: str = "cpi", threshold: float | None = None, project: str | None = None
) -> MoneySummary:
    """The tiles: to the cut-off day (the date range's end, or today), for one project or all in scope, with the
    spend inside the date range beside the totals."""
    thr = default_threshold() if threshold is None else threshold
    return summary_of(ledger(con, scope).only(project), method, thr, scope.start)


# ------------------------------------------------------------------ the S-curve


@dataclass(frozen=True)
class SCurve:
    """Cumulative PV (whole plan), EV (snapshot dates up to today) and AC (to today), plus the forecast.

    points: columns date, pv, ev, ac, forecast (None where a series has no point). The forecast runs in a
    straight line from today's AC to EAC at the plan's finish; it is absent when EAC cannot be computed.
    """

    points: pd.DataFrame
    today: dt.date
    finish: dt.date | None
    bac: float
    eac: float | None


def s_curve_of(
    led: Ledger, project: str | None = None, method: str = "cpi", threshold: float = 0.05, start: dt.date | None = None
) -> SCurve:
    projects = [project] if project is not None else list(led.projects)
    phased = _monthly({k: v for k, v in led.phased.items() if k[0] in projects})
    actual = _monthly({k: v for k, v in led.monthly_ac.items() if k[0] in projects})
    plan_list = [led.plans[p] for p in projects if p in led.plans]
    finish = max((pl.finish for pl in plan_list if pl.finish), default=None)
    e = project_evm(led, project, method, threshold) if project is not None else portfolio_evm(led, method, threshold)
    bac = e.bac or 0.0
    cut = led.cut
    anchors = [*phased, *actual, *(pl.start for pl in plan_list if pl.start), cut]
    first = min(anchors)
    last = max([*phased, cut, *([finish] if finish else [])])
    dates = sorted({*(month_end(m) for m in months_between(first, last) if month_end(m) != cut), cut})
    if finish is not None and finish > cut:
        dates = sorted({*dates, finish})
    dates = [month_start(first) - dt.timedelta(days=1), *dates]  # a zero point before anything happened

    def ev_at(day: dt.date) -> float | None:
        if day == cut:
            return e.ev
        vals = [led.bac.get(p, 0.0) * pct for p in projects if (pct := _percent_at(led.plans.get(p), day)) is not None]
        return sum(vals) if vals else None

    rows: list[dict[str, Any]] = []
    for d in dates:
        past = d <= cut
        rows.append(
            {
                "date": d,
                "pv": pv_at(phased, d),
                "ev": ev_at(d) if past and bac > 0 else None,
                "ac": ac_at(actual, d) if past else None,
                "forecast": None,
            }
        )
    if e.eac is not None and finish is not None and finish > cut:
        for r in rows:
            if r["date"] == cut:
                r["forecast"] = e.ac
            elif r["date"] == finish:
                r["forecast"] = e.eac
            elif cut < r["date"] < finish and e.ac is not None:
                share = (r["date"] - cut).days / (finish - cut).days
                r["forecast"] = e.ac + (e.eac - e.ac) * share
    df = pd.DataFrame(rows, columns=["date", "pv", "ev", "ac", "forecast"])
    if start is not None:
        df = df[df["date"] >= start].reset_index(drop=True)
    return SCurve(points=df, today=cut, finish=finish, bac=bac, eac=e.eac)


def s_curve(
    con: Con, scope: Scope, project: str | None = None, method: str = "cpi", threshold: float | None = None
) -> SCurve:
    thr = default_threshold() if threshold is None else threshold
    return s_curve_of(ledger(con, scope), project, method, thr, scope.start)


# ------------------------------------------------------------------ overrun warnings

WARNING_COLUMNS = ["kind", "project", "category", "amount", "share", "since", "months"]


def _first_cumulative_over(monthly_ac: dict[dt.date, float], limit: float) -> dt.date | None:
    total = 0.0
    for m in sorted(monthly_ac):
        total += monthly_ac[m]
        if total > limit + EPS:
            return m
    return None


def ahead_runs(burn: pd.DataFrame, min_months: int = 3) -> list[tuple[dt.date, int, float]]:
    """Runs of at least `min_months` consecutive months with AC above the phased budget: (first month, length,
    amount above plan over the run)."""
    runs: list[tuple[dt.date, int, float]] = []
    start: dt.date | None = None
    length, excess = 0, 0.0
    for r in [*_records(burn), None]:
        if r is not None and bool(r["ahead"]):
            if start is None:
                start, length, excess = r["month"], 0, 0.0
            length += 1
            excess += float(r["actual"]) - float(r["budget"])
            continue
        if start is not None and length >= min_months:
            runs.append((start, length, excess))
        start = None
    return runs


def _eac_since(led: Ledger, project: str, method: str, threshold: float) -> dt.date:
    """The first month of the unbroken run of months (ending now) in which EAC ran over by more than threshold."""
    plan = led.plans.get(project)
    bac = led.bac.get(project, 0.0)
    phased = _monthly(led.phased, project)
    actual = _monthly(led.monthly_ac, project)
    since = month_start(led.cut)
    months = sorted({month_start(d) for d, _ in (plan.history if plan else ()) if d < month_start(led.cut)})
    for m in reversed(months):
        day = month_end(m)
        pct = _percent_at(plan, day)
        e = evm_maths.evm(bac, pv_at(phased, day), bac * pct if pct is not None else None, ac_at(actual, day), method)
        share = e.overrun_share
        if share is None or share <= threshold + EPS:
            break
        since = m
    return since


def warnings_of(led: Ledger, threshold: float = 0.05, method: str = "cpi", min_months: int = 3) -> pd.DataFrame:
    """Overruns: AC above the current budget (projects) or the original one (categories), committed above the
    current budget (over-committed), EAC above BAC by more than `threshold`, and AC above the phased budget
    `min_months` months in a row — each with the amount and the month it began."""
    out: list[dict[str, object]] = []
    spent = budget_vs_actual_frame(led, "project")
    for r in _records(spent):
        if r["actual"] > r["budget"] + EPS:
            p = r["project"]
            since = _first_cumulative_over(_monthly(led.monthly_ac, p), r["budget"])
            out.append(
                {"kind": "over_budget", "project": p, "category": None, "amount": r["actual"] - r["budget"],
                 "share": r["share_used"], "since": since, "months": None}
            )  # fmt: skip
    for r in _records(budget_vs_actual_frame(led, "category")):
        if r["actual"] > r["original_budget"] + EPS:
            p, c = r["project"], r["category"]
            since = _first_cumulative_over(_monthly(led.monthly_ac, p, c), r["original_budget"])
            out.append(
                {"kind": "category_over_budget", "project": p, "category": c,
                 "amount": r["actual"] - r["original_budget"],
                 "share": r["share_used"], "since": since, "months": None}
            )  # fmt: skip
    for r in _records(spent):
        if r["committed"] > r["budget"] + EPS:
            p = r["project"]
            out.append(
                {"kind": "over_committed", "project": p, "category": None, "amount": r["committed"] - r["budget"],
                 "share": r["committed_share"], "since": None, "months": None}
            )  # fmt: skip
    for p in led.projects:
        e = project_evm(led, p, method, threshold)
        share = e.overrun_share
        if share is not None and share > threshold + EPS and e.eac is not None and e.bac is not None:
            out.append(
                {"kind": "eac_over", "project": p, "category": None, "amount": e.eac - e.bac, "share": share,
                 "since": _eac_since(led, p, method, threshold), "months": None}
            )  # fmt: skip
    for p in led.projects:
        for first, length, excess in ahead_runs(burn_frame(led, p), min_months):
            out.append(
                {"kind": "burn_ahead", "project": p, "category": None, "amount": excess, "share": None,
                 "since": first, "months": length}
            )  # fmt: skip
    return pd.DataFrame(out, columns=WARNING_COLUMNS)


def warning_message(row: dict[str, Any], threshold: float, lang: str = "zh") -> str:
    """One warning in plain words."""
    zh = lang == "zh"
    amount = evm_maths.money_words(float(row["amount"]), lang)
    kind = row["kind"]
    if kind == "over_budget":
        return f"实际支出超出当前预算 {amount}" if zh else f"Actual spend is {amount} over the current budget"
    if kind == "category_over_budget":
        cat = row["category"]
        if zh:
            return f"类别“{cat}”实际支出超出该类别原始预算 {amount}"
        return f"Category “{cat}” is {amount} over its original budget"
    if kind == "over_committed":
        if zh:
            return f"已签约金额超出当前预算 {amount}(超额承诺)"
        return f"Committed is {amount} above the current budget (over-committed)"
    if kind == "eac_over":
        share = float(row["share"])
        if zh:
            return f"预计完工成本超出当前预算 {share:.1%}(多 {amount}，预警线 {threshold:.0%})"
        return f"Forecast cost runs {share:.1%} over the current budget ({amount}; warning line {threshold:.0%})"
    n = int(row["months"])
    if zh:
        return f"连续 {n} 个月支出高于月度计划，共多 {amount}"
    return f"Spend above the monthly plan {n} months in a row, {amount} in all"


def overrun_warnings(
    con: Con,
    scope: Scope,
    threshold: float | None = None,
    method: str = "cpi",
    min_months: int = 3,
    lang: str | None = None,
) -> pd.DataFrame:
    """The warnings of `warnings_of`; with `lang`, a first column "message" says each one in plain words."""
    thr = default_threshold() if threshold is None else threshold
    df = warnings_of(ledger(con, scope), thr, method, min_months)
    if lang is not None:
        messages = [warning_message(r, thr, lang) for r in _records(df)]
        df.insert(0, "message", pd.Series(messages, index=df.index, dtype=object))
    return df


# ------------------------------------------------------------------ change control


def change_frame(changes: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    df = changes.copy()
    keys = [normalise_change_status(s) for s in df["status"]] if not df.empty else []
    df.insert(4, "status_key", pd.Series(keys, index=df.index, dtype=object))
    labels = [CHANGE_STATUS_LABELS[k][0 if lang == "zh" else 1] for k in keys]
    df.insert(5, "status_label", pd.Series(labels, index=df.index, dtype=object))
    return df


def change_ledger(con: Con, scope: Scope, lang: str = "zh") -> pd.DataFrame:
    """Every change request in scope with its normalised status (pending/approved/implemented/rejected/other)."""
    return change_frame(change_rows(con, scope), lang)


def changes_by_status_frame(changes: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    df = change_frame(changes, lang)
    out = []
    for k in CHANGE_STATUSES:
        part = df[df["status_key"] == k] if not df.empty else df
        if part.empty:
            continue
        out.append(
            {
                "status_key": k,
                "status_label": CHANGE_STATUS_LABELS[k][0 if lang == "zh" else 1],
                "count": len(part),
                "cost_impact": sum(_float(v) for v in part["cost_impact"]),
                "schedule_impact_days": int(sum(_float(v) for v in part["schedule_impact_days"])),
            }
        )
    return pd.DataFrame(out, columns=["status_key", "status_label", "count", "cost_impact", "schedule_impact_days"])


def changes_by_status(con: Con, scope: Scope, lang: str = "zh") -> pd.DataFrame:
    return changes_by_status_frame(change_rows(con, scope), lang)


WATERFALL_COLUMNS = [
    "project", "original", "approved_changes", "approved_days", "current", "eac", "forecast_change",
]  # fmt: skip


def waterfall_frame(led: Ledger, changes: pd.DataFrame, method: str = "cpi", threshold: float = 0.05) -> pd.DataFrame:
    """Per project: original budget -> approved changes -> current budget -> forecast (EAC).

    current = original + approved changes; forecast_change = EAC - current (None when EAC cannot be computed),
    so original + approved_changes + forecast_change = EAC.
    """
    days: dict[str, int] = defaultdict(int)
    for r in _records(changes):
        when = _date(r.get("decided")) or _date(r.get("requested"))
        if normalise_change_status(r.get("status")) in APPROVED and (when is None or when <= led.cut):
            days[str(r["project"])] += int(_float(r.get("schedule_impact_days")))
    out = []
    for p in led.projects:
        original, approved = led.original.get(p, 0.0), led.approved.get(p, 0.0)
        current = current_budget(original, approved)
        eac = project_evm(led, p, method, threshold).eac
        out.append(
            {"project": p, "original": original, "approved_changes": approved,
             "approved_days": days.get(p, 0), "current": current, "eac": eac,
             "forecast_change": eac - current if eac is not None else None}
        )  # fmt: skip
    return pd.DataFrame(out, columns=WATERFALL_COLUMNS)


def budget_waterfall(con: Con, scope: Scope, method: str = "cpi", threshold: float | None = None) -> pd.DataFrame:
    thr = default_threshold() if threshold is None else threshold
    return waterfall_frame(ledger(con, scope), change_rows(con, scope), method, thr)


# ------------------------------------------------------------------ vendors

VENDOR_COLUMNS = ["vendor", "reference", "project", "committed", "invoiced", "paid", "actual", "due"]


def vendor_frame(cons: Iterable[Contract], by: str = "vendor") -> pd.DataFrame:
    """Spend per vendor (by="vendor") or per vendor and contract reference (by="contract"), biggest AC first."""
    if by not in ("vendor", "contract"):
        raise ValueError("by must be 'vendor' or 'contract'")
    keys = ["vendor"] if by == "vendor" else ["vendor", "reference", "project"]
    agg: dict[tuple[str, ...], dict[str, float]] = {}
    for k in cons:
        key = (k.vendor,) if by == "vendor" else (k.vendor, k.reference, k.project)
        r = agg.setdefault(key, dict.fromkeys(("committed", "invoiced", "paid", "actual", "due"), 0.0))
        for f in r:
            r[f] += getattr(k, f)
    rows: list[dict[str, Any]] = [{**dict(zip(keys, key, strict=True)), **v} for key, v in agg.items()]
    rows.sort(key=lambda r: (-float(r["actual"]), str(r["vendor"])))
    return pd.DataFrame(rows, columns=[*keys, "committed", "invoiced", "paid", "actual", "due"])


def vendor_spend(con: Con, scope: Scope, by: str = "vendor") -> pd.DataFrame:
    return vendor_frame(ledger(con, scope).contracts, by)


def payments_due_frame(cons: Iterable[Contract]) -> pd.DataFrame:
    """Accepted and invoiced but not yet paid, per vendor and contract, oldest invoice first."""
    rows = [
        {"vendor": k.vendor, "reference": k.reference, "project": k.project, "invoiced": k.actual, "paid": k.paid,
         "due": k.due, "first_invoice": k.first_invoice}
        for k in cons
        if k.due > EPS
    ]  # fmt: skip
    rows.sort(key=lambda r: (r["first_invoice"] or dt.date.max, str(r["vendor"])))
    return pd.DataFrame(rows, columns=["vendor", "reference", "project", "invoiced", "paid", "due", "first_invoice"])


def payments_due(con: Con, scope: Scope) -> pd.DataFrame:
    return payments_due_frame(ledger(con, scope).contracts)


LEDGER_COLUMNS = ["date", "project", "category", "vendor", "reference", "description", "stage", "amount"]


def ledger_lines_frame(lines: pd.DataFrame, project: str | None = None, lang: str = "zh") -> pd.DataFrame:
    """The cost ledger's lines of one project (all when None), newest first, with the stage in words.

    Descriptions stay exactly as typed: the exports write them as text, so `=HYPERLINK(...)` never runs.
    """
    df = lines if project is None or lines.empty else lines[lines["project"] == project]
    rows = [
        {**{c: r.get(c) for c in LEDGER_COLUMNS}, "date": _date(r.get("date")), "amount": _float(r.get("amount")),
         "stage": _stage_label(r.get("stage"), lang)}
        for r in _records(df)
    ]  # fmt: skip
    rows.sort(key=lambda r: (r["date"] or dt.date.min, str(r["project"])), reverse=True)
    return pd.DataFrame(rows, columns=LEDGER_COLUMNS)


def _stage_label(stage: object, lang: str) -> object:
    key = normalise_stage(stage)
    return STAGE_LABELS[key][0 if lang == "zh" else 1] if key else stage


def ledger_lines(con: Con, scope: Scope, project: str | None = None, lang: str = "zh") -> pd.DataFrame:
    return ledger_lines_frame(cost_lines(con, scope), project, lang)
