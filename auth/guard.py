"""The server's guard, an ASGI middleware in front of every request Streamlit serves: the Host header must be one
of the hospital's host names (DNS rebinding), and `/_stcore/metrics` is not served to anyone.

Also the start-up rules: bind to loopback unless configured, and never serve demo mode beyond loopback.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
BLOCKED_SUFFIXES = ("/_stcore/metrics",)  # per-session counts and user attributes: nobody's business


def allowed_hosts() -> tuple[str, ...]:
    """COCKPIT_ALLOWED_HOSTS (comma-separated; `*.example.org` matches sub-domains), plus loopback names."""
    extra = [h.strip().lower().rstrip(".") for h in os.environ.get("COCKPIT_ALLOWED_HOSTS", "").split(",")]
    return tuple(dict.fromkeys([*LOOPBACK_NAMES, *(h for h in extra if h)]))


def host_name(header: str | None) -> str | None:
    """The host name of a Host header without its port; None when malformed."""
    if not header or any(c in header for c in "/@?#\\ \t") or not header.isprintable():
        return None
    if header.startswith("["):  # [::1]:8501
        end = header.find("]")
        if end < 0 or header[end + 1 :] not in ("",) and not header[end + 1 :].startswith(":"):
            return None
        name, port = header[1:end], header[end + 2 :]
    else:
        name, _, port = header.partition(":")
    if port and not port.isdigit():
        return None
    return name.lower().rstrip(".") or None


def host_allowed(header: str | None, hosts: tuple[str, ...] | None = None) -> bool:
    name = host_name(header)
    if name is None:
        return False
    for pattern in hosts if hosts is not None else allowed_hosts():
        if pattern == name or (pattern.startswith("*.") and name.endswith(pattern[1:])):
            return True
    return False


def is_loopback(address: str | None) -> bool:
    """Whether the server binds to loopback only (an empty address means every interface: not loopback)."""
    if not address:
        return False
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


class Guard:
    """Refuses requests whose Host is not ours (403, or a refused WebSocket) and the metrics endpoint (404)."""

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...] | None = None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if not host_allowed(headers.get("host"), self.hosts):
            await _refuse(scope, send, 403, b"Host not allowed")
            return
        if any(str(scope.get("path", "")).endswith(s) for s in BLOCKED_SUFFIXES):
            await _refuse(scope, send, 404, b"Not found")
            return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send, status: int, body: bytes) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain; charset=utf-8")]}
    )
    await send({"type": "http.response.body", "body": body})


def oidc_configured(secrets_files: list[str] | list[Path]) -> bool:
    """Whether one of Streamlit's secrets files (option `secrets.files`) has an [auth] section with a client id."""
    import tomllib

    for path in secrets_files:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        section = data.get("auth")
        if isinstance(section, dict) and (
            "client_id" in section or any(isinstance(v, dict) and "client_id" in v for v in section.values())
        ):
            return True
    return False


def demo_refusal(address: str | None, demo: bool) -> str | None:
    """The reason the server must not start, or None."""
    if demo and not is_loopback(address):
        return (
            f"演示模式(未配置登录)只能在本机地址上运行，当前地址为 {address or '所有网卡'}。"
            "请配置 .streamlit/secrets.toml 的 [auth] 或用 `python -m auth users add` 建立本地账户。"
            f" / Demo mode (no sign-in configured) serves loopback only, not {address or 'every interface'}:"
            " configure [auth] in .streamlit/secrets.toml or add local accounts with `python -m auth users add`."
        )
    return None


GUARD_ENV = "COCKPIT_GUARDED"


def mark_guarded() -> None:
    """Tells app.py, in the same process, that it is served behind the guard."""
    os.environ[GUARD_ENV] = "1"


def guarded() -> bool:
    return os.environ.get(GUARD_ENV) == "1"
