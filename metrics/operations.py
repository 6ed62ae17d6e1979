"""After go-live: help-desk SLA compliance, MTTR, backlog, incidents per 1,000 active users, inspection completion
and the yearly health scorecard per system, plus the overview's SLA-breach hooks.

Definitions (the README's "Operations" section says them in plain words):
- The period is the scope's date range cut at the reference day (the as-of week, else today); its end is the end of
  that day. A ticket belongs to the period in which it was *opened*.
- SLA (metrics.definitions.sla_outcome): per ticket a response clock (responded, else resolved) and a resolution
  clock (resolved), each met / breached / pending at the period end against the target of its priority
  (setting `sla_targets`, minutes). A clock still running is judged at the period end or at the data horizon (the
  latest time stamp in the tickets: what the export knows), whichever is earlier. Compliance = met ÷ (met + breached); pending tickets are counted apart.
- MTTR: mean hours from opened to resolved of the tickets *resolved* in the period (open tickets are in the backlog).
- Backlog: tickets opened and not resolved at the end of each week (at the period end for the last week).
- Active users: column `usage.active_users` summed over departments for each usage period as loaded (a day or a
  week), averaged over the usage periods of the month: the users the usage rate's numerator counts
  (metrics.adoption), every usage row included. Incidents per 1,000 active users = tickets opened ÷ active users ×
  1,000 per month; over several months Σ tickets ÷ Σ monthly active users × 1,000 (per 1,000 user-months).
- Inspection completion: inspections planned in the period up to the reference day, done (a done date on or before
  the reference day) ÷ planned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Literal

import duckdb
import pandas as pd

from loaders import settings
from metrics import definitions, quality
from metrics.scope import Scope

PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")
CLOCKS: tuple[str, ...] = ("response", "resolution")
Period = Literal["week", "month"]

# The yearly health scorecard: each component a share 0..1 (higher is better), the composite their weighted mean
# over the components a system has (weights renormalised over those present). Availability is not loaded by any
# dataset, so SLA compliance stands for it; data quality is metrics.quality.system_quality (the mean pass rate of
# the system's checks in its latest period).
SCORE_WEIGHTS: dict[str, float] = {"sla": 0.25, "incidents": 0.15, "inspections": 0.15, "quality": 0.20, "usage": 0.25}
# Incidents score 1 at no tickets and 0 at this many tickets per 1,000 active users per month (linear between).
INCIDENT_RATE_CEILING = 20.0
# The composite's light: green at or above the first, amber at or above the second, red below.
SCORE_LIGHTS = (0.85, 0.70)


# ---------------------------------------------------------------------------------------------- settings, period
def sla_targets() -> dict[str, tuple[float, float]]:
    """Priority -> (response, resolution) targets in minutes, from the setting `sla_targets`
    ("P1=15,240;P2=30,480;…"). A priority the setting leaves out takes the default's."""
    default = _parse_targets(settings.SETTINGS["sla_targets"].default)
    try:
        return default | _parse_targets(settings.get("sla_targets"))
    except ValueError as exc:
        raise ValueError(f"COCKPIT_SLA_TARGETS: {exc} (write P1=15,240;P2=30,480 in minutes)") from None


def _parse_targets(text: str) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for part in (p.strip() for p in text.split(";") if p.strip()):
        name, _, values = part.partition("=")
        pri = name.strip().upper()
        nums = [float(v) for v in values.split(",")]
        if pri not in PRIORITIES or len(nums) != 2 or min(nums) <= 0:
            raise ValueError(f"cannot read {part!r}")
        out[pri] = (nums[0], nums[1])
    return out


def period_bounds(scope: Scope) -> tuple[dt.date | None, dt.date]:
    """(first day or None for all history, last day): the scope's range cut at the reference day."""
    ref = definitions.reference_day(scope)
    end = min(scope.end, ref) if scope.end is not None else ref
    return scope.start, end


def _end_ts(end: dt.date) -> dt.datetime:
    return dt.datetime.combine(end + dt.timedelta(days=1), dt.time())


