"""The pages against the group store, as `bench.pages_bench --group` serves them: the group edition's environment
can run the app, the bench's large-store builders write the same rows into DuckLake as into the embedded file, and
every page runs through app.py on the lake and shows what it shows on the embedded file.

Runs in the group edition's environment (.venv-group) like test_group_store.py.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

import pgserver  # noqa: E402

from bench.pages_bench import PAGES, build_large  # noqa: E402
from loaders import store  # noqa: E402

VIEWS = ("tasks", "risks", "changes", "budget", "costs", "usage", "kpis")
BENCH_PAGES = [f"pages/{name}.py" for name in PAGES]


def _pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line.split("#")[0].strip())
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def test_the_group_edition_pins_every_runtime_package_of_the_app() -> None:
    """Without the sign-in packages the group edition's replicas could not start serve.py (argon2 missing): every
    runtime pin of requirements.txt but DuckDB's is in requirements-group.txt, at the same version."""
    runtime = _pins(ROOT / "requirements.txt")
    group = _pins(ROOT / "requirements-group.txt")
    assert {"streamlit", "argon2-cffi", "authlib", "httpx"} <= set(runtime)
    missing = {name: pin for name, pin in runtime.items() if name != "duckdb" and group.get(name) != pin}
    assert not missing, f"requirements-group.txt lacks or pins differently: {missing}"


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The bench's large store at a tiny scale, built by the same builders in a file and in a lake."""
    tmp = tmp_path_factory.mktemp("group_pages")
    saved = {k: os.environ.get(k) for k in ("COCKPIT_STORE", "COCKPIT_DATA_PATH", "COCKPIT_DB")}
    with pgserver.postgres("cockpit_pages") as conninfo:
        os.environ["COCKPIT_DATA_PATH"] = str(tmp / "lake")
        spec = "ducklake:postgres:" + conninfo
        build_large(spec, 0.0001)
        build_large(tmp / "large.duckdb", 0.0001)
        try:
            yield tmp / "large.duckdb", spec
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _frame(con: Any, view: str) -> Any:
    df = con.execute(f"SELECT * EXCLUDE (import_id) FROM {store.quote_ident(view)}").df()  # noqa: S608
    return df.sort_values(list(df.columns)).reset_index(drop=True)


@pytest.mark.timeout(1200)
def test_the_bench_builders_write_the_same_rows_in_both_stores(stores: tuple[Path, str]) -> None:
    import pandas as pd

    file, spec = stores
    embedded, group = store.open_store(file, read_only=True), store.open_store(spec)
    try:
        for view in VIEWS:
            want, got = _frame(embedded, view), _frame(group, view)
            assert len(want) > 0, view
            pd.testing.assert_frame_equal(want, got, check_dtype=False)
        # the bench's own imports (usage, costs, plan, register) are loaded imports in both
        q = "SELECT dataset, rows FROM imports WHERE file_name = 'bench' ORDER BY 1"
        assert embedded.execute(q).fetchall() == group.execute(q).fetchall()
        assert [r[0] for r in group.execute(q).fetchall()] == ["costs", "risks", "tasks", "usage"]
    finally:
        embedded.close()
        group.close()


def _shown(at: Any) -> list[str]:
    """What a page shows as text: titles, headings, text, captions, tiles and notices."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success"):
        out += [f"{kind}: {e.value}" for e in getattr(at, kind)]
    out += [f"metric: {m.label} = {m.value} ({m.delta})" for m in at.metric]
    return out


def _open(page: str, env: dict[str, str]) -> Any:
    from streamlit.testing.v1 import AppTest

    from tests import conftest  # noqa: F401 - AppTest routed through app.py from the second run on

    for k in ("COCKPIT_STORE", "COCKPIT_DB"):
        os.environ.pop(k, None)
    os.environ.update(env)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["lang"] = "zh"
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    return at


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("page", BENCH_PAGES)
def test_each_bench_page_shows_the_same_on_the_lake(stores: tuple[Path, str], page: str, tmp_path: Path) -> None:
    import pandas as pd

    file, spec = stores
    embedded = _open(page, {"COCKPIT_DB": str(file)})
    group = _open(page, {"COCKPIT_STORE": spec, "COCKPIT_DB": str(tmp_path / "unused.duckdb")})
    for at in (embedded, group):
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
    want, got = _shown(embedded), _shown(group)
    assert len(want) > 3, want
    assert got == want
    # the tables' cells: equal up to the last bits of a float sum (Parquet files are summed in another order)
    assert len(group.dataframe) == len(embedded.dataframe)
    for w, g in zip(embedded.dataframe, group.dataframe, strict=True):
        pd.testing.assert_frame_equal(w.value, g.value, check_exact=False, rtol=1e-9)


@pytest.mark.timeout(1200)
def test_a_download_on_the_lake_is_made_and_audited_when_clicked(
    stores: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is made and the audit record written on the click's own thread, through its own cursor of the lake."""
    import io

    import pandas as pd

    from tests.conftest import click, deferred_downloads

    _, spec = stores
    offered = deferred_downloads(monkeypatch)
    at = _open("pages/money.py", {"COCKPIT_STORE": spec, "COCKPIT_DB": str(tmp_path / "unused.duckdb")})
    assert not at.exception, [e.value for e in at.exception]
    name = "budget_spent_project.csv"
    assert name in offered, sorted(offered)
    rows = len(pd.read_csv(io.BytesIO(click(offered[name])), encoding="utf-8-sig"))
    at.switch_page("pages/audit.py").run()  # demo mode: the PMO
    assert not at.exception, [e.value for e in at.exception]
    log = at.dataframe[0].value
    assert log[log["event"] == "download"][["who", "subject", "result", "note"]].values.tolist()[0] == [
        "demo",
        name,
        "ok",
        f"{rows} rows",
    ]
