"""Sign-in, roles, the admin and audit pages."""

STRINGS: dict[str, tuple[str, str]] = {
    "auth.title": ("登录 · 医院信息化项目驾驶舱", "Sign in · HIT Cockpit"),
    "auth.oidc": ("用医院统一身份认证登录", "Sign in with the hospital's single sign-on"),
    "auth.user": ("用户名", "User name"),
    "auth.password": ("密码", "Password"),
    "auth.sign_in": ("登录", "Sign in"),
    "auth.sign_out": ("退出登录", "Sign out"),
    "auth.failed": ("用户名或密码不正确。", "Wrong user name or password."),
    "auth.locked": (
        "登录失败次数过多，账户已锁定至 {until}。请稍后再试或请管理员重置密码。",
        "Too many failed attempts: the account is locked until {until}. Try later or ask the admin for a reset.",
    ),
    "auth.no_role": (
        "{user} 已通过身份认证，但在驾驶舱中没有角色。请联系管理员分配角色。",
        "{user} is signed in but has no role in the cockpit. Ask the admin to assign one.",
    ),
    "auth.expired": ("登录已过期，请重新登录。", "Your session expired; sign in again."),
    "auth.demo": (
        "演示模式：未配置登录，所有人都是项目办(PMO)。仅限本机访问。",
        "Demo mode: no sign-in configured, everyone is the PMO. Local access only.",
    ),
    "auth.unguarded": (
        "请用 `make run` 或 `streamlit run serve.py` 启动(主机名检查与登录保护)，不要直接运行 app.py。",
        "Start with `make run` or `streamlit run serve.py` (host check and sign-in), not app.py directly.",
    ),
    "auth.signed_in_as": ("当前用户：{user}({role})", "Signed in: {user} ({role})"),
    "auth.role.president": ("院长", "President"),
    "auth.role.finance": ("财务", "Finance"),
    "auth.role.dept_head": ("科室主任", "Department head"),
    "auth.role.pmo": ("项目办", "PMO"),
    "auth.role.admin": ("管理员", "Admin"),
    "auth.refused": ("当前角色无权执行此操作。", "Your role may not do this."),
    # navigation
    "common.section.admin": ("管理", "Administration"),
    "common.page.admin": ("用户与角色", "Users & roles"),
    "common.page.audit": ("审计日志", "Audit log"),
    # admin page
    "admin.title": ("用户与角色", "Users & roles"),
    "admin.caption": (
        "本地账户与角色表(统一身份认证用户无角色声明时也在此分配角色)。命令行：`python -m auth users …`。",
        "Local accounts and the roles file (also for single sign-on users whose token has no role claim). "
        "Command line: `python -m auth users …`.",
    ),
    "admin.col.username": ("用户名", "User"),
    "admin.col.display_name": ("姓名", "Name"),
    "admin.col.role": ("角色", "Role"),
    "admin.col.department": ("科室", "Department"),
    "admin.col.disabled": ("已停用", "Disabled"),
    "admin.col.failures": ("连续失败", "Failures"),
    "admin.col.locked_until": ("锁定至", "Locked until"),
    "admin.col.local_password": ("本地密码", "Local password"),
    "admin.col.updated_at": ("更新时间", "Updated"),
    "admin.change.header": ("修改角色", "Change a role"),
    "admin.change.user": ("用户", "User"),
    "admin.change.role": ("新角色", "New role"),
    "admin.change.department": ("科室(科室主任必填)", "Department (department heads)"),
    "admin.change.apply": ("保存", "Save"),
    "admin.change.done": ("已修改 {user} 的角色。", "Role of {user} changed."),
    "admin.change.disable": ("停用 / 启用", "Disable / enable"),
    # audit page
    "audit.title": ("审计日志", "Audit log"),
    "audit.caption": (
        "登录与失败、导入、撤销、列映射修改、下载和角色变更，最新在前。只追加，不可修改。",
        "Sign-ins and failures, imports, undos, mapping changes, downloads and role changes, newest first. "
        "Append-only.",
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
    # data page additions
    "auth.mapping_override": (
        "已保存的列映射改写了导入程序自己识别的列：{columns}。请确认这是您要的。",
        "A saved column mapping overrides columns the importer recognised by itself: {columns}. Check this is meant.",
    ),
    "auth.quota": (
        "本次会话的上传已达上限({files} 个文件 / {mb} MB)。请先载入或取消已暂存的文件。",
        "This session's upload limit is reached ({files} files / {mb} MB). Load or cancel staged files first.",
    ),
}
