"""Plan files in XML: MS Project XML (MSPDI) and GanttProject (.gan), read with defusedxml into canonical task dicts.

Each task dict has: task_id, wbs, name, phase, start, finish, baseline_start, baseline_finish, percent_complete,
duration_days, is_milestone, predecessors, owner, outline_level, is_summary.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from loaders.errors import FileRefused, Problem
from loaders.sniff import safe_name, sniff

__all__ = ["gan_project_name", "mspdi_project_name", "read_gan", "read_mspdi"]

Task = dict[str, object]

_ISO_DURATION = re.compile(
    r"^-?P(?:(?P<y>[\d.]+)Y)?(?:(?P<mo>[\d.]+)M)?(?:(?P<w>[\d.]+)W)?(?:(?P<d>[\d.]+)D)?"
    r"(?:T(?:(?P<h>[\d.]+)H)?(?:(?P<mi>[\d.]+)M)?(?:(?P<s>[\d.]+)S)?)?$"
)
_UNASSIGNED_RESOURCE = "-65535"  # MS Project's placeholder resource of an unassigned assignment


def _refuse(name: str, zh: str, en: str) -> FileRefused:
    return FileRefused(
        f"文件「{name}」{zh} / File '{name}': {en}",
        [Problem(file=name, sheet=None, row=None, column=None, value=None, message=zh)],
    )


def _load(path: Path, display_name: str | None, kind: str) -> tuple[Element, str]:
    """Sniff (size, DTD, kind) and parse with defusedxml; every failure is a FileRefused naming the file."""
    name = safe_name(display_name if display_name is not None else path.name)
    got = sniff(path, name)
    if got != kind:
        label = {"mspdi": ("MS Project XML(MSPDI)", "MS Project XML (MSPDI)"), "gan": ("GanttProject", "GanttProject")}
        zh, en = label[kind]
        raise _refuse(name, f"不是 {zh} 文件(内容识别为 {got})", f"not a {en} file (content looks like {got})")
    try:
        parsed: Element | None = DET.parse(str(path), forbid_dtd=True).getroot()
    except DefusedXmlException as exc:
        raise _refuse(
            name,
            "XML 文件含 DTD/实体声明，出于安全原因拒绝",
            "the XML contains a DTD/entity declaration and is refused",
        ) from exc
    except ParseError as exc:
        raise _refuse(
            name, f"XML 格式错误，文件可能已损坏({exc})", f"malformed XML, the file may be corrupt ({exc})"
        ) from exc
    except (OSError, ValueError) as exc:
        raise _refuse(name, f"无法读取 XML({exc})", f"cannot read the XML ({exc})") from exc
    if parsed is None:
        raise _refuse(name, "XML 文件没有内容", "the XML file has no root element")
    return parsed, name


def _to_date(text: str | None) -> date | None:
    if not text or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _to_float(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    s = text.strip()
    return s or None


def _assign_phases(tasks: list[Task]) -> None:
    """phase = name of the top-level (outline level 1) ancestor when that ancestor is a summary; a top-level
    summary is its own phase; a top-level leaf has none."""
    current: str | None = None
    for task in tasks:
        level = task["outline_level"]
        if isinstance(level, int) and level <= 1:
            current = str(task["name"]) if task["is_summary"] else None
        task["phase"] = current


# --------------------------------------------------------------------------------------------- MSPDI


def _ns(root: Element) -> str:
    return root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""


def iso_duration_hours(text: str | None, hours_per_day: float = 8.0) -> float | None:
    """Hours in an MSPDI ISO-8601 duration such as "PT400H0M0S"; days/weeks count as working days/weeks."""
    if not text:
        return None
    m = _ISO_DURATION.match(text.strip())
    if not m:
        return None
    g = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    hours = g["h"] + g["mi"] / 60 + g["s"] / 3600
    hours += (g["d"] + 5 * g["w"] + 20 * g["mo"] + 260 * g["y"]) * hours_per_day
    return -hours if text.strip().startswith("-") else hours


def mspdi_project_name(path: Path, display_name: str | None = None) -> str | None:
    """The project's <Title>, else its <Name> (which is often just the file name)."""
    root, _name = _load(path, display_name, "mspdi")
    ns = _ns(root)
    return _clean(root.findtext(f"{ns}Title")) or _clean(root.findtext(f"{ns}Name"))


