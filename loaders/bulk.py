"""The bulk path: a big, clean periodic CSV goes from the file into the store in one DuckDB statement.

The checked path (importer.prepare) stages every cell as text, coerces each distinct value in Python and
reports every problem with its row. That costs several passes over a 10M-row export. Most big exports are
machine-written and clean, so `import_file` first tries this path:

1. plan: only when every mapped column has a kind DuckDB can convert exactly as loaders.coerce would
   (ISO dates, canonical integers, plain decimals, text) and the first label columns are all mapped;
2. one INSERT ... SELECT from read_csv inside the import transaction; any value the native conversion does not
   take exactly (a 合计 label, 2025/3/5, 1,234, an empty required cell) aborts it through `error()`;
3. checks on the inserted rows: rule breaches, duplicate keys, total/note labels and repeated headers in text
   columns, the row limit. Text is trimmed like the checked path does.

Anything unusual raises NotClean: the transaction rolls back and the checked path runs, so what is reported
and stored is exactly what the checked path would report and store. Nothing is ever half-loaded. The one
difference: rows stored by this path have no row_no (numbering rows in file order would cost a second pass;
a clean file has no row to point at).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
import os
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import duckdb

from loaders import coerce, readers, settings, store, validate
from loaders.datasets import Dataset
from loaders.errors import Problem
from loaders.headers import HeaderChoice

SENTINEL = "cockpit-bulk-not-clean"
# kinds with an exact native conversion (see _value_sql)
NATIVE_KINDS = ("date", "datetime", "int", "number", "money", "text", "code", "stage", "priority")


def _stage_words() -> dict[str, str]:
    """Every way of writing a stage the bulk path reads (coerce's words as listed, upper-case, capitalised):
    each one is read by coerce.parse_stage as the stage given here (tests/test_intake_speed.py checks it), and
    anything else (a typo, full-width letters, inner spaces) goes to the checked path, which explains it."""
    words: dict[str, str] = {}
    for word, stage in coerce._STAGES.items():
        for form in (word, word.upper(), word.title(), word.capitalize()):
            words.setdefault(form, stage)
    return words


STAGE_WORDS = _stage_words()


def _priority_words() -> dict[str, str]:
    """Every way of writing a ticket priority the bulk path reads: P1–P4 (either case), 1–4 and coerce's words
    (as listed, upper-case, capitalised); each is read by coerce.parse_priority as given here
    (tests/test_intake_speed.py checks it). Anything else (P1-紧急, 1级 with spaces inside) goes to the checked path."""
    words: dict[str, str] = {}
    for n in range(1, 5):
        for form in (f"P{n}", f"p{n}", str(n)):
            words[form] = f"P{n}"
    for word, level in coerce._PRIORITY_WORDS.items():
        for form in (word, word.upper(), word.title(), word.capitalize()):
            words.setdefault(form, level)
    return words


PRIORITY_WORDS = _priority_words()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# one constant map from our own word list (a literal: DuckDB folds it once, never per row)
_STAGE_MAP = "MAP {" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in STAGE_WORDS.items()) + "}"
_PRIORITY_MAP = "MAP {" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in PRIORITY_WORDS.items()) + "}"
# A date and time as machine exports write it, and as coerce.parse_datetime reads it the same way: a four-digit
# year, a 1–2 digit month and day joined by - or / (the same one twice), a space or T, a 1–2 digit hour and
# two-digit minutes and seconds (seconds optional); or the date alone (midnight). Anything else (fractions of a
# second, a time zone, 上午/下午, 2025年3月5日, a serial number, spaces around) goes to the checked path.
_TIME = r"([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?"
_DATETIME_RE = f"[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}{_TIME}|[0-9]{{4}}/[0-9]{{1,2}}/[0-9]{{1,2}}{_TIME}"
_DATETIME_FORMATS = "['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d']"
_DATE_RE = "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}"
# the duplicate-key check uses a bitmap over dense key codes up to this many bits, else a hash aggregate
BITMAP_BITS = 1 << 28
# text columns with up to this many distinct values are fetched once (labels, key codes); others are
# checked in DuckDB (label pre-filter, hash aggregate for duplicate keys)
LIST_MAX = 200_000


class NotClean(Exception):
    """The file needs the checked path: rolled back, nothing stored."""


class OverLimit(Exception):
    """More than the row limit of data rows: refused after reading limit + 1 records (rolled back)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"over the row limit of {limit}")
        self.limit = limit


