-- The store's schema, applied idempotently every time the store is opened.
-- Raw tables keep every import (snapshots with their as-of date, periodic facts with the import that
-- superseded them); the views named in the README are the contract analysts and pages query.

CREATE SEQUENCE IF NOT EXISTS import_seq START 1;

CREATE TABLE IF NOT EXISTS import_log (
    import_id   BIGINT PRIMARY KEY,
    dataset     VARCHAR NOT NULL,
    file_name   VARCHAR,
    sheet       VARCHAR,
    sha256      VARCHAR,
    rows        BIGINT,
    imported_at TIMESTAMP NOT NULL,
    imported_by VARCHAR,
    status      VARCHAR NOT NULL,   -- loaded | refused | skipped | undone | failed
    message     VARCHAR,
    as_of       DATE,               -- snapshots: the plan / register date
    encoding    VARCHAR,
    undone_by   BIGINT,             -- set on a loaded import that was undone later
    stored_file VARCHAR             -- the original file, content-addressed beside the store
);

CREATE TABLE IF NOT EXISTS store_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE TABLE IF NOT EXISTS column_mappings (
    signature  VARCHAR NOT NULL,    -- dataset + sheet name + normalised header list
    dataset    VARCHAR NOT NULL,
    source     VARCHAR NOT NULL,    -- header text as written in the file
    field      VARCHAR NOT NULL,    -- canonical field, or '' for ignored
    saved_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (signature, source)
);

CREATE TABLE IF NOT EXISTS task_rows (
    import_id        BIGINT NOT NULL,
    as_of            DATE NOT NULL,
    row_no           BIGINT,
    project          VARCHAR NOT NULL,
    task_id          VARCHAR NOT NULL,
    wbs              VARCHAR,
    name             VARCHAR NOT NULL,
    phase            VARCHAR,
    start            DATE,
    finish           DATE,
    baseline_start   DATE,
    baseline_finish  DATE,
    percent_complete DOUBLE,
    duration_days    DOUBLE,
    is_milestone     BOOLEAN,
    is_gate          BOOLEAN,
    predecessors     VARCHAR,
    owner            VARCHAR,
    outline_level    INTEGER,
    is_summary       BOOLEAN
);

CREATE TABLE IF NOT EXISTS budget_rows (
    import_id     BIGINT NOT NULL,
    superseded_by BIGINT,
    row_no        BIGINT,
    project       VARCHAR NOT NULL,
    category      VARCHAR NOT NULL,
    period        DATE,
    amount        DOUBLE NOT NULL
);

CREATE TABLE IF NOT EXISTS cost_rows (
    import_id     BIGINT NOT NULL,
    superseded_by BIGINT,
    row_no        BIGINT,
    date          DATE NOT NULL,
    project       VARCHAR NOT NULL,
    category      VARCHAR NOT NULL,
    vendor        VARCHAR,
    amount        DOUBLE NOT NULL,
    stage         VARCHAR NOT NULL,
    reference     VARCHAR,
    description   VARCHAR
);

CREATE TABLE IF NOT EXISTS risk_rows (
    import_id           BIGINT NOT NULL,
    as_of               DATE NOT NULL,
    row_no              BIGINT,
    risk_id             VARCHAR NOT NULL,
    project             VARCHAR NOT NULL,
    title               VARCHAR NOT NULL,
    category            VARCHAR,
    likelihood          INTEGER NOT NULL,
    impact              INTEGER NOT NULL,
    owner               VARCHAR,
    mitigation          VARCHAR,
    contingency         VARCHAR,
    status              VARCHAR,
    identified          DATE,
    last_review         DATE,
    residual_likelihood INTEGER,
    residual_impact     INTEGER
);

CREATE TABLE IF NOT EXISTS change_rows (
    import_id            BIGINT NOT NULL,
    as_of                DATE NOT NULL,
    row_no               BIGINT,
    change_id            VARCHAR NOT NULL,
    project              VARCHAR NOT NULL,
    title                VARCHAR NOT NULL,
    status               VARCHAR NOT NULL,
    requested            DATE NOT NULL,
    decided              DATE,
    cost_impact          DOUBLE,
    schedule_impact_days INTEGER,
    requested_by         VARCHAR
);

