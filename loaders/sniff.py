"""Safety checks before any parser touches an uploaded file, and format sniffing by content (never by extension).

Every refusal is a `FileRefused` whose message is Chinese first, then " / " and English, and names the file.
"""

from __future__ import annotations

import codecs
import csv
import posixpath
import re
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from loaders import settings
from loaders.errors import FileRefused, Problem

__all__ = [
    "SheetInfo",
    "XlsxInfo",
    "decode_text",
    "decode_text_checked",
    "safe_name",
    "scan_xlsx",
    "sniff",
    "sniff_delimiter",
]

KINDS = ("xlsx", "xls", "csv", "mspdi", "gan")
MSPDI_NS = "http://schemas.microsoft.com/project"

_HEAD_BYTES = 8192
_CHUNK = 1024 * 1024  # streamed reads: never hold a whole decompressed part in memory
_DIM_HEAD = 64 * 1024  # <dimension> sits right after <sheetPr>, well inside the first 64 KB
_RATIO_MIN_MEMBER = 1024 * 1024  # small parts (styles, rels) compress very well legitimately
_MAX_MEMBERS = 10_000
_MAX_SMALL_PART = 50 * 1024 * 1024  # workbook.xml / rels are parsed whole: keep them bounded
_MAX_FORMULA_REFS = 1000  # refs listed per sheet; the full count is kept separately
_MAX_NAME = 120

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "ELF executable"),
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG image"),
    (b"GIF8", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"Rar!", "RAR archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ", "xz archive"),
    (b"\xca\xfe\xba\xbe", "Mach-O/Java class"),
    (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
)
_HTML_RE = re.compile(
    r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<table[\s>]|<meta[\s>]|^mime-version:", re.I | re.M
)
_XML_DTD_RE = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.I)
_BYTES_DTD_RE = re.compile(
    b"<!(?:DOCTYPE|ENTITY)|"
    + re.escape("<!DOCTYPE".encode("utf-16-le"))
    + b"|"
    + re.escape("<!ENTITY".encode("utf-16-le"))
    + b"|"
    + re.escape("<!DOCTYPE".encode("utf-16-be"))
    + b"|"
    + re.escape("<!ENTITY".encode("utf-16-be")),
    re.I,
)
_DTD_OVERLAP = 32
_ROOT_RE = re.compile(r"<([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)((?:\s[^>]*)?)/?>", re.S)
_PROLOG_SKIP_RE = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->)", re.S)
_DIM_RE = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_PREFIX_RE = re.compile(rb"<(\w+:)?worksheet\b")
# the ` r="A5"` attribute appears only on <row> and <c> elements; matching it alone keeps the scan at C speed
_EXTENT_RE = re.compile(rb"\sr\s*=\s*[\"']\$?([A-Za-z]{0,3})\$?(\d+)[\"']")
_ATTR_R_RE = re.compile(rb"\br\s*=\s*[\"']\$?([A-Za-z]{1,3})\$?(\d{1,7})[\"']")
_ATTR_T_RE = re.compile(rb"\bt\s*=\s*[\"'](\w+)[\"']")
_VALUE_RE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)
_REF_RE = re.compile(r"^\$?([A-Za-z]{0,3})\$?(\d*)$")
_BINARY_EXT = (".bin", ".png", ".jpeg", ".jpg", ".gif", ".emf", ".wmf", ".tif", ".tiff", ".bmp", ".svg", ".wdp")
_DELIMS = (",", ";", "\t", "|")
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1a")


@dataclass
class SheetInfo:
    """One sheet of a workbook as seen by the preflight (no cell values are read)."""

    name: str
    hidden: bool  # state hidden or veryHidden
    rows: int | None  # declared <dimension> last row (else the largest cell row seen), None for chart sheets
    cols: int | None
    formula_without_value: list[str] = field(default_factory=list)  # cell refs like "D7" (first 1000)
    formula_without_value_count: int = 0
    # cells holding an Excel error value (t="e"): (ref, code); calamine reads them as empty
    error_cells: list[tuple[str, str]] = field(default_factory=list)
    # the declared used range's top-left cell (0-based) and merged ranges ((r0, c0), (r1, c1)), 0-based
    first_row: int | None = None
    first_col: int | None = None
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    state: str = "visible"
    part: str | None = None  # zip member path of the worksheet XML
    # cells formatted as a percentage (0-based row, column): such a cell holding 1 shows 100 %
    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    row_tags: int = 0  # <row> elements actually present (a sheet without r= attributes still counts)


@dataclass
class XlsxInfo:
    """What the preflight learnt about an .xlsx/.xlsm: its sheets, macros and warnings to show the user."""

    sheets: list[SheetInfo]
    has_macros: bool
    warnings: list[str] = field(default_factory=list)
    percent_styles: frozenset[int] = frozenset()  # cellXfs indices whose number format is a percentage


# --------------------------------------------------------------------------------------------- messages


def _refuse(name: str, zh: str, en: str, **where: object) -> FileRefused:
    """One refusal: Chinese first, then English, the file named in both; `where` locates it (sheet/row/value)."""
    msg = f"文件「{name}」{zh} / File '{name}': {en}"
    sheet = where.get("sheet")
    row = where.get("row")
    value = where.get("value")
    problem = Problem(
        file=name,
        sheet=None if sheet is None else str(sheet),
        row=row if isinstance(row, int) else None,
        column=None,
        value=None if value is None else str(value),
        message=zh,
    )
    return FileRefused(msg, [problem])