class RowsRefused(Exception):
    """Every value read exactly and nothing else was unusual, but rows break the dataset's rules: rolled back, and
    `problems` is the report the checked path would give (each breach with its row), without reading the file again."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} rows break the rules")
        self.problems = problems


@dataclass
class BulkPlan:
    csv_path: Path
    delimiter: str
    skip: int  # physical lines before the first data record
    width: int
    fields: list[str]  # dataset fields stored, in order
    values: list[str]  # SQL expression per field over the staging columns c0..cN
    # fields without a column that take one value for the whole file (--project, a ledger's default stage)
    constants: dict[str, str] = field(default_factory=dict)
    date_fields: list[str] = field(default_factory=list)  # date and date-time fields (their years are checked)
    text_fields: list[str] = field(default_factory=list)
    label_fields: list[str] = field(default_factory=list)  # text fields among the first columns
    header_texts: dict[str, str] = field(default_factory=dict)  # text field -> its header (repeated headers)
    header_need: int = 1
    temp_copy: Path | None = None  # a transcoded copy to delete afterwards
    sha: Future[str] | None = None  # the file's SHA-256, computed while the rows load
    # the original's copy for the kept-files folder, written by the same read as the hash (in the staging folder,
    # moved into place at commit); None when the commit copies the file itself
    copy: Path | None = None
    copied: threading.Event = field(default_factory=threading.Event)  # set: `copy` is complete
    stop: threading.Event = field(default_factory=threading.Event)  # set: the hash is not needed any more
    # reporting rule breaches here (not with --skip-invalid, which the checked path handles): the file's name,
    # the Excel/CSV row of its header and each field's header text, as the checked path reports them
    report_rows: bool = False
    year: int | None = None  # the year a title line or the file name states (a date written 3月 is of that year)
    file_name: str = ""
    header_row: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    # field -> (kind, column) of the fields whose refused texts are stored as a sentinel (numbers; dates, times,
    # stages and priorities outside the key), and whose missing value is too when they are required (texts also in
    # the key), so a file refused for them is reported from this one read (see _refused_values)
    flagged: dict[str, tuple[str, int]] = field(default_factory=dict)
    mapped: list[int] = field(default_factory=list)  # the file's columns that map to a field (a blank row's test)


_HASHER: ThreadPoolExecutor | None = None


def hash_in_background(
    path: Path,
    stop: threading.Event | None = None,
    copy_to: Path | None = None,
    copied: threading.Event | None = None,
) -> Future[str]:
    """Start hashing a file on a worker thread (hashlib releases the GIL while DuckDB loads the rows); setting
    `stop` ends it early (the file went to the checked path or was refused: its hash is not needed). With
    `copy_to`, the same read writes a private copy there (see kept_copy), so the original is read once and its
    copy costs no time of its own after the rows are in."""
    global _HASHER
    if _HASHER is None:
        _HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cockpit-sha256")
    return _HASHER.submit(_sha256, path, stop or threading.Event(), copy_to, copied)


def file_hash(bp: BulkPlan) -> str:
    """The hash started by hash_in_background; a file that could not be read sends it to the checked path."""
    assert bp.sha is not None
    try:
        return bp.sha.result()
    except OSError as exc:
        raise NotClean(f"hash: {exc}") from exc


def kept_copy(bp: BulkPlan) -> Path | None:
    """The complete copy written while hashing (after file_hash), or None: the caller then copies the file."""
    if bp.copy is None or bp.sha is None or not bp.sha.done() or bp.sha.exception() is not None:
        return None
    return bp.copy if bp.copied.is_set() else None


def _sha256(
    path: Path, stop: threading.Event, copy_to: Path | None = None, copied: threading.Event | None = None
) -> str:
    h = hashlib.sha256()
    out: BinaryIO | None = None
    if copy_to is not None and copied is not None:
        try:  # 0600, a new file only (never through a planted link); the folder is the private staging folder
            out = os.fdopen(os.open(copy_to, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600), "wb")
        except OSError:
            out = None
    tail = b""
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                if stop.is_set():
                    raise OSError("hash no longer needed")
                h.update(chunk)
                if out is not None:
                    try:
                        out.write(chunk)
                    except OSError:
                        _drop_copy(out, copy_to)
                        out = None
                    tail = (tail + chunk)[-(1 << 16) - 22 :]
        if out is not None:
            try:
                out.close()
            except OSError:  # a full disk: the commit copies the file itself and says what went wrong
                _drop_copy(None, copy_to)
                return h.hexdigest()
            # a text file carrying a zip directory at its end is left to the commit's own copy (uploads.keep_copy
            # takes macro projects out of zip files)
            if b"PK\x05\x06" not in tail and copied is not None:
                copied.set()
            else:
                _drop_copy(None, copy_to)
    except BaseException:
        _drop_copy(out, copy_to)
        raise
    return h.hexdigest()


def _drop_copy(out: BinaryIO | None, path: Path | None) -> None:
    if out is not None:
        with contextlib.suppress(OSError):
            out.close()
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _fail(reason: str) -> str:
    return f"error('{SENTINEL}: {reason}')"


# A whole number or an amount the native conversion does not take is stored as a sentinel instead of stopping
# the insert: the file is then refused with its rows reported (or handed to the checked path) without a second
# read. NaN is never the result of a plain decimal; BIGINT's least value is itself refused natively (see _ok_sql).
INT_SENTINEL = -9223372036854775808


def _ok_sql(kind: str, c: str) -> str:
    """True when the native conversion reads the (non-NULL) text `c` exactly as the checked path would."""
    if kind == "int":
        # canonical integers only ("00012", "+5", "12.0" and "1e3" go to the rules)
        return f"(CAST(try_cast({c} AS BIGINT) AS VARCHAR) = {c} AND {c} <> '{INT_SENTINEL}')"
    return f"regexp_full_match({c}, '{validate.PLAIN_NUMBER[kind][0]}')"


def _plausible(value: str) -> str:
    """True for a date or time in the years the rules read (coerce._MIN_YEAR–_MAX_YEAR); NULL for NULL."""
    return f"year({value}) BETWEEN {coerce._MIN_YEAR} AND {coerce._MAX_YEAR}"


def _flag_sql(kind: str, q: str) -> str:
    """True for a stored value that is the sentinel of a refused text or of a missing required value."""
    if kind in ("date", "datetime"):
        return f"isinf({q})"
    if kind in ("stage", "priority", "text", "code"):
        return f"{q} = chr(0)"
    return f"{q} = {INT_SENTINEL}" if kind == "int" else f"isnan({q})"


def _sentinel_sql(kind: str) -> str:
    """The sentinel _flag_sql recognises, for a missing required value (outside the key, or a text in it)."""
    if kind in ("date", "datetime"):
        return f"'-infinity'::{'DATE' if kind == 'date' else 'TIMESTAMP'}"
    if kind in ("stage", "priority", "text", "code"):
        return "chr(0)"
    return f"CAST('{INT_SENTINEL}' AS BIGINT)" if kind == "int" else "'NaN'::DOUBLE"


def _value_sql(kind: str, col: str, header: str, required: bool, flag: bool = False) -> str:
    """The native conversion of one column; `error()` (or a sentinel for numbers, and with `flag` for dates, times,
    stages and priorities) for anything the checked path might read differently. A missing required value is a
    conversion error, or with `flag` (a field outside the key, or a text in it) the sentinel, reported as missing by
    _refused_values."""
    c = store.quote_ident(col)
    if kind in ("stage", "priority"):
        # spaces around are what the checked path strips too; anything not in the list is a conversion error, or
        # with `flag` a NUL (which no word holds and no stored text keeps: the rules drop it), reported with the
        # rules' message, or handed to the checked path when the rules read the word after all
        words = _STAGE_MAP if kind == "stage" else _PRIORITY_MAP
        other = "chr(0)" if flag else _fail(kind)
        expr = f"CASE WHEN {c} IS NULL THEN NULL ELSE coalesce({words}[trim({c})], {other}) END"
    elif kind in ("date", "datetime"):
        # DuckDB's own form (2025-03-05, 2025-03-05 08:00:00) is read by a cast that gives the text back unchanged
        # (a third of the cost of what follows); other forms by their shape first, spaces around stripped as the
        # checked path strips them (strptime alone would also take a one-digit minute the checked path refuses).
        # A day or time that does not exist (2025-02-30, 25:00) is a conversion error: the checked path explains
        # it. Only a plausible year is taken (the rules' 1990–2100): DuckDB's cast also gives back 20260-01-21 and
        # 2025-03-05 (BC) unchanged, and a year Python cannot hold would reach the year check as text.
        typ, shape = ("DATE", _DATE_RE) if kind == "date" else ("TIMESTAMP", _DATETIME_RE)
        formats = "'%Y-%m-%d'" if kind == "date" else _DATETIME_FORMATS
        # With `flag`, a refused text is stored as -infinity, which no text gives here (a finite value only), and
        # reported with the rules' own message (see _refused_values)
        t = f"trim({c})"
        refused = f"'-infinity'::{typ}" if flag else _fail(kind)
        parse = "try_strptime" if flag else "strptime"
        read = f"{parse}(translate({t}, '/T', '- '), {formats})"
        cast = f"try_cast({c} AS {typ})"
        expr = (
            f"CASE WHEN {c} IS NULL THEN NULL WHEN CAST({cast} AS VARCHAR) = {c} AND {_plausible(cast)} THEN {cast} "
            f"WHEN regexp_full_match({t}, '{shape}') "
            f"THEN coalesce(CAST(CASE WHEN {_plausible(read)} THEN {read} END AS {typ}), {refused}) ELSE {refused} END"
        )
    elif kind in ("text", "code"):
        # text is trimmed afterwards (see _normalise_text); empty cells are NULL already
        expr = c
    elif kind == "int":
        expr = (
            f"CASE WHEN {c} IS NULL THEN NULL WHEN {_ok_sql(kind, c)} "
            f"THEN try_cast({c} AS BIGINT) ELSE CAST('{INT_SENTINEL}' AS BIGINT) END"
        )
    else:  # number, money: the plain decimals loaders.importer._coercer reads with float()
        unit = coerce.unit_from_header(header) if kind == "money" else 1.0
        scale = "" if unit == 1.0 else f" * {float(unit)!r}"
        expr = f"CASE WHEN {c} IS NULL THEN NULL WHEN {_ok_sql(kind, c)} THEN CAST({c} AS DOUBLE){scale} ELSE 'NaN'::DOUBLE END"
    if required:
        expr = f"coalesce({expr}, {_sentinel_sql(kind) if flag else _fail('required')})"
    return expr


def plan(choice: HeaderChoice, csv_path: Path, delimiter: str, skip: int) -> BulkPlan | None:
    """A bulk plan for a recognised header, or None when the file needs the checked path."""
    ds = choice.dataset
    if ds.mode != "periodic" or choice.duplicates or any(m.how == "duplicate" for m in choice.columns):
        return None
    width = len(choice.columns)
    mapped = choice.mapped
    label_cols = range(min(width, 6))
    if any(not choice.columns[i].field for i in label_cols):
        return None  # a total label in an unmapped column is only seen by the checked path
    fields: list[str] = []
    values: list[str] = []
    text_fields: list[str] = []
    date_fields: list[str] = []
    flagged: dict[str, tuple[str, int]] = {}
    for f in ds.fields:
        if f.name not in mapped:
            continue
        if f.kind not in NATIVE_KINDS:
            return None
        idx = mapped[f.name]
        fields.append(f.name)
        # a refused or missing date or number in the key is the checked path's (the duplicate check spans their
        # ranges); a missing text in the key is one more value to it (two missing are a duplicate: checked path)
        text = f.kind in ("text", "code")
        flag = (f.kind in ("date", "datetime", "stage", "priority") or f.required) and (text or f.name not in ds.key)
        values.append(_value_sql(f.kind, f"c{idx}", choice.columns[idx].header, f.required, flag))
        if f.kind in ("text", "code"):
            text_fields.append(f.name)
        if f.kind in ("date", "datetime"):
            date_fields.append(f.name)
        if f.kind in ("int", "number", "money") or flag:
            flagged[f.name] = (f.kind, idx)
    headers = {fld: choice.columns[idx].header for fld, idx in mapped.items() if choice.columns[idx].header}
    return BulkPlan(
        csv_path=csv_path,
        delimiter=delimiter,
        skip=skip,
        width=width,
        fields=fields,
        values=values,
        text_fields=text_fields,
        date_fields=date_fields,
        label_fields=[f for f in text_fields if mapped[f] in label_cols],
        header_texts={f: headers[f].split("/")[-1].strip() for f in text_fields if f in headers},
        header_need=max(1, len(headers) // 2),
        flagged=flagged,
        mapped=sorted(mapped.values()),
    )


def insert(con: duckdb.DuckDBPyConnection, ds: Dataset, bp: BulkPlan, import_id: int) -> int:
    """Insert the file's rows under `import_id` (inside the caller's transaction) and check them.

    Returns the row count; raises NotClean when the checked path must decide. Any DuckDB error here (a value
    the native conversion refused, a cell that trims to empty in a NOT NULL column, a full disk), or anything
    else that goes wrong here, also hands the file to the checked path, which explains it. The tests show which
    path stored a file (bulk rows carry no row_no), so a fault here cannot hide as a slow import."""
    try:
        return _insert(con, ds, bp, import_id)
    except (NotClean, RowsRefused, OverLimit):
        raise
    except Exception as exc:  # noqa: BLE001 - whatever it is, the checked path reads the file and explains it
        raise NotClean(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc


def _insert(con: duckdb.DuckDBPyConnection, ds: Dataset, bp: BulkPlan, import_id: int) -> int:
    table = store.quote_ident(store.RAW_TABLES[ds.name])
    consts = list(bp.constants)
    names = ", ".join(store.quote_ident(f) for f in [*bp.fields, *consts])
    values = [*bp.values, *("?::VARCHAR" for _ in consts)]
    limit = settings.get_int("max_rows")
    # at most row limit + 1 records are read: a file over the limit costs what the limit costs. A file with no more
    # line breaks than the limit cannot hold more records, and goes without the LIMIT, which costs about a third of
    # the insert (DuckDB keeps the records in order to cut them)
    capped = not readers.line_breaks_within(bp.csv_path, limit)
    sql = (
        f"INSERT INTO {table} (import_id, {names}) SELECT ?, {', '.join(values)} "  # noqa: S608
        f"FROM {_csv_source(bp)}" + (" LIMIT ?" if capped else "")
    )
    con.execute(
        sql,
        [
            import_id,
            *(bp.constants[f] for f in consts),
            str(bp.csv_path),
            bp.delimiter,
            bp.skip,
            *([limit + 1] if capped else []),
        ],
    )
    key = [k for k in ds.key if k in bp.fields]
    key = key if len(key) == len(ds.key) else []
    scan = _scan(con, ds, table, bp, key, import_id)
    if not scan.rows:
        raise NotClean("row count")
    if scan.untidy:
        # text as the checked path stores it (rare in machine exports: one UPDATE per untidy column), then scan again
        _normalise_text(con, table, bp, scan.untidy, import_id)
        scan = _scan(con, ds, table, bp, key, import_id)
    rows = scan.rows
    breaches, refused = _check_rows(bp, scan)
    prof = _profile(con, table, bp, scan, import_id)
    _check_dates(bp, prof)
    _check_labels(con, table, bp, prof, import_id)
    _check_duplicates(con, ds, table, bp, prof, key, import_id)
    if rows > limit:
        # limit + 1 rows read and every one a data row (no label, blank or repeated header): over the limit, as the
        # checked path would find reading the same records; with any other finding the checked path decides
        if breaches or refused:
            raise NotClean("over the row limit, with findings")
        raise OverLimit(limit)
    if breaches or refused:
        raise RowsRefused(_rule_problems(con, ds, table, bp, import_id, rows, refused))
    return rows


def _untidy_sql(q: str, sentinel: bool = False) -> str:
    """True when validate.text_sql would change the (non-NULL) text: a space of any kind at either end (DuckDB's
    trim() strips the 17 Unicode space separators: U+0020, U+00A0 no-break, U+2000-U+200A, U+3000 ideographic...),
    runs of spaces, tabs, ideographic spaces or NUL. With `sentinel` (a required text field, see _flag_sql), a lone
    NUL is the sentinel of a missing value and is left as it is; in any other text field it is text the checked
    path drops, like any NUL."""
    nul = f"(contains({q}, chr(0)) AND {q} <> chr(0))" if sentinel else f"contains({q}, chr(0))"
    return f"(trim({q}) <> {q} OR contains({q}, '  ') OR contains({q}, chr(9)) OR contains({q}, chr(12288)) OR {nul})"


def _normalise_text(
    con: duckdb.DuckDBPyConnection, table: str, bp: BulkPlan, fields: list[str], import_id: int
) -> None:
    """Text as the checked path stores it: NUL dropped, runs of spaces, tabs and ideographic spaces made one, trimmed."""
    for f in fields:
        q = store.quote_ident(f)
        untidy = _untidy_sql(q, f in bp.flagged)
        con.execute(
            f"UPDATE {table} SET {q} = {validate.text_sql(q)} WHERE import_id = ? AND {untidy}",  # noqa: S608
            [import_id],
        )


@dataclass
class Scan:
    """What one pass over the inserted rows found (see _scan)."""

    rows: int
    untidy: list[str]  # text fields holding a value validate.text_sql would change
    odd: int  # rows with an empty required value or a repeated header
    breaches: int  # rows breaking one of the dataset's rules
    refused: int  # rows holding a number the native conversion refused (a sentinel)
    approx_distinct: dict[str, int]  # label or key text field -> rough number of distinct values
    ranges: dict[str, tuple[object, object]]  # date/key field -> (min, max)


def _rules(ds: Dataset, bp: BulkPlan) -> list[tuple[str, str, str]]:
    """The dataset's row rules whose fields are all in the file (validate.row_problems applies the same ones), each
    reading a refused number (a sentinel) as NULL, as the checked path's typed table holds it."""
    present = set(bp.fields)
    names = {f.name for f in ds.fields}
    out: list[tuple[str, str, str]] = []
    for cond, fld, message in validate.ROW_RULES.get(ds.name, []):
        if not set(re.findall(r"[a-z_]+", cond)) & names <= present:
            continue
        for name, (kind, _) in bp.flagged.items():
            q = store.quote_ident(name)
            cond = re.sub(rf"\b{name}\b", f"(CASE WHEN {_flag_sql(kind, q)} THEN NULL ELSE {q} END)", cond)
        out.append((cond, fld, message))
    return out


