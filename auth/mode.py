"""Which sign-in the hospital configured: OIDC ([auth] in secrets.toml), local accounts, both, or neither (demo)."""

from __future__ import annotations

from pathlib import Path

from auth.accounts import Accounts, accounts_path
from auth.guard import oidc_configured


def local_configured(db_file: str | Path | None = None) -> bool:
    path = accounts_path(db_file)
    return path.exists() and Accounts(path).has_local_users()


def sign_in_mode(secrets_files: list[str] | list[Path], db_file: str | Path | None = None) -> str:
    """ "oidc", "local", "oidc+local" or "demo" (nothing configured). `secrets_files`: Streamlit's `secrets.files`."""
    kinds = [k for k, on in (("oidc", oidc_configured(secrets_files)), ("local", local_configured(db_file))) if on]
    return "+".join(kinds) or "demo"