def safe_name(display_name: str) -> str:
    """A file name safe to show and to use in paths: no directories, no NTFS stream, no controls, ≤ 120 chars.

    NUL is refused outright (it truncates names in C APIs and is never in a legitimate upload name).
    """
    if "\x00" in display_name:
        shown = display_name.replace("\x00", "\\0")[:_MAX_NAME]
        raise FileRefused(
            f"文件名含非法字符 NUL：「{shown}」 / The file name contains a NUL character: '{shown}'",
            [Problem(file=shown, sheet=None, row=None, column=None, value=None, message="文件名含非法字符 NUL")],
        )
    name = display_name.replace("\\", "/").rsplit("/", 1)[-1]
    if ":" in name:
        parts = name.split(":")
        # "C:a.xlsx" (drive-relative) keeps the file part; "a.xlsx:evil[:$DATA]" (NTFS stream) drops the stream.
        if len(parts[0]) == 1 and parts[0].isalpha() and len(parts) > 1 and parts[1]:
            parts = parts[1:]
        name = parts[0]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf") or ch == "\u200d")
    name = name.strip().rstrip(". ").strip()
    if name in ("", ".", ".."):
        name = "未命名文件"
    if len(name) > _MAX_NAME:
        stem, ext = posixpath.splitext(name)
        if len(ext) > 16:  # a "extension" that long is part of the name
            stem, ext = name, ""
        name = stem[: _MAX_NAME - len(ext)] + ext
    return name


# --------------------------------------------------------------------------------------------- sniffing


def _read_head(path: Path, n: int = _HEAD_BYTES) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


def _check_size(path: Path, name: str) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _refuse(name, "无法读取文件", f"cannot read the file ({exc.strerror})") from exc
    if size == 0:
        raise _refuse(name, "文件为空", "the file is empty (0 bytes)")
    max_mb = settings.get_float("max_file_mb")
    if size > max_mb * 1024 * 1024:
        raise _refuse(
            name,
            f"文件过大({size / 1048576:.1f} MB)，超过上限 {max_mb:g} MB",
            f"the file is too large ({size / 1048576:.1f} MB); the limit is {max_mb:g} MB",
        )
    return size


def sniff(path: Path, display_name: str | None = None) -> str:
    """The file's real kind, judged by its bytes: "xlsx", "xls", "csv", "mspdi" or "gan"; otherwise FileRefused.

    "xlsx" only means the zip container passed the size/ratio/encryption checks: the xlsx reader must still call
    `scan_xlsx` (DTD, declared dimensions, formulas) before openpyxl/calamine see the file.
    A .xlsx/.xls name with plain-text content is routed to "csv" (policy for B3); HTML is refused (B4).
    """
    name = safe_name(display_name if display_name is not None else path.name)
    _check_size(path, name)
    head = _read_head(path)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(path, name)
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(path, name)
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise _unsupported(name, what)
    if head.startswith(b"MZ") and b"\x00" in head[:512]:
        raise _unsupported(name, "Windows executable")
    text = _decode_head(head)
    if text is None:
        raise _unsupported(name, "binary data")
    return _sniff_text(path, name, text)


def _unsupported(name: str, what: str) -> FileRefused:
    return _refuse(
        name,
        "不是支持的文件格式(请上传 .xlsx、.xls、.csv、MS Project XML 或 GanttProject .gan 文件)",
        f"not a supported file format ({what}); upload .xlsx, .xls, .csv, MS Project XML or GanttProject .gan",
    )


def _corrupt(name: str, detail: str = "") -> FileRefused:
    extra = f" ({detail})" if detail else ""
    return _refuse(
        name,
        "文件不完整或已损坏，请重新保存或重新上传",
        f"the file is incomplete or corrupt{extra}; save or upload it again",
    )


def _encrypted(name: str) -> FileRefused:
    return _refuse(
        name,
        "文件已加密(设置了打开密码)，请在 Excel 中取消密码后再导入",
        "the file is password-protected; remove the password in Excel and import it again",
    )


