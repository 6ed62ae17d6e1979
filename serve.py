"""The server entry point (`streamlit run serve.py`, what `make run` does): app.py behind the guard, which checks
every request's Host header and hides /_stcore/metrics, and refuses to start demo mode beyond loopback."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware
from streamlit import config
from streamlit.runtime.pages_manager import PagesManager

from auth import guard, mode
from loaders import uploads
from pages.components import store


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    address = config.get_option("server.address")
    reason = guard.demo_refusal(
        address, mode.sign_in_mode(config.get_option("secrets.files"), store.db_path()) == "demo"
    )
    if reason:
        raise SystemExit(reason)
    os.umask(0o077)  # whatever the server writes (store, WAL, kept originals, uploads) is the owner's alone
    uploads.make_private(store.db_path())
    # Streamlit's own WebSocket check, with the same host names as the guard (belt and braces).
    config.set_option("server.allowedHosts", list(guard.allowed_hosts()))
    # Without this, until some session has called st.navigation, Streamlit runs pages/<name>.py straight from the
    # URL (its old pages-folder mode), skipping app.py and so sign-in: off for good before the first request.
    PagesManager.uses_pages_directory = False
    guard.mark_guarded()
    store.open_at_launch()  # the store, its inbox and the overview's warm-up start now, not at the first visit
    yield


app = st.App("app.py", middleware=[Middleware(guard.Guard)], lifespan=lifespan)
