"""Find the header row under title rows, flatten two-level headers, and map headers onto dataset fields.

A header matches a field when its normalised text equals one of the field's aliases, or does once a unit
suffix such as (万元) or (%) or a bracketed explanation is taken off. Otherwise it may match by the words it
contains (报销日期 → date, 所属科室 → department) with a confidence the preview shows; a doubtful match or a tie
between two fields is left for the user to choose, never guessed. Saved user mappings win over aliases.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field

from loaders.datasets import DATASETS, Dataset, normalise_header

HEADER_SCAN_ROWS = 30

_UNIT_SUFFIX = re.compile(r"(万元|亿元|千元|元|人民币|rmb|cny|%|％|天|日|工作日|分钟|小时|人|个|次|d|days)$")


@dataclass
class ColumnMap:
    index: int  # 0-based column index in the grid
    header: str  # header text as written (two-level headers joined with "/")
    field: str | None  # canonical field, or None when ignored
    how: str  # "alias" | "words" | "saved" | "user" | "none" | "duplicate" | "doubtful"
    confidence: float = 1.0  # how sure the match is (1 for an alias, lower for a match by contained words)
    candidates: tuple[str, ...] = ()  # doubtful or tied: the fields it might be (asked on the data page)

    @property
    def letter(self) -> str:
        """The Excel column letter: tells two columns with the same header apart."""
        n, out = self.index + 1, ""
        while n:
            n, rem = divmod(n - 1, 26)
            out = chr(65 + rem) + out
        return out


@dataclass
class HeaderChoice:
    dataset: Dataset
    header_row: int  # 0-based index of the LAST header row in the grid
    levels: int  # 1 or 2
    columns: list[ColumnMap]
    missing: list[str] = field(default_factory=list)  # required fields not found
    duplicates: list[tuple[str, list[int]]] = field(default_factory=list)  # same header text, several columns
    score: tuple[int, ...] = (0, 0, 0, 0)

    @property
    def mapped(self) -> dict[str, int]:
        return {c.field: c.index for c in self.columns if c.field}


def _alias_index(ds: Dataset) -> dict[str, str]:
    idx: dict[str, str] = {}
    for f in ds.fields:
        for a in (f.name, *f.aliases):
            idx.setdefault(normalise_header(a), f.name)
    return idx


ALIASES: dict[str, dict[str, str]] = {name: _alias_index(ds) for name, ds in DATASETS.items()}
_BUILT_IN_ALIASES = dict(ALIASES)
# the same few header texts are normalised again for every candidate row and dataset: once each
_normalised = functools.lru_cache(maxsize=1 << 16)(normalise_header)


_BRACKETS = re.compile(r"[(（\[【][^()（）\[\]【】]*[)）\]】]")


def match_field(dataset: str, header: str) -> str | None:
    """The field a header names in `dataset`, or None."""
    if ALIASES.get(dataset) is not _BUILT_IN_ALIASES.get(dataset):  # a registry extended at run time: not cached
        return _match_field(dataset, header)
    return _match_field_cached(dataset, header)


@functools.lru_cache(maxsize=1 << 16)
def _match_field_cached(dataset: str, header: str) -> str | None:
    return _match_field(dataset, header)


def _match_field(dataset: str, header: str) -> str | None:
    idx = ALIASES[dataset]
    key = normalise_header(header)
    if not key:
        return None
    if key in idx:
        return idx[key]
    stripped = _UNIT_SUFFIX.sub("", key)
    if stripped and stripped in idx:
        return idx[stripped]
    # 金额（含税）, Risk Description (There is a risk that…): the words outside the brackets name the field
    bare = normalise_header(_BRACKETS.sub("", str(header)))
    if bare and bare != key and (bare in idx or _UNIT_SUFFIX.sub("", bare) in idx):
        return idx.get(bare) or idx[_UNIT_SUFFIX.sub("", bare)]
    return None


# a match by contained words counts from this confidence; two fields closer than TIE_MARGIN are a tie (asked)
WORDS_ACCEPT = 0.6
TIE_MARGIN = 0.1


def _fuzzy_aliases(ds: Dataset) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for f in ds.fields:
        for a in (f.name.replace("_", " "), *f.aliases):
            key = normalise_header(a)
            latin = key.isascii()
            if (latin and len(key) >= 4) or (not latin and len(key) >= 2):
                out.append((key, f.name))
    return out


FUZZY: dict[str, list[tuple[str, str]]] = {name: _fuzzy_aliases(ds) for name, ds in DATASETS.items()}
_BUILT_IN_FUZZY = dict(FUZZY)


def word_match(dataset: str | Dataset, header: str, taken: set[str]) -> list[tuple[str, float]]:
    """Fields a header may name by the words it contains, best first, with a confidence in 0..1.

    An alias at the end of the header (the head noun: 报销日期, 所属科室, Total Cost) counts for more than one
    inside it; the longer the alias against the header, the surer."""
    ds = dataset if isinstance(dataset, Dataset) else DATASETS[dataset]
    if ds.name not in FUZZY:  # a dataset registered after import (a plug-in registry)
        FUZZY[ds.name] = _fuzzy_aliases(ds)
    # a taken field is left out whole, so leaving it out after scoring every field gives the same list
    scores = _word_scores if FUZZY[ds.name] is _BUILT_IN_FUZZY.get(ds.name) else _word_scores_uncached
    return [(fld, conf) for fld, conf in scores(ds.name, str(header)) if fld not in taken]


def _word_scores_uncached(dataset: str, header: str) -> tuple[tuple[str, float], ...]:
    key = normalise_header(_BRACKETS.sub("", header)) or normalise_header(header)
    key = _UNIT_SUFFIX.sub("", key) or key
    if not key:
        return ()
    best: dict[str, float] = {}
    for alias, fld in FUZZY[dataset]:
        if alias == key or alias not in key:
            continue
        share = len(alias) / len(key)
        conf = 0.5 + 0.5 * share if key.endswith(alias) else share
        best[fld] = max(best.get(fld, 0.0), round(conf, 2))
    return tuple(sorted(best.items(), key=lambda kv: -kv[1]))


# header search asks the same (dataset, text) hundreds of times per file: each answered once for the built-in
# registry (pure functions of its aliases)
_word_scores = functools.lru_cache(maxsize=1 << 16)(_word_scores_uncached)


def field_for(dataset: str, header: str) -> str | None:
    """The field a single header names by alias, or by its words when that match is sure (no tie)."""
    exact = match_field(dataset, header)
    if exact is not None:
        return exact
    found = word_match(dataset, header, set())
    if found and found[0][1] >= WORDS_ACCEPT and found[0][1] - (found[1][1] if len(found) > 1 else 0) > TIE_MARGIN:
        return found[0][0]
    return None


def header_names(rows: list[list[str]], r: int, levels: int) -> list[str]:
    """Header texts of row r (and the row above when levels == 2), flattened as parent/child."""
    width = max((len(rows[i]) for i in range(max(0, r - levels + 1), r + 1)), default=0)
    names: list[str] = []
    for c in range(width):
        child = rows[r][c].strip() if c < len(rows[r]) else ""
        if levels == 2 and r >= 1:
            parent = rows[r - 1][c].strip() if c < len(rows[r - 1]) else ""
            if parent.endswith((":", "：")):
                parent = ""  # a key/value line above the header (项目名称：) is not a header level
            if parent and child and parent != child:
                names.append(f"{parent}/{child}")
            else:
                names.append(child or parent)
        else:
            names.append(child)
    return names


def _map_names(ds: Dataset, names: list[str], saved: dict[str, str] | None) -> HeaderChoice:
    columns: list[ColumnMap] = []
    used: set[str] = set()
    by_text: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name:
            by_text.setdefault(_normalised(name), []).append(i)
    # how many side-by-side columns share each column's parent (a merged parent spans adjacent columns)
    parents = [n.partition("/")[0] if "/" in n else None for n in names]
    # only a two-level header's columns ask for their span; a row without "/" needs none (the count is cubic)
    two_level = any(p is not None for p in parents)
    spans = [
        sum(1 for j in range(len(names)) if parents[j] == parents[i] and _adjacent(parents, i, j)) if two_level else 0
        for i in range(len(names))
    ]
    field_names = {f.name for f in ds.fields}
    for i, name in enumerate(names):
        how = "none"
        fld: str | None = None
        letter_key = f"#{ColumnMap(i, name, None, 'none').letter}"
        if saved is not None and (letter_key in saved or name in saved):
            # a mapping by column letter ("#D") tells apart two columns with the same header
            fld = (saved[letter_key] if letter_key in saved else saved[name]) or None
            how = "saved"
        else:
            fld = match_field(ds.name, name)
            if fld is None and "/" in name:
                # two-level header: the child, else the parent when it heads this column alone (影响 over
                # 范围/质量/进度/成本 does not say which one is the impact: asked, never guessed)
                parent, _, child = name.partition("/")
                fld = match_field(ds.name, child) or (match_field(ds.name, parent) if spans[i] == 1 else None)
            how = "alias" if fld else "none"
        if fld and fld in used and f"residual_{fld}" in field_names and f"residual_{fld}" not in used:
            fld = f"residual_{fld}"  # the same header again after an assessment: the residual one (R1 Likelihood)
        if fld and fld in used:
            how, fld = "duplicate", None
        if fld:
            used.add(fld)
        columns.append(ColumnMap(i, name, fld, how))
    exact = len(used)
    # then, for the fields still free, headers that contain their words
    for c in columns:
        if c.field is not None or c.how != "none" or not c.header:
            continue
        found = word_match(ds, c.header, used)
        if not found:
            continue
        top, conf = found[0]
        runner = found[1][1] if len(found) > 1 else 0.0
        if conf >= WORDS_ACCEPT and conf - runner > TIE_MARGIN:
            c.field, c.how, c.confidence = top, "words", conf
            used.add(top)
        else:
            c.how, c.confidence = "doubtful", conf
            c.candidates = tuple(f for f, _ in found[:3])
    # a cost ledger without a stage column is complete: its stage defaults to paid (the preview says so)
    missing = [f for f in ds.required if f not in used and not (ds.name == "costs" and f == "stage")]
    dups = [(names[ix[0]], ix) for key, ix in by_text.items() if len(ix) > 1]
    required_found = len([f for f in ds.required if f in used])
    return HeaderChoice(
        dataset=ds,
        header_row=0,
        levels=1,
        columns=columns,
        missing=missing,
        duplicates=dups,
        score=(int(not missing), required_found, len(used), exact),
    )


def _adjacent(parents: list[str | None], i: int, j: int) -> bool:
    lo, hi = min(i, j), max(i, j)
    return all(parents[k] == parents[i] for k in range(lo, hi + 1))


def signature(sheet: str | None, names: list[str]) -> str:
    """A stable key for 'the same export arriving again': sheet name plus the normalised header list."""
    text = (normalise_header(sheet or "") + "|" + "|".join(normalise_header(n) for n in names)).encode("utf-8")
    return hashlib.sha1(text, usedforsecurity=False).hexdigest()[:20]


def choose_header(
    rows: list[list[str]],
    datasets: list[Dataset],
    saved: dict[str, tuple[str, dict[str, str]]] | None = None,
    sheet: str | None = None,
    user_mapping: dict[str, str] | None = None,
) -> HeaderChoice | None:
    """The best (dataset, header row) over the first rows of a grid; None when nothing looks like a header.

    `saved` maps a header signature to (dataset, {header: field}) the user confirmed before;
    `user_mapping` ({header: field or ''}) overrides for this file.
    """
    best: HeaderChoice | None = None
    two_level: dict[int, HeaderChoice] = {}  # the best two-level reading whose child row is r
    scan = min(len(rows), HEADER_SCAN_ROWS)
    for r in range(scan):
        if not any(c.strip() for c in rows[r]):
            continue
        for levels in (1, 2):
            if levels == 2 and (r == 0 or not any(c.strip() for c in rows[r - 1])):
                continue
            names = header_names(rows, r, levels)
            sig = signature(sheet, names)
            for ds in datasets:
                mapping: dict[str, str] | None = None
                if saved and sig in saved and saved[sig][0] == ds.name:
                    mapping = dict(saved[sig][1])
                if user_mapping:
                    mapping = {**(mapping or {}), **user_mapping}
                choice = _map_names(ds, names, mapping)
                if choice.score[2] == 0:
                    continue
                choice.header_row = r
                choice.levels = levels
                if mapping and any(c.how == "saved" for c in choice.columns):
                    choice.score = (choice.score[0], choice.score[1] + 100, *choice.score[2:])
                if levels == 2 and (r not in two_level or _better(choice, two_level[r])):
                    two_level[r] = choice
                if best is None or _better(choice, best):
                    best = choice
    if best is not None and best.levels == 1 and any(c.how == "duplicate" for c in best.columns):
        # a merged parent copied over its sub-columns (影响 over 范围/质量/进度/成本) reads as one header repeated;
        # read with the row below it, each sub-column keeps its own name and the user picks which is the impact
        below = two_level.get(best.header_row + 1)
        if (
            below is not None
            and not any(c.how == "duplicate" for c in below.columns)
            and _words_only(rows[below.header_row])
        ):
            return below
    return best


_NUMBERISH = re.compile(r"^[\s\d.,:/%+-]*$")


def _words_only(row: list[str]) -> bool:
    """A row of header words (范围, 质量, …), not a data row (HIS, 硬件, 1, 2)."""
    cells = [c.strip() for c in row if c.strip()]
    return bool(cells) and not any(_NUMBERISH.match(c) for c in cells)


def _better(a: HeaderChoice, b: HeaderChoice) -> bool:
    # complete beats incomplete; then more required found; then more fields; then the single-level, earlier row
    ka = (a.score, -a.levels, -a.header_row)
    kb = (b.score, -b.levels, -b.header_row)
    return ka > kb
