"""A hospital group in one store: every contract view shows each row's hospital, the latest snapshot is chosen per
project and hospital, and a single-hospital store (hospital NULL) behaves as before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from loaders import importer, store
from loaders.errors import CockpitError
from metrics.scope import Scope
from tests import storekit

CONTRACT_VIEWS = tuple(
    r[0]
    for r in store.memory_store()
    .execute("SELECT view_name FROM duckdb_views() WHERE NOT internal AND view_name <> 'imports' ORDER BY 1")
    .fetchall()
)
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


# ------------------------------------------------------------------ the hospital scope: one oracle for every metric

TODAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def group_and_oracle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The oracle: the demo imported by 总院 alone. The group: the same store plus a 分院 whose plan, register,
    ledger, usage, KPIs and targets differ on purpose (same project, department and system names)."""
    import shutil

    from loaders.demo import build_demo

    folder = tmp_path_factory.mktemp("hospitals")
    oracle, group = folder / "oracle.duckdb", folder / "group.duckdb"
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("COCKPIT_HOSPITAL", "总院")
        build_demo(oracle)
        shutil.copy(oracle, group)
        mp.setenv("COCKPIT_HOSPITAL", "分院")
        con = store.open_store(group)
        dep, system = con.execute("SELECT department, system FROM usage LIMIT 1").fetchone()  # type: ignore[misc]
        project = con.execute("SELECT project FROM tasks ORDER BY project LIMIT 1").fetchone()[0]  # type: ignore[index]
        kpi = con.execute("SELECT kpi FROM kpis LIMIT 1").fetchone()[0]  # type: ignore[index]
        d = dt.date
        files = [
            xlsx(folder / f"{project}_计划_2026-11-30.xlsx", PLAN_HEADER,
                 [[project, "T1", "分院上线", d(2026, 9, 1), d(2026, 11, 1), 5]]),
            xlsx(folder / "分院风险_2026-11-30.xlsx", RISK_HEADER, [["FY-1", project, "分院机房", 5, 5, "打开"]]),
            xlsx(folder / "分院付款台账.xlsx", ["日期", "项目名称", "费用类别", "收款单位", "金额(元)", "付款状态", "凭证号"],
                 [[d(2026, 11, 2), project, "硬件", "分院供应商", 9_900_000, "已付款", "FY-PZ-1"]]),
            xlsx(folder / "分院使用.xlsx", ["月份", "科室", "系统", "活跃用户数", "应使用人数"],
                 [["2026-11", dep, system, 1, 100], ["2026-11", "分院独有科室", system, 3, 100]]),
            xlsx(folder / "分院指标.xlsx", ["月份", "指标名称", "科室", "指标值"], [["2026-11", kpi, None, 1.0]]),
            xlsx(folder / "分院目标值_2026-11-01.xlsx", ["类型", "系统", "科室", "目标值"], [["使用率", "全部", None, 99]]),
            xlsx(folder / "分院运维工单.xlsx",
                 ["工单编号", "所属系统", "报修科室", "优先级", "报修时间", "响应时间", "解决时间", "故障类别"],
                 [["FY-GD1", system, dep, "一级", "2026/11/29 08:00", None, None, "硬件"],
                  ["FY-GD2", system, dep, "三级", "2026/11/02 08:00", "2026/11/09 08:00", "2026/11/20 08:00", "网络"]]),
            xlsx(folder / "分院巡检记录.xlsx", ["系统", "计划巡检日期", "实际巡检日期", "巡检项数", "异常项数", "巡检人"],
                 [[system, d(2026, 11, 2), None, 30, None, "分院 工程师"]]),
            xlsx(folder / "分院数据质量.xlsx", ["统计周期", "系统名称", "科室", "检查项目", "质量维度", "合格数", "检查数"],
                 [[d(2026, 11, 16), system, dep, "ICD-10编码规范率", "一致性", 1, 100]]),
            xlsx(folder / "分院培训记录_2026-11-23.xlsx",
                 ["截至日期", "科室", "系统", "应培训人数", "已培训人数", "考核通过人数"],
                 [[d(2026, 11, 23), dep, system, 100, 1, 1]]),
            xlsx(folder / "分院首席用户反馈_2026-11-23.xlsx",
                 ["反馈编号", "科室", "系统", "问题描述", "问题类别", "严重程度", "提出日期", "处理状态"],
                 [["FY-FK1", dep, system, "分院问题", "功能", "严重", d(2026, 11, 1), "处理中"]]),
            xlsx(folder / "分院监理意见_2026-11-20.xlsx",
                 ["意见编号", "项目名称", "意见类别", "监理意见", "严重程度", "下发日期", "整改期限", "整改状态"],
                 [["FY-JL1", project, "质量", "分院意见", "严重", d(2026, 10, 1), d(2026, 10, 30), "整改中"]]),
            xlsx(folder / f"{project}_科室上线准备_2026-11-30.xlsx",
                 ["项目名称", "系统", "科室", "准备维度", "是否就绪", "计划上线日期"],
                 [[project, system, dep, "硬件", "×", d(2026, 12, 10)]]),
        ]  # fmt: skip
        for f in files:
            for r in importer.import_file(con, f):
                assert r.status == "loaded", (f.name, r.message)
        con.close()
    finally:
        mp.undo()
    return group, oracle


