"""Demo exports after go-live: weekly data-quality checks per system and department, the EMR grading self-assessment
(two snapshots) and the grading targets. Own seeded rng, so the other demo files stay byte-identical.

The story: the hospital is 四级 on the EMR grading and aims at 五级 at the review on 2026-12-07 (the EMR plan's
"EMR 五级评审" milestone); on 2026-11-23 it is 3 basic items and 12 points short. ICD-10 coding and the other checks
climb after each system's go-live; 中医科 and 口腔科 lag; in the last week 骨科's ICD-10 coding rate drops 7 points
and 检验科's lab-field normalisation drops 4 (a new analyser interface). 互联互通: 三级 now, 四级甲等 by 2027-06-30.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

SEED = 20261202
STATUS_DATE = date(2026, 11, 23)
FIRST_WEEK = date(2026, 8, 3)
WEEKS = tuple(FIRST_WEEK + timedelta(weeks=k) for k in range((STATUS_DATE - FIRST_WEEK).days // 7 + 1))
EMR_PROJECT, HIS_PROJECT, ZHBF_PROJECT = "电子病历(EMR)升级", "HIS系统替换", "智慧病房与互联网医院"

# (system, check, dimension, target %, plateau rate, records per department-week, departments: None = hospital-wide)
CHECKS: tuple[tuple[str, str, str, float, float, tuple[int, int], str], ...] = (
    ("EMR", "ICD-10编码规范率", "一致性", 95, 0.965, (40, 120), "wards"),
    ("EMR", "病历完整性", "完整性", 95, 0.975, (200, 600), "wards"),
    ("EMR", "病历及时完成率", "及时性", 90, 0.935, (40, 120), "wards"),
    ("HIS", "医嘱与收费一致性", "一致性", 97, 0.982, (20000, 26000), "hospital"),
    ("HIS", "患者主索引完整性", "完整性", 99, 0.994, (9000, 12000), "hospital"),
    ("LIS", "检验项目字段标准化率", "规范性", 98, 0.991, (3000, 4000), "检验科"),
    ("PACS", "影像报告及时性", "及时性", 95, 0.962, (1500, 2200), "放射科"),
    ("移动护理", "护理记录完整性", "完整性", 95, 0.958, (300, 700), "nursing"),
)
LAGGING = ("中医科", "口腔科")
LAST_WEEK_DROPS = {("EMR", "ICD-10编码规范率", "骨科"): 0.07, ("LIS", "检验项目字段标准化率", "检验科"): 0.04}

QUALITY_HEADER = ("统计周期", "系统名称", "科室", "检查项目", "质量维度", "合格数", "检查数", "目标值")
ITEM_HEADER = ("项目序号", "工作角色", "评价项目", "是否基本项", "当前等级", "目标等级", "有效应用范围", "要求比例",
               "关联项目", "关联任务", "负责人")  # fmt: skip
TARGET_HEADER = ("评价名称", "当前等级", "目标等级", "目标日期", "最低总评分", "选择项目数", "关联项目")

# The self-assessment as the PMO typed it from the standard (illustrative item list; the product reads any list).
# (no., role, item, basic, level now, level a week before, coverage now %, a week before %, required %, projects,
#  tasks, owner)
ItemRow = tuple[str, str, str, bool, int, int, int, int, int, str | None, str | None, str]
ITEMS: tuple[ItemRow, ...] = (
    ("01.01", "病房医师", "病房医嘱处理", True, 5, 5, 93, 93, 80, None, None, "医务处"),
    ("01.02", "病房医师", "病房检验申请", True, 5, 5, 90, 90, 80, None, None, "医务处"),
    ("01.03", "病房医师", "病房检验报告", True, 5, 5, 91, 91, 80, None, None, "检验科"),
    ("01.04", "病房医师", "病房检查申请", True, 5, 5, 88, 88, 80, None, None, "医务处"),
    ("01.05", "病房医师", "病房检查报告", True, 5, 5, 86, 86, 80, None, None, "放射科"),
    ("01.06", "病房医师", "病房病历记录", True, 5, 5, 95, 95, 80, None, None, "医务处"),
    ("02.01", "病房护士", "患者管理与评估", True, 5, 5, 84, 84, 80, None, None, "护理部"),
    ("02.02", "病房护士", "医嘱执行", True, 4, 4, 72, 70, 80, ZHBF_PROJECT, None, "护理部"),
    ("02.03", "病房护士", "护理记录", True, 5, 5, 82, 82, 80, None, None, "护理部"),
    ("03.01", "门诊医师", "处方书写", True, 5, 5, 97, 97, 80, None, None, "门诊部"),
    ("03.02", "门诊医师", "门诊检验申请", True, 5, 5, 93, 93, 80, None, None, "门诊部"),
    ("03.03", "门诊医师", "门诊检验报告", True, 5, 5, 94, 94, 80, None, None, "检验科"),
    ("03.04", "门诊医师", "门诊检查申请", True, 5, 5, 90, 90, 80, None, None, "门诊部"),
    ("03.05", "门诊医师", "门诊检查报告", True, 5, 5, 89, 89, 80, None, None, "放射科"),
    ("03.06", "门诊医师", "门诊病历记录", True, 5, 4, 85, 85, 80, EMR_PROJECT, None, "门诊部"),
    ("04.01", "检查科室", "申请与预约", True, 5, 5, 92, 92, 80, None, None, "放射科"),
    ("04.02", "检查科室", "检查报告", True, 5, 5, 90, 90, 80, None, None, "放射科"),
    ("05.01", "检验处理", "标本处理", True, 5, 5, 95, 95, 80, None, None, "检验科"),
    ("08.01", "病历管理", "病历质量控制", True, 5, 5, 76, 74, 80, EMR_PROJECT, "48, 49", "质控科"),
    (
        "10.01",
        "信息利用",
        "临床数据整合",
        True,
        4,
        4,
        85,
        85,
        80,
        f"{EMR_PROJECT}、{HIS_PROJECT}",
        f"{HIS_PROJECT}:43",
        "信息科",
    ),
    ("04.03", "检查科室", "检查图像", False, 5, 5, 92, 92, 50, None, None, "放射科"),
    ("05.02", "检验处理", "检验结果记录", False, 5, 5, 88, 88, 50, None, None, "检验科"),
    ("05.03", "检验处理", "报告生成", False, 5, 5, 81, 81, 50, None, None, "检验科"),
    ("06.01", "治疗信息处理", "一般治疗记录", False, 5, 5, 55, 55, 50, None, None, "医务处"),
    ("06.02", "治疗信息处理", "手术预约与登记", False, 5, 5, 82, 82, 50, None, None, "手术室"),
    ("06.03", "治疗信息处理", "麻醉信息", False, 5, 5, 55, 55, 50, None, None, "麻醉科"),
    ("06.04", "治疗信息处理", "监护数据", False, 2, 2, 38, 38, 50, ZHBF_PROJECT, None, "重症医学科"),
    ("07.01", "医疗保障", "血液准备", False, 2, 2, 45, 45, 50, None, None, "输血科"),
    ("07.02", "医疗保障", "配置与发药", False, 2, 2, 50, 50, 50, None, None, "药剂科"),
    ("09.01", "电子病历基础", "电子病历访问控制", False, 2, 2, 45, 45, 50, None, None, "信息科"),
    ("09.02", "电子病历基础", "基础设施与安全管控", False, 2, 2, 35, 35, 50, None, None, "信息科"),
    ("09.03", "电子病历基础", "系统灾难恢复体系", False, 1, 1, 30, 30, 50, None, None, "信息科"),
    ("10.02", "信息利用", "医疗质量控制", False, 1, 1, 15, 15, 50, None, None, "质控科"),
    ("10.03", "信息利用", "知识获取及管理", False, 0, 0, 0, 0, 50, None, None, "信息科"),
)

Writer = Callable[[Workbook, Path], None]


def _wards(golive: Mapping[str, Mapping[str, date]], system: str) -> list[str]:
    return sorted(golive.get(system, {}), key=lambda d: (golive[system][d], d))


def _progress(weeks_live: float) -> float:
    """Share of the way from the first rate after go-live to the plateau (half way after about 8 weeks)."""
    return 1.0 - 0.5 ** (max(0.0, weeks_live) / 8.0)


def quality_rows(rng: random.Random, golive: Mapping[str, Mapping[str, date]]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for system, check, dimension, target, plateau, (lo, hi), where in CHECKS:
        if where == "wards":
            depts: list[str | None] = list(_wards(golive, system))
        elif where == "nursing":
            depts = list(_wards(golive, "移动护理"))
        elif where == "hospital":
            depts = [None]
        else:
            depts = [where]
        first_live = min(golive[system].values())
        for dept in depts:
            live = golive[system].get(dept, first_live) if dept else first_live
            start = plateau - rng.uniform(0.08, 0.14)
            top = plateau - (rng.uniform(0.06, 0.09) if dept in LAGGING else rng.uniform(-0.01, 0.012))
            size = rng.randint(lo, hi)
            for week in WEEKS:
                if week < live:
                    continue
                r = start + (top - start) * _progress((week - live).days / 7) + rng.gauss(0, 0.004)
                if week == STATUS_DATE:
                    r -= LAST_WEEK_DROPS.get((system, check, dept or ""), 0.0)
                den = max(1, round(size * rng.uniform(0.9, 1.1)))
                num = min(den, max(0, round(den * min(r, 0.999))))
                rows.append((week, system, dept, check, dimension, num, den, f"{target:g}%"))
    return rows


def write_quality(out: Path, rows: Sequence[tuple[object, ...]], write: Writer) -> list[dict[str, object]]:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "数据质量"
    ws.append(("数据治理 数据质量检查周报（信息科 数据管理组）",))
    ws.append(QUALITY_HEADER)
    for r in rows:
        ws.append(r)
        ws.cell(ws.max_row, 1).number_format = "yyyy-mm-dd"
    rel = "quality/数据质量_周报.xlsx"
    write(wb, out / rel)
    return [{"file": rel, "dataset": "quality_checks", "project": None, "as_of": None}]


def write_items(out: Path, day: date, now: bool, write: Writer) -> list[dict[str, object]]:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "自评表"
    ws.append(("电子病历系统应用水平分级评价 自评表（目标：五级）",))
    ws.append((f"状态日期：{day.isoformat()}",))
    ws.append(ITEM_HEADER)
    for no, role, item, basic, lv, lv_before, cov, cov_before, need, projects, tasks, owner in ITEMS:
        level = lv if now else lv_before
        coverage = cov if now else cov_before
        ws.append((no, role, item, "是" if basic else "否", f"{level}级", "5级", f"{coverage}%", f"{need}%",
                   projects, tasks, owner))  # fmt: skip
    rel = f"grading/电子病历评级自评_{day.isoformat()}.xlsx"
    write(wb, out / rel)
    return [{"file": rel, "dataset": "emr_items", "project": None, "as_of": day.isoformat()}]


def write_targets(out: Path, write: Writer) -> list[dict[str, object]]:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "评级目标"
    ws.append(TARGET_HEADER)
    ws.append(("电子病历系统应用水平分级评价", "四级", "五级", date(2026, 12, 7), 140, 6, EMR_PROJECT))
    ws.append(("互联互通标准化成熟度测评", "三级", "四级甲等", date(2027, 6, 30), None, None, HIS_PROJECT))
    ws.cell(2, 4).number_format = ws.cell(3, 4).number_format = "yyyy-mm-dd"
    rel = "grading/评级目标_2025-06-02.xlsx"
    write(wb, out / rel)
    return [{"file": rel, "dataset": "grading_targets", "project": None, "as_of": "2025-06-02"}]


def generate(out: Path, golive: Mapping[str, Mapping[str, date]], write: Writer) -> list[dict[str, object]]:
    """Write the quality and grading demo files under `out`; returns their manifest entries."""
    rng = random.Random(SEED)
    manifest = write_quality(out, quality_rows(rng, golive), write)
    manifest += write_targets(out, write)
    manifest += write_items(out, STATUS_DATE - timedelta(days=7), False, write)
    manifest += write_items(out, STATUS_DATE, True, write)
    return manifest