def _scan(
    con: duckdb.DuckDBPyConnection, ds: Dataset, table: str, bp: BulkPlan, key: list[str], import_id: int
) -> Scan:
    """One pass over the inserted rows for everything counted: rows, untidy text, empty required values and
    repeated headers, rule breaches, refused values, the rough number of distinct texts and the date and key
    ranges (each a separate scan before: on a 10M-row file every pass costs about a tenth of the read)."""
    present = set(bp.fields)
    checks = [f"{store.quote_ident(f.name)} IS NULL" for f in ds.fields if f.name in present and f.required]
    params: list[object] = []
    if bp.header_texts:
        # a header repeated below the header (paged exports)
        hits = " + ".join(f"CAST(coalesce({store.quote_ident(f)} = ?, false) AS INTEGER)" for f in bp.header_texts)
        checks.append(f"({hits}) >= ?")
        params += [*bp.header_texts.values(), bp.header_need]
    rules = [f"coalesce({cond}, false)" for cond, _, _ in _rules(ds, bp)]
    flags = [_flag_sql(kind, store.quote_ident(f)) for f, (kind, _) in bp.flagged.items()]
    ranged = [*bp.date_fields, *(k for k in key if k not in bp.text_fields and k not in bp.date_fields)]
    # distinct texts are looked at only for labels (the first columns) and duplicate keys: a free-text column
    # (a description, a contract number) is never listed, so it is not counted either
    listed = [f for f in bp.text_fields if f in bp.label_fields or f in key]
    aggs = [
        "count(*)",
        *(f"count(*) FILTER ({_untidy_sql(store.quote_ident(f), f in bp.flagged)})" for f in bp.text_fields),
        f"count(*) FILTER ({' OR '.join(checks) or 'false'})",
        f"count(*) FILTER ({' OR '.join(rules) or 'false'})",
        f"count(*) FILTER ({' OR '.join(flags) or 'false'})",
        *(f"approx_count_distinct({store.quote_ident(f)})" for f in listed),
        *(
            f"min({q}){_unflagged(bp, k, q)}, max({q}){_unflagged(bp, k, q)}"
            for k in ranged
            for q in [store.quote_ident(k)]
        ),
    ]
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {table} WHERE import_id = ?", [*params, import_id]).fetchone()  # noqa: S608
    assert row is not None
    n = len(bp.text_fields)
    it = iter(row)
    rows = int(next(it))
    untidy = [f for f in bp.text_fields if int(next(it))]
    odd, breaches, refused = int(next(it)), int(next(it)), int(next(it))
    approx = {f: int(next(it) or 0) for f in listed}
    ranges = {k: (next(it), next(it)) for k in ranged}
    assert len(row) == 4 + n + len(listed) + 2 * len(ranged)
    return Scan(rows, untidy, odd, breaches, refused, approx, ranges)


