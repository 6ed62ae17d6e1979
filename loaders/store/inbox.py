"""The inbox: a folder beside the store where export jobs (HIS, EMR, finance) and the CLI drop files for import.

The running app imports each file in the background, one at a time, and moves it to `done/` or `refused/` with a
report beside it (`<name>.report.txt`, and `<name>.result.json` that `python -m loaders import --wait` reads). The
history names the inbox as the importer. The worker writes a heartbeat (`.worker`), so the CLI knows an app is
there to take a file when the store is held.

    data/inbox/                      <- drop files here (a name starting with "." or ending .part is ignored)
    data/inbox/done/<id>__<name>     <- loaded (or already loaded), with .report.txt and .result.json
    data/inbox/refused/<id>__<name>  <- refused, with the reasons

A file is taken once it has not changed for COCKPIT_INBOX_SETTLE seconds (an export job may still be writing it).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from loaders import settings
from loaders.store import threads

TICKET = re.compile(r"([0-9a-f]{12})__(.+)\Z")
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".job.json", ".report.txt", ".result.json")
INBOX_USER = "收件箱 inbox"
HEARTBEAT = ".worker"


_OFF = frozenset({"off", "0", "false", "no", "none"})


def enabled() -> bool:
    """COCKPIT_INBOX=off turns the app's inbox worker off (as do 0, false, no and none, the other settings' words for
    off: never a folder named "0" beside the app)."""
    return settings.get("inbox_dir").strip().lower() not in _OFF


def inbox_dir(db_file: str | Path | None = None) -> Path:
    """COCKPIT_INBOX, else `inbox/` beside the store file."""
    configured = settings.get("inbox_dir")
    if configured and enabled():
        return Path(configured)
    if db_file is not None and str(db_file).startswith("ducklake:"):
        return Path(settings.get("data_path") or ".") / "inbox"  # the group store: on the shared data path
    base = Path(db_file) if db_file is not None and str(db_file) != ":memory:" else settings.db_path()
    return base.parent / "inbox"


def _folders(inbox: Path) -> tuple[Path, Path]:
    done, refused = inbox / "done", inbox / "refused"
    for d in (inbox, done, refused):
        d.mkdir(parents=True, exist_ok=True)
    return done, refused


# --------------------------------------------------------------------------------------- handing a file over


@dataclass
class Job:
    """Options of one file handed over by the CLI (a file dropped by an export job has none)."""

    user: str | None = None
    dataset: str | None = None
    project: str | None = None
    as_of: str | None = None  # ISO date
    sheet: str | None = None
    skip_invalid: bool = False


def hand_over(path: Path, inbox: Path, job: Job) -> str:
    """Copy `path` into the inbox under a ticket (options first, the file appears last, whole); returns the ticket."""
    _folders(inbox)
    ticket = uuid.uuid4().hex[:12]
    name = f"{ticket}__{path.name}"
    (inbox / f".{name}.job.json").write_text(json.dumps(job.__dict__, ensure_ascii=False), encoding="utf-8")
    part = inbox / f".{name}.part"
    try:
        shutil.copyfile(path, part)
        os.replace(part, inbox / name)
    except OSError:
        part.unlink(missing_ok=True)
        (inbox / f".{name}.job.json").unlink(missing_ok=True)
        raise
    return ticket


def result_of(inbox: Path, ticket: str) -> dict[str, Any] | None:
    """The outcome of a handed-over file once the app has imported it (None while it waits)."""
    for folder in ("done", "refused"):
        for p in (inbox / folder).glob(f"{ticket}__*.result.json"):
            try:
                data: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # being written: the next look reads it
            return data
    return None


def wait_for(inbox: Path, ticket: str, timeout: float, poll: float = 0.5) -> dict[str, Any] | None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        res = result_of(inbox, ticket)
        if res is not None:
            return res
        time.sleep(poll)
    return None


# ----------------------------------------------------------------------------------------------- heartbeat


def worker_alive(inbox: Path) -> dict[str, Any] | None:
    """The running app's inbox worker (pid, host, last beat), when it beat recently on this host."""
    try:
        beat: dict[str, Any] = json.loads((inbox / HEARTBEAT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stale = max(10.0, 5 * settings.get_float("inbox_poll"))
    if time.time() - float(beat.get("beat", 0)) > stale:
        return None
    if beat.get("host") == socket.gethostname() and not pid_alive(int(beat.get("pid", 0))):
        return None
    return beat


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _beat(inbox: Path, started: float) -> None:
    tmp = inbox / f"{HEARTBEAT}.{os.getpid()}.tmp"
    data = {"pid": os.getpid(), "host": socket.gethostname(), "started": started, "beat": time.time()}
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, inbox / HEARTBEAT)


# ------------------------------------------------------------------------------------------------ the worker


def waiting(inbox: Path, settle: float | None = None) -> list[Path]:
    """Files ready to import, oldest first (unchanged for `settle` seconds, not hidden or partial)."""
    if not inbox.is_dir():
        return []
    limit = settings.get_float("inbox_settle") if settle is None else settle
    now = time.time()
    ready: list[tuple[float, Path]] = []
    for p in inbox.iterdir():
        name = p.name
        if name.startswith((".", "~$")) or name.endswith(IGNORED_SUFFIXES) or not p.is_file():
            continue
        try:
            mtime = p.stat().st_mtime
        except OSError:
            continue
        if now - mtime >= limit:
            ready.append((mtime, p))
    return [p for _, p in sorted(ready)]


@dataclass
class Outcome:
    ticket: str
    file_name: str
    ok: bool
    lines: list[str]
    results: list[dict[str, Any]] = field(default_factory=list)
    moved_to: Path | None = None


def import_one(con: duckdb.DuckDBPyConnection, path: Path, inbox: Path) -> Outcome | None:
    """Import one inbox file and file it under done/ or refused/ with its report. None: the store was busy."""

    done, refused = _folders(inbox)
    # claim the file first: with several app replicas on one inbox, exactly one of them takes it
    claimed = inbox / f".work.{os.getpid()}.{path.name}"
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        return None  # another replica took it
    try:
        return _import_claimed(con, path, claimed, inbox, done, refused)
    except BaseException:
        with contextlib.suppress(OSError):
            os.rename(claimed, path)  # give it back for the next look
        raise


def _import_claimed(
    con: duckdb.DuckDBPyConnection, path: Path, claimed: Path, inbox: Path, done: Path, refused: Path
) -> Outcome | None:
    from loaders import importer
    from loaders.store import writes

    m = TICKET.fullmatch(path.name)
    ticket, display = (m.group(1), m.group(2)) if m else (uuid.uuid4().hex[:12], path.name)
    job_file = inbox / f".{path.name}.job.json"
    job = Job()
    if job_file.exists():
        with contextlib.suppress(OSError, ValueError, TypeError):
            job = Job(**json.loads(job_file.read_text(encoding="utf-8")))
    user = f"{job.user} ({INBOX_USER})" if job.user else INBOX_USER
    as_of = dt.date.fromisoformat(job.as_of) if job.as_of else None
    with writes.via("inbox"):
        results = importer.import_file(
            con,
            claimed,
            display_name=display,
            dataset=job.dataset,
            project=job.project,
            as_of=as_of,
            sheet=job.sheet,
            skip_invalid=job.skip_invalid,
            user=user,
        )
    if any(r.status == "refused" and r.message.startswith(writes.BUSY_PREFIX) for r in results):
        os.rename(claimed, path)
        return None  # another import holds the store: the file stays for the next look
    ok = bool(results) and all(r.status in ("loaded", "skipped") for r in results)
    lines: list[str] = []
    for r in results:
        writes.result_lines(r, lines)
    target_dir = done if ok else refused
    stored_name = f"{ticket}__{display}"
    target = target_dir / stored_name
    if target.exists():
        target = target_dir / f"{ticket}__{int(time.time())}_{display}"
    os.replace(claimed, target)
    job_file.unlink(missing_ok=True)
    header = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} {display}: {'已导入 / loaded' if ok else '未导入 / refused'}"
    (target_dir / f"{target.name}.report.txt").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    out = Outcome(
        ticket,
        display,
        ok,
        lines,
        [{"status": r.status, "dataset": r.dataset, "rows": r.rows, "import_id": r.import_id} for r in results],
        target,
    )
    payload = {"ticket": ticket, "file_name": display, "ok": ok, "lines": lines, "results": out.results}
    tmp = target_dir / f".{target.name}.result.tmp"
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, target_dir / f"{target.name}.result.json")
    return out


