import datetime as dt

from tests import storekit


def test_latest_snapshot_per_project_wins() -> None:
    con = storekit.new_store()
    base = {"project": "EMR", "name": "t", "start": dt.date(2026, 1, 1), "finish": dt.date(2026, 1, 9)}
    storekit.insert_rows(con, "tasks", [{**base, "task_id": "1"}], as_of=dt.date(2026, 11, 16))
    storekit.insert_rows(
        con, "tasks", [{**base, "task_id": "2"}, {**base, "task_id": "3"}], as_of=dt.date(2026, 11, 23)
    )
    storekit.insert_rows(con, "tasks", [{**base, "project": "HIS", "task_id": "9"}], as_of=dt.date(2026, 11, 2))
    rows = con.execute("SELECT project, task_id FROM tasks ORDER BY 1, 2").fetchall()
    assert rows == [("EMR", "2"), ("EMR", "3"), ("HIS", "9")]
    assert con.execute("SELECT count(*) FROM task_snapshots").fetchone() == (4,)
