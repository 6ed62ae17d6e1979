"""Go-live readiness: quality-gate criteria (computed where the store holds the measure, typed otherwise), training
coverage, chief-user feedback backlog, third-party supervision findings and department readiness.

Rules (README "Go-live readiness"): a gate passes only when every criterion is met or waived with a reason; a
criterion whose measure the store holds (training coverage, usage rate, open critical risks, test progress) is
computed and its typed status is only shown beside it (a typed 豁免 still waives it). Training coverage and usage
are read at the gate's due date once it has passed (what the gate saw), else at the reference day; open critical
risks and test progress from the risk register and plan in force at the reference day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from metrics import definitions, risks, schedule
from metrics.scope import Scope

# Training coverage a department needs before go-live where no gate criterion states its own threshold.
COVERAGE_TARGET = 0.90
# Gates whose due date is within this many days after the reference day, or past it and not passed, are upcoming.
GATE_HORIZON_DAYS = 30

MEASURES = ("training", "usage", "critical_risks", "test_pass")
_MEASURE_WORDS: dict[str, tuple[str, ...]] = {
    "training": ("培训覆盖", "培训率", "trainingcoverage", "trained"),
    "usage": ("使用率", "usagerate", "usage"),
    "critical_risks": ("严重风险", "重大风险", "criticalrisk"),
    "test_pass": ("测试通过率", "测试完成率", "testpass"),
}
# measures that are counts (a bare threshold "0" means at most 0); the others are shares (a bare "90" means ≥ 90 %)
COUNT_MEASURES = ("critical_risks",)
TEST_WORDS = ("测试", "test", "uat", "联调")

GATE_STATUSES = ("met", "not_met", "waived", "waived_no_reason", "pending")
ACCEPTED = ("met", "waived")

# statuses of feedback and findings that say the item is done (a resolved/closed date says so too)
_DONE_WORDS = (
    "已解决", "解决", "已关闭", "关闭", "已完成", "完成", "已整改", "整改完成", "已处理", "已验证", "已修复",
    "closed", "resolved", "done", "fixed", "completed",
)  # fmt: skip
SEVERITIES = ("high", "medium", "low")
READY_STATUSES = ("ready", "not_ready", "na")


def _norm(text: object) -> str:
    if text is None or text is pd.NA or (isinstance(text, float) and math.isnan(text)):
        return ""
    return "".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def _day(x: object) -> dt.date | None:
    if x is None or x is pd.NaT or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return None
    if isinstance(x, pd.Timestamp):
        return x.date()
    if isinstance(x, dt.datetime):
        return x.date()
    if isinstance(x, dt.date):
        return x
    return pd.Timestamp(str(x)).date()


def _text(x: object) -> str | None:
    s = "" if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) else str(x).strip()
    return s or None


def is_done(status: object, closed: object = None) -> bool:
    """A feedback item or finding is done when its resolved/closed date is set or its status says so."""
    if _day(closed) is not None:
        return True
    s = _norm(status)
    return bool(s) and s in {_norm(w) for w in _DONE_WORDS}


# ---------------------------------------------------------------------------------------------- thresholds
@dataclass(frozen=True)
class Threshold:
    op: str  # ">=", ">", "<=", "<", "="
    value: float  # a share 0..1 for rates, a count for counts


_OPS = (
    (">=", (">=", "≥", "≧", "不低于", "不少于", "至少", "达到", "大于等于")),
    ("<=", ("<=", "≤", "≦", "不高于", "不超过", "至多", "小于等于")),
    (">", (">", "大于", "高于")),
    ("<", ("<", "小于", "低于")),
    ("=", ("==", "=", "等于")),
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def measure_of(measure: object, criterion: object = None) -> str | None:
    """Which computed measure a criterion names (its measure column, else its own text), or None (typed)."""
    for text in (measure, criterion):
        s = _norm(text)
        if not s:
            continue
        for name in MEASURES:
            if any(w in s for w in _MEASURE_WORDS[name]):
                return name
        if text is measure:
            return None  # a measure column that names something else: typed
    return None


def parse_threshold(text: object, measure: str) -> Threshold | None:
    """ "≥ 90%", ">=0.9", "不低于90%", "＝0", "0", "90" → a Threshold; None when unreadable.

    A bare number means "at least" for a share and "at most" for a count; a share written 90 or 90% is 0.9."""
    s = unicodedata.normalize("NFKC", "" if _text(text) is None else str(text)).strip().replace(" ", "")
    if not s:
        return None
    op = ""
    for sym, words in _OPS:
        for w in words:
            if s.startswith(w):
                op, s = sym, s[len(w) :]
                break
        if op:
            break
    m = _NUMBER.fullmatch(s.rstrip("%个项条"))
    if m is None:
        return None
    value = float(m.group(0))
    share = measure not in COUNT_MEASURES
    if share and ("%" in s or value > 1):
        value = value / 100.0
    if not op:
        op = "<=" if not share else ">="
    return Threshold(op, value)


_IN_TEXT = re.compile(r"(>=|<=|≥|≤|≧|≦|>|<|=|＝|不低于|不少于|不高于|不超过|至少|达到)\s*-?\d+(?:\.\d+)?\s*%?")


def threshold_in(criterion: object, measure: str) -> Threshold | None:
    """A threshold written inside the criterion's own text ("培训覆盖率 ≥ 90%"), when the threshold cell is blank."""
    m = _IN_TEXT.search(unicodedata.normalize("NFKC", _text(criterion) or ""))
    return parse_threshold(m.group(0), measure) if m else None


