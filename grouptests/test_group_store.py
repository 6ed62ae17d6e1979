"""The store contract against the group store (DuckLake, catalog in a private PostgreSQL, Parquet in a temp folder).

Runs in the group edition's environment (.venv-group: DuckDB 1.5.5 + the ducklake and postgres extensions);
`make test` runs it there after the main suite. Figures are compared with the embedded store loaded from the same
files: every contract view, and every metric function that takes (con, scope).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

import pgserver  # noqa: E402

from loaders import importer, store  # noqa: E402
from loaders.store import lake, migrations  # noqa: E402
from metrics.scope import Scope  # noqa: E402
from tests.compare import assert_same, metric_functions  # noqa: E402

DEMO = ROOT / "data" / "demo"
VIEWS = ("tasks", "task_snapshots", "risks", "changes", "budget", "costs", "usage", "kpis")
_COUNTER = itertools.count(1)


@pytest.fixture(scope="session")
def pg() -> Iterator[str]:
    with pgserver.postgres("postgres_base") as conninfo:
        yield conninfo


def new_lake(pg: str, tmp: Path) -> str:
    """A fresh catalog database on the test server; returns its COCKPIT_STORE value."""
    import psycopg

    name = f"lake{next(_COUNTER)}_{os.getpid()}"
    with psycopg.connect(pg, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    os.environ["COCKPIT_DATA_PATH"] = str(tmp / f"{name}-data")
    return "ducklake:postgres:" + pg.replace("dbname=postgres_base", f"dbname={name}")


def demo_files() -> list[Path]:
    return sorted(p for p in DEMO.rglob("*") if p.suffix in (".xlsx", ".csv", ".xml") and p.is_file())


def load_all(con: Any, files: list[Path]) -> None:
    for f in files:
        for r in importer.import_file(con, f):
            assert r.status in ("loaded", "skipped"), (f.name, r.message)


def frame(con: Any, view: str) -> pd.DataFrame:
    df = con.execute(f"SELECT * EXCLUDE (import_id) FROM {store.quote_ident(view)}").df()  # noqa: S608
    return df.sort_values(list(df.columns)).reset_index(drop=True)


@pytest.mark.timeout(1200)
def test_demo_figures_equal_the_embedded_store(pg: str, tmp_path: Path) -> None:
    files = demo_files()
    assert len(files) >= 7
    embedded = store.open_store(tmp_path / "embedded.duckdb")
    group = store.open_store(new_lake(pg, tmp_path))
    load_all(embedded, files)
    load_all(group, files)
    for view in VIEWS:
        pd.testing.assert_frame_equal(frame(embedded, view), frame(group, view), check_dtype=False)
    scope = Scope(today=dt.date(2026, 11, 30))
    checked = 0
    for name, fn in metric_functions():
        try:
            want = fn(embedded, scope)
        except Exception as exc:  # noqa: BLE001 - a function the embedded store refuses is compared as a refusal
            with pytest.raises(type(exc)):
                fn(group, scope)
            continue
        assert_same(want, fn(group, scope), name)
        checked += 1
    assert checked >= 10, checked
    # the app's warm-up reads the lake at one snapshot and keeps the overview under it: the next viewer builds nothing
    from metrics import overview
    from pages.components import warm

    built: list[Scope] = []
    overview._VIEWED.clear()  # only the default scope: none asked for by the comparisons above
    real = overview._build_week
    overview._build_week = lambda c, s, *a: built.append(s) or real(c, s, *a)  # type: ignore[assignment]
    try:
        assert warm.warm(group) == store.data_version(group) and len(built) == 1
        week = overview.week_view(store.session_cursor(group, group.cursor()), warm.scopes()[0])
        assert len(built) == 1 and len(week.projects) == 6
    finally:
        overview._build_week = real  # type: ignore[method-assign]
    # the data version is the lake's snapshot id and moves with every import and undo; a reader inside a snapshot
    # (nested ones included) keeps the version and data of its first read while the undo commits
    reader = store.session_cursor(group, group.cursor())
    with store.read_snapshot(reader):
        before = store.data_version(reader)
        loaded = "SELECT count(*) FROM imports WHERE status = 'loaded'"
        rows = reader.execute(loaded).fetchone()
        with store.read_snapshot(reader):
            last = importer.undo(
                group, int(group.execute("SELECT max(import_id) FROM imports WHERE status='loaded'").fetchone()[0])
            )
            assert store.data_version(reader) == before
        assert reader.execute(loaded).fetchone() == rows
    assert last.status == "undone" and store.data_version(reader) > before
    assert reader.execute(loaded).fetchone()[0] == rows[0] - 1


PAY_HEADER = ["日期", "项目名称", "费用类别", "收款单位", "金额", "付款状态", "凭证号"]


def ledger(path: Path, rows: list[list[Any]], header: list[str] = PAY_HEADER) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_import_undo_and_replacement_by_source(pg: str, tmp_path: Path) -> None:
    con = store.open_store(new_lake(pg, tmp_path))
    d = dt.date
    pay = ledger(tmp_path / "付款台账.xlsx", [[d(2026, 3, 3), "HIS", "软件", "东软", 10000, "已付款", "PZ-1"],
                                              [d(2026, 3, 9), "HIS", "软件", "东软", 20000, "已付款", "PZ-2"]])  # fmt: skip
    contract_header = ["记账日期", "项目", "科目", "供应商", "金额(元)", "状态", "合同编号"]
    ctr = ledger(
        tmp_path / "合同台账.xlsx", [[d(2026, 3, 1), "HIS", "软件", "东软", 500000, "已签约", "HT-1"]], contract_header
    )
    load_all(con, [pay, ctr])
    fixed = ledger(tmp_path / "付款台账(更正).xlsx", [[d(2026, 3, 3), "HIS", "软件", "东软", 15000, "已付款", "PZ-1"]])
    (res,) = importer.import_file(con, fixed)
    assert "替换了 2 行旧数据：3 月 HIS 项目来自《付款台账》的 2 行" in res.message
    rows = con.execute("SELECT stage, sum(amount) FROM costs GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [("committed", 500000.0), ("paid", 15000.0)]
    importer.undo(con, int(res.import_id or 0))
    rows = con.execute("SELECT stage, sum(amount) FROM costs GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [("committed", 500000.0), ("paid", 30000.0)]
    ids = [r[0] for r in con.execute("SELECT import_id FROM imports ORDER BY 1").fetchall()]
    assert len(ids) == len(set(ids))  # ids from the PostgreSQL sequence: never twice


def test_a_big_csv_on_the_lake_stages_in_the_apps_folder_and_keeps_its_original(
    pg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The group store's catalog is a PostgreSQL connection string, not a file: the bulk path's staging files go to
    the app's own staging folder (beside COCKPIT_DB), never to a folder named after the connection string in the
    working directory, and the original is kept on the data path."""
    from loaders import readers, settings

    spec = new_lake(pg, tmp_path)
    con = store.open_store(spec)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("COCKPIT_DB", str(tmp_path / "app" / "cockpit.duckdb"))
    monkeypatch.setattr(readers, "PYTHON_PARSE_BYTES", 0)  # the big-file path
    f = tmp_path / "usage.csv"
    lines = ["统计日期,科室,系统,活跃用户数,应用人数"] + [f"2026-03-02,科室{i},EMR,{i % 90},100" for i in range(2000)]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (res,) = importer.import_file(con, f)
    assert (res.status, res.rows) == ("loaded", 2000), res.message
    assert list(work.iterdir()) == []  # nothing in the working directory
    assert (tmp_path / "app" / "cockpit.staging").is_dir()  # the app's staging folder
    assert settings.db_path() == tmp_path / "app" / "cockpit.duckdb"
    stored = con.execute("SELECT stored_file FROM import_log WHERE import_id = ?", [res.import_id]).fetchone()
    assert stored is not None
    kept = Path(str(stored[0]))
    assert kept.is_file() and kept.is_relative_to(Path(os.environ["COCKPIT_DATA_PATH"]) / "originals")
    assert kept.read_bytes() == f.read_bytes()
    row = con.execute("SELECT count(*), sum(active_users) FROM usage").fetchone()
    assert row == (2000, sum(i % 90 for i in range(2000)))


