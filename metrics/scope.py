"""The scope every data function takes: which hospitals, projects, departments and dates a user looks at.

Sign-in binds a department head's departments and a member hospital's people to their hospital (auth.roles.bind);
data functions filter by it in SQL. The hospital filter rides on the project and department clauses (every data
query applies one of them), so no metric names it by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd

T = TypeVar("T")


def default_dates(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The date filter nobody has touched: the last 12 months, ending today."""
    end = today or dt.date.today()
    try:
        start = end.replace(year=end.year - 1)
    except ValueError:  # 29 February
        start = end.replace(year=end.year - 1, day=28)
    return start + dt.timedelta(days=1), end


@dataclass(frozen=True)
class Scope:
    projects: tuple[str, ...] | None = None  # None = all projects
    departments: tuple[str, ...] | None = None  # None = all departments
    start: dt.date | None = None
    end: dt.date | None = None
    as_of: dt.date | None = None  # None = latest snapshot / today
    today: dt.date | None = None  # the "today" line; None = dt.date.today()
    hospitals: tuple[str, ...] | None = None  # None = every hospital (a single-hospital store has only NULL)

    def today_or_now(self) -> dt.date:
        return self.today or dt.date.today()

    def one_hospital(self) -> str | None:
        """The hospital when exactly one is chosen (its own targets apply), else None (group-wide)."""
        return self.hospitals[0] if self.hospitals is not None and len(self.hospitals) == 1 else None

    def hospital_clause(self, column: str = "hospital") -> tuple[str, list[object]]:
        """A SQL condition on the contract views' `hospital` column (a NULL hospital is in no chosen hospital)."""
        if self.hospitals is None:
            return "TRUE", []
        return f"{column} IN (SELECT unnest(?::VARCHAR[]))", [list(self.hospitals)]

    def project_clause(self, column: str = "project") -> tuple[str, list[object]]:
        """A SQL condition and its parameters for the project filter (column from our own code), and the hospital
        filter on the same relation's `hospital` column."""
        sql, params = _in_list(column, self.projects)
        return self._and_hospital(sql, params, column)

    def department_clause(self, column: str = "department") -> tuple[str, list[object]]:
        """The department filter, and the hospital filter on the same relation's `hospital` column."""
        sql, params = _in_list(column, self.departments)
        return self._and_hospital(sql, params, column)

    def _and_hospital(self, sql: str, params: list[object], column: str) -> tuple[str, list[object]]:
        if self.hospitals is None:
            return sql, params
        qualifier, dot, _ = column.rpartition(".")
        hsql, hparams = self.hospital_clause(f"{qualifier}{dot}hospital")
        return (hsql, hparams) if sql == "TRUE" else (f"({sql} AND {hsql})", [*params, *hparams])

    def date_clause(self, column: str) -> tuple[str, list[object]]:
        parts: list[str] = []
        params: list[object] = []
        if self.start is not None:
            parts.append(f"{column} >= ?")
            params.append(self.start)
        if self.end is not None:
            parts.append(f"{column} <= ?")
            params.append(self.end)
        return (" AND ".join(parts) or "TRUE"), params

    def period_where(self, column: str = "period") -> tuple[str, list[object]]:
        """Department scope, date window and as-of cut-off on a periodic table's `column` (KPIs, quality checks)."""
        parts: list[str] = []
        params: list[object] = []
        for sql, p in (self.department_clause("department"), self.date_clause(column)):
            parts.append(sql)
            params += p
        if self.as_of is not None:
            parts.append(f"{column} <= ?")
            params.append(self.as_of)
        return " AND ".join(parts), params


def _in_list(column: str, values: tuple[str, ...] | None) -> tuple[str, list[object]]:
    if values is None:
        return "TRUE", []
    return f"{column} IN (SELECT unnest(?::VARCHAR[]))", [list(values)]


DEPARTMENT_COLUMNS = ("department",)


def anonymise_departments(result: T, keep: str, names: Sequence[str] = ()) -> T:
    """`result` with every department name but `keep` replaced by "#1", "#2", … (numbered by first appearance).

    Applied to whatever a department head receives when the hospital hides other departments' names: frames with a
    department column, text columns naming departments (`names`: every known department; a milestone "EMR 上线
    (心内科、呼吸内科)"), and dataclasses holding such frames (a ranking, a heatmap, a department's standing)."""
    labels: dict[str, str] = {}

    def label(name: str) -> str:
        return name if name == keep else labels.setdefault(name, f"#{len(labels) + 1}")

    pattern = _names_pattern(tuple(names))
    return _anonymise(result, keep, label, pattern)


def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    usable = sorted({n for n in names if n}, key=len, reverse=True)  # 神经内科 before 内科
    return re.compile("|".join(re.escape(n) for n in usable)) if usable else None


def _anonymise(result: T, keep: str, label: Callable[[str], str], pattern: re.Pattern[str] | None) -> T:
    if isinstance(result, pd.DataFrame):
        out = result.copy()
        for col in out.columns:
            if col in DEPARTMENT_COLUMNS:
                out[col] = out[col].map(lambda d: d if not isinstance(d, str) else label(d))
            elif pattern is not None and (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
                out[col] = out[col].map(
                    lambda v: pattern.sub(lambda m: label(m.group(0)), v) if isinstance(v, str) else v
                )
        return out
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        changes = {
            f.name: _anonymise(getattr(result, f.name), keep, label, pattern)
            for f in dataclasses.fields(result)
            if isinstance(getattr(result, f.name), pd.DataFrame)
        }
        return dataclasses.replace(result, **changes) if changes else result
    return result
