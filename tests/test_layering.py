"""Layering guards: the core never loads streamlit, and only the shell's store touches the shared database (F7)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

CORE = ("loaders", "metrics", "charts", "reports", "auth")
UI_FILES = sorted([ROOT / "app.py", *(ROOT / "pages").rglob("*.py")])
STORE = ROOT / "pages" / "components" / "store.py"

IMPORT_CORE = """
import importlib, pkgutil, sys
for package in {core!r}:
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
loaded = sorted(m for m in sys.modules if m == "streamlit" or m.startswith("streamlit."))
print(",".join(loaded))
"""


def test_core_never_imports_streamlit() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_CORE.format(core=CORE)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"streamlit loaded by the core: {result.stdout}"


def source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_only_the_store_caches_the_database() -> None:
    offenders = [p for p in UI_FILES if "cache_resource" in source(p) and p != STORE]
    assert offenders == []
    for package in CORE:
        assert not [p for p in (ROOT / package).rglob("*.py") if "cache_resource" in source(p)]


def test_the_store_hands_out_cursors_only() -> None:
    text = source(STORE)
    assert re.search(r"\.cursor\(\)", text), "store.py must give each session its own cursor"
    # The cached database object is used for nothing but making cursors.
    db_uses = re.findall(r"\bdb\.(\w+)", text)
    assert set(db_uses) == {"cursor"}, db_uses
    assert "_database(" not in "".join(source(p) for p in UI_FILES if p != STORE)


def test_ui_runs_no_sql_and_opens_no_connections() -> None:
    for path in UI_FILES:
        text = source(path)
        assert ".execute(" not in text and ".sql(" not in text, f"{path}: SQL belongs in metrics/"
        assert "duckdb.connect" not in text, f"{path}: use pages.components.store.cursor()"
        assert not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\b", text), f"{path}: no SQL words in pages"


def test_page_files_stay_small() -> None:
    long = {p.name: n for p in (ROOT / "pages").glob("*.py") if (n := len(source(p).splitlines())) >= 150}
    assert long == {}, "page files stay under 150 lines: move logic to metrics/ or charts/"
