"""Overview page strings."""

STRINGS: dict[str, tuple[str, str]] = {
    "overview.title": ("项目群总览", "Programme overview"),
    "overview.caption_latest": (
        "各项目最新快照；费用截至 {end}。",
        "Latest snapshot of each project; spend up to {end}.",
    ),
    "overview.caption_as_of": ("快照截至 {as_of}；费用截至 {end}。", "Snapshots as of {as_of}; spend up to {end}."),
    "overview.programme": ("项目群合计", "Programme"),
    "overview.projects": ("项目数", "Projects"),
    "overview.plan_complete": ("计划完成度", "Plan complete"),
    "overview.plan_complete_help": ("按工期加权的完成百分比。", "Percent complete, weighted by task duration."),
    "overview.late_tasks": ("逾期任务", "Late tasks"),
    "overview.late_tasks_help": (
        "完成日期已过但未完成 100% 的任务。",
        "Tasks whose finish date has passed below 100 % complete.",
    ),
    "overview.open_risks": ("未关闭风险", "Open risks"),
    "overview.critical": ("其中严重 {n} 个", "of which {n} critical"),
    "overview.critical_help": ("严重 = 可能性 × 影响 ≥ {score}。", "Critical = likelihood × impact ≥ {score}."),
    "overview.pending_changes": ("待决变更", "Pending changes"),
    "overview.budget_used": ("预算使用率", "Budget used"),
    "overview.budget_line": ("已支出 {spent} / 预算 {budget}", "Spent {spent} of {budget}"),
    "overview.no_budget": ("无预算", "No budget"),
}
