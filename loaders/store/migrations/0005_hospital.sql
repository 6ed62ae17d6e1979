-- 0005: every import records the hospital that loaded it (a hospital group shares one store): COCKPIT_HOSPITAL of
-- the app or import job, NULL in a single-hospital store. A re-import replaces (or skips as the same file) only its
-- own hospital's rows. The contract views do not show it yet: a row's hospital is its import's (join `imports`).
ALTER TABLE import_log ADD COLUMN hospital VARCHAR;

CREATE OR REPLACE VIEW imports AS
SELECT import_id, dataset, file_name, sheet, sha256, rows, imported_at, imported_by, status, message,
       as_of, encoding, undone_by, stored_file, source, name_pattern, via, hospital
FROM import_log;
