"""Saved column mappings under watch: which columns a saved mapping sends somewhere other than where the importer
would have put them by itself (shown as a warning in the preview, so a planted mapping cannot pass unseen)."""

from __future__ import annotations

from collections.abc import Iterable

from loaders.headers import ColumnMap, match_field


def automatic_field(dataset: str, header: str) -> str | None:
    """Where the importer maps `header` without any saved mapping (two-level headers: child, then parent)."""
    fld = match_field(dataset, header)
    if fld is None and "/" in header:
        parent, _, child = header.partition("/")
        fld = match_field(dataset, child) or match_field(dataset, parent)
    return fld


def overrides(dataset: str, columns: Iterable[ColumnMap]) -> list[tuple[str, str | None, str]]:
    """(header, field the saved mapping chose, field the importer recognised) for each overridden column."""
    found = []
    for c in columns:
        if c.how != "saved" or not c.header:
            continue
        auto = automatic_field(dataset, c.header)
        if auto is not None and auto != c.field:
            found.append((c.header, c.field, auto))
    return found
