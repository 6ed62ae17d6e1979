"""Strings of the targets editor on the data page."""

STRINGS: dict[str, tuple[str, str]] = {
    "targets.header": ("目标值（效益指标与使用率目标）", "Targets (KPIs and usage-rate targets)"),
    "targets.caption": (
        "当前生效的目标值表。修改后保存即作为一次导入（可在导入历史中撤销），从所选日期起生效。",
        "The targets table in force. Saving imports it (undo it from the history), in force from the chosen date.",
    ),
    "targets.as_of": ("生效日期", "In force from"),
    "targets.save": ("保存目标值", "Save targets"),
    "targets.saved": ("目标值已保存（导入 #{id}）。", "Targets saved (import #{id})."),
    "targets.refused": ("目标值未保存：{message}", "Targets not saved: {message}"),
    "targets.col.kind": ("目标类型", "Kind"),
    "targets.col.name": ("指标/系统", "KPI / system"),
    "targets.col.department": ("科室", "Department"),
    "targets.col.baseline": ("基线值", "Baseline"),
    "targets.col.target": ("目标值", "Target"),
    "targets.col.unit": ("单位", "Unit"),
    "targets.col.direction": ("改善方向", "Better when"),
    "targets.col.system": ("关联系统", "Related system"),
    "targets.kind.kpi": ("效益指标", "KPI"),
    "targets.kind.usage": ("使用率", "Usage rate"),
    "targets.direction.lower": ("越低越好", "lower"),
    "targets.direction.higher": ("越高越好", "higher"),
}
