-- Usage rollups: per week and per month (grain), department and system, the sums every adoption query
-- starts from, so a query over ten years of daily rows reads thousands of sums instead of millions of rows.
-- Kept equal to the `usage` view by loaders/store/rollups.py inside every import and undo of usage; the metrics
-- use it only while store_meta 'usage_rollup_version' equals the data version (else they read `usage` itself).
CREATE TABLE IF NOT EXISTS usage_rollup (
    grain            VARCHAR NOT NULL,  -- week | month
    period           DATE NOT NULL,     -- the bucket's first day (date_trunc)
    department       VARCHAR NOT NULL,
    system           VARCHAR NOT NULL,
    active           BIGINT,            -- Σ active_users of rows with eligible users (NULL: none)
    eligible         BIGINT,            -- Σ eligible_users of those rows
    no_eligible_rows BIGINT NOT NULL,   -- rows without eligible users
    rows             BIGINT NOT NULL,
    last_day         DATE NOT NULL      -- the bucket's newest row
);  -- one row per (grain, period, department, system); the group store (hospitals) keeps no rollups

-- A store upgraded with data gets its rollups now (the same sums as loaders/store/rollups.py), marked current.
DELETE FROM usage_rollup;
INSERT INTO usage_rollup
SELECT g.grain, date_trunc(g.grain, u.period)::DATE, u.department, u.system,
       (sum(u.active_users) FILTER (WHERE u.eligible_users > 0))::BIGINT,
       (sum(u.eligible_users) FILTER (WHERE u.eligible_users > 0))::BIGINT,
       count(*) FILTER (WHERE u.eligible_users IS NULL OR u.eligible_users <= 0),
       count(*), max(u.period)
FROM usage_rows u JOIN import_log i USING (import_id) CROSS JOIN (VALUES ('week'), ('month')) g(grain)
WHERE i.status = 'loaded' AND u.superseded_by IS NULL
GROUP BY ALL;
DELETE FROM store_meta WHERE key = 'usage_rollup_version';
INSERT INTO store_meta (key, value) SELECT 'usage_rollup_version', value FROM store_meta WHERE key = 'data_version';
