"""Adoption: usage rate (active ÷ eligible users) per department × system, rankings, heatmap, roll-out and trends.

Rates are aggregated in DuckDB (Σactive ÷ Σeligible, never a mean of ratios); ranking and matching are pure
functions over small frames so tests can feed hand-made data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from loaders import settings, store
from metrics import readiness, targets
from metrics.scope import Scope

Period = Literal["week", "month"]
# Per-system settings come as a dict, or as a tuple of (system, value) pairs so they stay hashable for the
# page cache (pages/components/store.load).
Target = float | Mapping[str, float] | Sequence[tuple[str, float]] | None
Weights = Mapping[str, float] | Sequence[tuple[str, float]] | None


def per_system(values: Mapping[str, float] | Sequence[tuple[str, float]] | None) -> dict[str, float] | None:
    if values is None:
        return None
    pairs = values.items() if isinstance(values, Mapping) else values
    return {str(k): float(v) for k, v in pairs}


# date_trunc parts we allow; the part is a bound parameter, this only refuses anything else early.
PERIODS: tuple[str, ...] = ("week", "month")
BOTTOM_N = 3  # how many of the lowest-ranked departments the ranking highlights
# Colours follow the target: on or above it green, up to NEAR_TARGET (absolute, 10 percentage points) below it
# amber, further below red. Being in the bottom N is marked apart (an outline), never by colour alone, so a
# department at 86 % against an 80 % target is green even when it ranks last.
NEAR_TARGET = 0.10
STATUSES: tuple[str, ...] = ("green", "amber", "red", "none")
PHASES: tuple[str, ...] = ("live", "pilot", "planned", "none")

# Rule for rows without a denominator: a row whose eligible_users is NULL, 0 (or negative) says nothing about
# a rate. It is left out of every rate (numerator and denominator alike) and counted in `no_eligible_rows`.
_RATE_SUMS = """
    sum(active_users) FILTER (WHERE eligible_users > 0) AS active,
    sum(eligible_users) FILTER (WHERE eligible_users > 0) AS eligible,
    count(*) FILTER (WHERE eligible_users IS NULL OR eligible_users <= 0) AS no_eligible_rows,
    count(*) AS rows
"""


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, not {period!r}")


def anonymous_setting() -> bool:
    """Whether department heads see other departments' names (setting `anonymous`, env COCKPIT_ANONYMOUS)."""
    return settings.get("anonymous").strip().lower() in ("1", "true", "yes", "on")


def default_target() -> float:
    return settings.get_float("usage_target")


def target_for(target: Target, system: str | None) -> float:
    """The usage target of one system: a float for all, or a dict per system (missing systems get the default)."""
    if target is None:
        return default_target()
    if isinstance(target, int | float):
        return float(target)
    table = per_system(target) or {}
    return table[system] if system is not None and system in table else default_target()


def _usage_where(scope: Scope, system: str | None = None) -> tuple[str, list[object]]:
    """The usage filter of a scope. Usage rows carry no project, so the project filter does not apply to them."""
    parts: list[str] = []
    params: list[object] = []
    sql, p = scope.department_clause("department")
    parts.append(sql)
    params += p
    sql, p = scope.date_clause("period")
    parts.append(sql)
    params += p
    if scope.as_of is not None:
        parts.append("period <= ?")
        params.append(scope.as_of)
    if system is not None:
        parts.append("system = ?")
        params.append(system)
    return " AND ".join(parts) or "TRUE", params


def _usage_filter(scope: Scope, system: str | None = None) -> tuple[str, list[object]]:
    """The usage filter of a scope without its dates (department, hospital, system): it applies to the rows and
    to the rollups alike."""
    sql, params = scope.department_clause("department")
    if system is not None:
        return f"{sql} AND system = ?", [*params, system]
    return sql, list(params)


def _bucket_start(day: dt.date, period: Period) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)


def _bucket_end(day: dt.date, period: Period) -> dt.date:
    start = _bucket_start(day, period)
    if period == "week":
        return start + dt.timedelta(days=6)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def rollups_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store's usage rollups match its data version (see loaders/store/rollups.py)."""
    try:
        rows = con.execute(
            "SELECT key, value FROM store_meta WHERE key IN ('data_version', 'usage_rollup_version')"
        ).fetchall()
    except duckdb.Error:
        return False
    marks = {str(k): str(v) for k, v in rows}
    return "usage_rollup_version" in marks and marks["usage_rollup_version"] == marks.get("data_version")


USE_ROLLUPS = True  # tests switch it off to compare with the plain aggregation of the rows


@dataclass(frozen=True)
class _Plan:
    """How a date window reads the usage: `rollups` False = the rows alone, within `lo`..`hi`; else whole buckets
    from the rollups (`whole` conditions on their period, with `whole_params`) and the cut `edges` from the rows."""

    rollups: bool
    lo: dt.date | None
    hi: dt.date | None
    whole: str = "TRUE"
    whole_params: tuple[object, ...] = ()
    edges: tuple[tuple[dt.date, dt.date], ...] = ()


def _plan(con: duckdb.DuckDBPyConnection, scope: Scope, period: Period, since: dt.date | None = None) -> _Plan:
    lows = [d for d in (scope.start, since) if d is not None]
    highs = [d for d in (scope.end, scope.as_of) if d is not None]
    lo, hi = (max(lows) if lows else None), (min(highs) if highs else None)
    grouped = getattr(scope, "hospitals", None) is not None  # a hospital group's store keeps no rollups
    if grouped or not (USE_ROLLUPS and rollups_current(con)):
        return _Plan(False, lo, hi)
    first = lo if lo is None or lo == _bucket_start(lo, period) else _bucket_end(lo, period) + dt.timedelta(days=1)
    last = hi if hi is None or hi == _bucket_end(hi, period) else _bucket_start(hi, period) - dt.timedelta(days=1)
    edges: list[tuple[dt.date, dt.date]] = []
    whole: list[str] = []
    whole_params: list[object] = []
    if first is not None and last is not None and first > last:  # the window lies inside one bucket
        whole.append("FALSE")
        assert lo is not None and hi is not None
        edges.append((lo, hi))
    else:
        if first is not None:
            whole.append("period >= ?")
            whole_params.append(first)
            if lo is not None and lo < first:
                edges.append((lo, first - dt.timedelta(days=1)))
        if last is not None:
            whole.append("period <= ?")
            whole_params.append(_bucket_start(last, period))
            if hi is not None and hi > last:
                edges.append((last + dt.timedelta(days=1), hi))
    return _Plan(True, lo, hi, " AND ".join(whole) or "TRUE", tuple(whole_params), tuple(edges))


