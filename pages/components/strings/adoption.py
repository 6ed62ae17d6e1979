"""Adoption page strings: usage-rate ranking, heatmap, roll-out matrix, trends and "my department"."""

STRINGS: dict[str, tuple[str, str]] = {
    "adoption.title": ("系统应用", "System adoption"),
    "adoption.empty": ("当前筛选条件下没有系统使用数据。", "No system usage data for these filters."),
    "adoption.rule": (
        "使用率 = 活跃用户 ÷ 应用人数，按科室和系统汇总(Σ活跃 ÷ Σ应用人数)；应用人数为空或 0 的记录不计入使用率，单独列为“无应用人数”。",
        "Usage rate = active ÷ eligible users, summed per department and system (Σactive ÷ Σeligible); rows "
        "without eligible users (empty or 0) are left out of rates and listed as “no eligible users”.",
    ),
    "adoption.system": ("系统", "System"),
    "adoption.all_systems": ("全部系统(加权平均)", "All systems (weighted mean)"),
    "adoption.period": ("统计周期", "Period"),
    "adoption.period.week": ("周", "Week"),
    "adoption.period.month": ("月", "Month"),
    # ranking
    "adoption.ranking.header": ("科室使用率排名", "Department ranking"),
    "adoption.ranking.caption": (
        "{period} 的使用率，与上一期({previous})相比的名次变化；目标 {target}。名次在全部 {n} 个科室中排列，与科室筛选无关。"
        "颜色按目标：绿色达到目标，黄色低于目标 10 个百分点以内，红色低于更多；黑框为末位。点击柱形，右侧显示该科室趋势。",
        "Usage rate in {period}, rank change since {previous}; target {target}. Ranks are among all {n} "
        "departments, whatever the department filter. Colours follow the target: green on target, amber up to 10 "
        "points below, red further; a dark outline marks the bottom. Click a bar to see its trend on the right.",
    ),
    "adoption.ranking.no_previous": ("无", "none"),
    "adoption.col.rank": ("名次", "Rank"),
    "adoption.col.issue_label": ("问题", "Issue"),
    "adoption.col.phase_label": ("阶段", "Phase"),
    "adoption.col.pilot_date": ("试点日期", "Pilot date"),
    "adoption.col.live_date": ("上线日期", "Go-live date"),
    "adoption.col.milestone": ("里程碑", "Milestone"),
    "adoption.col.coverage_before": ("上线前培训覆盖率", "Training coverage before go-live"),
    "adoption.col.ready_before": ("上线准备就绪比例", "Readiness items ready"),
    "adoption.col.rate_after": ("上线后使用率", "Usage rate after go-live"),
    "adoption.beside.title": ("{department} 的使用率趋势", "{department}: usage trend"),
    "adoption.beside.hint": (
        "点击左侧任一科室的柱形，这里显示它的趋势。",
        "Click a department's bar: its trend shows here.",
    ),
    "adoption.anonymous_note": (
        "医院已开启匿名比较：除本科室外，其他科室以编号(#01 起，按使用率从高到低)显示。",
        "The hospital has anonymity on: departments other than yours show as codes (#01 up, best rate first).",
    ),
    "adoption.col.movement": ("名次变化", "Change"),
    "adoption.col.department": ("科室", "Department"),
    "adoption.col.system": ("系统", "System"),
    "adoption.col.rate": ("使用率", "Usage rate"),
    "adoption.col.gap": ("距目标", "Gap to target"),
    "adoption.col.target": ("目标", "Target"),
    "adoption.col.bottom": ("末位", "Bottom"),
    "adoption.col.active": ("活跃用户", "Active users"),
    "adoption.col.eligible": ("应用人数", "Eligible users"),
    "adoption.col.no_eligible_rows": ("无应用人数记录", "Rows without eligible users"),
    "adoption.col.period": ("周期", "Period"),
    "adoption.col.issue": ("问题", "Issue"),
    "adoption.col.n_ranked": ("参与排名科室数", "Departments ranked"),
    "adoption.col.rank_change": ("名次变化(位)", "Places moved"),
    "adoption.col.others_median": ("其他科室中位数", "Median of others"),
    "adoption.warnings": (
        "数据提示：{over} 条记录使用率超过 100%，{none} 条记录没有应用人数。",
        "Data warnings: {over} rates above 100 %, {none} without eligible users.",
    ),
    "adoption.warnings.detail": ("查看数据提示", "Show the data warnings"),
    # heatmap, roll-out, trend
    "adoption.tab.heatmap": ("科室 × 系统使用率", "Department × system"),
    "adoption.tab.rollout": ("上线进展", "Roll-out"),
    "adoption.tab.trend": ("趋势", "Trend"),
    "adoption.tab.mine": ("我的科室", "My department"),
    "adoption.heatmap.caption": (
        "各系统最近一期的使用率；颜色按各系统目标(见右侧图例)。",
        "Each system's rate in its latest period, coloured against its target (legend on the right).",
    ),
    "adoption.heatmap.unlabelled": (
        "超过 {cells} 格时格内不写数值：鼠标悬停可看每格的使用率；在上方选择一个系统，排名表按科室列出该系统的使用率。",
        "Above {cells} cells the rates are not written in the cells: hover a cell for its rate, or pick a system "
        "above and the ranking table lists that system's rate for each department.",
    ),
    "adoption.rollout.caption": (
        "由计划里程碑推算：名称含系统与科室名的“试点”里程碑记为试点，“上线”记为上线，“全院上线”适用于使用该系统的全部科室；评审、验收类里程碑不计。",
        "From the plan's milestones: a milestone naming the system and a department is a pilot (“试点”) or a "
        "go-live (“上线”); a hospital-wide go-live (“全院上线”) covers every department using the system; reviews "
        "and acceptances do not count.",
    ),
    "adoption.trend.department": ("科室", "Department"),
    "adoption.trend.hospital": ("全院", "Whole hospital"),
    "adoption.trend.caption": (
        "实线为所选科室，虚线为全院；竖线为上线(实线)和试点(虚线)日期。",
        "Solid: the department; dotted: the whole hospital; vertical lines: go-live (solid) and pilot (dashed).",
    ),
    # my department
    "adoption.mine.department": ("我的科室", "My department"),
    "adoption.mine.anonymous": ("匿名比较(不显示其他科室名称)", "Anonymous (hide other departments' names)"),
    "adoption.mine.anonymous_forced": (
        "医院已开启匿名比较，只显示其他科室的中位数。",
        "The hospital has turned anonymity on: only the median of the others is shown.",
    ),
    "adoption.mine.rank": ("综合名次", "Overall rank"),
    "adoption.mine.rank_value": ("{rank} / {n}", "{rank} of {n}"),
    "adoption.mine.rate": ("综合使用率", "Overall usage rate"),
    "adoption.mine.none": (
        "该科室最近一期没有可计算的使用率。",
        "No usage rate for this department in the latest period.",
    ),
    "adoption.mine.others": ("其他科室", "Other departments"),
    "adoption.mine.trend": ("本科室与其他科室中位数的趋势", "Trend against the median of the others"),
}
