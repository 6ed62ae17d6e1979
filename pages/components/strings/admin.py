"""The admin's page: users and roles."""

STRINGS: dict[str, tuple[str, str]] = {
    "admin.title": ("用户与角色", "Users & roles"),
    "admin.caption": (
        "本地账户与角色表(统一身份认证用户无角色声明时也在此分配角色)。命令行：`python -m auth users …`。",
        "Local accounts and the roles file (also for single sign-on users whose token has no role claim). Command line: `python -m auth users …`.",
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
}
