"""Targets are data: KPI baselines/targets and usage-rate targets per system and department, read from the
`targets` dataset as it stood at the chosen week (the table imported with the greatest as-of date on or before it).
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass

import duckdb
import pandas as pd

from loaders import settings

TARGET_COLUMNS = ["kind", "name", "department", "baseline", "target", "unit", "direction", "system", "as_of"]

_KIND_WORDS = {
    "kpi": ("kpi", "效益指标", "效益", "指标", "benefit", "outcome"),
    "usage": ("usage", "usagerate", "使用率", "应用率", "系统使用", "使用"),
}
_DIRECTION_WORDS = {
    "lower": ("lower", "low", "越低越好", "越低", "降低", "下降", "减少", "↓", "-"),
    "higher": ("higher", "high", "越高越好", "越高", "提高", "上升", "增加", "↑", "+"),
}


def _norm(text: object) -> str:
    if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA:
        return ""
    return "".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def normalise_kind(value: object) -> str | None:
    """ "kpi" / "usage" from the words PMOs write (效益指标, 使用率 …); None when it is neither."""
    text = _norm(value)
    for kind, words in _KIND_WORDS.items():
        if text in words:
            return kind
    return None


def normalise_direction(value: object) -> str | None:
    text = _norm(value)
    for direction, words in _DIRECTION_WORDS.items():
        if text in words:
            return direction
    return None


def usage_share(value: float) -> float:
    """A usage-rate target as a share 0..1: sheets write 80 (percent) or 0.8 (share); a usage target of 1 % or
    less is never meant, so a value above 1 is read as percent."""
    return float(value) / 100.0 if float(value) > 1.0 else float(value)


def load_targets(
    con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, hospital: str | None = None
) -> pd.DataFrame:
    """The targets table in force at `as_of` (None = the latest import), kind and direction normalised.

    In a hospital group each member may import its own table: with `hospital`, that hospital's table in force,
    plus the group-wide table's rows (imported without a hospital) for every (kind, name, department) it does not
    state. Without `hospital`, the group-wide table (all a single-hospital store has), else the latest of any.
    Rows whose kind is neither a KPI nor a usage rate keep kind None so the data page can point at them."""
    params: list[object] = []
    cutoff = "TRUE"
    if as_of is not None:
        cutoff = "as_of <= ?"
        params.append(as_of)
    if hospital is None:
        pick = "SELECT arg_max(import_id, (hospital IS NULL, as_of, import_id)) AS import_id FROM s"
    else:
        pick = (
            "SELECT arg_max(import_id, (as_of, import_id)) AS import_id FROM s"
            " WHERE hospital IS NULL OR hospital = ? GROUP BY hospital"
        )
        params.append(hospital)
    sql = (
        f"WITH s AS (SELECT * FROM target_snapshots WHERE {cutoff})"  # noqa: S608
        f" SELECT kind, name, department, baseline, target, unit, direction, system, as_of, hospital FROM s"
        f" WHERE import_id IN ({pick}) ORDER BY hospital IS NULL, row_no"
    )
    df = con.execute(sql, params).df()
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in TARGET_COLUMNS})
    df["kind"] = [normalise_kind(k) for k in df["kind"]]
    df["direction"] = [normalise_direction(d) for d in df["direction"]]
    df["department"] = df["department"].astype(object).where(df["department"].notna(), None)
    if hospital is not None:
        df = _own_rows_first(df)
    return df[TARGET_COLUMNS].reset_index(drop=True)


def _own_rows_first(df: pd.DataFrame) -> pd.DataFrame:
    """A hospital's rows, then the group-wide rows for (kind, name, department) the hospital does not state."""
    own = df["hospital"].notna()
    keys = {(k, _norm(n), d) for k, n, d in zip(df["kind"][own], df["name"][own], df["department"][own], strict=True)}
    fallback = [
        (k, _norm(n), d) not in keys
        for k, n, d in zip(df["kind"][~own], df["name"][~own], df["department"][~own], strict=True)
    ]
    return pd.concat([df[own], df[~own][fallback]], ignore_index=True)


@dataclass(frozen=True)
class KpiTarget:
    """One KPI's hospital-wide baseline and target as the targets table states them."""

    kpi: str
    target: float
    baseline: float | None = None
    direction: str | None = None  # lower | higher | None (guessed from the unit by metrics.benefits)
    unit: str | None = None
    system: str | None = None


def kpi_targets(df: pd.DataFrame) -> tuple[KpiTarget, ...]:
    """The hospital-wide KPI rows (department blank), in the table's order (pure)."""
    out: list[KpiTarget] = []
    if df.empty:
        return ()
    rows = df[(df["kind"] == "kpi") & df["department"].isna()]
    for r in rows.to_dict("records"):
        base = r.get("baseline")
        out.append(
            KpiTarget(
                kpi=str(r["name"]),
                target=float(r["target"]),
                baseline=None if base is None or pd.isna(base) else float(base),
                direction=r.get("direction") or None,
                unit=None if r.get("unit") is None or pd.isna(r.get("unit")) else str(r["unit"]),
                system=None if r.get("system") is None or pd.isna(r.get("system")) else str(r["system"]),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class UsageTargets:
    """Usage-rate targets (shares 0..1): per (system, department), per system, and the fallback for the rest.

    The most specific row wins: system + department, then the system's row (department blank), then a row
    named "*" / "全部" / "default" (every system), then the `usage_target` setting. Hashable (page cache)."""

    by_system_department: tuple[tuple[str, str, float], ...] = ()
    by_system: tuple[tuple[str, float], ...] = ()
    default: float = 0.8

    def target(self, system: str | None, department: str | None = None) -> float:
        if system is not None and department is not None:
            for s, d, v in self.by_system_department:
                if s == system and d == department:
                    return v
        if system is not None:
            for s, v in self.by_system:
                if s == system:
                    return v
        return self.default


_EVERY_SYSTEM = ("*", "全部", "全部系统", "default", "all", "所有系统")


def usage_targets_of(df: pd.DataFrame, default: float | None = None) -> UsageTargets:
    """UsageTargets from a targets table (pure); `default` None = the `usage_target` setting."""
    fallback = settings.get_float("usage_target") if default is None else float(default)
    if df.empty:
        return UsageTargets(default=fallback)
    rows = df[df["kind"] == "usage"]
    pairs: list[tuple[str, str, float]] = []
    systems: list[tuple[str, float]] = []
    for r in rows.to_dict("records"):
        value = usage_share(float(r["target"]))
        name = str(r["name"]).strip()
        if _norm(name) in _EVERY_SYSTEM:
            fallback = value
        elif r.get("department") is None:
            systems.append((name, value))
        else:
            pairs.append((name, str(r["department"]), value))
    return UsageTargets(tuple(pairs), tuple(systems), fallback)


def usage_targets(
    con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, hospital: str | None = None
) -> UsageTargets:
    """The usage-rate targets in force at `as_of` (for one hospital of a group: see `load_targets`)."""
    return usage_targets_of(load_targets(con, as_of, hospital))


def system_targets(
    con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, hospital: str | None = None
) -> tuple[tuple[str, float], ...]:
    """Per-system usage targets as (system, share) pairs, the form metrics.adoption takes as `target`."""
    return usage_targets(con, as_of, hospital).by_system
