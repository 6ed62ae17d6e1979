"""Benefits: KPI tiles (current, baseline, target, weekly change, good/bad by direction), before/after go-live
means hospital-wide and per department, and interrupted-time-series fits (pre and post least-squares lines).
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

from loaders import store as _store
from metrics import adoption, definitions, memo, targets
from metrics.scope import Scope

Direction = Literal["lower", "higher"]


@dataclass(frozen=True)
class KpiConfig:
    """How to read one KPI. baseline/target None: baseline = mean before go-live, no target.

    go_live None: the go-live of `system` from the plan's milestones (metrics.adoption.system_go_live).
    """

    direction: Direction = "higher"
    system: str | None = None
    baseline: float | None = None
    target: float | None = None
    go_live: dt.date | None = None


# Baselines and targets are data: the `targets` dataset (metrics/targets.py), as it stood at the chosen week.

ConfigArg = Mapping[str, KpiConfig] | Sequence[tuple[str, KpiConfig]] | None

_TIME_UNITS = ("分钟", "分", "min", "minute", "小时", "时", "hour", "hr", "h", "天", "日", "day", "秒", "s", "sec")
_TIME_WORDS = ("时间", "时长", "耗时", "周转", "等候", "等待", "time", "duration", "turnaround", "wait")


def guess_direction(kpi: str, unit: str | None) -> Direction:
    """Unknown KPIs: higher is better, unless the unit (or, failing a unit, the name) says it is a time."""
    u = (unit or "").strip().lower()
    if u:
        return "lower" if u in _TIME_UNITS or any(w in u for w in ("分钟", "小时", "minute", "hour")) else "higher"
    name = kpi.lower()
    return "lower" if any(w in name for w in _TIME_WORDS) else "higher"


def kpi_config(kpi: str, unit: str | None = None, config: ConfigArg = None) -> KpiConfig:
    """The configuration of one KPI: the argument (from the targets table), else a direction guessed from the
    unit, without baseline or target."""
    given = dict(config or {})
    if kpi in given:
        return given[kpi]
    return KpiConfig(guess_direction(kpi, unit))


def configs_from_targets(rows: Sequence[targets.KpiTarget]) -> dict[str, KpiConfig]:
    """KpiConfig per KPI from the targets table's hospital-wide KPI rows (direction guessed when blank)."""
    return {
        r.kpi: KpiConfig(
            r.direction if r.direction in ("lower", "higher") else guess_direction(r.kpi, r.unit),  # type: ignore[arg-type]
            system=r.system,
            baseline=r.baseline,
            target=r.target,
        )
        for r in rows
    }


def target_configs(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, KpiConfig]:
    """The KPI configurations in force at the scope's as-of week (the targets dataset)."""
    return configs_from_targets(targets.kpi_targets(targets.load_targets(con, scope.as_of, scope.one_hospital())))


def is_good(change: float | None, direction: str) -> bool | None:
    """Whether a change is good news: a drop is good when lower is better. None for no change or unknown."""
    if change is None or (isinstance(change, float) and math.isnan(change)) or change == 0:
        return None
    return bool(change < 0) if direction == "lower" else bool(change > 0)


def improvement(current: float | None, reference: float | None, direction: str) -> float:
    """Signed relative improvement over a reference (+0.25 = 25 % better, whichever direction is better)."""
    if current is None or reference is None or reference == 0 or math.isnan(current) or math.isnan(reference):
        return math.nan
    rel = (current - reference) / abs(reference)
    return -rel if direction == "lower" else rel


# ------------------------------------------------------------------ series


def kpi_series(con: duckdb.DuckDBPyConnection, scope: Scope, kpi: str | None = None) -> pd.DataFrame:
    """The hospital-wide value per KPI and period: the hospital-wide row (department empty) when there is one,
    else the plain mean of the department rows (KPIs carry no denominator to weight by). With a department
    filter, the mean of those departments. Columns: kpi, period, value, unit."""
    where, params = scope.period_where()
    if kpi is not None:
        where += " AND kpi = ?"
        params.append(kpi)
    sql = f"""
        SELECT kpi, period::DATE AS period, any_value(unit) AS unit,
            CASE WHEN count(*) FILTER (WHERE department IS NULL) > 0
                 THEN avg(value) FILTER (WHERE department IS NULL) ELSE avg(value) END AS value
        FROM kpis WHERE {where}
        GROUP BY ALL ORDER BY kpi, period
    """  # noqa: S608
    df = con.execute(sql, params).df()
    df["period"] = pd.to_datetime(df["period"])
    df["value"] = df["value"].astype("float64")
    return df[["kpi", "period", "value", "unit"]]


