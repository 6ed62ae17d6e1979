"""Local accounts and the roles file: one SQLite file beside the store (0600), argon2id password hashes,
lock-out after repeated failures. SQLite because the admin's CLI writes it while the app runs (DuckDB allows
one process per file). OIDC users get their role here too when the identity provider sends no role claim.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from auth.roles import DEPT_HEAD, ROLES, Identity
from loaders import settings

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the user does not exist, so a wrong user name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username     TEXT PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    role         TEXT,
    department   TEXT,
    pw_hash      TEXT,              -- NULL for OIDC-only entries of the roles file
    disabled     INTEGER NOT NULL DEFAULT 0,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    must_change  INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT NOT NULL,
    hospital     TEXT                -- a hospital group: the one hospital this person sees (NULL = every one)
);
CREATE TABLE IF NOT EXISTS pending_audit (  -- events written while the store was locked; the app moves them
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    who    TEXT NOT NULL,
    event  TEXT NOT NULL,
    target TEXT,
    result TEXT,
    detail TEXT,
    role   TEXT,
    scope  TEXT
);
"""


@dataclass(frozen=True)
class QueuedAudit:
    """An audit event kept in the accounts file until the store takes it (the person's role and scope with it)."""

    at: str
    who: str
    event: str
    target: str | None
    result: str | None
    detail: str | None
    role: str | None = None
    scope: str | None = None


class AccountError(ValueError):
    """A refused account operation (unknown role, user exists, weak password); the message says which."""


@dataclass(frozen=True)
class SignIn:
    ok: bool
    reason: str  # ok | unknown | wrong | locked | disabled | no_password
    identity: Identity | None = None
    locked_until: dt.datetime | None = None


def accounts_path(db_file: str | Path | None = None) -> Path:
    """COCKPIT_ACCOUNTS, else `<store>.accounts.sqlite` beside the store."""
    env = os.environ.get("COCKPIT_ACCOUNTS")
    if env:
        return Path(env)
    db = Path(db_file) if db_file is not None else settings.db_path()
    return db.with_name(db.stem + ".accounts.sqlite")


def max_failures() -> int:
    return int(os.environ.get("COCKPIT_LOCKOUT_FAILURES", "5"))