def _row_source(plan: _Plan, period: Period, base: str, base_params: list[object]) -> tuple[str, list[object]]:
    """The rows' aggregate by bucket: the window lo..hi (rows alone) or its cut edges (with rollups)."""
    if not plan.rollups:
        days = " AND ".join([*(["period >= ?"] if plan.lo else []), *(["period <= ?"] if plan.hi else [])]) or "TRUE"
        bounds: list[object] = [*([plan.lo] if plan.lo else []), *([plan.hi] if plan.hi else [])]
    else:
        days = "(" + (" OR ".join("period BETWEEN ? AND ?" for _ in plan.edges) or "FALSE") + ")"
        bounds = [d for edge in plan.edges for d in edge]
    sql = f"""SELECT date_trunc(?, period)::DATE AS period, department, system, {_RATE_SUMS}, max(period) AS last_day
              FROM usage WHERE {base} AND {days} GROUP BY ALL"""  # noqa: S608
    return sql, [period, *base_params, *bounds]


def _source(
    con: duckdb.DuckDBPyConnection, scope: Scope, period: Period, system: str | None = None,
    since: dt.date | None = None,
) -> tuple[str, list[object]]:  # fmt: skip
    """A subquery with one row per period (the week's or month's first day), department and system in scope:
    active, eligible (the sums over rows with eligible users), no_eligible_rows, rows, last_day (newest row) —
    the usage rows' aggregate by period, rows from `since` on. Whole weeks or months inside the date window come
    from the rollups (when current), the partial ones at the window's edges from the rows; the sums are integers,
    so both ways give the same figures."""
    base, base_params = _usage_filter(scope, system)
    plan = _plan(con, scope, period, since)
    if not plan.rollups:
        return _row_source(plan, period, base, base_params)
    sql = f"""SELECT period, department, system, active, eligible, no_eligible_rows, rows, last_day FROM usage_rollup
              WHERE grain = ? AND {base} AND {plan.whole}"""  # noqa: S608
    params: list[object] = [period, *base_params, *plan.whole_params]
    if plan.edges:  # buckets cut by the window, disjoint from the whole ones: each key stays one row
        edge_sql, edge_params = _row_source(plan, period, base, base_params)
        sql, params = f"{sql} UNION ALL {edge_sql}", [*params, *edge_params]
    return sql, params


