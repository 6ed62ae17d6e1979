"""Demo go-live readiness exports (issue 16), as the PMO keeps them: training records, chief-user feedback,
third-party supervision findings, quality-gate checklists and the department readiness sheet.

The story: the 互联网医院二期 (处方流转) roll-out of 智慧病房与互联网医院 went live in its pilot department 心内科 on
2026-11-16 after passing its gate; the next department, 内分泌科 (go-live 2026-12-17), is blocked by training coverage
(15 of 26 staff trained: 58 % against 90 %); 呼吸内科 and 消化内科 follow in January. EMR faces its 五级评审 gate on
2026-12-07. Two supervision findings are past their due date. Its own seeded Random: the other demo files stay
byte-identical.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

SEED = 20261616
STATUS_DATE = date(2026, 11, 23)
EMR, HIS, PACS, LIS, HRP, ZHBF = (
    "电子病历(EMR)升级",
    "HIS系统替换",
    "PACS影像系统",
    "LIS检验系统",
    "HRP运营管理",
    "智慧病房与互联网医院",
)
RX = "互联网医院"  # the system of the 处方流转 roll-out
PILOT, NEXT, LATER = "心内科", "内分泌科", ("呼吸内科", "消化内科")
PILOT_GATE, NEXT_GATE = date(2026, 11, 13), date(2026, 12, 14)
PILOT_LIVE, NEXT_LIVE, LATER_LIVE = date(2026, 11, 16), date(2026, 12, 17), date(2027, 1, 11)
STAFF = {PILOT: 42, NEXT: 26, "呼吸内科": 38, "消化内科": 34}
# trained by each Monday (cumulative), as the training office reports it
TRAINED = {
    PILOT: {date(2026, 10, 19): 12, date(2026, 10, 26): 24, date(2026, 11, 2): 33, date(2026, 11, 9): 40,
            date(2026, 11, 16): 41, date(2026, 11, 23): 41},
    NEXT: {date(2026, 11, 2): 4, date(2026, 11, 9): 8, date(2026, 11, 16): 12, date(2026, 11, 23): 15},
    "呼吸内科": {date(2026, 11, 16): 6, date(2026, 11, 23): 14},
    "消化内科": {date(2026, 11, 23): 5},
}  # fmt: skip
EMR_WAVES = ("急诊科", "心内科", "呼吸内科", "消化内科", "神经内科", "内分泌科", "肾内科", "普外科", "骨科", "儿科")
DIMENSIONS = ("硬件", "网络", "培训", "数据迁移", "流程签字", "首席用户")
NOT_READY = {
    NEXT: ("培训",),
    "呼吸内科": ("培训", "流程签字"),
    "消化内科": ("硬件", "培训", "流程签字", "首席用户"),
}

WriteXlsx = Callable[[Workbook, Path], None]


def _cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def training(rng: random.Random, golive: Mapping[str, Mapping[str, date]]) -> list[tuple[object, ...]]:
    """The 处方流转 ramp week by week, and the EMR training each department finished before its go-live."""
    rows: list[tuple[object, ...]] = []
    for dep, weeks in TRAINED.items():
        for day, trained in sorted(weeks.items()):
            passed = trained - (1 if trained > 10 and rng.random() < 0.5 else 0)
            rows.append((_cn(day), dep, RX, STAFF[dep], trained, passed))
    for dep in EMR_WAVES:
        live = golive.get("EMR", {}).get(dep)
        if live is None:
            continue
        staff = rng.randint(28, 60)
        trained = staff - rng.randint(0, 2)
        rows.append((_cn(live - timedelta(days=7)), dep, "EMR", staff, trained, trained - rng.randint(0, 2)))
    return rows


def write_training(out: Path, write: WriteXlsx, rows: list[tuple[object, ...]]) -> list[dict[str, object]]:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "培训台账"
    ws.append(("信息化项目培训台账（培训办 每周一更新）",))
    ws.append(("截至日期", "科室", "系统", "应培训人数", "已培训人数", "考核通过人数"))
    for r in rows:
        ws.append(r)
    rel = "readiness/培训记录_2026-11-23.xlsx"
    write(wb, out / rel)
    return [{"file": rel, "dataset": "training", "project": None, "as_of": None}]


ISSUES = {
    RX: (("界面", "处方审核页面加载慢"), ("流程", "电子签名需重复输入"), ("缺陷", "退方后库存未回滚"),
         ("培训", "药师不熟悉处方撤回"), ("流程", "慢病续方需复诊记录"), ("界面", "处方打印格式不符"),
         ("缺陷", "医保目录匹配错误"), ("培训", "医生不清楚审方不通过的处理")),
    "EMR": (("界面", "病历模板字体偏小"), ("流程", "会诊记录需二次签名"), ("缺陷", "检验结果回传延迟"),
            ("培训", "结构化病历录入不熟练"), ("缺陷", "护理记录保存偶发失败")),
}  # fmt: skip
SEVERITY_WORDS = ("严重", "一般", "一般", "轻微")
CHIEF = {PILOT: "李静", NEXT: "周敏", "呼吸内科": "陈涛", "消化内科": "吴霞", "急诊科": "赵磊", "神经内科": "孙悦"}


def feedback(rng: random.Random) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    n = 0
    plan = [(RX, PILOT, date(2026, 10, 12), 16), (RX, NEXT, date(2026, 11, 2), 5),
            ("EMR", "急诊科", date(2026, 9, 1), 6), ("EMR", "神经内科", date(2026, 9, 14), 5)]  # fmt: skip
    for system, dep, first, count in plan:
        for _ in range(count):
            n += 1
            raised = first + timedelta(days=rng.randint(0, (STATUS_DATE - first).days - 1))
            category, issue = rng.choice(ISSUES[system])
            severity = rng.choice(SEVERITY_WORDS)
            took = rng.randint(2, 20)
            resolved = raised + timedelta(days=took)
            done = resolved <= STATUS_DATE - timedelta(days=1) and rng.random() < 0.75
            status = "已解决" if done else rng.choice(("待处理", "处理中"))
            rows.append((f"FK-{n:03d}", dep, system, issue, category, severity, _cn(raised),
                         _cn(resolved) if done else None, status, CHIEF.get(dep, "—")))  # fmt: skip
    return sorted(rows, key=lambda r: str(r[0]))


def write_feedback(out: Path, write: WriteXlsx, rows: list[tuple[object, ...]]) -> list[dict[str, object]]:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "反馈登记"
    ws.append(("首席用户反馈登记表",))
    ws.append(())
    ws.append(
        ("反馈编号", "科室", "系统", "问题描述", "问题类别", "严重程度", "提出日期", "解决日期", "处理状态", "首席用户")
    )
    for r in rows:
        ws.append(r)
    rel = "readiness/首席用户反馈_2026-11-23.xlsx"
    write(wb, out / rel)
    return [{"file": rel, "dataset": "feedback", "project": None, "as_of": None}]


# (id, project, area, finding, severity, action, raised, due, closed, closed_by); two past due and still open
FINDINGS: tuple[tuple[str, str, str, str, str, str, date, date, date | None, str | None], ...] = (
    ("JL-01", EMR, "质量", "结构化病历模板未经医务处审核", "一般", "补齐审核记录", date(2026, 6, 10), date(2026, 6, 30),
     date(2026, 6, 26), "监理 刘工"),
    ("JL-02", HIS, "进度", "新旧系统并行期延长未走变更", "严重", "补办变更审批", date(2026, 6, 22), date(2026, 7, 10),
     date(2026, 7, 8), "监理 刘工"),
    ("JL-03", PACS, "安全", "影像存储未做异地备份", "严重", "部署异地备份并演练", date(2026, 7, 6), date(2026, 8, 31),
     date(2026, 8, 28), "监理 王工"),
    ("JL-04", LIS, "质量", "危急值回传未覆盖全部项目", "一般", "补充配置并回归测试", date(2026, 8, 3),
     date(2026, 8, 24), date(2026, 8, 20), "监理 王工"),
    ("JL-05", HRP, "合同", "物资模块验收单缺签字", "轻微", "补签验收单", date(2026, 8, 17), date(2026, 9, 4),
     date(2026, 9, 2), "监理 刘工"),
    ("JL-06", HIS, "合同", "接口文档未按合同交付", "严重", "供应商 11 月 6 日前交付全部接口文档", date(2026, 10, 16),
     date(2026, 11, 6), None, None),
    ("JL-07", ZHBF, "安全", "互联网医院等保三级测评未完成", "严重", "完成等保测评并整改", date(2026, 10, 23),
     date(2026, 11, 13), None, None),
    ("JL-08", ZHBF, "质量", "处方流转联调用例未覆盖退方", "一般", "补充用例并回归", date(2026, 10, 30),
     date(2026, 11, 12), date(2026, 11, 11), "监理 王工"),
    ("JL-09", EMR, "进度", "五级评审材料准备滞后", "一般", "每周报送材料进度", date(2026, 11, 6), date(2026, 11, 27),
     None, None),
    ("JL-10", HRP, "质量", "全面预算模块权限未按岗位分配", "轻微", "按岗位重新授权", date(2026, 11, 13),
     date(2026, 12, 4), None, None),
)  # fmt: skip


def write_supervision(out: Path, write: WriteXlsx) -> list[dict[str, object]]:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "监理意见"
    ws.append(("第三方监理意见汇总（截至 2026年11月20日）",))
    ws.append(("意见编号", "项目名称", "意见类别", "监理意见", "严重程度", "整改措施", "下发日期", "整改期限", "整改状态",
               "关闭日期", "验证人"))  # fmt: skip
    for fid, project, area, finding, sev, action, raised, due, closed, by in FINDINGS:
        status = "已关闭" if closed else "整改中"
        ws.append((fid, project, area, finding, sev, action, _cn(raised), _cn(due), status,
                   _cn(closed) if closed else None, by))  # fmt: skip
    rel = "readiness/第三方监理意见_2026-11-20.xlsx"
    write(wb, out / rel)
    return [{"file": rel, "dataset": "supervision", "project": None, "as_of": None}]


GATE_HEADER = ("项目名称", "门禁名称", "上线科室", "系统", "评审日期", "准入标准", "衡量指标", "阈值", "实际值", "是否满足",
               "豁免原因", "证据链接", "签字人", "签字日期")  # fmt: skip


def gate_rows() -> dict[str, list[tuple[object, ...]]]:
    """Per project the gate checklist. Criteria naming training coverage, usage rate, critical risks or test pass
    rate are computed by the cockpit; their typed cells are left as the PMO last wrote them."""
    waiver = "医保局接口 2027 年开放，试点期间线下结算"
    pilot = ("处方流转试点上线评审", PILOT, RX, _cn(PILOT_GATE))
    nxt = ("处方流转推广上线评审", NEXT, RX, _cn(NEXT_GATE))
    zhbf = [
        (ZHBF, *pilot, "培训覆盖率达标", "培训覆盖率", "≥ 90%", "95%", "√", None, "OA-2026-1107 签到表", "培训办 何琳",
         _cn(date(2026, 11, 12))),
        (ZHBF, *pilot, "处方流转接口联调通过", None, None, None, "已满足", None, "测试报告 TR-118", "信息科 张伟",
         _cn(date(2026, 11, 10))),
        (ZHBF, *pilot, "药师审方规则配置完成", None, None, None, "已满足", None, "规则清单 v3", "药剂科 马超",
         _cn(date(2026, 11, 11))),
        (ZHBF, *pilot, "医保在线结算", None, None, None, "豁免", waiver, None, "医务处 郑洁", _cn(date(2026, 11, 12))),
        (ZHBF, *pilot, "首席用户签字确认", None, None, None, "已满足", None, "签字页", "心内科 首席用户 李静",
         _cn(date(2026, 11, 12))),
        (ZHBF, *nxt, "培训覆盖率达标", "培训覆盖率", "≥ 90%", None, None, None, None, None, None),
        (ZHBF, *nxt, "测试通过率", "测试通过率", "≥ 95%", None, None, None, "测试报告 TR-118", None, None),
        (ZHBF, *nxt, "处方流转接口联调通过", None, None, None, "√", None, "测试报告 TR-118", "信息科 张伟",
         _cn(date(2026, 11, 10))),
        (ZHBF, *nxt, "医保在线结算", None, None, None, "豁免", waiver, None, "医务处 郑洁", _cn(date(2026, 11, 19))),
        (ZHBF, *nxt, "首席用户已指定", None, None, None, "是", None, "院发〔2026〕88号", "内分泌科 首席用户 周敏",
         _cn(date(2026, 11, 18))),
    ]  # fmt: skip
    g = ("五级评审", None, "EMR", _cn(date(2026, 12, 7)))
    emr = [
        (EMR, *g, "全院电子病历使用率", "使用率", "≥ 80%", None, None, None, None, None, None),
        (EMR, *g, "申报材料提交", None, None, None, "已满足", None, "省卫健委平台回执", "医务处 郑洁",
         _cn(date(2026, 11, 18))),
        (EMR, *g, "数据质量核查差异率", None, "≤ 2%", "1.6%", "已满足", None, "质控报告 2026-11", "质控科 黄敏",
         _cn(date(2026, 11, 19))),
    ]  # fmt: skip
    return {ZHBF: zhbf, EMR: emr}


def write_gates(out: Path, write: WriteXlsx) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    as_of = date(2026, 11, 20)
    for project, rows in gate_rows().items():
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "门禁检查表"
        ws.append((f"{project} 上线质量门禁检查表",))
        ws.append((f"状态日期：{_cn(as_of)}",))
        ws.append(GATE_HEADER)
        for r in rows:
            ws.append(r)
        rel = f"readiness/{project}_质量门禁_{as_of.isoformat()}.xlsx"
        write(wb, out / rel)
        entries.append({"file": rel, "dataset": "gate_criteria", "project": project, "as_of": as_of.isoformat()})
    return entries


def write_readiness(out: Path, write: WriteXlsx) -> list[dict[str, object]]:
    """The 处方流转 roll-out's department checklist, with ticks and crosses as the PMO fills it in."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "科室准备"
    ws.append(("互联网医院二期（处方流转）科室上线准备检查表",))
    ws.append(("项目名称", "系统", "科室", "准备维度", "是否就绪", "计划上线日期", "备注"))
    plan = ((PILOT, PILOT_LIVE), (NEXT, NEXT_LIVE), *((d, LATER_LIVE) for d in LATER))
    for dep, live in plan:
        for dim in DIMENSIONS:
            if dim == "数据迁移":
                mark, note = "/", "无历史数据需迁移"
            elif dim in NOT_READY.get(dep, ()):
                mark = "×"
                note = f"培训覆盖 {TRAINED[dep][STATUS_DATE]}/{STAFF[dep]} 人" if dim == "培训" else None
            else:
                mark, note = "√", None
            ws.append((ZHBF, RX, dep, dim, mark, _cn(live), note))
    as_of = date(2026, 11, 20)
    rel = f"readiness/科室上线准备_{as_of.isoformat()}.xlsx"
    write(wb, out / rel)
    return [{"file": rel, "dataset": "dept_readiness", "project": ZHBF, "as_of": as_of.isoformat()}]


def generate(out: Path, write: WriteXlsx, golive: Mapping[str, Mapping[str, date]]) -> list[dict[str, object]]:
    """Write the readiness exports under `out` and return their manifest entries."""
    rng = random.Random(SEED)
    manifest: list[dict[str, object]] = []
    manifest += write_training(out, write, training(rng, golive))
    manifest += write_feedback(out, write, feedback(rng))
    manifest += write_supervision(out, write)
    manifest += write_gates(out, write)
    manifest += write_readiness(out, write)
    return manifest
