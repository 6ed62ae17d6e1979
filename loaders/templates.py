"""Blank Excel templates, one per dataset, that the importer reads back as they are downloaded.

Row 1 is a bilingual title, row 2 the header (Chinese aliases the importer recognises, English names in the
header comments), row 3 a filled example; drop-downs guard closed value lists; sheet 2 explains every column.
"""

from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from loaders.datasets import DATASETS, Dataset, Field
from loaders.headers import match_field

INSTRUCTIONS_SHEET = "说明 Instructions"
HEADER_ROW = 2
EXAMPLE_ROW = 3
LAST_ROW = 1000  # drop-downs and formats reach this far

DATE_FORMAT = "yyyy-mm-dd"
MONEY_FORMAT = "#,##0.00"

# Where the first Chinese alias reads oddly as a column title, the header we prefer (it must still be an alias).
PREFERRED_HEADER: dict[str, str] = {"project": "项目名称", "task_id": "任务编号", "period": "统计周期"}

# Drop-down lists. Strict lists refuse other values (the importer would too); suggestions only propose.
LEVELS = ("1", "2", "3", "4", "5", "很低", "低", "中", "高", "很高")
STRICT_LISTS: dict[str, tuple[str, ...]] = {
    "stage": ("已签合同", "已开票", "已付款"),
    "level": LEVELS,
    "bool": ("是", "否"),
    "gate_status": ("已满足", "未满足", "豁免"),
    "readiness": ("就绪", "未就绪", "不适用"),
    "severity": ("高", "中", "低"),
}
SUGGESTED_LISTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("risks", "status"): ("开放", "监控中", "已关闭"),
    ("changes", "status"): ("待审批", "已批准", "已实施", "已拒绝"),
    ("targets", "kind"): ("效益指标", "使用率"),
    ("targets", "direction"): ("越低越好", "越高越好"),
    ("gate_criteria", "measure"): ("培训覆盖率", "使用率", "严重风险数", "测试通过率"),
    ("feedback", "category"): ("界面", "流程", "缺陷", "培训"),
    ("feedback", "status"): ("待处理", "处理中", "已解决", "已关闭"),
    ("supervision", "area"): ("进度", "质量", "安全", "合同"),
    ("supervision", "status"): ("待整改", "整改中", "已关闭"),
    ("dept_readiness", "dimension"): ("硬件", "网络", "培训", "数据迁移", "流程签字", "首席用户"),
    ("quality_checks", "dimension"): ("完整性", "一致性", "及时性", "规范性", "整合性"),
    ("grading_targets", "evaluation"): ("电子病历系统应用水平分级评价", "互联互通标准化成熟度测评"),
}

FORMAT_HELP: dict[str, tuple[str, str]] = {
    "text": ("文本", "text"),
    "code": ("文本编号(保留前导零，如 1.10)", "code as text (leading zeros kept, e.g. 1.10)"),
    "date": ("日期 yyyy-mm-dd(也可 2026/3/5、2026年3月5日)", "date yyyy-mm-dd (also 2026/3/5, 2026年3月5日)"),
    "money": ("金额，单位元(可写 12.5万元)", "amount in yuan (12.5万元 accepted)"),
    "percent": ("百分比 0–100(也可 45%)", "percentage 0–100 (45% accepted)"),
    "int": ("整数", "whole number"),
    "number": ("数字", "number"),
    "level": ("等级 1–5 或 很低/低/中/高/很高", "level 1–5 or very low … very high"),
    "bool": ("是/否", "yes/no (是/否)"),
    "duration": ("工期(工作日)，如 5 或 5 个工作日", "duration in working days, e.g. 5"),
    "stage": ("已签合同/已开票/已付款", "committed / invoiced / paid (已签合同/已开票/已付款)"),
    "gate_status": ("已满足/未满足/豁免(也可 是/否、√/×)", "met / not met / waived (是/否, √/× accepted)"),
    "readiness": ("就绪/未就绪/不适用(也可 是/否、√/×)", "ready / not ready / n.a. (是/否, √/× accepted)"),
    "severity": ("高/中/低(也可 严重/一般/轻微)", "high / medium / low"),
    "grade": ("等级 0–8，如 5、5级、五级、四级甲等", "grade 0–8, e.g. 5, 5级, 五级, 四级甲等"),
}