def _finish_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Rate, and the data-quality flags, from summed active/eligible (rates above 100 % are kept and flagged)."""
    df["active"] = df["active"].astype("Float64")
    df["eligible"] = df["eligible"].astype("Float64")
    rate = (df["active"] / df["eligible"]).astype("float64")
    df["rate"] = rate
    df["over_100"] = rate.gt(1.0).fillna(False).astype(bool)
    df["no_eligible_rows"] = df["no_eligible_rows"].astype("int64")
    if "period" in df.columns:
        df["period"] = pd.to_datetime(df["period"])
    return df


# ------------------------------------------------------------------ rates


def usage_rates(
    con: duckdb.DuckDBPyConnection, scope: Scope, period: Period = "week", system: str | None = None
) -> pd.DataFrame:
    """Usage rate per period (week or month start) × department × system, with the no-eligible and >100 % flags."""
    _check_period(period)
    src, params = _source(con, scope, period, system)
    sql = f"""
        SELECT period, department, system, active, eligible, no_eligible_rows, rows
        FROM ({src}) ORDER BY period, department, system
    """  # noqa: S608
    return _finish_rates(con.execute(sql, params).df())


# How far back from the newest usage row the "latest" and "previous" periods are looked for. A window with
# constant bounds lets DuckDB skip old row groups (zone maps), which keeps rankings fast at 10M rows; a system
# with no usage in the last year counts as not reporting.
RECENT_DAYS = 400


def _window_start(con: duckdb.DuckDBPyConnection, scope: Scope, system: str | None) -> dt.date | None:
    src, params = _source(con, scope, "week", system)
    row = con.execute(f"SELECT max(last_day) FROM ({src})", params).fetchone()  # noqa: S608
    if row is None or row[0] is None:
        return None
    return pd.Timestamp(row[0]).date() - dt.timedelta(days=RECENT_DAYS)


def _recent_rates(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    period: Period,
    system: str | None,
    *,
    per_system: bool,
) -> pd.DataFrame:
    """Rates of the latest two periods only (each system's own latest two when per_system) — the ranking's input.

    Columns: period, department, system, latest, previous, active, eligible, no_eligible_rows, rows, rate, over_100.
    """
    _check_period(period)
    group = "system" if per_system else "''"  # our own fragment: partition the "latest" per system or globally
    since = _window_start(con, scope, system)
    cuts: list[tuple[object, ...]] = []
    if since is not None:
        # first the latest two buckets of each partition with data on or after `since`, from whole buckets (a
        # bucket has rows on or after a day exactly when its newest row is): no row is read for since's bucket
        src, params = _source(con, scope, period, system, _bucket_start(since, period))
        cuts = con.execute(
            f"""WITH b AS (SELECT g, p, dense_rank() OVER (PARTITION BY g ORDER BY p DESC) AS k
                           FROM (SELECT DISTINCT {group} AS g, period AS p FROM ({src}) WHERE last_day >= ?))
                SELECT g, max(p) FILTER (WHERE k = 1), coalesce(max(p) FILTER (WHERE k = 2), max(p))
                FROM b WHERE k <= 2 GROUP BY g""",  # noqa: S608
            [*params, since],
        ).fetchall()
    # then the sums of those buckets only: a window that starts at the earliest of them reads no older bucket
    lo = since
    if cuts:
        earliest = min(pd.Timestamp(str(c[2])).date() for c in cuts)
        lo = max(since, earliest) if since is not None else earliest
    src, params = _source(con, scope, period, system, lo)
    if not cuts:
        src = f"SELECT * FROM ({src}) WHERE FALSE"  # noqa: S608
    sql = f"""
        WITH f AS (
            SELECT department, system, active, eligible, no_eligible_rows, rows, {group} AS g, period AS p
            FROM ({src})
        ),
        cut AS (SELECT unnest(?::VARCHAR[]) AS g, unnest(?::DATE[]) AS p1, unnest(?::DATE[]) AS p0)
        SELECT f.p AS period, f.department, f.system, cut.p1 AS latest, cut.p0 AS previous, active, eligible,
               no_eligible_rows::BIGINT AS no_eligible_rows, rows::BIGINT AS rows
        FROM f JOIN cut ON f.g = cut.g AND (f.p = cut.p1 OR f.p = cut.p0)
        ORDER BY period, department, system
    """  # noqa: S608 (one row per bucket, department and system already: the whole buckets and the cut edges are disjoint)
    params += [[str(c[0]) for c in cuts], [c[1] for c in cuts], [c[2] for c in cuts]]
    df = _finish_rates(con.execute(sql, params).df())
    df["latest"] = pd.to_datetime(df["latest"])
    df["previous"] = pd.to_datetime(df["previous"])
    return df


# ------------------------------------------------------------------ pure ranking helpers


def combine_systems(rates: pd.DataFrame, weights: Weights = None) -> pd.DataFrame:
    """Weighted mean of per-system rates per department (and period when present).

    Only systems with a rate count; a system missing from `weights` weighs 1, weight 0 leaves it out. The
    per-system rates are themselves Σactive ÷ Σeligible; the mean across systems is by weight, not by users, so a
    large system does not drown a small one.
    """
    keys = [c for c in ("period", "department") if c in rates.columns]
    codes = rates.groupby(keys, sort=False).ngroup().to_numpy()  # groups numbered in order of appearance
    firsts = np.unique(codes, return_index=True)[1] if len(codes) else np.array([], dtype="int64")
    rate = rates["rate"].to_numpy(dtype="float64", na_value=np.nan)
    table = per_system(weights) or {}
    w = rates["system"].map(table).astype("float64").fillna(1.0).to_numpy(dtype="float64") if table else None
    w = np.ones(len(rates)) if w is None else w
    ok = ~np.isnan(rate)
    w_sum = np.bincount(codes[ok], weights=w[ok], minlength=len(firsts))
    wr_sum = np.bincount(codes[ok], weights=(w * rate)[ok], minlength=len(firsts))
    out = rates[keys].iloc[firsts].reset_index(drop=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["rate"] = np.where(w_sum > 0, wr_sum / np.where(w_sum > 0, w_sum, 1.0), np.nan)
    return out


def rank_rates(rates: pd.Series) -> pd.Series:
    """Rank 1 = highest rate; ties share the best rank ("min": 0.9, 0.9, 0.8 → 1, 1, 3); no rate → no rank."""
    rounded = rates.astype("float64").round(12)  # weighted means of equal rates may differ in the last bits
    return rounded.rank(method="min", ascending=False, na_option="keep").astype("Int64")


def movement(change: object) -> str:
    """A rank change as the page shows it: ▲2 (moved up two places), ▼1, – (same), "" (not ranked before)."""
    if change is None or change is pd.NA or (isinstance(change, float) and math.isnan(change)):
        return ""
    n = int(change)  # type: ignore[call-overload]
    return f"▲{n}" if n > 0 else f"▼{-n}" if n < 0 else "–"


def rank_change(current: pd.Series, previous: pd.Series) -> pd.Series:
    """Places moved up since the previous period (positive = up), per index label; NA when not ranked before."""
    prev = previous.reindex(current.index)
    return (prev.astype("Int64") - current.astype("Int64")).astype("Int64")


def ranking_table(
    current: pd.DataFrame, previous: pd.DataFrame | None, target: float, bottom_n: int = BOTTOM_N
) -> pd.DataFrame:
    """The ranking from frames of (department, rate[, active, eligible, no_eligible_rows, over_100]).

    gap = rate − target (negative = short of target). `bottom` marks the `bottom_n` lowest rates (ties alike), and
    only when more than `bottom_n` departments are ranked, so a hospital of three departments has no "bottom".
    """
    df = current.copy().reset_index(drop=True)
    df["rank"] = rank_rates(df["rate"])
    ranks = df.set_index("department")["rank"]
    if previous is not None and len(previous):
        prev = previous.set_index("department")["rate"]
        prev_rank = rank_rates(prev)
        df["previous_rate"] = df["department"].map(prev).astype("float64")
        df["previous_rank"] = df["department"].map(prev_rank).astype("Int64")
        df["rank_change"] = rank_change(ranks, prev_rank).array
    else:
        df["previous_rate"] = float("nan")
        df["previous_rank"] = pd.array([pd.NA] * len(df), dtype="Int64")
        df["rank_change"] = pd.array([pd.NA] * len(df), dtype="Int64")
    df["movement"] = [movement(c) for c in df["rank_change"]]
    df["target"] = float(target)
    df["gap"] = df["rate"].astype("float64") - float(target)
    df["below_target"] = df["rate"].lt(target).fillna(False).astype(bool)
    ranked = df["rate"].notna()
    from_bottom = df["rate"].astype("float64").round(12).rank(method="min", ascending=True, na_option="keep")
    df["bottom"] = (from_bottom.le(bottom_n) & ranked & (int(ranked.sum()) > bottom_n)).fillna(False).astype(bool)
    df["no_eligible"] = ~ranked
    df["status"] = [rate_status(r, float(target)) for r in df["rate"]]
    df["n_ranked"] = int(ranked.sum())
    df = df.sort_values(["rank", "department"], na_position="last", kind="stable").reset_index(drop=True)
    return df


def rate_status(rate: object, target: float, near: float = NEAR_TARGET) -> str:
    """green (rate >= target), amber (less than `near` below it), red (further below), none (no rate)."""
    if rate is None or rate is pd.NA or (isinstance(rate, float) and math.isnan(rate)):
        return "none"
    r = round(float(rate), 12)  # type: ignore[arg-type]
    if r >= target - 1e-12:
        return "green"
    return "amber" if r >= target - near - 1e-12 else "red"


def mask_departments(df: pd.DataFrame, visible: Sequence[str], order: str | None = None) -> pd.DataFrame:
    """Departments other than `visible` renamed to codes "#01", "#02"… in the order of column `order` (best
    first) or of the rows: the anonymity setting shows where others stand, never who they are."""
    out = df.copy()
    if out.empty:
        return out
    keep = set(visible)
    names = out["department"].astype(str)
    others = names[~names.isin(keep)]
    if order is not None:
        ranked = out.loc[others.index].sort_values(order, ascending=False, na_position="last", kind="stable")
        others = ranked["department"].astype(str)
    codes: dict[str, str] = {}
    for name in others:
        codes.setdefault(name, f"#{len(codes) + 1:02d}")
    out["department"] = [codes.get(str(d), str(d)) for d in out["department"]]
    return out


LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "phase": {"live": ("已上线", "Live"), "pilot": ("试点", "Pilot"), "planned": ("计划中", "Planned"),
              "none": ("未计划", "Not planned")},
    "issue": {"over_100": ("使用率超过 100%", "Rate above 100 %"),
              "no_eligible": ("没有应用人数", "No eligible users")},
}  # fmt: skip


def labelled(df: pd.DataFrame, column: str, lang: str) -> pd.DataFrame:
    """The frame with `<column>_label`: the code of `column` (phase, issue) in words in `lang`."""
    out = df.copy()
    table = LABELS[column]
    words = [table[str(v)][0 if lang == "zh" else 1] if str(v) in table else v for v in out[column]]
    out[f"{column}_label"] = pd.Series(words, index=out.index, dtype=object)
    return out


def combined_target(target: Target, systems: Sequence[str], weights: Weights) -> float:
    """The target of the weighted mean across systems: the same weighted mean of the per-system targets."""
    if not systems:
        return target_for(target, None)
    table = per_system(weights) or {}
    w = [table.get(s, 1.0) for s in systems]
    total = sum(w)
    if total <= 0:
        return target_for(target, None)
    return sum(wi * target_for(target, s) for wi, s in zip(w, systems, strict=True)) / total


# ------------------------------------------------------------------ ranking


_RANK_COLUMNS = [
    "department",
    "rate",
    "rank",
    "rank_change",
    "movement",
    "previous_rank",
    "previous_rate",
    "target",
    "gap",
    "below_target",
    "bottom",
    "status",
    "n_ranked",
    "no_eligible",
    "over_100",
    "active",
    "eligible",
    "no_eligible_rows",
    "period",
    "previous_period",
]


def _sum_by_department(rows: pd.DataFrame) -> pd.DataFrame:
    if rows["department"].is_unique:  # one system: SQL already summed per department
        return rows[["department", "active", "eligible", "no_eligible_rows"]].reset_index(drop=True)
    g = rows.groupby("department", as_index=False)[["active", "eligible", "no_eligible_rows"]].sum(min_count=1)
    g["no_eligible_rows"] = g["no_eligible_rows"].fillna(0).astype("int64")
    return g


def usage_ranking(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    system: str | None = None,
    period: Period = "week",
    weights: Weights = None,
    target: Target = None,
    bottom_n: int = BOTTOM_N,
    *,
    compare: Sequence[str] | None = None,
    anonymous: bool = False,
    visible: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Departments ranked by usage rate in the latest period, for one system or the weighted mean across systems.

    A rank is always among every department the user may compare against (`compare`; None = all departments),
    whatever the department filter: the filter only chooses which rows come back, so a department that is 30th
    of 30 stays 30th when it is filtered alone (`n_ranked` = 30). With `anonymous`, departments outside `visible`
    (default: the department filter) are named by codes (mask_departments). `status` colours each rate against
    its target (rate_status).

    Columns: department, rate, rank, rank_change (+ = moved up since the previous period), previous_rank,
    previous_rate, target, gap (rate − target), below_target, bottom, no_eligible, over_100, active, eligible
    (one system only; NaN for the mean), no_eligible_rows, period, previous_period, movement (▲2/▼1/–).
    `target` is a float, a dict per system, or None for the `usage_target` setting.
    """
    in_force = targets.usage_targets(con, scope.as_of, scope.one_hospital()) if target is None else None
    if in_force is not None:  # the targets dataset in force at the as-of week (issue 15)
        target = in_force.by_system
    ranked_scope = dataclasses.replace(scope, departments=tuple(compare) if compare is not None else None)
    recent = _recent_rates(con, ranked_scope, period, system, per_system=False)
    if recent.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in _RANK_COLUMNS})
    latest = recent["latest"].iloc[0]
    prev_p = recent["previous"].iloc[0]
    cur_rows = recent[recent["period"] == latest]
    prev_rows = recent[(recent["period"] == prev_p) & (prev_p != latest)]
    if system is not None:
        cur = _finish_rates(_sum_by_department(cur_rows))
        prev = _finish_rates(_sum_by_department(prev_rows)) if len(prev_rows) else None
        tgt = target_for(target, system)
    else:
        cur = combine_systems(cur_rows, weights)
        flags = cur_rows.groupby("department", as_index=False).agg(
            no_eligible_rows=("no_eligible_rows", "sum"), over_100=("over_100", "any")
        )
        cur = cur.merge(flags, on="department", how="left")
        cur["active"] = float("nan")
        cur["eligible"] = float("nan")
        prev = combine_systems(prev_rows, weights) if len(prev_rows) else None
        systems = sorted(str(s) for s in cur_rows["system"].unique())
        tgt = combined_target(target, systems, weights)
    table = ranking_table(cur, prev, tgt, bottom_n)
    if in_force is not None and system is not None and in_force.by_system_department:
        # a department with its own target in the targets dataset is held to it (metrics.definitions)
        table["target"] = [in_force.target(system, str(d)) for d in table["department"]]
        table["gap"] = table["rate"].astype("float64") - table["target"]
        table["below_target"] = table["rate"].lt(table["target"]).fillna(False).astype(bool)
    table["period"] = latest
    table["previous_period"] = prev_p if prev_p != latest else pd.NaT
    table["period"] = pd.to_datetime(table["period"])
    table["previous_period"] = pd.to_datetime(table["previous_period"])
    if scope.departments is not None:
        table = table[table["department"].isin(scope.departments)].reset_index(drop=True)
    if anonymous:
        table = mask_departments(table, visible if visible is not None else scope.departments or (), "rate")
    return table[_RANK_COLUMNS]


