"""The app's warm-up (pages/components/warm.py) and the overview it keeps (metrics.overview.week_view's shared
memo): the first viewer after start or after an import finds the overview built, the warm-up follows every new data
version, what is kept equals a fresh build, each caller gets its own copy, and a changed setting is never answered
from figures built under another."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from loaders import store
from metrics import money, overview
from metrics.scope import Scope, default_dates
from pages.components import warm
from tests.conftest import app_test, copy_store
from tests.test_app import open_page


@pytest.fixture
def demo_copy(demo_template: Path, tmp_path: Path) -> Path:
    return copy_store(demo_template, tmp_path)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Scope]]:
    """Every overview actually built (not taken from the memo), by its scope; the memo starts empty."""
    built: list[Scope] = []
    real = overview._build_week

    def counted(con: object, scope: Scope, *args: object) -> overview.Week:
        built.append(scope)
        return real(con, scope, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(overview, "_build_week", counted)
    overview._WEEKS.clear()
    overview._VIEWED.clear()
    yield built
    overview._WEEKS.clear()
    overview._VIEWED.clear()


def _until(done: Callable[[], bool], what: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        time.sleep(0.05)


def _frames(week: overview.Week) -> dict[str, pd.DataFrame]:
    return {k: getattr(week, k) for k in ("projects", "changes", "decisions", "kpis", "late", "red_risks")}


def test_the_first_viewer_after_the_warm_up_finds_the_overview_built(demo_copy: Path, builds: list[Scope]) -> None:
    con = store.open_store(demo_copy)
    version = warm.warm(con)
    assert version == store.data_version(con)
    start, end = default_dates()
    assert builds == [overview.definitions.week_scope(builds[0])]  # one scope: no COCKPIT_HOSPITAL
    assert (builds[0].start, builds[0].end, builds[0].hospitals, builds[0].projects) == (start, end, None, None)
    at = app_test(demo_copy, "en")
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Programme overview"
    assert len(builds) == 1  # the page read the warmed overview: nothing built again
    kept = overview.week_view(con, Scope(start=start, end=end))
    assert len(kept.projects) == 6
    assert [s.value.replace("\\", "") for s in at.main.subheader][1:] == list(kept.projects["project"])
    con.close()


def test_the_money_page_after_the_warm_up_builds_no_ledger(
    demo_copy: Path, builds: list[Scope], monkeypatch: pytest.MonkeyPatch
) -> None:
    ledgers: list[Scope] = []
    real = money.ledger_fresh
    monkeypatch.setattr(money, "ledger_fresh", lambda c, s: ledgers.append(s) or real(c, s))
    con = store.open_store(demo_copy)
    warm.warm(con)
    con.close()
    warmed = len(ledgers)
    assert warmed >= 2  # the overview's week (and the week before) and the money page's scope
    at = open_page(demo_copy, "pages/money.py", "zh")
    assert not at.exception, at.exception
    assert at.title[0].value == "预算与支出"
    assert len(ledgers) == warmed  # every money figure on the page read the warmed ledger


def test_the_warm_up_follows_every_new_data_version(
    demo_copy: Path, builds: list[Scope], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COCKPIT_HOSPITAL", "总院")  # an app recording one hospital's imports warms its scope too
    con = store.open_store(demo_copy)
    w = warm.Warmer(con.cursor(), poll=0.05)
    w.start()
    try:
        _until(lambda: w.warmed == store.data_version(con), "the first warm-up")
        assert [s.hospitals for s in builds] == [None, ("总院",)]
        assert w.seconds is not None and w.errors == []
        store.bump_data_version(con)  # an import or undo from anywhere (inbox, data page, command line)
        _until(lambda: w.warmed == store.data_version(con), "the warm-up after the import")
        assert [s.hospitals for s in builds] == [None, ("总院",), None, ("总院",)]
        time.sleep(0.3)  # six more looks at an unchanged version
        assert len(builds) == 4 and w.errors == []
    finally:
        w.stop()
        w.join(10)
    assert not w.is_alive()
    con.close()


def test_a_department_heads_overview_viewed_before_is_built_again_after_an_import(
    demo_copy: Path, builds: list[Scope]
) -> None:
    from auth import roles
    from tests.conftest import as_role

    con = store.open_store(demo_copy)
    warm.warm(con)
    assert len(builds) == 1  # the whole store's
    at = app_test(demo_copy, "zh", as_role(roles.DEPT_HEAD, "心内科"))
    at.run()
    assert not at.exception, at.exception
    mine = [s for s in builds if s.departments == ("心内科",)]
    assert len(builds) == 2 and len(mine) == 1  # the head's first view built theirs
    assert [s.departments for s in warm.scopes()] == [None, ("心内科",)]
    store.bump_data_version(con)  # the weekly load
    warm.warm(con)
    assert [s.departments for s in builds[2:]] == [None, ("心内科",)]  # both built again, in the background
    at.run()
    assert not at.exception, at.exception
    assert len(builds) == 4  # the head's first view after the load built nothing
    con.close()


def test_only_the_last_few_overviews_asked_for_are_warmed(builds: list[Scope]) -> None:
    for i in range(overview.VIEWED_KEPT + 3):
        overview._remember(Scope(departments=(f"科室{i}",)))
    overview._remember(Scope(departments=("科室5",)))  # asked again: the latest
    viewed = [s.departments for s in overview.viewed_scopes()]
    assert len(viewed) == overview.VIEWED_KEPT and viewed[0] == ("科室5",)
    assert ("科室0",) not in viewed and ("科室10",) in viewed


def test_the_overviews_viewed_lately_are_warmed_again_after_a_restart(demo_copy: Path, builds: list[Scope]) -> None:
    """The app is restarted (an upgrade) before the weekly load: the department head who looked last week finds
    their overview built by the new process's warm-up, not only the whole store's."""
    from auth import roles
    from tests.conftest import as_role

    keep = warm.viewed_file(str(demo_copy))
    assert keep == demo_copy.with_name(demo_copy.name + ".viewed.json")
    con = store.open_store(demo_copy)
    first = warm.Warmer(con.cursor(), poll=0.05, keep=keep)
    first.start()
    try:
        _until(lambda: first.warmed == store.data_version(con), "the first process's warm-up")
        at = app_test(demo_copy, "zh", as_role(roles.DEPT_HEAD, "心内科"))
        at.run()
        assert not at.exception, at.exception
        viewed = overview.viewed_scopes()
        assert [s.departments for s in viewed] == [("心内科",), None]  # the head's, and the warm-up's own
        _until(lambda: warm.load_viewed(keep) == viewed, "the scopes written beside the store")
    finally:
        first.stop()
        first.join(10)
    con.close()
    overview._WEEKS.clear()  # a new process: nothing kept in memory
    overview._VIEWED.clear()
    builds.clear()
    con = store.open_store(demo_copy)
    second = warm.Warmer(con.cursor(), poll=0.05, keep=keep)
    second.start()
    try:
        _until(lambda: second.warmed == store.data_version(con), "the new process's warm-up")
        assert [s.departments for s in builds] == [None, ("心内科",)] and second.errors == []
        at = app_test(demo_copy, "zh", as_role(roles.DEPT_HEAD, "心内科"))
        at.run()
        assert not at.exception, at.exception
        assert len(builds) == 2  # the head's first view after the restart built nothing
    finally:
        second.stop()
        second.join(10)
    con.close()


def test_a_kept_scope_reads_back_equal_and_an_unreadable_file_warms_only_the_default(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import datetime as dt

    keep = tmp_path / "cockpit.duckdb.viewed.json"
    assert warm.load_viewed(keep) == []  # the first run: no file
    viewed = [
        Scope(departments=("心内科",), start=dt.date(2025, 12, 4), end=dt.date(2026, 12, 3), hospitals=("总院",)),
        Scope(projects=("EMR", "HIS"), start=dt.date(2026, 1, 1), end=None, as_of=dt.date(2026, 11, 30)),
        Scope(),
    ]
    warm.save_viewed(keep, viewed)
    assert warm.load_viewed(keep) == viewed and list(tmp_path.iterdir()) == [keep]  # no part file left
    assert "心内科" in keep.read_text(encoding="utf-8")  # written as text a person can read
    bad = {
        "{": "Expecting property name",
        '{"viewed": [{"departments": "心内科"}]}': "departments is not a list of names",
        '{"viewed": [{"start": "2026-13-01"}]}': "month must be in 1..12",
        '{"viewed": [{"departement": ["心内科"]}]}': "unknown fields ['departement']",
        '["心内科"]': "list indices must be integers",
    }
    for text, why in bad.items():
        keep.write_text(text, encoding="utf-8")
        caplog.clear()
        with caplog.at_level("WARNING", logger="pages.components.warm"):
            assert warm.load_viewed(keep) == [], text
        (message,) = [r.getMessage() for r in caplog.records]
        assert message.startswith(f"the overviews viewed before the restart are not warmed: {keep} is unreadable (")
        assert why in message, (text, message)


def test_a_default_date_window_viewed_on_an_earlier_day_is_warmed_as_todays(builds: list[Scope]) -> None:
    import datetime as dt

    today = dt.date(2026, 12, 3)  # the untouched filter today: 2025-12-04 .. 2026-12-03
    yesterday = Scope(departments=("心内科",), start=dt.date(2025, 12, 2), end=dt.date(2026, 12, 1))  # 12-01's
    chosen = Scope(departments=("呼吸内科",), start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30))
    whole_then = Scope(start=dt.date(2025, 12, 3), end=dt.date(2026, 12, 2))  # the whole store, viewed 12-02
    overview.remember_earlier([yesterday, chosen, whole_then])
    assert warm.scopes(today) == [
        Scope(start=dt.date(2025, 12, 4), end=dt.date(2026, 12, 3)),
        Scope(departments=("心内科",), start=dt.date(2025, 12, 4), end=dt.date(2026, 12, 3)),
        chosen,  # a window somebody chose stays theirs
    ]


def test_scopes_from_before_the_restart_are_older_than_any_asked_for_since(builds: list[Scope]) -> None:
    overview._remember(Scope(departments=("新的",)))
    overview._remember(Scope(departments=("科室0",)))  # asked in this process as well as before it
    earlier = [Scope(departments=(f"科室{i}",)) for i in range(overview.VIEWED_KEPT)]  # the latest first
    overview.remember_earlier(earlier)
    viewed = [s.departments[0] for s in overview.viewed_scopes() if s.departments]
    assert viewed == [
        "科室0",
        "新的",
        "科室1",
        "科室2",
        "科室3",
        "科室4",
        "科室5",
        "科室6",
    ]  # 科室7: the oldest, dropped


def test_a_store_folder_that_cannot_be_written_leaves_the_warm_up_running(
    tmp_path: Path, builds: list[Scope], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "store.duckdb"
    con = store.open_store(db)
    keep = tmp_path / "gone" / "store.duckdb.viewed.json"  # its folder does not exist: every write fails
    overview._remember(Scope(departments=("心内科",)))
    w = warm.Warmer(con.cursor(), poll=0.05, keep=keep)
    with caplog.at_level("WARNING", logger="pages.components.warm"):
        w.start()
        try:
            _until(lambda: w.warmed == store.data_version(con), "the warm-up")
            store.bump_data_version(con)
            _until(lambda: w.warmed == store.data_version(con), "the warm-up after an import")
        finally:
            w.stop()
            w.join(10)
    assert w.errors == [] and not keep.parent.exists()
    keep.parent.mkdir()
    keep.write_text("kept before", encoding="utf-8")

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(warm.os, "replace", full)  # the new file written, the rename fails
    with pytest.raises(OSError, match="No space left"):
        warm.save_viewed(keep, [Scope(departments=("心内科",))])
    assert list(keep.parent.iterdir()) == [keep] and keep.read_text(encoding="utf-8") == "kept before"
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and messages[0].startswith(f"the overviews viewed lately could not be kept in {keep}: ")
    con.close()


def test_a_failed_warm_up_is_logged_and_not_repeated_for_the_same_data(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def broken(con: object, scope: Scope) -> None:
        calls.append(1)
        raise ValueError("no such week")

    monkeypatch.setattr(overview, "week_view", broken)
    con = store.open_store(demo_copy)
    w = warm.Warmer(con.cursor(), poll=0.05)
    with caplog.at_level("WARNING", logger="pages.components.warm"):
        w.start()
        try:
            _until(lambda: w.warmed == store.data_version(con), "the failed warm-up")
            time.sleep(0.3)  # more looks at the same version
        finally:
            w.stop()
            w.join(10)
    assert calls == [1] and w.errors == ["ValueError: no such week"]
    version = store.data_version(con)
    assert [r.getMessage() for r in caplog.records] == [
        f"warm-up of data version {version} failed (its page says why): ValueError: no such week"
    ]
    con.close()


def test_a_kept_overview_equals_a_fresh_one_and_each_caller_gets_a_copy(demo_copy: Path, builds: list[Scope]) -> None:
    con = store.open_store(demo_copy)
    scope = Scope(start=default_dates()[0], end=default_dates()[1])
    first = overview.week_view(con, scope)
    first.projects["project"] = "scribbled"  # a caller that scribbles on its copy
    first.totals.clear()
    kept = overview.week_view(con, scope)
    assert len(builds) == 1
    overview._WEEKS.clear()
    fresh = overview.week_view(con, scope)
    assert len(builds) == 2
    for name, frame in _frames(fresh).items():
        pd.testing.assert_frame_equal(_frames(kept)[name], frame, obj=name)
    assert kept.totals == fresh.totals and kept.totals
    con.close()


def test_a_changed_setting_is_not_answered_from_the_kept_overview(
    demo_copy: Path, builds: list[Scope], monkeypatch: pytest.MonkeyPatch
) -> None:
    con = store.open_store(demo_copy)
    scope = Scope(start=default_dates()[0], end=default_dates()[1])
    before = overview.week_view(con, scope)
    monkeypatch.setenv("COCKPIT_STATUS_RULES", "slip=1,2;spi=0.99,0.98;cpi=0.99,0.98;eac=0,0.01;risks=1,1;usage=0,0.01")
    after = overview.week_view(con, scope)
    assert len(builds) == 2 and after.rules != before.rules
    assert after.rules == overview.status_rules()
    con.close()


def test_the_warm_up_is_off_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_WARM", "0")
    assert not warm.enabled()
    monkeypatch.setenv("COCKPIT_WARM", "1")
    assert warm.enabled()


def test_only_settings_that_change_no_figure_are_left_out_of_a_kept_figures_key(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loaders import settings
    from metrics import memo

    assert memo._NOT_FIGURES <= set(settings.SETTINGS)  # no misspelt name leaves a figure's setting out
    con = store.open_store(demo_copy)
    key = memo.store_key(con)
    monkeypatch.setenv("COCKPIT_DB", "/elsewhere.duckdb")  # where the store is: the same figures
    assert memo.store_key(con) == key
    monkeypatch.setenv("COCKPIT_RISK_BANDS", "4,8,16")  # a figure's definition: another key
    assert memo.store_key(con) != key
    con.close()


def test_a_served_app_opens_its_store_at_launch_before_anyone_visits(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve.py's start opens the store with its inbox and warm-up: an export job's file is imported by the app
    before any person has opened a page (the server has only been asked whether it is healthy)."""
    import subprocess
    import sys

    from loaders.store import inbox
    from tests.conftest import ROOT
    from tests.test_browser import serve

    monkeypatch.setenv("COCKPIT_WARM", "1")
    monkeypatch.setenv("COCKPIT_INBOX_POLL", "0.5")
    monkeypatch.setenv("COCKPIT_INBOX_SETTLE", "0.5")
    db = copy_store(demo_template, tmp_path)
    folder = inbox.inbox_dir(db)
    with serve(db, tmp_path):
        _until(lambda: inbox.worker_alive(folder) is not None, "the app's inbox worker, with no visit")
        usage = tmp_path / "usage_2026-11-30.csv"
        usage.write_text("统计日期,科室,系统,活跃用户数,应用人数\n2026-11-30,心内科,EMR,40,50\n", encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "loaders", "--db", str(db), "import", "--wait", "120", str(usage)],
            cwd=ROOT, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "inbox" in (done.stdout + done.stderr).lower()  # handed to the running app, which imported it


