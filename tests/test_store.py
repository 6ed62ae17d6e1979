"""The store package: registry and schema agree, migrations run once, an old store upgrades in place, the
latest-snapshot rule, and a dataset added only in the registry and a migration is stored and replaced."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from loaders import datasets, headers, importer, store
from loaders.datasets import DATASETS, Dataset, Field
from loaders.errors import StoreUnavailable
from loaders.store import migrations, registry
from tests import storekit

FIXTURES = Path(__file__).with_name("fixtures")
RELEASE1_SCHEMA = FIXTURES / "schema_release1.sql"

INTEGERS = {"INTEGER", "BIGINT", "SMALLINT", "HUGEINT"}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


# ------------------------------------------------------------------------------------ registry vs schema


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_schema_and_registry_agree(name: str) -> None:
    con = store.memory_store()
    ds = DATASETS[name]
    table = registry.raw_table(ds)
    cols = _columns(con, table)
    assert cols, f"{name}: raw table {table} missing from the schema"
    expected = set(registry.meta_columns(ds)) | set(registry.store_columns(ds))
    assert set(cols) == expected, f"{name}: schema {sorted(cols)} vs registry {sorted(expected)}"
    for f in ds.fields:
        want = registry.SQL_TYPES[f.kind]
        have = cols[f.name]
        assert have == want or {have, want} <= INTEGERS, f"{name}.{f.name}: {f.kind} stored as {have}"
    for k in (*ds.key, *ds.replace_key):
        assert k == "month" or k in {f.name for f in ds.fields}, f"{name}: key {k} is not a field"
    if ds.mode == "periodic":
        assert ds.replace_key, f"{name}: a periodic dataset needs a replace_key"
        registry.replace_match(ds)  # builds without error
    # the contract view of the dataset exists and reads
    con.execute(f"SELECT * FROM {store.quote_ident(name)} LIMIT 0")  # noqa: S608


def test_every_raw_table_belongs_to_a_dataset() -> None:
    con = store.memory_store()
    tables = {
        str(r[0])
        for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE suffix(table_name, '_rows')").fetchall()
    }
    assert tables == {registry.raw_table(d) for d in DATASETS.values()}


def test_a_field_missing_from_the_store_is_impossible() -> None:
    # the old trap: a field declared in the registry but not in the stored-column list was stored as NULL
    for ds in DATASETS.values():
        assert {f.name for f in ds.fields} <= set(importer.STORE_COLUMNS[ds.name])


# ------------------------------------------------------------------------------------------- migrations


def test_migrations_are_numbered_and_the_first_is_the_previous_release() -> None:
    found = migrations.migrations()
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert found[0].name == "initial"
    assert found[0].sql() == RELEASE1_SCHEMA.read_text(encoding="utf-8")


def test_a_fresh_store_records_every_migration_once(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    con = store.open_store(db)
    rows = con.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()
    assert [r[0] for r in rows] == list(range(1, migrations.latest_version() + 1))
    assert migrations.migrate(con) == []  # nothing pending: nothing runs
    con.close()
    con = store.open_store(db)
    again = con.execute("SELECT version, name, applied_at FROM schema_version ORDER BY version").fetchall()
    assert len(again) == len(rows)
    con.close()


def test_a_new_migration_file_runs_once_and_a_failing_one_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for m in migrations.migrations():
        (folder / m.path.name).write_text(m.sql(), encoding="utf-8")
    con = store.memory_store()
    n = migrations.latest_version()
    nxt = folder / f"{n + 1:04d}_add_note.sql"
    nxt.write_text("ALTER TABLE import_log ADD COLUMN note VARCHAR;\n", encoding="utf-8")
    assert migrations.migrate(con, folder) == [n + 1]
    assert "note" in _columns(con, "import_log")
    assert migrations.migrate(con, folder) == []  # applied once: a second run would fail on the duplicate column
    bad = folder / f"{n + 2:04d}_broken.sql"
    bad.write_text("ALTER TABLE import_log ADD COLUMN extra VARCHAR;\nTHIS IS NOT SQL;\n", encoding="utf-8")
    with pytest.raises(duckdb.Error):
        migrations.migrate(con, folder)
    assert "extra" not in _columns(con, "import_log")
    assert migrations.schema_version(con) == n + 1
    (folder / "7_oops.sql").write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="NNNN_name.sql"):
        migrations.migrations(folder)


def _release1_store(path: Path) -> None:
    """A store as the release before versioning wrote it: its schema.sql applied, a plan and a usage import."""
    con = duckdb.connect(str(path))
    con.execute(RELEASE1_SCHEMA.read_text(encoding="utf-8"))
    con.execute(
        "INSERT INTO import_log (import_id, dataset, file_name, rows, imported_at, imported_by, status, as_of)"
        " VALUES (nextval('import_seq'), 'tasks', 'EMR计划.xlsx', 1, now(), '王工', 'loaded', DATE '2026-03-02')"
    )
    con.execute(
        "INSERT INTO task_rows (import_id, as_of, row_no, project, task_id, name, start, finish, percent_complete)"
        " VALUES (1, DATE '2026-03-02', 2, 'EMR', 'T1', '需求调研', DATE '2026-03-01', DATE '2026-03-20', 40)"
    )
    con.execute(
        "INSERT INTO import_log (import_id, dataset, file_name, rows, imported_at, imported_by, status)"
        " VALUES (nextval('import_seq'), 'usage', 'usage_2026-02.csv', 1, now(), '王工', 'loaded')"
    )
    con.execute(
        "INSERT INTO usage_rows (import_id, row_no, period, department, system, active_users, eligible_users)"
        " VALUES (2, 2, DATE '2026-02-01', '心内科', 'EMR', 40, 50)"
    )
    con.execute("INSERT INTO store_meta VALUES ('data_version', '2')")
    con.close()


def test_a_store_of_the_previous_release_upgrades_in_place(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    _release1_store(db)
    with pytest.raises(StoreUnavailable, match="需要升级"):
        store.open_store(db, read_only=True)
    con = store.open_store(db)
    assert store.schema_version(con) == migrations.latest_version()
    assert con.execute("SELECT project, task_id, percent_complete FROM tasks").fetchall() == [("EMR", "T1", 40.0)]
    assert con.execute("SELECT department, active_users FROM usage").fetchall() == [("心内科", 40)]
    assert store.data_version(con) == 2
    assert {"source", "name_pattern", "via"} <= set(_columns(con, "imports"))
    # the upgraded store takes new imports (ids continue from the old sequence) and a re-import replaces
    path = tmp_path / "usage_2026-02.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [["月份", "科室", "系统", "活跃用户数", "应使用人数"], ["2026-02", "心内科", "EMR", 45, 50]]
        )
    (res,) = importer.import_file(con, path)
    assert res.status == "loaded" and res.import_id == 3, res.message
    assert con.execute("SELECT active_users FROM usage").fetchall() == [(45,)]
    importer.undo(con, 3)
    assert con.execute("SELECT active_users FROM usage").fetchall() == [(40,)]
    con.close()
    # opened again: nothing to migrate, read-only works
    ro = store.open_store(db, read_only=True)
    assert store.schema_version(ro) == migrations.latest_version()
    ro.close()


def test_a_store_of_a_newer_release_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    con = store.open_store(db)
    con.execute("INSERT INTO schema_version VALUES (999, 'future', now())")
    con.close()
    with pytest.raises(StoreUnavailable, match="更新版本"):
        store.open_store(db)


# ------------------------------------------------------------------------------------- latest snapshot


def test_latest_snapshot_as_of_a_date() -> None:
    con = storekit.new_store()
    d = dt.date

    def plan(project: str, as_of: dt.date, pct: float) -> int:
        row = {"project": project, "task_id": "T1", "name": "上线", "start": d(2026, 3, 1), "percent_complete": pct}
        return storekit.insert_rows(con, "tasks", [row], as_of=as_of)

    a1 = plan("HIS", d(2026, 3, 1), 10)
    a2 = plan("HIS", d(2026, 3, 8), 20)
    a3 = plan("HIS", d(2026, 3, 8), 25)  # a re-import of the same date wins
    b1 = plan("PACS", d(2026, 3, 5), 50)
    a0 = plan("HIS", d(2026, 2, 20), 5)  # imported last, dated earliest: never the latest

    def latest(as_of: dt.date | None, where: str = "TRUE", params: tuple[object, ...] = ()) -> set[tuple[str, int]]:
        sql, p = store.latest_snapshot("task_snapshots", where, params, as_of)
        return {(str(r[0]), int(r[1])) for r in con.execute(f"SELECT project, import_id FROM {sql} s", p).fetchall()}  # noqa: S608

    assert latest(None) == {("HIS", a3), ("PACS", b1)}
    assert latest(d(2026, 3, 6)) == {("HIS", a1), ("PACS", b1)}
    assert latest(d(2026, 3, 4)) == {("HIS", a1)}
    assert latest(d(2026, 2, 28)) == {("HIS", a0)}
    assert latest(d(2026, 3, 31), "project = ?", ("PACS",)) == {("PACS", b1)}
    # the contract view is the same rule without a cut-off
    view = {(str(r[0]), int(r[1])) for r in con.execute("SELECT project, import_id FROM tasks").fetchall()}
    assert view == latest(None)
    assert a2 not in {i for _, i in latest(None)}
    with pytest.raises(ValueError):
        store.latest_snapshot("task_rows; DROP TABLE x")


# ------------------------------------------------------------------ a dataset added in the registry only

TOY = Dataset(
    name="visits",
    label_zh="门诊量",
    label_en="Clinic visits",
    mode="periodic",
    table="visit_rows",
    key=("period", "clinic"),
    replace_key=("period", "clinic"),
    fields=(
        Field("period", "date", required=True, aliases=("月份", "period")),
        Field("clinic", "text", required=True, aliases=("诊室", "clinic")),
        Field("visits", "int", required=True, aliases=("门诊人次", "visits")),
        Field("note", "text", aliases=("备注", "note")),
    ),
)

TOY_MIGRATION = """
CREATE TABLE visit_rows (
    import_id BIGINT NOT NULL, superseded_by BIGINT, row_no BIGINT,
    period DATE NOT NULL, clinic VARCHAR NOT NULL, visits BIGINT NOT NULL, note VARCHAR
);
CREATE VIEW visits AS
SELECT v.period, v.clinic, v.visits, v.note, v.import_id
FROM visit_rows v JOIN import_log i USING (import_id)
WHERE i.status = 'loaded' AND v.superseded_by IS NULL;
"""


def test_a_toy_dataset_in_a_temporary_registry_imports_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(datasets.DATASETS, TOY.name, TOY)
    # the header matcher indexes the registry's aliases once at import; a dataset added at run time joins it here
    monkeypatch.setitem(headers.ALIASES, TOY.name, headers._alias_index(TOY))
    monkeypatch.setitem(headers.FUZZY, TOY.name, headers._fuzzy_aliases(TOY))
    folder = tmp_path / "migrations"
    folder.mkdir()
    for m in migrations.migrations():
        (folder / m.path.name).write_text(m.sql(), encoding="utf-8")
    (folder / f"{migrations.latest_version() + 1:04d}_visits.sql").write_text(TOY_MIGRATION, encoding="utf-8")
    monkeypatch.setattr(migrations, "MIGRATIONS_DIR", folder)
    con = store.open_store(tmp_path / "s.duckdb")

    def load(name: str, rows: list[list[object]]) -> importer.ImportResult:
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([["月份", "诊室", "门诊人次", "备注"], *rows])
        (res,) = importer.import_file(con, path, dataset="visits")
        return res

    first = load("visits_2026-03.csv", [["2026-03", "内科", 120, "含义诊"], ["2026-03", "外科", 80, ""]])
    assert first.status == "loaded", first.message
    second = load("visits_2026-03_更正.csv", [["2026-03", "内科", 125, "更正"]])
    assert second.status == "loaded", second.message
    rows = con.execute("SELECT clinic, visits, note FROM visits ORDER BY clinic").fetchall()
    assert rows == [("内科", 125, "更正"), ("外科", 80, None)]  # the note field is stored, the key replaced
    importer.undo(con, int(second.import_id or 0))
    assert con.execute("SELECT clinic, visits FROM visits ORDER BY clinic").fetchall() == [("内科", 120), ("外科", 80)]
