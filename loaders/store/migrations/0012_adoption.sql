-- Per week and month (grain) and system: the hospital's sums (what a hospital-wide trend reads) and the spread of
-- department usage rates: the count of departments with a rate and the sorted rates around the middle, so "the
-- median of the other departments" of any department (metrics.adoption.department_trend) is read from one row per
-- bucket instead of a median over every department's rollup. rate = active / eligible of a usage_rollup row (NULL
-- rates left out); sorted ascending, with q = n // 2 (0-based): lo = rate[q - 1], mid = rate[q], hi = rate[q + 1];
-- median = the median of them all.
-- Kept with usage_rollup by loaders/store/rollups.py (same transactions, same data-version mark).
CREATE TABLE IF NOT EXISTS usage_rollup_spread (
    grain  VARCHAR NOT NULL,  -- week | month
    period DATE NOT NULL,     -- the bucket's first day
    system VARCHAR NOT NULL,
    active BIGINT,            -- the hospital's sums: every department's usage_rollup row of the bucket
    eligible BIGINT,
    no_eligible_rows BIGINT NOT NULL,
    n      BIGINT NOT NULL,   -- departments with a rate
    lo     DOUBLE,
    mid    DOUBLE,
    hi     DOUBLE,
    median DOUBLE
);  -- one row per (grain, period, system) of usage_rollup

-- The rollups in period order (0010 wrote them in hash order): a query for recent buckets then skips the row groups
-- of older ones by their min/max period. loaders/store/rollups.py writes them in this order from now on.
CREATE TABLE usage_rollup_sorted AS SELECT * FROM usage_rollup ORDER BY grain, period, system, department;
DELETE FROM usage_rollup;
INSERT INTO usage_rollup SELECT * FROM usage_rollup_sorted ORDER BY grain, period, system, department;
DROP TABLE usage_rollup_sorted;

DELETE FROM usage_rollup_spread;
INSERT INTO usage_rollup_spread
SELECT grain, period, system, sum(active)::BIGINT, sum(eligible)::BIGINT, sum(no_eligible_rows)::BIGINT,
       count(rate), max(rate) FILTER (WHERE i = n // 2 - 1), max(rate) FILTER (WHERE i = n // 2),
       max(rate) FILTER (WHERE i = n // 2 + 1), median(rate)
FROM (
    SELECT grain, period, system, active, eligible, no_eligible_rows, rate,
           row_number() OVER (PARTITION BY grain, period, system ORDER BY rate ASC NULLS LAST) - 1 AS i,
           count(rate) OVER (PARTITION BY grain, period, system) AS n
    FROM (SELECT *, active::DOUBLE / eligible AS rate FROM usage_rollup)
)
GROUP BY grain, period, system;
