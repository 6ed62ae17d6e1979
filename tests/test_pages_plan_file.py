"""An .mpp saved by MS Project, uploaded on the data page: previewed like any plan (through the MPXJ worker), then
loaded with its links, actual dates and baselines."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from loaders import mpp
from tests.test_data_page import assert_clean, open_data, upload

MPP = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "plans" / "mpp" / "mpxj_mpp9baseline.mpp"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not MPP.is_file(), reason=f"{MPP} is absent"),
    pytest.mark.skipif(mpp.java_problem() is not None, reason=f"MPXJ cannot run here: {mpp.java_problem()}"),
]


def test_mpp_upload_previews_and_loads(empty_db: Path) -> None:
    at = open_data(empty_db, "en")
    upload(at, "基线计划.mpp", MPP.read_bytes())
    assert_clean(at)
    # the preview is headed by the fields' labels (English here), never by internal names
    rows = next(d.value for d in at.dataframe if "Name" in d.value.columns)
    assert {"Subtask 1", "Subtask 4", "Complete"} <= set(rows["Name"])
    at.button(key="data_load_1").click().run()
    assert_clean(at)
    con = duckdb.connect(str(empty_db))
    try:
        assert con.execute("SELECT count(*) FROM tasks").fetchone() == (14,)
        got = con.execute(
            "SELECT actual_start, actual_finish, baseline_finish FROM tasks WHERE name = 'Subtask 1'"
        ).fetchone()
        links = con.execute("SELECT count(*) FROM task_links").fetchone()
    finally:
        con.close()
    assert got is not None and str(got[0]) == "2006-08-24" and str(got[1]) == "2006-08-28" and got[2] is not None
    assert links == (6,)
