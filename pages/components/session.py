"""The Streamlit side of sign-in: who is looking (OIDC through st.login, a local account, or demo mode), the
sign-in page, session expiry, sign-out, and audit events. Deny by default: no identity, no page list.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb
import streamlit as st
from streamlit import config
from streamlit.navigation.page import StreamlitPage

from auth import audit, guard, mode, roles
from auth.accounts import Accounts, accounts_path
from auth.roles import Identity
from loaders import uploads
from loaders.errors import CockpitError
from metrics import overview
from metrics.adoption import anonymous_setting
from metrics.scope import anonymise_departments
from pages.components import store
from pages.components.i18n import lang, speaking, t

T = TypeVar("T")
SESSION_KEY = "_cockpit_identity"  # a Held; only this module writes it (tests through `sign_in_as`)
DEMO = Identity("demo", roles.PMO, None, "demo", "demo")


@dataclass(frozen=True)
class Held:
    identity: Identity
    signed_in: float  # time.time() of sign-in
    last_seen: float


def session_hours() -> float:
    return float(os.environ.get("COCKPIT_SESSION_HOURS", "8"))


def idle_minutes() -> float:
    return float(os.environ.get("COCKPIT_IDLE_MINUTES", "60"))


def _accounts() -> Accounts:
    return Accounts(accounts_path(store.db_path()))


def sign_in_mode() -> str:
    return mode.sign_in_mode(config.get_option("secrets.files"), store.db_path())


def current() -> Identity | None:
    """The signed-in identity of this session (None: nobody, or the session expired)."""
    held = st.session_state.get(SESSION_KEY)
    return held.identity if isinstance(held, Held) else None


def cache_key() -> str:
    who = current()
    return who.cache_key() if who else "none:"


def may(action: str) -> bool:
    return roles.may(current(), action)


def user_name() -> str:
    who = current()
    return who.user if who else "?"


def hospital() -> str | None:
    """The hospital the signed-in person is bound to (a hospital group), else None."""
    who = current()
    return who.hospital if who else None


def restrict(result: T) -> T:
    """What a department head may see of a metric's result: other departments anonymised when the hospital says so."""
    keep = roles.anonymise_others(current(), anonymous_setting())
    if keep is None:
        return result
    return anonymise_departments(result, keep, _department_names(store.database_path(), store.version()))


@st.cache_data(show_spinner=False, max_entries=20)
def _department_names(path: str, version: int) -> tuple[str, ...]:
    """Every department the store knows (usage, KPIs), for scrubbing names out of texts (per data version)."""
    return overview.department_options(store.cursor())


def record(event: str, *, target: str | None = None, result: str = "ok", detail: str | None = None) -> None:
    """An audit event by the signed-in person; queued in the accounts file if the store is unavailable or the write
    fails."""
    _record(current(), store.cursor, event, target, result, detail)


def audited(make: Callable[[], bytes], target: str, detail: str | None) -> Callable[[], bytes]:
    """A download's file maker (Streamlit's deferred download) that writes the signed-in person's audit record of
    the download when it runs. It runs off the script thread, with no session state there, when the button is
    clicked: the person, the store, the time they were last seen and the language are taken now. A session that has ended since
    (idle or too long, its token's end, a local account disabled or changed) gets no file; the refusal is
    recorded."""
    held = st.session_state.get(SESSION_KEY)
    who = held.identity if isinstance(held, Held) else None
    opener = store.opener()  # a store unavailable then: the record is queued in the accounts file
    accounts = functools.partial(Accounts, accounts_path(store.db_path()))  # opened on the click, if needed
    language = lang()

    def made() -> bytes:
        why = _lapsed(held, accounts) if isinstance(held, Held) else None
        if why is not None:
            _record(who, opener, "download", target, "refused", why, accounts)
            raise CockpitError(f"{target}: {why}; sign in again to download it")
        with speaking(language):  # headed and in the unit of the table on screen (a long one is made only now)
            data = make()
        _record(who, opener, "download", target, "ok", detail, accounts)
        return data

    return made