# ------------------------------------------------------------------ heatmap, warnings


def rate_matrix(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    period: Period = "week",
    target: Target = None,
    *,
    anonymous: bool = False,
    visible: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Department × system rate in each system's latest period (long form: period, department, system, rate,
    target, status…). With `anonymous`, departments outside `visible` (default: the department filter) are codes
    numbered by their mean rate, best first."""
    recent = _recent_rates(con, scope, period, None, per_system=True)
    latest = recent[recent["period"] == recent["latest"]]
    cols = ["period", "department", "system", "active", "eligible", "no_eligible_rows", "rows", "rate", "over_100"]
    out = latest[cols].sort_values(["department", "system"]).reset_index(drop=True)
    out["target"] = [target_for(target, str(x)) for x in out["system"]]
    out["status"] = [rate_status(r, g) for r, g in zip(out["rate"], out["target"], strict=True)]
    if anonymous and len(out):
        mean = out.groupby("department")["rate"].transform("mean")
        out = mask_departments(
            out.assign(_mean=mean), visible if visible is not None else scope.departments or (), "_mean"
        )
        out = out.drop(columns="_mean").sort_values(["department", "system"]).reset_index(drop=True)
    return out


def usage_warnings(con: duckdb.DuckDBPyConnection, scope: Scope, period: Period = "week") -> pd.DataFrame:
    """Data warnings per period × department × system: rate above 100 %, or rows without eligible users."""
    _check_period(period)
    src, params = _source(con, scope, period)
    sql = f"""
        SELECT period, department, system, active, eligible, no_eligible_rows, rows FROM ({src})
        WHERE no_eligible_rows > 0 OR active > eligible
        ORDER BY period DESC, department, system
    """  # noqa: S608
    df = _finish_rates(con.execute(sql, params).df())
    df["issue"] = ["over_100" if o else "no_eligible" for o in df["over_100"]]
    return df


# ------------------------------------------------------------------ roll-out matrix

# Matching rule of plan milestones to (department, system, phase), documented for the PMO:
# - a task counts when it is a milestone (is_milestone, or zero duration / start = finish when the flag is empty)
#   and not a gate or review ("评审", "验收", "演练", "review", "rehearsal": a go-live review is not a go-live);
# - its system: the system's name appears in the task name (case-insensitive), else in the project name, so
#   "急诊科试点上线" in project "EMR 电子病历" belongs to EMR; when several systems match, the longest name wins;
# - its phase: "试点"/"pilot" → pilot; otherwise "上线"/"go-live"/"go live"/"golive"/"切换"/"投产" → live;
#   anything else is not a roll-out milestone;
# - its departments: every known department named in the task name (a name that only appears inside a longer
#   matched name, 内科 in 神经内科, does not count); none named, or "全院"/"hospital-wide"/"all departments"
#   → for a live milestone, every department that reports usage of that system in the last RECENT_DAYS of
#   data (every department when none does yet); a pilot naming no department is ignored;
# - its date: finish (start when finish is empty); it is done when percent_complete ≥ 100, or, without a
#   percentage, when the date is on or before today (scope.today);
# - per department × system: phase = live when a live milestone is done, else pilot when a pilot is done, else
#   planned when any milestone is waiting, else none; pilot_date / live_date are the earliest matching dates,
#   go_live = the earliest of the two (the day the department started using the system).
PILOT_WORDS = ("试点", "pilot")
LIVE_WORDS = ("上线", "go-live", "go live", "golive", "切换", "投产")
ALL_WORDS = ("全院", "hospital-wide", "hospital wide", "all departments")
NOT_GO_LIVE_WORDS = ("评审", "验收", "演练", "review", "rehearsal")

_ROLLOUT_COLUMNS = ["department", "system", "phase", "pilot_date", "live_date", "go_live", "pilot", "milestone"]


def milestone_phase(name: str) -> str | None:
    low = name.lower()
    if any(w in low for w in PILOT_WORDS):
        return "pilot"
    if any(w in low for w in LIVE_WORDS):
        return "live"
    return None


def named_departments(name: str, departments: Sequence[str]) -> list[str]:
    """Departments named in a task name; a name only found inside a longer matched name does not count."""
    found = [d for d in departments if d and d in name]
    keep: list[str] = []
    for d in found:
        longer = [o for o in found if o != d and d in o]
        rest = name
        for o in sorted(longer, key=len, reverse=True):
            rest = rest.replace(o, "")
        if d in rest:
            keep.append(d)
    return keep


def milestone_system(name: str, project: str, systems: Sequence[str]) -> str | None:
    for text in (name.lower(), project.lower()):
        hits = [s for s in systems if s and s.lower() in text]
        if hits:
            return max(hits, key=len)
    return None


def match_rollout(
    milestones: pd.DataFrame,
    departments: Sequence[str],
    systems: Sequence[str],
    today: dt.date,
    users: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Roll-out matrix from milestone rows (project, name, date, percent_complete[, is_gate]) — pure, see the
    rule above. `users`: the departments that report usage per system (hospital-wide milestones cover those)."""
    events: list[dict[str, object]] = []
    for row in milestones.to_dict("records"):
        name = "" if pd.isna(row["name"]) else str(row["name"])
        project = "" if pd.isna(row["project"]) else str(row["project"])
        low = name.lower()
        gate = row.get("is_gate")
        if (gate is not None and not pd.isna(gate) and bool(gate)) or any(w in low for w in NOT_GO_LIVE_WORDS):
            continue
        phase = milestone_phase(name)
        system = milestone_system(name, project, systems)
        when = row["date"]
        if phase is None or system is None or pd.isna(when):
            continue
        when_d = pd.Timestamp(when).date()
        depts = named_departments(name, departments)
        if not depts or any(w in low for w in ALL_WORDS):
            if phase == "pilot" and not any(w in low for w in ALL_WORDS):
                continue
            using = set((users or {}).get(system, ()))
            depts = [d for d in departments if d in using] if using else list(departments)
        pc = row["percent_complete"]
        done = bool(pc >= 100) if not pd.isna(pc) else when_d <= today
        for d in depts:
            events.append(
                {"department": d, "system": system, "phase": phase, "date": when_d, "done": done, "name": name}
            )
    by_pair: dict[tuple[str, str], list[dict[str, object]]] = {}
    for e in events:
        by_pair.setdefault((str(e["department"]), str(e["system"])), []).append(e)
    none_row: tuple[object, ...] = ("none", None, None, None, False, None)  # a pair without milestones
    filled: dict[tuple[str, str], tuple[object, ...]] = {}
    for pair, found in by_pair.items():
        evs = sorted(found, key=lambda e: e["date"])  # type: ignore[arg-type,return-value]
        pilots = [e for e in evs if e["phase"] == "pilot"]
        lives = [e for e in evs if e["phase"] == "live"]
        pilot_date = pilots[0]["date"] if pilots else None
        live_date = lives[0]["date"] if lives else None
        if any(e["done"] for e in lives):
            phase = "live"
        elif any(e["done"] for e in pilots):
            phase = "pilot"
        else:
            phase = "planned"
        filled[pair] = (phase, pilot_date, live_date, evs[0]["date"], pilot_date is not None, evs[0]["name"])
    keys = [(d, s) for d in departments for s in systems]
    rows = [filled.get(k, none_row) for k in keys]
    out = {"department": [k[0] for k in keys], "system": [k[1] for k in keys]}
    for i, c in enumerate(_ROLLOUT_COLUMNS[2:]):
        out[c] = [r[i] for r in rows]  # type: ignore[misc]
    if not keys:  # the columns an empty matrix had when built from records
        out = {c: pd.Series(dtype=object) for c in _ROLLOUT_COLUMNS}  # type: ignore[misc]
    res = pd.DataFrame(out, columns=_ROLLOUT_COLUMNS)
    res["pilot"] = res["pilot"].astype(bool)
    for c in ("pilot_date", "live_date", "go_live"):
        res[c] = pd.to_datetime(res[c])
    return res