IMPORTER = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from loaders import importer, store
from loaders.store import writes
con = store.open_store(sys.argv[1])
print("open", flush=True)
sys.stdin.readline()  # start together
real = writes._insert
def slow(*a, **k):
    real(*a, **k)
    print("inserted", flush=True)  # inside the import, holding the store lock
    time.sleep(float(sys.argv[3]))
writes._insert = slow
for r in importer.import_file(con, Path(sys.argv[2])):
    print(r.status, r.rows, flush=True)
"""


def usage(path: Path, period: str, n: int, users: int) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["月份", "科室", "系统", "活跃用户数", "应使用人数"])
    for i in range(n):
        ws.append([period, f"科室{i}", "EMR", users, 100])
    wb.save(path)
    return path


def test_two_importers_both_land_one_waits_and_a_reader_never_sees_half(pg: str, tmp_path: Path) -> None:
    spec = new_lake(pg, tmp_path)
    reader = store.open_store(spec)
    a = usage(tmp_path / "usage_a.xlsx", "2026-01", 50, 10)
    b = usage(tmp_path / "usage_b.xlsx", "2026-02", 30, 20)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", IMPORTER.format(root=str(ROOT)), spec, str(f), delay],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )  # fmt: skip
        for f, delay in ((a, "5"), (b, "0"))  # A holds the lock 5 s: B, started then, reaches it meanwhile
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "open"
    seen: set[tuple[int, int]] = set()
    stop = threading.Event()

    def watch() -> None:
        cur = lake.cursor(reader)
        while not stop.is_set():
            row = cur.execute("SELECT count(*), coalesce(sum(active_users), 0) FROM usage").fetchone()
            seen.add((int(row[0]), int(row[1])))
            time.sleep(0.05)

    t = threading.Thread(target=watch)
    t.start()
    procs[0].stdin.write("go\n")  # type: ignore[union-attr]
    procs[0].stdin.flush()  # type: ignore[union-attr]
    assert procs[0].stdout.readline().strip() == "inserted"  # type: ignore[union-attr] # A holds the store lock
    procs[1].stdin.write("go\n")  # type: ignore[union-attr]
    procs[1].stdin.flush()  # type: ignore[union-attr]
    outs = [p.communicate(timeout=240) for p in procs]
    stop.set()
    t.join()
    assert [o[0].split()[-2:] for o in outs] == [["loaded", "50"], ["loaded", "30"]], outs
    assert "等待" in outs[1][1]  # the second importer was told to wait
    final = lake.cursor(reader).execute("SELECT count(*), sum(active_users) FROM usage").fetchone()
    assert final == (80, 50 * 10 + 30 * 20)
    # the reader only ever saw whole imports: nothing, A, or A and B
    assert seen <= {(0, 0), (50, 500), (80, 1100)}, seen


REPLICA = """
import sys
sys.path.insert(0, {root!r})
from loaders import store
sys.stdin.readline()
con = store.open_store(sys.argv[1])
print(store.schema_version(con), flush=True)
"""


def test_replicas_starting_together_do_not_race_on_the_schema(pg: str, tmp_path: Path) -> None:
    spec = new_lake(pg, tmp_path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", REPLICA.format(root=str(ROOT)), spec],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )  # fmt: skip
        for _ in range(3)
    ]
    for p in procs:
        p.stdin.write("go\n")  # type: ignore[union-attr]
        p.stdin.flush()  # type: ignore[union-attr]
    outs = [p.communicate(timeout=240) for p in procs]
    want = str(migrations.latest_version())
    assert [o[0].strip() for o in outs] == [want] * 3, outs
    con = store.open_store(spec)
    versions = [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()]
    assert versions == list(range(1, migrations.latest_version() + 1))


def test_maintenance_compacts_and_expires(pg: str, tmp_path: Path) -> None:
    con = store.open_store(new_lake(pg, tmp_path))
    for i in range(3):
        load_all(con, [usage(tmp_path / f"u{i}.xlsx", f"2026-0{i + 1}", 5, i + 1)])
    before = con.execute("SELECT count(*), sum(active_users) FROM usage").fetchone()
    done = lake.maintain(con, older_than_days=0)
    assert done[0] == "merge_adjacent_files" and len(done) == 3
    assert con.execute("SELECT count(*), sum(active_users) FROM usage").fetchone() == before


SAVER = """
import sys
sys.path.insert(0, {root!r})
from loaders import importer, store
con = store.open_store(sys.argv[1])
print("open", flush=True)
sys.stdin.readline()  # start together
tag = sys.argv[2]
for i in range(12):
    # its own exports' mappings, and one export both people map (the last save wins, whole)
    importer.save_mapping(con, f"{{tag}}-{{i % 3}}", "usage", {{f"列{{j}}": f"{{tag}}{{i}}" for j in range(4)}})
    importer.save_mapping(con, "shared", "usage", {{f"列{{j}}": f"{{tag}}{{i}}" for j in range(4)}})
