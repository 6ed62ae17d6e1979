"""Generate the HIT Cockpit demo data set: one tertiary hospital's 18-month IT programme, as the PMO would export it.

Deterministic (seeded Random, fixed workbook timestamps); run `.venv/bin/python data/demo/generate.py`.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
import random
import re
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType

from openpyxl import Workbook

SEED = 20261125
HOSPITAL = "某市第一人民医院"
PROGRAMME_START = date(2025, 6, 2)
PROGRAMME_END = date(2026, 12, 31)
STATUS_DATE = date(2026, 11, 23)
LEDGER_CUTOFF = date(2026, 11, 20)
SNAPSHOTS = tuple(STATUS_DATE - timedelta(weeks=6 - k) for k in range(7))  # 2026-10-12 .. 2026-11-23
FIXED_STAMP = (2026, 11, 23, 8, 0, 0)  # every zip member and the workbook properties carry this time

EMR, HIS, PACS, LIS, HRP, ZHBF = (
    "电子病历(EMR)升级",
    "HIS系统替换",
    "PACS影像系统",
    "LIS检验系统",
    "HRP运营管理",
    "智慧病房与互联网医院",
)
PROJECTS = (EMR, HIS, PACS, LIS, HRP, ZHBF)
PROJECT_CODE = {EMR: "EMR", HIS: "HIS", PACS: "PACS", LIS: "LIS", HRP: "HRP", ZHBF: "ZHBF"}
SYSTEMS = ("EMR", "HIS", "PACS", "LIS", "HRP", "移动护理")
SYSTEM_PROJECT = {"EMR": EMR, "HIS": HIS, "PACS": PACS, "LIS": LIS, "HRP": HRP, "移动护理": ZHBF}

DEPARTMENTS = (
    "急诊科", "心内科", "呼吸内科", "消化内科", "神经内科", "内分泌科", "肾内科", "普外科", "骨科", "泌尿外科",
    "神经外科", "心胸外科", "妇科", "产科", "儿科", "眼科", "耳鼻喉科", "口腔科", "皮肤科", "中医科",
    "康复医学科", "肿瘤科", "感染科", "重症医学科", "麻醉科", "放射科", "检验科", "病理科", "药剂科", "门诊部",
)  # fmt: skip
CLINICAL = DEPARTMENTS[:25]
LAGGING = ("中医科", "口腔科")
NO_WARD = ("麻醉科", "口腔科", "皮肤科")
APPLICABLE = {
    "EMR": CLINICAL,
    "HIS": DEPARTMENTS,
    "PACS": (*CLINICAL, "放射科"),
    "LIS": (*CLINICAL, "检验科", "病理科"),
    "HRP": DEPARTMENTS,
    "移动护理": tuple(d for d in CLINICAL if d not in NO_WARD),
}
STAFF_SHARE = {"EMR": 0.9, "HIS": 1.0, "PACS": 0.45, "LIS": 0.7, "HRP": 0.3, "移动护理": 0.55}

PHASES = ("需求调研", "系统设计", "开发与配置", "接口与数据迁移", "测试", "培训", "上线切换", "运维支持")
CATEGORIES = ("硬件", "软件许可", "实施服务", "接口开发", "数据迁移", "培训", "运维", "不可预见费")
MONTHS = tuple(date(2025 + (5 + i) // 12, (5 + i) % 12 + 1, 1) for i in range(19))  # 2025-06 .. 2026-12

PEOPLE = (
    "信息科-张伟", "信息科-王芳", "信息科-李强", "信息科-周敏", "医务处-刘洋", "护理部-陈静", "财务处-赵敏",
    "门诊部-孙丽", "质控科-吴刚", "设备科-郑涛", "检验科-何平", "放射科-马骏",
)  # fmt: skip
VENDOR_TEAM = {
    EMR: "厂商-卫宁健康",
    HIS: "厂商-东软",
    PACS: "厂商-联影智能",
    LIS: "厂商-迈瑞",
    HRP: "厂商-用友",
    ZHBF: "厂商-创业慧康",
}
LEAD = {
    EMR: "信息科-张伟",
    HIS: "信息科-王芳",
    PACS: "信息科-李强",
    LIS: "信息科-周敏",
    HRP: "财务处-赵敏",
    ZHBF: "护理部-陈静",
}


# ------------------------------------------------------------------ working-day calendar (Mon-Fri)
def on_or_after_wd(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def add_wd(d: date, n: int) -> date:
    d = on_or_after_wd(d)
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def next_wd(d: date) -> date:
    return add_wd(d, 1)


def sub_wd(d: date, n: int) -> date:
    while n > 0:
        d -= timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def wd_count(a: date, b: date) -> int:
    """Working days in [a, b]."""
    n, d = 0, a
    while d <= b:
        n += d.weekday() < 5
        d += timedelta(days=1)
    return n


def mondays(first: date, last: date) -> list[date]:
    out, d = [], first
    while d <= last:
        out.append(d)
        d += timedelta(weeks=1)
    return out


WEEKS = mondays(PROGRAMME_START, STATUS_DATE)


# ------------------------------------------------------------------ plans
@dataclass
class Task:
    key: str
    name: str
    phase: str
    dur: int
    preds: tuple[str, ...]
    owner: str
    milestone: bool = False
    gate: bool = False
    snet: date | None = None  # start-no-earlier-than constraint
    tid: int = 0
    wbs: str = ""
    bstart: date = PROGRAMME_START
    bfinish: date = PROGRAMME_START


@dataclass
class Wave:
    system: str
    label: str  # milestone name
    go_live: date
    depts: tuple[str, ...]


@dataclass
class ProjectPlan:
    name: str
    tasks: list[Task] = field(default_factory=list)
    waves: list[tuple[Wave, str]] = field(default_factory=list)  # wave and its milestone task key


def _front(
    p: str,
    start: date,
    sysname: str,
    req: list[str],
    design: list[str],
    build: list[str],
    iface: list[str],
    mig: list[str],
) -> list[Task]:
    """The common front half of a plan: kick-off, requirements, design, build, interfaces, testing."""
    lead, vendor = LEAD[p], VENDOR_TEAM[p]
    t = [Task("kick", f"{sysname} 项目启动会", "需求调研", 0, (), lead, milestone=True, snet=start)]
    for i, n in enumerate(req):
        t.append(Task(f"req{i}", n, "需求调研", 10 + 3 * (i % 3), ("kick",), f"{vendor},{PEOPLE[(i + 4) % 9]}"))
    t.append(
        Task(
            "reqok",
            f"{sysname} 需求规格确认",
            "需求调研",
            0,
            tuple(f"req{i}" for i in range(len(req))),
            lead,
            milestone=True,
            gate=True,
        )
    )
    for i, n in enumerate(design):
        t.append(Task(f"des{i}", n, "系统设计", 8 + 2 * i, ("reqok",), vendor if i % 2 == 0 else f"{vendor},{lead}"))
    t.append(
        Task(
            "desok",
            f"{sysname} 设计评审",
            "系统设计",
            0,
            tuple(f"des{i}" for i in range(len(design))),
            lead,
            milestone=True,
            gate=True,
        )
    )
    for i, n in enumerate(build):
        t.append(Task(f"bld{i}", n, "开发与配置", 12 + 3 * (i % 3), ("desok",), vendor))
    for i, n in enumerate(iface):
        t.append(Task(f"ifc{i}", n, "接口与数据迁移", 10 + 2 * (i % 3), ("desok",), f"{vendor},信息科-李强"))
    mig_prev = "desok"
    for i, n in enumerate(mig):
        t.append(Task(f"mig{i}", n, "接口与数据迁移", 8 + 2 * i, (mig_prev,), f"{vendor},信息科-周敏"))
        mig_prev = f"mig{i}"
    builds = tuple(f"bld{i}" for i in range(len(build))) + tuple(f"ifc{i}" for i in range(len(iface)))
    t.append(Task("sit", f"{sysname} 系统集成测试(SIT)", "测试", 12, builds, f"{vendor},信息科-李强"))
    t.append(Task("perf", f"{sysname} 性能与安全测试", "测试", 6, ("sit",), "信息科-李强"))
    t.append(Task("uat", f"{sysname} 用户验收测试(UAT)", "测试", 10, ("sit", mig_prev), f"{lead},医务处-刘洋"))
    t.append(Task("uatok", f"{sysname} UAT验收", "测试", 0, ("uat", "perf"), lead, milestone=True, gate=True))
    t.append(Task("trainer", f"{sysname} 种子用户(超级用户)培训", "培训", 8, ("uatok",), f"{vendor},护理部-陈静"))
    return t


def _waves(p: str, waves: list[Wave], first_pred: str) -> tuple[list[Task], list[tuple[Wave, str]]]:
    lead, vendor = LEAD[p], VENDOR_TEAM[p]
    out: list[Task] = []
    keys: list[tuple[Wave, str]] = []
    prev = first_pred
    for w, wave in enumerate(waves):
        tag = wave.label.split(" ", 1)[1].replace("上线", "")
        tag = re.sub(r"（.*?）", "", tag) or "全院"
        out.append(
            Task(
                f"w{w}tr",
                f"{wave.system} {tag}医护人员培训",
                "培训",
                10,
                (prev,),
                f"{vendor},护理部-陈静",
                snet=sub_wd(wave.go_live, 16),
            )
        )
        out.append(
            Task(
                f"w{w}dr",
                f"{wave.system} {tag}切换演练",
                "上线切换",
                3,
                (f"w{w}tr",),
                f"{lead},{vendor}",
                snet=sub_wd(wave.go_live, 5),
            )
        )
        out.append(
            Task(
                f"w{w}gt",
                f"{wave.system} {tag}上线评审",
                "上线切换",
                0,
                (f"w{w}dr",),
                "医务处-刘洋",
                milestone=True,
                gate=True,
                snet=sub_wd(wave.go_live, 1),
            )
        )
        out.append(Task(f"w{w}go", wave.label, "上线切换", 0, (f"w{w}gt",), lead, milestone=True, snet=wave.go_live))
        out.append(
            Task(f"w{w}hc", f"{wave.system} {tag}上线保障(驻场)", "上线切换", 10, (f"w{w}go",), f"{vendor},信息科-张伟")
        )
        keys.append((wave, f"w{w}go"))
        prev = f"w{w}go"
    return out, keys


def _tail(p: str, items: list[tuple[str, str, int, tuple[str, ...], date | None]]) -> list[Task]:
    lead, vendor = LEAD[p], VENDOR_TEAM[p]
    out = []
    for i, (name, phase, dur, preds, snet) in enumerate(items):
        ms = dur == 0
        gate = "验收" in name or "评审" in name
        out.append(
            Task(
                f"t{i}",
                name,
                phase,
                dur,
                preds,
                lead if ms else f"{vendor},{PEOPLE[i % 8]}",
                milestone=ms,
                gate=gate and ms,
                snet=snet,
            )
        )
    return out


def _dl(*depts: str) -> str:
    return "、".join(depts)


EMR_W1 = ("心内科", "呼吸内科", "消化内科", "神经内科", "内分泌科", "肾内科", "感染科", "重症医学科")
EMR_W2 = ("普外科", "骨科", "泌尿外科", "神经外科", "心胸外科", "麻醉科", "妇科", "产科")
EMR_W3 = tuple(d for d in CLINICAL if d not in ("急诊科", *EMR_W1, *EMR_W2))


def plan_specs() -> list[ProjectPlan]:
    plans = []
    # EMR: pilot in 急诊科, then three waves
    t = _front(
        EMR, date(2025, 6, 2), "EMR",
        ["门急诊病历需求调研", "住院病历需求调研", "护理文书需求调研", "病历质控需求调研", "电子病历评级差距分析"],
        ["病历模板体系设计", "结构化病历数据元设计", "临床决策支持规则设计"],
        ["门急诊病历模板配置", "住院病历模板配置", "护理文书配置", "病历质控规则配置", "CDSS知识库配置", "电子签名(CA)集成"],
        ["EMR与HIS医嘱接口", "EMR与LIS/PACS报告调阅接口", "EMR与集成平台对接"],
        ["旧病历系统数据清洗", "历史病历迁移"],
    )  # fmt: skip
    waves = [
        Wave("EMR", "EMR 急诊科试点上线", date(2025, 12, 1), ("急诊科",)),
        Wave("EMR", f"EMR 一期上线（{_dl(*EMR_W1)}）", date(2026, 3, 2), EMR_W1),
        Wave("EMR", f"EMR 二期上线（{_dl(*EMR_W2)}）", date(2026, 5, 11), EMR_W2),
        Wave("EMR", "EMR 全院上线", date(2026, 7, 6), EMR_W3),
    ]
    wt, keys = _waves(EMR, waves, "trainer")
    tail = _tail(EMR, [
        ("电子病历五级评审材料准备", "运维支持", 25, ("w3go",), date(2026, 9, 14)),
        ("电子病历五级评审模拟检查", "运维支持", 10, ("t0",), None),
        ("EMR 五级评审", "运维支持", 0, ("t1",), date(2026, 12, 7)),
        ("EMR 运维移交", "运维支持", 5, ("w3hc",), date(2026, 11, 30)),
        ("EMR 项目终验", "运维支持", 0, ("t2", "t3"), date(2026, 12, 21)),
    ])  # fmt: skip
    plans.append(ProjectPlan(EMR, t + wt + tail, keys))

    # HIS: big-bang switch-over (baseline 2026-04-13, actual 2026-05-18), then phase-2 work that keeps slipping
    t = _front(
        HIS, date(2025, 6, 16), "HIS",
        ["门诊挂号收费流程调研", "住院登记结算流程调研", "药房药库流程调研", "医保结算需求调研", "物价与收费项目梳理", "门诊医生站需求调研"],
        ["HIS总体架构设计", "收费项目与物价字典设计", "医保结算方案设计", "数据迁移方案设计"],
        ["门诊挂号收费配置", "住院管理配置", "药房药库配置", "医嘱与护士站配置", "预约挂号与分诊配置", "物价收费字典配置", "住院医生站配置", "自助机与移动支付配置"],
        ["HIS与医保平台接口", "HIS与EMR接口", "HIS与LIS/PACS申请单接口", "HIS与HRP财务接口", "HIS与手麻/重症系统接口"],
        ["基础字典迁移", "患者主索引迁移", "在院患者数据迁移"],
    )  # fmt: skip
    for x in t:  # HIS was planned to start building later than the others
        if x.key.startswith("bld"):
            x.snet = date(2025, 11, 3)
    waves = [Wave("HIS", "HIS 全院上线（新旧系统切换）", date(2026, 4, 13), DEPARTMENTS)]
    wt, keys = _waves(HIS, waves, "trainer")
    tail = _tail(HIS, [
        ("HIS 切换后问题清零", "运维支持", 20, ("w0hc",), None),
        ("医保DRG/DIP分组接口改造", "接口与数据迁移", 20, ("w0hc",), date(2026, 9, 21)),
        ("历史结算数据迁移(二期)", "接口与数据迁移", 15, ("w0hc",), date(2026, 9, 28)),
        ("历史数据迁移校验", "测试", 10, ("t2",), None),
        ("医保DRG接口联调测试", "测试", 10, ("t1",), None),
        ("HIS 旧系统并行运行结束", "上线切换", 0, ("t3", "t4"), None),
        ("旧HIS数据归档", "运维支持", 8, ("t5",), None),
        ("HIS 旧系统下线", "上线切换", 0, ("t6",), None),
        ("HIS 运维移交", "运维支持", 5, ("t7",), None),
        ("HIS 项目终验", "运维支持", 0, ("t8", "t10"), date(2026, 12, 21)),
        ("HIS 切换后患者满意度回访", "运维支持", 15, ("t0",), date(2026, 10, 26)),
    ])  # fmt: skip
    plans.append(ProjectPlan(HIS, t + wt + tail, keys))

    # PACS
    t = _front(
        PACS, date(2025, 7, 14), "PACS",
        ["放射科影像流程调研", "超声内镜影像流程调研", "临床影像调阅需求调研", "影像存储容量评估", "病理影像需求调研"],
        ["PACS架构与存储设计", "影像归档策略设计", "RIS工作流设计", "影像质控方案设计"],
        ["RIS登记与报告配置", "影像设备DICOM接入", "影像存储部署", "三维后处理配置", "AI辅助诊断部署", "超声内镜工作站配置"],
        ["PACS与HIS申请单接口", "PACS与EMR调阅接口", "PACS与集成平台对接", "PACS与病理系统接口"],
        ["历史影像迁移", "历史报告迁移"],
    )  # fmt: skip
    waves = [
        Wave("PACS", "PACS 放射科上线", date(2026, 4, 13), ("放射科",)),
        Wave("PACS", "PACS 全院上线", date(2026, 6, 15), CLINICAL),
    ]
    wt, keys = _waves(PACS, waves, "trainer")
    tail = _tail(PACS, [
        ("区域影像云平台部署", "开发与配置", 20, ("w1hc",), date(2026, 10, 12)),
        ("区域影像云联调测试", "测试", 10, ("t0",), None),
        ("PACS 区域影像云平台上线", "上线切换", 0, ("t1",), date(2026, 11, 30)),
        ("胶片减量与云胶片推广", "运维支持", 15, ("t2",), None),
        ("PACS 运维移交", "运维支持", 5, ("t2",), None),
        ("PACS 项目终验", "运维支持", 0, ("t3", "t4", "t8", "t9"), date(2026, 12, 28)),
        ("放射科报告模板标准化", "运维支持", 20, ("w1hc",), date(2026, 9, 14)),
        ("PACS 等保三级测评", "测试", 10, ("w1hc",), date(2026, 10, 19)),
        ("PACS 等保整改", "运维支持", 10, ("t7",), None),
        ("PACS 等保测评复核", "测试", 0, ("t8",), None),
        ("影像质控平台上线", "上线切换", 0, ("t6",), None),
    ])  # fmt: skip
    plans.append(ProjectPlan(PACS, t + wt + tail, keys))

    # LIS
    t = _front(
        LIS, date(2025, 7, 7), "LIS",
        ["检验科业务流程调研", "仪器清单与接口调研", "微生物流程调研", "临床检验申请调研", "病理科流程调研"],
        ["LIS总体设计", "条码与标本流转设计", "危急值闭环设计"],
        ["检验项目字典配置", "仪器接口开发", "质控模块配置", "微生物模块配置", "危急值闭环配置", "标本物流与条码配置", "POCT设备接入"],
        ["LIS与HIS申请单接口", "LIS与EMR报告接口", "LIS与护理系统标本采集接口", "LIS与体检系统接口"],
        ["历史检验结果迁移"],
    )  # fmt: skip
    waves = [
        Wave("LIS", "LIS 检验科上线", date(2026, 3, 16), ("检验科",)),
        Wave("LIS", "LIS 全院上线", date(2026, 4, 20), (*CLINICAL, "病理科")),
    ]
    wt, keys = _waves(LIS, waves, "trainer")
    tail = _tail(LIS, [
        ("检验结果互认平台对接", "接口与数据迁移", 20, ("w1hc",), date(2026, 9, 7)),
        ("检验结果互认联调", "测试", 12, ("t0",), None),
        ("自助打印机部署", "开发与配置", 10, ("w1hc",), date(2026, 10, 19)),
        ("LIS 互认平台上线", "上线切换", 0, ("t1", "t2"), None),
        ("实验室ISO15189文档整理", "运维支持", 15, ("w1hc",), date(2026, 11, 2)),
        ("LIS 运维移交", "运维支持", 5, ("t3",), None),
        ("LIS 项目终验", "运维支持", 0, ("t4", "t5", "t9"), date(2026, 12, 21)),
        ("输血管理模块配置", "开发与配置", 15, ("w1hc",), date(2026, 8, 3)),
        ("输血管理模块测试", "测试", 8, ("t7",), None),
        ("LIS 输血管理上线评审", "上线切换", 0, ("t8",), None),
    ])  # fmt: skip
    plans.append(ProjectPlan(LIS, t + wt + tail, keys))

    # HRP
    t = _front(
        HRP, date(2025, 9, 1), "HRP",
        ["财务核算需求调研", "物资管理需求调研", "固定资产需求调研", "人力资源需求调研", "成本核算需求调研", "预算管理需求调研"],
        ["HRP总体设计", "会计科目与核算体系设计", "成本分摊模型设计", "物资编码体系设计"],
        ["总账与报表配置", "物资与供应链配置", "固定资产配置", "人力薪酬配置", "预算管理配置", "成本核算配置", "绩效核算配置", "合同管理配置"],
        ["HRP与HIS收入接口", "HRP与银行直连接口", "HRP与OA审批接口", "HRP与SPD物资平台接口"],
        ["期初余额迁移", "资产卡片迁移", "物资库存迁移"],
    )  # fmt: skip
    waves = [
        Wave("HRP", "HRP 物资模块试点上线（药剂科、检验科、放射科）", date(2026, 6, 1), ("药剂科", "检验科", "放射科")),
        Wave("HRP", "HRP 全院上线", date(2026, 8, 3), DEPARTMENTS),
    ]
    wt, keys = _waves(HRP, waves, "trainer")
    tail = _tail(HRP, [
        ("月结与报表核对(首三个月)", "运维支持", 45, ("w1hc",), None),
        ("科室成本核算试运行", "运维支持", 20, ("w1hc",), date(2026, 10, 12)),
        ("全面预算编制上线", "上线切换", 0, ("t1",), date(2026, 11, 16)),
        ("HRP 运维移交", "运维支持", 5, ("t0",), None),
        ("HRP 项目终验", "运维支持", 0, ("t2", "t3", "t5"), date(2026, 12, 21)),
        ("2027年度预算编制", "运维支持", 15, ("t2",), None),
    ])  # fmt: skip
    plans.append(ProjectPlan(HRP, t + wt + tail, keys))

    # 智慧病房与互联网医院
    t = _front(
        ZHBF, date(2025, 10, 8), "移动护理",
        ["移动护理需求调研", "智慧病房设备调研", "互联网医院业务调研", "无线网络现状评估", "护理质量指标调研"],
        ["移动护理与PDA方案设计", "床旁交互系统设计", "互联网医院平台设计", "输液监测方案设计"],
        ["病区无线网络改造", "移动护理PDA配置", "护理评估单配置", "床旁交互终端部署", "互联网医院平台搭建", "智能输液监测部署", "护理质量看板配置"],
        ["移动护理与HIS医嘱接口", "移动护理与EMR护理文书接口", "互联网医院与医保移动支付接口", "床旁终端与HIS接口"],
        ["护理基础数据迁移"],
    )  # fmt: skip
    waves = [
        Wave("移动护理", "移动护理 试点上线（心内科、呼吸内科）", date(2026, 6, 1), ("心内科", "呼吸内科")),
        Wave("移动护理", "移动护理 全院上线", date(2026, 9, 7), APPLICABLE["移动护理"]),
    ]
    wt, keys = _waves(ZHBF, waves, "trainer")
    tail = _tail(ZHBF, [
        ("互联网医院上线", "上线切换", 0, ("bld4", "ifc2", "t7"), date(2026, 10, 12)),
        ("处方流转与药品配送开发", "开发与配置", 20, ("t0",), None),
        ("处方流转联调测试", "测试", 10, ("t1",), None),
        ("互联网医院二期(处方流转)上线", "上线切换", 0, ("t2",), date(2026, 12, 14)),
        ("智慧病房运维移交", "运维支持", 5, ("w1hc",), date(2026, 11, 30)),
        ("智慧病房项目终验", "运维支持", 0, ("t3", "t4"), date(2026, 12, 28)),
        ("互联网医院等保测评", "测试", 10, ("bld4",), date(2026, 9, 7)),
        ("互联网医院执业许可备案", "运维支持", 15, ("t6",), None),
    ])  # fmt: skip
    plans.append(ProjectPlan(ZHBF, t + wt + tail, keys))

    for plan in plans:
        # MS Project numbers tasks in outline order; ours must also list predecessors before successors
        ordered: list[Task] = []
        placed: set[str] = set()
        pending = list(plan.tasks)
        while pending:
            nxt = next(t for t in pending if all(p in placed for p in t.preds))
            pending.remove(nxt)
            ordered.append(nxt)
            placed.add(nxt.key)
        plan.tasks = ordered
        for i, task in enumerate(plan.tasks, start=1):
            task.tid = i
        counters = dict.fromkeys(PHASES, 0)
        for task in plan.tasks:
            counters[task.phase] += 1
            task.wbs = f"{PHASES.index(task.phase) + 1}.{counters[task.phase]}"
    return plans


@dataclass
class Sched:
    start: date
    finish: date
    pct: int


def _forward(
    plan: ProjectPlan, slip: dict[str, int], prev: dict[str, Sched] | None, prev_asof: date | None
) -> dict[str, Sched]:
    by_key = {t.key: t for t in plan.tasks}
    out: dict[str, Sched] = {}
    for t in plan.tasks:
        p = prev.get(t.key) if prev else None
        if p is not None and prev_asof is not None and p.start < prev_asof:
            # started (or done) by the previous status date: the start is history now
            fin = p.finish if p.finish < prev_asof else max(p.finish, add_wd(t.bfinish, slip.get(t.key, 0)))
            out[t.key] = Sched(p.start, fin, 0)
            continue
        es = t.snet or PROGRAMME_START
        for pk in t.preds:
            pf = out[pk].finish
            es = max(es, pf if by_key[pk].dur == 0 else next_wd(pf))
        if prev is None and not slip:
            start = on_or_after_wd(es)
        else:
            start = max(on_or_after_wd(es), add_wd(t.bstart, slip.get(t.key, 0)))
        finish = start if t.dur == 0 else add_wd(start, t.dur - 1)
        out[t.key] = Sched(start, finish, 0)
    return out


def _slips(plan: ProjectPlan, k: int, rng: random.Random, noise: dict[str, int]) -> dict[str, int]:
    s: dict[str, int] = {}
    for t in plan.tasks:
        n = noise.get(t.key, 0)
        if plan.name == HIS:
            if date(2026, 1, 5) <= t.bstart <= date(2026, 7, 31):
                n += 25  # the switch-over moved from 2026-04-13 to 2026-05-18
            if t.bstart >= SNAPSHOTS[0]:
                n += 2 * k  # phase-2 work keeps slipping: 12 working days over the seven weeks
        if plan.name == PACS and t.name == "PACS 区域影像云平台上线" and k == 6:
            n += 5
        if plan.name == ZHBF and t.key == "t3" and k >= 4:
            n += 3
        s[t.key] = n
    return s


def schedule_plans(plans: list[ProjectPlan], rng: random.Random) -> dict[str, list[dict[str, Sched]]]:
    """Baselines (stored on the tasks) and the seven weekly snapshots of every plan."""
    result: dict[str, list[dict[str, Sched]]] = {}
    for plan in plans:
        base = _forward(plan, {}, None, None)
        for t in plan.tasks:
            t.bstart, t.bfinish = base[t.key].start, base[t.key].finish
        noise = {}
        for t in plan.tasks:  # small historical slips on build and test tasks outside HIS
            if plan.name != HIS and t.phase in ("开发与配置", "接口与数据迁移") and t.dur > 0 and rng.random() < 0.35:
                noise[t.key] = rng.randint(1, 4)
        snaps: list[dict[str, Sched]] = []
        prev: dict[str, Sched] | None = None
        for k in range(len(SNAPSHOTS)):
            cur = _forward(plan, _slips(plan, k, rng, noise), prev, SNAPSHOTS[k - 1] if k else None)
            snaps.append(cur)
            prev = cur
        result[plan.name] = snaps
    _progress(plans, result)
    return result


def _pct(t: Task, s: Sched, asof: date) -> int:
    if s.finish < asof:
        return 100
    if s.start >= asof or t.dur == 0:
        return 0
    total = wd_count(s.start, s.finish)
    done = wd_count(s.start, asof - timedelta(days=1))
    return max(5, min(95, int(round(100 * done / total / 5)) * 5))


def _progress(plans: list[ProjectPlan], result: dict[str, list[dict[str, Sched]]]) -> None:
    late_quota = {HIS: 2, LIS: 1, ZHBF: 1, EMR: 1}
    for plan in plans:
        snaps = result[plan.name]
        last = snaps[-1]
        late = [
            t.key
            for t in plan.tasks
            if t.dur > 0
            and date(2026, 10, 14) <= last[t.key].finish <= date(2026, 11, 18)
            and last[t.key].start < SNAPSHOTS[0]
        ][: late_quota.get(plan.name, 0)]
        prev_pct: dict[str, int] = {}
        for k, asof in enumerate(SNAPSHOTS):
            for t in plan.tasks:  # predecessors come first
                p = _pct(t, snaps[k][t.key], asof)
                if t.key in late:
                    p = min(p, 60 + 5 * k)  # the owner has not re-planned: finish passed, work not done
                if any(snaps[k][q].pct < 100 for q in t.preds):
                    p = 0  # finish-to-start: nothing starts before its predecessors are done
                p = max(p, prev_pct.get(t.key, 0))
                snaps[k][t.key].pct = p
                prev_pct[t.key] = p


def go_live_dates(plans: list[ProjectPlan], result: dict[str, list[dict[str, Sched]]]) -> dict[str, dict[str, date]]:
    """Per system and department, the earliest go-live milestone (latest snapshot) that covers it."""
    out: dict[str, dict[str, date]] = {s: {} for s in SYSTEMS}
    for plan in plans:
        last = result[plan.name][-1]
        for wave, key in sorted(plan.waves, key=lambda wk: last[wk[1]].finish):
            for d in wave.depts:
                if d in APPLICABLE[wave.system]:
                    out[wave.system].setdefault(d, last[key].finish)
    for s in SYSTEMS:
        assert set(out[s]) == set(APPLICABLE[s]), s
    return out


def _sibling(name: str) -> ModuleType:
    """A generator module beside this file (gen_<area>.py), however this file was loaded."""
    spec = importlib.util.spec_from_file_location(f"demo_{name}", Path(__file__).resolve().with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _write_xlsx(wb: Workbook, path: Path) -> None:
    """Save with fixed timestamps so two runs give the same bytes."""
    stamp = datetime(*FIXED_STAMP)
    wb.properties.creator = "HIT Cockpit demo generator"
    wb.properties.created = stamp
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{iso}\g<2>", text)
                data = text.encode("utf-8")
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP), data, zipfile.ZIP_DEFLATED)


PLAN_HEADER = (
    "标识号", "大纲数字", "任务名称", "阶段", "工期", "开始时间", "完成时间", "比较基准开始时间", "比较基准完成时间",
    "完成百分比", "前置任务", "资源名称", "里程碑", "质量关口",
)  # fmt: skip
MSP_DATE = 'yyyy"年"m"月"d"日"'


def write_plans(
    out: Path, plans: list[ProjectPlan], result: dict[str, list[dict[str, Sched]]]
) -> list[dict[str, object]]:
    manifest = []
    for k, asof in enumerate(SNAPSHOTS):
        for plan in plans:
            wb = Workbook()
            ws = wb.active
            ws.title = "任务表"
            ws.append(PLAN_HEADER)
            by_key = {t.key: t for t in plan.tasks}
            for t in plan.tasks:
                s = result[plan.name][k][t.key]
                dur = 0 if t.dur == 0 else wd_count(s.start, s.finish)
                row = [
                    t.tid,
                    t.wbs,
                    t.name,
                    t.phase,
                    f"{dur} 个工作日",
                    datetime.combine(s.start, datetime.min.time()).replace(hour=8),
                    datetime.combine(s.finish, datetime.min.time()).replace(hour=8 if t.dur == 0 else 17),
                    datetime.combine(t.bstart, datetime.min.time()).replace(hour=8),
                    datetime.combine(t.bfinish, datetime.min.time()).replace(hour=8 if t.dur == 0 else 17),
                    f"{s.pct}%",
                    ",".join(str(by_key[p].tid) for p in t.preds),
                    t.owner,
                    "是" if t.milestone else "否",
                    "是" if t.gate else "否",
                ]
                ws.append(row)
            for r in ws.iter_rows(min_row=2):
                for c in r[5:9]:
                    c.number_format = MSP_DATE
            for col, width in zip("ABCDEFGHIJKLMN", (7, 8, 44, 14, 11, 16, 16, 18, 18, 10, 12, 26, 7, 9), strict=True):
                ws.column_dimensions[col].width = width
            ws.freeze_panes = "C2"
            rel = f"plans/{plan.name}_计划_{asof.isoformat()}.xlsx"
            _write_xlsx(wb, out / rel)
            manifest.append({"file": rel, "dataset": "tasks", "project": plan.name, "as_of": asof.isoformat()})
    return manifest


# ------------------------------------------------------------------ budget and cost ledger
BUDGET_TOTAL = {EMR: 2800, HIS: 3500, PACS: 1600, LIS: 1100, HRP: 1500, ZHBF: 1500}  # 万元
SHARES = {
    EMR: (0.12, 0.26, 0.28, 0.10, 0.06, 0.06, 0.07, 0.05),
    HIS: (0.22, 0.25, 0.22, 0.10, 0.07, 0.04, 0.05, 0.05),
    PACS: (0.38, 0.22, 0.15, 0.06, 0.07, 0.03, 0.05, 0.04),
    LIS: (0.25, 0.25, 0.20, 0.12, 0.05, 0.04, 0.05, 0.04),
    HRP: (0.08, 0.32, 0.30, 0.10, 0.06, 0.05, 0.05, 0.04),
    ZHBF: (0.35, 0.20, 0.20, 0.08, 0.03, 0.05, 0.05, 0.04),
}
# start month, first go-live month, last go-live month (indices into MONTHS)
PHASING = {EMR: (0, 6, 13), HIS: (0, 11, 11), PACS: (1, 10, 12), LIS: (1, 9, 10), HRP: (3, 12, 14), ZHBF: (4, 12, 15)}
VENDORS = {
    EMR: ("华为", "卫宁健康", "卫宁健康", "东软", "卫宁健康", "卫宁健康", "卫宁健康", "中国电信"),
    HIS: ("华为", "东软", "东软", "东软", "创业慧康", "东软", "东软", "中国电信"),
    PACS: ("浪潮", "联影智能", "联影智能", "卫宁健康", "联影智能", "联影智能", "联影智能", "华为"),
    LIS: ("浪潮", "迈瑞", "迈瑞", "东软", "迈瑞", "迈瑞", "迈瑞", "中国电信"),
    HRP: ("浪潮", "用友", "用友", "金蝶", "用友", "用友", "用友", "华为"),
    ZHBF: ("迈瑞", "创业慧康", "创业慧康", "卫宁健康", "创业慧康", "创业慧康", "华为", "中国电信"),
}
SECOND_VENDOR = {"硬件": "华为", "实施服务": "东华医为"}


def _weights(cat: str, p: str) -> list[float]:
    s, g1, g2 = PHASING[p]
    w = [0.0] * len(MONTHS)
    last = len(MONTHS) - 1
    for m in range(len(MONTHS)):
        if cat == "硬件" and s <= m <= g1:
            w[m] = 1.0 + (g1 - m) * 0.3
        elif cat == "软件许可":
            w[m] = {s + 1: 4.0, g1: 4.0, last: 2.0}.get(m, 0.0)
        elif cat == "实施服务" and m >= s:
            w[m] = 1.0 + (0.6 if g1 - 2 <= m <= g2 + 1 else 0.0)
        elif cat == "接口开发" and s + 2 <= m <= g1:
            w[m] = 1.0
        elif cat == "数据迁移" and g1 - 3 <= m <= g2 + 1:
            w[m] = 1.0
        elif cat == "培训" and g1 - 2 <= m <= g2:
            w[m] = 1.0
        elif cat == "运维" and m > g1:
            w[m] = 1.0
        elif cat == "不可预见费" and m >= s:
            w[m] = 1.0
    return w


def budget_cents() -> dict[tuple[str, str, int], int]:
    """Monthly budget in 分 (0.01 元 of 万元 is 100 元), exact per project and category."""
    out: dict[tuple[str, str, int], int] = {}
    for p in PROJECTS:
        for ci, cat in enumerate(CATEGORIES):
            total = round(BUDGET_TOTAL[p] * SHARES[p][ci] * 100)  # in 0.01 万元
            w = _weights(cat, p)
            sw = sum(w)
            parts = [int(total * x / sw) for x in w]
            parts[max(range(len(w)), key=lambda i: (w[i], -i))] += total - sum(parts)
            for m, v in enumerate(parts):
                if v:
                    out[(p, cat, m)] = v
    return out


def write_budget(out: Path, budget: dict[tuple[str, str, int], int]) -> list[dict[str, object]]:
    wb = Workbook()
    ws = wb.active
    ws.title = "Budget"
    ws.append(["Programme budget FY2025-2026 (unit: 10k CNY)"])
    ws.append([])
    ws.append(["Project", "Category", "Month", "Budget (万元)"])
    total = 0
    for p in PROJECTS:
        for cat in CATEGORIES:
            for m in range(len(MONTHS)):
                v = budget.get((p, cat, m))
                if v:
                    ws.append([p, cat, MONTHS[m].strftime("%Y-%m"), v / 100])
                    ws.cell(ws.max_row, 4).number_format = "#,##0.00"
                    total += v
    ws.append(["合计", None, None, total / 100])
    ws.cell(ws.max_row, 4).number_format = "#,##0.00"
    for col, width in zip("ABCD", (24, 12, 10, 16), strict=True):
        ws.column_dimensions[col].width = width
    rel = "finance/预算_2025-2026.xlsx"
    _write_xlsx(wb, out / rel)
    return [{"file": rel, "dataset": "budget", "project": None, "as_of": None}]


def _month_day(rng: random.Random, m: int) -> date:
    d = MONTHS[m].replace(day=rng.randint(3, 28))
    return min(d, LEDGER_CUTOFF)


def _yuan(cents: int) -> str:
    return f"{cents / 100:,.2f}"


DESC = {
    "硬件": "服务器、存储及网络设备",
    "软件许可": "软件许可费",
    "实施服务": "实施服务费(人天结算)",
    "接口开发": "接口开发费",
    "数据迁移": "数据迁移服务费",
    "培训": "培训服务费",
    "运维": "运维服务费",
    "不可预见费": "零星采购及专家评审费",
}


def ledger_rows(rng: random.Random, budget: dict[tuple[str, str, int], int]) -> list[list[str]]:
    """Contracts committed first, invoices in the months the work happens, payments 3-8 weeks after invoice."""
    events: list[tuple[date, str, str, str, str, int, str, str]] = []
    contract_no = 0
    for p in PROJECTS:
        code = PROJECT_CODE[p]
        for ci, cat in enumerate(CATEGORIES):
            vendors = [VENDORS[p][ci]]
            if cat in SECOND_VENDOR and SECOND_VENDOR[cat] != vendors[0] and p in (HIS, EMR, PACS):
                vendors.append(SECOND_VENDOR[cat])
            refs = []
            for v in vendors:
                contract_no += 1
                refs.append((f"HT-{code}-{contract_no:03d}", v))
            # invoices (in 元 cents) per month, including the December ones no-one has seen yet
            invoices: list[tuple[int, int, str, str]] = []  # month, cents, ref, vendor
            for m in range(len(MONTHS)):
                b = budget.get((p, cat, m), 0) * 10000  # 0.01 万元 -> 分
                if not b:
                    continue
                if p == HIS:
                    factor = 1.0 if MONTHS[m] < date(2026, 2, 1) else 1.25  # the overrun
                    factor *= rng.uniform(0.97, 1.06)
                    mm = m
                else:
                    factor = rng.uniform(0.82, 1.0)
                    mm = min(m + (1 if rng.random() < 0.4 else 0), len(MONTHS) - 1)
                amount = int(b * factor)
                n = rng.randint(3, 6) if cat in ("实施服务", "运维", "硬件") else rng.randint(1, 3)
                cuts = sorted(rng.uniform(0.15, 0.85) for _ in range(n - 1))
                bounds = [0, *(int(amount * c) for c in cuts), amount]
                for i in range(n):
                    ref, vendor = refs[i % len(refs)]
                    piece = (bounds[i + 1] - bounds[i]) // 100 * 100  # whole 元 on most invoices
                    if piece > 0:
                        invoices.append((mm, piece, ref, vendor))
            for ref, vendor in refs:
                mine = [x for x in invoices if x[2] == ref]
                if not mine:
                    continue
                first = min(x[0] for x in mine)
                value = sum(x[1] for x in mine)
                original = value if p != HIS else int(BUDGET_TOTAL[p] * SHARES[p][ci] * 1e6 / len(refs))
                original = min(original, value) // 1000000 * 1000000 + 1000000  # contracts round to 万元
                sign = max(PROGRAMME_START, MONTHS[first] - timedelta(days=rng.randint(10, 40)))
                events.append((sign, p, cat, vendor, "已签合同", original, ref, f"签订合同：{p}{DESC[cat]}"))
                if value > original:
                    sup = date(2026, 3, 1) + timedelta(days=rng.randint(0, 40))
                    extra = (value - original) // 100000 * 100000 + 500000
                    events.append(
                        (sup, p, cat, vendor, "已签合同", extra, f"{ref}-补1", f"补充协议：{p}{DESC[cat]}(范围扩大)")
                    )
            for mm, piece, ref, vendor in invoices:
                inv = _month_day(rng, mm)
                if MONTHS[mm] > LEDGER_CUTOFF:
                    continue
                label = f"{MONTHS[mm].year}年{MONTHS[mm].month}月{DESC[cat]}"
                events.append((inv, p, cat, vendor, "已开票", piece, ref, f"发票：{label}"))
                pay = inv + timedelta(days=rng.randint(21, 56))
                if pay <= LEDGER_CUTOFF:
                    events.append((pay, p, cat, vendor, "已付款", piece, ref, f"付款：{label}"))
    stage_order = {"已签合同": 0, "已开票": 1, "已付款": 2}
    events.sort(key=lambda e: (e[0], PROJECTS.index(e[1]), CATEGORIES.index(e[2]), e[6], stage_order[e[4]], e[5]))
    rows = [
        [f"{d.year}/{d.month}/{d.day}", p, cat, v, _yuan(c), st, ref, desc] for d, p, cat, v, st, c, ref, desc in events
    ]
    # one hostile description: must stay text in every export
    for r in rows:
        if r[1] == HRP and r[5] == "已开票":
            r[7] = '=HYPERLINK("http://x")'
            break
    return rows


LEDGER_HEADER = ("日期", "项目名称", "费用类别", "供应商", "金额(元)", "付款状态", "合同编号", "摘要")


def write_ledger(out: Path, rows: list[list[str]]) -> list[dict[str, object]]:
    rel = "finance/费用台账_2025-06_2026-11.csv"
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    total = sum(round(float(r[4].replace(",", "")) * 100) for r in rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([f"{HOSPITAL} 信息化项目费用台账"])
    w.writerow(LEDGER_HEADER)
    w.writerows(rows)
    w.writerow(["合计", "", "", "", _yuan(total), "", "", ""])
    path.write_bytes(buf.getvalue().encode("gbk"))
    return [{"file": rel, "dataset": "costs", "project": None, "as_of": None}]


# ------------------------------------------------------------------ risks
LEVEL_WORDS = ("很低", "低", "中", "高", "很高")


@dataclass
class Risk:
    rid: str
    project: str
    title: str
    category: str
    mitigation: str
    contingency: str
    owner: str
    identified: date
    levels: list[tuple[int, int]]  # per snapshot
    closed: date | None = None
    words: bool = False
    stale_review: date | None = None


RISK_POOL = {
    EMR: [
        ("急诊科试点期间病历模板不贴合临床，医生抵触", "业务", "按专科迭代模板，每周收集反馈", "保留纸质病历应急流程"),
        ("中医科、口腔科使用率长期偏低", "业务", "科室主任督导，专科模板定制，使用率纳入绩效", "安排驻科工程师两周"),
        ("电子病历五级评审材料准备不足", "合规", "对照评审标准逐项自查，聘请外部专家预评", "申请推迟评审批次"),
        ("CA电子签名证书批量到期", "技术", "提前30天批量续期，设置到期提醒", "临时启用手写签名扫描"),
        ("结构化病历数据元与国家标准不一致", "技术", "按WS 445标准校核数据元", "评审前集中整改"),
        ("病历质控规则误报率高，增加医生负担", "业务", "质控科复核规则阈值", "暂停高误报规则"),
        ("厂商关键实施顾问离场", "供应商", "合同约定关键人员锁定条款", "要求厂商两周内补充同级人员"),
        ("历史病历迁移后检索性能下降", "技术", "建立全文索引并分区归档", "历史病历只读库单独调阅"),
        ("临床科室培训覆盖率不足", "资源", "分班次培训并设考核", "上线首周驻科支持"),
        ("EMR与HIS医嘱接口偶发丢单", "技术", "接口增加对账与重发机制", "护士站人工核对医嘱"),
    ],
    HIS: [
        (
            "HIS历史数据迁移质量不达标，结算数据对不平",
            "技术",
            "分批迁移并逐日对账，财务处参与校验",
            "保留旧系统只读查询",
        ),
        ("医保DRG/DIP接口改造延期，影响医保结算", "合规", "与医保局每周对接，提前申请测试环境", "人工分组上报"),
        ("HIS项目成本持续超出预算", "成本", "冻结非必要变更，按月滚动预测完工成本", "申请追加预算并报院长办公会"),
        ("旧HIS并行运行时间延长，双系统维护成本增加", "进度", "明确并行结束判定标准", "分科室逐步停用旧系统"),
        ("切换后门诊收费窗口排队加剧", "业务", "增加自助机与移动支付", "临时增开收费窗口"),
        ("东软驻场人员不足，问题清零进度慢", "供应商", "按合同要求增派人员并考核", "引入第三方运维补充"),
        ("物价收费字典错误导致多收少收", "合规", "物价科逐项复核收费字典", "发现后48小时内退补费"),
        ("HIS与HRP财务接口对账差异", "技术", "建立日结对账报表", "月末手工调整凭证"),
        ("旧HIS数据归档存储空间不足", "技术", "扩容归档存储", "压缩冷数据迁移至磁带"),
        ("HIS终验时间可能推迟到2027年", "进度", "压缩二期范围，关键路径每日跟踪", "分期验收"),
        ("HIS切换后系统响应慢", "技术", "数据库索引优化与扩容", "高峰期限流"),
    ],
    PACS: [
        ("影像存储容量增长超预期", "技术", "启用分级存储与压缩", "临时租用云存储"),
        ("区域影像云平台与卫健委平台对接延期", "进度", "提前获取接口规范与测试账号", "先行院内云胶片上线"),
        ("部分老旧设备不支持DICOM标准", "技术", "加装DICOM网关", "保留胶片打印"),
        ("AI辅助诊断结果临床认可度低", "业务", "放射科专家组评估准确率", "仅作为提示不入报告"),
        ("历史影像迁移耗时过长", "进度", "夜间批量迁移并监控吞吐", "历史影像按需调阅"),
        ("联影智能实施团队同时承担多家医院项目", "供应商", "锁定项目经理与核心成员", "延长驻场合同"),
        ("影像调阅带宽不足，临床浏览卡顿", "技术", "核心交换机升级", "限制非工作时间大批量调阅"),
        ("云胶片患者隐私保护不到位", "合规", "访问令牌加有效期控制", "暂停外链分享"),
        ("放射科报告模板标准化推进慢", "业务", "科主任牵头统一模板", "保留个人模板过渡"),
        ("PACS等保三级测评整改项未闭环", "合规", "整改项逐项销号", "申请延期复测"),
    ],
    LIS: [
        ("部分检验仪器接口驱动不稳定", "技术", "厂商驱动升级并压力测试", "手工录入结果应急"),
        ("检验结果互认平台对接延期", "进度", "提前完成院内标准化编码映射", "先上传核心项目"),
        ("危急值闭环超时率偏高", "业务", "危急值推送到移动护理与短信", "电话通知兜底"),
        ("标本条码打印机故障率高", "技术", "备用打印机与耗材储备", "手写标签应急流程"),
        ("微生物模块需求反复变更", "业务", "需求冻结并走变更流程", "分期上线"),
        ("迈瑞仪器与第三方LIS兼容性问题", "供应商", "三方联合测试", "保留中间件"),
        ("ISO15189文档与系统流程不一致", "合规", "文档与系统同步修订", "外审前集中整改"),
        ("检验科人员轮岗影响系统熟练度", "资源", "岗前培训与操作手册", "老员工带教"),
        ("自助打印机部署进度落后", "进度", "分批到货安装", "人工窗口打印"),
    ],
    HRP: [
        ("成本分摊模型科室认可度低", "业务", "财务处与科室逐一沟通分摊参数", "先按收入比例简化分摊"),
        ("期初余额迁移差异", "技术", "三方对账(旧系统/新系统/手工台账)", "调整期初凭证"),
        ("用友实施顾问经验不足", "供应商", "要求更换有医院经验的顾问", "聘请第三方监理"),
        ("银行直连接口安全评估未通过", "合规", "按银行要求整改加密与签名", "暂用网银手工支付"),
        ("物资编码不统一导致库存不准", "业务", "统一物资编码规则", "月末盘点调整"),
        ("HRP与HIS收入接口数据延迟", "技术", "改为准实时推送", "日终批量补传"),
        ("全面预算编制上线时间紧", "进度", "模板预置与分批培训", "2027年预算线下编制"),
        ("财务人员对新系统操作不熟练", "资源", "月结前集中辅导", "厂商驻场协助月结"),
        ("薪酬模块个税计算规则变更", "合规", "及时更新计税规则", "手工调整"),
        ("固定资产卡片与实物不符", "业务", "全面清查盘点", "分批更正"),
    ],
    ZHBF: [
        ("病区无线网络覆盖盲区导致PDA掉线", "技术", "补点AP并做漫游优化", "关键操作离线缓存"),
        ("护士对PDA扫码流程适应慢", "业务", "护理部组织操作竞赛与带教", "保留纸质执行单过渡"),
        ("互联网医院处方流转需药监备案", "合规", "提前与药监部门沟通", "先上线复诊咨询"),
        ("床旁交互终端采购到货延迟", "供应商", "分批到货优先试点病区", "使用平板替代"),
        ("互联网医院移动支付对账差异", "技术", "每日三方对账", "人工退费处理"),
        ("互联网医院二期开发资源不足", "资源", "与创业慧康协商增派开发", "缩减二期范围"),
        ("智慧病房数据安全与患者隐私风险", "合规", "终端准入与数据脱敏", "暂停外网访问"),
        ("<img src=x onerror=alert(1)>", "技术", "输入内容统一转义", "发现后立即下线相关页面"),
        ("PDA电池续航不足影响夜班", "技术", "增加备用电池与充电座", "夜班共享设备"),
        ("移动护理与EMR护理文书接口数据重复", "技术", "接口去重规则", "人工核对"),
    ],
}


def build_risks(rng: random.Random) -> list[Risk]:
    risks: list[Risk] = []
    late_new = 0
    for p in PROJECTS:
        code = PROJECT_CODE[p]
        for i, (title, cat, mit, cont) in enumerate(RISK_POOL[p]):
            rid = f"R-{code}-{i + 1:02d}"
            # most risks predate the window; a dozen are raised during it (one to three a week)
            if i >= len(RISK_POOL[p]) - 2 and late_new < 12:
                ident = SNAPSHOTS[min(6, 1 + (late_new * 7) // 12)] - timedelta(days=rng.randint(0, 4))
                late_new += 1
            else:
                ident = date(2025, 7, 1) + timedelta(days=rng.randint(0, 430))
            lv = (rng.randint(1, 4), rng.randint(2, 4))
            levels = [lv] * 7
            risk = Risk(rid, p, title, cat, mit, cont, rng.choice(PEOPLE[:9]), ident, levels, words=rng.random() < 0.45)
            if rng.random() < 0.2:
                risk.stale_review = ident + timedelta(days=rng.randint(7, 60))
            risks.append(risk)
    by_id = {r.rid: r for r in risks}
    # the story risks
    mig = by_id["R-HIS-01"]
    mig.identified = date(2025, 12, 8)
    mig.levels = [(2, 3), (3, 3), (3, 3), (3, 4), (4, 4), (4, 4), (4, 4)]
    mig.stale_review = None
    for rid, lv, owner in (("R-HIS-02", (5, 4), ""), ("R-HIS-03", (4, 5), ""), ("R-PACS-01", (4, 5), "信息科-李强")):
        r = by_id[rid]
        r.levels = [(lv[0] - 1, lv[1])] * 2 + [lv] * 5
        r.owner = owner
        r.stale_review = None
    by_id["R-HIS-03"].identified = date(2026, 4, 20)
    by_id["R-EMR-02"].levels = [(4, 3)] * 7
    by_id["R-EMR-02"].identified = date(2026, 8, 10)
    by_id["R-ZHBF-08"].identified = date(2026, 9, 21)
    # improving risks and closures (some before the window, some during it)
    closures = {
        "R-EMR-01": date(2026, 3, 30), "R-EMR-04": date(2026, 10, 26), "R-LIS-04": date(2026, 11, 9),
        "R-PACS-03": date(2026, 7, 20), "R-HRP-08": date(2026, 11, 16), "R-ZHBF-04": date(2026, 11, 2),
        "R-HIS-05": date(2026, 8, 17), "R-LIS-01": date(2026, 10, 19),
    }  # fmt: skip
    for rid, d in closures.items():
        r = by_id[rid]
        r.closed = d
        r.identified = min(r.identified, d - timedelta(days=60))
        r.levels = [(max(1, a - (1 if SNAPSHOTS[k] >= d else 0)), b) for k, (a, b) in enumerate(r.levels)]
    for rid in ("R-PACS-05", "R-HRP-02", "R-LIS-05"):
        r = by_id[rid]
        r.levels = [(max(1, r.levels[0][0] - (1 if k >= 4 else 0)), r.levels[0][1]) for k in range(7)]
    return risks


RISK_HEADER = (
    "风险编号", "项目名称", "风险描述", "风险类别", "可能性", "影响", "责任人", "应对措施", "应急预案", "状态",
    "识别日期", "最近评审",
)  # fmt: skip


def write_risks(out: Path, risks: list[Risk]) -> list[dict[str, object]]:
    manifest = []
    for k, asof in enumerate(SNAPSHOTS):
        wb = Workbook()
        ws = wb.active
        ws.title = "风险登记册"
        ws.append(["信息化项目风险登记册"])
        ws.append([f"状态日期：{asof.isoformat()}"])
        ws.append([])
        ws.append(RISK_HEADER)
        for r in risks:
            if r.identified > asof:
                continue
            lik, imp = r.levels[k]
            if r.closed and r.closed <= asof:
                status, review = "已关闭", r.closed
            else:
                status = "开放" if lik * imp >= 12 or (asof - r.identified).days < 21 else "监控中"
                review = asof - timedelta(days=asof.weekday()) if r.stale_review is None else min(r.stale_review, asof)
            review = max(review, r.identified)
            ws.append([
                r.rid, r.project, r.title, r.category,
                LEVEL_WORDS[lik - 1] if r.words else lik, LEVEL_WORDS[imp - 1] if r.words else imp,
                r.owner or None, r.mitigation, r.contingency, status, r.identified, review,
            ])  # fmt: skip
            for c in (ws.cell(ws.max_row, 11), ws.cell(ws.max_row, 12)):
                c.number_format = "yyyy-mm-dd"
        for col, width in zip("ABCDEFGHIJKL", (11, 22, 44, 9, 7, 7, 13, 36, 30, 8, 12, 12), strict=True):
            ws.column_dimensions[col].width = width
        rel = f"risks/风险登记册_{asof.isoformat()}.xlsx"
        _write_xlsx(wb, out / rel)
        manifest.append({"file": rel, "dataset": "risks", "project": None, "as_of": asof.isoformat()})
    return manifest


# ------------------------------------------------------------------ change requests
CHANGE_POOL = (
    (HIS, "新增医保DRG/DIP分组器接口", 85.0, 15),
    (HIS, "门诊收费增加聚合支付(微信/支付宝/数字人民币)", 32.5, 7),
    (HIS, "住院结算增加按病种付费清单", 28.0, 10),
    (HIS, "旧HIS并行运行延长一个月", 46.0, 22),
    (HIS, "新增预住院管理模块", 38.0, 12),
    (HIS, "历史结算数据迁移范围扩大至2015年", 56.0, 15),
    (HIS, "药房增加自动发药机接口", 24.0, 8),
    (HIS, "切换后增派驻场工程师6人月", 42.0, 0),
    (EMR, "新增专科病历模板(心血管、肿瘤)", 18.0, 5),
    (EMR, "病历质控规则增加内涵质控", 22.0, 8),
    (EMR, "增加手术麻醉记录与EMR集成", 35.0, 10),
    (EMR, "电子病历评级目标由四级调整为五级", 60.0, 20),
    (EMR, "病历打印增加水印与防篡改", 6.5, 3),
    (EMR, "急诊预检分诊与EMR联动", 12.0, 5),
    (EMR, "中医科增加中医电子病历模板", 15.0, 6),
    (PACS, "增加区域影像云平台对接", 48.0, 15),
    (PACS, "存储扩容200TB", 65.0, 0),
    (PACS, "新增超声科结构化报告", 14.0, 5),
    (PACS, "AI肺结节辅助诊断模块", 30.0, 10),
    (PACS, "云胶片短信推送", 5.0, 3),
    (PACS, "PACS客户端支持移动端调阅", 18.0, 7),
    (LIS, "增加输血管理模块", 26.0, 10),
    (LIS, "检验结果互认平台对接", 20.0, 10),
    (LIS, "危急值推送至移动护理", 8.0, 4),
    (LIS, "增加POCT设备接入", 16.0, 6),
    (LIS, "微生物模块增加耐药监测报表", 9.5, 4),
    (HRP, "增加科室成本核算模块", 45.0, 20),
    (HRP, "银行直连增加两家银行", 12.0, 5),
    (HRP, "预算管理增加项目预算", 18.0, 8),
    (HRP, "HRP与OA审批集成范围扩大", 10.0, 5),
    (HRP, "物资SPD模式试点", 55.0, 25),
    (ZHBF, "互联网医院增加处方流转", 40.0, 20),
    (ZHBF, "增加床旁输液监测", 28.0, 10),
    (ZHBF, "移动护理增加护理评估量表", 9.0, 4),
    (ZHBF, "互联网医院增加检验检查预约", 16.0, 7),
    (ZHBF, "病区无线网络补点", 12.0, 5),
    (ZHBF, "智慧病房增加患者床旁点餐", 7.5, 3),
    (HIS, "门诊增加诊间结算", 15.0, 5),
    (EMR, "病历归档与无纸化", 25.0, 10),
    (ZHBF, "互联网护理(护士上门)服务", 22.0, 10),
)
REQUESTERS = (
    "信息科-张伟",
    "医务处-刘洋",
    "护理部-陈静",
    "财务处-赵敏",
    "门诊部-孙丽",
    "放射科-马骏",
    "检验科-何平",
    "医保办-钱进",
)


@dataclass
class Change:
    cid: str
    project: str
    title: str
    requested: date
    decided: date | None
    outcome: str  # 已批准 | 已拒绝
    implemented: date | None
    cost: float
    days: int
    by: str


def build_changes(rng: random.Random) -> list[Change]:
    pending_dates = (
        date(2026, 8, 24),
        date(2026, 9, 21),
        date(2026, 10, 14),
        date(2026, 10, 29),
        date(2026, 11, 6),
        date(2026, 11, 13),
        date(2026, 11, 19),
    )
    out = []
    n = len(CHANGE_POOL)
    for i, (p, title, cost, days) in enumerate(CHANGE_POOL):
        by = rng.choice(REQUESTERS)
        if i % 6 == 5 and len(pending_dates) > i // 6:
            req = pending_dates[i // 6]
            out.append(Change("", p, title, req, None, "", None, cost, days, by))
            continue
        req = on_or_after_wd(date(2025, 9, 1) + timedelta(days=int(440 * i / n) + rng.randint(0, 20)))
        dec = on_or_after_wd(req + timedelta(days=rng.randint(5, 30)))
        outcome = "已拒绝" if rng.random() < 0.15 else "已批准"
        impl = dec + timedelta(days=rng.randint(20, 120)) if outcome == "已批准" and rng.random() < 0.65 else None
        out.append(Change("", p, title, req, dec, outcome, impl, cost, days, by))
    # two decided in the last week, so the 11-16 snapshot shows them pending
    out.append(
        Change(
            "",
            HIS,
            "HIS二期范围调整：医保结算清单上传",
            date(2026, 11, 3),
            date(2026, 11, 18),
            "已批准",
            None,
            16.0,
            6,
            "医保办-钱进",
        )
    )
    out.append(
        Change(
            "",
            EMR,
            "病历书写时限提醒规则调整",
            date(2026, 11, 10),
            date(2026, 11, 20),
            "已拒绝",
            None,
            4.0,
            2,
            "质控科-吴刚",
        )
    )
    out.sort(key=lambda c: (c.requested, c.title))
    for i, c in enumerate(out, start=1):
        c.cid = f"CR-{c.requested.year}-{i:03d}"
    return out


CHANGE_HEADER = (
    "变更编号",
    "项目名称",
    "变更内容",
    "状态",
    "申请日期",
    "审批日期",
    "费用影响(万元)",
    "工期影响(天)",
    "申请人",
)


def write_changes(out: Path, changes: list[Change]) -> list[dict[str, object]]:
    manifest = []
    for asof in (SNAPSHOTS[5], SNAPSHOTS[6]):
        wb = Workbook()
        ws = wb.active
        ws.title = "变更申请"
        ws.append(CHANGE_HEADER)
        for c in changes:
            if c.requested > asof:
                continue
            if c.decided is None or c.decided > asof:
                status, dec = "待审批", None
            elif c.implemented is not None and c.implemented <= asof:
                status, dec = "已实施", c.decided
            else:
                status, dec = c.outcome, c.decided
            ws.append([c.cid, c.project, c.title, status, c.requested, dec, c.cost, c.days, c.by])
            for col in (5, 6):
                ws.cell(ws.max_row, col).number_format = "yyyy-mm-dd"
            ws.cell(ws.max_row, 7).number_format = "0.00"
        for col, width in zip("ABCDEFGHI", (13, 22, 40, 8, 12, 12, 14, 12, 13), strict=True):
            ws.column_dimensions[col].width = width
        rel = f"changes/变更申请_{asof.isoformat()}.xlsx"
        _write_xlsx(wb, out / rel)
        manifest.append({"file": rel, "dataset": "changes", "project": None, "as_of": asof.isoformat()})
    return manifest


# ------------------------------------------------------------------ usage
HOLIDAY_WEEKS = (date(2025, 9, 29), date(2025, 10, 6), date(2026, 2, 16), date(2026, 9, 28), date(2026, 10, 5))


def usage_rows(rng: random.Random, golive: dict[str, dict[str, date]]) -> list[list[object]]:
    staff = {d: rng.randint(40, 160) for d in DEPARTMENTS}
    staff["门诊部"], staff["药剂科"] = 60, 70
    rows: list[list[object]] = []
    plateau = {
        (s, d): (rng.uniform(0.44, 0.52) if d in LAGGING else rng.uniform(0.86, 0.95))
        for s in SYSTEMS
        for d in APPLICABLE[s]
    }
    eligible = {
        (s, d): max(5, round(staff[d] * (1.0 if (s, d) in (("PACS", "放射科"), ("LIS", "检验科")) else STAFF_SHARE[s])))
        for s in SYSTEMS
        for d in APPLICABLE[s]
    }
    for wk in WEEKS:
        for d in DEPARTMENTS:
            for s in SYSTEMS:
                if d not in APPLICABLE[s]:
                    continue
                g = golive[s][d]
                weeks_live = (wk - g).days // 7
                if weeks_live < -2:
                    continue  # no production accounts before the last fortnight of preparation
                if rng.random() < 0.03:
                    eligible[(s, d)] += rng.choice((-1, 1))  # staff turnover
                elig = eligible[(s, d)]
                if weeks_live < 0:
                    active = 0
                else:
                    rate = plateau[(s, d)] / (1 + math.exp(-(weeks_live - 3) / 1.2))
                    rate += rng.gauss(0, 0.015)
                    if wk in HOLIDAY_WEEKS:
                        rate *= 0.7
                    active = max(0, min(elig, round(elig * rate)))
                rows.append([wk.isoformat(), d, s, active, elig])
    return rows


def write_usage(out: Path, rows: list[list[object]]) -> list[dict[str, object]]:
    rel = "usage/系统使用_周报.csv"
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("统计日期", "科室", "系统", "活跃用户数", "应用人数"))
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return [{"file": rel, "dataset": "usage", "project": None, "as_of": None}]


# ------------------------------------------------------------------ KPIs
WAIT_DEPTS = {"心内科": 48, "消化内科": 46, "儿科": 58, "妇科": 44, "骨科": 42, "眼科": 38, "口腔科": 40, "中医科": 36}


def _decay(weeks_live: float, tau: float) -> float:
    """0 before go-live, rising to 1 afterwards."""
    return 0.0 if weeks_live < 0 else 1 - math.exp(-weeks_live / tau)


def kpi_rows(rng: random.Random, golive: dict[str, dict[str, date]]) -> list[list[object]]:
    his = golive["HIS"]["门诊部"]
    lis = golive["LIS"]["心内科"]
    emr_depts = APPLICABLE["EMR"]
    rows: list[list[object]] = []
    for wk in WEEKS:
        h = (wk - his).days / 7
        disruption = 4.0 if 0 <= h < 2 else 0.0
        eff = _decay(h - 1, 5.0)
        wait = 45 - 25 * eff + disruption + rng.gauss(0, 1.2)
        rows.append([wk, "门诊患者平均等候时间", None, round(wait, 1), "分钟"])
        for d, base in WAIT_DEPTS.items():
            gain = 0.25 if d in LAGGING else 0.55
            v = base * (1 - gain * eff) + disruption + rng.gauss(0, 1.5)
            rows.append([wk, "门诊患者平均等候时间", d, round(v, 1), "分钟"])
        live = sum(_decay((wk - golive["EMR"][d]).days / 7, 4.0) * (0.4 if d in LAGGING else 1.0) for d in emr_depts)
        share = live / (len(emr_depts) - 0.6 * len(LAGGING))
        rows.append([wk, "病历书写时间", None, round(18 - 5.5 * share + rng.gauss(0, 0.25), 1), "分钟/份"])
        ed = _decay((wk - golive["EMR"]["急诊科"]).days / 7, 4.0)
        rows.append([wk, "病历书写时间", "急诊科", round(18.5 - 6.5 * ed + rng.gauss(0, 0.35), 1), "分钟/份"])
        sat = 90.5 + 5.5 * eff - (1.5 if disruption else 0) + rng.gauss(0, 0.35)
        rows.append([wk, "患者满意度", None, round(min(99.0, sat), 1), "%"])
        lt = _decay((wk - lis).days / 7, 4.0)
        rows.append([wk, "检验报告周转时间", None, round(6.0 - 2.5 * lt + rng.gauss(0, 0.15), 1), "小时"])
    return rows


def write_kpis(out: Path, rows: list[list[object]]) -> list[dict[str, object]]:
    wb = Workbook()
    ws = wb.active
    ws.title = "KPI"
    ws.append(("统计日期", "指标名称", "科室", "数值", "单位"))
    for r in rows:
        ws.append(r)
        ws.cell(ws.max_row, 1).number_format = "yyyy-mm-dd"
    for col, width in zip("ABCDE", (12, 22, 10, 8, 9), strict=True):
        ws.column_dimensions[col].width = width
    rel = "kpis/效益指标_周报.xlsx"
    _write_xlsx(wb, out / rel)
    return [{"file": rel, "dataset": "kpis", "project": None, "as_of": None}]


KPI_TARGETS = {
    "门诊患者平均等候时间": {"baseline": 45, "target": 20, "unit": "分钟", "better": "lower", "system": "HIS"},
    "病历书写时间": {"baseline": 18, "target": 12.5, "unit": "分钟/份", "better": "lower", "system": "EMR"},
    "患者满意度": {"baseline": 90.5, "target": 95, "unit": "%", "better": "higher", "system": "HIS"},
    "检验报告周转时间": {"baseline": 6.0, "target": 4.0, "unit": "小时", "better": "lower", "system": "LIS"},
}


def write_targets(out: Path) -> list[dict[str, object]]:
    """The PMO's targets table as an export (the targets dataset): KPI baselines/targets and usage targets."""
    wb = Workbook()
    ws = wb.active
    ws.title = "目标值"
    ws.append(("项目群目标值（院长办公会 2025-06 审定）",))
    ws.append(("目标类型", "指标/系统", "科室", "基线值", "目标值", "单位", "改善方向", "关联系统"))
    for name, k in KPI_TARGETS.items():
        better = "越低越好" if k["better"] == "lower" else "越高越好"
        ws.append(("效益指标", name, None, k["baseline"], k["target"], k["unit"], better, k["system"]))
    ws.append(("使用率", "全部", None, None, 80, "%", "越高越好", None))
    for system in SYSTEMS:
        ws.append(("使用率", system, None, None, 80, "%", "越高越好", None))
    for col, width in zip("ABCDEFGH", (10, 22, 10, 8, 8, 8, 10, 10), strict=True):
        ws.column_dimensions[col].width = width
    rel = "targets/目标值_2025-06-02.xlsx"
    _write_xlsx(wb, out / rel)
    return [{"file": rel, "dataset": "targets", "project": None, "as_of": PROGRAMME_START.isoformat()}]


