"""Shared fixtures: an empty store, the demo store, and `app_test` to run app.py under Streamlit's AppTest."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as _app_test_module

from auth.roles import Identity
from loaders import store
from loaders.demo import build_demo
from pages.components import session

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"


class _NavigationPagesManager(PagesManager):
    """AppTest resets Streamlit's "uses the pages/ directory" flag before every run, so from the second run on
    it routes straight to pages/<name>.py without app.py (no sidebar, no filters). A real server clears the flag
    for good once st.navigation has run; this does the same for every AppTest run."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        PagesManager.uses_pages_directory = False


_app_test_module.PagesManager = _NavigationPagesManager  # type: ignore[misc]


def app_test(db_path: str | Path, lang: str = "zh", identity: Identity | None = None) -> AppTest:
    """app.py under AppTest on the store `db_path`, in `lang` (set through the `lang` query parameter).

    With `identity`, the session starts signed in as that person (see `as_role`); without, the app runs as it
    would with nothing configured: demo mode, the PMO."""
    os.environ["COCKPIT_DB"] = str(db_path)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = lang
    if identity is not None:
        session.sign_in_as(at.session_state, identity)
    return at


def record_downloads(monkeypatch: pytest.MonkeyPatch, seen: Callable[[str | None, bytes], None]) -> None:
    """Hand `seen` (file name, bytes) every file a run offers for download: those written at once, as they reach
    Streamlit's media store, and those written when their button is clicked (tables' Excel and CSV), made here
    as a click would make them."""
    stored = MemoryMediaFileStorage.load_and_get_id
    deferred = MediaFileManager.add_deferred

    def on_store(self: MemoryMediaFileStorage, data: Any, mimetype: str, kind: Any, filename: str | None = None) -> str:
        if isinstance(data, bytes):
            seen(filename, data)
        return stored(self, data, mimetype, kind, filename)

    def on_defer(self: MediaFileManager, make: Callable[[], Any], mimetype: Any, coordinates: str, file_name: Any = None,
                 **kw: Any) -> str:  # fmt: skip
        data = make()
        seen(file_name, data.encode() if isinstance(data, str) else data)
        return deferred(self, make, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", on_store)
    monkeypatch.setattr(MediaFileManager, "add_deferred", on_defer)


def deferred_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], Any]]:
    """File name -> the function Streamlit runs when that download's button is clicked, for every download the
    runs after this call offer (filled as they run)."""
    offered: dict[str, Callable[[], Any]] = {}
    deferred = MediaFileManager.add_deferred

    def on_defer(self: MediaFileManager, make: Callable[[], Any], mimetype: Any, coordinates: str, file_name: Any = None,
                 **kw: Any) -> str:  # fmt: skip
        offered[str(file_name)] = make
        return deferred(self, make, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", on_defer)
    return offered


def click(make: Callable[[], Any]) -> Any:
    """A download's `make` run as Streamlit runs it when its button is clicked: on another thread, with no script
    run and no session state. What it returned, or the exception it raised."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(make())
        except Exception as e:  # noqa: BLE001  # the test reads what the click got
            out.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(120)
    assert out, "the download's file was not made within 120 s"
    return out[0]


def as_role(role: str, department: str | None = None, user: str | None = None) -> Identity:
    """A signed-in identity for tests: `app_test(db, "en", as_role("dept_head", "心内科"))`."""
    return Identity(user or f"test-{role}", role, department, user or role, "test")


@pytest.fixture(autouse=True)
def _restore_cockpit_db(monkeypatch: pytest.MonkeyPatch) -> None:
    # app_test() sets COCKPIT_DB; monkeypatch puts the original value back after each test.
    monkeypatch.delenv("COCKPIT_DB", raising=False)
    monkeypatch.delenv("COCKPIT_ACCOUNTS", raising=False)
    # No background warm-up of every test's store (tests/test_warm.py turns it on): it would take the cores
    # from the tests beside it.
    monkeypatch.setenv("COCKPIT_WARM", "0")


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    """A store file holding only the schema."""
    path = tmp_path / "empty.duckdb"
    store.open_store(path).close()
    return path


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store, built once and never opened again: fixtures hand out copies of it."""
    path = tmp_path_factory.mktemp("demo_template") / "demo.duckdb"
    build_demo(path)
    return path


def copy_store(template: Path, target_dir: Path) -> Path:
    """A private copy of a closed store file (each process must own its own file: DuckDB locks it)."""
    target = target_dir / template.name
    shutil.copy2(template, target)
    wal = template.with_name(template.name + ".wal")
    if wal.exists():
        shutil.copy2(wal, target.with_name(target.name + ".wal"))
    return target


@pytest.fixture(scope="session")
def demo_db(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo store for in-process tests (AppTest opens it and keeps it open for the session)."""
    yield copy_store(demo_template, tmp_path_factory.mktemp("demo_db"))
