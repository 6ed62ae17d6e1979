"""Declarative schemas of the datasets: canonical fields, their kinds, and header aliases.

The importer maps a file's headers onto these fields; the store's views use the same canonical names.
Aliases are compared after `normalise_header` (lower case, no spaces, brackets or punctuation).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Kinds a field can have; loaders.coerce has one parser per kind.
KINDS = (
    "text",  # free text, stored as plain text
    "code",  # identifiers, WBS codes, invoice numbers: text, never a number
    "date",
    "money",  # yuan; 万元/亿 units from the header or the cell
    "percent",  # 0..100
    "int",
    "number",
    "level",  # 1..5 likelihood / impact
    "bool",
    "duration",  # working days
    "stage",  # committed | invoiced | paid
    "gate_status",  # met | not_met | waived (已满足/未满足/豁免, 是/否, √/×)
    "readiness",  # ready | not_ready | na (就绪/未就绪/不适用)
    "severity",  # high | medium | low (严重/一般/轻微, 高/中/低)
    "grade",  # an evaluation grade 0..8: 5, 5级, 五级, Level 5; 四级甲等 → 4.5 (甲等 above 乙等)
)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()  # canonical values, where the set is closed
    help_zh: str = ""
    help_en: str = ""


@dataclass(frozen=True)
class Dataset:
    name: str
    label_zh: str
    label_en: str
    fields: tuple[Field, ...]
    # "snapshot": every import is kept with its as-of date, views show the latest per project.
    # "periodic": a re-import of the same months replaces them (see `replace_key`).
    mode: str
    key: tuple[str, ...] = ()  # business key: duplicates with different values are refused
    replace_key: tuple[str, ...] = ()  # periodic datasets: rows sharing these values are replaced
    extra: dict[str, str] = field(default_factory=dict)
    # the store's raw table (loaders/store reads every stored column from this registry: row_no, the fields,
    # then `derived` — columns the importer computes rather than reads, such as a plan row's is_summary)
    table: str = ""
    derived: tuple[str, ...] = ()
    # periodic datasets whose replace_key is coarser than a row's identity (a ledger) replace only rows of the same
    # source: the same export (sheet + headers), the same file-name pattern, or rows sharing these fields
    row_key: tuple[str, ...] = ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


PERIOD_ALIASES = ("period", "date", "日期", "统计日期", "周", "week", "月份", "统计周期")
PROJECT_ALIASES = ("project", "项目", "项目名称", "项目编号", "所属项目", "project name", "工程名称", "子项目")

TASKS = Dataset(
    name="tasks",
    label_zh="项目计划",
    label_en="Project plan",
    mode="snapshot",
    table="task_rows",
    derived=("is_summary", "links", "calendar", "baselines"),
    key=("project", "task_id"),
    fields=(
        Field("project", "text", aliases=PROJECT_ALIASES),
        Field(
            "task_id",
            "code",
            aliases=("task id", "id", "unique id", "唯一标识号", "标识号", "任务编号", "任务id", "编号", "序号", "No."),
        ),
        Field(
            "wbs",
            "code",
            aliases=("wbs", "wbs number", "wbs编号", "wbs码", "大纲数字", "outline number", "wbs code"),
        ),
        Field(
            "name",
            "text",
            required=True,
            aliases=(
                "name",
                "task name",
                "task",
                "title",
                "任务名称",
                "任务",
                "名称",
                "工作项目",
                "任务名",
                "工作内容",
                "活动",
                "activity",
                "目标业务",
            ),
        ),
        Field("phase", "text", aliases=("phase", "阶段", "所属阶段", "stage name", "里程碑阶段")),
        Field(
            "start",
            "date",
            required=True,
            aliases=("start", "start date", "开始时间", "开始日期", "开始", "计划开始", "计划开始时间", "begin"),
        ),
        Field(
            "finish",
            "date",
            aliases=(
                "finish",
                "end",
                "end date",
                "finish date",
                "完成时间",
                "结束时间",
                "完成日期",
                "结束日期",
                "结束",
                "完成",
                "计划完成",
                "计划结束",
                "due",
            ),
        ),
        Field(
            "baseline_start",
            "date",
            aliases=("baseline start", "比较基准开始时间", "基线开始", "基线开始时间", "planned start", "原计划开始"),
        ),
        Field(
            "baseline_finish",
            "date",
            aliases=(
                "baseline finish",
                "比较基准完成时间",
                "基线完成",
                "基线完成时间",
                "基线结束",
                "planned end",
                "planned finish",
                "原计划完成",
            ),
        ),
        Field(
            "percent_complete",
            "percent",
            aliases=("% complete", "percent complete", "完成百分比", "完成率", "完成进度", "进度", "%done", "进度(%)"),
        ),
        Field("duration_days", "duration", aliases=("duration", "工期", "持续时间", "工期(天)", "time")),
        Field("is_milestone", "bool", aliases=("milestone", "里程碑", "是否里程碑")),
        Field("is_gate", "bool", aliases=("quality gate", "gate", "质量关口", "评审关口", "关口")),
        Field(
            "predecessors",
            "code",
            aliases=("predecessors", "前置任务", "紧前任务", "前置", "prerequisites", "depends on", "依赖"),
        ),
        Field(
            "owner",
            "text",
            aliases=("resource names", "owner", "资源名称", "负责人", "责任人", "责任方", "assigned", "assignee"),
        ),
        Field("outline_level", "int", aliases=("outline level", "大纲级别", "层级", "level")),
        Field("actual_start", "date", aliases=("actual start", "实际开始时间", "实际开始", "实际开始日期")),
        Field("actual_finish", "date", aliases=("actual finish", "实际完成时间", "实际完成", "实际完成日期")),
        Field("constraint_type", "text", aliases=("constraint type", "限制类型", "约束类型")),
        Field("constraint_date", "date", aliases=("constraint date", "限制日期", "约束日期")),
        Field("duration_optimistic", "duration", aliases=("optimistic duration", "乐观工期", "最短工期")),
        Field("duration_likely", "duration", aliases=("most likely duration", "最可能工期", "可能工期")),
        Field("duration_pessimistic", "duration", aliases=("pessimistic duration", "悲观工期", "最长工期")),
    ),
)

BUDGET = Dataset(
    name="budget",
    label_zh="预算",
    label_en="Budget",
    mode="periodic",
    table="budget_rows",
    key=("project", "category", "period"),
    replace_key=("project", "period"),
    fields=(
        Field("project", "text", required=True, aliases=PROJECT_ALIASES),
        Field(
            "category",
            "text",
            required=True,
            aliases=("category", "cost category", "费用类别", "成本类别", "类别", "预算科目", "科目"),
        ),
        Field("period", "date", aliases=("period", "month", "月份", "期间", "预算月份", "年月")),
        Field(
            "amount",
            "money",
            required=True,
            aliases=("amount", "budget", "预算", "预算金额", "金额", "预算额", "budget amount"),
        ),
    ),
)

COSTS = Dataset(
    name="costs",
    label_zh="费用台账",
    label_en="Cost ledger",
    mode="periodic",
    table="cost_rows",
    replace_key=("project", "month", "stage"),
    row_key=("reference",),
    fields=(
        Field(
            "date", "date", required=True, aliases=("date", "日期", "发生日期", "记账日期", "凭证日期", "posting date")
        ),
        Field("project", "text", required=True, aliases=PROJECT_ALIASES),
        Field(
            "category",
            "text",
            required=True,
            aliases=("category", "cost category", "费用类别", "成本类别", "类别", "科目"),
        ),
        Field("vendor", "text", aliases=("vendor", "supplier", "供应商", "厂商", "收款单位", "合同方")),
        Field(
            "amount",
            "money",
            required=True,
            aliases=("amount", "金额", "发生额", "金额(元)", "cost", "actual", "实际金额"),
        ),
        Field(
            "stage",
            "stage",
            required=True,
            aliases=("stage", "status", "阶段", "状态", "付款状态", "资金状态", "type"),
            allowed=("committed", "invoiced", "paid"),
        ),
        Field(
            "reference",
            "code",
            aliases=("reference", "ref", "contract", "合同编号", "发票号", "凭证号", "单据号", "invoice no"),
        ),
        Field("description", "text", aliases=("description", "摘要", "说明", "备注", "事由", "memo")),
    ),
)

RISKS = Dataset(
    name="risks",
    label_zh="风险登记册",
    label_en="Risk register",
    mode="snapshot",
    table="risk_rows",
    key=("project", "risk_id"),
    fields=(
        Field("risk_id", "code", required=True, aliases=("risk id", "id", "风险编号", "编号", "风险id", "序号")),
        Field("project", "text", aliases=PROJECT_ALIASES),
        Field(
            "title",
            "text",
            required=True,
            aliases=(
                "title",
                "risk",
                "risk title",
                "risk description",
                "风险",
                "风险名称",
                "风险描述",
                "风险说明书",
                "描述",
            ),
        ),
        Field("category", "text", aliases=("category", "risk category", "类别", "风险类别", "风险类型")),
        Field(
            "likelihood",
            "level",
            required=True,
            aliases=("likelihood", "probability", "可能性", "概率", "发生概率", "likelihood (1-5)"),
        ),
        Field("impact", "level", required=True, aliases=("impact", "影响", "影响程度", "impact (1-5)", "后果")),
        Field("owner", "text", aliases=("owner", "risk owner", "责任人", "负责人", "责任方")),
        Field(
            "mitigation",
            "text",
            aliases=("mitigation", "mitigation strategy", "response", "应对措施", "缓解措施", "响应", "treatment"),
        ),
        Field("contingency", "text", aliases=("contingency", "contingency plan", "应急预案", "应急计划")),
        Field("status", "text", aliases=("status", "状态", "风险状态")),
        Field("identified", "date", aliases=("identified", "date identified", "识别日期", "登记日期", "提出日期")),
        Field("last_review", "date", aliases=("last review", "review date", "最近评审", "评审日期", "复核日期")),
        Field(
            "residual_likelihood", "level", aliases=("residual likelihood", "修订后的概率", "剩余可能性", "残余可能性")
        ),
        Field("residual_impact", "level", aliases=("residual impact", "修订后的影响", "剩余影响", "残余影响")),
    ),
)

CHANGES = Dataset(
    name="changes",
    label_zh="变更申请",
    label_en="Change requests",
    mode="snapshot",
    table="change_rows",
    key=("project", "change_id"),
    fields=(
        Field("change_id", "code", required=True, aliases=("change id", "cr id", "id", "变更编号", "编号", "申请编号")),
        Field("project", "text", required=True, aliases=PROJECT_ALIASES),
        Field(
            "title",
            "text",
            required=True,
            aliases=("title", "change", "变更内容", "变更名称", "标题", "变更事项", "description"),
        ),
        Field(
            "status",
            "text",
            required=True,
            aliases=("status", "状态", "审批状态", "decision"),
        ),
        Field(
            "requested",
            "date",
            required=True,
            aliases=("requested", "request date", "申请日期", "提出日期", "提交日期"),
        ),
        Field("decided", "date", aliases=("decided", "decision date", "审批日期", "批准日期", "决定日期")),
        Field("cost_impact", "money", aliases=("cost impact", "费用影响", "成本影响", "金额影响", "预算影响")),
        Field(
            "schedule_impact_days",
            "int",
            aliases=("schedule impact days", "schedule impact", "工期影响", "进度影响(天)", "进度影响"),
        ),
        Field("requested_by", "text", aliases=("requested by", "申请人", "提出人", "申请科室")),
    ),
)

USAGE = Dataset(
    name="usage",
    label_zh="系统使用",
    label_en="System usage",
    mode="periodic",
    table="usage_rows",
    key=("period", "department", "system"),
    replace_key=("period", "department", "system"),
    fields=(
        Field("period", "date", required=True, aliases=PERIOD_ALIASES),
        Field(
            "department", "text", required=True, aliases=("department", "dept", "科室", "科室名称", "部门", "使用科室")
        ),
        Field("system", "text", required=True, aliases=("system", "系统", "系统名称", "应用系统", "application")),
        Field(
            "active_users",
            "int",
            required=True,
            aliases=("active users", "活跃用户", "活跃用户数", "使用人数", "登录人数"),
        ),
        Field(
            "eligible_users",
            "int",
            aliases=("eligible users", "应用人数", "应使用人数", "用户总数", "在岗人数", "授权用户数"),
        ),
    ),
)

KPIS = Dataset(
    name="kpis",
    label_zh="效益指标",
    label_en="Benefit KPIs",
    mode="periodic",
    table="kpi_rows",
    key=("period", "kpi", "department"),
    replace_key=("period", "kpi", "department"),
    fields=(
        Field("period", "date", required=True, aliases=PERIOD_ALIASES),
        Field("kpi", "text", required=True, aliases=("kpi", "indicator", "measure", "指标", "指标名称", "数据名")),
        Field("department", "text", aliases=("department", "dept", "科室", "科室名称", "部门")),
        Field("value", "number", required=True, aliases=("value", "数值", "指标值", "值", "score")),
        Field("unit", "text", aliases=("unit", "单位")),
    ),
)

# KPI baselines and targets, and usage-rate targets per system (and per department): a snapshot, each import
# is the whole table as of its date; the overview and the brief read the table in force at the chosen week.
TARGETS = Dataset(
    name="targets",
    label_zh="目标值",
    label_en="Targets",
    mode="snapshot",
    table="target_rows",
    key=("kind", "name", "department"),
    fields=(
        Field(
            "kind",
            "text",
            required=True,
            aliases=("kind", "type", "类型", "目标类型", "类别"),
            help_zh="效益指标 或 使用率",
            help_en="kpi or usage",
        ),
        Field(
            "name",
            "text",
            required=True,
            aliases=("name", "kpi", "system", "指标", "指标名称", "系统", "名称", "指标/系统"),
            help_zh="指标名称（效益指标）或系统名称（使用率）",
            help_en="KPI name (kpi) or system name (usage)",
        ),
        Field("department", "text", aliases=("department", "dept", "科室", "科室名称", "部门")),
        Field("baseline", "number", aliases=("baseline", "基线", "基线值", "上线前")),
        Field("target", "number", required=True, aliases=("target", "目标", "目标值")),
        Field("unit", "text", aliases=("unit", "单位")),
        Field(
            "direction",
            "text",
            aliases=("direction", "better", "方向", "改善方向", "越低越好/越高越好"),
            help_zh="越低越好 或 越高越好",
            help_en="lower or higher is better",
        ),
        Field("system", "text", aliases=("related system", "关联系统", "所属系统")),
    ),
)

# ---- go-live readiness (issue 16): quality-gate criteria, training, chief-user feedback, supervision, readiness
DEPARTMENT_ALIASES = ("department", "dept", "科室", "科室名称", "部门", "使用科室", "上线科室")
SYSTEM_ALIASES = ("system", "系统", "系统名称", "应用系统", "application")

# Each criterion of a quality gate; a criterion whose measure the store holds (training coverage, usage rate, open
# critical risks, test pass rate) is computed by metrics.readiness, the typed status is kept beside it.
GATE_CRITERIA = Dataset(
    name="gate_criteria",
    label_zh="质量门禁",
    label_en="Gate criteria",
    mode="snapshot",
    table="gate_criterion_rows",
    key=("project", "gate", "criterion"),
    fields=(
        Field("project", "text", required=True, aliases=PROJECT_ALIASES),
        Field(
            "gate",
            "text",
            required=True,
            aliases=("gate", "quality gate", "gate name", "门禁", "质量门禁", "门禁名称", "上线评审", "评审节点"),
        ),
        Field(
            "department", "text", aliases=DEPARTMENT_ALIASES, help_zh="本次上线的科室", help_en="department going live"
        ),
        Field("system", "text", aliases=SYSTEM_ALIASES),
        Field("due", "date", aliases=("due", "gate date", "门禁日期", "评审日期", "计划评审日期", "计划日期")),
        Field(
            "criterion",
            "text",
            required=True,
            aliases=("criterion", "criteria", "门禁标准", "准入标准", "准入条件", "评审标准", "检查项", "标准"),
        ),
        Field(
            "measure",
            "text",
            aliases=("measure", "衡量指标", "考核指标", "指标"),
            help_zh="培训覆盖率、使用率、严重风险数、测试通过率由系统计算",
            help_en="training coverage, usage rate, critical risks, test pass rate are computed",
        ),
        Field("threshold", "text", aliases=("threshold", "阈值", "门槛", "目标要求", "要求"), help_zh="如 ≥ 90%、= 0"),
        Field("actual", "text", aliases=("actual", "实际值", "实测值", "当前值")),
        Field(
            "status",
            "gate_status",
            aliases=("status", "状态", "是否满足", "达成情况", "结论", "评审结论"),
            help_zh="已满足/未满足/豁免(也可 是/否、√/×)",
            help_en="met / not met / waived",
        ),
        Field("reason", "text", aliases=("reason", "waiver reason", "豁免原因", "豁免理由", "原因说明", "说明")),
        Field("evidence", "text", aliases=("evidence", "evidence link", "证据", "证据链接", "证明材料", "佐证材料")),
        Field("signed_by", "text", aliases=("signed off by", "sign-off", "签字人", "签核人", "确认人", "签字")),
        Field("signed_on", "date", aliases=("signed on", "sign-off date", "签字日期", "签核日期", "确认日期")),
    ),
)

# Training records: per department and system, the staff to train and how many were trained and passed the exam,
# as of a date (each row is the count reached by that date; a later date adds, the same date replaces).
TRAINING = Dataset(
    name="training",
    label_zh="培训记录",
    label_en="Training records",
    mode="periodic",
    table="training_rows",
    key=("date", "department", "system"),
    replace_key=("date", "department", "system"),
    fields=(
        Field("date", "date", required=True, aliases=("date", "as of", "培训日期", "统计日期", "截至日期", "日期")),
        Field("department", "text", required=True, aliases=DEPARTMENT_ALIASES),
        Field("system", "text", required=True, aliases=SYSTEM_ALIASES),
        Field(
            "staff",
            "int",
            required=True,
            aliases=("staff to train", "staff", "应培训人数", "应培训", "需培训人数", "培训对象人数", "应训人数"),
        ),
        Field("trained", "int", required=True, aliases=("trained", "已培训人数", "已培训", "完成培训人数", "实训人数")),
        Field(
            "passed",
            "int",
            aliases=("exam passed", "passed", "考核通过人数", "考试通过人数", "考核通过", "通过人数", "合格人数"),
        ),
    ),
)

FEEDBACK = Dataset(
    name="feedback",
    label_zh="首席用户反馈",
    label_en="Chief-user feedback",
    mode="periodic",
    table="feedback_rows",
    key=("department", "system", "feedback_id"),
    replace_key=("department", "system", "feedback_id"),
    fields=(
        Field(
            "feedback_id",
            "code",
            required=True,
            aliases=("feedback id", "id", "反馈编号", "问题编号", "编号", "序号"),
        ),
        Field("department", "text", required=True, aliases=DEPARTMENT_ALIASES),
        Field("system", "text", required=True, aliases=SYSTEM_ALIASES),
        Field("issue", "text", required=True, aliases=("issue", "问题描述", "反馈内容", "反馈问题", "问题")),
        Field(
            "category",
            "text",
            aliases=("category", "问题类别", "问题类型", "类别", "分类"),
            help_zh="界面/流程/缺陷/培训",
            help_en="UI / workflow / bug / training",
        ),
        Field("severity", "severity", aliases=("severity", "priority", "严重程度", "严重性", "优先级", "级别")),
        Field("raised", "date", required=True, aliases=("raised", "date raised", "提出日期", "反馈日期", "登记日期")),
        Field("resolved", "date", aliases=("resolved", "date resolved", "解决日期", "关闭日期", "完成日期")),
        Field("status", "text", aliases=("status", "状态", "处理状态", "处理结果")),
        Field("chief_user", "text", aliases=("chief user", "raised by", "首席用户", "反馈人", "提出人")),
    ),
)

SUPERVISION = Dataset(
    name="supervision",
    label_zh="第三方监理意见",
    label_en="Supervision findings",
    mode="periodic",
    table="supervision_rows",
    key=("project", "finding_id"),
    replace_key=("project", "finding_id"),
    fields=(
        Field(
            "finding_id",
            "code",
            required=True,
            aliases=("finding id", "id", "意见编号", "监理意见编号", "编号", "序号"),
        ),
        Field("project", "text", required=True, aliases=PROJECT_ALIASES),
        Field(
            "area",
            "text",
            aliases=("area", "category", "意见类别", "检查类别", "类别", "专业"),
            help_zh="进度/质量/安全/合同",
            help_en="schedule / quality / safety / contract",
        ),
        Field(
            "finding",
            "text",
            required=True,
            aliases=("finding", "监理意见", "意见内容", "发现问题", "存在问题", "问题描述"),
        ),
        Field("severity", "severity", aliases=("severity", "严重程度", "严重性", "级别")),
        Field("action", "text", aliases=("corrective action", "action", "整改措施", "纠正措施", "整改要求")),
        Field("raised", "date", aliases=("raised", "issued", "下发日期", "提出日期", "发出日期")),
        Field("due", "date", aliases=("due", "due date", "整改期限", "要求完成日期", "整改截止日期", "截止日期")),
        Field("status", "text", aliases=("status", "状态", "整改状态")),
        Field("closed", "date", aliases=("closed", "closed on", "关闭日期", "整改完成日期", "完成日期")),
        Field("closed_by", "text", aliases=("closed by", "关闭人", "验证人", "复查人")),
    ),
)

DEPT_READINESS = Dataset(
    name="dept_readiness",
    label_zh="科室上线准备",
    label_en="Department readiness",
    mode="snapshot",
    table="dept_readiness_rows",
    key=("project", "system", "department", "dimension"),
    fields=(
        Field("project", "text", required=True, aliases=PROJECT_ALIASES),
        Field("system", "text", aliases=SYSTEM_ALIASES),
        Field("department", "text", required=True, aliases=DEPARTMENT_ALIASES),
        Field(
            "dimension",
            "text",
            required=True,
            aliases=("dimension", "readiness dimension", "准备维度", "就绪维度", "准备事项", "准备项", "维度"),
            help_zh="硬件/网络/培训/数据迁移/流程签字/首席用户",
            help_en="hardware / network / training / data migration / workflow sign-off / chief user",
        ),
        Field(
            "status",
            "readiness",
            required=True,
            aliases=("status", "ready", "就绪状态", "是否就绪", "准备情况", "状态"),
            help_zh="就绪/未就绪/不适用(也可 是/否、√/×)",
            help_en="ready / not ready / n.a.",
        ),
        Field("go_live", "date", aliases=("go-live", "planned go-live", "计划上线日期", "上线日期")),
        Field("note", "text", aliases=("note", "备注")),
    ),
)

# Data-quality checks per system, department and period (ICD-10 编码规范率, 检验项目字段标准化率, 完整性 …): the
# check names are data; each row is a numerator over a denominator, with an optional target rate.
QUALITY_CHECKS = Dataset(
    name="quality_checks",
    label_zh="数据质量",
    label_en="Data quality",
    mode="periodic",
    table="quality_rows",
    key=("period", "system", "department", "check_name"),
    replace_key=("period", "system", "department", "check_name"),
    fields=(
        Field("period", "date", required=True, aliases=(*PERIOD_ALIASES, "检查日期", "统计月份")),
        Field("system", "text", required=True, aliases=("system", "系统", "系统名称", "应用系统", "数据来源系统")),
        Field("department", "text", aliases=("department", "dept", "科室", "科室名称", "部门")),
        Field(
            "check_name",
            "text",
            required=True,
            aliases=("check", "check name", "quality check", "检查项", "检查项目", "质控项目", "质控指标", "规则名称"),
            help_zh="如 ICD-10编码规范率、检验项目字段标准化率、完整性、一致性、及时性",
            help_en="e.g. ICD-10 coding, lab field normalisation, completeness, consistency, timeliness",
        ),
        Field("dimension", "text", aliases=("dimension", "质量维度", "维度")),
        Field(
            "numerator",
            "int",
            required=True,
            aliases=("numerator", "passed", "分子", "合格数", "符合数", "达标数", "合格记录数"),
        ),
        Field(
            "denominator",
            "int",
            required=True,
            aliases=("denominator", "checked", "分母", "检查数", "应检数", "记录总数", "检查记录数"),
        ),
        Field("target", "percent", aliases=("target", "target rate", "目标", "目标值", "目标率")),
    ),
)

# The items of the EMR grading (电子病历系统应用水平分级评价) as the hospital assessed itself: the PMO fills the
# template from the official standard (its text is never hard-coded), one row per evaluation item.
EMR_ITEMS = Dataset(
    name="emr_items",
    label_zh="电子病历评级项目",
    label_en="EMR grading items",
    mode="snapshot",
    table="emr_item_rows",
    key=("item_no",),
    fields=(
        Field("item_no", "code", required=True, aliases=("item no", "no.", "序号", "项目序号", "项目编号")),
        Field("role", "text", aliases=("role", "category", "工作角色", "角色")),
        Field("item", "text", required=True, aliases=("item", "item name", "评价项目", "评价项目名称")),
        Field(
            "is_basic",
            "bool",
            required=True,
            aliases=("basic item", "basic", "基本项", "是否基本项", "基本项目"),
            help_zh="是 = 基本项，否 = 选择项",
            help_en="yes = basic item, no = optional item",
        ),
        Field(
            "current_level",
            "grade",
            required=True,
            aliases=("current level", "当前等级", "现状等级", "当前级别", "自评等级"),
        ),
        Field("target_level", "grade", aliases=("target level", "目标等级", "目标级别")),
        Field(
            "coverage",
            "percent",
            aliases=("coverage", "valid application coverage", "有效应用范围", "有效应用比例"),
            help_zh="有效应用范围，如 85% 或 0.85",
            help_en="valid-application coverage, e.g. 85% or 0.85",
        ),
        Field(
            "required_coverage",
            "percent",
            aliases=("required coverage", "要求范围", "要求比例", "应用范围要求"),
            help_zh="该项达标要求的有效应用范围（如基本项 80%）",
            help_en="the coverage the item must reach (e.g. 80% for a basic item)",
        ),
        Field("projects", "text", aliases=("linked projects", "关联项目", "责任项目")),
        Field("tasks", "code", aliases=("linked tasks", "关联任务", "任务编号")),
        Field("owner", "text", aliases=("owner", "负责人", "责任科室", "责任人")),
    ),
)

# The hospital's targets on the national evaluations: the EMR grading's target grade (五级 → 5) with the standard's
# requirements for that grade, and the 互联互通 maturity target (四级甲等 → 4.5), as data.
GRADING_TARGETS = Dataset(
    name="grading_targets",
    label_zh="评级目标",
    label_en="Grading targets",
    mode="snapshot",
    table="grading_target_rows",
    key=("evaluation",),
    fields=(
        Field(
            "evaluation",
            "text",
            required=True,
            aliases=("evaluation", "评价", "评价名称", "测评", "评级"),
            help_zh="电子病历系统应用水平分级评价 / 互联互通标准化成熟度测评 …",
            help_en="EMR grading / interoperability maturity …",
        ),
        Field("current_level", "grade", aliases=("current level", "当前等级", "已达等级", "现有等级")),
        Field("target_level", "grade", required=True, aliases=("target level", "目标等级", "目标级别")),
        Field("due", "date", aliases=("due", "target date", "目标日期", "计划通过日期", "截止日期")),
        Field(
            "min_score",
            "number",
            aliases=("minimum score", "min total score", "最低总分", "最低总评分"),
            help_zh="标准对目标等级要求的最低总评分（如五级 140）",
            help_en="the standard's minimum total score for the target grade",
        ),
        Field(
            "optional_required",
            "int",
            aliases=("optional items required", "选择项目数", "选择项要求"),
            help_zh="目标等级须达标的选择项数（如 6/19 填 6）",
            help_en="optional items that must reach the grade (6 of 19: write 6)",
        ),
        Field("linked_project", "text", aliases=("linked project", "关联项目", "责任项目")),
    ),
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        TASKS,
        BUDGET,
        COSTS,
        RISKS,
        CHANGES,
        USAGE,
        KPIS,
        TARGETS,
        QUALITY_CHECKS,
        EMR_ITEMS,
        GRADING_TARGETS,
        GATE_CRITERIA,
        TRAINING,
        FEEDBACK,
        SUPERVISION,
        DEPT_READINESS,
    )
}

_STRIP = re.compile(r"[\s\u3000_\-:：()（）\[\]【】<>《》\"'`·.,，;；/\\*#]+")


def normalise_header(text: object) -> str:
    """A header as compared against aliases: NFKC, lower case, no spaces, brackets or punctuation."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    return _STRIP.sub("", s)