# A process that ends while a background thread is inside DuckDB aborts ("terminate called without an active
# exception", exit 134): the app's threads are stopped at exit, the warm-up's build cancelled, an import awaited.
_ENDS_DURING = """
import sys, threading
sys.path.insert(0, {root!r})
from loaders import importer, store
from loaders.store import inbox
from metrics import overview
from pages.components import warm

con = store.open_store(sys.argv[1])
begun = threading.Event()
LONG = "SELECT count(*) FROM range({rows}) t(i) WHERE i % 7 = 3"
if sys.argv[2] == "warm":
    store.has_data = lambda c: True
    def week_view(c, scope):
        begun.set()
        c.execute(LONG).fetchall()  # minutes: still running when the process ends
    overview.week_view = week_view
    warm.start(con, sys.argv[1])
else:
    real = importer.import_file
    def import_file(c, path, **kw):
        begun.set()
        c.execute(LONG).fetchall()  # about a second: the end waits for it
        return real(c, path, **kw)
    importer.import_file = import_file
    inbox.start(con, inbox.inbox_dir(sys.argv[1]))
assert begun.wait(60), "never began"
print("ending", flush=True)
"""


@pytest.mark.parametrize("during", ["warm", "inbox"])
def test_the_app_process_ends_cleanly_with_a_build_or_an_import_under_way(during: str, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from loaders.store import inbox
    from tests.conftest import ROOT

    db = tmp_path / "store.duckdb"
    store.open_store(db).close()
    folder = inbox.inbox_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    usage = folder / "usage_2026-11-30.csv"
    usage.write_text("统计日期,科室,系统,活跃用户数,应用人数\n2026-11-30,心内科,EMR,40,50\n", encoding="utf-8")
    rows = 10**12 if during == "warm" else 3 * 10**8
    script = _ENDS_DURING.format(root=str(ROOT), rows=rows)
    env = {**os.environ, "COCKPIT_INBOX_POLL": "0.1", "COCKPIT_INBOX_SETTLE": "0"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(db), during], capture_output=True, text=True, timeout=120, env=env
    )  # fmt: skip
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    assert "ending" in done.stdout and "terminate" not in done.stderr
    con = store.open_store(db)
    landed = con.execute("SELECT count(*) FROM usage").fetchone()
    assert landed == ((1,) if during == "inbox" else (0,))  # the import under way was finished, not cut
    if during == "inbox":
        assert not usage.exists() and list((folder / "done").glob("*usage_2026-11-30.csv"))
