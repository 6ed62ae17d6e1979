"""Operations page strings: SLA compliance, MTTR and backlog, incidents per 1,000 users, inspections, scorecard."""

STRINGS: dict[str, tuple[str, str]] = {
    "operations.title": ("运维与健康度", "Operations & system health"),
    "operations.empty": (
        "当前筛选条件下没有运维工单或巡检记录。请在数据页导入运维工单、巡检记录。",
        "No tickets or inspections for these filters. Import the help-desk export and inspection log on the data page.",
    ),
    "operations.caption": (
        "统计期 {start} 至 {end}(按报修时间计入)。服务时限(分钟，响应/解决)：{targets}。"
        "未结束的时限按 {judged} 判断(统计期末与工单数据最新时间中较早者)。",
        "Period {start} to {end} (tickets counted by when they were opened). SLA targets in minutes "
        "(response/resolution): {targets}. Clocks still running are judged at {judged} (the period end or the "
        "latest time in the ticket data, whichever is earlier).",
    ),
    "operations.rule": (
        "达标率 = 达标 ÷ (达标 + 超时)。统计期末仍未响应或未解决的工单：已超过时限记为超时，未超过记为“未到期”，不计入。"
        "未登记响应时间但已解决的工单，以解决时间作为响应时间。",
        "Compliance = met ÷ (met + breached). A ticket still waiting at the period end is breached once past its "
        "target, otherwise pending and not counted. A ticket resolved without a recorded response was answered when "
        "it was resolved.",
    ),
    "operations.tile.tickets": ("工单数", "Tickets"),
    "operations.tile.response": ("响应达标率", "Response SLA"),
    "operations.tile.resolution": ("解决达标率", "Resolution SLA"),
    "operations.tile.breaches": ("超时未解决", "Open past target"),
    "operations.tile.inspections": ("巡检完成率", "Inspections done"),
    "operations.tile.no_response": ("其中 {n} 张无响应时间", "{n} without a response time"),
    "operations.sla.header": ("服务时限达标率(系统 × 优先级)", "SLA compliance (system × priority)"),
    "operations.clock": ("时限", "Clock"),
    "operations.clock.response": ("响应", "Response"),
    "operations.clock.resolution": ("解决", "Resolution"),
    "operations.breaches.header": ("超过解决时限仍未解决的工单", "Tickets open past their resolution target"),
    "operations.breaches.none": ("没有超过解决时限仍未解决的工单。", "No ticket is open past its resolution target."),
    "operations.trend.header": ("平均修复时长与积压", "MTTR and backlog"),
    "operations.trend.mttr": (
        "平均修复时长：统计期内解决的工单，从报修到解决的平均小时数，按解决月份。",
        "MTTR: mean hours from opened to resolved of the tickets resolved, by month of resolution.",
    ),
    "operations.trend.backlog": (
        "积压：每周末仍未解决的工单数(含统计期前报修的)。",
        "Backlog: tickets still open at the end of each week (including those opened before the period).",
    ),
    "operations.rates.header": ("每千活跃用户工单数", "Tickets per 1,000 active users"),
    "operations.rates.caption": (
        "活跃用户 = 系统使用数据中各科室活跃用户数之和，取当月各期平均；每千人 = 当月工单 ÷ 活跃用户 × 1000。"
        "合计按“千人·月”计：Σ 工单 ÷ Σ 月活跃用户 × 1000。",
        "Active users = the usage export's active users summed over departments, averaged over the month's periods; "
        "per 1,000 = the month's tickets ÷ active users × 1,000. Over the period: Σ tickets ÷ Σ monthly active users × "
        "1,000 (per 1,000 user-months).",
    ),
    "operations.inspections.header": ("巡检完成情况", "Inspection completion"),
    "operations.inspections.caption": (
        "计划在统计期内(截至今天)的巡检中已完成的比例；无实际巡检日期视为未巡检。",
        "Share of the inspections planned in the period (up to today) that were done; no done date = not done.",
    ),
    "operations.scorecard.header": ("{year} 年度系统健康评分", "{year} system health scorecard"),
    "operations.scorecard.caption": (
        "综合评分 = 各项加权平均(权重：{weights})，缺项时按其余权重重新归一。可用率暂无数据，以服务时限达标率代替；"
        "数据质量为该系统各项质控最近一期合格率的均值。工单项：每千活跃用户每月 0 张得满分，{ceiling:g} 张及以上得 0。"
        "≥ 85% 正常，≥ 70% 关注，以下为预警。",
        "Composite = weighted mean (weights: {weights}), renormalised over the parts a system has. No availability "
        "data is loaded, so SLA compliance stands for it; data quality is the mean pass rate of the system's checks "
        "in their latest period. Incidents: 0 tickets per "
        "1,000 active users a month scores 100 %, {ceiling:g} or more 0 %. ≥ 85 % on track, ≥ 70 % at risk, below off "
        "track.",
    ),
    "operations.weight.sla": ("时限达标率", "SLA compliance"),
    "operations.weight.join": ("、", ", "),
    "operations.weight.incidents": ("工单率", "incident rate"),
    "operations.weight.inspections": ("巡检完成率", "inspection completion"),
    "operations.weight.usage": ("使用率", "usage rate"),
    "operations.weight.quality": ("数据质量", "data quality"),
    "operations.col.quality": ("数据质量", "Data quality"),
    "operations.col.system": ("系统", "System"),
    "operations.col.priority": ("优先级", "Priority"),
    "operations.col.tickets": ("工单数", "Tickets"),
    "operations.col.no_response": ("无响应时间", "No response time"),
    "operations.col.response_target_min": ("响应时限(分钟)", "Response target (min)"),
    "operations.col.response_met": ("响应达标", "Response met"),
    "operations.col.response_breached": ("响应超时", "Response breached"),
    "operations.col.response_pending": ("响应未到期", "Response pending"),
    "operations.col.response_compliance": ("响应达标率", "Response compliance"),
    "operations.col.resolution_target_min": ("解决时限(分钟)", "Resolution target (min)"),
    "operations.col.resolution_met": ("解决达标", "Resolution met"),
    "operations.col.resolution_breached": ("解决超时", "Resolution breached"),
    "operations.col.resolution_pending": ("解决未到期", "Resolution pending"),
    "operations.col.resolution_compliance": ("解决达标率", "Resolution compliance"),
    "operations.col.ticket_id": ("工单编号", "Ticket"),
    "operations.col.department": ("科室", "Department"),
    "operations.col.title": ("问题描述", "Summary"),
    "operations.col.opened": ("报修时间", "Opened"),
    "operations.col.target_min": ("解决时限(分钟)", "Target (min)"),
    "operations.col.elapsed_min": ("已用时(分钟)", "Elapsed (min)"),
    "operations.col.resolved": ("已解决", "Resolved"),
    "operations.col.mttr_hours": ("平均修复时长(小时)", "MTTR (hours)"),
    "operations.col.user_months": ("活跃用户·月", "User-months"),
    "operations.col.per_1000": ("每千人工单数(月)", "Per 1,000 users (month)"),
    "operations.col.no_usage_tickets": ("无使用数据月份的工单", "Tickets in months without usage"),
    "operations.col.planned": ("计划巡检", "Planned"),
    "operations.col.done": ("已巡检", "Done"),
    "operations.col.missed": ("未巡检", "Missed"),
    "operations.col.completion": ("完成率", "Completion"),
    "operations.col.items_checked": ("巡检项", "Items checked"),
    "operations.col.items_failed": ("异常项", "Items failed"),
    "operations.col.sla": ("时限达标率", "SLA compliance"),
    "operations.col.incidents": ("工单率得分", "Incident score"),
    "operations.col.inspections": ("巡检完成率", "Inspections"),
    "operations.col.usage": ("使用率", "Usage rate"),
    "operations.col.score": ("综合评分", "Score"),
    "operations.col.light": ("状态", "Status"),
    "operations.col.components": ("评分项数", "Parts scored"),
    "operations.help.no_response": (
        "统计期末仍没有响应时间的工单(已解决的以解决时间作为响应)",
        "Tickets with no response time at the period end (a resolved one counts its resolution as the response)",
    ),
}