def _record(
    who: Identity | None,
    cursor: Callable[[], duckdb.DuckDBPyConnection],
    event: str,
    target: str | None,
    result: str,
    detail: str | None,
    accounts: Callable[[], Accounts] | None = None,
) -> None:
    name = who.user if who else "?"
    role = who.role if who else None
    scope = who.cache_key() if who else None
    try:
        audit.record(cursor(), name, event, role=role, target=target, scope=scope, result=result, detail=detail)
    except (CockpitError, duckdb.Error):  # unavailable, or a write that lost to another (a group store's commit)
        # the next run moves it in, with who the person was and what they could see
        (accounts or _accounts)().queue_audit(name, event, target, result, detail, role=role, scope=scope)


# ------------------------------------------------------------------ the gate app.py calls first


def gate() -> Identity | None:
    """The identity to serve this run, or None after drawing the sign-in page (the caller then stops)."""
    if not config.get_option("global.appTest") and not guard.guarded():
        st.error(t("auth.unguarded"))  # `streamlit run app.py` would skip the Host check: serve.py only
        st.stop()
    how = sign_in_mode()
    held = st.session_state.get(SESSION_KEY)
    if isinstance(held, Held) and not _expired(held, how):
        st.session_state[SESSION_KEY] = Held(held.identity, held.signed_in, time.time())
        return held.identity
    if isinstance(held, Held):
        _end(held.identity, "expired")
        if held.identity.source == "oidc":
            st.logout()
        st.session_state["_cockpit_notice"] = "auth.expired"
    if how == "demo":
        reason = guard.demo_refusal(config.get_option("server.address"), True)
        if reason and not config.get_option("global.appTest"):
            st.error(reason)
            st.stop()
        _start(DEMO)
        return DEMO
    if "oidc" in how and st.user.is_logged_in:
        who = _oidc_identity(dict(st.user.to_dict()))
        if who is not None and who.valid_role:
            _start(who)
            record("sign_in", target="oidc")
            return who
    return None


def sign_in_navigation() -> StreamlitPage:
    """The only page of someone not signed in: every address leads here (the page list is not even sent)."""
    return st.navigation(
        [st.Page(sign_in_view, title=t("auth.title"), url_path="signin", default=True)], position="hidden"
    )


def sign_in_view() -> None:
    sign_in_page(sign_in_mode())


def _expired(held: Held, how: str) -> bool:
    who = held.identity
    if who.source == "demo":
        return how != "demo"  # sign-in was configured since: demo sessions end
    if _lapsed(held, _accounts) is not None:
        return True
    return who.source == "oidc" and not st.user.is_logged_in


def _lapsed(held: Held, accounts: Callable[[], Accounts]) -> str | None:
    """Why the session is over, of what needs no session context (so a download's maker can ask it on its own
    thread): past its hours or idle minutes, its ID token's own expiry, a local account disabled or given another
    role, department or hospital since sign-in. None: it is not."""
    who = held.identity
    if who.source == "demo":
        return None
    now = time.time()
    if now - held.signed_in > session_hours() * 3600 or now - held.last_seen > idle_minutes() * 60:
        return "session expired"
    if who.expires is not None and dt.datetime.now(dt.UTC).replace(tzinfo=None) >= who.expires:
        return "session expired"  # the ID token's own expiry
    if who.source == "local":  # disabled or re-roled since sign-in: sign in again
        now_is = accounts().lookup(who.user)
        if now_is is None or (now_is.role, now_is.department, now_is.hospital) != (
            who.role,
            who.department,
            who.hospital,
        ):
            return "account disabled or changed"
    return None


def _start(who: Identity) -> None:
    now = time.time()
    st.session_state[SESSION_KEY] = Held(who, now, now)


def _end(who: Identity, why: str) -> None:
    if who.source != "demo":
        record("sign_out", target=who.source, detail=why)
    st.session_state.pop(SESSION_KEY, None)


