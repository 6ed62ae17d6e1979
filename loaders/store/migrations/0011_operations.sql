-- 0011 (operations, issue 17): help-desk tickets (运维工单) and inspection logs (巡检记录), both periodic.
-- A ticket row is replaced by a later import of the same ticket id; an inspection row by the same system and day.
CREATE TABLE IF NOT EXISTS incident_rows (
    import_id      BIGINT NOT NULL,
    superseded_by  BIGINT,
    row_no         BIGINT,
    ticket_id      VARCHAR NOT NULL,
    system         VARCHAR NOT NULL,
    department     VARCHAR,
    priority       VARCHAR NOT NULL,   -- P1 | P2 | P3 | P4 (一级–四级, 紧急/高/中/低 normalised by the importer)
    opened         TIMESTAMP NOT NULL,
    responded      TIMESTAMP,          -- NULL = no response recorded
    resolved       TIMESTAMP,          -- NULL = still open
    category       VARCHAR,
    root_cause     VARCHAR,
    title          VARCHAR
);

CREATE TABLE IF NOT EXISTS inspection_rows (
    import_id      BIGINT NOT NULL,
    superseded_by  BIGINT,
    row_no         BIGINT,
    system         VARCHAR NOT NULL,
    planned_date   DATE NOT NULL,
    done_date      DATE,               -- NULL = not done
    items_checked  BIGINT,
    items_failed   BIGINT,
    inspector      VARCHAR,
    note           VARCHAR
);

CREATE OR REPLACE VIEW incidents AS
SELECT r.ticket_id, r.system, r.department, r.priority, r.opened, r.responded, r.resolved, r.category,
       r.root_cause, r.title, r.import_id, i.hospital AS hospital
FROM incident_rows r JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND r.superseded_by IS NULL;

CREATE OR REPLACE VIEW inspections AS
SELECT r.system, r.planned_date, r.done_date, r.items_checked, r.items_failed, r.inspector, r.note, r.import_id,
       i.hospital AS hospital
FROM inspection_rows r JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND r.superseded_by IS NULL;
