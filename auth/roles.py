"""The five roles, the pages and actions each may use, and the identity a signed-in person carries.

Deny by default: a role not listed here, or no role at all, gets no page and no action.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from metrics.scope import Scope

PRESIDENT, FINANCE, DEPT_HEAD, PMO, ADMIN = "president", "finance", "dept_head", "pmo", "admin"
ROLES: tuple[str, ...] = (PRESIDENT, FINANCE, DEPT_HEAD, PMO, ADMIN)

# Page files per role. The president sees every data page read-only; finance the overview and money (where the
# change ledger lives); a department head the overview, adoption and benefits; the PMO everything including
# imports and the audit log; the admin only users/roles and the audit log.
_DATA_PAGES = ("overview.py", "schedule.py", "money.py", "risks.py", "adoption.py", "benefits.py", "readiness.py")
_QUALITY_PAGES = ("data_quality.py", "grading.py")  # after go-live: data quality (department-scoped), EMR grading
ROLE_PAGES: dict[str, frozenset[str]] = {
    PRESIDENT: frozenset({*_DATA_PAGES, *_QUALITY_PAGES}),
    FINANCE: frozenset({"overview.py", "money.py"}),
    DEPT_HEAD: frozenset({"overview.py", "adoption.py", "benefits.py", "readiness.py", "data_quality.py"}),
    PMO: frozenset({*_DATA_PAGES, *_QUALITY_PAGES, "data.py", "audit.py"}),
    ADMIN: frozenset({"admin.py", "audit.py"}),
}

# Actions beyond reading a page.
IMPORT, UNDO, SAVE_MAPPING, DOWNLOAD_ORIGINAL, READ_AUDIT, MANAGE_USERS = (
    "import",
    "undo",
    "save_mapping",
    "download_original",
    "read_audit",
    "manage_users",
)
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    PMO: frozenset({IMPORT, UNDO, SAVE_MAPPING, DOWNLOAD_ORIGINAL, READ_AUDIT}),
    ADMIN: frozenset({READ_AUDIT, MANAGE_USERS}),
}


@dataclass(frozen=True)
class Identity:
    """A signed-in person. `department` binds a department head's scope, `hospital` anyone's scope to one hospital
    of a group (from the identity only: an OIDC claim or the roles file)."""

    user: str
    role: str | None
    department: str | None = None
    name: str = ""
    source: str = "local"  # local | oidc | demo | test
    expires: dt.datetime | None = None  # the ID token's expiry (OIDC), None for local sessions
    hospital: str | None = None  # a member hospital's people see only its rows; None = every hospital

    @property
    def valid_role(self) -> bool:
        if self.role not in ROLES:
            return False
        return self.role != DEPT_HEAD or bool(self.department)  # a head without a department sees nothing

    def cache_key(self) -> str:
        """Role, bound department and hospital: part of every cache key, so no two scopes share a cached result."""
        if not self.valid_role:
            return "none:"
        return f"{self.role}:{self.department or ''}" + (f"@{self.hospital}" if self.hospital else "")


def pages_for(identity: Identity | None) -> frozenset[str]:
    if identity is None or not identity.valid_role:
        return frozenset()
    return ROLE_PAGES[str(identity.role)]


def may(identity: Identity | None, action: str) -> bool:
    if identity is None or not identity.valid_role:
        return False
    return action in ROLE_ACTIONS.get(str(identity.role), frozenset())


def bind(scope: Scope, identity: Identity | None) -> Scope:
    """The scope a person may see: a department head's departments are always theirs alone, and a person bound to
    a hospital sees that hospital alone, whatever was asked."""
    if identity is not None and identity.hospital:
        scope = dataclasses.replace(scope, hospitals=(identity.hospital,))
    if identity is not None and identity.role == DEPT_HEAD:
        return dataclasses.replace(scope, departments=(identity.department or "\x00none",))
    return scope


def anonymise_others(identity: Identity | None, anonymous_setting: bool) -> str | None:
    """The department whose name stays visible when other departments' names must be hidden, else None."""
    if identity is not None and identity.role == DEPT_HEAD and anonymous_setting:
        return identity.department or ""
    return None
