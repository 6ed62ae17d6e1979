"""Schedule metrics: plan loaders over the task views, task status, critical path, roll-ups, slippage, milestones.

Loaders take (con, scope); every computation is a pure function on DataFrames so tests can feed hand-made plans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from loaders.store import latest_snapshot, quote_ident
from metrics import cpm
from metrics.scope import Scope

TASK_COLUMNS: tuple[str, ...] = (
    "project",
    "task_id",
    "wbs",
    "name",
    "phase",
    "start",
    "finish",
    "baseline_start",
    "baseline_finish",
    "percent_complete",
    "is_milestone",
    "is_gate",
    "predecessors",
    "owner",
    "duration_days",
    "outline_level",
    "is_summary",
    "as_of",
    "row_no",
    "actual_start",
    "actual_finish",
    "constraint_type",
    "constraint_date",
    "duration_optimistic",
    "duration_likely",
    "duration_pessimistic",
    "links",
    "calendar",
    "baselines",
)
DATE_COLUMNS = ("start", "finish", "baseline_start", "baseline_finish", "as_of", "actual_start", "actual_finish",
                "constraint_date")  # fmt: skip
TEXT_COLUMNS = ("project", "task_id", "wbs", "name", "phase", "predecessors", "owner", "constraint_type", "links",
                "calendar", "baselines")  # fmt: skip
_PREPARED = "schedule_prepared"  # attrs key: the row count of a frame prepare() returned
NUMBER_COLUMNS = ("duration_days", "duration_optimistic", "duration_likely", "duration_pessimistic")
FLAG_COLUMNS = ("is_milestone", "is_gate", "is_summary")
STATUSES = ("done", "on_track", "late", "not_started")

# A started task is late when the share of its calendar span already elapsed exceeds its percent complete by
# more than this many percentage points (days fully passed before today / span in days, inclusive of both ends).
LATE_MARGIN = 10.0
NOTES_ATTR = cpm.NOTES_ATTR  # DataFrame.attrs key: list of {"kind", "project", "task_id", "detail"}
CPM_COLUMNS = cpm.CPM_COLUMNS


# ---------------------------------------------------------------------------------------------- frames
def empty_tasks() -> pd.DataFrame:
    """An empty plan with every task column and its dtype."""
    return prepare(pd.DataFrame({c: pd.Series([], dtype=object) for c in TASK_COLUMNS}))


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """A typed copy of a plan: dates as datetime64, percent 0..100 (missing = 0), flags as bool, phase ''.

    A missing finish takes the start (and vice versa), so every dated task has both ends. A frame this function
    returned (marked in attrs) is returned as it is.
    """
    if df.attrs.get(_PREPARED) == len(df) and all(c in df.columns for c in TASK_COLUMNS):
        return df
    out = df.copy()
    for col in TASK_COLUMNS:
        if col not in out.columns:
            out[col] = None
    for col in DATE_COLUMNS:
        out[col] = pd.to_datetime(out[col], errors="coerce").astype("datetime64[ns]")
    out["start"] = out["start"].fillna(out["finish"])
    out["finish"] = out["finish"].fillna(out["start"])
    swapped = out["finish"] < out["start"]
    out.loc[swapped, "finish"] = out.loc[swapped, "start"]
    out["percent_complete"] = pd.to_numeric(out["percent_complete"], errors="coerce").fillna(0.0).clip(0, 100)
    out["percent_complete"] = out["percent_complete"].astype(float)
    for col in NUMBER_COLUMNS:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    for col in FLAG_COLUMNS:
        out[col] = out[col].astype("boolean").fillna(False).astype(bool)
    for col in TEXT_COLUMNS:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    out["phase"] = out["phase"].fillna("").astype(object)
    out["task_id"] = out["task_id"].map(lambda v: "" if v is None else str(v)).astype(object)
    out.attrs[_PREPARED] = len(out)
    return out


def _work(df: pd.DataFrame) -> pd.DataFrame:
    """The rows that carry work: summary rows (MS Project roll-ups) would count their children twice."""
    return df[~df["is_summary"]]


def _days(delta: Any) -> pd.Series:
    """A Series of timedeltas as float days (NaN where missing)."""
    series = pd.Series(pd.to_timedelta(delta))
    return (series.dt.total_seconds() / 86400.0).astype(float)


def _span_days(df: pd.DataFrame) -> pd.Series:
    """Calendar days from start to finish, both inclusive (1 for a one-day task)."""
    return _days(df["finish"] - df["start"]).fillna(0).clip(lower=0) + 1


def parse_predecessors(text: object) -> list[str]:
    """Task ids in a predecessor cell (link types and lags are read by metrics.cpm.parse_links)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    return [lk.pred for lk in cpm.links_of(None, text)]


