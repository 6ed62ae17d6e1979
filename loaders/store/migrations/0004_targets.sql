-- 0003: the targets dataset (issue 15). KPI baselines/targets and usage-rate targets: each import is the whole
-- table as of its date; `targets` shows the table in force, `target_snapshots` every one.
CREATE TABLE IF NOT EXISTS target_rows (
    import_id   BIGINT NOT NULL,
    as_of       DATE NOT NULL,
    row_no      BIGINT,
    kind        VARCHAR NOT NULL,   -- kpi | usage (效益指标 | 使用率), normalised by metrics.targets
    name        VARCHAR NOT NULL,   -- the KPI, or the system
    department  VARCHAR,            -- NULL = hospital-wide / every department
    baseline    DOUBLE,
    target      DOUBLE NOT NULL,
    unit        VARCHAR,
    direction   VARCHAR,            -- lower | higher (越低越好 | 越高越好)
    system      VARCHAR             -- kpi rows: the system whose go-live the KPI is measured against
);

CREATE OR REPLACE VIEW target_snapshots AS
SELECT t.*
FROM target_rows t JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW targets AS
SELECT t.kind, t.name, t.department, t.baseline, t.target, t.unit, t.direction, t.system, t.as_of, t.import_id
FROM target_snapshots t
WHERE t.import_id = (SELECT arg_max(import_id, (as_of, import_id)) FROM target_snapshots);