def _unflagged(bp: BulkPlan, name: str, q: str) -> str:
    """An aggregate's filter leaving out a field's sentinels (a refused date is no year to check)."""
    kind = bp.flagged.get(name, ("", 0))[0]
    return f" FILTER (WHERE NOT {_flag_sql(kind, q)})" if kind in ("date", "datetime") else ""


def _check_rows(bp: BulkPlan, scan: Scan) -> tuple[int, int]:
    """Required values (after trimming) and repeated headers (NotClean), then the rows that break one of the
    dataset's rules and the rows holding a number the native conversion refused (reported by _rule_problems
    when nothing else is unusual)."""
    if scan.odd:
        raise NotClean("required values or repeated headers")
    if (scan.breaches or scan.refused) and not bp.report_rows:
        raise NotClean("row rules or refused values")
    return scan.breaches, scan.refused


def _rule_problems(
    con: duckdb.DuckDBPyConnection, ds: Dataset, table: str, bp: BulkPlan, import_id: int, rows: int, refused: int = 0
) -> list[Problem]:
    """The refused values and rule breaches as validate.row_problems reports them: refused values per field, then
    per rule, in row order, each row numbered as the checked path numbers it (record index after the header +
    header row + 1). The inserted rows of this import are one contiguous run in file order (one INSERT, insertion
    order preserved), so a row's index is its rowid less the first one; when they are not contiguous (a store
    that numbers rows otherwise) the checked path reports instead."""
    span = con.execute(
        f"SELECT min(rowid), max(rowid) FROM {table} WHERE import_id = ?",  # noqa: S608
        [import_id],
    ).fetchone()
    if not span or span[0] is None or int(span[1]) - int(span[0]) + 1 != rows:
        raise NotClean("rows not numbered in file order")
    first = int(span[0])
    problems, missing = _refused_values(con, ds, table, bp, import_id, first) if refused else ([], {})
    # a missing required value, as validate.row_problems reports it: the first such field of a row (in the
    # dataset's order) on a row with no refused value
    bad = {p.row for p in problems}
    for f in ds.fields:
        for i in missing.get(f.name, []):
            row = i + bp.header_row + 1
            if row not in bad:
                bad.add(row)
                header = bp.headers.get(f.name, f.name)
                problems.append(Problem(bp.file_name, None, row, header, None, validate.missing_message(header)))
    for cond, fld, message in _rules(ds, bp):
        found = con.execute(
            f"SELECT rowid - ? FROM {table} WHERE import_id = ? AND {cond} ORDER BY rowid LIMIT ?",  # noqa: S608
            [first, import_id, validate.MAX_PROBLEMS + 1],
        ).fetchall()
        problems += [
            Problem(bp.file_name, None, int(i) + bp.header_row + 1, bp.headers.get(fld, fld), None, message)
            for (i,) in found
        ]
    if len(problems) > validate.MAX_PROBLEMS:
        raise NotClean("more breaches than a report lists")  # the checked path counts and cuts the list
    return problems