def lockout_minutes() -> float:
    return float(os.environ.get("COCKPIT_LOCKOUT_MINUTES", "15"))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Accounts:
    """The accounts file. Every method opens its own short transaction (several processes may share it)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        if fresh:  # created private before anything is written to it
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
            os.close(fd)
        with self._db() as con:
            con.executescript(SCHEMA)
            _add_column(con, "users", "hospital")  # an accounts file written before hospital groups
            for column in ("role", "scope"):  # a file written before queued records kept who saw what
                _add_column(con, "pending_audit", column)

    def _db(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10, isolation_level="IMMEDIATE")
        return con

    # ------------------------------------------------------------------ administration

    def add(
        self,
        username: str,
        role: str,
        *,
        password: str | None = None,
        department: str | None = None,
        display_name: str = "",
        hospital: str | None = None,
    ) -> None:
        _check(username, role, department)
        if password is not None:
            _check_password(password)
        with self._db() as con:
            if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
                raise AccountError(f"用户 {username} 已存在 / user {username} exists")
            con.execute(
                "INSERT INTO users (username, display_name, role, department, pw_hash, updated_at, hospital) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    username,
                    display_name,
                    role,
                    department,
                    _HASHER.hash(password) if password else None,
                    _stamp(),
                    hospital or None,
                ],
            )

    def set_role(
        self, username: str, role: str, department: str | None = None, hospital: str | None = None
    ) -> tuple[str | None, str | None]:
        """Change a user's role (and department and hospital); returns the previous (role, department) for the
        audit trail."""
        _check(username, role, department)
        with self._db() as con:
            row = con.execute("SELECT role, department FROM users WHERE username = ?", [username]).fetchone()
            if row is None:
                raise AccountError(f"没有用户 {username} / no user {username}")
            con.execute(
                "UPDATE users SET role = ?, department = ?, hospital = ?, updated_at = ? WHERE username = ?",
                [role, department, hospital or None, _stamp(), username],
            )
        return row[0], row[1]

    def disable(self, username: str, disabled: bool = True) -> None:
        with self._db() as con:
            cur = con.execute(
                "UPDATE users SET disabled = ?, updated_at = ? WHERE username = ?", [int(disabled), _stamp(), username]
            )
            if cur.rowcount == 0:
                raise AccountError(f"没有用户 {username} / no user {username}")

    def reset(self, username: str, password: str) -> None:
        """A new password; clears failures and any lock-out."""
        _check_password(password)
        with self._db() as con:
            cur = con.execute(
                "UPDATE users SET pw_hash = ?, failures = 0, locked_until = NULL, updated_at = ? WHERE username = ?",
                [_HASHER.hash(password), _stamp(), username],
            )
            if cur.rowcount == 0:
                raise AccountError(f"没有用户 {username} / no user {username}")

    def users(self) -> list[dict[str, object]]:
        with self._db() as con:
            con.row_factory = sqlite3.Row
            rows = con.execute(
                "SELECT username, display_name, role, department, hospital, disabled, failures, locked_until, "
                "pw_hash IS NOT NULL AS local_password, updated_at FROM users ORDER BY username"
            ).fetchall()
        return [dict(r) for r in rows]

    def has_local_users(self) -> bool:
        with self._db() as con:
            return con.execute("SELECT 1 FROM users WHERE pw_hash IS NOT NULL LIMIT 1").fetchone() is not None

    def pw_hash(self, username: str) -> str | None:
        with self._db() as con:
            row = con.execute("SELECT pw_hash FROM users WHERE username = ?", [username]).fetchone()
        return None if row is None else row[0]

    # ------------------------------------------------------------------ sign-in

    def sign_in(self, username: str, password: str, now: dt.datetime | None = None) -> SignIn:
        """Check a password; count failures and lock the account after `max_failures()` in a row."""
        now = now or _now()
        with self._db() as con:
            row = con.execute(
                "SELECT pw_hash, disabled, failures, locked_until, role, department, display_name, hospital "
                "FROM users WHERE username = ?",
                [username],
            ).fetchone()
            if row is None or row[0] is None:
                _verify(_DUMMY_HASH, password)
                return SignIn(False, "unknown" if row is None else "no_password")
            pw_hash, disabled, failures, locked_until, role, department, display, hospital = row
            if disabled:
                return SignIn(False, "disabled")
            until = dt.datetime.fromisoformat(locked_until) if locked_until else None
            if until is not None and now < until:
                return SignIn(False, "locked", locked_until=until)
            if not _verify(pw_hash, password):
                failures = (0 if until is not None else failures) + 1  # a lock that ran out starts a new count
                lock = now + dt.timedelta(minutes=lockout_minutes()) if failures >= max_failures() else None
                con.execute(
                    "UPDATE users SET failures = ?, locked_until = ? WHERE username = ?",
                    [failures, lock.isoformat() if lock else None, username],
                )
                return SignIn(False, "locked" if lock else "wrong", locked_until=lock)
            if _HASHER.check_needs_rehash(pw_hash):
                con.execute("UPDATE users SET pw_hash = ? WHERE username = ?", [_HASHER.hash(password), username])
            con.execute("UPDATE users SET failures = 0, locked_until = NULL WHERE username = ?", [username])
        return SignIn(True, "ok", Identity(username, role, department, display or username, "local", hospital=hospital))

    def lookup(self, username: str) -> Identity | None:
        """The roles-file entry of an OIDC user (by e-mail or subject), unless disabled."""
        with self._db() as con:
            row = con.execute(
                "SELECT role, department, display_name, disabled, hospital FROM users WHERE username = ?", [username]
            ).fetchone()
        if row is None or row[3]:
            return None
        return Identity(username, row[0], row[1], row[2] or username, "oidc", hospital=row[4])

    # ------------------------------------------------------------------ audit events written while the store was busy

    def queue_audit(
        self,
        who: str,
        event: str,
        target: str | None,
        result: str,
        detail: str | None = None,
        *,
        role: str | None = None,
        scope: str | None = None,
    ) -> None:
        with self._db() as con:
            con.execute(
                "INSERT INTO pending_audit (at, who, event, target, result, detail, role, scope)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [_stamp(), who, event, target, result, detail, role, scope],
            )

    def take_pending_audit(self) -> list[QueuedAudit]:
        with self._db() as con:
            rows = con.execute(
                "SELECT at, who, event, target, result, detail, role, scope FROM pending_audit ORDER BY id"
            ).fetchall()
            con.execute("DELETE FROM pending_audit")
        return [QueuedAudit(*r) for r in rows]


def _add_column(con: sqlite3.Connection, table: str, column: str) -> None:
    """Add a TEXT column an older accounts file lacks. Two processes opening the same old file may both try: the
    one that finds it added already by the other goes on."""
    if column in {str(r[1]) for r in con.execute(f"PRAGMA table_info({table})").fetchall()}:
        return
    try:
        con.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
    except sqlite3.OperationalError as exc:
        if "duplicate column" not in str(exc):
            raise


def _verify(pw_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(pw_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _stamp() -> str:
    return _now().isoformat(timespec="seconds")


def _check(username: str, role: str, department: str | None) -> None:
    if not username or not username.isprintable() or len(username) > 200:
        raise AccountError("用户名无效 / invalid user name")
    if role not in ROLES:
        raise AccountError(f"未知角色 {role}，可选：{', '.join(ROLES)} / unknown role")
    if role == DEPT_HEAD and not department:
        raise AccountError("科室主任必须指定科室(--department) / a department head needs --department")


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise AccountError("密码至少 10 个字符 / a password needs at least 10 characters")