def meets(value: float, threshold: Threshold) -> bool:
    eps = 1e-9
    if threshold.op == ">=":
        return value >= threshold.value - eps
    if threshold.op == ">":
        return value > threshold.value + eps
    if threshold.op == "<=":
        return value <= threshold.value + eps
    if threshold.op == "<":
        return value < threshold.value - eps
    return abs(value - threshold.value) <= eps


# ---------------------------------------------------------------------------------------------- loading
def _snapshot(view: str, scope: Scope, department: bool) -> tuple[str, list[object]]:
    """Per (hospital, project) the latest snapshot dated on or before the as-of day (the store's snapshot rule)."""
    assert view in ("gate_criterion_snapshots", "dept_readiness_snapshots")
    pc, pp = scope.project_clause()
    dc, dp = scope.department_clause("s.department") if department else ("TRUE", [])
    cut = "TRUE" if scope.as_of is None else "as_of <= ?"
    sql = (
        f"(SELECT s.* FROM {view} s JOIN (SELECT hospital, project, arg_max(import_id, (as_of, import_id)) AS import_id"  # noqa: S608
        f" FROM {view} WHERE {pc} AND {cut} GROUP BY ALL) l ON s.import_id = l.import_id AND s.project = l.project"
        f" WHERE {dc})"
    )
    return sql, [*pp, *([scope.as_of] if scope.as_of is not None else []), *dp]


