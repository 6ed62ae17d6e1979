"""Demo operations data after go-live: the help desk's ticket export (运维工单) and the inspection log (巡检记录).

Tickets start when a system's first department goes live (the same go-live dates as the plans and usage), grow with
each wave and spike in the weeks after it (the HIS big bang of 2026-05-18 most of all); a few P1 tickets breach
their SLA, most during the spikes, and one P1 is still open past its target at the status date. Weekly inspections
of each live system, with rounds missed while the team was busy with the HIS go-live. Own seeded Random.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

SEED = 20261717
STATUS_DATE = date(2026, 11, 23)
EXPORT_END = datetime(2026, 11, 24)  # the export ran at the end of the status date
# a live department's active users per system, roughly (the usage export's weekly figures)
USERS_PER_DEPARTMENT = {"EMR": 80, "HIS": 85, "PACS": 40, "LIS": 60, "HRP": 25, "移动护理": 45}
BASE_RATE = 8.0 / 1000 / 30  # tickets per active user per day once a system has settled
PRIORITY_SHARE = (("P1", 0.03), ("P2", 0.15), ("P3", 0.50), ("P4", 0.32))
PRIORITY_WORDS = {"P1": "一级", "P2": "二级", "P3": "三级", "P4": "四级"}
# typical minutes to respond and to resolve (a lognormal around these), and the SLA targets they sit under
TYPICAL = {"P1": (6, 100), "P2": (15, 240), "P3": (45, 600), "P4": (150, 1800)}
TARGET = {"P1": (15, 240), "P2": (30, 480), "P3": (120, 1440), "P4": (480, 4320)}
CATEGORIES = {
    "软件故障": (("程序缺陷", "配置错误"), ("医嘱无法保存", "报表导出报错", "页面卡顿", "打印模板错位")),
    "接口问题": (("接口超时", "字典未对照"), ("检验结果未回传", "影像调阅失败", "收费信息不同步")),
    "硬件故障": (("硬件老化", "耗材"), ("条码打印机卡纸", "读卡器无响应", "工作站蓝屏")),
    "网络故障": (("网络中断", "交换机故障"), ("病区断网", "无线信号弱")),
    "权限账号": (("权限未开通", "用户操作"), ("新员工无法登录", "密码锁定", "缺少处方权限")),
    "操作咨询": (("用户操作", "培训不足"), ("不会录入出院小结", "如何补打发票", "如何查询历史医嘱")),
}
CATEGORY_WEIGHT = {
    "软件故障": 0.28,
    "接口问题": 0.14,
    "硬件故障": 0.12,
    "网络故障": 0.06,
    "权限账号": 0.18,
    "操作咨询": 0.22,
}
ITEMS = {"EMR": 30, "HIS": 36, "PACS": 24, "LIS": 20, "HRP": 18, "移动护理": 15}
INSPECTORS = ("信息科 李明", "信息科 赵磊", "信息科 孙悦", "驻场工程师 周凯")
HIS_CRUNCH = (date(2026, 5, 4), date(2026, 6, 7))  # the weeks around the HIS big bang


def _pick(rng: random.Random, pairs: tuple[tuple[str, float], ...] | list[tuple[str, float]]) -> str:
    x = rng.random() * sum(w for _, w in pairs)
    for name, w in pairs:
        x -= w
        if x <= 0:
            return name
    return pairs[-1][0]


def _stamp(t: datetime) -> str:
    return f"{t.year}/{t.month}/{t.day} {t.hour:02d}:{t.minute:02d}"  # the help desk writes 2026/3/5 14:03


def _spike(days_live: int) -> float:
    """How many times the settled rate a department files in its first weeks live."""
    return 1.0 + 6.0 * math.exp(-days_live / 10.0)


def ticket_rows(rng: random.Random, golive: dict[str, dict[str, date]]) -> list[list[object]]:
    rows: list[tuple[datetime, list[object]]] = []
    first = min(min(d.values()) for d in golive.values())
    day = first
    while day <= STATUS_DATE:
        for system, depts in golive.items():
            for dept, live in sorted(depts.items()):
                days_live = (day - live).days
                if days_live < 0:
                    continue
                expected = USERS_PER_DEPARTMENT[system] * BASE_RATE * _spike(days_live)
                for _ in range(_poisson(rng, expected)):
                    rows.append(_ticket(rng, system, dept, day, days_live))
        day += timedelta(days=1)
    rows.sort(key=lambda r: r[0])
    out = []
    for n, (opened, row) in enumerate(rows, start=1):
        out.append([f"GD{opened.year}{n:05d}", *row[1:]])
    # one P1 opened the day before the status date, still open past its 4-hour target at the export
    opened = datetime(2026, 11, 22, 9, 12)
    out.append([f"GD2026{len(out) + 1:05d}", "HIS", "门诊部", "一级", _stamp(opened), _stamp(opened + timedelta(minutes=9)),
                "", "接口问题", "", "医保结算接口超时，门诊无法结算"])  # fmt: skip
    return out


def _poisson(rng: random.Random, lam: float) -> int:
    n, p, limit = 0, 1.0, math.exp(-lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return n
        n += 1


def _ticket(rng: random.Random, system: str, dept: str, day: date, days_live: int) -> tuple[datetime, list[object]]:
    pri = _pick(rng, PRIORITY_SHARE)
    busy = days_live < 21  # the first three weeks after a go-live: the team is stretched
    hour = _pick(rng, [(str(h), 3.0 if 8 <= h < 18 else 0.6) for h in range(24)])
    opened = datetime.combine(day, datetime.min.time()) + timedelta(hours=int(hour), minutes=rng.randrange(60))
    resp_typ, res_typ = TYPICAL[pri]
    stretch = 1.8 if busy else 1.0
    respond = resp_typ * stretch * math.exp(rng.gauss(0, 0.45))
    resolve = res_typ * stretch * math.exp(rng.gauss(0, 0.5))
    if pri == "P1":  # P1s are held to their targets, except a few
        slip = rng.random() < (0.22 if busy else 0.04)
        respond = min(respond, TARGET[pri][0] * 0.9) if not slip else respond
        resolve = min(resolve, TARGET[pri][1] * 0.95) if not slip else max(resolve, TARGET[pri][1] * 1.4)
    responded: datetime | None = opened + timedelta(minutes=max(1, round(respond)))
    resolved: datetime | None = opened + timedelta(minutes=max(respond + 5, round(resolve)))
    if rng.random() < 0.05:
        responded = None  # the engineer went straight to work and never clicked 受理
    if resolved is not None and resolved >= EXPORT_END:
        resolved = None
    if responded is not None and responded >= EXPORT_END:
        responded = None
    category = _pick(rng, list(CATEGORY_WEIGHT.items()))
    causes, titles = CATEGORIES[category]
    cause = rng.choice(causes) if resolved is not None else ""
    return opened, [
        opened, system, dept, PRIORITY_WORDS[pri], _stamp(opened),
        _stamp(responded) if responded else "", _stamp(resolved) if resolved else "", category, cause,
        rng.choice(titles),
    ]  # fmt: skip


def inspection_rows(rng: random.Random, golive: dict[str, dict[str, date]]) -> list[list[object]]:
    rows: list[list[object]] = []
    for system in sorted(golive, key=lambda s: min(golive[s].values())):
        live = min(golive[system].values())
        planned = live + timedelta(days=(7 - live.weekday()) % 7)  # Mondays from the first go-live
        while planned <= STATUS_DATE:
            crunch = HIS_CRUNCH[0] <= planned <= HIS_CRUNCH[1]
            missed = rng.random() < (0.45 if crunch else 0.05)
            if missed:
                rows.append([system, planned, None, None, None, None, "人员支援上线，未巡检" if crunch else "未巡检"])
            else:
                done = planned + timedelta(days=rng.choice((0, 0, 0, 1)))
                failed = min(ITEMS[system], _poisson(rng, 0.6))
                note = "正常" if failed == 0 else f"{failed} 项异常，已报修"
                rows.append(
                    [system, planned, min(done, STATUS_DATE), ITEMS[system], failed, rng.choice(INSPECTORS), note]
                )
            planned += timedelta(days=7)
    return rows


def generate(
    out: Path, golive: dict[str, dict[str, date]], save: Callable[[Workbook, Path], None]
) -> list[dict[str, object]]:
    """Write the two exports under `out` with `save` (the demo's fixed-timestamp writer); their manifest entries."""
    rng = random.Random(SEED)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "工单列表"
    ws.append(("信息中心运维工单导出（截至 2026-11-23）",))
    ws.append(("工单编号", "所属系统", "报修科室", "优先级", "报修时间", "响应时间", "解决时间", "故障类别", "故障原因",
               "问题描述"))  # fmt: skip
    for row in ticket_rows(rng, golive):
        ws.append(row)
    tickets = "operations/运维工单_2025-12_2026-11.xlsx"
    save(wb, out / tickets)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "巡检记录"
    ws.append(("系统", "计划巡检日期", "实际巡检日期", "巡检项数", "异常项数", "巡检人", "巡检结论"))
    for row in inspection_rows(rng, golive):
        ws.append(row)
    for cell in ws["B"][1:] + ws["C"][1:]:
        cell.number_format = "yyyy-mm-dd"
    inspections = "operations/巡检记录_2025-12_2026-11.xlsx"
    save(wb, out / inspections)
    return [
        {"file": tickets, "dataset": "incidents", "project": None, "as_of": None},
        {"file": inspections, "dataset": "inspections", "project": None, "as_of": None},
    ]
