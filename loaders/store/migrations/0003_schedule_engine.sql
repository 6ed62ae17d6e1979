-- 0003: what the schedule engine needs from a plan. Actual dates, the constraint, three-point durations (read
-- from the file's columns); links as JSON [{id, type FS/SS/FF/SF, lag, unit d/ed/%}] beside the predecessors text
-- as written; the plan's own calendar and every baseline as JSON (from .mpp / MS Project XML through MPXJ).
ALTER TABLE task_rows ADD COLUMN actual_start DATE;
ALTER TABLE task_rows ADD COLUMN actual_finish DATE;
ALTER TABLE task_rows ADD COLUMN constraint_type VARCHAR;       -- SNET SNLT FNET FNLT MSO MFO ALAP
ALTER TABLE task_rows ADD COLUMN constraint_date DATE;
ALTER TABLE task_rows ADD COLUMN duration_optimistic DOUBLE;    -- working days
ALTER TABLE task_rows ADD COLUMN duration_likely DOUBLE;
ALTER TABLE task_rows ADD COLUMN duration_pessimistic DOUBLE;
ALTER TABLE task_rows ADD COLUMN links VARCHAR;
ALTER TABLE task_rows ADD COLUMN calendar VARCHAR;              -- {"name", "week": "1111100", "off": [...], "work": [...]}
ALTER TABLE task_rows ADD COLUMN baselines VARCHAR;             -- [{"n": 0..10, "start", "finish"}]

CREATE OR REPLACE VIEW task_snapshots AS
SELECT t.*
FROM task_rows t JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW tasks AS
WITH latest AS (
    SELECT project, arg_max(import_id, (as_of, import_id)) AS import_id
    FROM task_snapshots GROUP BY project
)
SELECT t.project, t.task_id, t.wbs, t.name, t.phase, t.start, t.finish, t.baseline_start, t.baseline_finish,
       t.percent_complete, t.is_milestone, t.predecessors, t.owner,
       t.is_gate, t.duration_days, t.outline_level, t.is_summary, t.as_of, t.import_id, t.row_no,
       t.actual_start, t.actual_finish, t.constraint_type, t.constraint_date, t.duration_optimistic,
       t.duration_likely, t.duration_pessimistic, t.links, t.calendar, t.baselines
FROM task_snapshots t JOIN latest l USING (project, import_id);

-- Every link of the latest plans with its type and lag (unit d = working days, ed = elapsed days, % = share of
-- the predecessor's duration).
CREATE OR REPLACE VIEW task_links AS
SELECT t.project, t.task_id, l.link.id AS predecessor_id, l.link.type AS link_type, l.link.lag AS lag,
       l.link.unit AS lag_unit, t.as_of, t.import_id
FROM tasks t,
     LATERAL (SELECT unnest(from_json(t.links, '[{"id":"VARCHAR","type":"VARCHAR","lag":"DOUBLE","unit":"VARCHAR"}]'))
              AS link) l
WHERE t.links IS NOT NULL;