print("done", flush=True)
"""


def test_two_people_saving_mappings_at_once_both_land(pg: str, tmp_path: Path) -> None:
    spec = new_lake(pg, tmp_path)
    store.open_store(spec)  # the schema exists before both start
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SAVER.format(root=str(ROOT)), spec, tag],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )  # fmt: skip
        for tag in ("a", "b")
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "open"
    for p in procs:
        p.stdin.write("go\n")  # type: ignore[union-attr]
        p.stdin.flush()  # type: ignore[union-attr]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [o[0].strip() for o in outs] == ["done", "done"], outs
    con = store.open_store(spec)
    rows = con.execute("SELECT signature, count(*), min(field), max(field) FROM column_mappings GROUP BY 1 ORDER BY 1")
    got = {r[0]: r[1:] for r in rows.fetchall()}
    # every export's last save is there whole: four headers, all from one save
    assert {s: n for s, (n, _, _) in got.items()} == {**{f"{t}-{k}": 4 for t in "ab" for k in range(3)}, "shared": 4}
    assert all(lo == hi for _, lo, hi in got.values()), got
    assert got["a-0"][1] == "a9" and got["b-2"][1] == "b11"


def test_each_hospitals_latest_plan_and_scope_in_the_lake(
    pg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics import schedule

    con = store.open_store(new_lake(pg, tmp_path))
    header = ["项目", "任务编号", "任务名称", "开始时间", "完成时间", "完成百分比"]
    d = dt.date
    for hospital, as_of, pct in (("总院", "2026-03-08", 50), ("分院", "2026-03-01", 30)):
        monkeypatch.setenv("COCKPIT_HOSPITAL", hospital)
        plan = ledger(tmp_path / f"HIS计划_{hospital}_{as_of}.xlsx", [["HIS", "T1", "上线", d(2026, 3, 1), d(2026, 3, 9), pct]],
                      header)  # fmt: skip
        load_all(con, [plan])
    rows = con.execute("SELECT hospital, percent_complete FROM tasks ORDER BY 1").fetchall()
    assert rows == [("分院", 30.0), ("总院", 50.0)]  # one hospital's later plan does not hide the other's
    mine = schedule.load_tasks(con, Scope(hospitals=("分院",)))
    assert mine["percent_complete"].tolist() == [30.0]
