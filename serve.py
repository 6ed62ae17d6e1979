"""The server entry point (`streamlit run serve.py`, what `make run` does): app.py behind the guard, which checks
every request's Host header and hides /_stcore/metrics, and refuses to start demo mode beyond loopback."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from streamlit import config

from auth import guard, mode
from loaders import uploads
from pages.components import store

ROOT = Path(__file__).resolve().parent


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    address = config.get_option("server.address")
    reason = guard.demo_refusal(address, mode.sign_in_mode(ROOT, store.db_path()) == "demo")
    if reason:
        raise SystemExit(reason)
    os.umask(0o077)  # whatever the server writes (store, WAL, kept originals, uploads) is the owner's alone
    uploads.make_private(store.db_path())
    # Streamlit's own WebSocket check, with the same host names as the guard (belt and braces).
    config.set_option("server.allowedHosts", list(guard.allowed_hosts()))
    guard.mark_guarded()
    yield


app = st.App("app.py", middleware=[Middleware(guard.Guard)], lifespan=lifespan)