def _open_zip(path: Path, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
        raise _corrupt(name, str(exc)) from exc
    except OSError as exc:
        raise _corrupt(name, exc.strerror or str(exc)) from exc


def _check_zip_members(zf: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    """Zip-bomb and sanity checks from the central directory only: nothing is decompressed here."""
    infos = zf.infolist()
    if len(infos) > _MAX_MEMBERS:
        raise _refuse(name, f"压缩包内文件过多({len(infos)} 个)", f"the archive holds too many parts ({len(infos)})")
    max_ratio = settings.get_float("max_zip_ratio")
    max_total = settings.get_float("max_unzipped_mb") * 1024 * 1024
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _encrypted(name)
        total += info.file_size
        if info.file_size > _RATIO_MIN_MEMBER:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > max_ratio:
                raise _refuse(
                    name,
                    f"压缩比异常(疑似压缩炸弹)：{info.filename} 压缩比 {ratio:.0f}:1，上限 {max_ratio:g}:1",
                    f"abnormal compression ratio (suspected zip bomb): {info.filename} is {ratio:.0f}:1, "
                    f"the limit is {max_ratio:g}:1",
                    value=info.filename,
                )
    if total > max_total:
        raise _refuse(
            name,
            f"压缩比异常(疑似压缩炸弹)：解压后共 {total / 1048576:.0f} MB，超过上限 {max_total / 1048576:g} MB",
            f"abnormal compression (suspected zip bomb): {total / 1048576:.0f} MB uncompressed, "
            f"the limit is {max_total / 1048576:g} MB",
        )
    return infos


def _sniff_zip(path: Path, name: str) -> str:
    with _open_zip(path, name) as zf:
        infos = _check_zip_members(zf, name)
        names = {i.filename for i in infos}
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            if "xl/workbook.bin" in names and "xl/workbook.xml" not in names:
                raise _refuse(
                    name,
                    "这是二进制工作簿(.xlsb)，请在 Excel 中另存为 .xlsx",
                    "this is a binary workbook (.xlsb); save it as .xlsx in Excel",
                )
            return "xlsx"
        if "mimetype" in names:
            try:
                mime = zf.read("mimetype")[:100].decode("ascii", "replace")
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                raise _corrupt(name, str(exc)) from exc
            if "opendocument.spreadsheet" in mime:
                raise _refuse(
                    name,
                    "这是 OpenDocument 表格(.ods)，请另存为 .xlsx",
                    "this is an OpenDocument spreadsheet (.ods); save it as .xlsx",
                )
        raise _unsupported(name, "zip archive that is not an Excel workbook")


def _ole_streams(path: Path) -> tuple[set[str], bool]:
    """Names of OLE2 directory entries (128-byte aligned, with a matching name-length field) and whether an
    encryption stream name appears anywhere (those names are distinctive enough to trust unaligned)."""
    wanted = ("EncryptedPackage", "EncryptionInfo", "Workbook", "Book", "WordDocument", "PowerPoint Document")
    found: set[str] = set()
    encrypted = False
    enc_pats = [n.encode("utf-16-le") for n in ("EncryptedPackage", "EncryptionInfo")]
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)  # _CHUNK is a multiple of 128, so aligned entries never straddle chunks
            if not chunk:
                break
            if not encrypted and any(p in chunk for p in enc_pats):
                encrypted = True
            for pos in range(0, len(chunk) - 127, 128):
                entry = chunk[pos : pos + 128]
                name_len = int.from_bytes(entry[64:66], "little")
                if not 2 <= name_len <= 64 or name_len % 2 or entry[66] not in (1, 2, 5):
                    continue
                try:
                    entry_name = entry[: name_len - 2].decode("utf-16-le")
                except UnicodeDecodeError:
                    continue
                if entry_name in wanted:
                    found.add(entry_name)
    return found, encrypted


def _sniff_ole(path: Path, name: str) -> str:
    streams, encrypted = _ole_streams(path)
    if encrypted or "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        raise _encrypted(name)
    if "Workbook" in streams or "Book" in streams:
        return "xls"
    if "WordDocument" in streams or "PowerPoint Document" in streams:
        raise _unsupported(name, "Word/PowerPoint document")
    raise _unsupported(name, "OLE2 compound file that is not an Excel workbook")


def _decode_head(head: bytes) -> str | None:
    """Decode the first bytes for sniffing (tolerating a character cut at the end); None if it is not text."""
    if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and _utf16_guess(head) is None:
        try:  # UTF-8 first, so a multi-byte character cut by the 8 KB head is not mistaken for GB18030
            return _accept(codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False), "utf-8")[0]
        except (UnicodeDecodeError, _Undecodable):
            pass
    for cut in range(4):
        data = head[: len(head) - cut] if cut else head
        try:
            text, _enc = _decode_bytes(data)
        except _Damaged as dmg:
            text = dmg.text
        except _Undecodable:
            damaged = _gb18030_damaged(data)  # Chinese text with bad bytes: text, refused later naming them
            if damaged is not None:
                return damaged[0]
            continue
        return text
    return None


def _sniff_text(path: Path, name: str, text: str) -> str:
    stripped = text.lstrip("\ufeff \t\r\n")
    # Only a file that *starts* with markup is HTML: CSV cells may legitimately contain "<table>" text (B44).
    starts_html = stripped[:1].startswith("<") and not stripped.startswith("<?xml") and _HTML_RE.search(stripped[:4096])
    if starts_html or stripped[:13].lower() == "mime-version:" or _looks_html_xml(stripped):
        raise _refuse(
            name,
            "这是网页(HTML)文件，不是真正的 Excel 文件；请在 Excel 中打开后另存为 .xlsx 再导入",
            "this is a web page (HTML), not a real Excel file; open it in Excel and save it as .xlsx",
        )
    if not stripped.startswith("<"):
        return "csv"
    if _XML_DTD_RE.search(stripped):
        raise _refuse(
            name,
            "XML 文件含 DTD/实体声明，出于安全原因拒绝",
            "the XML file contains a DTD/entity declaration and is refused for safety",
        )
    if "<?mso-application" in stripped[:1024] and "Excel.Sheet" in stripped[:1024]:
        raise _refuse(
            name,
            "这是 Excel 2003 XML 表格，请在 Excel 中另存为 .xlsx",
            "this is an Excel 2003 XML spreadsheet; save it as .xlsx in Excel",
        )
    tag, attrs = _root_element(stripped)
    if tag is None:
        return "csv"  # e.g. a first cell like "<10万": text that merely starts with "<"
    prefix, _, local = tag.rpartition(":")
    ns_attr = f"xmlns:{prefix}" if prefix else "xmlns"
    ns_match = re.search(rf"\b{re.escape(ns_attr)}\s*=\s*[\"']([^\"']*)[\"']", attrs)
    namespace = ns_match.group(1) if ns_match else ""
    if local == "Project" and namespace.rstrip("/") == MSPDI_NS:
        return "mspdi"
    if tag == "project" and not namespace and _contains(path, b"<tasks"):
        return "gan"
    raise _unsupported(name, f"XML with root element <{tag}>")


def _looks_html_xml(text: str) -> bool:
    """XHTML starts like XML: look at the root element rather than the prolog."""
    if not text.startswith("<?xml"):
        return False
    tag, _attrs = _root_element(text)
    return tag is not None and tag.rpartition(":")[2].lower() == "html"


