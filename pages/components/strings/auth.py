"""Sign-in, roles, and the refusals and warnings that come with them."""

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
    "auth.mapping_override": (
        "已保存的列映射改写了导入程序自己识别的列：{columns}。请确认这是您要的。",
        "A saved column mapping overrides columns the importer recognised by itself: {columns}. Check this is meant.",
    ),
    "auth.quota": (
        "本次会话的上传已达上限({files} 个文件 / {mb} MB)。请先载入或取消已暂存的文件。",
        "This session's upload limit is reached ({files} files / {mb} MB). Load or cancel staged files first.",
    ),
}