def plan_today(scope: Scope) -> dt.date:
    """The "today" of a view: the scope's today, else its as-of week, else the real date."""
    return scope.today or scope.as_of or dt.date.today()


# ---------------------------------------------------------------------------------------------- loaders
_SELECT = ", ".join(quote_ident(c) for c in TASK_COLUMNS)


def load_tasks(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The plan per project: the latest snapshot, or with `scope.as_of` the latest one dated on or before it.

    Tasks carry no department, so the department filter does not apply; the date range does not cut the plan
    either (a schedule is read whole; the Gantt's zoom sets the time window).
    """
    where, params = scope.project_clause()
    if scope.as_of is None:
        sql = f"SELECT {_SELECT} FROM tasks WHERE {where} ORDER BY project, row_no, task_id"  # noqa: S608
    else:
        snap, params = latest_snapshot("task_snapshots", where, params, scope.as_of)
        sql = f"SELECT {_SELECT} FROM {snap} s ORDER BY project, row_no, task_id"  # noqa: S608
    return prepare(con.execute(sql, params).df())


def load_snapshots(con: duckdb.DuckDBPyConnection, scope: Scope, last: int | None = None) -> pd.DataFrame:
    """Every plan snapshot (with `import_id`) of the scoped projects, up to `scope.as_of` when set.

    `last` keeps only each project's `last` most recent as-of dates (slippage needs two).
    """
    where, params = scope.project_clause()
    cond = [where]
    if scope.as_of is not None:
        cond.append("as_of <= ?")
        params = [*params, scope.as_of]
    keep = ""
    if last is not None:
        keep = " QUALIFY dense_rank() OVER (PARTITION BY project ORDER BY as_of DESC) <= ?"
        params = [*params, int(last)]
    sql = (
        f"SELECT {_SELECT}, import_id FROM task_snapshots WHERE {' AND '.join(cond)}{keep}"  # noqa: S608
        " ORDER BY project, as_of, import_id, row_no"
    )
    out = prepare(con.execute(sql, params).df())
    out["import_id"] = pd.to_numeric(out["import_id"]).astype("int64")
    return out


def load_plan(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """What the schedule page draws: the scoped plan without summary rows, with critical path and status."""
    plan = critical_path(_work(load_tasks(con, scope)))
    plan["status"] = task_status(plan, plan_today(scope))
    return plan


# ---------------------------------------------------------------------------------------------- status
def task_status(df: pd.DataFrame, today: dt.date) -> pd.Series:
    """done / on_track / late / not_started per task (index kept).

    done: 100 %. late: finish before today and < 100 %, or started and behind the elapsed share of its span by
    more than LATE_MARGIN points. not_started: start after today and 0 %. Undated tasks count as not started.
    """
    if df.empty:
        return pd.Series([], index=df.index, dtype=object, name="status")
    d = prepare(df)
    now = pd.Timestamp(today)
    pct = d["percent_complete"].to_numpy(dtype=float)
    span = _span_days(d).to_numpy(dtype=float)
    passed = _days(now - d["start"]).to_numpy(dtype=float)
    expected = np.clip(np.nan_to_num(passed, nan=0.0), 0, span) / span * 100
    undated = d["start"].isna().to_numpy()
    started = (d["start"] <= now).to_numpy()
    overdue = (d["finish"] < now).to_numpy()
    values = np.select(
        [pct >= 100, undated, overdue, (~started) & (pct <= 0), started & (expected - pct > LATE_MARGIN)],
        ["done", "not_started", "late", "not_started", "late"],
        default="on_track",
    )
    return pd.Series(values.astype(object), index=df.index, dtype=object, name="status")


def expected_percent(df: pd.DataFrame, today: dt.date) -> pd.Series:
    """The share of each task's span already elapsed before today, in percent (what status compares against)."""
    d = prepare(df)
    span = _span_days(d)
    passed = _days(pd.Timestamp(today) - d["start"]).fillna(0).clip(lower=0)
    return (passed.where(passed < span, span) / span * 100).astype(float)


# ---------------------------------------------------------------------------------------------- critical path
def critical_path(df: pd.DataFrame, near_days: float | None = None) -> pd.DataFrame:
    """The plan with early/late dates, total and free float (working days), `critical` and `near_critical`.

    The one definition of "critical" (metrics.cpm): links FS/SS/FF/SF with lags on the plan's working-day
    calendar; a completed task is never critical; critical = total float <= 0; near-critical = total float up to
    the COCKPIT_NEAR_CRITICAL_DAYS setting. Unknown predecessors and cycles are listed in
    `out.attrs["schedule_notes"]`; summary and undated rows get NaN float.
    """
    return cpm.schedule(prepare(df), near_days)


def plan_notes(df: pd.DataFrame) -> pd.DataFrame:
    """The notes `critical_path` left (unknown predecessors, cycles) as a table."""
    notes: list[dict[str, str]] = list(df.attrs.get(NOTES_ATTR, []))
    return pd.DataFrame(notes, columns=["kind", "project", "task_id", "detail"])


# ---------------------------------------------------------------------------------------------- lists
LATE_COLUMNS = (
    "project",
    "task_id",
    "name",
    "phase",
    "owner",
    "start",
    "finish",
    "percent_complete",
    "expected_percent",
    "days_late",
    "critical",
)


def late_tasks(df: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Late tasks (see task_status), most overdue first; days_late counts days since the finish date passed."""
    d = _work(prepare(df))
    if d.empty:
        return _empty(LATE_COLUMNS)
    d = d.assign(status=task_status(d, today), expected_percent=expected_percent(d, today))
    d = d[d["status"] == "late"].copy()
    d["days_late"] = _days(pd.Timestamp(today) - d["finish"]).clip(lower=0).astype(float)
    if "critical" not in d.columns:
        d["critical"] = False
    d = d.sort_values(["days_late", "project", "finish"], ascending=[False, True, True], kind="stable")
    return d.loc[:, list(LATE_COLUMNS)].reset_index(drop=True)


MILESTONE_COLUMNS = (
    "project",
    "task_id",
    "name",
    "phase",
    "owner",
    "finish",
    "percent_complete",
    "is_gate",
    "days_to_due",
    "overdue",
)


def milestones_due(df: pd.DataFrame, today: dt.date, days: int = 14) -> pd.DataFrame:
    """Open milestones and quality gates due within `days` after today, and those overdue, soonest first."""
    d = _work(prepare(df))
    if d.empty:
        return _empty(MILESTONE_COLUMNS)
    now = pd.Timestamp(today)
    open_ = (d["is_milestone"] | d["is_gate"]) & (d["percent_complete"] < 100) & d["finish"].notna()
    d = d[open_ & (d["finish"] <= now + pd.Timedelta(days=days))].copy()
    d["days_to_due"] = _days(d["finish"] - now).astype(float)
    d["overdue"] = d["finish"] < now
    d = d.sort_values(["finish", "project", "task_id"], kind="stable")
    return d.loc[:, list(MILESTONE_COLUMNS)].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- roll-up
def rollup_percent(df: pd.DataFrame, by: Sequence[str] = ("project", "phase")) -> pd.DataFrame:
    """Duration-weighted percent complete per group (weight = finish - start + 1 calendar days).

    Milestones weigh nothing unless a group holds only milestones; then each counts equally. Also returns the
    group's weight_days, tasks, start and finish.
    """
    keys = list(by)
    columns = (*keys, "percent_complete", "weight_days", "tasks", "start", "finish")
    d = _work(prepare(df))
    if d.empty:
        return _empty(columns)
    # the one plan % complete rule (metrics.definitions.plan_percent): the plan's duration in working days when
    # it states one, else calendar days; milestones weigh nothing
    span = _span_days(d).where(~d["is_milestone"], 0.0)
    weight = d["duration_days"].clip(lower=0).where(d["duration_days"].notna(), span)
    d = d.assign(_w=weight, _wp=weight * d["percent_complete"])
    agg = d.groupby(keys, sort=False, dropna=False).agg(
        weight_days=("_w", "sum"),
        _wp=("_wp", "sum"),
        _mean=("percent_complete", "mean"),
        tasks=("task_id", "size"),
        start=("start", "min"),
        finish=("finish", "max"),
    )
    weighted = agg["_wp"] / agg["weight_days"].where(agg["weight_days"] > 0)
    agg["percent_complete"] = weighted.fillna(agg["_mean"]).astype(float)
    return agg.reset_index().loc[:, list(columns)]


# ---------------------------------------------------------------------------------------------- slippage
PROJECT_SLIP_COLUMNS = (
    "project",
    "as_of",
    "finish",
    "baseline_finish",
    "vs_baseline_days",
    "previous_as_of",
    "previous_finish",
    "vs_previous_days",
    "direction",
)
TASK_MOVE_COLUMNS = (
    "project",
    "task_id",
    "name",
    "owner",
    "previous_start",
    "start",
    "previous_finish",
    "finish",
    "start_moved_days",
    "finish_moved_days",
    "change",
)


@dataclass(frozen=True)
class Slippage:
    """Per project: last finish against baseline and the previous snapshot; per task: what moved."""

    projects: pd.DataFrame
    tasks: pd.DataFrame


# The codes slippage() writes; the page shows them as words in the user's language (see relabel).
DIRECTIONS = ("later", "earlier", "same", "new")
CHANGES = ("added", "removed", "later", "earlier")
NOTE_KINDS = ("unknown_predecessor", "cycle")


def relabel(df: pd.DataFrame, column: str, labels: Mapping[str, str]) -> pd.DataFrame:
    """A copy of `df` with the codes in `column` ("later", "added", …) replaced by display labels."""
    if column not in df.columns:
        return df
    out = df.copy()
    out[column] = out[column].map(lambda v: labels.get(v, v) if isinstance(v, str) else v).astype(object)
    return out


def _direction(days: float) -> str:
    if np.isnan(days):
        return "new"
    return "later" if days > 0 else "earlier" if days < 0 else "same"


def _project_ends(df: pd.DataFrame) -> pd.DataFrame:
    d = _work(prepare(df))
    return d.groupby("project", sort=True).agg(
        as_of=("as_of", "max"), finish=("finish", "max"), baseline_finish=("baseline_finish", "max")
    )


def slippage(latest: pd.DataFrame, previous: pd.DataFrame) -> Slippage:
    """Finish-date movement (days; positive = later) of each project and of each task between two snapshots.

    A project's finish is its last task finish; vs_baseline compares it with the last baseline finish. The task
    list holds tasks whose start or finish moved, plus added and removed ones.
    """
    if _work(prepare(latest)).empty:
        return Slippage(_empty(PROJECT_SLIP_COLUMNS), _empty(TASK_MOVE_COLUMNS))
    now = _project_ends(latest)
    before = _project_ends(previous).add_prefix("previous_") if not previous.empty else None
    proj = now.join(before[["previous_as_of", "previous_finish"]], how="left") if before is not None else now
    for col in ("previous_as_of", "previous_finish"):
        if col not in proj.columns:
            proj[col] = pd.NaT
    proj["vs_baseline_days"] = _days(proj["finish"] - proj["baseline_finish"]).astype(float)
    proj["vs_previous_days"] = _days(proj["finish"] - proj["previous_finish"]).astype(float)
    proj["direction"] = proj["vs_previous_days"].map(_direction).astype(object)
    projects = proj.reset_index().loc[:, list(PROJECT_SLIP_COLUMNS)]

    cur = _work(prepare(latest))[["project", "task_id", "name", "owner", "start", "finish"]]
    if previous.empty:
        return Slippage(projects, _empty(TASK_MOVE_COLUMNS))
    old = _work(prepare(previous))[["project", "task_id", "name", "owner", "start", "finish"]]
    # Only projects with a previous snapshot can have "moved"; a first plan is not a list of added tasks.
    old = old[old["project"].isin(set(cur["project"]))]
    cur = cur[cur["project"].isin(set(old["project"]))]
    both = cur.merge(old, on=["project", "task_id"], how="outer", suffixes=("", "_prev"), indicator=True)
    both["name"] = both["name"].fillna(both["name_prev"])
    both["owner"] = both["owner"].fillna(both["owner_prev"])
    both["start_moved_days"] = _days(both["start"] - both["start_prev"]).astype(float)
    both["finish_moved_days"] = _days(both["finish"] - both["finish_prev"]).astype(float)
    moved = both["finish_moved_days"].where(both["finish_moved_days"] != 0, both["start_moved_days"])
    change = np.select(
        [both["_merge"] == "left_only", both["_merge"] == "right_only", moved > 0, moved < 0],
        ["added", "removed", "later", "earlier"],
        default="",
    )
    both["change"] = change.astype(object)
    both = both[both["change"] != ""].rename(columns={"start_prev": "previous_start", "finish_prev": "previous_finish"})
    both = both.assign(_size=both["finish_moved_days"].abs().fillna(-1))
    both = both.sort_values(["_size", "project", "task_id"], ascending=[False, True, True], kind="stable")
    return Slippage(projects, both.loc[:, list(TASK_MOVE_COLUMNS)].reset_index(drop=True))


def split_snapshots(snaps: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(latest, previous) per project: the greatest (as_of, import_id), and the greatest one from an earlier week."""
    if snaps.empty:
        return snaps.copy(), snaps.copy()
    keys = snaps[["project", "as_of", "import_id"]].drop_duplicates()
    keys = keys.sort_values(["project", "as_of", "import_id"])
    latest_keys = keys.groupby("project").tail(1)
    latest_as_of = latest_keys.set_index("project")["as_of"]
    earlier = keys[keys["as_of"] < keys["project"].map(latest_as_of)]
    previous_keys = earlier.groupby("project").tail(1)

    def pick(chosen: pd.DataFrame) -> pd.DataFrame:
        ids = set(chosen["import_id"].tolist())
        sel = snaps[snaps["import_id"].isin(ids)]
        pairs = set(zip(chosen["project"], chosen["import_id"], strict=True))
        mask = [(p, i) in pairs for p, i in zip(sel["project"], sel["import_id"], strict=True)]
        return sel[mask].reset_index(drop=True)

    return pick(latest_keys), pick(previous_keys)


def load_slippage(con: duckdb.DuckDBPyConnection, scope: Scope) -> Slippage:
    """Slippage of the scoped projects: latest snapshot (up to scope.as_of) against the one before it."""
    latest, previous = split_snapshots(load_snapshots(con, scope, last=2))
    return slippage(latest, previous)


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    dates = {"start", "finish", "baseline_finish", "as_of", "previous_as_of", "previous_finish", "previous_start"}
    data: dict[str, Any] = {}
    for c in columns:
        if c in dates:
            data[c] = pd.Series([], dtype="datetime64[ns]")
        elif c in ("critical", "overdue", "is_gate"):
            data[c] = pd.Series([], dtype=bool)
        elif c.endswith("_days") or c in ("percent_complete", "expected_percent", "days_late", "days_to_due"):
            data[c] = pd.Series([], dtype=float)
        elif c == "tasks":
            data[c] = pd.Series([], dtype="int64")
        else:
            data[c] = pd.Series([], dtype=object)
    return pd.DataFrame(data)
