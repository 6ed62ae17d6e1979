-- The spread of department usage rates per week and month (grain) and system: the count of departments with a
-- rate and the sorted rates around the middle, so "the median of the other departments" of any department
-- (metrics.adoption.department_trend) is read from one row per bucket instead of a median over every department's
-- rollup. rate = active / eligible of a usage_rollup row (NULL rates left out); with the rates sorted ascending
-- and q = n // 2 (0-based): lo = rate[q - 1], mid = rate[q], hi = rate[q + 1], median = the median of them all.
-- Kept with usage_rollup by loaders/store/rollups.py (same transactions, same data-version mark).
CREATE TABLE IF NOT EXISTS usage_rollup_spread (
    grain  VARCHAR NOT NULL,  -- week | month
    period DATE NOT NULL,     -- the bucket's first day
    system VARCHAR NOT NULL,
    n      BIGINT NOT NULL,   -- departments with a rate
    lo     DOUBLE,
    mid    DOUBLE,
    hi     DOUBLE,
    median DOUBLE
);  -- one row per (grain, period, system) of usage_rollup with a rate

DELETE FROM usage_rollup_spread;
INSERT INTO usage_rollup_spread
SELECT grain, period, system, any_value(n),
       max(rate) FILTER (WHERE i = n // 2 - 1), max(rate) FILTER (WHERE i = n // 2),
       max(rate) FILTER (WHERE i = n // 2 + 1), median(rate)
FROM (
    SELECT grain, period, system, rate,
           row_number() OVER (PARTITION BY grain, period, system ORDER BY rate) - 1 AS i,
           count(*) OVER (PARTITION BY grain, period, system) AS n
    FROM (SELECT grain, period, system, active::DOUBLE / eligible AS rate FROM usage_rollup)
    WHERE rate IS NOT NULL
)
GROUP BY grain, period, system;
