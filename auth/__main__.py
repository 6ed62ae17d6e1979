"""`python -m auth users add|disable|enable|reset|role|list`: the admin's command line for local accounts and the
roles file. Passwords are read from the terminal (or one line of stdin with --password-stdin), never argv.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from auth import audit
from auth.accounts import AccountError, Accounts, accounts_path
from auth.roles import ROLES
from loaders import settings
from loaders import store as _store
from loaders.errors import StoreUnavailable


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码 / password: ")
    if getpass.getpass("再输入一次 / again: ") != first:
        raise AccountError("两次输入的密码不同 / the passwords differ")
    return first


def _audit(accounts: Accounts, db: str, event: str, target: str, detail: str) -> None:
    """Into the store's audit table; when the running app holds the store, queued for the app to move in."""
    who = f"cli:{os.environ.get('USER', '?')}"
    try:
        con = _store.open_store(db)
    except StoreUnavailable:
        accounts.queue_audit(who, event, target, "ok", detail)
        return
    try:
        audit.record(con, who, event, target=target, detail=detail)
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auth")
    parser.add_argument("--db", default=None, help="the store (default COCKPIT_DB or data/cockpit.duckdb)")
    parser.add_argument("--accounts", default=None, help="the accounts file (default beside the store)")
    sub = parser.add_subparsers(dest="group", required=True)
    users = sub.add_parser("users").add_subparsers(dest="cmd", required=True)
    add = users.add_parser("add", help="a new user: a local account, or with --oidc an entry of the roles file")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--department")
    add.add_argument("--hospital", help="a hospital group: the one hospital this person sees")
    add.add_argument("--name", default="")
    add.add_argument("--oidc", action="store_true", help="no local password: signs in through the identity provider")
    add.add_argument("--password-stdin", action="store_true")
    for name in ("disable", "enable"):
        users.add_parser(name).add_argument("username")
    reset = users.add_parser("reset", help="a new password; clears a lock-out")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    role = users.add_parser("role", help="change a user's role")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    role.add_argument("--department")
    role.add_argument("--hospital", help="a hospital group: the one hospital this person sees")
    users.add_parser("list")
    args = parser.parse_args(argv)

    db = args.db or str(settings.db_path())
    accounts = Accounts(args.accounts or accounts_path(db))
    try:
        if args.cmd == "add":
            password = None if args.oidc else _password(args)
            accounts.add(
                args.username,
                args.role,
                password=password,
                department=args.department,
                display_name=args.name,
                hospital=args.hospital,
            )
            added = f"added: {args.role} {args.department or ''} {args.hospital or ''}"
            _audit(accounts, db, "role_change", args.username, " ".join(added.split()))
        elif args.cmd in ("disable", "enable"):
            accounts.disable(args.username, args.cmd == "disable")
            _audit(accounts, db, "role_change", args.username, args.cmd + "d")
        elif args.cmd == "reset":
            accounts.reset(args.username, _password(args))
            _audit(accounts, db, "role_change", args.username, "password reset")
        elif args.cmd == "role":
            before = accounts.set_role(args.username, args.role, args.department, args.hospital)
            detail = f"{before[0]} {before[1] or ''} -> {args.role} {args.department or ''} {args.hospital or ''}"
            _audit(accounts, db, "role_change", args.username, " ".join(detail.split()))
        else:
            for u in accounts.users():
                state = "disabled" if u["disabled"] else ("locked" if u["locked_until"] else "active")
                hospital = f"\t{u['hospital']}" if u["hospital"] else ""  # a group's member hospital, last
                print(f"{u['username']}\t{u['role']}\t{u['department'] or ''}\t{state}{hospital}")
    except AccountError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if args.cmd != "list":
        print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