def _root_element(text: str) -> tuple[str | None, str]:
    pos = 0
    while True:
        m = _PROLOG_SKIP_RE.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
    m2 = _ROOT_RE.match(text, pos + (len(text[pos:]) - len(text[pos:].lstrip())))
    if not m2:
        return None, ""
    return m2.group(1), m2.group(2) or ""


def _contains(path: Path, needle: bytes) -> bool:
    """Streamed substring search (also in UTF-16), so a large XML file is never loaded whole."""
    needles = [needle, needle.decode("ascii").encode("utf-16-le"), needle.decode("ascii").encode("utf-16-be")]
    overlap = 2 * len(needle)
    tail = b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                return False
            buf = tail + chunk
            if any(n in buf for n in needles):
                return True
            tail = buf[-overlap:]


# --------------------------------------------------------------------------------------------- xlsx preflight


def _iter_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Iterator[bytes]:
    """A zip member in chunks, decompressed here with an output cap: a member whose data inflates to more than
    its declared size (a zip bomb lying in its headers, which the spreadsheet readers would expand whole) is
    refused as soon as the output passes that size. Corruption (CRC, bad deflate data) is the B2 refusal."""
    if info.compress_type != zipfile.ZIP_DEFLATED or zf.fp is None:
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise _size_lie(name, info)
        yield from _iter_zipfile(zf, info, name)
        return
    try:
        fp = zf.fp
        fp.seek(info.header_offset)
        local = fp.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise _corrupt(name, f"{info.filename}: bad local header")
        fp.seek(
            info.header_offset + 30 + int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little")
        )
        inflate = zlib.decompressobj(-15)
        left = info.compress_size
        produced = 0
        crc = 0
        pending = b""
        while True:
            if not pending:
                if left <= 0:
                    break
                pending = fp.read(min(_CHUNK, left))
                if not pending:
                    raise _corrupt(name, f"{info.filename}: truncated")
                left -= len(pending)
            out = inflate.decompress(pending, _CHUNK)
            pending = inflate.unconsumed_tail
            produced += len(out)
            if produced > info.file_size:
                raise _size_lie(name, info)
            if out:
                crc = zlib.crc32(out, crc)
                pos = fp.tell()
                yield out
                fp.seek(pos)  # the consumer may have read other members in between
            if inflate.eof:
                break
        if not inflate.eof or produced != info.file_size or crc != info.CRC:
            raise _corrupt(name, f"{info.filename}: data does not match its header")
    except (zlib.error, OSError, ValueError) as exc:
        raise _corrupt(name, f"{info.filename}: {exc}") from exc


