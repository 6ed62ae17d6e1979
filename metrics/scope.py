"""The scope every data function takes: which projects, departments and dates a user looks at.

Later, sign-in binds a department head's scope; data functions already filter by it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


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