def _milestones(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    proj, params = scope.project_clause("project")
    cond = f"""{proj} AND (is_milestone OR (is_milestone IS NULL AND (duration_days = 0 OR start = finish)))"""
    cols = "project, name, coalesce(finish, start) AS date, percent_complete, is_gate"
    if scope.as_of is None:
        sql = f"SELECT {cols} FROM tasks WHERE {cond}"  # noqa: S608
        return con.execute(sql, params).df()
    snap, snap_params = store.latest_snapshot("task_snapshots", as_of=scope.as_of)
    sql = f"SELECT {cols} FROM {snap} s WHERE {cond}"  # noqa: S608
    return con.execute(sql, [*snap_params, *params]).df()


def _names(con: duckdb.DuckDBPyConnection, scope: Scope, column: Literal["department", "system"]) -> list[str]:
    src, params = _source(con, scope, "month")
    col = "department" if column == "department" else "system"
    sql = f"SELECT DISTINCT {col} FROM ({src}) ORDER BY 1"  # noqa: S608
    return [str(r[0]) for r in con.execute(sql, params).fetchall()]


def departments(con: duckdb.DuckDBPyConnection, scope: Scope, everyone: bool = False) -> list[str]:
    """Departments with usage rows in scope (pickers); `everyone` ignores the department filter."""
    return _names(con, dataclasses.replace(scope, departments=None) if everyone else scope, "department")


def systems(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[str]:
    """Systems with usage rows in scope (pickers)."""
    return _names(con, scope, "system")


def rollout_matrix(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per department × system: phase (live, pilot, planned, none), pilot/live/go-live dates, from plan milestones."""
    today = scope.as_of or scope.today_or_now()
    since = _window_start(con, scope, None)
    pairs: list[tuple[object, ...]] = []
    if since is not None:
        src, params = _source(con, scope, "month", None, since)  # the same pairs from the fewer monthly buckets
        pairs = con.execute(f"SELECT DISTINCT system, department FROM ({src})", params).fetchall()  # noqa: S608
    users: dict[str, list[str]] = {}
    for system, dep in pairs:
        users.setdefault(str(system), []).append(str(dep))
    deps = sorted({str(d) for _, d in pairs})
    return match_rollout(_milestones(con, scope), deps, sorted(users), today, users)


# the roll-out table's columns: phase and dates, then readiness before go-live beside usage after it (issue 16)
ROLLOUT_SHOWN = ["department", "system", "phase_label", "pilot_date", "live_date", "milestone", "coverage_before",
                 "ready_before", "rate_after"]  # fmt: skip


def rollout_readiness(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The roll-out matrix with readiness before go-live and usage after it (metrics.readiness.rollout_readiness)."""
    return readiness.with_readiness(con, scope, rollout_matrix(con, scope))


def system_go_live(rollout: pd.DataFrame, system: str, how: Literal["first", "median"] = "first") -> dt.date | None:
    """A system's go-live on a roll-out matrix (pure). "first": the first department's go-live, pilot included
    (before it nobody used the system: the clean baseline). "median": the day half of the departments with a
    go-live were using it (the hospital-wide interruption of a before/after or interrupted time series)."""
    s = pd.to_datetime(rollout.loc[rollout["system"] == system, "go_live"]).dropna().sort_values()
    if s.empty:
        return None
    if how == "first":
        return pd.Timestamp(s.iloc[0]).date()
    return pd.Timestamp(s.iloc[(len(s) - 1) // 2]).date()


# ------------------------------------------------------------------ trends, my department


def trend(
    con: duckdb.DuckDBPyConnection, scope: Scope, department: str | None, system: str | None, period: Period = "week"
) -> pd.DataFrame:
    """Rate per period and system for a department (all in scope when None), beside the hospital-wide rate.

    Columns: period, system, rate, active, eligible, hospital_rate, pilot_date, live_date (go-live marks).
    """
    _check_period(period)
    dep = "TRUE" if department is None else "department = ?"
    dep_params: list[object] = [] if department is None else [department]
    by_bucket = f"""
        SELECT period, system,
            sum(active) FILTER (WHERE {dep}) AS active,
            sum(eligible) FILTER (WHERE {dep}) AS eligible,
            coalesce(sum(no_eligible_rows) FILTER (WHERE {dep}), 0)::BIGINT AS no_eligible_rows,
            sum(active)::DOUBLE / sum(eligible) AS hospital_rate
        FROM ({{src}})
        GROUP BY ALL
    """  # noqa: S608
    plan = _plan(con, scope, period)
    if plan.rollups and scope.departments is None:
        # whole buckets: the hospital's sums per bucket (usage_rollup_spread) beside the department's own rollup
        # row, instead of summing every department's rows; the window's cut edges from the rows as below
        sys_sql, sys_params = ("AND system = ?", [system]) if system is not None else ("", [])
        if department is None:
            whole = f"""SELECT period, system, active, eligible, no_eligible_rows, active::DOUBLE / eligible AS hospital_rate
                        FROM usage_rollup_spread WHERE grain = ? {sys_sql} AND {plan.whole}"""  # noqa: S608
            params: list[object] = [period, *sys_params, *plan.whole_params]
        else:
            whole = f"""SELECT s.period, s.system, d.active, d.eligible,
                               coalesce(d.no_eligible_rows, 0)::BIGINT AS no_eligible_rows,
                               s.active::DOUBLE / s.eligible AS hospital_rate
                        FROM usage_rollup_spread s LEFT JOIN (
                            SELECT period, system, active, eligible, no_eligible_rows FROM usage_rollup
                            WHERE grain = ? AND department = ? {sys_sql} AND {plan.whole}) d USING (period, system)
                        WHERE s.grain = ? {sys_sql} AND {plan.whole}"""  # noqa: S608
            params = [period, department, *sys_params, *plan.whole_params, period, *sys_params, *plan.whole_params]
        parts = [whole]
        if plan.edges:
            edge, edge_params = _row_source(plan, period, *_usage_filter(scope, system))
            parts.append(f"SELECT * FROM ({by_bucket.format(src=edge)})")  # noqa: S608
            params += [*dep_params, *dep_params, *dep_params, *edge_params]
        sql = " UNION ALL ".join(parts) + " ORDER BY system, period"
    else:
        src, src_params = _source(con, scope, period, system)
        sql = by_bucket.format(src=src) + " ORDER BY system, period"
        params = [*dep_params, *dep_params, *dep_params, *src_params]
    df = _finish_rates(con.execute(sql, params).df())
    df["hospital_rate"] = df["hospital_rate"].astype("float64")
    if department is not None:
        df = df[df["eligible"].notna() | (df["no_eligible_rows"] > 0)].reset_index(drop=True)
    roll = rollout_matrix(con, scope)
    if department is not None:
        roll = roll[roll["department"] == department]
        marks = roll.set_index("system")[["pilot_date", "live_date"]]
    else:
        marks = pd.DataFrame(
            {
                "pilot_date": roll.groupby("system")["pilot_date"].min(),
                "live_date": roll.groupby("system")["live_date"].min(),
            }
        )
    df = df.merge(marks, left_on="system", right_index=True, how="left")
    for c in ("pilot_date", "live_date"):
        df[c] = pd.to_datetime(df[c])
    return df


def overall_from_recent(recent: pd.DataFrame, weights: Weights = None, target: Target = None) -> pd.DataFrame:
    """The all-systems ranking (as usage_ranking(system=None)) from per-system recent rates, without a query:
    the newest period of any system, against the newest period before it (pure)."""
    if recent.empty:
        return ranking_table(pd.DataFrame({"department": [], "rate": []}), None, target_for(target, None))
    latest = recent["latest"].max()
    earlier = recent.loc[recent["period"] < latest, "period"]
    cur = combine_systems(recent[recent["period"] == latest], weights)
    prev = combine_systems(recent[recent["period"] == earlier.max()], weights) if len(earlier) else None
    systems_now = sorted(str(x) for x in recent.loc[recent["period"] == latest, "system"].unique())
    table = ranking_table(cur, prev, combined_target(target, systems_now, weights))
    table["period"] = latest
    return table


# The median of the other departments' rates in a bucket, from its spread (usage_rollup_spread: n rates, the sorted
# ones around the middle lo, mid, hi, and the median of all) and the department's own rate x. Leaving x out of the
# sorted rates shifts every later one down a place, and a place before x holds a rate below x: so the others'
# middle rate is `lo` when lo < x, else `mid` (even n), and the two middle rates of an odd n are that and
# (mid when mid < x, else hi), interpolated as DuckDB's median does. Without a rate of its own, the others are
# every department with a rate: their median as stored.
_OTHERS_MEDIAN = """
    CASE WHEN x IS NULL THEN s.median
         WHEN s.n <= 1 THEN NULL
         WHEN s.n % 2 = 0 THEN CASE WHEN s.lo < x THEN s.lo ELSE s.mid END
         ELSE (CASE WHEN s.lo < x THEN s.lo ELSE s.mid END)
              + ((CASE WHEN s.mid < x THEN s.mid ELSE s.hi END) - (CASE WHEN s.lo < x THEN s.lo ELSE s.mid END)) * 0.5
    END
"""


def department_trend(
    con: duckdb.DuckDBPyConnection, scope: Scope, department: str, period: Period = "week"
) -> pd.DataFrame:
    """Per period and system: the department's rate and the median rate of the other departments."""
    _check_period(period)
    plan = _plan(con, scope, period)
    if plan.rollups and scope.departments is None:
        # whole buckets: the department's rollup row against its bucket's spread (one row each, not a median
        # over every department); the window's cut edges from the rows as below
        parts = [
            f"""SELECT m.period, m.system, m.x AS rate, {_OTHERS_MEDIAN} AS others_median
                FROM (SELECT period, system, active::DOUBLE / eligible AS x FROM usage_rollup
                      WHERE grain = ? AND department = ? AND {plan.whole}) m
                LEFT JOIN usage_rollup_spread s ON s.grain = ? AND s.period = m.period AND s.system = m.system"""  # noqa: S608
        ]
        params: list[object] = [period, department, *plan.whole_params, period]
        if plan.edges:
            edge, edge_params = _row_source(plan, period, "TRUE", [])
            parts.append(f"SELECT * FROM ({_others_median_sql(edge)})")  # noqa: S608
            params += [*edge_params, department, department, department]
        sql = " UNION ALL ".join(parts) + " ORDER BY system, period"
    else:
        src, src_params = _source(con, scope, period)
        sql = _others_median_sql(src) + " ORDER BY system, period"
        params = [*src_params, department, department, department]
    df = con.execute(sql, params).df()
    df["period"] = pd.to_datetime(df["period"])
    df["rate"] = df["rate"].astype("float64")
    df["others_median"] = df["others_median"].astype("float64")
    return df


def _others_median_sql(src: str) -> str:
    return f"""
        WITH r AS (SELECT period, department, system, active::DOUBLE / eligible AS rate FROM ({src}))
        SELECT period, system, max(rate) FILTER (WHERE department = ?) AS rate,
            median(rate) FILTER (WHERE department <> ?) AS others_median
        FROM r GROUP BY ALL HAVING count(*) FILTER (WHERE department = ?) > 0
    """  # noqa: S608


@dataclass(frozen=True)
class MyDepartment:
    """One department against the others: `others` holds names only when the hospital is not anonymous."""

    department: str
    period: dt.date | None
    systems: pd.DataFrame  # system, rate, rank, n_ranked, rank_change, others_median, target, gap, below_target
    overall_rank: int | None
    overall_rate: float | None
    n_departments: int
    others: pd.DataFrame | None  # department, system, rate (None when anonymous)
    trend: pd.DataFrame  # period, system, rate, others_median
    anonymous: bool


def _ranks_by_system(rows: pd.DataFrame) -> pd.Series:
    return rows["rate"].astype("float64").round(12).groupby(rows["system"]).rank(method="min", ascending=False)


def department_standing(recent: pd.DataFrame, department: str, target: Target) -> pd.DataFrame:
    """Per system: the department's rate, rank, rank change and the median of the other departments (pure;
    rows of `recent` are one per period × department × system, as _recent_rates returns them)."""
    cols = ["system", "period", "rate", "rank", "n_ranked", "rank_change", "movement", "others_median", "target"]
    cols += ["gap", "below_target"]
    if recent.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    cur = recent[recent["period"] == recent["latest"]].copy()
    prev = recent[(recent["period"] == recent["previous"]) & (recent["previous"] != recent["latest"])].copy()
    cur["rank"] = _ranks_by_system(cur)
    prev["previous_rank"] = _ranks_by_system(prev)
    others = cur[cur["department"] != department]
    by_system = pd.DataFrame(
        {
            "period": cur.groupby("system")["period"].first(),
            "n_ranked": cur.groupby("system")["rate"].count(),
            "others_median": others.groupby("system")["rate"].median(),
        }
    )
    mine = cur.loc[cur["department"] == department, ["system", "rate", "rank"]].set_index("system")
    mine_prev = prev.loc[prev["department"] == department, ["system", "previous_rank"]].set_index("system")
    out = by_system.join(mine).join(mine_prev).reset_index(names="system").sort_values("system")
    out["rank"] = out["rank"].astype("Int64")
    out["rank_change"] = (out["previous_rank"].astype("Int64") - out["rank"]).astype("Int64")
    out["movement"] = [movement(c) for c in out["rank_change"]]
    out["rate"] = out["rate"].astype("float64")
    out["target"] = [target_for(target, str(sy)) for sy in out["system"]]
    out["gap"] = out["rate"] - out["target"]
    out["below_target"] = out["rate"].lt(out["target"]).fillna(False).astype(bool)
    out["n_ranked"] = out["n_ranked"].astype("int64")
    out["period"] = pd.to_datetime(out["period"])
    return out[cols].reset_index(drop=True)


def my_department(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    department: str,
    anonymous: bool = False,
    period: Period = "week",
    weights: Weights = None,
    target: Target = None,
    compare: Sequence[str] | None = None,
) -> MyDepartment:
    """A department head's view. It compares with every department the role may compare against (`compare`;
    None = all), whatever the department filter says."""
    everyone = dataclasses.replace(scope, departments=tuple(compare) if compare is not None else None)
    if target is None:  # the targets dataset in force at the as-of week (issue 15)
        target = targets.system_targets(con, scope.as_of, scope.one_hospital())
    recent = _recent_rates(con, everyone, period, None, per_system=True)
    standing = department_standing(recent, department, target)
    # the all-systems standing of the newest period (as overall_from_recent ranks it; the rank change is not shown)
    overall = recent.iloc[0:0].assign(rank=pd.Series(dtype="Int64"))[["department", "rate", "rank"]]
    newest = recent["latest"].max() if len(recent) else None
    if newest is not None:
        overall = combine_systems(recent[recent["period"] == newest], weights)
        overall["rank"] = rank_rates(overall["rate"]).array
    mine = overall[overall["department"] == department]
    overall_rank = int(mine["rank"].iloc[0]) if len(mine) and pd.notna(mine["rank"].iloc[0]) else None
    overall_rate = float(mine["rate"].iloc[0]) if len(mine) and pd.notna(mine["rate"].iloc[0]) else None
    others: pd.DataFrame | None = None
    if not anonymous and len(recent):
        latest = recent[(recent["period"] == recent["latest"]) & (recent["department"] != department)]
        others = latest[["department", "system", "rate"]].sort_values(["department", "system"]).reset_index(drop=True)
    tr = department_trend(con, everyone, department, period)
    period_d = pd.Timestamp(newest).date() if newest is not None and len(overall) else None
    return MyDepartment(
        department=department,
        period=period_d,
        systems=standing,
        overall_rank=overall_rank,
        overall_rate=overall_rate,
        n_departments=int(overall["rate"].notna().sum()) if len(overall) else 0,
        others=others,
        trend=tr,
        anonymous=anonymous,
    )