def _iter_zipfile(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Iterator[bytes]:
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    return
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise _corrupt(name, f"{info.filename}: {exc}") from exc


def _size_lie(name: str, info: zipfile.ZipInfo) -> FileRefused:
    return _refuse(
        name,
        f"压缩包内 {info.filename} 解压后超过其声明的大小({info.file_size:,} 字节)，疑似压缩炸弹，已拒绝",
        f"the part {info.filename} inflates beyond its declared size ({info.file_size:,} bytes): a suspected"
        " zip bomb, refused",
        value=info.filename,
    )


def _dtd_refusal(name: str, part: str) -> FileRefused:
    return _refuse(
        name,
        f"文件内部 {part} 含 DTD/实体声明，出于安全原因拒绝(可能是恶意文件)",
        f"the part {part} contains a DTD/entity declaration and is refused for safety (possibly malicious)",
        value=part,
    )


def _scan_dtd(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    tail = b""
    for chunk in _iter_member(zf, info, name):
        if _BYTES_DTD_RE.search(tail + chunk):
            raise _dtd_refusal(name, info.filename)
        tail = chunk[-_DTD_OVERLAP:]


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    if info.file_size > _MAX_SMALL_PART:
        raise _refuse(name, f"文件内部 {info.filename} 过大", f"the part {info.filename} is too large")
    return b"".join(_iter_member(zf, info, name))


def _parse_xml(data: bytes, name: str, part: str) -> Element:
    try:
        root: Element = DET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise _dtd_refusal(name, part) from exc
    except ParseError as exc:
        raise _corrupt(name, f"{part}: {exc}") from exc
    return root


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _parse_ref_extent(ref: str) -> tuple[int | None, int | None]:
    """(last row, last column) of a dimension ref such as "A1:XFD1048576", "A1" or "A:XFD"."""
    rows: int | None = None
    cols: int | None = None
    for part in ref.strip().split(":"):
        m = _REF_RE.match(part.strip())
        if not m:
            continue
        if m.group(1):
            cols = max(cols or 0, _col_number(m.group(1)))
        if m.group(2):
            rows = max(rows or 0, int(m.group(2)))
    return rows, cols


def _check_extent(name: str, sheet: str, rows: int | None, cols: int | None, declared: bool) -> None:
    max_rows = settings.get_int("max_sheet_rows")
    max_cols = settings.get_int("max_sheet_cols")
    if (rows or 0) > max_rows or (cols or 0) > max_cols:
        verb_zh, verb_en = ("声明使用到", "declares use up to") if declared else ("有单元格位于", "has a cell at")
        raise _refuse(
            name,
            f"工作表「{sheet}」{verb_zh}第 {cols or 0} 列/第 {rows or 0} 行，超过上限({max_cols} 列/{max_rows} 行)；"
            "请删除远处的空白单元格或拆分文件",
            f"sheet '{sheet}' {verb_en} column {cols or 0} / row {rows or 0}, beyond the limit "
            f"({max_cols} columns / {max_rows} rows); delete stray far-away cells or split the file",
            sheet=sheet,
        )


def _resolve_target(target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join("xl", target))


def _workbook_sheets(zf: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo], name: str) -> list[SheetInfo]:
    wb_info = by_name.get("xl/workbook.xml")
    if wb_info is None:
        raise _unsupported(name, "zip archive without xl/workbook.xml")
    wb = _parse_xml(_read_small(zf, wb_info, name), name, "xl/workbook.xml")
    rels: dict[str, str] = {}
    rels_info = by_name.get("xl/_rels/workbook.xml.rels")
    if rels_info is not None:
        for rel in _parse_xml(_read_small(zf, rels_info, name), name, rels_info.filename):
            if _local(rel.tag) == "Relationship" and rel.get("Id") and rel.get("Target"):
                rels[str(rel.get("Id"))] = _resolve_target(str(rel.get("Target")))
    sheets: list[SheetInfo] = []
    for el in wb.iter():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
        state = el.get("state") or "visible"
        sheets.append(
            SheetInfo(
                name=el.get("name") or "",
                hidden=state in ("hidden", "veryHidden"),
                rows=None,
                cols=None,
                state=state,
                part=rels.get(rid) if rid else None,
            )
        )
    return sheets


_ROW_TAG_RE = re.compile(rb"<(?:\w+:)?row\s[^>]*?\br\s*=\s*[\"'](\d+)[\"']")
# Patterns that start with a literal let the regex engine skip ahead at C speed; the usual writers (Excel,
# openpyxl, WPS) put r="..." in double quotes, and anything else takes the generic patterns.
_FAST_ROW_RE = re.compile(rb'<row r="(\d+)"')
# cell refs that could pass the limits: 7+ digit rows, 3-letter columns, or 2-letter columns from S (col 495) on
_BIG_ROW_RE = re.compile(rb"\sr\s*=\s*[\"']\$?([A-Za-z]{1,3})\$?(\d{7,})[\"']")
_WIDE_COL_RE = re.compile(rb"\sr\s*=\s*[\"']\$?([A-Za-z]{3}|[S-Zs-z][A-Za-z])\$?(\d+)[\"']")
# one pass for "r =" or "r= " (two substring scans cost twice as much: '=' and ' ' are frequent in sheet XML)
_SPACED_EQ_RE = re.compile(rb"r =|r= ")
_FAST_FAR_RE = re.compile(rb' r="\$?(?:[A-Za-z]{3}|[S-Zs-z][A-Za-z]|[A-Za-z]{1,3}\$?\d{7})')


def _cell_extent(region: bytes) -> tuple[int, int]:
    """Largest row and column referenced in a region; only refs near the limits get Python work.

    Row tags give the row extent; cells only matter when their ref is far (7+ digit row, or a column beyond
    about 500), so the common case is two literal-prefixed regex scans."""
    # quotes other than " and spaces around = are rare; a single-byte scan rules out the first
    usual = (b"'" not in region or b"r='" not in region) and not _SPACED_EQ_RE.search(region)
    rows: list[bytes] = []
    if usual:
        # rows come in order, so the last row tag gives the extent; a far row out of order is caught below
        # by _FAST_FAR_RE (any 7-digit row number), which is what the limit check needs
        last = region.rfind(b'<row r="')
        m = _FAST_ROW_RE.match(region, last) if last >= 0 else None
        rows = [m.group(1)] if m else []
    if not rows:
        rows = _ROW_TAG_RE.findall(region)
    max_row = max(map(int, rows)) if rows else 0
    max_col = 0
    if not usual or _FAST_FAR_RE.search(region):
        for _, digits in _BIG_ROW_RE.findall(region):
            max_row = max(max_row, int(digits))
        for letters, _ in _WIDE_COL_RE.findall(region):
            max_col = max(max_col, _col_number(letters.decode("ascii")))
    if not rows:
        # cells without row tags (hand-made files): fall back to every ref
        found = _EXTENT_RE.findall(region)
        if found:
            max_row = max(max_row, max(int(d) for _, d in found))
            max_col = max(max_col, max((_col_number(x.decode("ascii")) for x, _ in found if x), default=0))
    elif max_col == 0:
        # a narrow sheet: the widest column among the last cells of a few rows is enough to report
        tail = _EXTENT_RE.findall(region[-4096:])
        max_col = max((_col_number(x.decode("ascii")) for x, _ in tail if x), default=0)
    return max_row, max_col


_MERGE_RE = re.compile(
    rb"<(?:\w+:)?mergeCell\s[^>]*?\bref\s*=\s*[\"']([A-Za-z]{1,3}\d{1,7}(?::[A-Za-z]{1,3}\d{1,7})?)[\"']"
)


def _cell_ref(ref: str) -> tuple[int, int] | None:
    """'B3' -> (2, 1), 0-based (row, column); None for anything else."""
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})", ref.strip())
    if not m:
        return None
    return int(m.group(2)) - 1, _col_number(m.group(1)) - 1


_MAX_PERCENT_CELLS = 2_000_000
_BUILTIN_PERCENT = {9, 10}
_QUOTED = re.compile(r'"[^"]*"|\\.')


def _percent_styles(zf: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo], name: str) -> frozenset[int]:
    """The cell style indices (s="N") whose number format shows a percentage (0%, 0.0%, custom 0.00"%"...)."""
    info = by_name.get("xl/styles.xml")
    if info is None:
        return frozenset()
    root = _parse_xml(_read_small(zf, info, name), name, info.filename)
    percent_fmts = set(_BUILTIN_PERCENT)
    xfs: list[int] = []
    for el in root.iter():
        tag = _local(el.tag)
        if tag == "numFmt" and "%" in _QUOTED.sub("", el.get("formatCode") or ""):
            try:
                percent_fmts.add(int(el.get("numFmtId") or -1))
            except ValueError:
                continue
        elif tag == "cellXfs":
            for xf in el:
                try:
                    xfs.append(int(xf.get("numFmtId") or 0))
                except ValueError:
                    xfs.append(0)
    return frozenset(i for i, fmt in enumerate(xfs) if fmt in percent_fmts)