def test_one_hospitals_figures_equal_a_store_of_that_hospital_alone(group_and_oracle: tuple[Path, Path]) -> None:
    from tests.compare import assert_same, metric_functions

    group_db, oracle_db = group_and_oracle
    group, oracle = store.open_store(group_db), store.open_store(oracle_db)
    mine = Scope(hospitals=("总院",), today=TODAY)
    checked = differs = 0
    wrong: list[str] = []
    for name, fn in metric_functions():
        want = fn(oracle, Scope(today=TODAY))
        try:
            assert_same(want, fn(group, mine), name, skip=("hospitals",))
        except AssertionError as e:
            wrong.append(f"{name}: {str(e).splitlines()[0]}")
        checked += 1
        try:  # the test can fail: without the hospital filter the 分院 rows change figures
            assert_same(want, fn(group, Scope(today=TODAY)), name)
        except AssertionError:
            differs += 1
    assert not wrong, "\n".join(wrong)
    assert checked >= 40 and differs >= 20, (checked, differs)


def test_scope_clauses_carry_the_hospital_filter() -> None:
    assert Scope().project_clause() == ("TRUE", [])
    assert Scope(hospitals=("分院",)).project_clause("t.project") == (
        "t.hospital IN (SELECT unnest(?::VARCHAR[]))",
        [["分院"]],
    )
    sql, params = Scope(projects=("HIS",), hospitals=("分院", "总院")).department_clause("u.department")
    assert sql == "u.hospital IN (SELECT unnest(?::VARCHAR[]))"
    assert params == [["分院", "总院"]]  # the project filter is not part of the department clause
    sql, params = Scope(departments=("心内科",), hospitals=("分院",)).department_clause("u.department")
    assert sql == "(u.department IN (SELECT unnest(?::VARCHAR[])) AND u.hospital IN (SELECT unnest(?::VARCHAR[])))"
    assert params == [["心内科"], ["分院"]]
    assert Scope(hospitals=("分院",)).one_hospital() == "分院" and Scope(hospitals=("a", "b")).one_hospital() is None


def test_targets_read_per_hospital_falling_back_to_group_wide_rows() -> None:
    from metrics import targets

    con = storekit.new_store()
    d = dt.date
    storekit.insert_rows(
        con,
        "targets",
        [{"kind": "使用率", "name": "EMR", "target": 80.0}, {"kind": "使用率", "name": "全部", "target": 85.0},
         {"kind": "效益指标", "name": "等候时间", "target": 20.0, "baseline": 40.0}],
        as_of=d(2026, 1, 1),
    )  # fmt: skip
    storekit.insert_rows(con, "targets", [{"kind": "使用率", "name": "EMR", "target": 90.0}], as_of=d(2026, 2, 1),
                         hospital="分院")  # fmt: skip
    mine = targets.usage_targets(con, None, "分院")
    assert (mine.target("EMR"), mine.target("PACS")) == (0.9, 0.85)  # own row, then the group-wide 全部 row
    assert [k.kpi for k in targets.kpi_targets(targets.load_targets(con, None, "分院"))] == ["等候时间"]
    group = targets.usage_targets(con, None, None)
    assert (group.target("EMR"), group.target("PACS")) == (0.8, 0.85)  # the group-wide table only
    assert targets.usage_targets(con, None, "总院").target("EMR") == 0.8  # no table of its own: group-wide
    assert targets.usage_targets(con, d(2026, 1, 15), "分院").target("EMR") == 0.8  # 分院's was not in force yet


