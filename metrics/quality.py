"""Data quality: each check's pass rate per system × department × period, with its trend and target, the worst
cells first, drops since the previous period, one share per system for the operations scorecard, and the
overview's "what changed" rows for drops.

Definitions (one rule each):
- **Pass rate** of a cell (system, department, check, period) = Σ numerator ÷ Σ denominator; a cell whose
  denominator is 0 has no rate (left out and counted, never 0 % or 100 %).
- **Hospital-wide** rate of a check (department left out): the export's hospital-wide row (empty department)
  when it has one, else Σ numerator ÷ Σ denominator over its department rows (so a department row and the
  hospital-wide total are never added together).
- **Below target**: a rate under the row's target (targets are 0..100 in the store, shares here).
- **Worst first**: cells below target first, by their distance to the target (largest shortfall first); then
  the cells without a target or on target, lowest rate first.
- **Drop**: a cell's rate in its latest period is at least `DROP_POINTS` (2 percentage points) under its rate in
  the period before (the previous period the export holds: week over week for a weekly export).
- **System quality** (`system_quality`, for the operations scorecard): per system, the plain mean of its checks'
  hospital-wide pass rates in the system's latest period — every check weighs the same, whatever the number
  of records it counts (a timeliness check over a million messages does not drown the ICD coding of 2,000
  discharges).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import duckdb
import pandas as pd

from metrics.scope import Scope

DROP_POINTS = 0.02  # a drop of 2 percentage points or more is reported
CELL_KEYS = ["system", "department", "check_name"]
CELL_COLUMNS = [
    "system", "department", "check_name", "dimension", "period", "numerator", "denominator", "rate", "target",
    "gap", "below_target", "previous_period", "previous_rate", "change", "dropped",
]  # fmt: skip


def load_checks(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The check rows in scope (a department head's department only; up to the as-of week): period, system,
    department, check_name, dimension, numerator, denominator, target (share 0..1)."""
    where, params = scope.period_where()
    sql = f"""
        SELECT period::DATE AS period, system, department, check_name, dimension,
               numerator::DOUBLE AS numerator, denominator::DOUBLE AS denominator, target / 100.0 AS target
        FROM quality_checks WHERE {where}
        ORDER BY period, system, department NULLS FIRST, check_name
    """  # noqa: S608
    df = con.execute(sql, params).df()
    df["period"] = pd.to_datetime(df["period"]).dt.date
    for c in ("numerator", "denominator", "target"):
        df[c] = pd.to_numeric(df[c]).astype("float64")
    return df


def rate(numerator: float | None, denominator: float | None) -> float | None:
    """Σ numerator ÷ Σ denominator; None when nothing was checked (denominator 0 or missing)."""
    if numerator is None or denominator is None or not denominator or math.isnan(denominator):
        return None
    return float(numerator) / float(denominator)