def data_horizon(con: duckdb.DuckDBPyConnection, scope: Scope | None = None) -> dt.datetime | None:
    """The latest time stamp in the tickets (opened, responded or resolved) of the scope's hospitals: the moment
    their help-desk exports know about. Nothing is known after it, so a clock still running is never judged later
    than this (a member hospital's later export does not move another hospital's horizon)."""
    where, params = (scope or Scope()).hospital_clause()
    row = con.execute(
        f"SELECT max(opened), max(responded), max(resolved) FROM incidents WHERE {where}",  # noqa: S608
        params,
    ).fetchone()
    stamps = [pd.Timestamp(v).to_pydatetime() for v in (row or ()) if v is not None]
    return max(stamps) if stamps else None


def judged_at(con: duckdb.DuckDBPyConnection, scope: Scope) -> dt.datetime:
    """When the SLA clocks of the period are judged: the period end (end of its last day), or the data horizon
    when that is earlier (an export of 23 November read on 2 December does not turn every ticket open at the
    export into a breach)."""
    _, end = period_bounds(scope)
    horizon = data_horizon(con, scope)
    return min(_end_ts(end), horizon) if horizon is not None else _end_ts(end)


def _incident_where(scope: Scope, alias: str = "") -> tuple[str, list[object]]:
    """Tickets opened in the period, in the scope's departments (the project filter does not apply to tickets)."""
    start, end = period_bounds(scope)
    p = alias
    parts = [f"{p}opened < ?"]
    params: list[object] = [_end_ts(end)]
    if start is not None:
        parts.append(f"{p}opened >= ?")
        params.append(dt.datetime.combine(start, dt.time()))
    sql, dp = scope.department_clause(f"{p}department")
    return " AND ".join([*parts, sql]), params + dp


def _targets_sql() -> tuple[str, list[object]]:
    t = sla_targets()
    pris = list(t)
    return (
        "(SELECT unnest(?::VARCHAR[]) AS priority, unnest(?::DOUBLE[]) AS resp_min, unnest(?::DOUBLE[]) AS res_min)",
        [pris, [t[p][0] for p in pris], [t[p][1] for p in pris]],
    )


def _whole(df: pd.DataFrame, cols: tuple[str, ...]) -> None:
    """Targets of whole minutes as integers (15, not 15.0), so tables show them as the setting says them."""
    for c in cols:
        if c in df.columns and df[c].notna().all() and (df[c] % 1 == 0).all():
            df[c] = df[c].astype("int64")


def _outcome_sql(finished: str, target: str) -> tuple[str, str]:
    """SQL conditions (met, breached) of metrics.definitions.sla_outcome; `$end` is the period end."""
    done = f"({finished} IS NOT NULL AND {finished} <= $end)"
    met = f"{done} AND date_diff('second', opened, {finished}) <= {target} * 60"
    breached = (
        f"({done} AND date_diff('second', opened, {finished}) > {target} * 60)"
        f" OR (NOT {done} AND date_diff('second', opened, $end) > {target} * 60)"
    )
    return met, breached


# ---------------------------------------------------------------------------------------------- SLA
SLA_COLUMNS = [
    "system", "priority", "tickets", "no_response", "response_target_min", "response_met", "response_breached",
    "response_pending", "response_compliance", "resolution_target_min", "resolution_met", "resolution_breached",
    "resolution_pending", "resolution_compliance",
]  # fmt: skip