CREATE TABLE IF NOT EXISTS usage_rows (
    import_id      BIGINT NOT NULL,
    superseded_by  BIGINT,
    row_no         BIGINT,
    period         DATE NOT NULL,
    department     VARCHAR NOT NULL,
    system         VARCHAR NOT NULL,
    active_users   BIGINT NOT NULL,
    eligible_users BIGINT
);

CREATE TABLE IF NOT EXISTS kpi_rows (
    import_id     BIGINT NOT NULL,
    superseded_by BIGINT,
    row_no        BIGINT,
    period        DATE NOT NULL,
    kpi           VARCHAR NOT NULL,
    department    VARCHAR,
    value         DOUBLE NOT NULL,
    unit          VARCHAR
);

-- ---------------------------------------------------------------- the contract views
CREATE OR REPLACE VIEW imports AS
SELECT import_id, dataset, file_name, sheet, sha256, rows, imported_at, imported_by, status, message,
       as_of, encoding, undone_by, stored_file
FROM import_log;

-- Every snapshot of every plan, with its as-of date (week-over-week and slippage read this).
CREATE OR REPLACE VIEW task_snapshots AS
SELECT t.*
FROM task_rows t JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

-- The latest snapshot per project: the greatest (as_of, import_id) that holds the project.
CREATE OR REPLACE VIEW tasks AS
WITH latest AS (
    SELECT project, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM task_snapshots GROUP BY project
)
SELECT t.project, t.task_id, t.wbs, t.name, t.phase, t.start, t.finish, t.baseline_start, t.baseline_finish,
       t.percent_complete, t.is_milestone, t.predecessors, t.owner,
       t.is_gate, t.duration_days, t.outline_level, t.is_summary, t.as_of, t.import_id, t.row_no
FROM task_snapshots t JOIN latest l USING (project, import_id);

CREATE OR REPLACE VIEW risk_snapshots AS
SELECT r.*, r.likelihood * r.impact AS score,
       r.residual_likelihood * r.residual_impact AS residual_score
FROM risk_rows r JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW risks AS
WITH latest AS (
    SELECT project, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM risk_snapshots GROUP BY project
)
SELECT r.risk_id, r.project, r.title, r.category, r.likelihood, r.impact, r.score, r.owner, r.mitigation,
       r.status, r.identified, r.contingency, r.last_review, r.residual_likelihood, r.residual_impact,
       r.residual_score, r.as_of, r.import_id
FROM risk_snapshots r JOIN latest l USING (project, import_id);

CREATE OR REPLACE VIEW change_snapshots AS
SELECT c.*
FROM change_rows c JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW changes AS
WITH latest AS (
    SELECT project, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM change_snapshots GROUP BY project
)
SELECT c.change_id, c.project, c.title, c.status, c.requested, c.decided, c.cost_impact,
       c.schedule_impact_days, c.requested_by, c.as_of, c.import_id
FROM change_snapshots c JOIN latest l USING (project, import_id);

CREATE OR REPLACE VIEW budget AS
SELECT b.project, b.category, b.period, b.amount, b.import_id
FROM budget_rows b JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND b.superseded_by IS NULL;

CREATE OR REPLACE VIEW costs AS
SELECT c.date, c.project, c.category, c.vendor, c.amount, c.stage, c.reference, c.description, c.import_id
FROM cost_rows c JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND c.superseded_by IS NULL;

CREATE OR REPLACE VIEW usage AS
SELECT u.period, u.department, u.system, u.active_users, u.eligible_users, u.import_id
FROM usage_rows u JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND u.superseded_by IS NULL;

CREATE OR REPLACE VIEW kpis AS
SELECT k.period, k.kpi, k.department, k.value, k.unit, k.import_id
FROM kpi_rows k JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND k.superseded_by IS NULL;