def _claim(info: dict[str, Any], env: str, default: str) -> str | None:
    value = info.get(os.environ.get(env, default))
    if isinstance(value, list):
        value = next((v for v in value if v in roles.ROLES), value[0] if value else None)
    return str(value) if value else None


def _oidc_identity(info: dict[str, Any]) -> Identity | None:
    """Role, department and hospital from the ID token's claims, else from the roles file (by e-mail, then
    subject)."""
    user = str(info.get("email") or info.get("sub") or "")
    exp = info.get("exp")
    expires = dt.datetime.fromtimestamp(float(exp), dt.UTC).replace(tzinfo=None) if exp else None
    if expires is not None and dt.datetime.now(dt.UTC).replace(tzinfo=None) >= expires:
        st.session_state["_cockpit_notice"] = "auth.expired"
        st.logout()
        return None
    role = _claim(info, "COCKPIT_ROLE_CLAIM", "cockpit_role")
    department = _claim(info, "COCKPIT_DEPARTMENT_CLAIM", "cockpit_department")
    hospital = _claim(info, "COCKPIT_HOSPITAL_CLAIM", "cockpit_hospital")
    if role is None:
        listed = _accounts().lookup(user) or _accounts().lookup(str(info.get("sub") or ""))
        if listed is not None:
            role, department, hospital = listed.role, listed.department, listed.hospital
    return Identity(user, role, department, str(info.get("name") or user), "oidc", expires, hospital)


# ------------------------------------------------------------------ the sign-in page and the sidebar


def sign_in_page(how: str) -> None:
    """The only thing a visitor without a valid role sees: no page list, no data."""
    st.title(t("auth.title"))
    notice = st.session_state.pop("_cockpit_notice", None)
    if notice:
        st.info(t(notice))
    if "oidc" in how:
        if st.user.is_logged_in:  # signed in at the identity provider, but no role here
            st.warning(t("auth.no_role", user=str(st.user.get("email") or st.user.get("sub") or "?")))
            if st.button(t("auth.sign_out"), key="auth_oidc_out"):
                st.logout()
            return
        if st.button(t("auth.oidc"), key="auth_oidc", type="primary", icon=":material/login:"):
            st.login()
    if "local" in how:
        local_form()


def local_form() -> None:
    with st.form("auth_local", border=True):
        user = st.text_input(t("auth.user"), key="auth_user")
        password = st.text_input(t("auth.password"), type="password", key="auth_password")
        submitted = st.form_submit_button(t("auth.sign_in"), type="primary")
    if not submitted:
        return
    outcome = _accounts().sign_in(user.strip(), password)
    if outcome.ok and outcome.identity is not None and outcome.identity.valid_role:
        _start(outcome.identity)
        record("sign_in", target="local")
        st.rerun()
    reason = outcome.reason if outcome.ok is False else "no_role"
    _record_failure(user.strip(), reason)
    if reason == "locked" and outcome.locked_until is not None:
        st.error(t("auth.locked", until=outcome.locked_until.strftime("%H:%M UTC")))
    elif reason == "no_role":
        st.error(t("auth.no_role", user=user.strip()))
    else:
        st.error(t("auth.failed"))  # never says whether the user exists


def _record_failure(user: str, reason: str) -> None:
    try:
        audit.record(store.cursor(), user or "?", "sign_in_failed", target="local", result=reason)
    except CockpitError:
        _accounts().queue_audit(user or "?", "sign_in_failed", "local", reason)


def sidebar(who: Identity) -> None:
    """Who is signed in, the demo label, and sign-out."""
    sweep_uploads()
    side = st.sidebar
    if who.source == "demo":
        side.warning(t("auth.demo"), icon=":material/science:")
        return
    label = t(f"auth.role.{who.role}") + "".join(f" · {x}" for x in (who.department, who.hospital) if x)
    side.caption(t("auth.signed_in_as", user=who.name or who.user, role=label))
    if side.button(t("auth.sign_out"), key="auth_sign_out", icon=":material/logout:"):
        _end(who, "sign_out")
        if who.source == "oidc":
            # st.logout queues the redirect to the provider's end-session page; a rerun would clear that queue
            # before it reaches the browser (Streamlit clears it when a run starts), so the run stops instead
            st.logout()
            st.stop()
        st.rerun()
    try:
        audit.drain(store.cursor(), _accounts())  # events the CLI queued while the app held the store
    except CockpitError:
        pass  # the store is unavailable: the page says so; the events wait in the accounts file