def _percent_cells(region: bytes, styles: frozenset[int], sheet: SheetInfo) -> None:
    if len(sheet.percent_cells) >= _MAX_PERCENT_CELLS or b' s="' not in region:
        return
    wanted = [b' s="%d"' % n for n in styles]
    if not any(w in region for w in wanted):
        return
    alt = b"|".join(b"%d" % n for n in styles)
    for m in re.finditer(rb'<(?:\w+:)?c r="([A-Z]{1,3})(\d{1,7})" s="(?:' + alt + rb')"', region):
        sheet.percent_cells.add((int(m.group(2)) - 1, _col_number(m.group(1).decode("ascii")) - 1))


def _scan_worksheet(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    sheet: SheetInfo,
    percent_styles: frozenset[int] = frozenset(),
) -> None:
    """One streamed pass over a worksheet part: DTD, declared and actual extent, formulas without a value.

    Only formula cells get per-cell Python work; a chunk is cut after its last complete </c>, so no cell is
    ever split between two chunks."""
    max_row = 0
    max_col = 0
    dim_checked = False
    dtd_tail = b""
    leftover = b""
    head = b""
    prefix = b""
    for chunk in _iter_member(zf, info, name):
        # a DTD in any encoding holds a "!" byte, which sheet XML rarely has (one fast byte scan); the
        # case-insensitive regex runs only on a chunk that has one
        if (b"!" in chunk or b"!" in dtd_tail) and _BYTES_DTD_RE.search(dtd_tail + chunk):
            raise _dtd_refusal(name, info.filename)
        dtd_tail = chunk[-_DTD_OVERLAP:]
        if not dim_checked:
            head = (head + chunk)[:_DIM_HEAD]
            pm = _PREFIX_RE.search(head)
            prefix = pm.group(1) if pm and pm.group(1) else b""
            m = _DIM_RE.search(head)
            if m or len(head) >= _DIM_HEAD:
                dim_checked = True
                if m:
                    ref = m.group(1).decode("ascii", "replace")
                    sheet.rows, sheet.cols = _parse_ref_extent(ref)
                    _check_extent(name, sheet.name, sheet.rows, sheet.cols, declared=True)
                    start = _cell_ref(ref.split(":")[0])
                    if start is not None:
                        sheet.first_row, sheet.first_col = start
        close = b"</" + prefix + b"c>"
        buf = leftover + chunk
        cut = buf.rfind(close)
        if cut < 0 and len(buf) <= 4 * _CHUNK:
            leftover = buf
            continue
        cut = len(buf) if cut < 0 else cut + len(close)
        region, leftover = buf[:cut], buf[cut:]
        r, c = _cell_extent(region)
        max_row, max_col = max(max_row, r), max(max_col, c)
        sheet.row_tags += region.count(b"<" + prefix + b"row")  # <row r=..>, <row>, <row/> (a <rowBreaks> adds 1)
        _formulas_without_value(region, prefix, close, sheet)
        _error_cells(region, prefix, sheet)
        if percent_styles:
            _percent_cells(region, percent_styles, sheet)
    r, c = _cell_extent(leftover)
    max_row, max_col = max(max_row, r), max(max_col, c)
    sheet.row_tags += leftover.count(b"<" + prefix + b"row")
    # rows written without r= attributes are numbered by their order: count them, whatever the headers claim
    max_row = max(max_row, sheet.row_tags)
    for ref in _MERGE_RE.findall(leftover)[:5000]:
        a, _, b = ref.decode("ascii", "replace").partition(":")
        top, bottom = _cell_ref(a), _cell_ref(b or a)
        if top is not None and bottom is not None:
            sheet.merged.append((top, bottom))
    if sheet.rows is None and sheet.cols is None and (max_row or max_col):
        sheet.rows, sheet.cols = max_row, max_col
    # A missing or lying <dimension> must not smuggle a far-away cell past the limit.
    _check_extent(name, sheet.name, max_row, max_col, declared=False)


def _formulas_without_value(region: bytes, prefix: bytes, close: bytes, sheet: SheetInfo) -> None:
    opener = b"<" + prefix + b"c"
    f_re = re.compile(b"<" + re.escape(prefix) + rb"f[\s>/]")
    for fm in f_re.finditer(region):
        start = region.rfind(opener, 0, fm.start())
        while start >= 0 and region[start + len(opener) : start + len(opener) + 1] not in (
            b" ",
            b">",
            b"\t",
            b"\n",
            b"\r",
        ):
            start = region.rfind(opener, 0, start)
        if start < 0:
            continue
        end = region.find(close, fm.end())
        cell = region[start : end if end >= 0 else len(region)]
        gt = cell.find(b">")
        attrs, body = cell[:gt], cell[gt + 1 :]
        if _has_cached_value(attrs, body):
            continue
        sheet.formula_without_value_count += 1
        ref = _ATTR_R_RE.search(attrs)
        if ref and len(sheet.formula_without_value) < _MAX_FORMULA_REFS:
            sheet.formula_without_value.append(ref.group(1).decode("ascii").upper() + ref.group(2).decode("ascii"))


