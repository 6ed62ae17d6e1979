"""Working-time calendars: which days are worked, and the working-day axis the schedule engine computes on.

A plan's own calendar (weekdays + exceptions, from MSPDI/.mpp) when it has one; else Monday-Friday with China's
statutory holidays and make-up working days (调休) from the `chinese-calendar` package; a hospital calendar file
(setting COCKPIT_CALENDAR_FILE) overrides single days of either.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from loaders import settings

_ORIGIN = dt.date(1990, 1, 1)
_DAYS = 366 * 120  # 1990 .. 2110: every plan date fits; beyond it the engine clips
WEEKDAYS_MON_FRI = (True, True, True, True, True, False, False)
CALENDAR_FILE_ENV = "COCKPIT_CALENDAR_FILE"


@dataclass(frozen=True)
class CalendarSpec:
    """A calendar as data: the working weekdays (Monday first) and the dated exceptions (day -> working?)."""

    weekdays: tuple[bool, ...] = WEEKDAYS_MON_FRI
    exceptions: dict[dt.date, bool] = field(default_factory=dict)
    name: str = ""

    def to_json(self) -> str:
        """The compact text stored with a plan (task_rows.calendar): weekmask plus off and extra working days."""
        off = sorted(d.isoformat() for d, w in self.exceptions.items() if not w)
        work = sorted(d.isoformat() for d, w in self.exceptions.items() if w)
        mask = "".join("1" if w else "0" for w in self.weekdays)
        return json.dumps({"name": self.name, "week": mask, "off": off, "work": work}, ensure_ascii=False)

    @staticmethod
    def from_json(text: str) -> CalendarSpec:
        data = json.loads(text)
        week = tuple(ch == "1" for ch in str(data.get("week", "1111100")))
        exc = {dt.date.fromisoformat(d): False for d in data.get("off", [])}
        exc.update({dt.date.fromisoformat(d): True for d in data.get("work", [])})
        return CalendarSpec(week if len(week) == 7 else WEEKDAYS_MON_FRI, exc, str(data.get("name", "")))


def china_exceptions() -> dict[dt.date, bool]:
    """Statutory holidays that fall on weekdays (off) and 调休 weekend working days, as far as the package knows."""
    import chinese_calendar  # the maintained list; imported lazily (it is only data)

    out: dict[dt.date, bool] = {}
    for day in chinese_calendar.holidays:
        if day.weekday() < 5:
            out[day] = False
    for day in chinese_calendar.workdays:
        if day.weekday() >= 5:
            out[day] = True
    return out


def china_coverage() -> tuple[dt.date, dt.date]:
    """First and last day the installed chinese-calendar knows; outside it only weekends are off."""
    import chinese_calendar

    days = list(chinese_calendar.holidays) + list(chinese_calendar.workdays)
    return dt.date(min(days).year, 1, 1), dt.date(max(days).year, 12, 31)


_TRUE = {"1", "工作日", "上班", "work", "working", "workday", "true", "yes", "是", "补班", "调休上班"}
_FALSE = {"0", "休息日", "休息", "节假日", "假日", "放假", "off", "holiday", "false", "no", "否"}


def read_calendar_file(path: Path) -> dict[dt.date, bool]:
    """A hospital calendar: CSV `date,working` (日期,类型) with 工作日/休息日, 1/0, work/off; header optional.

    Raises ValueError naming the line and value it cannot read (never guesses a day).
    """
    out: dict[dt.date, bool] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for n, row in enumerate(csv.reader(fh), start=1):
            if not row or not row[0].strip() or row[0].strip().startswith("#"):
                continue
            first = row[0].strip().replace("/", "-").replace(".", "-")
            try:
                day = dt.date.fromisoformat("-".join(p.zfill(2) for p in first.split("-")))
            except ValueError:
                if n == 1:
                    continue  # a header line
                raise ValueError(f"{path.name} 第 {n} 行：无法识别日期「{row[0]}」 / line {n}: bad date") from None
            kind = row[1].strip().lower() if len(row) > 1 else ""
            if kind in _TRUE:
                out[day] = True
            elif kind in _FALSE:
                out[day] = False
            else:
                raise ValueError(
                    f"{path.name} 第 {n} 行：无法识别「{kind}」(应为 工作日/休息日) / line {n}: expected work/off"
                )
    return out


def default_spec() -> CalendarSpec:
    """Mon-Fri + China's holidays and 调休, then the hospital file's days (when COCKPIT_CALENDAR_FILE is set)."""
    exc = china_exceptions()
    path = settings.get("calendar_file").strip()
    if path:
        exc.update(read_calendar_file(Path(path)))
    return CalendarSpec(WEEKDAYS_MON_FRI, exc, "china")


class Calendar:
    """The working-day axis: x = number of working days before a date's start (the engine's unit)."""

    def __init__(self, spec: CalendarSpec | None = None) -> None:
        self.spec = spec if spec is not None else CalendarSpec()
        weekday = (np.arange(_DAYS) + _ORIGIN.weekday()) % 7
        working = np.asarray(self.spec.weekdays, dtype=bool)[weekday]
        for day, flag in self.spec.exceptions.items():
            i = (day - _ORIGIN).days
            if 0 <= i < _DAYS:
                working[i] = flag
        self.working: npt.NDArray[np.bool_] = working
        # before[i]: working days strictly before day i; ordinals[k]: the day index of the k-th working day
        self.before: npt.NDArray[np.int64] = np.concatenate([[0], np.cumsum(working, dtype=np.int64)])
        self.ordinals: npt.NDArray[np.int64] = np.flatnonzero(working).astype(np.int64)

    # -------------------------------------------------------------- dates -> axis
    def _index(self, days: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        return np.clip(np.nan_to_num(days, nan=0.0), 0, _DAYS - 1).astype(np.int64)

    def start_x(self, dates: Iterable[object]) -> npt.NDArray[np.float64]:
        """x of the start of each date's day (a non-working day starts where the next working day starts)."""
        d = _day_numbers(dates)
        out = self.before[self._index(d)].astype(float)
        out[np.isnan(d)] = np.nan
        return out

    def end_x(self, dates: Iterable[object]) -> npt.NDArray[np.float64]:
        """x of the end of each date's day (a non-working day ends where the previous working day ended)."""
        d = _day_numbers(dates)
        out = self.before[self._index(d) + 1].astype(float)
        out[np.isnan(d)] = np.nan
        return out

    # -------------------------------------------------------------- axis -> dates
    def date_of_start(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.datetime64]:
        """The working day a task starting at x works first (x rounded down to the day it falls in)."""
        return self._date_at(np.floor(x))

    def date_of_end(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.datetime64]:
        """The last working day of a task ending at x (exclusive end: x = 3 ends on the 3rd working day)."""
        return self._date_at(np.ceil(x) - 1)

    def _date_at(self, k: npt.NDArray[np.float64]) -> npt.NDArray[np.datetime64]:
        nan = np.isnan(k)
        idx = np.clip(np.nan_to_num(k, nan=0.0), 0, len(self.ordinals) - 1).astype(np.int64)
        days = self.ordinals[idx].astype("timedelta64[D]") + np.datetime64(_ORIGIN, "D")
        out = days.astype("datetime64[ns]")
        out[nan] = np.datetime64("NaT")
        return out

    def working_days(self, start: dt.date, finish: dt.date) -> int:
        """Working days from start to finish, both inclusive."""
        return int(self.end_x([finish])[0] - self.start_x([start])[0])

    def is_working(self, day: dt.date) -> bool:
        i = (day - _ORIGIN).days
        return bool(self.working[i]) if 0 <= i < _DAYS else day.weekday() < 5

    def shift_elapsed(self, x: float, days: float, *, from_end: bool) -> float:
        """x moved by calendar (elapsed) days: a `3ed` lag. The landing day's start (or end) on the working axis."""
        if np.isnan(x):
            return x
        base = self.date_of_end(np.array([x]))[0] if from_end else self.date_of_start(np.array([x]))[0]
        day = (base + np.timedelta64(int(round(days)), "D")).astype("datetime64[D]").astype(object)
        return float(self.end_x([day])[0] if from_end else self.start_x([day])[0])


