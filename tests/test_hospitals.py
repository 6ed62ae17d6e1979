"""A hospital group in one store: every contract view shows each row's hospital, the latest snapshot is chosen per
project and hospital, and a single-hospital store (hospital NULL) behaves as before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from loaders import importer, store
from tests import storekit

CONTRACT_VIEWS = (
    "tasks", "task_snapshots", "task_links", "budget", "costs", "risks", "risk_snapshots", "changes",
    "change_snapshots", "usage", "kpis", "targets", "target_snapshots",
)  # fmt: skip
PLAN_HEADER = ["项目", "任务编号", "任务名称", "开始时间", "完成时间", "完成百分比"]
RISK_HEADER = ["风险编号", "项目", "风险描述", "可能性", "影响", "状态"]


def xlsx(path: Path, header: list[Any], rows: list[list[Any]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.mark.parametrize("view", CONTRACT_VIEWS)
def test_every_contract_view_has_the_hospital_column(view: str) -> None:
    con = store.memory_store()
    cols = [r[0] for r in con.execute(f"DESCRIBE {store.quote_ident(view)}").fetchall()]  # noqa: S608
    assert cols[-1] == "hospital", cols


def test_two_hospitals_keep_separate_latest_snapshots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = store.open_store(tmp_path / "group.duckdb")
    d = dt.date
    # 总院 plans HIS on 3-08, 分院 on 3-01 and (imported last) 2-20: before 0007 the later 总院 plan hid 分院's
    for hospital, as_of, pct in (("总院", "2026-03-01", 10), ("总院", "2026-03-08", 50),
                                 ("分院", "2026-03-01", 30), ("分院", "2026-02-20", 5)):  # fmt: skip
        monkeypatch.setenv("COCKPIT_HOSPITAL", hospital)
        plan = xlsx(tmp_path / f"HIS计划_{hospital}_{as_of}.xlsx", PLAN_HEADER,
                    [["HIS", "T1", "上线", d(2026, 3, 1), d(2026, 3, 9), pct]])  # fmt: skip
        reg = xlsx(tmp_path / f"HIS风险_{hospital}_{as_of}.xlsx", RISK_HEADER,
                   [[f"R-{pct}", "HIS", "接口延期", 4, 5, "打开"]])  # fmt: skip
        for f in (plan, reg):
            (res,) = importer.import_file(con, f)
            assert res.status == "loaded", res.message
    tasks = con.execute("SELECT hospital, as_of, percent_complete FROM tasks ORDER BY 1").fetchall()
    assert tasks == [("分院", d(2026, 3, 1), 30.0), ("总院", d(2026, 3, 8), 50.0)]
    risks = con.execute("SELECT hospital, risk_id FROM risks ORDER BY 1").fetchall()
    assert risks == [("分院", "R-30"), ("总院", "R-50")]

    def latest(view: str, as_of: dt.date | None, where: str = "TRUE", params: tuple[object, ...] = ()) -> list[Any]:
        sql, p = store.latest_snapshot(view, where, params, as_of)
        return con.execute(f"SELECT hospital, as_of FROM {sql} s ORDER BY 1", p).fetchall()  # noqa: S608

    assert latest("task_snapshots", d(2026, 3, 5)) == [("分院", d(2026, 3, 1)), ("总院", d(2026, 3, 1))]
    assert latest("task_snapshots", d(2026, 2, 25)) == [("分院", d(2026, 2, 20))]
    assert latest("risk_snapshots", None, "hospital = ?", ("总院",)) == [("总院", d(2026, 3, 8))]
    # the view and the helper are one rule
    view = con.execute("SELECT hospital, as_of FROM tasks ORDER BY 1").fetchall()
    assert view == latest("task_snapshots", None)


def test_periodic_rows_carry_their_hospital(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = store.open_store(tmp_path / "group.duckdb")
    header = ["月份", "科室", "系统", "活跃用户数", "应使用人数"]
    for hospital, users in (("总院", 40), ("分院", 7)):
        monkeypatch.setenv("COCKPIT_HOSPITAL", hospital)
        (res,) = importer.import_file(con, xlsx(tmp_path / f"usage_{hospital}.xlsx", header,
                                                 [["2026-02", "心内科", "EMR", users, 50]]))  # fmt: skip
        assert res.status == "loaded"
    assert con.execute("SELECT hospital, active_users FROM usage ORDER BY 1").fetchall() == [("分院", 7), ("总院", 40)]


def test_a_single_hospital_store_has_null_hospitals_and_the_old_latest_rule() -> None:
    con = storekit.new_store()
    d = dt.date
    row = {"project": "HIS", "task_id": "T1", "name": "上线", "start": d(2026, 3, 1)}
    storekit.insert_rows(con, "tasks", [{**row, "percent_complete": 10}], as_of=d(2026, 3, 1))
    newest = storekit.insert_rows(con, "tasks", [{**row, "percent_complete": 20}], as_of=d(2026, 3, 8))
    storekit.insert_rows(con, "tasks", [{**row, "percent_complete": 5}], as_of=d(2026, 2, 1))
    assert con.execute("SELECT hospital, import_id, percent_complete FROM tasks").fetchall() == [(None, newest, 20.0)]


def test_targets_in_force_per_hospital_and_group_wide() -> None:
    con = storekit.new_store()
    d = dt.date
    t = {"kind": "使用率", "name": "EMR", "target": 80.0}
    group = storekit.insert_rows(con, "targets", [t], as_of=d(2026, 1, 1))
    storekit.insert_rows(con, "targets", [{**t, "target": 70.0}], as_of=d(2025, 1, 1), hospital="分院")
    mine = storekit.insert_rows(con, "targets", [{**t, "target": 90.0}], as_of=d(2026, 2, 1), hospital="分院")
    rows = con.execute("SELECT hospital, import_id, target FROM targets ORDER BY 1 NULLS FIRST").fetchall()
    assert rows == [(None, group, 80.0), ("分院", mine, 90.0)]