def _sla_rows(con: duckdb.DuckDBPyConnection, scope: Scope, by_system: bool) -> pd.DataFrame:
    where, params = _incident_where(scope, "i.")
    targets, tparams = _targets_sql()
    r_met, r_breached = _outcome_sql("coalesce(responded, resolved)", "resp_min")
    s_met, s_breached = _outcome_sql("resolved", "res_min")
    keys = "system, priority" if by_system else "priority"
    sql = f"""
        WITH t AS (
            SELECT i.system, i.priority, i.opened, i.responded, i.resolved, g.resp_min, g.res_min
            FROM incidents i JOIN {targets} g ON g.priority = i.priority
            WHERE {where}
        )
        SELECT {keys}, count(*) AS tickets,
            count(*) FILTER (WHERE responded IS NULL OR responded > $end) AS no_response,
            any_value(resp_min) AS response_target_min,
            count(*) FILTER (WHERE {r_met}) AS response_met,
            count(*) FILTER (WHERE {r_breached}) AS response_breached,
            any_value(res_min) AS resolution_target_min,
            count(*) FILTER (WHERE {s_met}) AS resolution_met,
            count(*) FILTER (WHERE {s_breached}) AS resolution_breached
        FROM t GROUP BY {keys} ORDER BY {keys}
    """  # noqa: S608
    named = {f"p{i}": v for i, v in enumerate([*tparams, *params])}
    for i in range(len(named)):
        sql = sql.replace("?", f"$p{i}", 1)
    named["end"] = judged_at(con, scope)
    df = con.execute(sql, named).df()
    _whole(df, ("response_target_min", "resolution_target_min"))
    if not by_system:
        df.insert(0, "system", None)
    for clock in CLOCKS:
        met, breached = df[f"{clock}_met"].astype("int64"), df[f"{clock}_breached"].astype("int64")
        df[f"{clock}_pending"] = df["tickets"].astype("int64") - met - breached
        df[f"{clock}_compliance"] = [
            definitions.sla_compliance(int(m), int(b)) for m, b in zip(met, breached, strict=True)
        ]
        df[f"{clock}_compliance"] = df[f"{clock}_compliance"].astype("float64")
    return df.reindex(columns=SLA_COLUMNS)


def sla_compliance(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per system × priority over the period: tickets opened, those without a response time at the period end,
    each clock's target (minutes), met, breached, pending and compliance (met ÷ (met + breached), NaN when none
    is counted). See the module docstring and metrics.definitions.sla_outcome."""
    return _sla_rows(con, scope, by_system=True)


def sla_by_priority(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The same per priority over every system (system is empty)."""
    return _sla_rows(con, scope, by_system=False)


BREACH_COLUMNS = ["ticket_id", "system", "department", "priority", "title", "opened", "clock", "target_min",
                  "elapsed_min", "resolved"]  # fmt: skip


def open_breaches(
    con: duckdb.DuckDBPyConnection, scope: Scope, priorities: tuple[str, ...] = PRIORITIES
) -> pd.DataFrame:
    """Tickets of the period still unresolved when judged (judged_at) and already past their resolution target,
    most urgent priority first, then longest overdue (the tickets the overview names)."""
    where, params = _incident_where(scope, "i.")
    targets, tparams = _targets_sql()
    sql = f"""
        SELECT i.ticket_id, i.system, i.department, i.priority, i.title, i.opened, 'resolution' AS clock,
               g.res_min AS target_min, date_diff('minute', i.opened, ?) AS elapsed_min, NULL AS resolved
        FROM incidents i JOIN {targets} g ON g.priority = i.priority
        WHERE {where} AND i.priority IN (SELECT unnest(?::VARCHAR[]))
          AND (i.resolved IS NULL OR i.resolved > ?) AND date_diff('second', i.opened, ?) > g.res_min * 60
        ORDER BY i.priority, elapsed_min - target_min DESC, i.ticket_id
    """  # noqa: S608
    at = judged_at(con, scope)
    df = con.execute(sql, [at, *tparams, *params, list(priorities), at, at]).df()
    _whole(df, ("target_min", "elapsed_min"))
    return df.reindex(columns=BREACH_COLUMNS)