def _day_numbers(dates: Iterable[object]) -> npt.NDArray[np.float64]:
    arr = np.asarray(list(dates) if not isinstance(dates, np.ndarray) else dates)
    ts = arr.astype("datetime64[D]") if arr.dtype.kind in "Mm" else _to_days(arr)
    out = (ts - np.datetime64(_ORIGIN, "D")).astype("timedelta64[D]").astype(float)
    out[np.isnat(ts)] = np.nan
    return out


def _to_days(arr: npt.NDArray[object]) -> npt.NDArray[np.datetime64]:  # type: ignore[type-var]
    vals = [np.datetime64("NaT") if (v is None or v != v) else np.datetime64(v, "D") for v in arr]
    return np.array(vals, dtype="datetime64[D]")


_CACHE: dict[str, Calendar] = {}


def calendar_for(spec_json: str | None) -> Calendar:
    """The calendar a plan carries (task_rows.calendar), else the default one; built once per distinct text."""
    key = spec_json or ""
    hit = _CACHE.get(key)
    if hit is None:
        hit = Calendar(CalendarSpec.from_json(key) if key else default_spec())
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = hit
    return hit


def reset_cache() -> None:
    """Forget built calendars (a test that changes COCKPIT_CALENDAR_FILE calls this)."""
    _CACHE.clear()