def _error_cells(region: bytes, prefix: bytes, sheet: SheetInfo) -> None:
    if b'"e"' not in region and (b"'" not in region or b"'e'" not in region):
        return
    cell_re = re.compile(
        b"<" + re.escape(prefix) + rb"c\s([^>]*?\bt\s*=\s*[\"']e[\"'][^>]*)>(.*?)</" + re.escape(prefix) + b"c>", re.S
    )
    for m in cell_re.finditer(region):
        ref = _ATTR_R_RE.search(m.group(1))
        v = _VALUE_RE.search(m.group(2))
        if ref and len(sheet.error_cells) < _MAX_FORMULA_REFS:
            code = (v.group(1) or b"").decode("utf-8", "replace").strip() if v else ""
            cell = ref.group(1).decode("ascii").upper() + ref.group(2).decode("ascii")
            sheet.error_cells.append((cell, code or "#ERROR"))


def _has_cached_value(attrs: bytes, body: bytes) -> bool:
    t = _ATTR_T_RE.search(attrs)
    cell_type = t.group(1).decode("ascii") if t else "n"
    v = _VALUE_RE.search(body)
    if v is None:
        return cell_type == "inlineStr" and b"<is" in body
    text = v.group(1)
    # An empty <v/> is a real cached "" only for string results; openpyxl writes <v /> for never-calculated cells.
    return bool(text and text.strip()) or cell_type == "str"


def scan_xlsx(path: Path, display_name: str) -> XlsxInfo:
    """Preflight an .xlsx/.xlsm with zipfile only: zip bomb, DTD/entities, declared sheet size, formulas without a
    cached value, hidden sheets and macros. Refuses with FileRefused; never expands an entity or a whole part."""
    name = safe_name(display_name)
    _check_size(path, name)
    with _open_zip(path, name) as zf:
        infos = _check_zip_members(zf, name)
        by_name = {i.filename: i for i in infos}
        sheets = _workbook_sheets(zf, by_name, name) if "xl/workbook.xml" in by_name else None
        if sheets is None:
            raise _unsupported(name, "zip archive without xl/workbook.xml")
        sheet_parts = {s.part: s for s in sheets if s.part and s.part in by_name}
        percent_styles = _percent_styles(zf, by_name, name)
        # Non-sheet parts first (small), so a poisoned styles/sharedStrings part is refused before sheet streaming.
        for info in infos:
            if info.filename in sheet_parts or info.is_dir():
                continue
            if info.filename.lower().endswith(_BINARY_EXT):
                continue
            _scan_dtd(zf, info, name)
        for part, sheet in sheet_parts.items():
            if "worksheets/" in part or "chartsheets/" not in part:
                _scan_worksheet(zf, by_name[part], name, sheet, percent_styles)
            else:
                _scan_dtd(zf, by_name[part], name)
        has_macros = any(n.lower().endswith("vbaproject.bin") for n in by_name)
    warnings: list[str] = []
    if has_macros:
        warnings.append(
            f"文件「{name}」含宏(VBA)；只读取单元格的值，宏不会运行 / File '{name}' contains macros (VBA); "
            "only cell values are read and macros never run"
        )
    hidden = [s.name for s in sheets if s.hidden]
    if hidden:
        joined = "、".join(hidden)
        warnings.append(
            f"文件「{name}」有隐藏工作表：{joined}；默认不导入 / File '{name}' has hidden sheets: "
            f"{', '.join(hidden)}; they are not imported unless chosen"
        )
    return XlsxInfo(sheets=sheets, has_macros=has_macros, warnings=warnings, percent_styles=percent_styles)


# --------------------------------------------------------------------------------------------- text decoding


class _Undecodable(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x3400 <= cp <= 0x4DBF  # CJK ext A (䶮 U+4DAE)
        or 0x4E00 <= cp <= 0x9FFF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x3FFFF  # ext B+ (𠮷 U+20BB7)
        or 0x3000 <= cp <= 0x303F  # CJK punctuation 、。「」
        or 0xFF00 <= cp <= 0xFFEF  # full-width forms ，：（）
        or 0x2E80 <= cp <= 0x2FDF
        or 0x3100 <= cp <= 0x31BF  # bopomofo
    )


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    sample = text[:100_000]
    bad = sum(1 for ch in sample if (ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F) and ch not in _TEXT_CONTROLS)
    return bad / len(sample)


