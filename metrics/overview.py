"""The programme summary: filter option lists and one row of headline figures per project.

Plan progress is duration-weighted; money is in yuan; "today" is the as-of date when one is chosen.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from loaders.store import latest_snapshot
from metrics import risks
from metrics.scope import Scope

# The risks page's definitions, so the overview and the register never disagree: a risk is critical from the
# critical band's floor; a change request is pending when its status says so; statuses compare without case or
# spaces (metrics.risks.normalise_status).
CLOSED_RISK = tuple(sorted(risks.CLOSED_STATUSES))


def critical_score() -> int:
    """The score from which a risk counts as critical (the risk bands setting)."""
    return risks.configured_bands().critical


PENDING_CHANGE = tuple(sorted(risks.PENDING_CHANGE_STATUSES))
_STATUS = "regexp_replace(lower(coalesce(status, '')), '\\s+', '', 'g')"

SUMMARY_COLUMNS = [
    "project", "plan_complete", "late_tasks", "open_risks", "critical_risks", "pending_changes", "budget", "spent",
]  # fmt: skip


def project_options(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """Every project named in any dataset, sorted."""
    rows = con.execute(
        "SELECT DISTINCT project FROM ("
        " SELECT project FROM tasks UNION SELECT project FROM budget UNION SELECT project FROM costs"
        " UNION SELECT project FROM risks UNION SELECT project FROM changes"
        ") WHERE project IS NOT NULL ORDER BY project"
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


def department_options(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    rows = con.execute(
        "SELECT DISTINCT department FROM (SELECT department FROM usage UNION SELECT department FROM kpis)"
        " WHERE department IS NOT NULL ORDER BY department"
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


def snapshot_dates(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, ...]:
    """The distinct as-of dates of plan, risk and change snapshots, newest first."""
    rows = con.execute(
        "SELECT DISTINCT as_of FROM ("
        " SELECT as_of FROM task_snapshots UNION SELECT as_of FROM risk_snapshots"
        " UNION SELECT as_of FROM change_snapshots"
        ") WHERE as_of IS NOT NULL ORDER BY as_of DESC"
    ).fetchall()
    return tuple(r[0] for r in rows)


def _snapshot_cte(view: str, scope: Scope) -> tuple[str, list[object]]:
    """The latest snapshot per project of `view` at the as-of date (or the latest of all), project-filtered."""
    where, params = scope.project_clause("project")
    return latest_snapshot(view, where, params, scope.as_of)


def project_summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """One row per project: plan_complete (share 0..1), late_tasks, open_risks, critical_risks,
    pending_changes, budget and spent (yuan).

    Spent follows the money page's reading of the ledger (metrics/money.py): the ledger holds one line per
    stage of the same contract, so per contract (project, category, vendor, reference) spent = max(invoiced,
    paid), counting lines up to today or the end of the date range, whichever is earlier."""
    today = scope.as_of or scope.today_or_now()
    tasks_sql, tasks_params = _snapshot_cte("task_snapshots", scope)
    risks_sql, risks_params = _snapshot_cte("risk_snapshots", scope)
    changes_sql, changes_params = _snapshot_cte("change_snapshots", scope)
    proj_where, proj_params = scope.project_clause("project")
    cut = min(scope.today_or_now(), scope.end) if scope.end else scope.today_or_now()

    sql = f"""
    WITH t AS ({tasks_sql}),
    plan AS (
        SELECT project,
               coalesce(duration_days, greatest(date_diff('day', start, finish), 0), 0) AS w,
               coalesce(percent_complete, 0) / 100.0 AS done,
               finish
        FROM t WHERE NOT coalesce(is_summary, FALSE)
    ),
    plan_sum AS (
        SELECT project,
               CASE WHEN sum(w) > 0 THEN sum(w * done) / sum(w) ELSE avg(done) END AS plan_complete,
               count(*) FILTER (WHERE finish < ? AND done < 1) AS late_tasks
        FROM plan GROUP BY project
    ),
    r AS ({risks_sql}),
    risk_sum AS (
        SELECT project, count(*) AS open_risks,
               count(*) FILTER (WHERE likelihood * impact >= ?) AS critical_risks
        FROM r WHERE {_STATUS} NOT IN (SELECT unnest(?::VARCHAR[]))
        GROUP BY project
    ),
    c AS ({changes_sql}),
    change_sum AS (
        SELECT project, count(*) AS pending_changes
        FROM c WHERE {_STATUS} IN (SELECT unnest(?::VARCHAR[]))
        GROUP BY project
    ),
    budget_sum AS (SELECT project, sum(amount) AS budget FROM budget WHERE {proj_where} GROUP BY project),
    contract_ac AS (
        SELECT project,
               greatest(coalesce(sum(amount) FILTER (WHERE stage = 'invoiced'), 0),
                        coalesce(sum(amount) FILTER (WHERE stage = 'paid'), 0)) AS ac
        FROM costs WHERE {proj_where} AND date <= ?
        GROUP BY project, category, coalesce(vendor, ''), coalesce(reference, '')
    ),
    spent_sum AS (SELECT project, sum(ac) AS spent FROM contract_ac GROUP BY project),
    projects AS (
        SELECT project FROM plan_sum UNION SELECT project FROM risk_sum UNION SELECT project FROM change_sum
        UNION SELECT project FROM budget_sum UNION SELECT project FROM spent_sum
        UNION SELECT project FROM r UNION SELECT project FROM c
    )
    SELECT p.project, ps.plan_complete, coalesce(ps.late_tasks, 0) AS late_tasks,
           coalesce(rs.open_risks, 0) AS open_risks, coalesce(rs.critical_risks, 0) AS critical_risks,
           coalesce(cs.pending_changes, 0) AS pending_changes, bs.budget, coalesce(ss.spent, 0) AS spent
    FROM projects p
    LEFT JOIN plan_sum ps USING (project) LEFT JOIN risk_sum rs USING (project)
    LEFT JOIN change_sum cs USING (project) LEFT JOIN budget_sum bs USING (project)
    LEFT JOIN spent_sum ss USING (project)
    ORDER BY p.project
    """  # noqa: S608
    params: list[object] = [
        *tasks_params, today,
        *risks_params, critical_score(), list(CLOSED_RISK),
        *changes_params, list(PENDING_CHANGE),
        *proj_params,
        *proj_params, cut,
    ]  # fmt: skip
    df = con.execute(sql, params).df()
    return df[SUMMARY_COLUMNS].reset_index(drop=True)


def programme_totals(summary: pd.DataFrame) -> dict[str, float | None]:
    """Programme-wide figures from `project_summary` rows (pure: tests feed hand-made frames)."""
    if summary.empty:
        return {k: None for k in SUMMARY_COLUMNS if k != "project"} | {"projects": 0.0}
    budget = summary["budget"].dropna()
    return {
        "projects": float(len(summary)),
        "plan_complete": float(summary["plan_complete"].mean()) if summary["plan_complete"].notna().any() else None,
        "late_tasks": float(summary["late_tasks"].sum()),
        "open_risks": float(summary["open_risks"].sum()),
        "critical_risks": float(summary["critical_risks"].sum()),
        "pending_changes": float(summary["pending_changes"].sum()),
        "budget": float(budget.sum()) if not budget.empty else None,
        "spent": float(summary["spent"].sum()),
    }


def budget_used_share(budget: float | None, spent: float | None) -> float | None:
    """spent / budget as a share, None without a positive budget."""
    if budget is None or spent is None or pd.isna(budget) or budget <= 0:
        return None
    return float(spent) / float(budget)
