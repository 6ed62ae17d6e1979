"""The one definition of "the latest snapshot per project as of a date" (plans, risk registers, change logs).

Per project and hospital (a hospital group's store holds each member's plan of a project; NULL in a single-hospital
store), the snapshot with the greatest (as_of, import_id) among those dated on or before the cut-off: a later
date wins, and a re-import of the same date wins over the earlier import. The views `tasks`, `risks` and `changes`
are the same rule with no cut-off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from loaders.store.connection import quote_ident

SNAPSHOT_VIEWS = ("task_snapshots", "risk_snapshots", "change_snapshots")


def latest_snapshot(
    view: str,
    where: str = "TRUE",
    params: Sequence[object] = (),
    as_of: dt.date | None = None,
) -> tuple[str, list[object]]:
    """A parenthesised subquery (use as `FROM {sql} s`) holding every row of each project's latest snapshot (per
    hospital: one hospital's later plan of a project never hides another hospital's plan of the same name).

    `where` is our own SQL fragment on the snapshot view's columns (a project or scope clause) with `params` bound
    to it; `as_of` cuts off snapshots dated after it. Returns the SQL and its parameters in order.
    """
    if view not in SNAPSHOT_VIEWS:
        raise ValueError(f"not a snapshot view: {view!r}")
    v = quote_ident(view)
    cutoff = "TRUE" if as_of is None else "as_of <= ?"
    sql = (
        f"(SELECT s.* FROM {v} s JOIN ("  # noqa: S608
        f"SELECT project, hospital, arg_max(import_id, (as_of, import_id)) AS import_id FROM {v}"
        f" WHERE ({where}) AND {cutoff} GROUP BY project, hospital"
        # an import id names its hospital, so (project, import_id) also joins a NULL hospital
        ") latest USING (project, import_id))"
    )
    return sql, [*params, *([as_of] if as_of is not None else [])]