_D = dt.date
# One realistic example row per dataset (cell values as a clerk would type them).
Cell = str | int | float | dt.date
EXAMPLES: dict[str, dict[str, Cell]] = {
    "tasks": {
        "project": "EMR升级",
        "task_id": "T001",
        "wbs": "1.10",
        "name": "需求调研",
        "phase": "需求",
        "start": _D(2026, 3, 2),
        "finish": _D(2026, 3, 20),
        "baseline_start": _D(2026, 3, 2),
        "baseline_finish": _D(2026, 3, 13),
        "percent_complete": 45,
        "duration_days": 15,
        "is_milestone": "否",
        "is_gate": "否",
        "predecessors": "",
        "owner": "信息科 张伟",
        "outline_level": 2,
    },
    "budget": {"project": "EMR升级", "category": "软件", "period": _D(2026, 3, 1), "amount": 1_200_000},
    "costs": {
        "date": _D(2026, 3, 5),
        "project": "EMR升级",
        "category": "软件",
        "vendor": "某软件公司",
        "amount": 350_000.5,
        "stage": "已付款",
        "reference": "HT-2026-001",
        "description": "首付款",
    },
    "risks": {
        "risk_id": "R001",
        "project": "EMR升级",
        "title": "接口联调延迟",
        "category": "技术",
        "likelihood": "高",
        "impact": 3,
        "owner": "张伟",
        "mitigation": "提前安排联调窗口",
        "contingency": "延后上线一周",
        "status": "开放",
        "identified": _D(2026, 3, 2),
        "last_review": _D(2026, 3, 16),
        "residual_likelihood": 2,
        "residual_impact": "中",
    },
    "changes": {
        "change_id": "CR001",
        "project": "EMR升级",
        "title": "增加检验结果接口",
        "status": "待审批",
        "requested": _D(2026, 3, 10),
        "decided": _D(2026, 3, 17),
        "cost_impact": 80_000,
        "schedule_impact_days": 10,
        "requested_by": "检验科",
    },
    "usage": {
        "period": _D(2026, 3, 2),
        "department": "急诊科",
        "system": "EMR",
        "active_users": 42,
        "eligible_users": 50,
    },
    "kpis": {
        "period": _D(2026, 3, 2),
        "kpi": "门诊平均候诊时间",
        "department": "门诊部",
        "value": 32.5,
        "unit": "分钟",
    },
    "targets": {
        "kind": "效益指标",
        "name": "门诊患者平均等候时间",
        "department": "门诊部",
        "baseline": 45,
        "target": 20,
        "unit": "分钟",
        "direction": "越低越好",
        "system": "HIS",
    },
    "gate_criteria": {
        "project": "HIS系统替换",
        "gate": "全院上线评审",
        "department": "心内科",
        "system": "HIS",
        "due": _D(2026, 5, 15),
        "criterion": "培训覆盖率 ≥ 90%",
        "measure": "培训覆盖率",
        "threshold": "≥ 90%",
        "actual": "92%",
        "status": "已满足",
        "reason": "",
        "evidence": "OA-2026-051 培训签到表",
        "signed_by": "心内科 首席用户 王芳",
        "signed_on": _D(2026, 5, 14),
    },
    "training": {
        "date": _D(2026, 5, 8),
        "department": "心内科",
        "system": "HIS",
        "staff": 86,
        "trained": 80,
        "passed": 76,
    },
    "feedback": {
        "feedback_id": "FK-001",
        "department": "心内科",
        "system": "HIS",
        "issue": "医嘱录入需多次点击确认",
        "category": "流程",
        "severity": "中",
        "raised": _D(2026, 5, 20),
        "resolved": _D(2026, 5, 27),
        "status": "已解决",
        "chief_user": "王芳",
    },
    "supervision": {
        "finding_id": "JL-2026-01",
        "project": "HIS系统替换",
        "area": "质量",
        "finding": "接口测试用例未覆盖退费流程",
        "severity": "高",
        "action": "补充退费场景测试用例并回归",
        "raised": _D(2026, 4, 10),
        "due": _D(2026, 4, 24),
        "status": "已关闭",
        "closed": _D(2026, 4, 22),
        "closed_by": "监理 刘工",
    },
    "dept_readiness": {
        "project": "HIS系统替换",
        "system": "HIS",
        "department": "心内科",
        "dimension": "硬件",
        "status": "就绪",
        "go_live": _D(2026, 5, 18),
        "note": "工作站已更换",
    },
    "quality_checks": {
        "period": _D(2026, 3, 2),
        "system": "EMR",
        "department": "心内科",
        "check_name": "ICD-10编码规范率",
        "dimension": "一致性",
        "numerator": 1_842,
        "denominator": 1_900,
        "target": "95%",
    },
    "emr_items": {
        "item_no": "01.01",
        "role": "病房医师",
        "item": "病房医嘱处理",
        "is_basic": "是",
        "current_level": "4级",
        "target_level": "5级",
        "coverage": "85%",
        "required_coverage": "80%",
        "projects": "EMR升级",
        "tasks": "T012",
        "owner": "医务处",
    },
    "grading_targets": {
        "evaluation": "电子病历系统应用水平分级评价",
        "current_level": "四级",
        "target_level": "五级",
        "due": _D(2026, 12, 31),
        "min_score": 140,
        "optional_required": 6,
        "linked_project": "EMR升级",
    },
}

_CJK = re.compile(r"[\u4e00-\u9fff]")


