"""Local accounts (argon2 hashes, wrong password, lock-out, reset, disable), the CLI, sign-in through app.py under
AppTest, session expiry, role changes, and the audit trail of it all."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pandas as pd
import pytest
from argon2 import PasswordHasher

from auth import audit, roles
from auth.accounts import AccountError, Accounts
from loaders.errors import CockpitError
from metrics.scope import Scope
from pages.components import session
from tests.conftest import ROOT, app_test, click, copy_store, deferred_downloads

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Accounts:
    path = tmp_path / "accounts.sqlite"
    monkeypatch.setenv("COCKPIT_ACCOUNTS", str(path))
    acc = Accounts(path)
    acc.add("zhang", roles.PMO, password=PASSWORD, display_name="张三")
    acc.add("li", roles.DEPT_HEAD, password=PASSWORD, department="心内科")
    return acc


def test_passwords_are_argon2_hashes(accounts: Accounts) -> None:
    stored = accounts.pw_hash("zhang")
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)  # verified by argon2 itself, not by our code
    assert (accounts.path.stat().st_mode & 0o777) == 0o600


def test_wrong_password_then_lock_out_then_reset(accounts: Accounts, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_LOCKOUT_FAILURES", "3")
    t0 = dt.datetime(2026, 12, 1, 9, 0)
    assert accounts.sign_in("zhang", "wrong", now=t0).reason == "wrong"
    assert accounts.sign_in("zhang", "wrong", now=t0).reason == "wrong"
    third = accounts.sign_in("zhang", "wrong", now=t0)
    assert third.reason == "locked" and third.locked_until == t0 + dt.timedelta(minutes=15)
    # locked: even the right password is refused until the lock runs out
    assert accounts.sign_in("zhang", PASSWORD, now=t0 + dt.timedelta(minutes=14)).reason == "locked"
    assert accounts.sign_in("zhang", PASSWORD, now=t0 + dt.timedelta(minutes=16)).ok
    for _ in range(3):
        accounts.sign_in("zhang", "wrong", now=t0)
    assert accounts.sign_in("zhang", PASSWORD, now=t0).reason == "locked"
    accounts.reset("zhang", "a brand new password")
    assert accounts.sign_in("zhang", PASSWORD, now=t0).reason == "wrong"
    ok = accounts.sign_in("zhang", "a brand new password", now=t0)
    assert ok.ok and ok.identity == roles.Identity("zhang", roles.PMO, None, "张三", "local")


def test_unknown_disabled_and_bad_accounts(accounts: Accounts) -> None:
    assert accounts.sign_in("nobody", PASSWORD).reason == "unknown"
    accounts.disable("li")
    assert accounts.sign_in("li", PASSWORD).reason == "disabled"
    with pytest.raises(AccountError, match="department"):
        accounts.add("wang", roles.DEPT_HEAD, password=PASSWORD)
    with pytest.raises(AccountError, match="role"):
        accounts.add("wang", "superuser", password=PASSWORD)
    with pytest.raises(AccountError, match="10"):
        accounts.add("wang", roles.FINANCE, password="short")


def test_cli_add_reset_disable_role_list(tmp_path: Path) -> None:
    db = tmp_path / "cockpit.duckdb"
    acc = tmp_path / "acc.sqlite"

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "auth", "--db", str(db), "--accounts", str(acc), "users", *args]
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60)

    assert cli("add", "chen", "--role", "finance", "--password-stdin", stdin=PASSWORD + "\n").returncode == 0
    assert Accounts(acc).sign_in("chen", PASSWORD).ok
    assert cli("reset", "chen", "--password-stdin", stdin="another password 1\n").returncode == 0
    assert Accounts(acc).sign_in("chen", "another password 1").ok
    assert cli("role", "chen", "dept_head", "--department", "骨科").returncode == 0
    assert cli("disable", "chen").returncode == 0
    listing = cli("list").stdout
    assert "chen\tdept_head\t骨科\tdisabled" in listing
    refused = cli("add", "x", "--role", "dept_head", "--password-stdin", stdin=PASSWORD + "\n")
    assert refused.returncode == 1 and "department" in refused.stderr
    con = duckdb.connect(str(db))
    try:
        events = audit.log(con)
    finally:
        con.close()
    assert events["event"].tolist() == ["role_change"] * 4  # add, reset, role, disable — newest first
    assert events["note"].iloc[1] == "finance -> dept_head 骨科"


def test_cli_audit_waits_while_the_app_holds_the_store(tmp_path: Path) -> None:
    db = tmp_path / "cockpit.duckdb"
    acc = Accounts(tmp_path / "acc.sqlite")
    holder = duckdb.connect(str(db))  # like the running app (another process would be refused the lock)
    acc.queue_audit("cli:root", "role_change", "chen", "ok", "added")
    audit_rows_before = holder.execute("SELECT count(*) FROM information_schema.tables WHERE table_name='audit_log'")
    del audit_rows_before
    holder.close()
    from loaders import store

    con = store.open_store(db)
    try:
        assert audit.drain(con, acc) == 1 and audit.drain(con, acc) == 0
        assert audit.log(con)[["who", "event", "subject"]].values.tolist() == [["cli:root", "role_change", "chen"]]
    finally:
        con.close()


# ------------------------------------------------------------------ sign-in through app.py


def test_local_sign_in_page_then_role_pages(demo_db: Path, accounts: Accounts) -> None:
    at = app_test(demo_db, "en").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in · HIT Cockpit"]
    assert not at.sidebar.subheader and not at.metric  # deny by default: no filters, no data, no page list
    at.text_input(key="auth_user").input("li")
    at.text_input(key="auth_password").input("wrong password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    at.text_input(key="auth_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Programme overview"
    assert session.current_in(at.session_state) == roles.Identity("li", roles.DEPT_HEAD, "心内科", "li", "local")
    con = duckdb.connect(str(demo_db))
    try:
        events = audit.log(con)
    finally:
        con.close()
    recent = events.head(2)[["who", "event", "result"]].values.tolist()
    assert recent == [["li", "sign_in", "ok"], ["li", "sign_in_failed", "wrong"]]


def test_lock_out_through_the_page(demo_db: Path, accounts: Accounts, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_LOCKOUT_FAILURES", "2")
    at = app_test(demo_db, "en").run()
    for _ in range(2):
        at.text_input(key="auth_user").input("zhang")
        at.text_input(key="auth_password").input("nope nope nope")
        at.button[0].click().run()
    assert "locked" in at.error[0].value
    at.text_input(key="auth_password").input(PASSWORD)
    at.button[0].click().run()
    assert "locked" in at.error[0].value and at.title[0].value == "Sign in · HIT Cockpit"


def test_session_expires_and_role_change_ends_it(
    demo_db: Path, accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_test(demo_db, "en").run()
    at.text_input(key="auth_user").input("zhang")
    at.text_input(key="auth_password").input(PASSWORD)
    at.button[0].click().run()
    assert at.title[0].value == "Programme overview"
    accounts.set_role("zhang", roles.FINANCE)  # the admin changed the role: sign in again to get it
    at.run()
    assert at.title[0].value == "Sign in · HIT Cockpit"
    assert "expired" in at.info[0].value
    at.text_input(key="auth_user").input("zhang")
    at.text_input(key="auth_password").input(PASSWORD)
    at.button[0].click().run()
    assert at.title[0].value == "Programme overview"
    monkeypatch.setenv("COCKPIT_IDLE_MINUTES", "0")  # idle for longer than allowed
    at.run()
    assert at.title[0].value == "Sign in · HIT Cockpit"


def test_expired_id_token_is_refused(demo_db: Path, accounts: Accounts) -> None:
    past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)
    who = roles.Identity("a@h.org", roles.PRESIDENT, None, "a", "local", expires=past)
    at = app_test(demo_db, "en", who).run()
    assert not at.exception
    assert not at.metric and not at.sidebar.subheader
    assert [t.value for t in at.title] == ["Sign in · HIT Cockpit"] and "expired" in at.info[0].value


def test_demo_mode_is_labelled(demo_db: Path) -> None:
    at = app_test(demo_db, "en").run()
    assert "Demo mode" in at.sidebar.warning[0].value


# ------------------------------------------------------------------ roles and scope (pure)


def test_bind_ignores_what_a_department_head_asks_for() -> None:
    head = roles.Identity("li", roles.DEPT_HEAD, "心内科")
    asked = Scope(departments=("骨科", "儿科"))
    assert roles.bind(asked, head).departments == ("心内科",)
    assert roles.bind(Scope(), head).departments == ("心内科",)
    assert roles.bind(asked, roles.Identity("p", roles.PRESIDENT)) == asked
    assert roles.pages_for(roles.Identity("x", "superuser")) == frozenset()
    assert roles.pages_for(None) == frozenset()
    assert not roles.may(roles.Identity("p", roles.PRESIDENT), roles.IMPORT)
    assert roles.may(roles.Identity("p", roles.PMO), roles.SAVE_MAPPING)
    assert head.cache_key() != roles.Identity("w", roles.DEPT_HEAD, "骨科").cache_key()


# ------------------------------------------------------------------ the admin and audit pages


def test_admin_changes_a_role_and_it_is_audited(demo_db: Path, accounts: Accounts) -> None:
    at = app_test(demo_db, "en", roles.Identity("root", roles.ADMIN, source="test")).run()
    assert not at.exception
    assert at.title[0].value == "Users & roles"  # the admin's first page: no data pages at all
    assert sorted(at.dataframe[0].value["username"]) == ["li", "zhang"]
    at.selectbox(key="admin_user").set_value("li")
    at.selectbox(key="admin_role").set_value(roles.FINANCE)
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert accounts.lookup("li") == roles.Identity("li", roles.FINANCE, None, "li", "oidc")
    at.switch_page("pages/audit.py").run()
    log = at.dataframe[0].value
    assert log[["who", "event", "subject", "note"]].iloc[0].tolist() == [
        "root", "role_change", "li", "dept_head 心内科 -> finance"
    ]  # fmt: skip
    assert [d.label for d in at.get("download_button")] == ["Download Excel", "Download CSV"]


def test_audit_page_is_the_pmo_and_admin_only(demo_db: Path) -> None:
    for role in (roles.PRESIDENT, roles.FINANCE):
        at = app_test(demo_db, "en", roles.Identity("x", role, source="test")).run()
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("pages/audit.py")


# ------------------------------------------------------------------ downloads: files made on click, and audited


def _audit_rows(db: Path, lang: str = "en") -> pd.DataFrame:
    at = app_test(db, lang, roles.Identity("office", roles.PMO, source="test")).run()
    at.switch_page("pages/audit.py").run()
    assert not at.exception
    if not at.dataframe:  # "no events yet"
        assert [i.value for i in at.info] == ["No audit events yet."]
        return pd.DataFrame(columns=["who", "event", "subject", "result", "note"])
    return at.dataframe[0].value


def _money_page(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, who: roles.Identity
) -> tuple[Path, dict[str, Any]]:
    """A copy of the demo store with `who` on its money page: the store and the page's downloads by file name."""
    db = copy_store(demo_template, tmp_path)
    offered = deferred_downloads(monkeypatch)
    at = app_test(db, "en", who).run()
    at.switch_page("pages/money.py").run()
    assert not at.exception
    assert not [b for b in at.get("download_button") if b.proto.ignore_rerun is False]  # a click reruns nothing
    return db, offered


