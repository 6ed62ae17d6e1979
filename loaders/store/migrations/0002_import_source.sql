-- 0002: where each import came from. A re-import of a periodic ledger replaces only rows of the same source
-- (the same export: sheet + header signature, or the same file-name pattern); an attempt is written as 'started'
-- before its work and turned into its outcome, so a killed import leaves an 'interrupted' row; `via` names the
-- way in (web, cli, inbox, demo).
ALTER TABLE import_log ADD COLUMN source VARCHAR;        -- sheet name + normalised header list (headers.signature)
ALTER TABLE import_log ADD COLUMN name_pattern VARCHAR;  -- the file name with dates and numbers blanked out
ALTER TABLE import_log ADD COLUMN via VARCHAR;           -- web | cli | inbox | demo
ALTER TABLE import_log ADD COLUMN pid BIGINT;            -- the process running a 'started' attempt
ALTER TABLE import_log ADD COLUMN host VARCHAR;

-- earlier imports get their file-name pattern (loaders.store.writes.name_pattern computes the same)
UPDATE import_log SET name_pattern = regexp_replace(lower(trim(file_name)), '[0-9]+', '#', 'g')
WHERE file_name IS NOT NULL;

CREATE OR REPLACE VIEW imports AS
SELECT import_id, dataset, file_name, sheet, sha256, rows, imported_at, imported_by, status, message,
       as_of, encoding, undone_by, stored_file, source, name_pattern, via
FROM import_log;
