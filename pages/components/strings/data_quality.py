"""Data-quality page strings: the worst cells first, each check's trend and target, per-system shares."""

STRINGS: dict[str, tuple[str, str]] = {
    "data_quality.nav": ("数据质量", "Data quality"),
    "data_quality.section": ("上线后", "After go-live"),
    "data_quality.title": ("数据质量", "Data quality"),
    "data_quality.empty": (
        "当前筛选条件下没有数据质量检查结果。请在数据页导入「数据质量」。",
        "No data-quality checks for these filters. Import 数据质量 (data quality) on the data page.",
    ),
    "data_quality.caption": (
        "最新一期 {period}。合格率 = 合格数 ÷ 检查数；低于目标的单元格排在最前(差距最大者优先)，其余按合格率从低到高。"
        "下降 = 比上一期低 {points} 个百分点及以上。",
        "Latest period {period}. Pass rate = passed ÷ checked; cells below their target come first (largest "
        "shortfall first), then the rest from the lowest rate. Drop = {points} percentage points or more under the "
        "previous period.",
    ),
    "data_quality.tile.below": ("低于目标", "Below target"),
    "data_quality.tile.dropped": ("较上期下降", "Dropped since last period"),
    "data_quality.tile.cells": ("检查单元格", "Cells checked"),
    "data_quality.tile.system_help": (
        "该系统各检查项全院合格率的平均值(最新一期，每个检查项权重相同)。",
        "Mean of the system's checks' hospital-wide pass rates (latest period; every check weighs the same).",
    ),
    "data_quality.worst": ("最差的单元格", "Worst cells first"),
    "data_quality.drops": ("较上期明显下降", "Dropped since the previous period"),
    "data_quality.col.previous_period": ("上一期", "Previous period"),
    "data_quality.col.previous_rate": ("上期合格率", "Previous pass rate"),
    "data_quality.trend": ("趋势与目标", "Trend and target"),
    "data_quality.pick": ("选择单元格", "Cell"),
    "data_quality.cell_label": ("{system} · {department} · {check}", "{system} · {department} · {check}"),
    "data_quality.hospital": ("全院", "Whole hospital"),
    "data_quality.checks": (
        "各检查项趋势(全院；按科室筛选时为所选科室合计)",
        "Each check over time (whole hospital; the chosen departments together when filtered)",
    ),
    "data_quality.no_rate": ("该单元格没有检查记录(检查数为 0)。", "Nothing was checked in this cell (0 records)."),
    "data_quality.col.system": ("系统", "System"),
    "data_quality.col.department": ("科室", "Department"),
    "data_quality.col.check_name": ("检查项目", "Check"),
    "data_quality.col.dimension": ("质量维度", "Dimension"),
    "data_quality.col.period": ("统计周期", "Period"),
    "data_quality.col.numerator": ("合格数", "Passed"),
    "data_quality.col.denominator": ("检查数", "Checked"),
    "data_quality.col.rate": ("合格率", "Pass rate"),
    "data_quality.col.target": ("目标", "Target"),
    "data_quality.col.gap": ("与目标差距", "Gap to target"),
    "data_quality.col.change": ("较上期变化", "Change since last period"),
    "data_quality.col.below_target": ("低于目标", "Below target"),
    "data_quality.col.dropped": ("下降", "Dropped"),
    "data_quality.help.gap": ("合格率 − 目标，负数表示未达标", "Pass rate − target; negative = below target"),
    "data_quality.help.change": ("与上一期相比的百分点变化", "Change in percentage points since the previous period"),
}