def _utf16_guess(data: bytes) -> str | None:
    """BOM-less UTF-16: ASCII-heavy text has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _accept(text: str, encoding: str) -> tuple[str, str]:
    if "\x00" in text or _control_share(text) > 0.02:
        raise _Undecodable(-1)
    return text, encoding


def _decode_bytes(data: bytes) -> tuple[str, str]:
    """Order: BOM → BOM-less UTF-16 → strict UTF-8 → GB18030 (if mostly CJK) → cp1252 → _Undecodable."""
    boms = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
    for bom, enc in boms:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(enc.removesuffix("-sig"))
            except UnicodeDecodeError as exc:
                raise _Undecodable(exc.start + len(bom)) from exc
            return _accept(text, enc)
    guess = _utf16_guess(data)
    if guess:
        try:
            return _accept(data.decode(guess), guess)
        except (UnicodeDecodeError, _Undecodable):
            pass
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _Undecodable(nul)  # text files never contain NUL outside UTF-16
    try:
        return _accept(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.decode("gb18030")
        non_ascii = [ch for ch in text if ord(ch) > 0x7F]
        if non_ascii and sum(map(_is_cjk, non_ascii)) >= 0.5 * len(non_ascii):
            return _accept(text, "gb18030")
    except UnicodeDecodeError:
        # Chinese text with a few damaged bytes is never read as cp1252 (mojibake): it is read as GB18030 with
        # each damaged character replaced and named, or refused naming the first bad byte
        damaged = _gb18030_damaged(data)
        if damaged is not None:
            text, bad = damaged
            if len(bad) > _MAX_DAMAGED:
                raise _Undecodable(bad[0][0]) from None
            raise _Damaged(text, bad) from None
    try:
        return _accept(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        pass
    raise _Undecodable(first_bad)


_MAX_DAMAGED = 3  # damaged characters a GB18030 file may have and still load (each replaced and reported)


class _Damaged(Exception):
    """GB18030 text with a few undecodable bytes: the text with U+FFFD in their place, and (offset, bytes)."""

    def __init__(self, text: str, bad: list[tuple[int, bytes]]) -> None:
        super().__init__(len(bad))
        self.text = text
        self.bad = bad


def _gb18030_damaged(data: bytes) -> tuple[str, list[tuple[int, bytes]]] | None:
    """GB18030 with each undecodable byte replaced, and where they were; None unless the rest reads as Chinese."""
    parts: list[str] = []
    bad: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        try:
            parts.append(data[pos:].decode("gb18030"))
            break
        except UnicodeDecodeError as exc:
            parts.append(data[pos : pos + exc.start].decode("gb18030"))
            parts.append("\ufffd")
            bad.append((pos + exc.start, data[pos + exc.start : pos + exc.end]))
            pos += exc.end
            if len(bad) > 50:
                return None
    text = "".join(parts)
    non_ascii = [ch for ch in text if ord(ch) > 0x7F and ch != "\ufffd"]
    if len(non_ascii) < 4 or sum(map(_is_cjk, non_ascii)) < 0.8 * len(non_ascii):
        return None
    return text, bad


def decode_text(path: Path, display_name: str) -> tuple[str, str]:
    """The whole text of a CSV/TXT file and the encoding used (BOM stripped); FileRefused "无法识别编码" naming the
    first line that is not valid UTF-8 when no supported encoding fits."""
    text, encoding, _ = decode_text_checked(path, display_name)
    return text, encoding


def decode_text_checked(path: Path, display_name: str) -> tuple[str, str, list[Problem]]:
    """`decode_text`, plus a warning per damaged character of a GB18030 file read with it replaced (line, byte)."""
    name = safe_name(display_name)
    _check_size(path, name)
    data = path.read_bytes()
    try:
        text, encoding = _decode_bytes(data)
        return text, encoding, []
    except _Damaged as dmg:
        warnings = []
        for offset, raw in dmg.bad:
            line = data.count(b"\n", 0, offset) + 1
            shown = " ".join(f"0x{b:02X}" for b in raw)
            warnings.append(
                Problem(
                    name,
                    None,
                    line,
                    None,
                    shown,
                    f"第 {line} 行有无法解码的字节 {shown}(文件按 GB18030 读取)，该字符已替换为 �，请核对并修正原文件"
                    f" / line {line}: undecodable byte {shown} (read as GB18030); that character is shown as �,"
                    " check and fix the file",
                    "warning",
                )
            )
        return dmg.text, "gb18030", warnings
    except _Undecodable as exc:
        offset = exc.offset
        if offset < 0:  # decoded, but into control characters: point at the first one
            offset = next((i for i, b in enumerate(data) if b < 32 and b not in b"\t\n\r\f\v\x1a"), 0)
        line = data.count(b"\n", 0, max(offset, 0)) + 1
        byte = f"0x{data[offset]:02X}" if 0 <= offset < len(data) else "?"
        raise _refuse(
            name,
            f"无法识别编码(第 {line} 行起含无法解码的字节 {byte}，文件第 {offset + 1} 个字节)；"
            "请另存为 UTF-8 或 GB18030 编码的 CSV",
            f"unrecognised text encoding (undecodable byte {byte} on line {line}, byte {offset + 1} of the file);"
            " save the CSV as UTF-8 or GB18030",
            row=line,
            value=byte,
        ) from None


# --------------------------------------------------------------------------------------------- delimiter


def _delimiter_score(lines: list[str], delim: str) -> tuple[float, int]:
    """(share of records with the modal field count, modal field count), quote-aware via csv.reader."""
    try:
        records = [r for r in csv.reader(lines, delimiter=delim) if any(cell.strip() for cell in r)][:50]
    except csv.Error:
        return 0.0, 0
    if not records:
        return 0.0, 0
    counts = Counter(len(r) for r in records)
    modal, freq = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    if modal < 2:
        return 0.0, 0
    return freq / len(records), modal


def sniff_delimiter(sample: str) -> str:
    """The delimiter among , ; TAB | whose field count is most consistent over the first 50 non-empty records
    (B22: "1,5;2,5" is semicolon-delimited). Ties go to csv.Sniffer, then to the order , ; TAB |."""
    sample = sample.lstrip("\ufeff")
    lines = sample.splitlines(keepends=True)
    if lines and not sample.endswith(("\n", "\r")) and len(lines) > 1:
        lines = lines[:-1]  # the sample may stop mid-record
    lines = [ln for ln in lines if ln.strip()][:200]
    scores = {d: _delimiter_score(lines, d) for d in _DELIMS}
    best = max(scores.values())
    if best == (0.0, 0):
        return ","
    winners = [d for d in _DELIMS if scores[d] == best]
    if len(winners) == 1:
        return winners[0]
    try:
        sniffed = csv.Sniffer().sniff("".join(lines[:50]), delimiters="".join(winners)).delimiter
    except csv.Error:
        sniffed = ""
    return sniffed if sniffed in winners else winners[0]
