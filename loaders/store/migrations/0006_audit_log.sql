-- The audit trail (append-only: the code only ever inserts): sign-ins and failures, sign-outs, imports, undos,
-- mapping changes, downloads, role changes. `scope` is the viewer's bound scope (role:department).
CREATE SEQUENCE IF NOT EXISTS audit_seq START 1;
CREATE TABLE IF NOT EXISTS audit_log (
    audit_id    BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    occurred_at TIMESTAMP NOT NULL,
    who         VARCHAR NOT NULL,
    role        VARCHAR,
    event       VARCHAR NOT NULL,  -- sign_in | sign_in_failed | sign_out | import | undo | mapping | download | role_change | refused
    target      VARCHAR,           -- file, page, user or download name
    scope       VARCHAR,
    result      VARCHAR,
    detail      VARCHAR
);