def with_rates(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` (one per cell and period) with `rate` and `below_target` (pure)."""
    out = rows.copy()
    out["rate"] = [rate(n, d) for n, d in zip(out["numerator"], out["denominator"], strict=True)]
    out["rate"] = pd.to_numeric(out["rate"]).astype("float64")
    out["gap"] = out["rate"] - out["target"]
    out["below_target"] = (out["gap"] < 0).fillna(False).astype(bool)
    return out


def cell_table(rows: pd.DataFrame, drop_points: float = DROP_POINTS) -> pd.DataFrame:
    """One row per cell (system, department, check): its latest period's rate and target, the previous
    period's rate and the change, whether it dropped, worst first (see the module docstring; pure)."""
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in CELL_COLUMNS})
    rated = with_rates(rows)
    rated = rated.assign(_d=rated["department"].fillna("\x00")).sort_values([*CELL_KEYS[:1], "_d", "check_name",
                                                                             "period"])  # fmt: skip
    out: list[dict[str, object]] = []
    for _, g in rated.groupby(["system", "_d", "check_name"], sort=False):
        last = g.iloc[-1]
        prev = g.iloc[-2] if len(g) > 1 else None
        prev_rate = None if prev is None or pd.isna(prev["rate"]) else float(prev["rate"])
        now_rate = None if pd.isna(last["rate"]) else float(last["rate"])
        change = None if prev_rate is None or now_rate is None else now_rate - prev_rate
        out.append({
            "system": last["system"], "department": None if pd.isna(last["department"]) else last["department"],
            "check_name": last["check_name"], "dimension": last["dimension"], "period": last["period"],
            "numerator": last["numerator"], "denominator": last["denominator"], "rate": now_rate,
            "target": None if pd.isna(last["target"]) else float(last["target"]),
            "gap": None if pd.isna(last["gap"]) else float(last["gap"]), "below_target": bool(last["below_target"]),
            "previous_period": None if prev is None else prev["period"], "previous_rate": prev_rate,
            "change": change, "dropped": change is not None and change <= -drop_points + 1e-12,
        })  # fmt: skip
    df = pd.DataFrame(out, columns=CELL_COLUMNS)
    for c in ("rate", "target", "gap", "previous_rate", "change"):
        df[c] = pd.to_numeric(df[c]).astype("float64")
    for c in ("numerator", "denominator"):  # record counts
        df[c] = pd.to_numeric(df[c]).round().astype("Int64")
    order = df.assign(
        _below=~df["below_target"],
        _gap=df["gap"].where(df["below_target"], 0.0),
        _rate=df["rate"].fillna(math.inf),
        _dept=df["department"].fillna(""),
    )
    order = order.sort_values(["_below", "_gap", "_rate", "system", "_dept", "check_name"], kind="stable")
    return order[CELL_COLUMNS].reset_index(drop=True)


def quality_cells(con: duckdb.DuckDBPyConnection, scope: Scope, hospital_label: str | None = None) -> pd.DataFrame:
    """Every check per system and department: latest rate, target, change since the previous period, worst first.
    `hospital_label`: the word shown for hospital-wide rows (their department is empty otherwise)."""
    cells = cell_table(load_checks(con, scope))
    if hospital_label is not None and len(cells):
        cells["department"] = cells["department"].fillna(hospital_label)
    return cells


def quality_drops(con: duckdb.DuckDBPyConnection, scope: Scope, drop_points: float = DROP_POINTS) -> pd.DataFrame:
    """The cells whose rate fell by `drop_points` or more since the previous period, largest fall first."""
    cells = cell_table(load_checks(con, scope), drop_points)
    drops = cells[cells["dropped"]].copy()
    if drops.empty:
        return drops
    return drops.sort_values(["change", "system", "check_name"], kind="stable").reset_index(drop=True)


def hospital_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (system, check, period) the hospital-wide numerator and denominator: the export's hospital-wide row
    when it has one, else the sum over its department rows (pure). Target: the hospital-wide row's, else the
    lowest department target (so "below target" never hides behind a laxer one)."""
    cols = ["system", "check_name", "period", "numerator", "denominator", "target"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    keys = ["system", "check_name", "period"]
    whole = rows[rows["department"].isna()]
    depts = rows[rows["department"].notna()]
    summed = depts.groupby(keys, as_index=False).agg(
        numerator=("numerator", "sum"), denominator=("denominator", "sum"), target=("target", "min")
    )
    have = set(map(tuple, whole[keys].to_numpy().tolist()))
    summed = summed[[tuple(k) not in have for k in summed[keys].to_numpy().tolist()]]
    out = pd.concat([whole[cols], summed[cols]], ignore_index=True)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def check_trends(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The hospital-wide rate of each check per period (within the scope's departments): system, check_name,
    period, rate, target."""
    rows = hospital_rows(load_checks(con, scope))
    if rows.empty:
        return pd.DataFrame(columns=["system", "check_name", "period", "rate", "target"])
    rated = with_rates(rows)
    return rated[["system", "check_name", "period", "rate", "target"]]


def cell_trend(
    con: duckdb.DuckDBPyConnection, scope: Scope, system: str, department: str | None, check_name: str
) -> pd.DataFrame:
    """One cell's rate per period with its target: period, rate, target."""
    rows = load_checks(con, scope)
    mask = (rows["system"] == system) & (rows["check_name"] == check_name)
    mask &= rows["department"].isna() if department is None else rows["department"] == department
    rated = with_rates(rows[mask])
    return rated[["period", "rate", "target"]].reset_index(drop=True)


def system_shares(rows: pd.DataFrame) -> pd.DataFrame:
    """Per system, the mean of its checks' hospital-wide rates in the system's latest period (pure)."""
    hw = hospital_rows(rows)
    if hw.empty:
        return pd.DataFrame({"system": pd.Series(dtype="object"), "quality_rate": pd.Series(dtype="float64")})
    rated = with_rates(hw).dropna(subset=["rate"])
    latest = rated.groupby("system")["period"].transform("max")
    last = rated[rated["period"] == latest]
    out = last.groupby("system", as_index=False).agg(quality_rate=("rate", "mean"))
    out["quality_rate"] = out["quality_rate"].astype("float64")
    return out.sort_values("system").reset_index(drop=True)


def system_quality(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """DataFrame[system, quality_rate]: one share 0..1 per system — the plain mean of the system's checks'
    hospital-wide pass rates in its latest period up to the scope's as-of week (see the module docstring).
    A system without checks is absent (no figure, not 0)."""
    return system_shares(load_checks(con, scope))


# ---------------------------------------------------------------------------------------------- overview


def drop_changes(now: pd.DataFrame, before: pd.DataFrame) -> list[dict[str, object]]:
    """Cells whose latest rate at the week is `DROP_POINTS` or more under their latest rate a week before
    (two `cell_table` frames; pure): system, department, check_name, before, after (rates)."""
    if now.empty or before.empty:
        return []
    prev = {
        (r["system"], r["department"] if isinstance(r["department"], str) else "", r["check_name"]): r
        for r in before.to_dict("records")
    }
    out: list[dict[str, object]] = []
    for r in now.to_dict("records"):
        dept = r["department"] if isinstance(r["department"], str) else None
        p = prev.get((r["system"], dept or "", r["check_name"]))
        if p is None or p["period"] == r["period"] or pd.isna(p["rate"]) or pd.isna(r["rate"]):
            continue  # no newer period this week: nothing changed
        if float(r["rate"]) - float(p["rate"]) <= -DROP_POINTS + 1e-12:
            out.append({"system": r["system"], "department": dept, "check_name": r["check_name"],
                        "before": float(p["rate"]), "after": float(r["rate"])})  # fmt: skip
    return out


def week_cells(con: duckdb.DuckDBPyConnection, scope: Scope, day: dt.date) -> pd.DataFrame:
    """`quality_cells` as the store stood for the week of `day` (periods up to that day)."""
    return quality_cells(con, dataclasses.replace(scope, as_of=day))


def overview_changes(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, object]]:
    """The overview's "what changed" rows (metrics.overview shapes, kind `quality_drop`): the cells whose pass
    rate fell `DROP_POINTS` or more between the week's latest period and the one a week before. Size: the fall
    in rate (reference 10 points); before/after shown as percentages; opens the data-quality page on the cell's
    department."""
    from metrics import definitions, overview  # the overview imports this module

    week = definitions.reference_day(scope)
    now = week_cells(con, scope, week)
    before = week_cells(con, scope, week - dt.timedelta(days=7))
    rows: list[dict[str, object]] = []
    for d in drop_changes(now, before):
        where = [str(d["system"]), *([str(d["department"])] if d["department"] else []), str(d["check_name"])]
        b, a = float(d["before"]), float(d["after"])  # type: ignore[arg-type]
        filters = {"depts": str(d["department"])} if d["department"] else {}
        rows.append(overview._change("quality_drop", None, " · ".join(where), f"{b:.1%}", f"{a:.1%}", b - a, week,
                                     filters))  # fmt: skip
    return rows