# ------------------------------------------------------------------ sign-in bound to a hospital


def test_bind_keeps_a_hospital_bound_person_in_their_hospital() -> None:
    from auth import roles

    president = roles.Identity("wang", roles.PRESIDENT, None, hospital="分院")
    assert roles.bind(Scope(hospitals=("总院",)), president).hospitals == ("分院",)
    assert roles.bind(Scope(), president).hospitals == ("分院",)
    head = roles.Identity("li", roles.DEPT_HEAD, "心内科", hospital="分院")
    bound = roles.bind(Scope(departments=("骨科",), hospitals=("总院", "分院")), head)
    assert (bound.departments, bound.hospitals) == (("心内科",), ("分院",))
    group_president = roles.Identity("zhao", roles.PRESIDENT, None)
    assert roles.bind(Scope(hospitals=("总院",)), group_president).hospitals == ("总院",)  # may choose
    # no two scopes share a cached result
    assert president.cache_key() != group_president.cache_key() == "president:"
    assert head.cache_key() == "dept_head:心内科@分院"


def test_accounts_and_the_roles_file_carry_the_hospital(tmp_path: Path) -> None:
    import sqlite3
    import subprocess
    import sys

    from auth import roles
    from auth.accounts import Accounts

    old = tmp_path / "old.sqlite"  # an accounts file written before hospital groups is upgraded in place
    with sqlite3.connect(old) as c:
        c.execute(
            "CREATE TABLE users (username TEXT PRIMARY KEY, display_name TEXT NOT NULL DEFAULT '', role TEXT,"
            " department TEXT, pw_hash TEXT, disabled INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL"
            " DEFAULT 0, locked_until TEXT, must_change INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL)"
        )
        c.execute("INSERT INTO users (username, role, updated_at) VALUES ('dean@h.org', 'president', 'x')")  # fmt: skip
    acc = Accounts(old)
    listed = acc.lookup("dean@h.org")
    assert listed is not None and listed.hospital is None
    password = "a long password 1"
    acc.add("li", roles.DEPT_HEAD, password=password, department="心内科", hospital="分院")
    signed = acc.sign_in("li", password)
    assert signed.ok and signed.identity is not None
    assert (signed.identity.department, signed.identity.hospital) == ("心内科", "分院")
    acc.set_role("dean@h.org", roles.PRESIDENT, hospital="总院")
    assert acc.lookup("dean@h.org").hospital == "总院"  # type: ignore[union-attr]
    root = Path(__file__).resolve().parent.parent
    cmd = [sys.executable, "-m", "auth", "--db", str(tmp_path / "c.duckdb"), "--accounts", str(old), "users"]
    added = subprocess.run([*cmd, "add", "sun@h.org", "--role", "finance", "--oidc", "--hospital", "分院"],
                           capture_output=True, text=True, cwd=root, timeout=60)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert acc.lookup("sun@h.org").hospital == "分院"  # type: ignore[union-attr]
    listing = subprocess.run([*cmd, "list"], capture_output=True, text=True, cwd=root, timeout=60).stdout
    assert "sun@h.org\tfinance\t\tactive\t分院" in listing


