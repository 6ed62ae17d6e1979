"""Every real public export in ../shared/realdata ends in a load or a clear refusal — never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders import importer, store

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
FILES = sorted(p for p in REALDATA.rglob("*") if p.is_file() and p.name != "MANIFEST.md") if REALDATA.exists() else []

pytestmark = pytest.mark.realdata


@pytest.mark.skipif(not FILES, reason="../shared/realdata is absent")
@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_file_loads_or_is_refused_clearly(path: Path) -> None:
    con = store.memory_store()
    results = importer.import_file(con, path)
    assert results
    for res in results:
        assert res.status in ("loaded", "refused"), res
        if res.status == "refused":
            # the refusal names the file and says what is wrong in Chinese, with an English gloss
            assert path.name in res.message or res.problems, res.message
            assert " / " in res.message or any(" / " in p.message for p in res.problems)
            assert "Traceback" not in res.message
        else:
            assert res.rows > 0
    loaded = sum(r.rows for r in results if r.status == "loaded")
    refused_ids = con.execute("SELECT count(*) FROM imports WHERE status = 'refused'").fetchone()
    assert refused_ids is not None
    if loaded == 0:
        assert refused_ids[0] >= 1  # the attempt is in the history


@pytest.mark.skipif(not FILES, reason="../shared/realdata is absent")
def test_omniplan_csv_loads_its_34_tasks() -> None:
    con = store.memory_store()
    (res,) = importer.import_file(con, REALDATA / "plans" / "yuyingwu_omniplan_export_zh.csv", project="航司前端")
    assert res.status == "loaded" and res.rows == 34
    # dates with 上午/下午, percents as text, predecessors written as WBS numbers resolved to task ids
    row = con.execute("SELECT count(*), min(start), max(finish) FROM tasks").fetchone()
    assert row is not None and row[0] == 34
    # the predecessors text stays as written (WBS numbers); the stored links resolve them to task ids
    ids = {r[0] for r in con.execute("SELECT task_id FROM tasks").fetchall()}
    links = con.execute("SELECT predecessor_id FROM task_links").fetchall()
    assert links and all(ref in ids for (ref,) in links)
    written = con.execute("SELECT predecessors FROM tasks WHERE predecessors IS NOT NULL").fetchall()
    assert any("1.1.1.1" in p for (p,) in written)


@pytest.mark.skipif(not FILES, reason="../shared/realdata is absent")
def test_mspdi_sample_loads_19_tasks() -> None:
    con = store.memory_store()
    (res,) = importer.import_file(con, REALDATA / "plans" / "mpxj_mspdi_sample_project2003.xml")
    assert res.status == "loaded" and res.rows == 19