def test_a_download_is_made_and_audited_when_clicked_and_only_then(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, offered = _money_page(
        demo_template, tmp_path, monkeypatch, roles.Identity("fin-1", roles.FINANCE, source="test")
    )
    assert "budget_spent_project.xlsx" in offered and "budget_spent_project.csv" in offered, sorted(offered)
    before = _audit_rows(db)
    assert "download" not in before["event"].tolist()  # a run that nobody downloads from records none
    xlsx = click(offered["budget_spent_project.xlsx"])
    csv_bytes = click(offered["budget_spent_project.csv"])
    assert xlsx[:2] == b"PK"
    shown = len(pd.read_csv(io.BytesIO(csv_bytes), encoding="utf-8-sig"))
    assert shown > 0
    log = _audit_rows(db)
    downloads = log[log["event"] == "download"][["who", "subject", "result", "note"]].values.tolist()
    assert downloads == [  # newest first
        ["fin-1", "budget_spent_project.csv", "ok", f"{shown} rows"],
        ["fin-1", "budget_spent_project.xlsx", "ok", f"{shown} rows"],
    ]


def test_a_download_clicked_after_the_session_went_idle_is_refused_and_audited(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, offered = _money_page(
        demo_template, tmp_path, monkeypatch, roles.Identity("fin-2", roles.FINANCE, source="test")
    )
    later = time.time() + (session.idle_minutes() + 1) * 60  # the page left open past the idle limit
    monkeypatch.setattr(session, "time", SimpleNamespace(time=lambda: later))  # the session module's clock only
    got = click(offered["budget_spent_project.csv"])
    assert isinstance(got, CockpitError) and "expired" in str(got)
    monkeypatch.undo()  # the audit page's own session must not be idle
    refused = _audit_rows(db)
    refused = refused[refused["event"] == "download"][["who", "subject", "result", "note"]].values.tolist()
    assert refused == [["fin-2", "budget_spent_project.csv", "refused", "session expired"]]


def test_a_download_clicked_after_the_local_account_was_disabled_is_refused(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, accounts: Accounts
) -> None:
    signed_in = accounts.sign_in("zhang", PASSWORD).identity
    assert signed_in is not None and signed_in.source == "local"
    db, offered = _money_page(demo_template, tmp_path, monkeypatch, signed_in)
    make = offered["budget_spent_project.csv"]
    accounts.disable("zhang")  # by the admin, while the page is open
    got = click(make)
    assert isinstance(got, CockpitError) and "account disabled or changed" in str(got)
    log = _audit_rows(db)
    assert log[log["event"] == "download"][["who", "subject", "result", "note"]].values.tolist() == [
        ["zhang", "budget_spent_project.csv", "refused", "account disabled or changed"]
    ]


def test_a_download_whose_audit_write_fails_still_arrives_and_its_record_is_queued_then_moved_in(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, accounts: Accounts
) -> None:
    db, offered = _money_page(
        demo_template, tmp_path, monkeypatch, roles.Identity("fin-3", roles.FINANCE, source="test")
    )

    def conflict(*args: object, **kwargs: object) -> None:
        raise duckdb.TransactionException("Transaction conflict: another commit won")

    with monkeypatch.context() as m:
        m.setattr(session.audit, "record", conflict)
        got = click(offered["budget_spent_project.csv"])
    assert isinstance(got, bytes) and got.startswith(b"\xef\xbb\xbf")  # the file arrives
    log = _audit_rows(db)  # the next run moves the queued record into the audit table
    assert log[log["event"] == "download"][["who", "role", "scope", "subject", "result"]].values.tolist() == [
        [
            "fin-3",
            roles.FINANCE,
            f"{roles.FINANCE}:",
            "budget_spent_project.csv",
            "ok",
        ]  # who they were, as written live
    ]
    assert accounts.take_pending_audit() == []


def test_a_queued_record_keeps_the_role_and_scope_and_an_older_accounts_file_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.accounts.sqlite"
    old = sqlite3.connect(path)  # an accounts file written before queued records kept the role and scope
    old.execute(
        "CREATE TABLE pending_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL,"
        " event TEXT NOT NULL, target TEXT, result TEXT, detail TEXT)"
    )
    old.execute(
        "INSERT INTO pending_audit (at, who, event, target, result, detail)"
        " VALUES ('2026-11-30T08:00:00', 'cli:root', 'role_change', 'chen', 'ok', 'added')"
    )
    old.commit()
    old.close()
    acc = Accounts(path)
    head = roles.Identity("li", roles.DEPT_HEAD, department="骨科", source="test")
    acc.queue_audit("li", "download", "usage.xlsx", "ok", "12 rows", role=head.role, scope=head.cache_key())
    from loaders import store

    con = store.open_store(tmp_path / "cockpit.duckdb")
    try:
        assert audit.drain(con, acc) == 2
        got = con.execute(
            "SELECT who, role, event, target, scope, detail FROM audit_log ORDER BY audit_id DESC"
        ).fetchall()
    finally:
        con.close()
    assert got == [
        ("li", roles.DEPT_HEAD, "download", "usage.xlsx", f"{roles.DEPT_HEAD}:骨科", "12 rows"),
        ("cli:root", None, "role_change", "chen", None, "added"),  # queued by the older file: no role, no scope
    ]


def test_two_processes_upgrading_one_older_accounts_file_both_go_on(tmp_path: Path) -> None:
    """Both read the old columns, then both add the new one: the second finds it added and goes on; any other
    failure of the change still stops."""
    from auth import accounts as accounts_mod

    path = tmp_path / "old.accounts.sqlite"
    first, second = sqlite3.connect(path), sqlite3.connect(path)
    first.execute("CREATE TABLE pending_audit (id INTEGER PRIMARY KEY, at TEXT, who TEXT, event TEXT)")
    first.commit()
    stale = second.execute("PRAGMA table_info(pending_audit)").fetchall()  # what the second process saw
    accounts_mod._add_column(first, "pending_audit", "role")
    first.commit()

    class Late:  # the second process: its look at the columns was taken before the first added one
        def execute(self, sql: str, *args: object) -> Any:
            return SimpleNamespace(fetchall=lambda: stale) if sql.startswith("PRAGMA") else second.execute(sql, *args)

    accounts_mod._add_column(Late(), "pending_audit", "role")  # type: ignore[arg-type]
    assert [r[1] for r in second.execute("PRAGMA table_info(pending_audit)").fetchall()][-1] == "role"
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        accounts_mod._add_column(Late(), "missing", "role")  # type: ignore[arg-type]
    first.close()
    second.close()


def test_the_watch_looks_at_a_session_when_it_lapses_by_idle_hours_or_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_IDLE_MINUTES", "60")
    monkeypatch.setenv("COCKPIT_SESSION_HOURS", "8")
    now = 1_800_000_000.0
    who = roles.Identity("zhang", roles.PRESIDENT, source="local")
    # seen 10 minutes ago, signed in 2 hours ago: idle ends first, in 50 minutes
    assert session.until_lapsed(session.Held(who, now - 7200, now - 600), now) == 50 * 60
    # signed in 7 h 55 min ago and seen just now: the 8 hours end first, in 5 minutes
    assert session.until_lapsed(session.Held(who, now - (8 * 3600 - 300), now), now) == 300
    # an ID token ending in 90 seconds (naive UTC, as the sign-in stores it) ends it before either
    token_end = dt.datetime.fromtimestamp(now + 90, dt.UTC).replace(tzinfo=None)
    oidc = roles.Identity("li", roles.PRESIDENT, source="oidc", expires=token_end)
    assert session.until_lapsed(session.Held(oidc, now, now), now) == 90
    # already over: no time left
    assert session.until_lapsed(session.Held(who, now - 7200, now - 3601), now) == 0


def test_the_looks_fall_at_most_five_minutes_apart_and_one_a_second_after_the_lapse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COCKPIT_IDLE_MINUTES", "60")
    monkeypatch.setenv("COCKPIT_SESSION_HOURS", "8")
    now = 1_800_000_000.0
    who = roles.Identity("zhang", roles.PRESIDENT, source="local")
    # idle ends in 3,600 s: 3,601 s in 13 looks of 277 s (12 would be 300.08 s apart)
    assert session.look_every(session.Held(who, now, now), now) == 277.0
    # 4 minutes left: one look, 241 s from now
    assert session.look_every(session.Held(who, now, now - 56 * 60), now) == 241.0
    # 299 s left: one look at 300 s; 300 s left: two looks of 150.5 s
    assert session.look_every(session.Held(who, now, now - 3301), now) == 300.0
    assert session.look_every(session.Held(who, now, now - 3300), now) == 150.5
    monkeypatch.setenv("COCKPIT_IDLE_MINUTES", "0.1")  # the browser test's 6 s
    assert session.look_every(session.Held(who, now, now), now) == 7.0
