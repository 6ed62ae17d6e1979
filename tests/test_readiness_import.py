"""The five readiness datasets through the real importer: recognised from messy Chinese headers under title rows,
dates like 2025年3月5日, 是/否, √/×, 已满足/未满足/豁免; refusals name the row, column and value and change nothing;
re-imports replace by their keys and undo brings rows back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from loaders import importer, store
from loaders.store import writes
from tests.storekit import gbk_csv, xlsx

D = dt.date


def rows(con: duckdb.DuckDBPyConnection, view: str, order: str) -> list[tuple[Any, ...]]:
    return con.execute(f"SELECT * EXCLUDE (import_id, hospital) FROM {view} ORDER BY {order}").fetchall()  # noqa: S608


def loaded(results: list[importer.ImportResult], dataset: str) -> None:
    assert [r.status for r in results] == ["loaded"], [r.message for r in results] + [
        str(p) for r in results for p in r.problems
    ]
    assert results[0].dataset == dataset


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return store.memory_store()


GATE_ROWS: list[list[Any]] = [
    ["互联网医院二期 上线门禁检查表"],
    ["状态日期：2026年11月20日"],
    [
        "项目名称",
        "门禁名称",
        "上线科室",
        "系统",
        "评审日期",
        "准入标准",
        "衡量指标",
        "阈值",
        "实际值",
        "是否满足",
        "豁免原因",
        "证据链接",
        "签字人",
        "签字日期",
    ],  # fmt: skip
    [
        "智慧病房与互联网医院",
        "推广上线评审",
        "内分泌科",
        "互联网医院",
        "2026年12月14日",
        "培训覆盖率达标",
        "培训覆盖率",
        "≥ 90%",
        "",
        "",
        "",
        "",
        "",
        "",
    ],  # fmt: skip
    [
        "智慧病房与互联网医院",
        "推广上线评审",
        "内分泌科",
        "互联网医院",
        "2026年12月14日",
        "处方流转接口联调",
        "",
        "",
        "",
        "√",
        "",
        "OA-77",
        "信息科 张伟",
        "2026/12/1",
    ],  # fmt: skip
    [
        "智慧病房与互联网医院",
        "推广上线评审",
        "内分泌科",
        "互联网医院",
        "2026年12月14日",
        "医保实时结算",
        "",
        "",
        "",
        "豁免",
        "医保局接口年底开放，先走线下结算",
        "",
        "",
        "",
    ],  # fmt: skip
    [
        "智慧病房与互联网医院",
        "推广上线评审",
        "内分泌科",
        "互联网医院",
        "2026年12月14日",
        "首席用户签字",
        "",
        "",
        "",
        "×",
        "",
        "",
        "",
        "",
    ],  # fmt: skip
    [
        "智慧病房与互联网医院",
        "推广上线评审",
        "内分泌科",
        "互联网医院",
        "2026年12月14日",
        "数据迁移核对差异",
        "",
        "＝ 0",
        "0",
        "已满足",
        "",
        "",
        "",
        "",
    ],  # fmt: skip
    ["合计", "", "", "", "", "", "", "", "", "", "", "", "", ""],
]


def test_gate_criteria_messy_form(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = xlsx(tmp_path / "门禁检查表.xlsx", GATE_ROWS, sheet="门禁")
    results = importer.import_file(con, path)
    loaded(results, "gate_criteria")
    got = con.execute(
        "SELECT criterion, status, reason, signed_by, signed_on, due, as_of FROM gate_criteria ORDER BY row_no"
    ).fetchall()
    assert [(c, s) for c, s, *_ in got] == [
        ("培训覆盖率达标", None),
        ("处方流转接口联调", "met"),
        ("医保实时结算", "waived"),
        ("首席用户签字", "not_met"),
        ("数据迁移核对差异", "met"),
    ]
    assert got[1][3:5] == ("信息科 张伟", D(2026, 12, 1))
    assert got[2][2] == "医保局接口年底开放，先走线下结算"
    assert {r[5] for r in got} == {D(2026, 12, 14)}  # 2026年12月14日
    assert {r[6] for r in got} == {D(2026, 11, 20)}  # the 状态日期 cell above the header


def test_a_waiver_without_reason_and_an_unknown_status_are_refused(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    bad = [list(r) for r in GATE_ROWS[2:8]]
    bad[3][10] = ""  # 豁免 without its reason
    bad[4][9] = "差不多"  # not a status
    path = xlsx(tmp_path / "门禁.xlsx", bad)
    before = store.data_version(con)
    (result,) = importer.import_file(con, path)
    assert result.status == "refused"
    text = "\n".join(str(p) for p in result.problems)
    assert "行 4 / 列「豁免原因」: 豁免的标准必须写明豁免原因" in text
    assert "差不多" in text and "门禁状态" in text
    assert con.execute("SELECT count(*) FROM gate_criteria").fetchone() == (0,)
    assert store.data_version(con) == before
    # the attempt is in the history
    assert con.execute("SELECT status FROM imports WHERE dataset = 'gate_criteria'").fetchall() == [("refused",)]


def test_training_gbk_csv_with_chinese_dates_and_rules(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = gbk_csv(
        tmp_path / "培训记录.csv",
        [
            ["培训日期", "科室", "系统", "应培训人数", "已培训人数", "考核通过人数"],
            ["2026年11月2日", "心内科", "互联网医院", "40", "38", "36"],
            ["2026.11.2", "内分泌科", "互联网医院", "26", "16", "15"],
            ["合 计", "", "", "66", "54", "51"],
        ],
    )
    results = importer.import_file(con, path)
    loaded(results, "training")
    assert rows(con, "training", "department") == [
        (D(2026, 11, 2), "内分泌科", "互联网医院", 26, 16, 15),
        (D(2026, 11, 2), "心内科", "互联网医院", 40, 38, 36),
    ]
    # a corrected file for the same date replaces that department's row; undo brings it back
    fixed = gbk_csv(
        tmp_path / "培训记录_更正.csv",
        [
            ["培训日期", "科室", "系统", "应培训人数", "已培训人数"],
            ["2026-11-02", "内分泌科", "互联网医院", "26", "18"],
        ],
    )
    (again,) = importer.import_file(con, fixed)
    assert again.status == "loaded"
    assert con.execute("SELECT trained FROM training WHERE department = '内分泌科'").fetchall() == [(18,)]
    assert again.import_id is not None
    writes.undo(con, again.import_id)
    assert con.execute("SELECT trained FROM training WHERE department = '内分泌科'").fetchall() == [(16,)]


def test_training_more_trained_than_staff_refused(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = xlsx(
        tmp_path / "培训.xlsx",
        [
            ["培训日期", "科室", "系统", "应培训人数", "已培训人数", "考核通过人数"],
            [D(2026, 11, 2), "心内科", "EMR", 10, 12, 9],
        ],
    )
    (result,) = importer.import_file(con, path)
    assert result.status == "refused"
    text = "\n".join(str(p) for p in result.problems)
    assert "已培训人数大于应培训人数" in text and "已培训人数" in text
    assert con.execute("SELECT count(*) FROM training").fetchone() == (0,)


def test_feedback_log_with_severity_words(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = xlsx(
        tmp_path / "首席用户反馈.xlsx",
        [
            ["首席用户反馈登记表", None],
            [
                "反馈编号",
                "科室",
                "系统",
                "问题描述",
                "问题类别",
                "严重程度",
                "提出日期",
                "解决日期",
                "处理状态",
                "首席用户",
            ],
            [
                "FK-01",
                "心内科",
                "互联网医院",
                "处方审核页面卡顿",
                "界面",
                "严重",
                "2026年10月8日",
                "2026年10月15日",
                "已解决",
                "王芳",
            ],  # fmt: skip
            [
                "FK-02",
                "心内科",
                "互联网医院",
                "电子签名需重复输入",
                "流程",
                "一般",
                "2026/10/20",
                None,
                "处理中",
                "王芳",
            ],
            ["FK-03", "内分泌科", "互联网医院", "药师不会用退方", "培训", "轻微", "2026-11-03", None, "待处理", "刘洋"],
        ],
    )
    results = importer.import_file(con, path)
    loaded(results, "feedback")
    got = con.execute("SELECT feedback_id, severity, raised, resolved FROM feedback ORDER BY feedback_id").fetchall()
    assert got == [
        ("FK-01", "high", D(2026, 10, 8), D(2026, 10, 15)),
        ("FK-02", "medium", D(2026, 10, 20), None),
        ("FK-03", "low", D(2026, 11, 3), None),
    ]
    # next week's log: FK-02 resolved, FK-04 new; FK-01 and FK-03 unchanged
    path2 = xlsx(
        tmp_path / "首席用户反馈_2.xlsx",
        [
            ["反馈编号", "科室", "系统", "问题描述", "严重程度", "提出日期", "解决日期", "处理状态"],
            ["FK-02", "心内科", "互联网医院", "电子签名需重复输入", "中", "2026-10-20", "2026-11-10", "已解决"],
            ["FK-04", "心内科", "互联网医院", "处方打印格式", "低", "2026-11-12", None, "待处理"],
        ],
    )
    loaded(importer.import_file(con, path2), "feedback")
    got = con.execute("SELECT feedback_id, resolved FROM feedback ORDER BY feedback_id").fetchall()
    assert got == [("FK-01", D(2026, 10, 15)), ("FK-02", D(2026, 11, 10)), ("FK-03", None), ("FK-04", None)]


def test_feedback_resolved_before_raised_refused(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = xlsx(
        tmp_path / "反馈.xlsx",
        [
            ["反馈编号", "科室", "系统", "问题描述", "提出日期", "解决日期"],
            ["1", "心内科", "EMR", "x", "2026年10月8日", "2026年10月1日"],
        ],
    )
    (result,) = importer.import_file(con, path)
    assert result.status == "refused"
    assert "解决日期早于提出日期" in "\n".join(str(p) for p in result.problems)


def test_supervision_findings(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = xlsx(
        tmp_path / "监理意见.xlsx",
        [
            ["第三方监理意见汇总（第12期）"],
            [],
            [
                "意见编号",
                "项目名称",
                "意见类别",
                "监理意见",
                "严重程度",
                "整改措施",
                "下发日期",
                "整改期限",
                "整改状态",
                "关闭日期",
                "验证人",
            ],  # fmt: skip
            [
                "JL-07",
                "HIS系统替换",
                "安全",
                "机房门禁记录缺失",
                "高",
                "补装门禁",
                "2026年10月9日",
                "2026年10月30日",
                "整改中",
                None,
                None,
            ],  # fmt: skip
            [
                "JL-08",
                "HIS系统替换",
                "合同",
                "第三期付款条件未达成",
                "重大",
                "暂缓付款",
                "2026/10/12",
                "2026/11/12",
                "已关闭",
                "2026/11/5",
                "监理 刘工",
            ],  # fmt: skip
        ],
    )
    loaded(importer.import_file(con, path), "supervision")
    got = con.execute("SELECT finding_id, severity, due, closed, closed_by FROM supervision ORDER BY 1").fetchall()
    assert got == [
        ("JL-07", "high", D(2026, 10, 30), None, None),
        ("JL-08", "high", D(2026, 11, 12), D(2026, 11, 5), "监理 刘工"),
    ]


def test_department_readiness_with_ticks_and_not_applicable(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = xlsx(
        tmp_path / "科室上线准备_2026-11-20.xlsx",
        [
            ["科室", "准备维度", "是否就绪", "计划上线日期", "备注"],
            ["心内科", "硬件", "√", "2026年12月17日", None],
            ["心内科", "培训", "是", "2026年12月17日", None],
            ["内分泌科", "培训", "×", "2026年12月17日", "覆盖率不足"],
            ["内分泌科", "首席用户", "未就绪", "2026年12月17日", None],
            ["内分泌科", "数据迁移", "/", "2026年12月17日", "无历史数据"],
            ["内分泌科", "网络", "不适用", "2026年12月17日", None],
        ],
    )
    # the sheet has no project column: the importer takes it from the page / --project (else the file name, as
    # for every snapshot, which the preview shows)
    loaded(importer.import_file(con, path, project="智慧病房与互联网医院"), "dept_readiness")
    assert con.execute("SELECT DISTINCT project FROM dept_readiness").fetchall() == [("智慧病房与互联网医院",)]
    got = con.execute("SELECT department, dimension, status, as_of FROM dept_readiness ORDER BY row_no").fetchall()
    assert [r[2] for r in got] == ["ready", "ready", "not_ready", "not_ready", "na", "na"]
    assert {r[3] for r in got} == {D(2026, 11, 20)}  # as of the date in the file name
    # an ASCII x is asked, never guessed
    amb = xlsx(tmp_path / "amb.xlsx", [["科室", "准备维度", "是否就绪"], ["心内科", "网络", "x"]])
    (res,) = importer.import_file(con, amb, project="智慧病房与互联网医院")
    assert res.status == "refused" and "含义不明确" in "\n".join(str(p) for p in res.problems)


@pytest.mark.parametrize(
    ("header", "dataset"),
    [
        (["项目名称", "门禁名称", "准入标准", "是否满足"], "gate_criteria"),
        (["培训日期", "科室", "系统", "应培训人数", "已培训人数"], "training"),
        (["反馈编号", "科室", "系统", "问题描述", "提出日期"], "feedback"),
        (["意见编号", "项目名称", "监理意见", "整改期限"], "supervision"),
        (["项目名称", "科室", "准备维度", "就绪状态"], "dept_readiness"),
        # the older datasets are still recognised as before
        (["统计日期", "科室", "系统", "活跃用户数", "应用人数"], "usage"),
        (["风险编号", "风险描述", "可能性", "影响", "责任人", "应对措施", "状态"], "risks"),
        (["变更编号", "项目名称", "变更内容", "状态", "申请日期", "费用影响(万元)"], "changes"),
    ],
)
def test_recognised_from_headers(tmp_path: Path, header: list[str], dataset: str) -> None:
    assert importer.guess_header(xlsx(tmp_path / "f.xlsx", [header]), "f.xlsx") is not None
    found = importer.guess_header(tmp_path / "f.xlsx", "f.xlsx")
    assert found is not None and found[0] == dataset
