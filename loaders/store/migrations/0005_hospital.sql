-- 0005: every row carries the hospital that loaded it (a hospital group shares one store). The hospital is a
-- property of the import (COCKPIT_HOSPITAL, or --hospital on the command line), so it lives in import_log and every
-- contract view shows it as `hospital` (NULL in a single-hospital store). The latest snapshot is now chosen per
-- hospital and project, so two hospitals' plans of a project with the same name never hide each other.
ALTER TABLE import_log ADD COLUMN hospital VARCHAR;

CREATE OR REPLACE VIEW imports AS
SELECT import_id, dataset, file_name, sheet, sha256, rows, imported_at, imported_by, status, message,
       as_of, encoding, undone_by, stored_file, source, name_pattern, via, hospital
FROM import_log;

CREATE OR REPLACE VIEW task_snapshots AS
SELECT t.*, i.hospital
FROM task_rows t JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW tasks AS
WITH latest AS (
    SELECT hospital, project, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM task_snapshots GROUP BY hospital, project
)
SELECT t.project, t.task_id, t.wbs, t.name, t.phase, t.start, t.finish, t.baseline_start, t.baseline_finish,
       t.percent_complete, t.is_milestone, t.predecessors, t.owner,
       t.is_gate, t.duration_days, t.outline_level, t.is_summary, t.as_of, t.import_id, t.row_no,
       t.actual_start, t.actual_finish, t.constraint_type, t.constraint_date, t.duration_optimistic,
       t.duration_likely, t.duration_pessimistic, t.links, t.calendar, t.baselines, t.hospital
FROM task_snapshots t JOIN latest l USING (project, import_id);

CREATE OR REPLACE VIEW risk_snapshots AS
SELECT r.*, r.likelihood * r.impact AS score,
       r.residual_likelihood * r.residual_impact AS residual_score, i.hospital
FROM risk_rows r JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW risks AS
WITH latest AS (
    SELECT hospital, project, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM risk_snapshots GROUP BY hospital, project
)
SELECT r.risk_id, r.project, r.title, r.category, r.likelihood, r.impact, r.score, r.owner, r.mitigation,
       r.status, r.identified, r.contingency, r.last_review, r.residual_likelihood, r.residual_impact,
       r.residual_score, r.as_of, r.import_id, r.hospital
FROM risk_snapshots r JOIN latest l USING (project, import_id);

CREATE OR REPLACE VIEW change_snapshots AS
SELECT c.*, i.hospital
FROM change_rows c JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW changes AS
WITH latest AS (
    SELECT hospital, project, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM change_snapshots GROUP BY hospital, project
)
SELECT c.change_id, c.project, c.title, c.status, c.requested, c.decided, c.cost_impact,
       c.schedule_impact_days, c.requested_by, c.as_of, c.import_id, c.hospital
FROM change_snapshots c JOIN latest l USING (project, import_id);

CREATE OR REPLACE VIEW budget AS
SELECT b.project, b.category, b.period, b.amount, b.import_id, i.hospital
FROM budget_rows b JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND b.superseded_by IS NULL;

CREATE OR REPLACE VIEW costs AS
SELECT c.date, c.project, c.category, c.vendor, c.amount, c.stage, c.reference, c.description, c.import_id,
       i.hospital
FROM cost_rows c JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND c.superseded_by IS NULL;

CREATE OR REPLACE VIEW usage AS
SELECT u.period, u.department, u.system, u.active_users, u.eligible_users, u.import_id, i.hospital
FROM usage_rows u JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND u.superseded_by IS NULL;

CREATE OR REPLACE VIEW kpis AS
SELECT k.period, k.kpi, k.department, k.value, k.unit, k.import_id, i.hospital
FROM kpi_rows k JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND k.superseded_by IS NULL;

CREATE OR REPLACE VIEW target_snapshots AS
SELECT t.*, i.hospital
FROM target_rows t JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

-- the table in force: each hospital's latest targets import
CREATE OR REPLACE VIEW targets AS
SELECT t.kind, t.name, t.department, t.baseline, t.target, t.unit, t.direction, t.system, t.as_of, t.import_id,
       t.hospital
FROM target_snapshots t
WHERE t.import_id IN (SELECT arg_max(import_id, (as_of, import_id)) FROM target_snapshots GROUP BY hospital);
