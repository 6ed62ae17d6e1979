-- 0007: every contract view shows the hospital key of its rows (`hospital`, from the import that stored them:
-- COCKPIT_HOSPITAL of the app or import job; NULL in a single-hospital store). The latest snapshot of a plan,
-- register or change log is chosen per project AND hospital, so two hospitals' plans of a project called "HIS"
-- never hide each other; the targets table in force is chosen per hospital (NULL = the group-wide table).
-- Every column and rule of 0001..0006 stays as it was; `hospital` is added last.

CREATE OR REPLACE VIEW task_snapshots AS
SELECT t.*, i.hospital AS hospital
FROM task_rows t JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

-- A snapshot's import id names its hospital too, so joining on (project, import_id) keeps NULL hospitals working.
CREATE OR REPLACE VIEW tasks AS
WITH latest AS (
    SELECT project, hospital, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM task_snapshots GROUP BY project, hospital
)
SELECT t.project, t.task_id, t.wbs, t.name, t.phase, t.start, t.finish, t.baseline_start, t.baseline_finish,
       t.percent_complete, t.is_milestone, t.predecessors, t.owner,
       t.is_gate, t.duration_days, t.outline_level, t.is_summary, t.as_of, t.import_id, t.row_no,
       t.actual_start, t.actual_finish, t.constraint_type, t.constraint_date, t.duration_optimistic,
       t.duration_likely, t.duration_pessimistic, t.links, t.calendar, t.baselines, t.hospital
FROM task_snapshots t JOIN latest l USING (project, import_id);

CREATE OR REPLACE VIEW task_links AS
SELECT t.project, t.task_id, l.link.id AS predecessor_id, l.link.type AS link_type, l.link.lag AS lag,
       l.link.unit AS lag_unit, t.as_of, t.import_id, t.hospital
FROM tasks t,
     LATERAL (SELECT unnest(from_json(t.links, '[{"id":"VARCHAR","type":"VARCHAR","lag":"DOUBLE","unit":"VARCHAR"}]'))
              AS link) l
WHERE t.links IS NOT NULL;

CREATE OR REPLACE VIEW risk_snapshots AS
SELECT r.*, r.likelihood * r.impact AS score,
       r.residual_likelihood * r.residual_impact AS residual_score, i.hospital AS hospital
FROM risk_rows r JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW risks AS
WITH latest AS (
    SELECT project, hospital, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM risk_snapshots GROUP BY project, hospital
)
SELECT r.risk_id, r.project, r.title, r.category, r.likelihood, r.impact, r.score, r.owner, r.mitigation,
       r.status, r.identified, r.contingency, r.last_review, r.residual_likelihood, r.residual_impact,
       r.residual_score, r.as_of, r.import_id, r.hospital
FROM risk_snapshots r JOIN latest l USING (project, import_id);

CREATE OR REPLACE VIEW change_snapshots AS
SELECT c.*, i.hospital AS hospital
FROM change_rows c JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW changes AS
WITH latest AS (
    SELECT project, hospital, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM change_snapshots GROUP BY project, hospital
)
SELECT c.change_id, c.project, c.title, c.status, c.requested, c.decided, c.cost_impact,
       c.schedule_impact_days, c.requested_by, c.as_of, c.import_id, c.hospital
FROM change_snapshots c JOIN latest l USING (project, import_id);

CREATE OR REPLACE VIEW budget AS
SELECT b.project, b.category, b.period, b.amount, b.import_id, i.hospital AS hospital
FROM budget_rows b JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND b.superseded_by IS NULL;

CREATE OR REPLACE VIEW costs AS
SELECT c.date, c.project, c.category, c.vendor, c.amount, c.stage, c.reference, c.description, c.import_id,
       i.hospital AS hospital
FROM cost_rows c JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND c.superseded_by IS NULL;

CREATE OR REPLACE VIEW usage AS
SELECT u.period, u.department, u.system, u.active_users, u.eligible_users, u.import_id, i.hospital AS hospital
FROM usage_rows u JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND u.superseded_by IS NULL;

CREATE OR REPLACE VIEW kpis AS
SELECT k.period, k.kpi, k.department, k.value, k.unit, k.import_id, i.hospital AS hospital
FROM kpi_rows k JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND k.superseded_by IS NULL;

CREATE OR REPLACE VIEW target_snapshots AS
SELECT t.*, i.hospital AS hospital
FROM target_rows t JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

-- The table in force per hospital (one group: NULL, the group-wide table, which is all a single hospital has).
CREATE OR REPLACE VIEW targets AS
WITH latest AS (
    SELECT hospital, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM target_snapshots GROUP BY hospital
)
SELECT t.kind, t.name, t.department, t.baseline, t.target, t.unit, t.direction, t.system, t.as_of, t.import_id,
       t.hospital
FROM target_snapshots t JOIN latest l USING (import_id);