def kpi_names(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[str]:
    where, params = scope.period_where()
    sql = f"SELECT DISTINCT kpi FROM kpis WHERE {where} ORDER BY 1"  # noqa: S608
    return [str(r[0]) for r in con.execute(sql, params).fetchall()]


_ROLLOUTS: memo.Memo[pd.DataFrame] = memo.Memo(8)


def _go_lives(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The roll-out matrix the go-live dates come from (the whole hospital, whatever the department filter), kept
    once per store, data version and scope (`metrics.memo`: every KPI of the page reads it; on the group store it
    reads the usage rows, about a second each time). Read-only."""
    whole = dataclasses.replace(scope, departments=None, today=scope.today_or_now())
    with _store.read_snapshot(con):  # the key's version and the matrix from one version of the data
        return _ROLLOUTS.get_or_build(memo.store_key(con, whole), lambda: adoption.rollout_matrix(con, whole))


def resolve_go_live(
    cfg: KpiConfig, rollout: pd.DataFrame | None, how: Literal["first", "median"] = "median"
) -> dt.date | None:
    """The configured go-live, else the system's from the plan: "first" department (the baseline ends there) or
    "median" (half the departments live: the interruption of before/after and the time series)."""
    if cfg.go_live is not None:
        return cfg.go_live
    if cfg.system is None or rollout is None:
        return None
    return adoption.system_go_live(rollout, cfg.system, how)


# ------------------------------------------------------------------ tiles

_TILE_COLUMNS = [
    "kpi",
    "unit",
    "direction",
    "period",
    "current",
    "previous_period",
    "previous",
    "change",
    "change_good",
    "baseline",
    "baseline_source",
    "baseline_until",
    "vs_baseline",
    "improvement",
    "target",
    "on_target",
    "system",
    "go_live",
]


def tiles_from_series(
    series: pd.DataFrame,
    configs: Mapping[str, KpiConfig],
    go_lives: Mapping[str, dt.date | None],
    baseline_until: Mapping[str, dt.date | None] | None = None,
    order: Sequence[str] = (),
) -> pd.DataFrame:
    """One tile per KPI from its hospital-wide series (pure): latest value, change since the previous period
    (good or bad by direction), baseline (configured, else the mean of the periods before `baseline_until`,
    which defaults to the go-live), target and whether it is met."""
    rows: list[dict[str, object]] = []
    for kpi, g in series.groupby("kpi", sort=True):
        name = str(kpi)
        g = g.dropna(subset=["value"]).sort_values("period")
        if g.empty:
            continue
        unit = next((str(u) for u in g["unit"] if isinstance(u, str) and u), None)
        cfg = configs.get(name) or kpi_config(name, unit)
        go_live = go_lives.get(name)
        until = (baseline_until or {}).get(name, go_live)
        current = float(g["value"].iloc[-1])
        previous = float(g["value"].iloc[-2]) if len(g) > 1 else math.nan
        change = current - previous
        if cfg.baseline is not None:
            baseline, source = float(cfg.baseline), "configured"
        elif until is not None and (g["period"] < pd.Timestamp(until)).any():
            baseline, source = float(g.loc[g["period"] < pd.Timestamp(until), "value"].mean()), "before_go_live"
        else:
            baseline, source = math.nan, "none"
        target = cfg.target
        on_target: bool | None = None
        if target is not None:
            on_target = definitions.kpi_on_target(current, target, cfg.direction)
        rows.append(
            {
                "kpi": name,
                "unit": unit,
                "direction": cfg.direction,
                "period": g["period"].iloc[-1],
                "current": current,
                "previous_period": g["period"].iloc[-2] if len(g) > 1 else pd.NaT,
                "previous": previous,
                "change": change,
                "change_good": is_good(change, cfg.direction),
                "baseline": baseline,
                "baseline_source": source,
                "baseline_until": pd.Timestamp(until) if until is not None and source == "before_go_live" else pd.NaT,
                "vs_baseline": current - baseline,
                "improvement": improvement(current, baseline, cfg.direction),
                "target": math.nan if target is None else float(target),
                "on_target": on_target,
                "system": cfg.system,
                "go_live": pd.Timestamp(go_live) if go_live is not None else pd.NaT,
            }
        )
    out = pd.DataFrame(rows, columns=_TILE_COLUMNS)
    for c in ("period", "previous_period", "go_live", "baseline_until"):
        out[c] = pd.to_datetime(out[c])
    for c in ("change_good", "on_target"):  # True / False / None (no news), never numpy bools
        out[c] = pd.Series([None if v is None else bool(v) for v in out[c]], index=out.index, dtype=object)
    known = [k for k in order if k in set(out["kpi"])]
    rank = {k: i for i, k in enumerate(known)}
    out["_o"] = out["kpi"].map(lambda k: rank.get(k, len(rank)))
    return out.sort_values(["_o", "kpi"], kind="stable").drop(columns="_o").reset_index(drop=True)


def history(scope: Scope) -> Scope:
    """Benefit measures compare with the time before go-live, which the date filter's start would cut off: they
    read all history up to the end of the scope."""
    return dataclasses.replace(scope, start=None)


def kpi_tiles(con: duckdb.DuckDBPyConnection, scope: Scope, config: ConfigArg = None) -> pd.DataFrame:
    """A tile for every KPI in the data (those in the targets table first, in its order). `config`: dict (or
    pairs) of KpiConfig per KPI, overriding the targets table.

    The baseline is the mean before the system's first go-live (pilot included: before anyone used it);
    `go_live` is the day half of the departments were live (the before/after and time-series interruption)."""
    scope = history(scope)
    series = kpi_series(con, scope)
    given = target_configs(con, scope) | dict(config or {})
    units = series.dropna(subset=["unit"]).groupby("kpi")["unit"].first().to_dict() if len(series) else {}
    configs = {str(k): kpi_config(str(k), units.get(k), given) for k in series["kpi"].unique()}
    rollout = _go_lives(con, scope) if any(c.go_live is None and c.system for c in configs.values()) else None
    go_lives = {k: resolve_go_live(c, rollout, "median") for k, c in configs.items()}
    firsts = {k: resolve_go_live(c, rollout, "first") for k, c in configs.items()}
    return tiles_from_series(series, configs, go_lives, firsts, order=tuple(given))


# ------------------------------------------------------------------ before / after

_BA_COLUMNS = ["department", "before", "after", "change", "improvement", "good", "n_before", "n_after"]


def before_after_means(frame: pd.DataFrame, go_live: dt.date, direction: str) -> pd.DataFrame:
    """Mean before (period < go-live) and from go-live on, per department (pure; rows: department, period, value;
    department None = the hospital-wide series)."""
    gl = pd.Timestamp(go_live)
    rows: list[dict[str, object]] = []
    keyed = frame.assign(_d=frame["department"].astype(object).where(frame["department"].notna(), ""))
    for dep, g in keyed.groupby("_d", sort=False):
        before = g.loc[g["period"] < gl, "value"].astype("float64")
        after = g.loc[g["period"] >= gl, "value"].astype("float64")
        b = float(before.mean()) if len(before) else math.nan
        a = float(after.mean()) if len(after) else math.nan
        rows.append(
            {
                "department": None if dep == "" else str(dep),
                "before": b,
                "after": a,
                "change": a - b,
                "improvement": improvement(a, b, direction),
                "good": is_good(a - b, direction),
                "n_before": len(before),
                "n_after": len(after),
            }
        )
    out = pd.DataFrame(rows, columns=_BA_COLUMNS)
    out["good"] = pd.Series([None if v is None else bool(v) for v in out["good"]], index=out.index, dtype=object)
    return out


def before_after(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    kpi: str,
    go_live: dt.date | None = None,
    department: str | None = None,
    config: ConfigArg = None,
    hospital_label: str | None = None,
) -> pd.DataFrame:
    """Mean before and after go-live: the hospital-wide row first (department = `hospital_label`), then each
    department (all history up to the scope's end, see `history`).

    go_live None: the KPI's configured go-live, else its system's go-live from the plan. No go-live → empty frame.
    With `department`, only that department's row (after the hospital-wide one).
    """
    scope = history(scope)
    series = kpi_series(con, scope, kpi)
    unit = next((str(u) for u in series["unit"] if isinstance(u, str) and u), None)
    cfg = kpi_config(kpi, unit, target_configs(con, scope) | dict(config or {}))
    if go_live is None:
        go_live = resolve_go_live(cfg, _go_lives(con, scope) if cfg.go_live is None and cfg.system else None)
    if go_live is None or series.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in _BA_COLUMNS})
    where, params = scope.period_where()
    dep_sql = "department IS NOT NULL" if department is None else "department = ?"
    dep_params: list[object] = [] if department is None else [department]
    sql = f"""
        SELECT department, period::DATE AS period, avg(value) AS value FROM kpis
        WHERE {where} AND kpi = ? AND {dep_sql} GROUP BY ALL ORDER BY department, period
    """  # noqa: S608
    per_dep = con.execute(sql, [*params, kpi, *dep_params]).df()
    per_dep["period"] = pd.to_datetime(per_dep["period"])
    hospital = series.assign(department=None)[["department", "period", "value"]]
    frame = pd.concat([hospital, per_dep[["department", "period", "value"]]], ignore_index=True)
    out = before_after_means(frame, go_live, cfg.direction)
    out["department"] = out["department"].astype(object).where(out["department"].notna(), hospital_label)
    return out


# ------------------------------------------------------------------ interrupted time series


@dataclass(frozen=True)
class Its:
    """An interrupted time series: the points, the fitted pre and post lines, and their summary.

    series columns: period, value, segment ("pre"/"post"), fitted, counterfactual (pre line carried on).
    Slopes are per week; level_change is the jump of the fitted line at go-live.
    """

    kpi: str
    unit: str | None
    direction: str
    go_live: dt.date | None
    series: pd.DataFrame
    pre_slope: float
    post_slope: float
    level_change: float


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and intercept; a single point gives a flat line."""
    if len(x) == 0:
        return math.nan, math.nan
    if len(x) == 1 or float(np.ptp(x)) == 0.0:
        return 0.0, float(np.mean(y))
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def fit_segments(series: pd.DataFrame, go_live: dt.date | None) -> tuple[pd.DataFrame, float, float, float]:
    """Fit one least-squares line before go-live and one from go-live on (pure; rows: period, value).

    Returns the frame with segment, fitted and counterfactual columns, the pre and post slopes per week and the
    level change at go-live (post line minus pre line, at the go-live date)."""
    df = series[["period", "value"]].dropna().sort_values("period").reset_index(drop=True)
    df["period"] = pd.to_datetime(df["period"])
    if df.empty:
        return df.assign(segment=[], fitted=[], counterfactual=[]), math.nan, math.nan, math.nan
    origin = df["period"].iloc[0]
    x = ((df["period"] - origin).dt.days / 7.0).to_numpy(dtype="float64")
    y = df["value"].to_numpy(dtype="float64")
    if go_live is None:
        slope, icpt = _line(x, y)
        df["segment"] = "pre"
        df["fitted"] = slope * x + icpt
        df["counterfactual"] = math.nan
        return df, slope, math.nan, math.nan
    gl = pd.Timestamp(go_live)
    pre = (df["period"] < gl).to_numpy()
    s0, i0 = _line(x[pre], y[pre])
    s1, i1 = _line(x[~pre], y[~pre])
    df["segment"] = np.where(pre, "pre", "post")
    df["fitted"] = np.where(pre, s0 * x + i0, s1 * x + i1)
    df["counterfactual"] = np.where(pre, math.nan, s0 * x + i0)
    xg = (gl - origin).days / 7.0
    level = (s1 * xg + i1) - (s0 * xg + i0)
    return df, s0, s1, float(level)


def its(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    kpi: str,
    go_live: dt.date | None = None,
    department: str | None = None,
    config: ConfigArg = None,
) -> Its:
    """Interrupted time series of one KPI (hospital-wide, or one department) around its go-live (all history
    up to the scope's end, see `history`)."""
    scope = history(scope)
    if department is not None:
        scope = dataclasses.replace(scope, departments=(department,))
    series = kpi_series(con, scope, kpi)
    unit = next((str(u) for u in series["unit"] if isinstance(u, str) and u), None)
    cfg = kpi_config(kpi, unit, target_configs(con, scope) | dict(config or {}))
    if go_live is None:
        go_live = resolve_go_live(cfg, _go_lives(con, scope) if cfg.go_live is None and cfg.system else None)
    df, s0, s1, level = fit_segments(series, go_live)
    return Its(kpi, unit, cfg.direction, go_live, df, s0, s1, level)