_CLAIM = re.compile(r"\.work\.(\d+)\.(.+)\Z")


def release_stale_claims(inbox: Path) -> int:
    """Files claimed by a worker that died mid-import go back to the inbox (its attempt shows as interrupted)."""
    back = 0
    if not inbox.is_dir():
        return 0
    for p in inbox.iterdir():
        m = _CLAIM.fullmatch(p.name)
        if m and not pid_alive(int(m.group(1))):
            with contextlib.suppress(OSError):
                os.rename(p, inbox / m.group(2))
                back += 1
    return back


class Worker(threading.Thread):
    """The app's background importer: one file at a time, forever, until stopped."""

    def __init__(self, con: duckdb.DuckDBPyConnection, inbox: Path, poll: float | None = None) -> None:
        super().__init__(name="cockpit-inbox", daemon=True)
        self.con = con
        self.inbox = inbox
        self.poll = settings.get_float("inbox_poll") if poll is None else poll
        self.stop_event = threading.Event()
        self.started_at = time.time()
        self.errors: list[str] = []

    def run(self) -> None:
        from loaders.store.connection import IMPORT_LOCK

        release_stale_claims(self.inbox)
        while not self.stop_event.is_set():
            try:
                _folders(self.inbox)
                _beat(self.inbox, self.started_at)
                for path in waiting(self.inbox):
                    if self.stop_event.is_set() or IMPORT_LOCK.busy():
                        break
                    if import_one(self.con, path, self.inbox) is None:
                        break
            except Exception as exc:  # noqa: BLE001 - the worker must outlive one bad file or a full disk
                self.errors.append(f"{type(exc).__name__}: {exc}")
                del self.errors[:-20]
            self.stop_event.wait(self.poll)

    def stop(self) -> None:
        self.stop_event.set()
        with contextlib.suppress(OSError):
            beat = json.loads((self.inbox / HEARTBEAT).read_text(encoding="utf-8"))
            if beat.get("pid") == os.getpid():
                (self.inbox / HEARTBEAT).unlink()


_WORKERS: dict[str, Worker] = {}
_START = threading.Lock()


def start(con: duckdb.DuckDBPyConnection, inbox: Path) -> Worker:
    """Start (once per inbox and process) the background worker on its own cursor of `con`."""
    key = str(inbox.resolve())
    with _START:
        w = _WORKERS.get(key)
        if w is None or not w.is_alive():
            w = Worker(con.cursor(), inbox)
            w.start()
            _WORKERS[key] = w
        return w


def stop_all(timeout: float = 60.0) -> None:
    """Stop every worker of this process and wait up to `timeout` seconds for the import under way to end (it is
    not cancelled: a cancelled import would be filed as refused). Run at exit: a thread left inside DuckDB while
    Python shuts down aborts the whole process ("terminate called ..."); the store itself is safe either way, and a
    file claimed by a process that died goes back to the inbox at the next start."""
    threads.stop_all(_WORKERS, _START, timeout)


atexit.register(stop_all)
