-- 0008 (quality): data-quality checks (periodic), the EMR grading's item table and the grading targets (snapshots:
-- each import is the whole table as of its date; the views show the latest one per hospital).
CREATE TABLE IF NOT EXISTS quality_rows (
    import_id     BIGINT NOT NULL,
    superseded_by BIGINT,
    row_no        BIGINT,
    period        DATE NOT NULL,
    system        VARCHAR NOT NULL,
    department    VARCHAR,            -- NULL = hospital-wide
    check_name    VARCHAR NOT NULL,   -- ICD-10 编码规范率, 完整性 … as the export names it
    dimension     VARCHAR,
    numerator     BIGINT NOT NULL,
    denominator   BIGINT NOT NULL,
    target        DOUBLE              -- 0..100
);

CREATE TABLE IF NOT EXISTS emr_item_rows (
    import_id         BIGINT NOT NULL,
    as_of             DATE NOT NULL,
    row_no            BIGINT,
    item_no           VARCHAR NOT NULL,
    role              VARCHAR,
    item              VARCHAR NOT NULL,
    is_basic          BOOLEAN NOT NULL,
    current_level     DOUBLE NOT NULL,   -- 0..8
    target_level      DOUBLE,
    coverage          DOUBLE,            -- 有效应用范围, 0..100
    required_coverage DOUBLE,            -- 0..100
    projects          VARCHAR,           -- linked projects, separated by 、 , ; or new lines
    tasks             VARCHAR,           -- linked task ids
    owner             VARCHAR
);

CREATE TABLE IF NOT EXISTS grading_target_rows (
    import_id         BIGINT NOT NULL,
    as_of             DATE NOT NULL,
    row_no            BIGINT,
    evaluation        VARCHAR NOT NULL,  -- 电子病历系统应用水平分级评价, 互联互通标准化成熟度测评 …
    current_level     DOUBLE,
    target_level      DOUBLE NOT NULL,   -- 五级 → 5; 四级甲等 → 4.5
    due               DATE,
    min_score         DOUBLE,            -- the standard's minimum total score for the target grade
    optional_required BIGINT,            -- optional items that must reach the grade
    linked_project    VARCHAR
);

CREATE OR REPLACE VIEW quality_checks AS
SELECT q.period, q.system, q.department, q.check_name, q.dimension, q.numerator, q.denominator, q.target,
       q.import_id, i.hospital
FROM quality_rows q JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND q.superseded_by IS NULL;

CREATE OR REPLACE VIEW emr_item_snapshots AS
SELECT e.*, i.hospital
FROM emr_item_rows e JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW emr_items AS
SELECT e.item_no, e.role, e.item, e.is_basic, e.current_level, e.target_level, e.coverage, e.required_coverage,
       e.projects, e.tasks, e.owner, e.as_of, e.import_id, e.hospital
FROM emr_item_snapshots e
WHERE e.import_id IN (
    SELECT arg_max(import_id, (as_of, import_id)) FROM emr_item_snapshots GROUP BY hospital
);

CREATE OR REPLACE VIEW grading_target_snapshots AS
SELECT g.*, i.hospital
FROM grading_target_rows g JOIN import_log i USING (import_id)
WHERE i.status = 'loaded';

CREATE OR REPLACE VIEW grading_targets AS
SELECT g.evaluation, g.current_level, g.target_level, g.due, g.min_score, g.optional_required, g.linked_project,
       g.as_of, g.import_id, g.hospital
FROM grading_target_snapshots g
WHERE g.import_id IN (
    SELECT arg_max(import_id, (as_of, import_id)) FROM grading_target_snapshots GROUP BY hospital
);
