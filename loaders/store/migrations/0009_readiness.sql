-- 0009 (readiness, issue 16; renumbered after 0007_store and 0008_quality): go-live readiness. Quality-gate criteria and department readiness are snapshots
-- (each import is a project's whole checklist as of its date; the views show the latest per hospital and project);
-- training records, chief-user feedback and supervision findings are periodic (a re-import replaces the rows of
-- its replace key: date+department+system, department+system+id, project+id). Status words are normalised by the
-- importer: gate_status met | not_met | waived, readiness ready | not_ready | na, severity high | medium | low.
CREATE TABLE IF NOT EXISTS gate_criterion_rows (
    import_id   BIGINT NOT NULL,
    as_of       DATE NOT NULL,
    row_no      BIGINT,
    project     VARCHAR NOT NULL,
    gate        VARCHAR NOT NULL,
    department  VARCHAR,            -- the department going live at this gate (NULL = the whole roll-out)
    system      VARCHAR,
    due         DATE,
    criterion   VARCHAR NOT NULL,
    measure     VARCHAR,            -- 培训覆盖率 / 使用率 / 严重风险数 / 测试通过率 are computed by metrics.readiness
    threshold   VARCHAR,            -- as written: ≥ 90%, = 0
    actual      VARCHAR,            -- the typed value, as written
    status      VARCHAR,            -- met | not_met | waived; NULL = not assessed
    reason      VARCHAR,            -- a waiver's reason
    evidence    VARCHAR,
    signed_by   VARCHAR,
    signed_on   DATE
);

CREATE TABLE IF NOT EXISTS training_rows (
    import_id     BIGINT NOT NULL,
    superseded_by BIGINT,
    row_no        BIGINT,
    date          DATE NOT NULL,
    department    VARCHAR NOT NULL,
    system        VARCHAR NOT NULL,
    staff         BIGINT NOT NULL,  -- staff to train
    trained       BIGINT NOT NULL,  -- trained by `date`
    passed        BIGINT            -- passed the exam by `date`
);

CREATE TABLE IF NOT EXISTS feedback_rows (
    import_id     BIGINT NOT NULL,
    superseded_by BIGINT,
    row_no        BIGINT,
    feedback_id   VARCHAR NOT NULL,
    department    VARCHAR NOT NULL,
    system        VARCHAR NOT NULL,
    issue         VARCHAR NOT NULL,
    category      VARCHAR,
    severity      VARCHAR,
    raised        DATE NOT NULL,
    resolved      DATE,
    status        VARCHAR,
    chief_user    VARCHAR
);

CREATE TABLE IF NOT EXISTS supervision_rows (
    import_id     BIGINT NOT NULL,
    superseded_by BIGINT,
    row_no        BIGINT,
    finding_id    VARCHAR NOT NULL,
    project       VARCHAR NOT NULL,
    area          VARCHAR,
    finding       VARCHAR NOT NULL,
    severity      VARCHAR,
    action        VARCHAR,
    raised        DATE,
    due           DATE,
    status        VARCHAR,
    closed        DATE,
    closed_by     VARCHAR
);

CREATE TABLE IF NOT EXISTS dept_readiness_rows (
    import_id   BIGINT NOT NULL,
    as_of       DATE NOT NULL,
    row_no      BIGINT,
    project     VARCHAR NOT NULL,
    system      VARCHAR,
    department  VARCHAR NOT NULL,
    dimension   VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,   -- ready | not_ready | na
    go_live     DATE,
    note        VARCHAR
);

CREATE OR REPLACE VIEW gate_criterion_snapshots AS
SELECT g.*, i.hospital
FROM gate_criterion_rows g JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW gate_criteria AS
WITH latest AS (
    SELECT hospital, project, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM gate_criterion_snapshots GROUP BY hospital, project
)
SELECT g.project, g.gate, g.department, g.system, g.due, g.criterion, g.measure, g.threshold, g.actual, g.status,
       g.reason, g.evidence, g.signed_by, g.signed_on, g.as_of, g.import_id, g.row_no, g.hospital
FROM gate_criterion_snapshots g JOIN latest l ON g.import_id = l.import_id AND g.project = l.project;

CREATE OR REPLACE VIEW training AS
SELECT t.date, t.department, t.system, t.staff, t.trained, t.passed, t.import_id, i.hospital
FROM training_rows t JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND t.superseded_by IS NULL;

CREATE OR REPLACE VIEW feedback AS
SELECT f.feedback_id, f.department, f.system, f.issue, f.category, f.severity, f.raised, f.resolved, f.status,
       f.chief_user, f.import_id, i.hospital
FROM feedback_rows f JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND f.superseded_by IS NULL;

CREATE OR REPLACE VIEW supervision AS
SELECT s.finding_id, s.project, s.area, s.finding, s.severity, s.action, s.raised, s.due, s.status, s.closed,
       s.closed_by, s.import_id, i.hospital
FROM supervision_rows s JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND s.superseded_by IS NULL;

CREATE OR REPLACE VIEW dept_readiness_snapshots AS
SELECT r.*, i.hospital
FROM dept_readiness_rows r JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW dept_readiness AS
WITH latest AS (
    SELECT hospital, project, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM dept_readiness_snapshots GROUP BY hospital, project
)
SELECT r.project, r.system, r.department, r.dimension, r.status, r.go_live, r.note, r.as_of, r.import_id, r.row_no,
       r.hospital
FROM dept_readiness_snapshots r JOIN latest l ON r.import_id = l.import_id AND r.project = l.project;
