"""The usage rollups (table usage_rollup, migration 0010_speed): weekly and monthly sums per department and system,
with the spread of department rates per bucket and system (usage_rollup_spread, migration 0012_adoption), rebuilt
inside the transaction of every import or undo that changes usage, for the buckets it touches.
`store_meta.usage_rollup_version` records the data version they match; readers fall back to the rows otherwise."""

from __future__ import annotations

import duckdb

from loaders.store.connection import data_version

GRAINS = ("week", "month")
_MARK = "usage_rollup_version"
_ROWS = """
    SELECT ?::VARCHAR AS grain, date_trunc(?, u.period)::DATE AS period, u.department, u.system,
           (sum(u.active_users) FILTER (WHERE u.eligible_users > 0))::BIGINT AS active,
           (sum(u.eligible_users) FILTER (WHERE u.eligible_users > 0))::BIGINT AS eligible,
           count(*) FILTER (WHERE u.eligible_users IS NULL OR u.eligible_users <= 0) AS no_eligible_rows,
           count(*) AS rows, max(u.period) AS last_day
    FROM usage_rows u JOIN import_log i USING (import_id)
    WHERE i.status = 'loaded' AND u.superseded_by IS NULL AND {where}
    GROUP BY ALL
    ORDER BY period
"""  # stored in period order: a query for recent buckets skips the older row groups (zone maps)

# Per bucket and system, the hospital's sums, n rates and the sorted ones around the middle: what migration
# 0012_adoption's statement gives (there with a window over the rates, 3.5x slower; tests/test_usage_rollups.py runs
# both), from one sorted list of the rates per bucket (1-based: rate[q - 1] 0-based is l[q], out of range is NULL).
_SPREAD = """
    SELECT grain, period, system, active, eligible, no_eligible_rows, n, l[n // 2], l[n // 2 + 1], l[n // 2 + 2], median
    FROM (
        SELECT grain, period, system, sum(active)::BIGINT AS active, sum(eligible)::BIGINT AS eligible,
               sum(no_eligible_rows)::BIGINT AS no_eligible_rows, count(rate) AS n,
               list(rate ORDER BY rate) FILTER (WHERE rate IS NOT NULL) AS l, median(rate) AS median
        FROM (SELECT *, active::DOUBLE / eligible AS rate FROM usage_rollup WHERE {where})
        GROUP BY grain, period, system
    )
"""


def _enabled(con: duckdb.DuckDBPyConnection) -> bool:
    from loaders.store import lake

    return lake.spec_of(con) is None  # the group store reads its Parquet rows (no in-place rollup upkeep there)


def _mark(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM store_meta WHERE key = ?", [_MARK])
    con.execute("INSERT INTO store_meta (key, value) VALUES (?, ?)", [_MARK, str(data_version(con))])


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Every bucket from the rows (a store whose rows were written without the importer, e.g. a benchmark)."""
    if not _enabled(con):
        return
    con.execute("DELETE FROM usage_rollup")
    con.execute("DELETE FROM usage_rollup_spread")
    for grain in GRAINS:
        con.execute("INSERT INTO usage_rollup " + _ROWS.format(where="TRUE"), [grain, grain])
    con.execute("INSERT INTO usage_rollup_spread " + _SPREAD.format(where="TRUE"))
    _mark(con)


def after_write(con: duckdb.DuckDBPyConnection, dataset: str, import_id: int) -> None:
    """Inside an import's or undo's transaction, after the data version moved: recompute the buckets holding the
    rows of `import_id` (a usage import replaces rows with the same period, department and system, so the rows it
    replaced or brought back are in the same buckets), then mark the rollups current. A store whose rollups were
    already behind is rebuilt whole."""
    if not _enabled(con):
        return
    row = con.execute("SELECT value FROM store_meta WHERE key = ?", [_MARK]).fetchone()
    if row is None or int(row[0]) != data_version(con) - 1:
        rebuild(con)
        return
    if dataset == "usage":
        touched = "SELECT DISTINCT date_trunc(?, period)::DATE FROM usage_rows WHERE import_id = ?"
        for grain in GRAINS:
            drop = f"DELETE FROM usage_rollup WHERE grain = ? AND period IN ({touched})"  # noqa: S608
            con.execute(drop, [grain, grain, import_id])
            where = f"date_trunc(?, u.period)::DATE IN ({touched})"
            con.execute(
                "INSERT INTO usage_rollup " + _ROWS.format(where=where), [grain, grain, grain, grain, import_id]
            )
            drop = f"DELETE FROM usage_rollup_spread WHERE grain = ? AND period IN ({touched})"  # noqa: S608
            con.execute(drop, [grain, grain, import_id])
            spread = _SPREAD.format(where=f"grain = ? AND period IN ({touched})")
            con.execute("INSERT INTO usage_rollup_spread " + spread, [grain, grain, import_id])
    _mark(con)