def load_criteria(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    snap, params = _snapshot("gate_criterion_snapshots", scope, department=False)
    dc, dp = scope.department_clause("department")
    sql = (
        "SELECT project, gate, department, system, due, criterion, measure, threshold, actual, status, reason, "  # noqa: S608
        f"evidence, signed_by, signed_on, as_of FROM {snap} s WHERE {dc} ORDER BY due NULLS LAST, project, gate, row_no"
    )
    return con.execute(sql, [*params, *dp]).df()


def load_training(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    dc, dp = scope.department_clause()
    cut, cp = ("date <= ?", [scope.as_of]) if scope.as_of is not None else ("TRUE", [])
    sql = f"SELECT date, department, system, staff, trained, passed FROM training WHERE {dc} AND {cut}"  # noqa: S608
    return con.execute(sql, [*dp, *cp]).df()


def load_feedback(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    dc, dp = scope.department_clause()
    cut, cp = ("raised <= ?", [scope.as_of]) if scope.as_of is not None else ("TRUE", [])
    sql = (
        "SELECT feedback_id, department, system, issue, category, severity, raised, resolved, status, chief_user "  # noqa: S608
        f"FROM feedback WHERE {dc} AND {cut} ORDER BY raised, feedback_id"
    )
    return con.execute(sql, [*dp, *cp]).df()


def load_findings(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    pc, pp = scope.project_clause()
    cut, cp = ("(raised IS NULL OR raised <= ?)", [scope.as_of]) if scope.as_of is not None else ("TRUE", [])
    sql = (
        "SELECT finding_id, project, area, finding, severity, action, raised, due, status, closed, closed_by "  # noqa: S608
        f"FROM supervision WHERE {pc} AND {cut} ORDER BY due NULLS LAST, project, finding_id"
    )
    return con.execute(sql, [*pp, *cp]).df()


def load_readiness(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    snap, params = _snapshot("dept_readiness_snapshots", scope, department=True)
    sql = (
        "SELECT project, system, department, dimension, status, go_live, note, as_of "  # noqa: S608
        f"FROM {snap} s ORDER BY project, go_live NULLS LAST, department, row_no"
    )
    return con.execute(sql, params).df()


# ---------------------------------------------------------------------------------------------- training
COVERAGE_COLUMNS = ["department", "system", "date", "staff", "trained", "passed", "coverage", "pass_rate", "target",
                    "gap", "below_target"]  # fmt: skip


def coverage_table(
    training: pd.DataFrame, day: dt.date, targets: dict[tuple[str, str], float] | None = None
) -> pd.DataFrame:
    """Per department × system the latest training row on or before `day`: coverage = trained ÷ staff to train,
    exam pass rate = passed ÷ trained; the target is the department's gate threshold, else COVERAGE_TARGET (pure)."""
    if training.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COVERAGE_COLUMNS})
    t = training.copy()
    t["date"] = pd.to_datetime(t["date"])
    t = t[t["date"] <= pd.Timestamp(day)].sort_values("date")
    t = t.groupby(["department", "system"], as_index=False).last()
    staff = t["staff"].astype("float64")
    trained = t["trained"].astype("float64")
    passed = pd.to_numeric(t["passed"], errors="coerce").astype("float64")
    t["coverage"] = (trained / staff.where(staff > 0)).astype("float64")
    t["pass_rate"] = (passed / trained.where(trained > 0)).astype("float64")
    t["target"] = [
        (targets or {}).get((str(d), str(s)), COVERAGE_TARGET)
        for d, s in zip(t["department"], t["system"], strict=True)
    ]
    t["gap"] = t["coverage"] - t["target"]
    t["below_target"] = (t["coverage"] < t["target"] - 1e-9).fillna(False).astype(bool)
    t["date"] = t["date"].dt.date
    return t[COVERAGE_COLUMNS].sort_values(["system", "coverage", "department"]).reset_index(drop=True)


def coverage_of(training: pd.DataFrame, day: dt.date, department: str | None, system: str | None) -> float | None:
    """Σ trained ÷ Σ staff over the latest rows of a department (all, when None) and system (all, when None)."""
    cov = coverage_table(training, day)
    if department is not None:
        cov = cov[cov["department"] == department]
    if system is not None:
        cov = cov[cov["system"] == system]
    staff = float(cov["staff"].astype("float64").sum()) if len(cov) else 0.0
    return float(cov["trained"].astype("float64").sum()) / staff if staff > 0 else None


def training_coverage(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Training coverage per department × system at the reference day, against the gate's target."""
    day = definitions.reference_day(scope)
    crit = load_criteria(con, scope)
    targets: dict[tuple[str, str], float] = {}
    for r in crit.to_dict("records"):
        if measure_of(r["measure"], r["criterion"]) == "training" and r["department"] and r["system"]:
            th = parse_threshold(r["threshold"], "training")
            if th is not None:
                targets[(str(r["department"]), str(r["system"]))] = th.value
    return coverage_table(load_training(con, scope), day, targets)


# ---------------------------------------------------------------------------------------------- usage, risks, tests
def usage_of(usage: pd.DataFrame, day: dt.date, department: str | None, system: str | None) -> float | None:
    """Usage rate (definitions.usage_rate: Σ active ÷ Σ eligible, rows without eligible users left out) of the
    latest period on or before `day` for a department and system (all when None)."""
    u = usage.copy()
    if u.empty:
        return None
    u["period"] = pd.to_datetime(u["period"])
    u = u[u["period"] <= pd.Timestamp(day)]
    if department is not None:
        u = u[u["department"] == department]
    if system is not None:
        u = u[u["system"] == system]
    u = u[pd.to_numeric(u["eligible_users"], errors="coerce").fillna(0) > 0]
    if u.empty:
        return None
    last = u[u["period"] == u["period"].max()]
    return definitions.usage_rate(float(last["active_users"].sum()), float(last["eligible_users"].sum()))


def critical_risks_of(register: pd.DataFrame, project: str) -> float:
    """Open critical risks of a project (definitions.is_critical_risk)."""
    reg = register[register["project"] == project] if len(register) else register
    bands = risks.configured_bands()
    return float(
        sum(definitions.is_critical_risk(s, st, bands) for s, st in zip(reg["score"], reg["status"], strict=True))
    )


def test_pass_of(plan: pd.DataFrame, project: str, system: str | None) -> float | None:
    """The plan's test progress: plan % complete (definitions.plan_percent) of the project's test tasks (name or
    phase with 测试/test/UAT/联调); None when the plan has none."""
    if plan.empty:
        return None
    p = plan[plan["project"] == project]
    if "is_summary" in p:
        p = p[~p["is_summary"].fillna(False).astype(bool)]
    words = "|".join(TEST_WORDS)
    text = p["name"].astype("string").fillna("") + " " + p["phase"].astype("string").fillna("")
    tests = p[text.str.lower().str.contains(words, regex=True).fillna(False).astype(bool)]
    if system is not None and len(tests):
        own = tests[tests["name"].astype("string").str.contains(system, regex=False).fillna(False).astype(bool)]
        tests = own if len(own) else tests
    return None if tests.empty else definitions.plan_percent(tests)


# ---------------------------------------------------------------------------------------------- gates
CRITERIA_COLUMNS = ["project", "gate", "department", "system", "due", "criterion", "measure", "source", "value",
                    "threshold", "typed_status", "status", "note", "reason", "evidence", "signed_by", "signed_on"]  # fmt: skip


@dataclass(frozen=True)
class Measures:
    """What computed criteria read: training rows, usage rows, the risk register and the plan, at `day`."""

    day: dt.date
    training: pd.DataFrame
    usage: pd.DataFrame
    register: pd.DataFrame
    plan: pd.DataFrame


def computed_value(kind: str, row: Mapping[Any, Any], m: Measures) -> float | None:
    dep, sysname, project = _text(row.get("department")), _text(row.get("system")), str(row.get("project"))
    # a gate is judged at its date: training and usage after the due date are what the gate saw on it
    due = _day(row.get("due"))
    day = min(m.day, due) if due is not None else m.day
    if kind == "training":
        return coverage_of(m.training, day, dep, sysname)
    if kind == "usage":
        return usage_of(m.usage, day, dep, sysname)
    if kind == "critical_risks":
        return critical_risks_of(m.register, project) if len(m.register) else None
    return test_pass_of(m.plan, project, sysname)


def criteria_status(criteria: pd.DataFrame, m: Measures) -> pd.DataFrame:
    """Each criterion with its source (computed / typed), value, and status: met, not_met, waived,
    waived_no_reason (not accepted) or pending (typed and not assessed) (pure given the measures)."""
    rows: list[dict[str, object]] = []
    for r in criteria.to_dict("records"):
        typed = _text(r.get("status"))
        kind = measure_of(r.get("measure"), r.get("criterion"))
        value: float | None = None
        note = ""
        source = "typed"
        status = typed or "pending"
        if kind is not None:
            value = computed_value(kind, r, m)
            th = parse_threshold(r.get("threshold"), kind) or (
                threshold_in(r.get("criterion"), kind) if _text(r.get("threshold")) is None else None
            )
            if value is None:
                note = "no_data"  # nothing in the store yet: the typed status stands
            elif th is None:
                source, status, note = "computed", "not_met", "threshold_unreadable"
            else:
                source, status = "computed", "met" if meets(value, th) else "not_met"
        if typed == "waived":
            status = "waived" if _text(r.get("reason")) else "waived_no_reason"
        rows.append({
            "project": r["project"], "gate": r["gate"], "department": _text(r.get("department")),
            "system": _text(r.get("system")), "due": _day(r.get("due")), "criterion": r["criterion"],
            "measure": kind, "source": source, "value": value, "threshold": _text(r.get("threshold")),
            "typed_status": typed, "status": status, "note": note, "reason": _text(r.get("reason")),
            "evidence": _text(r.get("evidence")), "signed_by": _text(r.get("signed_by")),
            "signed_on": _day(r.get("signed_on")),
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=CRITERIA_COLUMNS)
    out["value"] = pd.to_numeric(out["value"]).astype("float64")
    return out


GATE_COLUMNS = ["project", "gate", "department", "system", "due", "days_to_due", "criteria", "met", "waived",
                "open", "computed", "passes", "blocking", "signed_by", "signed_on"]  # fmt: skip


def gate_summary(status: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """One row per gate: counts, passes (every criterion met or waived with a reason), the blocking criteria and the
    latest sign-off (pure)."""
    rows: list[dict[str, object]] = []
    if status.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in GATE_COLUMNS})
    keys = ["project", "gate", "department", "system"]
    for key, g in status.groupby(keys, dropna=False, sort=False):
        project, gate, dep, sysname = key
        ok = g["status"].isin(ACCEPTED)
        due = min((d for d in g["due"] if d is not None and d is not pd.NaT), default=None)
        signed = g.dropna(subset=["signed_on"]).sort_values("signed_on")
        rows.append({
            "project": project, "gate": gate, "department": _text(dep), "system": _text(sysname), "due": due,
            "days_to_due": (due - day).days if due else None, "criteria": len(g), "met": int((g["status"] == "met").sum()),
            "waived": int((g["status"] == "waived").sum()), "open": int((~ok).sum()),
            "computed": int((g["source"] == "computed").sum()), "passes": bool(ok.all()),
            "blocking": "；".join(str(c) for c in g.loc[~ok, "criterion"]),
            "signed_by": signed["signed_by"].iloc[-1] if len(signed) else None,
            "signed_on": signed["signed_on"].iloc[-1] if len(signed) else None,
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=GATE_COLUMNS)
    out["days_to_due"] = pd.to_numeric(out["days_to_due"]).astype("Int64")
    return out.sort_values(["due", "project", "gate"], na_position="last", kind="stable").reset_index(drop=True)


USAGE_SUMS = (
    "SELECT period, department, system, sum(active_users) AS active_users, sum(eligible_users) AS eligible_users "
    "FROM usage WHERE period <= ? AND eligible_users > 0 AND {systems} AND {hospitals} GROUP BY ALL"
)


def _usage_sums(
    con: duckdb.DuckDBPyConnection, scope: Scope, day: dt.date, systems: Sequence[str] | None, latest: bool = False
) -> pd.DataFrame:
    """Usage summed per period × department × system up to `day` in the scope's hospitals (rows without eligible
    users left out, as the usage rate leaves them out), only for `systems` when given; with `latest`, only each
    department × system's latest period: what usage criteria read, never the raw rows."""
    where, params = (
        ("system IN (SELECT unnest(?::VARCHAR[]))", [list(systems)]) if systems is not None else ("TRUE", [])
    )
    hsql, hparams = scope.hospital_clause()
    sql = USAGE_SUMS.format(systems=where, hospitals=hsql)
    if latest:
        sql = f"SELECT * FROM ({sql}) QUALIFY period = max(period) OVER (PARTITION BY department, system)"  # noqa: S608
    return con.execute(sql, [day, *params, *hparams]).df()


def measures(
    con: duckdb.DuckDBPyConnection, scope: Scope, needs: Sequence[str] = MEASURES, systems: Sequence[str] | None = None
) -> Measures:
    """The data computed criteria read, loaded only for the measures `needs` names (usage only for `systems`)."""
    day = definitions.reference_day(scope)
    cut = dataclasses.replace(scope, departments=None, start=None, end=None)
    empty = pd.DataFrame()
    return Measures(
        day,
        load_training(con, cut) if "training" in needs else empty,
        _usage_sums(con, scope, day, systems) if "usage" in needs else empty,
        risks.load_register(con, cut) if "critical_risks" in needs else empty,
        schedule.load_tasks(con, cut) if "test_pass" in needs else empty,
    )


def gate_criteria(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Every criterion of the gates in scope with its computed or typed status (see criteria_status)."""
    crit = load_criteria(con, scope)
    kinds = [measure_of(mm, c) for mm, c in zip(crit["measure"], crit["criterion"], strict=True)]
    usage_systems = [_text(s) for s, k in zip(crit["system"], kinds, strict=True) if k == "usage"]
    systems = None if any(s is None for s in usage_systems) else [str(s) for s in usage_systems]
    return criteria_status(crit, measures(con, scope, [k for k in kinds if k is not None], systems))


def gates(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """One row per gate in scope (gate_summary), soonest first."""
    return gate_summary(gate_criteria(con, scope), definitions.reference_day(scope))


def upcoming(gate_rows: pd.DataFrame, horizon: int = GATE_HORIZON_DAYS) -> pd.DataFrame:
    """Gates due within `horizon` days, and overdue gates that have not passed (pure)."""
    if gate_rows.empty:
        return gate_rows
    d = gate_rows["days_to_due"]
    keep = d.notna() & ((d <= horizon) & ((d >= 0) | ~gate_rows["passes"]))
    return gate_rows[keep.fillna(False).astype(bool)].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- feedback
BACKLOG_COLUMNS = [
    "department",
    "system",
    "open",
    "high",
    "median_age",
    "oldest_age",
    "resolved",
    "mean_days_to_resolve",
]


def feedback_items(feedback: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Each item with done (resolved date or a done status as of `day`), age (days open; to `day` while open) and
    days_to_resolve (resolved − raised) (pure)."""
    f = feedback.copy()
    if f.empty:
        return f.assign(
            done=pd.Series(dtype=bool), age=pd.Series(dtype="Int64"), days_to_resolve=pd.Series(dtype="Int64")
        )
    raised = [_day(x) for x in f["raised"]]
    resolved = [_day(x) for x in f["resolved"]]
    resolved = [r if r is not None and r <= day else None for r in resolved]
    done = [
        r is not None or (is_done(s) and _day(x) is None)
        for r, s, x in zip(resolved, f["status"], f["resolved"], strict=True)
    ]
    f["done"] = done
    f["age"] = pd.array(
        [None if d or a is None else (day - a).days for a, d in zip(raised, done, strict=True)], dtype="Int64"
    )
    f["days_to_resolve"] = pd.array(
        [(r - a).days if r is not None and a is not None else None for a, r in zip(raised, resolved, strict=True)],
        dtype="Int64",
    )
    return f


def backlog_table(items: pd.DataFrame) -> pd.DataFrame:
    """Per department × system: open items, open high-severity items, median and oldest age, resolved items and
    the mean time to resolve (pure)."""
    if items.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in BACKLOG_COLUMNS})
    rows: list[dict[str, object]] = []
    for (dep, sysname), g in items.groupby(["department", "system"], sort=True):
        o = g[~g["done"]]
        ages = o["age"].dropna().astype(float)
        ttr = g["days_to_resolve"].dropna().astype(float)
        rows.append({
            "department": dep, "system": sysname, "open": len(o), "high": int((o["severity"] == "high").sum()),
            "median_age": float(ages.median()) if len(ages) else None, "oldest_age": float(ages.max()) if len(ages) else None,
            "resolved": int(len(ttr)), "mean_days_to_resolve": float(ttr.mean()) if len(ttr) else None,
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=BACKLOG_COLUMNS)
    return out.sort_values(["open", "oldest_age"], ascending=False, na_position="last").reset_index(drop=True)


def backlog_trend(items: pd.DataFrame, day: dt.date, weeks: int = 12) -> pd.DataFrame:
    """Per week (Monday) up to `day`: items raised, items resolved, and the open backlog at the week's end (pure)."""
    cols = ["week", "raised", "resolved", "open"]
    if items.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    last = day - dt.timedelta(days=day.weekday())
    starts = [last - dt.timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    raised = [_day(x) for x in items["raised"]]
    resolved = [_day(x) for x in items["resolved"]]
    # an item whose status says done but names no date closed at an unknown time: never counted as open
    undated = [r is None and is_done(st) for r, st in zip(resolved, items["status"], strict=True)]
    rows = []
    for w in starts:
        end = min(w + dt.timedelta(days=6), day)
        rows.append({
            "week": w,
            "raised": sum(1 for a in raised if a is not None and w <= a <= end),
            "resolved": sum(1 for r in resolved if r is not None and w <= r <= end),
            "open": sum(
                1
                for a, r, u in zip(raised, resolved, undated, strict=True)
                if a is not None and a <= end and (r is None or r > end) and not u
            ),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def feedback_backlog(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    return backlog_table(feedback_items(load_feedback(con, scope), definitions.reference_day(scope)))


def feedback_open(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The open feedback items, oldest first."""
    items = feedback_items(load_feedback(con, scope), definitions.reference_day(scope))
    if items.empty:
        return items
    return items[~items["done"]].sort_values("age", ascending=False).reset_index(drop=True)


def feedback_trend(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    day = definitions.reference_day(scope)
    return backlog_trend(load_feedback(con, scope), day)


# ---------------------------------------------------------------------------------------------- supervision
FINDING_COLUMNS = ["finding_id", "project", "area", "finding", "severity", "action", "raised", "due", "status",
                   "closed", "closed_by", "open", "overdue", "days_overdue"]  # fmt: skip


def finding_status(findings: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Each finding with open (not closed by `day`), overdue (open and its due date passed) and days overdue (pure)."""
    f = findings.copy()
    if f.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in FINDING_COLUMNS})
    closed = [_day(x) for x in f["closed"]]
    closed_now = [c if c is not None and c <= day else None for c in closed]
    f["open"] = [
        not (c is not None or (is_done(s) and raw is None))
        for c, s, raw in zip(closed_now, f["status"], closed, strict=True)
    ]
    due = [_day(x) for x in f["due"]]
    f["overdue"] = [bool(o and d is not None and d < day) for o, d in zip(f["open"], due, strict=True)]
    f["days_overdue"] = pd.Series(
        [(day - d).days if o and d is not None else None for o, d in zip(f["overdue"], due, strict=True)],
        index=f.index,
        dtype="Int64",
    )
    return f[FINDING_COLUMNS]


def findings(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Supervision findings in scope with open / overdue, overdue first then by due date."""
    f = finding_status(load_findings(con, scope), definitions.reference_day(scope))
    if f.empty:
        return f
    return f.sort_values(["overdue", "open", "due"], ascending=[False, False, True], na_position="last").reset_index(
        drop=True
    )


def findings_by_severity(status: pd.DataFrame) -> pd.DataFrame:
    """Open and overdue findings per severity (high, medium, low, then unstated) (pure)."""
    cols = ["severity", "open", "overdue"]
    rows = []
    sev = (
        status["severity"].astype("object").where(status["severity"].notna(), None)
        if len(status)
        else pd.Series(dtype="object")
    )
    for s in (*SEVERITIES, None):
        mask = sev.isna() if s is None else sev == s
        sub = status[mask.astype(bool)] if len(status) else status
        rows.append({"severity": s or "unstated", "open": int(sub["open"].sum()) if len(sub) else 0,
                     "overdue": int(sub["overdue"].sum()) if len(sub) else 0})  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------------------------- departments
NEXT_COLUMNS = ["project", "system", "department", "go_live", "ready", "not_ready", "na", "ready_share", "can_go_live",
                "blocking", "live"]  # fmt: skip


def readiness_matrix(readiness: pd.DataFrame) -> pd.DataFrame:
    """Department × dimension status (ready / not_ready / na) of the latest checklists, one row per department
    (with project and system) and one column per dimension in first-seen order (pure)."""
    if readiness.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in ("project", "system", "department")})
    r = readiness.copy()
    r["system"] = r["system"].astype("object").where(r["system"].notna(), "")
    dims = list(dict.fromkeys(r["dimension"].astype(str)))
    wide = r.pivot_table(
        index=["project", "system", "department"], columns="dimension", values="status", aggfunc="last", sort=False
    )
    wide = wide.reindex(columns=dims).reset_index()
    wide.columns.name = None
    return wide


def next_departments(readiness: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Per department of each roll-out: counts by status, ready share = ready ÷ (ready + not ready), can go live
    (nothing not ready), what blocks it, and whether its go-live is already past. Departments not yet live that can
    go live come first (soonest go-live first), then those with the fewest items left (pure)."""
    if readiness.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in NEXT_COLUMNS})
    rows = []
    r = readiness.copy()
    r["system"] = r["system"].astype("object").where(r["system"].notna(), None)
    for (project, sysname, dep), g in r.groupby(["project", "system", "department"], dropna=False, sort=False):
        counts = {s: int((g["status"] == s).sum()) for s in READY_STATUSES}
        decided = counts["ready"] + counts["not_ready"]
        go = min((d for d in (_day(x) for x in g["go_live"]) if d is not None), default=None)
        rows.append({
            "project": project, "system": _text(sysname), "department": dep, "go_live": go, "ready": counts["ready"],
            "not_ready": counts["not_ready"], "na": counts["na"],
            "ready_share": counts["ready"] / decided if decided else None, "can_go_live": counts["not_ready"] == 0,
            "blocking": "、".join(str(x) for x in g.loc[g["status"] == "not_ready", "dimension"]),
            "live": bool(go is not None and go <= day),
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=NEXT_COLUMNS)
    out["_go"] = pd.to_datetime(out["go_live"])
    out = out.sort_values(["live", "can_go_live", "not_ready", "_go", "department"], ascending=[True, False, True, True, True],
                          na_position="last", kind="stable")  # fmt: skip
    return out.drop(columns="_go").reset_index(drop=True)


def department_readiness(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The department × dimension matrix of the latest checklists in scope."""
    return readiness_matrix(load_readiness(con, scope))


def go_live_next(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Which department can go live next (next_departments)."""
    return next_departments(load_readiness(con, scope), definitions.reference_day(scope))


# ---------------------------------------------------------------------------------------------- overview hook
def decision_rows(
    con: duckdb.DuckDBPyConnection, scope: Scope, horizon: int = GATE_HORIZON_DAYS
) -> list[dict[str, object]]:
    """Rows in the overview's DECISION_COLUMNS shape: gates due within `horizon` days (or overdue) with criteria
    not met, and overdue supervision findings."""
    scope = definitions.week_scope(scope)
    out: list[dict[str, object]] = []
    for r in upcoming(gates(con, scope), horizon).to_dict("records"):
        if r["passes"]:
            continue
        where = f"（{r['department']}）" if r["department"] else ""
        out.append({
            "kind": "gate_unmet", "project": r["project"], "id": str(r["gate"]),
            "title": f"{r['gate']}{where}：{r['blocking']}", "age_days": -int(r["days_to_due"]),
            "cost_impact": None, "schedule_impact_days": None, "due": r["due"],
        })  # fmt: skip
    f = findings(con, scope)
    for r in f[f["overdue"]].to_dict("records") if len(f) else []:
        out.append({
            "kind": "finding_overdue", "project": r["project"], "id": str(r["finding_id"]), "title": str(r["finding"]),
            "age_days": int(r["days_overdue"]), "cost_impact": None, "schedule_impact_days": None, "due": _day(r["due"]),
        })  # fmt: skip
    return out


def reference_day(scope: Scope) -> dt.date:
    """The day readiness is judged at (definitions.reference_day: the as-of week, else today)."""
    return definitions.reference_day(scope)


def computed_measures() -> Sequence[str]:
    """The measures the cockpit computes rather than reads (the page lists them)."""
    return MEASURES


# ---------------------------------------------------------------------------------------------- display
def value_text(measure: object, value: object) -> str | None:
    """A computed value as the criteria table shows it: shares as percentages, counts as whole numbers."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or measure is None:
        return None
    v = float(str(value))
    return f"{v:.0f}" if measure in COUNT_MEASURES else f"{v:.1%}"


def criteria_table(status: pd.DataFrame, labels: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """The criteria with their value as text and the codes of `labels`' columns (status, source, typed_status,
    note, measure) in the user's words."""
    out = status.copy()
    out["value"] = [value_text(mm, v) for mm, v in zip(out["measure"], out["value"], strict=True)]
    for column, words in labels.items():
        out[column] = [words.get(v, v) if isinstance(v, str) else v for v in out[column]]
    return out


def criteria_of(criteria: pd.DataFrame, gate: Mapping[Any, Any]) -> pd.DataFrame:
    """The criteria of one gate row (gate_summary) among all criteria (pure; an empty department matches empty)."""
    if criteria.empty:
        return criteria
    dep = _text(gate.get("department")) or ""
    keep = [
        p == gate["project"] and g == gate["gate"] and (_text(d) or "") == dep
        for p, g, d in zip(criteria["project"], criteria["gate"], criteria["department"], strict=True)
    ]
    return criteria.loc[keep]


def text_or(value: object, default: str) -> str:
    """A cell's text, or `default` when it is empty (None, NaN)."""
    return _text(value) or default


def relabel(df: pd.DataFrame, column: str, words: Mapping[str, str]) -> pd.DataFrame:
    """`df` with the codes of `column` replaced by display words."""
    if column not in df.columns or df.empty:
        return df
    out = df.copy()
    out[column] = [words.get(v, v) if isinstance(v, str) else v for v in out[column]]
    return out


def long_matrix_labels(matrix: pd.DataFrame, words: Mapping[str, str]) -> pd.DataFrame:
    """The readiness matrix with every status code in words (for its table and download)."""
    out = matrix.copy()
    for c in out.columns:
        if c not in ("project", "system", "department"):
            out[c] = [words.get(v, v) if isinstance(v, str) else v for v in out[c]]
    return out


# ---------------------------------------------------------------------------------------------- roll-out matrix
ROLLOUT_READINESS = ("coverage_before", "ready_before", "rate_after")


def rollout_readiness(rollout: pd.DataFrame, m: Measures, readiness: pd.DataFrame) -> pd.DataFrame:
    """The adoption page's roll-out matrix with, per department × system, the readiness before go-live beside the
    usage after it (pure given the measures): coverage_before = training coverage on the go-live day (today for a
    go-live still ahead), ready_before = share of the department's readiness dimensions ready (ready ÷ ready + not
    ready, latest checklist of that system), rate_after = the usage rate of the latest period once live."""
    out = rollout.copy()
    ready: dict[tuple[str, str], float | None] = {}
    if len(readiness):
        for r in next_departments(readiness, m.day).to_dict("records"):
            if _text(r["system"]) is not None:
                ready.setdefault((str(r["department"]), str(r["system"])), r["ready_share"])
    before: list[float | None] = []
    after: list[float | None] = []
    share: list[float | None] = []
    for r in out.to_dict("records"):
        dep, sysname = str(r["department"]), str(r["system"])
        live = _day(r.get("go_live"))
        day = min(live, m.day) if live is not None else m.day
        before.append(coverage_of(m.training, day, dep, sysname) if len(m.training) else None)
        after.append(usage_of(m.usage, m.day, dep, sysname) if live is not None and live <= m.day else None)
        share.append(ready.get((dep, sysname)))
    out["coverage_before"] = pd.Series(before, index=out.index, dtype="float64")
    out["ready_before"] = pd.Series(share, index=out.index, dtype="float64")
    out["rate_after"] = pd.Series(after, index=out.index, dtype="float64")
    return out


def with_readiness(con: duckdb.DuckDBPyConnection, scope: Scope, rollout: pd.DataFrame) -> pd.DataFrame:
    """`rollout_readiness` on the store's training, usage and department readiness in scope."""
    m = measures(con, scope, ("training",))
    day = m.day
    # per department × system only its latest period with eligible users: what the usage rate after go-live reads
    latest = _usage_sums(con, scope, day, None, latest=True)
    return rollout_readiness(rollout, Measures(day, m.training, latest, m.register, m.plan), load_readiness(con, scope))


DASH = "—"


def dashed(df: pd.DataFrame) -> pd.DataFrame:
    """Empty cells of text columns as "—" (st.dataframe writes an empty object cell as the English word None);
    columns holding dates, numbers or booleans are left as they are."""
    out = df.copy()
    for c in out.columns:
        values = [v for v in out[c] if _text(v) is not None]
        if values and all(isinstance(v, str) for v in values):
            out[c] = pd.Series([DASH if _text(v) is None else v for v in out[c]], index=out.index, dtype=object)
    return out
