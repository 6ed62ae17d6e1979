"""Shell strings: navigation, filters, empty states, store errors, downloads."""

STRINGS: dict[str, tuple[str, str]] = {
    "common.app.title": ("医院信息化项目驾驶舱", "HIT Cockpit"),
    # navigation sections and pages
    "common.section.overview": ("总览", "Overview"),
    "common.section.schedule": ("进度", "Schedule"),
    "common.section.money": ("资金", "Money"),
    "common.section.risks": ("风险与变更", "Risks & changes"),
    "common.section.adoption": ("应用与效益", "Adoption & benefits"),
    "common.section.data": ("数据", "Data"),
    "common.page.overview": ("项目总览", "Programme overview"),
    "common.page.schedule": ("进度与里程碑", "Schedule & milestones"),
    "common.page.money": ("预算与支出", "Budget & spend"),
    "common.page.risks": ("风险与变更", "Risks & changes"),
    "common.page.adoption": ("系统应用", "Adoption"),
    "common.page.benefits": ("效益指标", "Benefits"),
    "common.page.data": ("数据导入", "Data import"),
    "common.section.admin": ("管理", "Administration"),
    "common.page.admin": ("用户与角色", "Users & roles"),
    "common.page.audit": ("审计日志", "Audit log"),
    # sidebar filters
    "common.filter.header": ("筛选", "Filters"),
    "common.filter.hospitals": ("医院", "Hospitals"),
    "common.filter.projects": ("项目", "Projects"),
    "common.filter.departments": ("科室", "Departments"),
    "common.filter.all": ("全部", "All"),
    "common.filter.dates": ("日期范围", "Date range"),
    "common.filter.as_of": ("数据截至(周)", "As of (week)"),
    "common.filter.as_of_latest": ("最新", "Latest"),
    "common.filter.as_of_help": (
        "查看某一周导入的计划、风险和变更快照；留空为最新。",
        "Look at the plan, risk and change snapshots of one week; empty means the latest.",
    ),
    # empty state and store errors
    "common.empty.title": ("还没有数据。", "No data yet."),
    "common.empty.body": (
        "请在数据页导入项目计划、预算、费用、风险等导出文件，或运行 `python -m loaders demo` 载入演示数据。",
        "Import the plan, budget, cost and risk exports on the data page, or run `python -m loaders demo`.",
    ),
    "common.empty.go": ("前往数据导入", "Go to data import"),
    "common.empty.filtered": ("当前筛选条件下没有数据。", "Nothing for these filters."),
    "common.store.retry": ("重试", "Retry"),
    "common.store.retry_hint": (
        "这是管理员需要处理的问题：解除占用或从备份恢复后，点击重试即可。",
        "An administrator can fix this: release the lock or restore from backup, then retry.",
    ),
    "common.error.CockpitError": ("操作失败", "Something went wrong"),
    "common.error.FileRefused": ("文件被拒绝", "File refused"),
    "common.error.ValidationFailed": ("数据校验未通过", "Validation failed"),
    "common.error.StoreUnavailable": ("数据库不可用", "The data store is unavailable"),
    "common.error.StoreLocked": ("数据库不可用", "The data store is unavailable"),
    "common.error.ImportBusy": ("已有导入正在进行", "An import is running"),
    # status lights (drawn as badges) and units in headers
    "common.light.green": ("正常", "On track"),
    "common.light.amber": ("关注", "Watch"),
    "common.light.red": ("预警", "Alert"),
    "common.light.none": ("无数据", "No data"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    "common.unit.header": ("{label}({unit})", "{label} ({unit})"),
    # downloads
    "common.download.xlsx": ("下载 Excel", "Download Excel"),
    "common.download.csv": ("下载 CSV", "Download CSV"),
    "common.table.first_rows": (
        "显示前 {shown} 行，共 {total} 行；下载文件包含全部行。",
        "Showing the first {shown} of {total} rows; the downloads hold every row.",
    ),
}