# The longest a signed-in page waits between two looks at its session (a local account disabled meanwhile is noticed
# within this), and the margin after the moment the session lapses, so the look finds it over.
_LOOK_AT_MOST_S = 300.0
_LOOK_MARGIN_S = 1.0


def until_lapsed(held: Held, now: float | None = None) -> float:
    """Seconds from `now` until the session lapses by the clock: its idle minutes (from the last run of the whole
    page), its hours, or its ID token's end, whichever comes first (0 if it has)."""
    now = time.time() if now is None else now
    ends = [held.last_seen + idle_minutes() * 60, held.signed_in + session_hours() * 3600]
    if held.identity.expires is not None:
        ends.append(held.identity.expires.replace(tzinfo=dt.UTC).timestamp())
    return max(0.0, min(ends) - now)


def look_every(held: Held, now: float | None = None) -> float:
    """Seconds between two looks at the session: at most 5 minutes apart, so that one of them falls a second after
    the moment it lapses by the clock."""
    due = until_lapsed(held, now) + _LOOK_MARGIN_S
    return due / math.ceil(due / _LOOK_AT_MOST_S)


def watch(who: Identity) -> None:
    """A signed-in page left open goes to the sign-in page by itself when the session lapses, instead of waiting for
    a click: a download clicked later would otherwise fail with only Streamlit's "Failed to generate file" (its maker
    refuses a lapsed session). A fragment with no elements looks at the session when it is due to lapse; every run
    of the whole page moves that moment on (the interval changes, and the browser restarts its timer then). A look
    that finds the session over reruns the app, whose gate ends it, records why and shows the sign-in page."""
    held = st.session_state.get(SESSION_KEY)
    if who.source == "demo" or not isinstance(held, Held):
        return

    @st.fragment(run_every=look_every(held))
    def look() -> None:
        now_held = st.session_state.get(SESSION_KEY)
        if isinstance(now_held, Held) and _lapsed(now_held, _accounts) is not None:
            st.rerun(scope="app")

    with st.sidebar:
        look()


def sign_in_as(state: Any, identity: Identity) -> None:
    """Tests: start a session as `identity` (AppTest's session_state)."""
    now = time.time()
    state[SESSION_KEY] = Held(identity, now, now)


def accounts() -> Accounts:
    """The accounts file beside this store (the admin page)."""
    return _accounts()


# ------------------------------------------------------------------ upload copies of this session


def upload_owner() -> str:
    """This session's id: the prefix of its upload copies (removed when the session ends)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return re.sub(r"[^A-Za-z0-9_-]", "", ctx.session_id if ctx else "")[:64] or "nosession"


def upload_allowed(new_bytes: int) -> bool:
    return uploads.quota_left(upload_owner(), new_bytes, store.db_path())


def quota_message() -> str:
    return t("auth.quota", files=uploads.max_files(), mb=int(uploads.max_bytes() / 1e6))


def sweep_uploads() -> None:
    """Remove upload copies of sessions that ended (and any older than an hour)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists() or config.get_option("global.appTest"):
        return
    runtime = Runtime.instance()
    mgr = getattr(runtime, "_session_mgr", None)

    def alive(owner: str) -> bool:
        return mgr is None or mgr.get_session_info(owner) is not None

    try:
        uploads.sweep(uploads.upload_dir(store.db_path()), alive=alive)
    except (OSError, CockpitError):
        pass  # a folder we refuse to use is reported when someone uploads


def current_in(state: Any) -> Identity | None:
    """Tests: the identity held in an AppTest's session_state."""
    held = state[SESSION_KEY] if SESSION_KEY in state else None
    return held.identity if isinstance(held, Held) else None
