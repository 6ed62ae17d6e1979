"""Every real public export in ../shared/realdata ends in the outcome stated for it below: loaded (with the rows a
correct import stores) or refused with a message that says what is wrong and what to do. Never a traceback.

Without ../shared (a fresh clone) every test here is skipped, and the skip says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders import importer, store

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
FILES = sorted(p for p in REALDATA.rglob("*") if p.is_file() and p.name != "MANIFEST.md") if REALDATA.exists() else []
ABSENT = "../shared/realdata is absent (a fresh clone): the real-file outcomes are not checked"

pytestmark = [pytest.mark.realdata, pytest.mark.skipif(not FILES, reason=ABSENT)]

# file -> ("loaded", {sheet or None: rows}) or ("refused", words the message must hold)
# A refusal must name what is wrong and say what to do (map the columns, fix the cells, save as .xlsx...).
EXPECTED: dict[str, tuple[str, object]] = {
    # no period, department/system or KPI columns of ours: asked to map them
    "adoption/cms_ehr_incentive_paid_hospitals_sep2013.csv": ("refused", "请在数据页把对应的列映射到这些字段"),
    # one sheet per department, years as columns (Y2018 … Y2020): 62 sheets of KPIs, the department from the sheet
    "adoption/hqcoffee_dept_indicator_sheets_zh.xlsx": ("loaded", 10_180),
    # discharges by department and month with no system: not a usage table (asked to map)
    "adoption/kingtom1_inpatient_discharges_by_dept_2019q2_zh.xlsx": ("refused", "缺少必填列"),
    # none of the budget files is a project budget or ledger of ours; each says what is missing
    "budgets/fengdancui_evm_pv_ac_ev.xlsx": ("refused", "缺少必填列"),
    "budgets/jianshui_hospital_dept_revenue_2018_zh.xlsx": ("refused", "缺少必填列"),
    "budgets/kurtqw_cost_estimate_baseline_zh.xlsx": ("refused", "缺少必填列"),
    "budgets/uk_gmpp_2014_transposed.csv": ("refused", "缺少必填列"),
    "budgets/uk_gmpp_2023_semicolon_latin1.csv": ("refused", "缺少必填列"),
    "budgets/us_itdashboard_projects_2011.csv": ("refused", "不是可识别的工期"),
    "kpis/cms_hcahps_patient_survey_state_2024.csv": ("refused", "缺少必填列"),
    "kpis/cms_oas_cahps_outpatient_survey_state_2024.csv": ("refused", "缺少必填列"),
    # long KPIs whose Score holds "Not Available": each such cell named (--skip-invalid loads the rest)
    "kpis/cms_timely_effective_care_state_2024.csv": ("refused", "「Not Available」不是数字"),
    # 国考: years as columns; four cells of row 117 hold ratios "1/1.55" (never guessed), named by row
    "kpis/jianshui_hospital_perf_assessment_2017_2020_zh.xlsx": ("refused", "「1/1.55」不是数字"),
    "kpis/kingtom1_outpatient_visits_2014_2018_zh.xlsx": ("refused", "没有找到可识别的表头"),
    "kpis/kingtom1_outpatient_visits_monthly_zh.xlsx": ("refused", "缺少必填列"),
    # one column per measure under a period column: every sheet unpivoted into KPIs
    "kpis/nhs_england_ae_monthly_timeseries_sep2023.xlsx": (
        "loaded",
        {"Activity": 1983, "Performance": 1860, "Booking": 604},
    ),
    "kpis/panther2010_dept_feedback_waittime.csv": ("refused", "缺少必填列"),
    "plans/baconaa_medical_device_gantt_tracking_zh.xlsx": ("loaded", 183),
    "plans/chennxl_phase_schedule_zh.xlsx": ("refused", "缺少必填列"),
    "plans/chousinbin_gantt_simple_zh.xlsx": ("loaded", 6),
    "plans/dymaxionkim_weekly_status_ko.xlsx": ("refused", "没有找到可识别的表头"),
    "plans/ganttproject_HouseBuildingSample.gan": ("loaded", 20),
    "plans/ganttproject_export_issue2519_pt.xls": ("refused", "缺少必填列"),
    "plans/mpxj_mspdi_sample_project2003.xml": ("loaded", 19),
    "plans/popovgp_msproject_vba_export_ru.xlsx": ("loaded", {"Gantt": 48}),
    "plans/wenzhuoxu_gantt_weekgrid_zh.xlsx": ("refused", "缺少必填列"),
    "plans/yuyingwu_omniplan_export_zh.csv": ("loaded", 34),
    "plans/zhongkunyu_gantt_weekgrid_zh.xlsx": ("refused", "缺少必填列"),
    # the residual Likelihood / Impact columns repeat the inherent ones' names: told apart
    "risks/fengdancui_risk_register.xlsx": ("loaded", 5),
    # an empty template whose impact spans four sub-columns (范围/质量/进度/成本): refused, never guessed
    "risks/greyzeng_risk_register_template_zh.xlsx": ("refused", "缺少必填列「影响/impact」"),
    "risks/panther2010_hospital_appointments_risk_register.xlsx": ("loaded", 12),
    "risks/tolulope_hospital_grc_risk_register.csv": ("loaded", 15),
    # "Impact Level Rate 1 (LOW) to 5 (HIGH)": a doubtful header match is asked on the data page
    "risks/uwa_tikasathi_risk_register.xlsx": ("refused", "请在数据页把对应的列映射到这些字段"),
}
# binary MS Project files are read by the schedule engine (MPXJ) where it is installed, else refused plainly
EITHER = "plans/mpp/"


def _key(path: Path) -> str:
    return path.relative_to(REALDATA).as_posix()


@pytest.mark.parametrize("path", FILES, ids=_key)
def test_every_real_file_ends_in_its_stated_outcome(path: Path) -> None:
    con = store.memory_store()
    results = importer.import_file(con, path)
    assert results
    key = _key(path)
    text = "\n".join([r.message for r in results] + [p.message for r in results for p in r.problems])
    assert "Traceback" not in text
    if key.startswith(EITHER):
        assert all(r.status in ("loaded", "refused") for r in results), text
        if all(r.status == "refused" for r in results):
            assert "不是支持的文件格式" in text or "MPXJ" in text, text
        return
    assert key in EXPECTED, f"{key}: add its expected outcome to EXPECTED"
    outcome, detail = EXPECTED[key]
    if outcome == "loaded":
        assert all(r.status == "loaded" for r in results), text
        if isinstance(detail, dict):
            assert {r.sheet: r.rows for r in results} == detail
        else:
            assert sum(r.rows for r in results) == detail
    else:
        assert all(r.status == "refused" for r in results), text
        assert isinstance(detail, str) and detail in text, text
        assert " / " in text  # Chinese, then the English
        refused = con.execute("SELECT count(*) FROM imports WHERE status = 'refused'").fetchone()
        assert refused is not None and refused[0] >= 1  # the attempt is in the history


def test_every_real_file_has_a_stated_outcome() -> None:
    stated = {k for k in EXPECTED}
    present = {_key(p) for p in FILES if not _key(p).startswith(EITHER)}
    assert present <= stated, present - stated


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


def test_mspdi_sample_loads_19_tasks() -> None:
    con = store.memory_store()
    (res,) = importer.import_file(con, REALDATA / "plans" / "mpxj_mspdi_sample_project2003.xml")
    assert res.status == "loaded" and res.rows == 19


def test_guokao_kpi_workbook_loads_its_valid_rows_as_kpis() -> None:
    """The 国考 sheet (2020年 … 2017年 as columns) with --skip-invalid: every indicator per year, figures as in
    the sheet (1.1 出院患者手术人数: 9415, 9711, 11328, 12158 for 2017 … 2020)."""
    con = store.memory_store()
    path = REALDATA / "kpis" / "jianshui_hospital_perf_assessment_2017_2020_zh.xlsx"
    (res,) = importer.import_file(con, path, skip_invalid=True)
    assert res.status == "loaded" and res.rows == 524
    got = con.execute(
        "SELECT year(period), value, unit FROM kpis WHERE kpi = '1.1.出院患者手术人数' ORDER BY period"
    ).fetchall()
    assert got == [(2017, 9415.0, "人"), (2018, 9711.0, "人"), (2019, 11328.0, "人"), (2020, 12158.0, "人")]
    bad = [p for p in res.problems if p.severity == "error"]
    assert {p.row for p in bad} == {117} and {p.value for p in bad} == {"1/1.55", "1/1.53", "1/1.52"}


def test_department_kpi_sheets_keep_each_department() -> None:
    con = store.memory_store()
    results = importer.import_file(con, REALDATA / "adoption" / "hqcoffee_dept_indicator_sheets_zh.xlsx")
    assert len(results) == 62 and all(r.status == "loaded" for r in results)
    depts = con.execute("SELECT count(DISTINCT department), count(*) FILTER (WHERE department IS NULL) FROM kpis")
    assert depts.fetchone() == (61, 267)  # the 医院 sheet is hospital-wide
    emr = con.execute(
        "SELECT year(period), value, unit FROM kpis WHERE department IS NULL AND kpi = '电子病历应用功能水平分级'"
        " ORDER BY period"
    ).fetchall()
    assert emr == [(2018, 3.0, "级"), (2019, 3.0, "级"), (2020, 4.0, "级")]


def test_nhs_percent_cells_are_percentages() -> None:
    con = store.memory_store()
    importer.import_file(con, REALDATA / "kpis" / "nhs_england_ae_monthly_timeseries_sep2023.xlsx")
    row = con.execute(
        "SELECT round(value, 1), unit FROM kpis WHERE period = DATE '2023-09-01'"
        " AND kpi = 'Percentage of attendances within 4 hours/Percentage in 4 hours or less (all)'"
    ).fetchone()
    assert row == (71.6, "%")  # NHS England's published September 2023 figure: 71.6 %


def test_residual_risk_columns_of_the_real_register() -> None:
    con = store.memory_store()
    importer.import_file(con, REALDATA / "risks" / "fengdancui_risk_register.xlsx")
    got = con.execute(
        "SELECT risk_id, likelihood, impact, residual_likelihood, residual_impact FROM risks ORDER BY risk_id"
    ).fetchall()
    assert got == [("1", 5, 4, 2, 4), ("2", 3, 4, 2, 4), ("3", 3, 5, 2, 5), ("4", 2, 4, 1, 4), ("5", 3, 5, 1, 5)]
