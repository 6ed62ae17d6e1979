"""Risks and decisions page strings: heatmap, register, movement, trend, the president's list."""

STRINGS: dict[str, tuple[str, str]] = {
    "risks.title": ("风险与变更", "Risks and decisions"),
    "risks.caption": (
        "风险登记册截至 {as_of}；评审以 {day} 计，超过 {days} 天未评审视为逾期。",
        "Risk register as of {as_of}; reviews measured at {day}, overdue after {days} days.",
    ),
    "risks.empty": ("当前筛选条件下没有风险登记记录。", "No risk register for these filters."),
    "risks.bands_help": (
        "分值 = 可能性 × 影响(各 1–5)。低 {low}，中 {medium}，高 {high}，极高 {critical}。17–19 分不可能出现。",
        "Score = likelihood × impact (1–5 each). Low {low}, medium {medium}, high {high}, critical {critical}. "
        "Scores 17–19 cannot occur.",
    ),
    # tiles
    "risks.tile.open": ("未关闭风险", "Open risks"),
    "risks.tile.critical": ("极高风险", "Critical risks"),
    "risks.tile.overdue": ("逾期未评审", "Reviews overdue"),
    "risks.tile.decisions": ("待决策事项", "Decisions waiting"),
    # bands
    "risks.band.low": ("低", "Low"),
    "risks.band.medium": ("中", "Medium"),
    "risks.band.high": ("高", "High"),
    "risks.band.critical": ("极高", "Critical"),
    # filters
    "risks.filter.owner": ("责任人", "Owner"),
    "risks.filter.status": ("状态", "Status"),
    "risks.filter.band": ("风险等级", "Band"),
    "risks.filter.all": ("全部", "All"),
    # heatmap
    "risks.heatmap.header": ("风险矩阵(未关闭风险)", "Risk heatmap (open risks)"),
    "risks.heatmap.hint": (
        "点击格子查看该格的风险；箭头表示与上期快照相比移动的风险。",
        "Click a cell to list its risks; arrows show risks that moved since the previous snapshot.",
    ),
    "risks.cell.title": ("可能性 {lik} × 影响 {imp}", "Likelihood {lik} × impact {imp}"),
    "risks.cell.clear": ("清除选择", "Clear selection"),
    "risks.cell.none": ("该格当前没有风险。", "No risks in this cell now."),
    # register
    "risks.register.header": ("风险登记册", "Risk register"),
    "risks.register.tab.scores": ("评分与评审", "Scores and reviews"),
    "risks.register.tab.responses": ("应对措施与残余风险", "Responses and residual risk"),
    "risks.register.overdue_note": ("底色标出逾期未评审的风险。", "Shaded rows are overdue for review."),
    "risks.col.project": ("项目", "Project"),
    "risks.col.risk_id": ("编号", "ID"),
    "risks.col.id": ("编号", "ID"),
    "risks.col.title": ("风险", "Risk"),
    "risks.col.item": ("事项", "Item"),
    "risks.col.category": ("类别", "Category"),
    "risks.col.likelihood": ("可能性", "Likelihood"),
    "risks.col.impact": ("影响", "Impact"),
    "risks.col.score": ("分值", "Score"),
    "risks.col.band": ("等级", "Band"),
    "risks.col.residual_likelihood": ("残余可能性", "Residual likelihood"),
    "risks.col.residual_impact": ("残余影响", "Residual impact"),
    "risks.col.residual_score": ("残余分值", "Residual score"),
    "risks.col.residual_band": ("残余等级", "Residual band"),
    "risks.col.owner": ("责任人", "Owner"),
    "risks.col.status": ("状态", "Status"),
    "risks.col.mitigation": ("应对措施", "Mitigation"),
    "risks.col.contingency": ("应急预案", "Contingency plan"),
    "risks.col.last_review": ("最近评审", "Last review"),
    "risks.col.days_since_review": ("距上次评审(天)", "Days since review"),
    "risks.col.overdue": ("逾期未评审", "Review overdue"),
    "risks.col.prev_score": ("上期分值", "Previous score"),
    "risks.col.prev_band": ("上期等级", "Previous band"),
    "risks.col.kind": ("类型", "Kind"),
    "risks.col.age_days": ("已等待(天)", "Waiting (days)"),
    "risks.col.cost_impact": ("费用影响", "Cost impact"),
    "risks.col.schedule_impact_days": ("工期影响(天)", "Schedule impact (days)"),
    # movement
    "risks.move.header": ("与上期快照相比", "Since the previous snapshot"),
    "risks.move.none": (
        "只有一期风险快照，暂无变化可比。",
        "Only one risk snapshot so far: nothing to compare yet.",
    ),
    "risks.move.new": ("新增", "New"),
    "risks.move.closed": ("关闭", "Closed"),
    "risks.move.worsened": ("恶化", "Worsened"),
    "risks.move.improved": ("改善", "Improved"),
    "risks.move.empty": ("无。", "None."),
    "risks.move.waterfall": (
        "上期未关闭 {previous} + 新增 {new} − 关闭 {closed} = 本期未关闭 {current}",
        "Open before {previous} + new {new} − closed {closed} = open now {current}",
    ),
    # trend
    "risks.trend.header": ("各等级未关闭风险(按周)", "Open risks by band per week"),
    # decisions
    "risks.decisions.header": ("待决策事项", "Decisions waiting"),
    "risks.decisions.help": (
        "待变更控制委员会审批的变更申请(按等待天数)，以及没有责任人的极高风险。",
        "Change requests pending the change-control board (oldest first) and critical risks without an owner.",
    ),
    "risks.decisions.none": ("目前没有待决策事项。", "Nothing waiting for a decision."),
    "risks.kind.change": ("变更申请", "Change request"),
    "risks.kind.risk": ("无责任人的极高风险", "Critical risk, no owner"),
}