def test_oidc_claim_or_roles_file_binds_the_hospital(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from auth import roles
    from auth.accounts import Accounts
    from pages.components import session

    monkeypatch.setenv("COCKPIT_ACCOUNTS", str(tmp_path / "acc.sqlite"))
    Accounts(tmp_path / "acc.sqlite").add("dean@h.org", roles.PRESIDENT, hospital="总院")
    exp = time.time() + 3600
    claimed = session._oidc_identity(
        {"email": "x@h.org", "cockpit_role": "finance", "cockpit_hospital": "分院", "exp": exp}
    )
    assert claimed is not None and (claimed.role, claimed.hospital) == ("finance", "分院")
    monkeypatch.setenv("COCKPIT_HOSPITAL_CLAIM", "org")
    renamed = session._oidc_identity({"email": "x@h.org", "cockpit_role": "finance", "org": "总院", "exp": exp})
    assert renamed is not None and renamed.hospital == "总院"
    listed = session._oidc_identity({"email": "dean@h.org", "exp": exp})  # no role claim: the roles file
    assert listed is not None and (listed.role, listed.hospital) == ("president", "总院")


def _texts(at: Any) -> str:
    from tests.test_roles import texts

    return "\n".join(texts(at))


def test_filters_offer_hospitals_only_in_a_group_store(group_and_oracle: tuple[Path, Path]) -> None:
    from auth import roles
    from tests.conftest import app_test, as_role

    group, oracle = group_and_oracle
    single = app_test(oracle, "en", as_role(roles.PMO)).run()
    assert not single.exception
    assert "Hospitals" not in [m.label for m in single.sidebar.multiselect]  # one hospital: no choice
    at = app_test(group, "en", as_role(roles.PMO)).run()
    assert not at.exception
    (picker,) = [m for m in at.sidebar.multiselect if m.label == "Hospitals"]
    assert list(picker.options) == ["分院", "总院"]
    at.switch_page("pages/adoption.py").run()
    assert "分院独有科室" in _texts(at)  # every hospital
    picker = next(m for m in at.sidebar.multiselect if m.label == "Hospitals")
    picker.set_value(["总院"]).run()
    assert not at.exception
    assert "分院独有科室" not in _texts(at)


def test_a_hospital_bound_president_cannot_widen_by_url(group_and_oracle: tuple[Path, Path]) -> None:
    from auth import roles
    from tests.conftest import app_test

    group, _ = group_and_oracle
    who = roles.Identity("wang", roles.PRESIDENT, None, "王院长", "test", hospital="总院")
    at = app_test(group, "zh", who)
    at.query_params["hospitals"] = "分院"
    at.run()
    assert not at.exception
    assert "医院" not in [m.label for m in at.sidebar.multiselect]  # bound: no choice at all
    at.switch_page("pages/adoption.py").run()
    assert not at.exception
    shown = _texts(at)
    assert "分院独有科室" not in shown and "总院" in "".join(c.value for c in at.sidebar.caption)


def test_a_hospital_bound_pmo_imports_as_their_hospital_and_sees_its_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auth import roles
    from tests.conftest import app_test
    from tests.test_data_page import PAGE, PLAN, assert_clean, upload, xlsx_bytes

    db = tmp_path / "group.duckdb"
    con = store.open_store(db)
    goals = xlsx(
        tmp_path / "目标值_2026-01-01.xlsx", ["类型", "系统", "科室", "目标值"], [["使用率", "全部", None, 85]]
    )
    assert importer.import_file(con, goals)[0].status == "loaded"  # group-wide: no hospital set
    monkeypatch.setenv("COCKPIT_HOSPITAL", "总院")  # the app's own hospital (an import job's setting)
    header = ["月份", "科室", "系统", "活跃用户数", "应使用人数"]
    (res,) = importer.import_file(con, xlsx(tmp_path / "usage_总院.xlsx", header, [["2026-02", "心内科", "EMR", 4, 5]]))
    assert res.status == "loaded"
    con.close()
    who = roles.Identity("zhou", roles.PMO, None, "周", "test", hospital="分院")
    at = app_test(db, "en", who).run()
    at.switch_page(PAGE).run()
    assert_clean(at)
    cells = [str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()]
    assert "usage_总院.xlsx" not in cells  # 总院's import is not in 分院's history
    upload(at, "EMR_计划.xlsx", xlsx_bytes(PLAN))
    at.button(key="data_load_1").click().run()
    assert_clean(at)
    con = store.open_store(db)
    try:
        rows = con.execute(
            "SELECT file_name, hospital FROM imports WHERE status = 'loaded' AND dataset <> 'targets' ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("EMR_计划.xlsx", "分院"), ("usage_总院.xlsx", "总院")]
    shown = at.dataframe[0].value  # the history on the page: only 分院's import
    assert shown["file_name"].tolist() == ["EMR_计划.xlsx"]
    # the targets editor: a bound PMO edits the table in force for 分院 and saves it as 分院's own
    at.button(key="targets_save").click().run()
    assert_clean(at)
    con = store.open_store(db)
    try:
        saved = con.execute("SELECT hospital, name, target FROM targets ORDER BY 1 NULLS FIRST").fetchall()
    finally:
        con.close()
    assert saved == [(None, "全部", 85.0), ("分院", "全部", 85.0)]
    group_pmo = app_test(db, "en", roles.Identity("wu", roles.PMO, None, "吴", "test")).run()
    group_pmo.switch_page(PAGE).run()
    assert {"EMR_计划.xlsx", "usage_总院.xlsx"} <= set(group_pmo.dataframe[0].value["file_name"])


def test_the_weekly_brief_of_one_hospital(group_and_oracle: tuple[Path, Path], tmp_path: Path) -> None:
    import openpyxl as xl

    from reports.__main__ import main

    group, _ = group_and_oracle

    def excel_text(out: Path, *hospital: str) -> str:
        args = ["brief", "--week", "2026-11-30", "--lang", "zh", "--out", str(out), "--db", str(group)]
        assert main([*args, *(a for h in hospital for a in ("--hospital", h))]) == 0
        (book,) = out.glob("*.xlsx")
        wb = xl.load_workbook(book, read_only=True)
        return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)

    assert "分院机房" in excel_text(tmp_path / "group")  # the whole group: 分院's critical risk is in it
    assert "分院机房" not in excel_text(tmp_path / "zy", "总院")


def test_a_hospital_bound_undo_refuses_another_hospitals_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = store.memory_store()
    header = ["月份", "科室", "系统", "活跃用户数", "应使用人数"]
    ids = {}
    for hospital in ("总院", "分院"):
        monkeypatch.setenv("COCKPIT_HOSPITAL", hospital)
        f = xlsx(tmp_path / f"usage_{hospital}.xlsx", header, [["2026-02", hospital + "心内科", "EMR", 4, 5]])
        (res,) = importer.import_file(con, f)
        assert res.status == "loaded"
        ids[hospital] = res.import_id
    before = con.execute("SELECT department FROM usage ORDER BY 1").fetchall()
    with pytest.raises(CockpitError) as refused:
        importer.undo(con, ids["总院"], user="zhou", hospital="分院")
    assert f"导入 #{ids['总院']} 不是分院导入的" in refused.value.message
    assert con.execute("SELECT department FROM usage ORDER BY 1").fetchall() == before  # nothing changed
    assert importer.undo(con, ids["分院"], user="zhou", hospital="分院").status == "undone"
    assert importer.undo(con, ids["总院"], user="wu").status == "undone"  # the group's PMO: any hospital
    assert con.execute("SELECT count(*) FROM usage").fetchone() == (0,)


def test_a_hospitals_import_job_lists_and_undoes_only_its_own_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from loaders.__main__ import main

    db = tmp_path / "group.duckdb"
    header = ["月份", "科室", "系统", "活跃用户数", "应使用人数"]
    ids = {}
    for hospital in ("总院", "分院"):
        monkeypatch.setenv("COCKPIT_HOSPITAL", hospital)
        f = xlsx(tmp_path / f"usage_{hospital}.xlsx", header, [["2026-02", hospital + "心内科", "EMR", 4, 5]])
        assert main(["import", str(f), "--db", str(db)]) == 0
        con = store.open_store(db)
        try:
            ids[hospital] = con.execute("SELECT max(import_id) FROM imports").fetchone()[0]  # type: ignore[index]
        finally:
            con.close()
    capsys.readouterr()
    assert main(["history", "--db", str(db)]) == 0  # 分院's job
    listed = capsys.readouterr().out
    assert "usage_分院.xlsx" in listed and "usage_总院.xlsx" not in listed
    assert main(["undo", str(ids["总院"]), "--db", str(db)]) == 1
    assert f"导入 #{ids['总院']} 不是分院导入的" in capsys.readouterr().err
    con = store.open_store(db)
    try:  # nothing changed
        assert con.execute("SELECT department FROM usage ORDER BY 1").fetchall() == [("分院心内科",), ("总院心内科",)]
    finally:
        con.close()
    assert main(["undo", str(ids["分院"]), "--db", str(db)]) == 0
    monkeypatch.delenv("COCKPIT_HOSPITAL")  # the group's own job: every hospital's
    capsys.readouterr()
    assert main(["history", "--db", str(db)]) == 0
    assert {"usage_分院.xlsx", "usage_总院.xlsx"} <= set(capsys.readouterr().out.split(" | "))
    assert main(["undo", str(ids["总院"]), "--db", str(db)]) == 0
    con = store.open_store(db)
    try:
        assert con.execute("SELECT count(*) FROM usage").fetchone() == (0,)
    finally:
        con.close()
