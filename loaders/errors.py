"""One small error family for the whole product, and the problem report every loader fills."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file, located the way a PMO clerk finds it in Excel."""

    file: str
    sheet: str | None
    row: int | None  # 1-based Excel row (or CSV record number, header = row of the header)
    column: str | None  # the header text as written in the file (or the column letter)
    value: str | None
    message: str  # what is wrong, in Chinese (the file language of our users)
    severity: str = "error"  # "error" refuses the row/file; "warning" is reported only

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"行 {self.row}")
        if self.column:
            parts.append(f"列「{self.column}」")
        return " / ".join(parts)

    def __str__(self) -> str:
        val = "" if self.value is None else f" 值「{self.value}」"
        return f"{self.location()}{val}: {self.message}"


@dataclass
class Report:
    """Every problem of one file, collected instead of stopping at the first."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    def __bool__(self) -> bool:
        return bool(self.problems)


class CockpitError(Exception):
    """Base of every error we expect and show to a user: a short title plus a message."""

    title = "操作失败"

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


class FileRefused(CockpitError):
    """The file cannot be read safely or at all (empty, corrupt, encrypted, a bomb, wrong format)."""

    title = "文件被拒绝"


class ValidationFailed(CockpitError):
    """The file was read but some rows break the rules; nothing was stored."""

    title = "数据校验未通过"


class StoreUnavailable(CockpitError):
    """The DuckDB file is missing, locked by another program, corrupt, or the disk is full."""

    title = "数据库不可用"


class ImportBusy(CockpitError):
    """Another import is running in this process."""

    title = "已有导入正在进行"