def _profile(con: duckdb.DuckDBPyConnection, table: str, bp: BulkPlan, scan: Scan, import_id: int) -> Profile:
    """The scan's key ranges, and the distinct texts of the columns with few (one more scan)."""
    prof = Profile(ranges=dict(scan.ranges))
    small = [f for f, n in scan.approx_distinct.items() if n <= LIST_MAX]
    if small:
        lists = con.execute(
            f"SELECT {', '.join(f'list(DISTINCT {store.quote_ident(f)}) FILTER ({store.quote_ident(f)} IS NOT NULL)' for f in small)} FROM {table} "  # noqa: S608
            "WHERE import_id = ?",
            [import_id],
        ).fetchone()
        assert lists is not None
        prof.distinct = {f: sorted(v or []) for f, v in zip(small, lists, strict=True)}
    return prof


def _csv_source(bp: BulkPlan) -> str:
    """The file's records as text columns c0..cN (every conversion is _value_sql's)."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(bp.width)) + "}"
    return (
        f"read_csv(?, delim = ?, header = false, skip = ?, columns = {columns}, null_padding = true, "
        "quote = '\"', escape = '\"', strict_mode = false, ignore_errors = false)"
    )


def _refused_values(
    con: duckdb.DuckDBPyConnection, ds: Dataset, table: str, bp: BulkPlan, import_id: int, first: int
) -> tuple[list[Problem], dict[str, list[int]]]:
    """Each number, date, time, stage or priority the native conversion refused, with the text as written and the
    rules' own message (the one the checked path reports), found by reading those records once more (one read for
    every field); and per required field, the records (their index in the file) where it is missing. When the rules
    would read a text after all (1,234, 12万 under 万元, 3月 in a file whose name states the year), a record with a
    missing value is blank (the checked path skips it), or anything does not line up, the checked path decides."""
    from loaders import importer, units  # the rules' coercers (importer imports this module)

    limit = validate.MAX_PROBLEMS + 1
    out: list[Problem] = []
    missing: dict[str, list[int]] = {}
    by_field: dict[str, list[int]] = {}
    for fld in bp.headers:
        if fld not in bp.flagged:
            continue
        kind, _ = bp.flagged[fld]
        q = store.quote_ident(fld)
        rows = [
            int(i)
            for (i,) in con.execute(
                f"SELECT rowid - ? FROM {table} WHERE import_id = ? AND {_flag_sql(kind, q)} ORDER BY rowid LIMIT ?",  # noqa: S608
                [first, import_id, limit],
            ).fetchall()
        ]
        if len(rows) >= limit:
            raise NotClean("more refused values than a report lists")
        if rows:
            by_field[fld] = rows
    wanted = sorted({i for rows in by_field.values() for i in rows})
    # the records by their index in the file, numbered as the insert read them (same reader, same options), with
    # whether every mapped cell is empty or spaces: a blank row to the checked path, not a missing value
    cols = [store.quote_ident(f"c{i}") for i in bp.mapped]
    blank = " AND ".join(f"coalesce(trim({c}), '') = ''" for c in cols) or "FALSE"
    found = con.execute(
        f"SELECT i, {blank}, {', '.join(cols)} FROM (SELECT row_number() OVER () - 1 AS i, {', '.join(cols)} FROM "  # noqa: S608
        f"{_csv_source(bp)}) WHERE i IN (SELECT unnest(?::BIGINT[])) ORDER BY i",
        [str(bp.csv_path), bp.delimiter, bp.skip, wanted],
    ).fetchall()
    records = {int(r[0]): r for r in found}
    if sorted(records) != wanted:
        raise NotClean("refused values do not line up")
    place = {col: 2 + n for n, col in enumerate(bp.mapped)}  # a column's place in a record
    for fld, flagged in by_field.items():
        kind, idx = bp.flagged[fld]
        texts = {i: records[i][place[idx]] for i in flagged}
        gone = [i for i in flagged if texts[i] is None]
        if gone:
            if not ds.field(fld).required or any(records[i][1] for i in gone):
                raise NotClean("a missing value that is not required, or a blank row")
            missing[fld] = gone
            flagged = [i for i in flagged if texts[i] is not None]
            if not flagged:
                continue
        if kind in ("text", "code"):
            raise NotClean("a text field's sentinel as written")  # a cell holding a lone NUL
        header = bp.headers[fld]
        named = header.split("/")[-1].strip()
        if any(texts[i] in (header, named) or texts[i].strip() in (header, named) for i in flagged):
            # a header repeated below the header (paged exports): validate.non_data_rows counts every mapped
            # column's match, the scan only the text columns', so the checked path decides the row
            raise NotClean("a refused value that is its column's header")
        unit = None
        if kind == "money":
            unit = units.in_header(header.split("/")[-1], bp.header_row, idx) or units.in_header(
                header, bp.header_row, idx
            )
        fn = importer._coercer(ds, fld, header, sorted({texts[i] for i in flagged}), unit, bp.year)
        for i in flagged:
            raw = texts[i]
            text = raw.strip()
            if not text:
                raise NotClean("a blank value")  # the checked path reads it as empty: required or NULL
            if _is_label(text):
                raise NotClean("a label")  # 合计 where a value belongs: the checked path decides whether it is data
            code = coerce.excel_error(text)
            if code:
                message = f"是 Excel 错误值 {code}"
            else:
                try:
                    fn(text)
                except coerce.CoerceError as exc:
                    message = exc.message
                else:
                    raise NotClean("the rules read this value")
            out.append(Problem(bp.file_name, None, i + bp.header_row + 1, header, raw, message))
    return out, missing


@dataclass
class Profile:
    distinct: dict[str, list[str]] = field(default_factory=dict)  # text field -> its distinct values (if few)
    ranges: dict[str, tuple[object, object]] = field(default_factory=dict)  # date/int field -> (min, max)


def _check_dates(bp: BulkPlan, prof: Profile) -> None:
    """Years outside the plausible range (0025-03-05, 1900-01-01) are refused by the checked path."""
    lo, hi = dt.date(coerce._MIN_YEAR, 1, 1), dt.date(coerce._MAX_YEAR, 12, 31)
    for f in bp.date_fields:
        first, last = (d.date() if isinstance(d, dt.datetime) else d for d in prof.ranges.get(f, (None, None)))
        if any(d is not None and not isinstance(d, dt.date) for d in (first, last)):
            raise NotClean("a date Python cannot hold")  # DuckDB hands those back as text
        if isinstance(first, dt.date) and isinstance(last, dt.date) and (first < lo or last > hi):
            raise NotClean("implausible year")


def _is_label(text: str) -> bool:
    # a section heading (一、硬件购置) is left to the checked path, which decides whether its row is data
    return coerce.is_total_label(text) or coerce.is_note_label(text) or validate.SECTION.match(text) is not None


def _check_labels(con: duckdb.DuckDBPyConnection, table: str, bp: BulkPlan, prof: Profile, import_id: int) -> None:
    """Total and note labels (合计, 注：…) in the first text columns. Each distinct text is looked at once;
    a column with very many distinct texts is pre-filtered in DuckDB (the pattern is a literal, so it is
    compiled once)."""
    for f in bp.label_fields:
        if f in prof.distinct:
            texts = prof.distinct[f]
        else:
            q = store.quote_ident(f)
            texts = [
                r[0]
                for r in con.execute(
                    f"SELECT DISTINCT {q} FROM {table} WHERE import_id = ? AND regexp_matches({q}, {validate.LABEL_HINT_SQL})",  # noqa: S608
                    [import_id],
                ).fetchall()
            ]
        if any(_is_label(t) for t in texts):
            raise NotClean("labels")


def _check_duplicates(
    con: duckdb.DuckDBPyConnection, ds: Dataset, table: str, bp: BulkPlan, prof: Profile, key: list[str], import_id: int
) -> None:
    """Any two rows with the same business key send the file to the checked path (it tells exact repeats,
    kept once with a warning, from conflicting rows). Dense key codes make this one bitmap aggregate."""
    if not key:
        return
    parts: list[tuple[str, int]] = []  # (code expression, number of codes)
    joins: list[str] = []
    params: list[object] = []  # in statement order: the code expressions' bounds, then each join's list
    join_params: list[object] = []
    for n, k in enumerate(key):
        q = store.quote_ident(k)
        kind = ds.field(k).kind
        if k in prof.ranges:
            lo, hi = prof.ranges[k]
            if lo is None or hi is None:
                parts.append(("0", 1))
                continue
            span = (hi - lo).days if kind == "date" else int(hi - lo)  # type: ignore[operator]
            cast = "DATE" if kind == "date" else "BIGINT"
            parts.append((f"coalesce(CAST(t.{q} - ?::{cast} AS BIGINT) + 1, 0)", span + 2))
            params.append(lo)
        elif k in prof.distinct:
            values = prof.distinct[k]
            alias = f"k{n}"
            joins.append(
                f"LEFT JOIN (SELECT unnest(?::VARCHAR[]) AS v, unnest(range(1, ?)) AS code) {alias} "
                f"ON t.{q} = {alias}.v"
            )
            join_params += [values, len(values) + 1]
            parts.append((f"coalesce({alias}.code, 0)", len(values) + 1))
        else:
            parts = []
            break
    total = math.prod(size for _, size in parts) if parts else 0
    if parts and total <= BITMAP_BITS:
        expr, stride = "0", 1
        for code, size in parts:
            expr = f"{expr} + ({code}) * {stride}"
            stride *= size
        row = con.execute(
            f"SELECT count(*), bit_count(bitstring_agg({expr}, 0, {total - 1})) FROM {table} t "  # noqa: S608
            f"{' '.join(joins)} WHERE t.import_id = ?",
            [*params, *join_params, import_id],
        ).fetchone()
        if row and int(row[0]) != int(row[1]):
            raise NotClean("duplicate keys")
        return
    kq = ", ".join(store.quote_ident(k) for k in key)
    row = con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE import_id = ? GROUP BY {kq} HAVING count(*) > 1)",  # noqa: S608
        [import_id],
    ).fetchone()
    if row and row[0]:
        raise NotClean("duplicate keys")
