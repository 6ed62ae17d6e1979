"""Benefits page strings: KPI tiles, before/after table and interrupted time series."""

STRINGS: dict[str, tuple[str, str]] = {
    "benefits.title": ("效益指标", "Benefits"),
    "benefits.empty": ("当前筛选条件下没有效益指标数据。", "No benefit KPIs for these filters."),
    "benefits.caption": (
        "最新一期 {period}；变化为与上一期相比，绿色表示向好、红色表示变差(等候时间下降为好，满意度上升为好)。"
        "小曲线的颜色：绿色 = 较基线改善，红色 = 较基线变差，灰色 = 无基线。基线为系统首次上线前的均值。",
        "Latest period {period}; change since the previous period, green good news and red bad news (a drop in "
        "wait time, a rise in satisfaction are good). Sparklines: green better than baseline, red worse, grey no "
        "baseline. Baseline = mean before the system's first go-live.",
    ),
    "benefits.value": ("{value} {unit}", "{value} {unit}"),
    "benefits.delta": ("{delta} {unit}", "{delta} {unit}"),
    "benefits.tile.help": (
        "{better}。基线 {baseline}，目标 {target}，较基线改善 {improvement}。",
        "{better}. Baseline {baseline}, target {target}, improvement on baseline {improvement}.",
    ),
    "benefits.tile.line": ("基线 {baseline} · 目标 {target}", "Baseline {baseline} · target {target}"),
    "benefits.lower": ("越低越好", "Lower is better"),
    "benefits.higher": ("越高越好", "Higher is better"),
    "benefits.on_target": ("已达目标", "On target"),
    "benefits.off_target": ("未达目标", "Not on target yet"),
    "benefits.hospital": ("全院", "Whole hospital"),
    "benefits.detail.header": ("上线前后对比", "Before and after go-live"),
    "benefits.detail.caption": (
        "上线日期 {go_live}(关联系统 {system} 半数科室上线之日)。之前 = 上线前各期均值，之后 = 上线当期及以后各期均值。",
        "Go-live {go_live} (the day half of the departments were using {system}). Before = mean of the periods "
        "before it; after = mean from it on.",
    ),
    "benefits.detail.no_go_live": (
        "没有找到该指标关联系统的上线日期，无法做前后对比。",
        "No go-live date found for this KPI's system, so there is no before/after.",
    ),
    "benefits.its.caption": (
        "中断时间序列：上线前、后分别用最小二乘拟合直线；虚线为延续上线前趋势的假设值。上线时水平变化 {level}，斜率(每周) {pre} → {post}。",
        "Interrupted time series: least-squares lines before and after go-live; dashed: the pre-trend carried on. "
        "Level change at go-live {level}; slope per week {pre} → {post}.",
    ),
    "benefits.col.department": ("科室", "Department"),
    "benefits.col.before": ("上线前均值", "Mean before"),
    "benefits.col.after": ("上线后均值", "Mean after"),
    "benefits.col.change": ("变化", "Change"),
    "benefits.col.improvement": ("改善幅度", "Improvement"),
    "benefits.col.good": ("向好", "Better"),
    "benefits.col.n_before": ("上线前期数", "Periods before"),
    "benefits.col.n_after": ("上线后期数", "Periods after"),
}
