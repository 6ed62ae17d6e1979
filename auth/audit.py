"""The audit trail in the store: append (never update or delete) and read it back for the audit page."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from auth.accounts import Accounts

EVENTS = ("sign_in", "sign_in_failed", "sign_out", "import", "undo", "mapping", "download", "role_change", "refused")
COLUMNS = ["audit_id", "occurred_at", "who", "role", "event", "subject", "scope", "result", "note"]


def _clean(value: str | None) -> str | None:
    return None if value is None else value.replace("\x00", "")[:1000]


def record(
    con: duckdb.DuckDBPyConnection,
    who: str,
    event: str,
    *,
    role: str | None = None,
    target: str | None = None,
    scope: str | None = None,
    result: str = "ok",
    detail: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    con.execute(
        "INSERT INTO audit_log (occurred_at, who, role, event, target, scope, result, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            at or dt.datetime.now(dt.UTC).replace(tzinfo=None),
            _clean(who) or "?",
            role,
            event,
            _clean(target),
            scope,
            result,
            _clean(detail),
        ],
    )


def drain(con: duckdb.DuckDBPyConnection, accounts: Accounts) -> int:
    """Move events the CLI queued in the accounts file (the store was held by the app) into the audit table."""
    rows = accounts.take_pending_audit()
    for q in rows:
        record(
            con,
            q.who,
            q.event,
            role=q.role,
            target=q.target,
            scope=q.scope,
            result=q.result or "ok",
            detail=q.detail,
            at=dt.datetime.fromisoformat(q.at),
        )
    return len(rows)


def log(con: duckdb.DuckDBPyConnection, limit: int = 5000) -> pd.DataFrame:
    """The latest events first."""
    return con.execute(
        "SELECT audit_id, occurred_at, who, role, event, target AS subject, scope, result, detail AS note FROM audit_log "
        "ORDER BY audit_id DESC LIMIT ?",
        [limit],
    ).df()
