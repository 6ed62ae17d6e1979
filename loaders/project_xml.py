"""GanttProject (.gan) plans, read with defusedxml into canonical task dicts (MS Project XML goes through MPXJ:
loaders.mpp). This reader is kept over MPXJ's for .gan: it keeps the file's own task ids and builds the WBS from
the nesting, where MPXJ renumbers the tasks; link types and lags are read as MPXJ reads them.

Each task dict has: task_id, wbs, name, phase, start, finish, baseline_start, baseline_finish, percent_complete,
duration_days, is_milestone, predecessors, links, owner, outline_level, is_summary.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from loaders.errors import FileRefused, Problem
from loaders.links import link_text
from loaders.sniff import safe_name, sniff

__all__ = ["gan_project_name", "read_gan"]

Task = dict[str, object]

# GanttProject's <depend type>: 1 start-start, 2 finish-start, 3 finish-finish, 4 start-finish (as MPXJ reads it)
_GAN_LINK_TYPES = {"1": "SS", "2": "FS", "3": "FF", "4": "SF"}


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

    # <depend id="X" type=".." difference="lag days"> inside task T: T is a predecessor of X.
    preds: dict[str, list[dict[str, object]]] = {}
    for task_el in container.iter("task"):
        for dep in task_el.findall("depend"):
            succ = dep.get("id")
            tid = task_el.get("id")
            if succ and tid:
                kind = _GAN_LINK_TYPES.get(dep.get("type") or "2", "FS")
                lag = _to_float(dep.get("difference")) or 0.0
                preds.setdefault(succ, []).append({"id": tid, "type": kind, "lag": lag, "unit": "d"})

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
                        "predecessors": ",".join(link_text(lk) for lk in preds.get(task_id, [])) or None,
                        "links": json.dumps(preds[task_id], ensure_ascii=False) if task_id in preds else None,
                        "owner": ", ".join(owners.get(task_id, [])) or None,
                        "outline_level": level,
                        "is_summary": bool(children),
                    }
                )
            walk(el, wbs + ".", level + 1)

    walk(container, "", 1)
    _assign_phases(tasks)
    return tasks