def header_for(ds: Dataset, f: Field) -> str:
    """The Chinese header the importer maps back onto `f` in `ds` (falls back to the canonical name)."""
    candidates = [PREFERRED_HEADER[f.name]] if f.name in PREFERRED_HEADER else []
    candidates += [a for a in f.aliases if _CJK.search(a)]
    for alias in candidates:
        if match_field(ds.name, alias) == f.name:
            return alias
    return f.name


def english_name(f: Field) -> str:
    """A readable English column name: the first English alias, title-cased."""
    alias = next((a for a in f.aliases if not _CJK.search(a)), f.name.replace("_", " "))
    return alias[:1].upper() + alias[1:]


def headers(dataset: str) -> list[tuple[Field, str]]:
    """(field, header) in template column order."""
    ds = DATASETS[dataset]
    return [(f, header_for(ds, f)) for f in ds.fields]


def _title(ds: Dataset) -> str:
    return f"{ds.label_zh}模板 / {ds.label_en} template"


def _validation(ws: Worksheet, values: tuple[str, ...], column: str, strict: bool) -> None:
    dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
    dv.showErrorMessage = strict
    dv.errorStyle = "stop" if strict else "information"
    dv.error = "请从下拉列表中选择 / Choose a value from the list"
    dv.errorTitle = "无效的值 / Invalid value"
    dv.add(f"{column}{EXAMPLE_ROW}:{column}{LAST_ROW}")
    ws.add_data_validation(dv)


def _data_sheet(ws: Worksheet, ds: Dataset) -> None:
    cols = headers(ds.name)
    ws.title = ds.label_zh
    ws.cell(row=1, column=1, value=_title(ds)).font = Font(bold=True, size=13)
    example = EXAMPLES[ds.name]
    fill = PatternFill("solid", fgColor="DDEBF7")
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    for j, (f, header) in enumerate(cols, start=1):
        letter = get_column_letter(j)
        cell = ws.cell(row=HEADER_ROW, column=j, value=header)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.fill = required_fill if f.required else fill
        cell.comment = Comment(f"{english_name(f)}{' (required 必填)' if f.required else ''}", "HIT Cockpit")
        value = example.get(f.name)
        target = ws.cell(row=EXAMPLE_ROW, column=j, value=None if value == "" else value)
        if isinstance(value, str):
            target.data_type = "s"  # example text is never a formula
        if f.kind == "date":
            fmt = DATE_FORMAT
        elif f.kind == "money":
            fmt = MONEY_FORMAT
        elif f.kind in ("text", "code"):
            fmt = "@"  # typed IDs such as 1.10 stay text
        else:
            fmt = ""
        if fmt:
            for r in range(EXAMPLE_ROW, LAST_ROW + 1):
                ws.cell(row=r, column=j).number_format = fmt
        if f.kind in STRICT_LISTS:
            _validation(ws, STRICT_LISTS[f.kind], letter, strict=True)
        elif (ds.name, f.name) in SUGGESTED_LISTS:
            _validation(ws, SUGGESTED_LISTS[(ds.name, f.name)], letter, strict=False)
        ws.column_dimensions[letter].width = max(12, min(30, 2 * len(header) + 4))
    ws.freeze_panes = f"A{EXAMPLE_ROW}"


def _instructions_sheet(ws: Worksheet, ds: Dataset) -> None:
    ws.append([f"{_title(ds)}：填写说明 / How to fill it in"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(["第 1 行是标题，第 2 行是列名(请勿修改)，第 3 行是示例(请替换为实际数据)。"])
    ws.append(["Row 1 is a title, row 2 the column names (keep them), row 3 an example (replace it with your data)."])
    ws.append([])
    ws.append(["列 Column", "英文 English", "必填 Required", "格式 Format", "示例 Example", "备注 Notes"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    example = EXAMPLES[ds.name]
    for f, header in headers(ds.name):
        zh, en = FORMAT_HELP[f.kind]
        value = example.get(f.name)
        shown = value.isoformat() if isinstance(value, dt.date) else ("" if value is None else str(value))
        notes = " / ".join(x for x in (f.help_zh, f.help_en) if x)
        if f.name == "project" and ds.mode == "snapshot" and not f.required:
            notes = notes or "可留空：导入时在数据页填写项目 / may be blank: set the project when importing"
        row = [header, english_name(f), "是 Yes" if f.required else "否 No", f"{zh} / {en}", shown, notes]
        ws.append(row)
        for cell in ws[ws.max_row]:
            cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEF", (16, 22, 14, 44, 20, 40), strict=True):
        ws.column_dimensions[letter].width = width


def template_xlsx(dataset: str) -> bytes:
    """A blank Excel template for `dataset` (a key of loaders.datasets.DATASETS)."""
    ds = DATASETS[dataset]
    wb = Workbook()
    data = wb.active
    assert data is not None
    _data_sheet(data, ds)
    _instructions_sheet(wb.create_sheet(INSTRUCTIONS_SHEET), ds)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