# ---------------------------------------------------------------------------------------------- MTTR, backlog
def mttr(con: duckdb.DuckDBPyConnection, scope: Scope, period: Period = "month") -> pd.DataFrame:
    """Per system and month (or week) of resolution: tickets resolved and MTTR in hours (mean of resolved −
    opened over the tickets resolved in the period; open tickets are not in it)."""
    if period not in ("week", "month"):
        raise ValueError(f"period must be week or month, not {period!r}")
    start, end = period_bounds(scope)
    dept, dparams = scope.department_clause("department")
    params: list[object] = [period, _end_ts(end)]
    lower = ""
    if start is not None:
        lower = "AND resolved >= ?"
        params.append(dt.datetime.combine(start, dt.time()))
    sql = f"""
        SELECT CAST(date_trunc(?, resolved) AS DATE) AS period, system, count(*) AS resolved,
               avg(date_diff('second', opened, resolved)) / 3600.0 AS mttr_hours
        FROM incidents WHERE resolved IS NOT NULL AND resolved < ? {lower} AND {dept}
        GROUP BY ALL ORDER BY period, system
    """  # noqa: S608
    df = con.execute(sql, [*params, *dparams]).df()
    df["period"] = pd.to_datetime(df["period"])
    return df


def mttr_by_system(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per system over the period: tickets resolved and MTTR in hours."""
    m = mttr(con, scope)
    if m.empty:
        return pd.DataFrame({"system": pd.Series(dtype=object), "resolved": pd.Series(dtype="int64"),
                             "mttr_hours": pd.Series(dtype="float64")})  # fmt: skip
    m["hours"] = m["mttr_hours"] * m["resolved"]
    g = m.groupby("system", as_index=False)[["resolved", "hours"]].sum()
    g["mttr_hours"] = g["hours"] / g["resolved"]
    return g[["system", "resolved", "mttr_hours"]]


def backlog(con: duckdb.DuckDBPyConnection, scope: Scope, period: Period = "week") -> pd.DataFrame:
    """Open tickets per system at the end of each week (or month) of the period: opened before the end and not
    resolved by it (the last, partial week at the period end). Tickets opened before the period still count."""
    if period not in ("week", "month"):
        raise ValueError(f"period must be week or month, not {period!r}")
    start, end = period_bounds(scope)
    end_ts = _end_ts(end)
    dept, dparams = scope.department_clause("department")
    cols = ["period", "system", "open"]
    if start is None:
        row = con.execute(f"SELECT min(opened) FROM incidents WHERE {dept}", dparams).fetchone()  # noqa: S608
        if row is None or row[0] is None:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        first = pd.Timestamp(row[0])
    else:
        first = pd.Timestamp(start)
    lo = first.to_period("W-SUN").start_time if period == "week" else first.to_period("M").start_time
    # a ticket resolved before the first bucket never shows; one opened before it and still open enters there
    sql = f"""
        WITH t AS (
            SELECT system, greatest(opened, $lo) AS opened, resolved FROM incidents
            WHERE opened < $end AND (resolved IS NULL OR resolved >= $lo) AND {dept.replace("?", "$d")}
        ),
        ev AS (
            SELECT system, CAST(date_trunc($unit, opened) AS DATE) AS period, count(*) AS delta FROM t GROUP BY ALL
            UNION ALL
            SELECT system, CAST(date_trunc($unit, resolved) AS DATE), -count(*) FROM t
            WHERE resolved IS NOT NULL AND resolved < $end GROUP BY ALL
        )
        SELECT system, period, sum(delta) AS delta FROM ev GROUP BY ALL ORDER BY system, period
    """  # noqa: S608
    named: dict[str, object] = {"end": end_ts, "unit": period, "lo": lo.to_pydatetime()}
    if dparams:
        named["d"] = dparams[0]
    ev = con.execute(sql, named).df()
    if ev.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    ev["period"] = pd.to_datetime(ev["period"])
    freq = "W-MON" if period == "week" else "MS"
    grid = pd.date_range(lo, pd.Timestamp(end), freq=freq)
    wide = ev.pivot_table(index="period", columns="system", values="delta", aggfunc="sum", fill_value=0)
    wide = wide.reindex(wide.index.union(grid), fill_value=0).sort_index().cumsum().reindex(grid)
    wide.index.name = "period"
    out = wide.reset_index().melt(id_vars="period", var_name="system", value_name="open")
    out["open"] = out["open"].astype("int64")
    return out.sort_values(["system", "period"], kind="stable").reset_index(drop=True)[cols]


# ---------------------------------------------------------------------------------------------- per 1,000 users
RATE_COLUMNS = ["system", "month", "tickets", "active_users", "per_1000"]


def incident_rates(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per system and month: tickets opened, active users (module docstring: Σ usage.active_users over departments
    per usage period, averaged over the month's periods) and tickets per 1,000 active users (NaN without usage)."""
    where, params = _incident_where(scope)
    start, end = period_bounds(scope)
    dept, dparams = scope.department_clause("department")
    uparams: list[object] = [end]
    lower = ""
    if start is not None:
        lower = "AND period >= ?"
        uparams.append(start)
    sql = f"""
        WITH inc AS (
            SELECT system, CAST(date_trunc('month', opened) AS DATE) AS month, count(*) AS tickets
            FROM incidents WHERE {where} GROUP BY ALL
        ),
        per AS (
            SELECT system, period, sum(active_users) AS active FROM usage
            WHERE period <= ? {lower} AND {dept} GROUP BY ALL
        ),
        use AS (
            SELECT system, CAST(date_trunc('month', period) AS DATE) AS month, avg(active) AS active_users
            FROM per GROUP BY ALL
        )
        SELECT coalesce(inc.system, use.system) AS system, coalesce(inc.month, use.month) AS month,
               coalesce(inc.tickets, 0) AS tickets, use.active_users
        FROM inc FULL OUTER JOIN use ON inc.system = use.system AND inc.month = use.month
        ORDER BY system, month
    """  # noqa: S608
    df = con.execute(sql, [*params, *uparams, *dparams]).df()
    df["month"] = pd.to_datetime(df["month"])
    df["tickets"] = df["tickets"].astype("int64")
    df["active_users"] = df["active_users"].astype("float64")
    df["per_1000"] = per_thousand(df["tickets"], df["active_users"])
    return df.reindex(columns=RATE_COLUMNS)


def per_thousand(tickets: pd.Series, active: pd.Series) -> pd.Series:
    """tickets ÷ active users × 1,000; NaN where there are no active users (pure)."""
    a = active.astype("float64")
    return (tickets.astype("float64") / a.where(a > 0) * 1000.0).astype("float64")


def rate_by_system(rates: pd.DataFrame) -> pd.DataFrame:
    """Per system over the months: Σ tickets ÷ Σ monthly active users × 1,000 (per 1,000 user-months), over the
    months that have usage; tickets in months without usage are counted in `no_usage_tickets` (pure)."""
    cols = ["system", "tickets", "user_months", "per_1000", "no_usage_tickets"]
    if rates.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    has = rates["active_users"].notna() & (rates["active_users"] > 0)
    parts = pd.DataFrame(
        {
            "system": rates["system"],
            "tickets": rates["tickets"].where(has, 0),
            "user_months": rates["active_users"].where(has, 0.0),
            "no_usage_tickets": rates["tickets"].where(~has, 0),
        }
    )
    out = parts.groupby("system", sort=True, as_index=False).sum()
    out["per_1000"] = per_thousand(out["tickets"], out["user_months"])
    out["tickets"] = out["tickets"].astype("int64")
    out["no_usage_tickets"] = out["no_usage_tickets"].astype("int64")
    return out[cols]


# ---------------------------------------------------------------------------------------------- inspections
def inspection_completion(con: duckdb.DuckDBPyConnection, scope: Scope, by_month: bool = False) -> pd.DataFrame:
    """Per system (and month of the planned date): inspections planned in the period up to the reference day,
    done (done date on or before the reference day), missed, completion (done ÷ planned), items checked and
    failed on the done ones. Inspections carry no department: the department filter does not apply; the hospital
    filter does."""
    start, end = period_bounds(scope)
    ref = definitions.reference_day(scope)
    hosp, hparams = scope.hospital_clause()
    params: list[object] = [ref, end, *hparams]
    hosp = hosp.replace("?", "$3")  # at most one parameter
    lower = ""
    if start is not None:
        params.append(start)
        lower = f"AND planned_date >= ${len(params)}"
    month = "CAST(date_trunc('month', planned_date) AS DATE) AS month, " if by_month else ""
    sql = f"""
        SELECT {month}system, count(*) AS planned,
               count(*) FILTER (WHERE done_date IS NOT NULL AND done_date <= $1) AS done,
               sum(items_checked) FILTER (WHERE done_date IS NOT NULL AND done_date <= $1) AS items_checked,
               sum(items_failed) FILTER (WHERE done_date IS NOT NULL AND done_date <= $1) AS items_failed
        FROM inspections WHERE planned_date <= $2 AND {hosp} {lower}
        GROUP BY ALL ORDER BY ALL
    """  # noqa: S608
    df = con.execute(sql, params).df()
    for c in ("planned", "done"):
        df[c] = df[c].astype("int64")
    df["missed"] = df["planned"] - df["done"]
    df["completion"] = (df["done"] / df["planned"].where(df["planned"] > 0)).astype("float64")
    df["items_checked"] = df["items_checked"].astype("Int64")
    df["items_failed"] = df["items_failed"].astype("Int64")
    if by_month:
        df["month"] = pd.to_datetime(df["month"])
    return df


# ---------------------------------------------------------------------------------------------- scorecard
SCORE_COLUMNS = ["system", "sla", "incidents", "per_1000", "inspections", "quality", "usage", "score", "light",
                 "components"]  # fmt: skip


def year_scope(scope: Scope, year: int | None = None) -> Scope:
    """The scorecard's window: 1 January of `year` (default: the reference day's) to 31 December or the reference
    day, whichever is earlier."""
    ref = definitions.reference_day(scope)
    y = year or ref.year
    return dataclasses.replace(scope, start=dt.date(y, 1, 1), end=min(dt.date(y, 12, 31), ref))


def usage_rate_by_system(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Usage rate per system over the period (metrics.definitions.usage_rate: Σ active ÷ Σ eligible, rows without
    eligible users left out, as metrics.adoption)."""
    start, end = period_bounds(scope)
    dept, dparams = scope.department_clause("department")
    params: list[object] = [end]
    lower = ""
    if start is not None:
        lower = "AND period >= ?"
        params.append(start)
    sql = f"""
        SELECT system, sum(active_users) FILTER (WHERE eligible_users > 0) AS active,
               sum(eligible_users) FILTER (WHERE eligible_users > 0) AS eligible
        FROM usage WHERE period <= ? {lower} AND {dept} GROUP BY system ORDER BY system
    """  # noqa: S608
    df = con.execute(sql, [*params, *dparams]).df()
    df["rate"] = [definitions.usage_rate(a, e) for a, e in zip(df["active"], df["eligible"], strict=True)]
    df["rate"] = df["rate"].astype("float64")
    return df[["system", "rate"]]


def score_light(score: float) -> str:
    if math.isnan(score):
        return "none"
    return "green" if score >= SCORE_LIGHTS[0] else "amber" if score >= SCORE_LIGHTS[1] else "red"


def composite(components: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """Weighted mean of the components present (not NaN), weights renormalised over them; NaN when none (pure)."""
    w = weights or SCORE_WEIGHTS
    present = {k: v for k, v in components.items() if k in w and not math.isnan(v)}
    total = sum(w[k] for k in present)
    return sum(w[k] * v for k, v in present.items()) / total if total else math.nan


def incident_score(per_1000: float) -> float:
    """1 at no tickets, 0 at INCIDENT_RATE_CEILING tickets per 1,000 active users per month or more (pure)."""
    if math.isnan(per_1000):
        return math.nan
    return max(0.0, 1.0 - per_1000 / INCIDENT_RATE_CEILING)


def scorecard_from(
    sla: pd.DataFrame,
    rates: pd.DataFrame,
    insp: pd.DataFrame,
    usage: pd.DataFrame,
    data_quality: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The scorecard from its parts (pure): `sla` per system × priority (sla_compliance), `rates` per system
    (rate_by_system), `insp` per system (inspection_completion), `usage` per system (usage_rate_by_system),
    `data_quality` per system (metrics.quality.system_quality: system, quality_rate).
    The SLA component pools both clocks over every priority: Σ met ÷ Σ (met + breached)."""
    qual = data_quality if data_quality is not None else pd.DataFrame({"system": [], "quality_rate": []})
    systems = sorted({*sla.get("system", []), *rates.get("system", []), *insp.get("system", []),
                      *usage.get("system", []), *qual.get("system", [])} - {None})  # fmt: skip
    idx = pd.Index(systems, name="system")
    if len(sla):
        g = sla.groupby("system")[["response_met", "resolution_met", "response_breached", "resolution_breached"]].sum()
        met = (g["response_met"] + g["resolution_met"]).astype("float64")
        counted = met + (g["response_breached"] + g["resolution_breached"]).astype("float64")
        sla_share = (met / counted.where(counted > 0)).reindex(idx)
    else:
        sla_share = pd.Series(math.nan, index=idx)

    def column(df: pd.DataFrame, name: str) -> pd.Series:
        if df.empty:
            return pd.Series(math.nan, index=idx, dtype="float64")
        return df.set_index("system")[name].astype("float64").reindex(idx)

    per = column(rates, "per_1000")
    out = pd.DataFrame(
        {
            "sla": sla_share.astype("float64"),
            "incidents": (1.0 - per / INCIDENT_RATE_CEILING).clip(lower=0.0),
            "per_1000": per,
            "inspections": column(insp, "completion"),
            "quality": column(qual, "quality_rate"),
            "usage": column(usage, "rate"),
        },
        index=idx,
    )
    parts = out[list(SCORE_WEIGHTS)]
    weights = pd.Series(SCORE_WEIGHTS)
    present = parts.notna()
    total = present.mul(weights, axis=1).sum(axis=1)
    out["score"] = (parts.fillna(0.0).mul(weights, axis=1).sum(axis=1) / total.where(total > 0)).astype("float64")
    out["light"] = [score_light(float(v)) for v in out["score"]]
    out["components"] = present.sum(axis=1).astype("int64")
    return out.reset_index()[SCORE_COLUMNS]


def health_scorecard(con: duckdb.DuckDBPyConnection, scope: Scope, year: int | None = None) -> pd.DataFrame:
    """The yearly health scorecard per system (year_scope): SLA compliance, incident score (and the rate behind it),
    inspection completion, data quality, usage rate, the composite (SCORE_WEIGHTS renormalised over the components present) and
    its light."""
    ys = year_scope(scope, year)
    return scorecard_from(
        sla_compliance(con, ys),
        rate_by_system(incident_rates(con, ys)),
        inspection_completion(con, ys),
        usage_rate_by_system(con, ys),
        quality.system_quality(con, ys),
    )


# ---------------------------------------------------------------------------------------------- the overview
def breaches_in_week(con: duckdb.DuckDBPyConnection, scope: Scope, week_end: dt.date) -> pd.DataFrame:
    """Per system: tickets whose resolution clock ran past its target in the seven days ending `week_end` (the
    moment opened + target falls in the week and the ticket was not resolved by then; never later than the data
    horizon), the P1s among them, and `before`: the same count for the week before (one scan for both weeks)."""
    targets, tparams = _targets_sql()
    dept, dparams = scope.department_clause("i.department")
    horizon = data_horizon(con, scope)

    def cut(ts: dt.datetime) -> dt.datetime:
        return min(ts, horizon) if horizon is not None else ts

    hi = cut(_end_ts(week_end))
    mid = cut(_end_ts(week_end) - dt.timedelta(days=7))
    lo = _end_ts(week_end) - dt.timedelta(days=14)
    sql = f"""
        WITH t AS (
            SELECT i.system, i.priority, epoch_us(i.opened) + CAST(g.res_min * 60e6 AS BIGINT) AS due,
                   epoch_us(i.resolved) AS r
            FROM incidents i JOIN {targets} g ON g.priority = i.priority
            WHERE i.opened < ? AND {dept}
        )
        SELECT system,
               count(*) FILTER (WHERE due >= epoch_us(?::TIMESTAMP)) AS breaches,
               count(*) FILTER (WHERE due >= epoch_us(?::TIMESTAMP) AND priority = 'P1') AS p1,
               count(*) FILTER (WHERE due < epoch_us(?::TIMESTAMP)) AS before
        FROM t
        WHERE due >= epoch_us(?::TIMESTAMP) AND due < epoch_us(?::TIMESTAMP) AND (r IS NULL OR r > due)
          AND (due >= epoch_us(?::TIMESTAMP) OR due < epoch_us(?::TIMESTAMP))
        GROUP BY system ORDER BY system
    """  # noqa: S608
    week_lo = _end_ts(week_end) - dt.timedelta(days=7)
    params = [*tparams, hi, *dparams, week_lo, week_lo, mid, lo, hi, week_lo, mid]
    df = con.execute(sql, params).df()
    for c in ("breaches", "p1", "before"):
        df[c] = df[c].astype("int64")
    return df


def overview_changes(con: duckdb.DuckDBPyConnection, scope: Scope, week: dt.date) -> list[dict[str, object]]:
    """ "What changed" rows (metrics.overview._change shape, kind sla_breach): per system, the tickets that breached
    their resolution SLA in the week ending `week`, with the week before for comparison."""
    from metrics import overview  # the overview imports this module's caller lines, not the reverse at import

    rows = []
    for r in breaches_in_week(con, scope, week).to_dict("records"):
        n = int(r["breaches"])
        if n > 0:
            rows.append(overview._change("sla_breach", None, str(r["system"]), int(r["before"]), n, n, week, {}))
    return rows


def overview_decisions(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, object]]:
    """Decision rows (metrics.overview.DECISION_COLUMNS, kind sla_breach): P1 tickets unresolved at the week and
    past their resolution target; age in days since opened, due = when the target ran out."""
    today = definitions.reference_day(scope)
    week = dataclasses.replace(scope, start=None, end=today)
    out: list[dict[str, object]] = []
    for r in open_breaches(con, week, ("P1",)).to_dict("records"):
        opened = pd.Timestamp(r["opened"]).to_pydatetime()
        due = opened + dt.timedelta(minutes=float(r["target_min"]))
        out.append({"kind": "sla_breach", "project": None, "id": r["ticket_id"],
                    "title": f"{r['system']}：{r['title'] or ''}".rstrip("："), "age_days": (today - opened.date()).days,
                    "cost_impact": None, "schedule_impact_days": None, "due": due.date()})  # fmt: skip
    return out


def sla_totals(sla: pd.DataFrame) -> dict[str, float | None]:
    """Programme-wide figures from `sla_compliance` rows (pure): tickets, tickets without a response time, and each
    clock's compliance pooled over systems and priorities (Σ met ÷ Σ (met + breached))."""
    out: dict[str, float | None] = {
        "tickets": float(sla["tickets"].sum()),
        "no_response": float(sla["no_response"].sum()),
    }
    for clock in CLOCKS:
        met, breached = int(sla[f"{clock}_met"].sum()), int(sla[f"{clock}_breached"].sum())
        out[f"{clock}_compliance"] = definitions.sla_compliance(met, breached)
        out[f"{clock}_breached"] = float(breached)
    return out


def completion_total(insp: pd.DataFrame) -> float | None:
    """Inspection completion over every system: Σ done ÷ Σ planned (pure); None when nothing was planned."""
    planned = int(insp["planned"].sum()) if len(insp) else 0
    return int(insp["done"].sum()) / planned if planned else None
