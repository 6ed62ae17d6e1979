"""The audit log page."""

STRINGS: dict[str, tuple[str, str]] = {
    "audit.title": ("审计日志", "Audit log"),
    "audit.caption": (
        "登录与失败、导入、撤销、列映射修改、下载和角色变更，最新在前。只追加，不可修改。",
        "Sign-ins and failures, imports, undos, mapping changes, downloads and role changes, newest first. Append-only.",
    ),
    "audit.empty": ("还没有审计记录。", "No audit events yet."),
    "audit.col.audit_id": ("编号", "No."),
    "audit.col.occurred_at": ("时间(UTC)", "Time (UTC)"),
    "audit.col.who": ("用户", "Who"),
    "audit.col.role": ("角色", "Role"),
    "audit.col.event": ("事件", "Event"),
    "audit.col.subject": ("对象", "Subject"),
    "audit.col.scope": ("范围", "Scope"),
    "audit.col.result": ("结果", "Result"),
    "audit.col.note": ("详情", "Detail"),
}