def read_mspdi(path: Path, display_name: str) -> list[Task]:
    """Tasks of an MS Project XML file in file order, without the project summary task (UID 0) and nameless rows.

    Durations are working hours / (MinutesPerDay / 60), i.e. hours / 8 for the default calendar."""
    root, _name = _load(path, display_name, "mspdi")
    ns = _ns(root)
    minutes_per_day = _to_float(root.findtext(f"{ns}MinutesPerDay")) or 480.0
    hours_per_day = minutes_per_day / 60 if minutes_per_day > 0 else 8.0

    resources: dict[str, str] = {}
    for res in root.iterfind(f"{ns}Resources/{ns}Resource"):
        uid = _clean(res.findtext(f"{ns}UID"))
        res_name = _clean(res.findtext(f"{ns}Name"))
        if uid and res_name:
            resources[uid] = res_name
    owners: dict[str, list[str]] = {}
    for asg in root.iterfind(f"{ns}Assignments/{ns}Assignment"):
        task_uid = _clean(asg.findtext(f"{ns}TaskUID"))
        res_uid = _clean(asg.findtext(f"{ns}ResourceUID"))
        if task_uid and res_uid and res_uid != _UNASSIGNED_RESOURCE and res_uid in resources:
            names = owners.setdefault(task_uid, [])
            if resources[res_uid] not in names:
                names.append(resources[res_uid])

    tasks: list[Task] = []
    for el in root.iterfind(f"{ns}Tasks/{ns}Task"):
        uid = _clean(el.findtext(f"{ns}UID"))
        task_name = _clean(el.findtext(f"{ns}Name"))
        if uid is None or uid == "0" or task_name is None or el.findtext(f"{ns}IsNull") == "1":
            continue
        baseline_start: date | None = None
        baseline_finish: date | None = None
        for bl in el.iterfind(f"{ns}Baseline"):
            if (_clean(bl.findtext(f"{ns}Number")) or "0") == "0":
                baseline_start = _to_date(bl.findtext(f"{ns}Start"))
                baseline_finish = _to_date(bl.findtext(f"{ns}Finish"))
        hours = iso_duration_hours(el.findtext(f"{ns}Duration"), hours_per_day)
        level_text = _clean(el.findtext(f"{ns}OutlineLevel"))
        preds = [
            p
            for p in (_clean(link.findtext(f"{ns}PredecessorUID")) for link in el.iterfind(f"{ns}PredecessorLink"))
            if p
        ]
        tasks.append(
            {
                "task_id": uid,
                "wbs": _clean(el.findtext(f"{ns}WBS")) or _clean(el.findtext(f"{ns}OutlineNumber")),
                "name": task_name,
                "phase": None,
                "start": _to_date(el.findtext(f"{ns}Start")),
                "finish": _to_date(el.findtext(f"{ns}Finish")),
                "baseline_start": baseline_start,
                "baseline_finish": baseline_finish,
                "percent_complete": _to_float(el.findtext(f"{ns}PercentComplete")) or 0.0,
                "duration_days": None if hours is None else hours / hours_per_day,
                "is_milestone": el.findtext(f"{ns}Milestone") == "1",
                "predecessors": ",".join(preds) or None,
                "owner": ", ".join(owners.get(uid, [])) or None,
                "outline_level": int(level_text) if level_text and level_text.isdigit() else 1,
                "is_summary": el.findtext(f"{ns}Summary") == "1",
            }
        )
    _assign_phases(tasks)
    return tasks


# --------------------------------------------------------------------------------------------- GanttProject


def gan_project_name(path: Path, display_name: str | None = None) -> str | None:
    root, _name = _load(path, display_name, "gan")
    return _clean(root.get("name"))


def _weekend_days(root: Element) -> set[int]:
    """Non-working weekdays (Monday = 0) from <default-week>; Saturday and Sunday when absent."""
    week = root.find("calendars/day-types/default-week")
    if week is None:
        return {5, 6}
    keys = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    days = {i for i, k in enumerate(keys) if week.get(k) == "1"}
    return days if len(days) < 7 else {5, 6}


def gan_finish(start: date, duration_days: float, weekend: set[int] | None = None) -> date:
    """Last working day of a task that starts on `start` and lasts `duration_days` working days (a 1-day task
    finishes on its start; a milestone, duration 0, finishes on its start). Holidays are not modelled."""
    off = {5, 6} if weekend is None else weekend
    remaining = math.ceil(duration_days)
    if remaining <= 0:
        return start
    day = start
    while day.weekday() in off:  # a task that starts on a weekend begins work on the next working day
        day += timedelta(days=1)
    remaining -= 1
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() not in off:
            remaining -= 1
    return day


def read_gan(path: Path, display_name: str) -> list[Task]:
    """Tasks of a GanttProject file in outline order; WBS codes are built from the nesting (1, 1.1, 1.2 …)."""
    root, _name = _load(path, display_name, "gan")
    weekend = _weekend_days(root)
    container = root.find("tasks")
    if container is None:
        return []

    resources = {r.get("id"): _clean(r.get("name")) for r in root.iterfind("resources/resource")}
    owners: dict[str, list[str]] = {}
    for alloc in root.iterfind("allocations/allocation"):
        res_name = resources.get(alloc.get("resource-id"))
        task_id = alloc.get("task-id")
        if task_id and res_name:
            names = owners.setdefault(task_id, [])
            if res_name not in names:
                names.append(res_name)

    # <depend id="X"> inside task T: T is a predecessor of X (whatever the link type).
    preds: dict[str, list[str]] = {}
    for task_el in container.iter("task"):
        for dep in task_el.findall("depend"):
            succ = dep.get("id")
            tid = task_el.get("id")
            if succ and tid:
                preds.setdefault(succ, []).append(tid)

    tasks: list[Task] = []

    def walk(parent: Element, prefix: str, level: int) -> None:
        number = 0
        for el in parent.findall("task"):
            number += 1
            wbs = f"{prefix}{number}"
            task_id = el.get("id") or ""
            task_name = _clean(el.get("name"))
            children = el.findall("task")
            if task_id and task_name is not None:
                start = _to_date(el.get("start"))
                duration = _to_float(el.get("duration")) or 0.0
                is_milestone = el.get("meeting") == "true"
                tasks.append(
                    {
                        "task_id": task_id,
                        "wbs": wbs,
                        "name": task_name,
                        "phase": None,
                        "start": start,
                        "finish": None
                        if start is None
                        else gan_finish(start, 0 if is_milestone else duration, weekend),
                        "baseline_start": None,
                        "baseline_finish": None,
                        "percent_complete": _to_float(el.get("complete")) or 0.0,
                        "duration_days": duration,
                        "is_milestone": is_milestone,
                        "predecessors": ",".join(preds.get(task_id, [])) or None,
                        "owner": ", ".join(owners.get(task_id, [])) or None,
                        "outline_level": level,
                        "is_summary": bool(children),
                    }
                )
            walk(el, wbs + ".", level + 1)

    walk(container, "", 1)
    _assign_phases(tasks)
    return tasks
