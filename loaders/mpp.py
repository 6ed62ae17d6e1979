"""Native plan files (.mpp, .mpx, MSPDI, P6 .xer/PMXML, ProjectLibre .pod, GanttProject .gan, ...) through MPXJ.

MPXJ (the `mpxj` package: Java through JPype) runs in a worker process with a memory cap (JVM heap + address-space
limit) and a time limit per file; the JVM starts once per worker. The worker returns plain task dicts, the plan's
calendar and its links with type and lag, which the importer stores like any other plan.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import select
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from loaders import settings
from loaders.errors import FileRefused, Problem
from loaders.links import link_text

Task = dict[str, object]

# extensions MPXJ reads that no other reader here handles (content is checked by MPXJ itself)
MPXJ_EXTENSIONS = (".mpp", ".mpt", ".mpx", ".xer", ".pmxml", ".pod", ".pp", ".gnt", ".planner", ".fts", ".pep", ".sp")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
INSTALL_HINT_ZH = "读取 .mpp 等项目文件需要 Java 17 或更高版本：请运行 `apt-get install openjdk-17-jre-headless`，并安装 requirements.txt 中的 mpxj 与 JPype1。"
INSTALL_HINT_EN = (
    "Reading .mpp and other project files needs Java 17 or newer: run `apt-get install openjdk-17-jre-headless` "
    "and install mpxj and JPype1 from requirements.txt."
)


def is_plan_file(path: Path, name: str) -> bool:
    """A file only MPXJ reads: a project-file extension, and for .mpp/.mpt an OLE2 compound file."""
    ext = Path(name).suffix.lower()
    if ext not in MPXJ_EXTENSIONS:
        return False
    if ext in (".mpp", ".mpt"):
        with path.open("rb") as fh:
            return fh.read(8) == _OLE2
    return True


def java_problem() -> str | None:
    """None when MPXJ can run here; else what is missing, in both languages, with what to install."""
    missing = [m for m in ("jpype", "mpxj") if importlib.util.find_spec(m) is None]
    java_home = os.environ.get("JAVA_HOME")
    has_java = shutil.which("java") is not None or (java_home is not None and Path(java_home, "bin", "java").exists())
    if not missing and has_java:
        return None
    what = ", ".join([*missing, *([] if has_java else ["java"])])
    return f"缺少 {what}。{INSTALL_HINT_ZH} / Missing {what}. {INSTALL_HINT_EN}"


# --------------------------------------------------------------------------------------------- worker side
def _limit_memory(heap_mb: int) -> None:
    """Cap the worker's address space: the JVM heap plus room for the JVM's own reservations and Python."""
    import resource

    cap = (heap_mb + 2048) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _start_jvm(heap_mb: int) -> None:
    import jpype
    import mpxj  # noqa: F401  (puts MPXJ's jars on the class path)

    if not jpype.isJVMStarted():
        jpype.startJVM(
            f"-Xmx{heap_mb}m",
            "-XX:MaxMetaspaceSize=192m",
            "-XX:ReservedCodeCacheSize=64m",
            "-XX:CompressedClassSpaceSize=64m",
            "-Xss1m",
            "-XX:+UseSerialGC",
            "-Dlog4j2.loggerContextFactory=org.apache.logging.log4j.simple.SimpleLoggerContextFactory",
        )


def _serve(heap_mb: int) -> None:
    """The worker loop (python -m loaders.mpp): one JVM, then one JSON request / reply per line until EOF.

    The protocol runs on a private copy of stdout; the JVM's own prints go to stderr.
    """
    import json
    import sys

    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)

    def send(status: str, payload: object) -> None:
        proto.write(json.dumps([status, payload], ensure_ascii=False, default=str) + "\n")
        proto.flush()

    try:
        _limit_memory(heap_mb)
        _start_jvm(heap_mb)
        send("ready", None)
    except Exception as exc:  # noqa: BLE001  (reported to the parent, which refuses the file)
        send("error", f"{type(exc).__name__}: {exc}")
        return
    for line in sys.stdin:
        try:
            send("ok", _read(json.loads(line)))
        except MemoryError:
            send("error", "MemoryError")
        except Exception as exc:  # noqa: BLE001  (any Java/parse failure is a refusal of that file)
            send("error", f"{type(exc).__name__}: {exc}")


def _date(value: Any) -> str | None:
    return None if value is None else str(value.toString())


def _lag(rel: Any, minutes_per_day: float, minutes_per_week: float) -> tuple[float, str]:
    lag = rel.getLag()
    if lag is None:
        return 0.0, "d"
    amount = float(lag.getDuration())
    unit = str(lag.getUnits().name())
    working = {
        "MINUTES": 1 / minutes_per_day,
        "HOURS": 60 / minutes_per_day,
        "DAYS": 1.0,
        "WEEKS": minutes_per_week / minutes_per_day,
        "MONTHS": 20.0,
        "YEARS": 260.0,
    }
    elapsed = {
        "ELAPSED_MINUTES": 1 / 1440,
        "ELAPSED_HOURS": 1 / 24,
        "ELAPSED_DAYS": 1.0,
        "ELAPSED_WEEKS": 7.0,
        "ELAPSED_MONTHS": 30.0,
        "ELAPSED_YEARS": 365.0,
    }
    if unit in working:
        return round(amount * working[unit], 6), "d"
    if unit in elapsed:
        return round(amount * elapsed[unit], 6), "ed"
    if unit in ("PERCENT", "ELAPSED_PERCENT"):
        return amount, "%"
    return amount, "d"


def _calendar(cal: Any, first: dt.date, last: dt.date) -> dict[str, Any]:
    """A calendar as {name, week, off, work}: weekdays that work, and the dated days that differ from them."""
    from java.time import DayOfWeek, LocalDate

    days = [DayOfWeek.MONDAY, DayOfWeek.TUESDAY, DayOfWeek.WEDNESDAY, DayOfWeek.THURSDAY]
    days += [DayOfWeek.FRIDAY, DayOfWeek.SATURDAY, DayOfWeek.SUNDAY]
    week = [bool(cal.isWorkingDay(d)) for d in days]
    off: list[str] = []
    work: list[str] = []
    day = first
    while day <= last:
        flag = bool(cal.isWorkingDate(LocalDate.of(day.year, day.month, day.day)))
        if flag != week[day.weekday()]:
            (work if flag else off).append(day.isoformat())
        day += dt.timedelta(days=1)
    return {
        "name": str(cal.getName() or ""),
        "week": "".join("1" if w else "0" for w in week),
        "off": off,
        "work": work,
    }


def _read(path: str) -> dict[str, Any]:
    """Everything the cockpit keeps of a plan file, as plain Python values."""
    from org.mpxj.reader import UniversalProjectReader

    project = UniversalProjectReader().read(path)
    if project is None:
        raise ValueError("MPXJ does not recognise this file")
    props = project.getProjectProperties()
    mpd = float(props.getMinutesPerDay() or 480)
    mpw = float(props.getMinutesPerWeek() or 2400)
    start_time = props.getDefaultStartTime()
    end_time = props.getDefaultEndTime()
    day_start = str(start_time.toString()) if start_time is not None else "08:00"
    day_end = str(end_time.toString()) if end_time is not None else "17:00"
    # baselines 1-10 are read only when the file says it saved them (each getter is a call into the JVM)
    saved = [0] + [i for i in range(1, 11) if props.getBaselineDate(i) is not None]
    tasks: list[dict[str, Any]] = []
    for t in project.getTasks():
        uid = t.getUniqueID()
        if uid is None or t.getNull():
            continue
        if int(uid.intValue()) == 0 and (t.getOutlineLevel() is None or int(t.getOutlineLevel().intValue()) == 0):
            continue  # the project summary task
        links = []
        for rel in t.getPredecessors():
            lag, unit = _lag(rel, mpd, mpw)
            links.append(
                {
                    "id": str(rel.getPredecessorTask().getUniqueID()),
                    "type": str(rel.getType().toString()),
                    "lag": lag,
                    "unit": unit,
                }
            )
        baselines = []
        for i in saved:
            bs = _date(t.getBaselineStart(i) if i else t.getBaselineStart())
            bf = _date(t.getBaselineFinish(i) if i else t.getBaselineFinish())
            if bs is not None or bf is not None:
                baselines.append({"n": i, "start": bs, "finish": bf})
        owners: list[str] = []
        for asg in t.getResourceAssignments():
            res = asg.getResource()
            if res is not None and res.getName() is not None and str(res.getName()) not in owners:
                owners.append(str(res.getName()))
        dur = t.getDuration()
        slack = t.getTotalSlack()
        free = t.getFreeSlack()
        level = t.getOutlineLevel()
        ctype = t.getConstraintType()
        mode = t.getTaskMode()
        tasks.append(
            {
                "uid": str(uid),
                "name": None if t.getName() is None else str(t.getName()),
                "wbs": None if t.getWBS() is None else str(t.getWBS()),
                "outline_number": None if t.getOutlineNumber() is None else str(t.getOutlineNumber()),
                "outline_level": None if level is None else int(level.intValue()),
                "summary": bool(t.getSummary()),
                "milestone": bool(t.getMilestone()),
                "start": _date(t.getStart()),
                "finish": _date(t.getFinish()),
                "actual_start": _date(t.getActualStart()),
                "actual_finish": _date(t.getActualFinish()),
                "duration_days": None if dur is None else float(dur.convertUnits(_days_unit(), props).getDuration()),
                "percent_complete": float(t.getPercentageComplete() or 0.0),
                "constraint_type": None if ctype is None else str(ctype.name()),
                "constraint_date": _date(t.getConstraintDate()),
                "manual": mode is not None and str(mode.name()) == "MANUALLY_SCHEDULED",
                "active": bool(t.getActive()),
                "links": links,
                "baselines": baselines,
                "owners": owners,
                "ms_critical": bool(t.getCritical()),
                "ms_total_slack": None
                if slack is None
                else float(slack.convertUnits(_days_unit(), props).getDuration()),
                "ms_free_slack": None if free is None else float(free.convertUnits(_days_unit(), props).getDuration()),
            }
        )
    dated = [dt.date.fromisoformat(d[:10]) for t in tasks for d in (t["start"], t["finish"]) if d is not None]
    first = (min(dated) if dated else dt.date.today()) - dt.timedelta(days=31)
    last = (max(dated) if dated else dt.date.today()) + dt.timedelta(days=731)
    cal = project.getDefaultCalendar()
    title = props.getProjectTitle() or props.getName()
    status = _date(props.getStatusDate())
    return {
        "title": None if title is None else str(title),
        "calendar": None if cal is None else _calendar(cal, first, last),
        "day_start": day_start,
        "day_end": day_end,
        "status_date": status,
        "tasks": tasks,
    }


def _days_unit() -> Any:
    from org.mpxj import TimeUnit

    return TimeUnit.DAYS


# --------------------------------------------------------------------------------------------- parent side
class PlanWorker:
    """One worker process with a JVM, reused for every file; killed and restarted after a timeout or a crash."""

    def __init__(self, heap_mb: int | None = None) -> None:
        self.heap_mb = heap_mb or settings.get_int("plan_worker_mb")
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def _reply(self, timeout: float) -> tuple[str, Any]:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        if not ready:
            self.stop()  # a file that takes too long (or a hostile one) costs the worker, never the server
            raise TimeoutError(f"no answer within {timeout:.0f} s")
        line = proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("the plan reader stopped (out of memory?)")
        status, payload = json.loads(line)
        return str(status), payload

    def _spawn(self, timeout: float) -> None:
        root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self._proc = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
            [sys.executable, "-m", "loaders.mpp", str(self.heap_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=root,
        )
        status, detail = self._reply(timeout)
        if status != "ready":
            self.stop()
            raise RuntimeError(str(detail))

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(5)
        self._proc = None

    def read(self, path: Path, timeout: float | None = None) -> dict[str, Any]:
        """The plan in `path`, read by the worker; TimeoutError / RuntimeError when it fails or takes too long."""
        limit = timeout if timeout is not None else settings.get_float("plan_timeout_s")
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._spawn(max(limit, 30.0))
            assert self._proc is not None and self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(str(path)) + "\n")
            self._proc.stdin.flush()
            status, payload = self._reply(limit)
            if status != "ok":
                if "MemoryError" in str(payload) or "OutOfMemory" in str(payload):
                    self.stop()
                raise RuntimeError(str(payload))
            return _revive(dict(payload))


def _revive(plan: dict[str, Any]) -> dict[str, Any]:
    """ISO texts from the worker back into datetimes / times."""

    def ts(value: object) -> dt.datetime | None:
        return dt.datetime.fromisoformat(str(value)) if value else None

    for t in plan["tasks"]:
        for key in ("start", "finish", "actual_start", "actual_finish", "constraint_date"):
            t[key] = ts(t[key])
        for b in t["baselines"]:
            b["start"], b["finish"] = ts(b["start"]), ts(b["finish"])
    plan["status_date"] = ts(plan.get("status_date"))
    plan["day_start"] = dt.time.fromisoformat(str(plan.get("day_start") or "08:00"))
    plan["day_end"] = dt.time.fromisoformat(str(plan.get("day_end") or "17:00"))
    return plan


_WORKER: PlanWorker | None = None


def worker() -> PlanWorker:
    """The process-wide plan reader (started on first use)."""
    global _WORKER
    if _WORKER is None:
        _WORKER = PlanWorker()
    return _WORKER


def _refuse(name: str, zh: str, en: str) -> FileRefused:
    return FileRefused(
        f"文件「{name}」{zh} / File '{name}': {en}",
        [Problem(file=name, sheet=None, row=None, column=None, value=None, message=zh)],
    )


def read_plan(path: Path, name: str) -> dict[str, Any]:
    """Read a project file through the worker; every failure is a FileRefused naming the file and what to do."""
    problem = java_problem()
    if problem is not None:
        raise _refuse(name, f"无法读取项目文件：{problem}", f"cannot read the project file: {problem}")
    try:
        return worker().read(path)
    except TimeoutError as exc:
        raise _refuse(
            name,
            f"读取超时({exc})，文件过大或已损坏；请在 MS Project 中另存为 XML 后重试",
            f"reading timed out ({exc}); the file is too large or damaged: save it as XML in MS Project and retry",
        ) from exc
    except RuntimeError as exc:
        raise _refuse(
            name,
            f"无法读取：文件已损坏、加密或不是支持的项目文件({exc})",
            f"cannot be read: damaged, encrypted or not a supported project file ({exc})",
        ) from exc


# --------------------------------------------------------------------------------------------- to task rows
def _as_date(value: object) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else None


def _calendar_days(spec: dict[str, Any] | None) -> tuple[list[bool], set[dt.date], set[dt.date]]:
    if spec is None:
        return [True] * 5 + [False] * 2, set(), set()
    week = [ch == "1" for ch in str(spec.get("week", "1111100"))]
    return week, {dt.date.fromisoformat(d) for d in spec["off"]}, {dt.date.fromisoformat(d) for d in spec["work"]}


def plan_tasks(plan: dict[str, Any]) -> list[Task]:
    """Task rows in the store's columns from a worker payload.

    Times of day are folded onto days the way MS Project means them: a finish at the start of a working day
    (08:00) is the end of the previous working day; a start at the end of a day (17:00) begins the next one.
    """
    week, off, work = _calendar_days(plan.get("calendar"))

    def working(day: dt.date) -> bool:
        return day in work or (day not in off and week[day.weekday()])

    day_start: dt.time = plan.get("day_start") or dt.time(8, 0)
    day_end: dt.time = plan.get("day_end") or dt.time(17, 0)

    def start_day(value: object, milestone: bool) -> dt.date | None:
        if not isinstance(value, dt.datetime):
            return None
        day = value.date()
        if not milestone and value.time() >= day_end:
            day += dt.timedelta(days=1)
            for _ in range(366):
                if working(day):
                    break
                day += dt.timedelta(days=1)
        return day

    def finish_day(value: object, milestone: bool) -> dt.date | None:
        if not isinstance(value, dt.datetime):
            return None
        day = value.date()
        if not milestone and value.time() <= day_start:
            day -= dt.timedelta(days=1)
            for _ in range(366):
                if working(day):
                    break
                day -= dt.timedelta(days=1)
        return day

    calendar_json = None if plan.get("calendar") is None else json.dumps(plan["calendar"], ensure_ascii=False)
    named = [t for t in plan["tasks"] if t["name"] and str(t["name"]).strip()]
    uids = {str(t["uid"]) for t in named}
    out: list[Task] = []
    for t in named:
        ms = bool(t["milestone"])
        links = [lk for lk in t["links"] if lk["id"] in uids]
        base = next((b for b in t["baselines"] if b["n"] == 0), None)
        preds = ",".join(link_text(lk) for lk in links) or None
        out.append(
            {
                "task_id": str(t["uid"]),
                "wbs": t["wbs"] or t["outline_number"],
                "name": str(t["name"]).strip(),
                "phase": None,
                "start": start_day(t["start"], ms),
                "finish": finish_day(t["finish"], ms),
                "baseline_start": None if base is None else _as_date(base["start"]),
                "baseline_finish": None if base is None else finish_day(base["finish"], ms),
                "percent_complete": t["percent_complete"],
                "duration_days": t["duration_days"],
                "is_milestone": ms,
                "predecessors": preds,
                "owner": ", ".join(t["owners"]) or None,
                "outline_level": t["outline_level"] if t["outline_level"] is not None else 1,
                "is_summary": bool(t["summary"]),
                "actual_start": start_day(t["actual_start"], ms),
                "actual_finish": finish_day(t["actual_finish"], ms),
                "constraint_type": _constraint(t["constraint_type"]),
                "constraint_date": _constraint_day(t, start_day, finish_day),
                "links": json.dumps(links, ensure_ascii=False) if links else None,
                "calendar": calendar_json,
                "baselines": json.dumps(
                    [
                        {"n": b["n"], "start": _iso(_as_date(b["start"])), "finish": _iso(finish_day(b["finish"], ms))}
                        for b in t["baselines"]
                    ]
                )
                if t["baselines"]
                else None,
                "manual": bool(t["manual"]),
            }
        )
    _phases(out)
    return out


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


_CONSTRAINTS = {
    "START_NO_EARLIER_THAN": "SNET",
    "START_NO_LATER_THAN": "SNLT",
    "FINISH_NO_EARLIER_THAN": "FNET",
    "FINISH_NO_LATER_THAN": "FNLT",
    "MUST_START_ON": "MSO",
    "MUST_FINISH_ON": "MFO",
    "AS_LATE_AS_POSSIBLE": "ALAP",
}


def _constraint(kind: object) -> str | None:
    return _CONSTRAINTS.get(str(kind)) if kind else None


def _constraint_day(t: dict[str, Any], start_day: Any, finish_day: Any) -> dt.date | None:
    kind = _constraint(t["constraint_type"])
    if kind is None or t["constraint_date"] is None:
        return None
    if kind in ("FNET", "FNLT", "MFO"):
        return finish_day(t["constraint_date"], False)  # type: ignore[no-any-return]
    return start_day(t["constraint_date"], False)  # type: ignore[no-any-return]


def _phases(tasks: list[Task]) -> None:
    """phase = the name of the top-level summary a task sits under (a top-level leaf has none)."""
    top = min((int(str(t["outline_level"])) for t in tasks), default=1)
    current: str | None = None
    for task in tasks:
        level = int(str(task["outline_level"]))
        if level <= top:
            current = str(task["name"]) if task["is_summary"] else None
        task["phase"] = current


if __name__ == "__main__":
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else 768)
