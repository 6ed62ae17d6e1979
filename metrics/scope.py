"""The scope every data function takes: which projects, departments and dates a user looks at.

Sign-in binds a department head's departments (auth.roles.bind); data functions filter by it in SQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd

T = TypeVar("T")


@dataclass(frozen=True)
class Scope:
    projects: tuple[str, ...] | None = None  # None = all projects
    departments: tuple[str, ...] | None = None  # None = all departments
    start: dt.date | None = None
    end: dt.date | None = None
    as_of: dt.date | None = None  # None = latest snapshot / today
    today: dt.date | None = None  # the "today" line; None = dt.date.today()

    def today_or_now(self) -> dt.date:
        return self.today or dt.date.today()

    def project_clause(self, column: str = "project") -> tuple[str, list[object]]:
        """A SQL condition and its parameters for the project filter (column from our own code)."""
        if self.projects is None:
            return "TRUE", []
        return f"{column} IN (SELECT unnest(?::VARCHAR[]))", [list(self.projects)]

    def department_clause(self, column: str = "department") -> tuple[str, list[object]]:
        if self.departments is None:
            return "TRUE", []
        return f"{column} IN (SELECT unnest(?::VARCHAR[]))", [list(self.departments)]

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


DEPARTMENT_COLUMNS = ("department",)


def anonymise_departments(result: T, keep: str) -> T:
    """`result` with every department name but `keep` replaced by "#1", "#2", … (numbered by first appearance).

    Applied to whatever a department head receives when the hospital hides other departments' names: frames with a
    department column, and dataclasses holding such frames (a ranking, a heatmap, a department's standing)."""
    if isinstance(result, pd.DataFrame):
        cols = [c for c in DEPARTMENT_COLUMNS if c in result.columns]
        if not cols:
            return result  # type: ignore[return-value]
        out = result.copy()
        labels: dict[object, str] = {}
        for col in cols:
            out[col] = out[col].map(lambda d: d if d == keep or d is None else labels.setdefault(d, f"#{len(labels) + 1}"))
        return out  # type: ignore[return-value]
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        changes = {
            f.name: anonymise_departments(getattr(result, f.name), keep)
            for f in dataclasses.fields(result)
            if isinstance(getattr(result, f.name), pd.DataFrame)
        }
        return dataclasses.replace(result, **changes) if changes else result  # type: ignore[type-var]
    return result