# ------------------------------------------------------------------ entry point
def generate(out_dir: Path) -> None:
    """Write every demo file under out_dir (overwriting), plus manifest.json and targets.json."""
    out_dir = Path(out_dir)
    rng = random.Random(SEED)
    plans = plan_specs()
    sched = schedule_plans(plans, rng)
    golive = go_live_dates(plans, sched)
    budget = budget_cents()

    manifest: list[dict[str, object]] = []
    manifest += write_budget(out_dir, budget)
    manifest += write_ledger(out_dir, ledger_rows(rng, budget))
    manifest += write_plans(out_dir, plans, sched)
    manifest += write_risks(out_dir, build_risks(rng))
    manifest += write_changes(out_dir, build_changes(rng))
    manifest += write_usage(out_dir, usage_rows(rng, golive))
    manifest += write_kpis(out_dir, kpi_rows(rng, golive))
    manifest += write_targets(out_dir)
    manifest += _sibling("gen_quality").generate(out_dir, golive, _write_xlsx)
    manifest += _sibling("gen_readiness").generate(out_dir, _write_xlsx, golive)  # readiness (issue 16)
    # load order: periodic sheets first, then snapshots oldest first (ties by dataset, then project order)
    order = {"budget": 0, "costs": 1, "usage": 2, "kpis": 3, "tasks": 4, "risks": 5, "changes": 6, "targets": 7}
    order |= {"quality_checks": 20, "grading_targets": 21, "emr_items": 22}
    order |= {"training": 8, "feedback": 9, "supervision": 10, "gate_criteria": 11, "dept_readiness": 12}
    manifest.sort(
        key=lambda m: (
            m["as_of"] or "",
            order[str(m["dataset"])],
            PROJECTS.index(str(m["project"])) if m["project"] else -1,
        )
    )
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    milestones = {}
    for plan in plans:
        last = sched[plan.name][-1]
        for wave, key in plan.waves:
            milestones[wave.label] = {
                "system": wave.system,
                "project": plan.name,
                "date": last[key].finish.isoformat(),
                "departments": list(wave.depts),
            }
    targets = {
        "status_date": STATUS_DATE.isoformat(),
        "programme": {"start": PROGRAMME_START.isoformat(), "end": PROGRAMME_END.isoformat(), "hospital": HOSPITAL},
        "projects": list(PROJECTS),
        "departments": list(DEPARTMENTS),
        "kpis": KPI_TARGETS,
        "usage_targets": {"default": 0.8, **dict.fromkeys(SYSTEMS, 0.8)},
        "systems": {s: {"project": SYSTEM_PROJECT[s], "departments": list(APPLICABLE[s])} for s in SYSTEMS},
        "go_live": {s: {d: golive[s][d].isoformat() for d in DEPARTMENTS if d in golive[s]} for s in SYSTEMS},
        "go_live_milestones": milestones,
        "lagging_departments": list(LAGGING),
        "budget_wan": BUDGET_TOTAL,
    }
    (out_dir / "targets.json").write_text(json.dumps(targets, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    generate(Path(__file__).resolve().parent)
