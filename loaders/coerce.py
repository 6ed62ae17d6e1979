"""Cell coercers: turn one cell's text into a typed value, or refuse it with a message a PMO clerk understands.

Every refusal is a `CoerceError` whose message is short Chinese, then " / ", then English.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

__all__ = [
    "COERCERS",
    "CoerceError",
    "column_is_fraction",
    "mixed_percent_scale",
    "excel_error",
    "is_note_label",
    "is_total_label",
    "parse_bool",
    "parse_code",
    "parse_date",
    "parse_datetime",
    "parse_duration",
    "parse_int",
    "parse_level",
    "parse_money",
    "parse_number",
    "parse_percent",
    "parse_gate_status",
    "parse_readiness",
    "parse_severity",
    "parse_stage",
    "parse_text",
    "strip_unit",
    "unit_from_header",
]


class CoerceError(ValueError):
    """One cell value that cannot be read as the column's kind; `message` is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------- shared helpers

_HSPACE = re.compile(r"[^\S\n]+")
_EXCEL_ERRORS = (
    "#DIV/0!",
    "#REF!",
    "#N/A",
    "#VALUE!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
    "#EXTERNAL!",
    "#PYTHON!",
)
_EXCEL_ERROR_SET = {e.upper() for e in _EXCEL_ERRORS}


def _norm(text: str) -> str:
    """NFKC (full-width digits, ￥, ：, ideographic space), one space between words, stripped."""
    s = unicodedata.normalize("NFKC", str(text))
    # U+2212 MINUS SIGN and the dashes survive NFKC; staff paste them from Word.
    s = s.replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", "-")
    return _HSPACE.sub(" ", s).strip()


def _show(text: str) -> str:
    s = str(text).strip()
    return s if len(s) <= 40 else s[:37] + "…"


def _check_excel_error(s: str) -> None:
    code = excel_error(s)
    if code is not None:
        raise CoerceError(f"单元格是 Excel 错误值 {code}，请在 Excel 中修正公式 / Excel error value {code}")


def _check_empty(s: str, what_zh: str, what_en: str) -> None:
    if not s:
        raise CoerceError(f"{what_zh}为空 / empty {what_en}")


def excel_error(text: str) -> str | None:
    """The Excel error code when `text` is an error value such as #DIV/0! or #N/A, else None."""
    s = str(text).strip().upper()
    if not s.startswith("#"):
        return None
    if s in _EXCEL_ERROR_SET:
        return s
    return None


# --------------------------------------------------------------------------- numbers

# Thousands groups must be groups of three: "1,5" (a decimal comma) is refused, never read as 15.
_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?", re.IGNORECASE)


def _decimal(s: str) -> Decimal | None:
    """An unsigned plain number ("1,234.5", "45356.0", "1e+16"), or None."""
    if not _NUMBER.fullmatch(s):
        return None
    try:
        return Decimal(s.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return None


def _peel_sign(s: str) -> tuple[bool, str]:
    """Brackets or a leading sign: "(1,234)" and "-1,234" are negative. Returns (negative, rest)."""
    neg = False
    if len(s) >= 2 and s[0] == "(" and s[-1] == ")":
        neg, s = True, s[1:-1].strip()
    if s[:1] in ("-", "+"):
        if neg and s[0] == "-":
            raise CoerceError("负号与括号重复，无法判断正负 / both brackets and a minus sign")
        neg = neg or s[0] == "-"
        s = s[1:].strip()
    return neg, s


def _signed_decimal(text: str, what_zh: str, what_en: str) -> Decimal:
    s = _norm(text)
    _check_empty(s, what_zh, what_en)
    _check_excel_error(s)
    if "%" in s:
        raise CoerceError(f"「{_show(text)}」带百分号，此列应填{what_zh} / a percentage where a {what_en} is expected")
    neg, body = _peel_sign(s.replace(" ", ""))
    value = _decimal(body)
    if value is None:
        raise CoerceError(_not_number_msg(text, body, what_zh, what_en))
    return -value if neg else value


def _not_number_msg(text: str, body: str, what_zh: str, what_en: str) -> str:
    if re.fullmatch(r"\d+,\d{1,2}|\d+(?:,\d+)+", body):
        return (
            f"「{_show(text)}」的逗号位置不对(千分位应每三位一个逗号，小数点请用“.”) / "
            f"misplaced comma (use '.' for decimals)"
        )
    article = "an" if what_en[:1] in "aeiou" else "a"
    return f"「{_show(text)}」不是{what_zh} / not {article} {what_en}"


def parse_number(text: str) -> float:
    """A plain number: separators "1,234.5", full-width digits, "(12)" or "-12" negatives; no % sign, no units."""
    return _finite(float(_signed_decimal(text, "数字", "number")), text) + 0.0  # + 0.0 turns "-0" into 0.0


def parse_int(text: str) -> int:
    """A whole number; "12.0" is fine (Excel stores integers as floats), "12.5" is refused."""
    value = _signed_decimal(text, "整数", "whole number")
    if value != value.to_integral_value():
        raise CoerceError(f"「{_show(text)}」不是整数 / not a whole number")
    if not -(2**63) <= value < 2**63:  # what the store's BIGINT holds
        raise CoerceError(_out_of_range(text))
    return int(value)


def _out_of_range(text: str) -> str:
    return f"「{_show(text)}」数值超出可存储的范围 / number out of range"


def _finite(value: float, text: str) -> float:
    """A float the number became: an overflow (a 400-digit text, 1e400) is refused, never stored as infinity."""
    if not math.isfinite(value):
        raise CoerceError(_out_of_range(text))
    return value


# --------------------------------------------------------------------------- money

_UNIT_NAMES = {1e3: "千元", 1e4: "万元", 1e6: "百万元", 1e8: "亿元", 1.0: "元"}
# The cell's own unit suffix (lower-cased, spaces removed). Longest first so "万元" beats "元".
_CELL_UNITS: tuple[tuple[str, float], ...] = (
    ("百万元", 1e6),
    ("百万", 1e6),
    ("亿元", 1e8),
    ("亿", 1e8),
    ("万元", 1e4),
    ("万", 1e4),
    ("千元", 1e3),
    ("千", 1e3),
    ("元", 1.0),
    ("yuan", 1.0),
)
_CURRENCY_PREFIX = ("人民币", "rmb", "cny", "¥")
_CURRENCY_SUFFIX = ("人民币", "rmb", "cny")
_FOREIGN = re.compile(r"[$€£]|usd|eur|hkd|gbp|美元|欧元|港币|港元")


def parse_money(
    text: str, unit: float = 1.0, declared: bool | None = None, source: str = "", source_en: str = ""
) -> float:
    """An amount in yuan. `unit` is the table's multiplier (1e4 for 金额(万元) or a 单位：万元 title line).

    Rule: a cell's own unit (12.5万元) is used when the table declares none; when it declares one (`declared`,
    by default whenever unit != 1, so an explicit 元 must be passed as declared=True), a cell with the same
    unit is multiplied once and a cell with a different explicit unit (元 vs 12万) is refused, naming `source`
    (where the table's unit was written) when given.
    """
    if declared is None:
        declared = unit != 1.0
    s = _norm(text)
    _check_empty(s, "金额", "amount")
    _check_excel_error(s)
    if "%" in s:
        raise CoerceError(f"「{_show(text)}」是百分比，不是金额 / a percentage, not an amount")
    body = s.replace(" ", "").lower()
    if _FOREIGN.search(body):
        raise CoerceError(f"「{_show(text)}」不是人民币金额，请换算为元 / not in yuan (CNY)")
    neg = False
    cell_unit: tuple[str, float] | None = None
    for _ in range(4):  # peel "(¥-1,234万元)" layer by layer; four rounds cover every sensible nesting
        before = body
        if body.endswith("整"):  # formal Chinese "1000元整"
            body = body[:-1]
        for p in _CURRENCY_PREFIX:
            if body.startswith(p):
                body = body[len(p) :]
        for p in _CURRENCY_SUFFIX:
            if body.endswith(p):
                body = body[: -len(p)]
        for name, mult in _CELL_UNITS:
            rest = body[: -len(name)]
            if body.endswith(name) and (rest[-1:].isdigit() or rest.endswith(")")):
                if cell_unit is not None:
                    raise CoerceError(f"「{_show(text)}」写了两个单位 / two units in one cell")
                cell_unit = (name, mult)
                body = body[: -len(name)]
                break
        if body[:1] in ("(", "-", "+"):
            n, body = _peel_sign(body)
            if n and neg:
                raise CoerceError("负号与括号重复，无法判断正负 / both brackets and a minus sign")
            neg = neg or n
        if body == before:
            break
    value = _decimal(body)
    if value is None:
        raise CoerceError(_not_number_msg(text, body, "金额", "amount"))
    mult = unit
    if cell_unit is not None:
        name, cmult = cell_unit
        if not declared:
            mult = cmult
        elif cmult != unit:
            header = _UNIT_NAMES.get(unit, f"×{unit:g}")
            if source:
                raise CoerceError(
                    f"单元格单位「{name}」与{source}写明的单位「{header}」冲突，请统一单位，不会猜测"
                    f" / the cell's unit ({name}) conflicts with the unit ({header}) stated in {source_en or source}; use one unit"
                )
            raise CoerceError(
                f"单元格单位「{name}」与表头单位「{header}」冲突，请统一单位 / cell unit conflicts with the header unit"
            )
    result = _finite(float(value * Decimal(repr(float(mult)))), text)
    return -result if neg and result else result


_HEADER_UNITS: tuple[tuple[str, float], ...] = (
    ("百万元", 1e6),
    ("百万", 1e6),
    ("亿元", 1e8),
    ("万元", 1e4),
    ("千元", 1e3),
    ("亿", 1e8),
    ("万", 1e4),
    ("千", 1e3),
    ("元", 1.0),
)
_BRACKETED = re.compile(r"[(\[【](?P<u>[^()\[\]【】]*)[)\]】]")


def _header_unit(header: str) -> tuple[float, str] | None:
    """(multiplier, unit text as found) for a header such as 金额(万元), 金额/万元, 预算万元, Amount (10k CNY)."""
    h = _norm(header).lower()
    if not h:
        return None
    candidates = [m.group("u").strip() for m in _BRACKETED.finditer(h)]
    if "/" in h:
        candidates.append(h.rsplit("/", 1)[1].strip())
    if "单位" in h:
        candidates.append(h.split("单位", 1)[1].lstrip(":").strip())
    for cand in candidates:
        c = cand.replace(" ", "").removeprefix("单位").lstrip(":")
        for name, mult in _HEADER_UNITS:
            if c.startswith(name) or c.endswith(name) or c in (name, f"人民币{name}"):
                return mult, cand
        english = {"10kcny": 1e4, "10kyuan": 1e4, "kcny": 1e3, "kyuan": 1e3, "cny'000": 1e3, "'000": 1e3}
        english |= {"cnymillion": 1e6, "millionyuan": 1e6, "million": 1e6, "yuan": 1.0, "cny": 1.0, "rmb": 1.0}
        if c in english:
            return english[c], cand
    # Unbracketed trailing unit: 预算金额万元, 合同额亿元 (but not a bare 元, too common inside words).
    compact = h.replace(" ", "")
    for name, mult in _HEADER_UNITS[:5]:
        if compact.endswith(name) and len(compact) > len(name):
            return mult, name
    return None


def unit_from_header(header: str) -> float:
    """The money multiplier a header declares: 万元 → 1e4, 亿元/亿 → 1e8, 千元 → 1e3, 元 or none → 1.0."""
    found = _header_unit(header)
    return 1.0 if found is None else found[0]


def strip_unit(header: str) -> str:
    """The header without its unit: "金额(万元)" → "金额", "预算/万元" → "预算", "金额 单位:万元" → "金额"."""
    h = _norm(header)
    found = _header_unit(h)
    if found is None:
        return h
    unit_text = found[1]
    bracketed = re.compile(r"[(\[【]\s*" + re.escape(unit_text) + r"\s*[)\]】]", re.IGNORECASE)
    out = bracketed.sub("", h, count=1)
    if out != h:
        return out.strip()
    if "/" in h and h.rsplit("/", 1)[1].strip().lower() == unit_text:
        return h.rsplit("/", 1)[0].strip()
    if "单位" in h:
        return h.split("单位", 1)[0].rstrip(" ,;:").strip()
    if h.lower().endswith(unit_text):
        return h[: -len(unit_text)].strip()
    return h


# --------------------------------------------------------------------------- percent


def parse_percent(text: str, fraction: bool = False) -> float:
    """A percentage in 0..100: "45%" and "45" → 45; "0.45" → 45 only when the column is fractions."""
    s = _norm(text)
    _check_empty(s, "百分比", "percentage")
    _check_excel_error(s)
    neg, body = _peel_sign(s.replace(" ", ""))
    has_sign = body.endswith("%")
    if has_sign:
        body = body[:-1]
    value = _decimal(body)
    if value is None or "%" in body:
        raise CoerceError(f"「{_show(text)}」不是百分比 / not a percentage")
    if neg and value != 0:
        raise CoerceError(f"「{_show(text)}」百分比不能为负 / percentage below 0")
    if fraction and not has_sign:
        value *= 100
    if value > 100:
        raise CoerceError(f"「{_show(text)}」百分比超过 100 / percentage above 100")
    return float(value)


def mixed_percent_scale(values: Iterable[str]) -> tuple[str, str] | None:
    """(a value over 1, a value strictly between 0 and 1) when a percent column writes both without % signs:
    50 and 0.5 in one column cannot both be right, so the small ones are asked about, never stored as 0.5 %."""
    big: str | None = None
    small: str | None = None
    for v in values:
        s = _norm(v) if v is not None else ""
        if not s or "%" in s:
            continue
        try:
            x = parse_number(s)
        except CoerceError:
            continue
        if x > 1 and big is None:
            big = s
        elif 0 < x < 1 and small is None:
            small = s
        if big is not None and small is not None:
            return big, small
    return None


def column_is_fraction(values: Iterable[str]) -> bool:
    """True when a percent column is written as fractions: every bare number lies in 0..1, one strictly inside."""
    inside = False
    for v in values:
        s = _norm(v) if v is not None else ""
        if not s or "%" in s:
            continue
        try:
            x = parse_number(s)
        except CoerceError:
            continue
        if x < 0 or x > 1:
            return False
        inside = inside or 0 < x < 1
    return inside


# --------------------------------------------------------------------------- dates

_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 once its fake 1900-02-29 is skipped
_MIN_YEAR, _MAX_YEAR = 1990, 2100
_MIN_SERIAL = (dt.date(_MIN_YEAR, 1, 1) - _EPOCH).days
_MAX_SERIAL = (dt.date(_MAX_YEAR, 12, 31) - _EPOCH).days
_ALLOWED_DATES = "请使用 2024-03-05 或 2024年3月5日 这样的格式"
_ALLOWED_DATES_EN = "use 2024-03-05 or 2024年3月5日"
_WEEKDAY_ZH = "一二三四五六日"
_EN_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2, "thu": 3, "thur": 3,
    "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
_ZH_WEEKDAYS = {c: i for i, c in enumerate(_WEEKDAY_ZH)} | {"天": 6}
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_RE = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sept|sep|oct|nov|dec)[a-z]*\.?"
_TIME_RE = (
    r"(?P<pre>上午|下午|中午|晚上|凌晨|早上|am|pm)?\s*(?P<h>\d{1,2})[:时点](?P<mi>\d{2})分?"
    r"(?::(?P<s>\d{2})(?:\.(?P<f>\d+))?)?\s*(?P<post>am|pm|a\.m\.|p\.m\.)?"
)
_TIME_TAIL = re.compile(r"(?:t|\s+|(?<=[日号]))" + _TIME_RE + r"$")
# Only after a time ("08:00:00Z"), so the "-2024" of "05-03-2024" is never taken for a UTC offset.
_TZ_TAIL = re.compile(r"(?<=:\d\d)(?P<frac>\.\d+)?\s*(?:z|utc|gmt|[+-]\d{2}:?\d{2})$")
_EN_WD_PREFIX = re.compile(r"^(?P<wd>[a-z]+)\.?,?\s+(?P<rest>.+)$")
_ZH_WD = r"(?:星期|周|礼拜)(?P<zwd>[一二三四五六日天])"
_ZH_WD_PREFIX = re.compile(r"^" + _ZH_WD + r"[,\s]*(?P<rest>.+)$")
_ZH_WD_SUFFIX = re.compile(r"^(?P<rest>.+?)[,\s]*\(?" + _ZH_WD + r"\)?$")
_EN_WD_SUFFIX = re.compile(r"^(?P<rest>.+?)[,\s]*\((?P<wd>[a-z]+)\)$")

_YMD = re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?:(?P=sep)(?P<d>\d{1,2}))?")
_CN = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号]?)?")
_DOT_DMY = re.compile(r"(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{4}|\d{2})")
_SLASH_DMY = re.compile(r"(?P<a>\d{1,2})(?P<sep>[/-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})")
_D_MON_Y = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s-]*" + _MONTH_RE + r"[\s,-]*(?P<y>\d{4}|\d{2})")
_MON_D_Y = re.compile(_MONTH_RE + r"\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s*(?P<y>\d{4})")
_MON_Y = re.compile(_MONTH_RE + r"[\s,-]*(?P<y>\d{4})")


def _year(y: str) -> int:
    # Two-digit years only reach here where the day/month order is already settled (a weekday or a month name).
    n = int(y)
    if len(y) == 2:
        return 1900 + n if n >= 90 else 2000 + n
    return n


def _make_date(text: str, y: int, m: int, d: int) -> dt.date:
    if not _MIN_YEAR <= y <= _MAX_YEAR:
        raise CoerceError(
            f"日期「{_show(text)}」的年份 {y} 不合理(应在 {_MIN_YEAR}–{_MAX_YEAR} 之间) / implausible year {y}"
        )
    if not 1 <= m <= 12:
        raise CoerceError(f"日期「{_show(text)}」不存在(没有 {m} 月) / date does not exist (month {m})")
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise CoerceError(
            f"日期「{_show(text)}」不存在({m}月没有{d}日) / date does not exist"
            if d >= 1
            else f"日期「{_show(text)}」不存在(没有 {d} 日) / date does not exist"
        ) from None


def _from_number(text: str, s: str) -> dt.datetime:
    whole, _, frac = s.partition(".")
    if frac.strip("0") == "":
        frac = ""
    if not frac and len(whole) == 8:  # 20250305
        y, m, d = int(whole[:4]), int(whole[4:6]), int(whole[6:])
        return dt.datetime.combine(_make_date(text, y, m, d), dt.time())
    if not frac and len(whole) == 6:  # 202503 = March 2025
        y, m = int(whole[:4]), int(whole[4:])
        return dt.datetime.combine(_make_date(text, y, m, 1), dt.time())
    serial = Decimal(s)
    if int(serial) == 60:
        raise CoerceError(
            f"「{_show(text)}」是 Excel 日期序列号 60，对应不存在的 1900-02-29 / serial 60 is Excel's non-existent 1900-02-29"
        )
    if not _MIN_SERIAL <= serial < _MAX_SERIAL + 1:
        hint = ""
        if not frac and _MIN_YEAR <= int(whole) <= _MAX_YEAR:
            hint = f"(只有年份？请写成 {int(whole)}-01-01 或 {int(whole)}年1月)"
        raise CoerceError(
            f"数字「{_show(text)}」不是合理的日期{hint}：Excel 日期序列号应在 {_MIN_SERIAL}–{_MAX_SERIAL} 之间"
            f"({_MIN_YEAR}–{_MAX_YEAR} 年) / number is not a plausible date"
        )
    days = int(serial)
    seconds = int(((serial - days) * 86400).to_integral_value())
    return dt.datetime.combine(_EPOCH, dt.time()) + dt.timedelta(days=days, seconds=seconds)


def _parse_time(text: str, m: re.Match[str]) -> dt.time:
    h, mi = int(m.group("h")), int(m.group("mi"))
    sec = int(m.group("s") or 0)
    micro = int((m.group("f") or "0")[:6].ljust(6, "0"))
    marker = m.group("pre") or m.group("post") or ""
    if marker:
        if not 1 <= h <= 12 and not (h == 0 and marker in ("上午", "凌晨", "am")):
            raise CoerceError(f"「{_show(text)}」的时间不存在(上午/下午只配 1–12 点) / invalid 12-hour time")
        pm = marker in ("下午", "晚上", "pm", "p.m.") or (marker == "中午" and h < 6)
        h = h % 12 + (12 if pm else 0)
    if h > 23 or mi > 59 or sec > 59:
        raise CoerceError(f"「{_show(text)}」的时间不存在 / time does not exist")
    return dt.time(h, mi, sec, micro)


def _ambiguous(text: str) -> CoerceError:
    return CoerceError(
        f"日期「{_show(text)}」的日/月顺序不明确，{_ALLOWED_DATES} / ambiguous day/month order; {_ALLOWED_DATES_EN}"
    )


def _weekday_mismatch(text: str, day: dt.date, wd: int) -> CoerceError:
    return CoerceError(
        f"日期「{_show(text)}」的星期与日期不符({day.isoformat()} 是星期{_WEEKDAY_ZH[day.weekday()]}，"
        f"不是星期{_WEEKDAY_ZH[wd]}) / weekday does not match the date"
    )


def _date_part(text: str, s: str, wd: int | None) -> dt.date:
    if m := (_YMD.fullmatch(s) or _CN.fullmatch(s)):
        return _make_date(text, int(m.group("y")), int(m.group("m")), int(m.group("d") or 1))
    if m := _DOT_DMY.fullmatch(s):  # European dd.mm.yyyy
        a, b, y = int(m.group("a")), int(m.group("b")), m.group("y")
        if wd is not None:
            return _make_date(text, _year(y), b, a)
        if len(y) == 2:
            raise CoerceError(
                f"日期「{_show(text)}」的年份只有两位，{_ALLOWED_DATES} / two-digit year; {_ALLOWED_DATES_EN}"
            )
        if a > 12 and b <= 12:
            return _make_date(text, int(y), b, a)
        raise _ambiguous(text)
    if m := _SLASH_DMY.fullmatch(s):
        # Slashed dd/mm vs mm/dd: never guessed. Only a weekday can settle it (MS Project "Mon 3/4/24").
        a, b, y = int(m.group("a")), int(m.group("b")), m.group("y")
        if wd is None:
            raise _ambiguous(text)
        found: set[dt.date] = set()
        for mm, dd in ((a, b), (b, a)):
            try:
                cand = _make_date(text, _year(y), mm, dd)
            except CoerceError:
                continue
            if cand.weekday() == wd:
                found.add(cand)
        if len(found) == 1:
            return found.pop()
        if not found:
            raise CoerceError(f"日期「{_show(text)}」的星期与日期不符 / weekday does not match the date")
        raise _ambiguous(text)
    if m := (_D_MON_Y.fullmatch(s) or _MON_D_Y.fullmatch(s)):
        return _make_date(text, _year(m.group("y")), _MONTHS[m.group("mon")[:3]], int(m.group("d")))
    if m := _MON_Y.fullmatch(s):
        return _make_date(text, int(m.group("y")), _MONTHS[m.group("mon")[:3]], 1)
    raise CoerceError(f"无法识别的日期「{_show(text)}」，{_ALLOWED_DATES} / unrecognised date; {_ALLOWED_DATES_EN}")


def parse_datetime(text: str) -> dt.datetime:
    """A date and time from any form staff write (see `parse_date`); a date alone gives midnight.

    A time-zone suffix (Z, +08:00) is dropped: the wall-clock time as written is kept.
    """
    s = _norm(text).lower()
    _check_empty(s, "日期", "date")
    _check_excel_error(s)
    if m := re.fullmatch(r"((?:19|20)\d\d)\.(\d{1,2})", s):
        # 2025.04: a year and month (never a plausible Excel serial). 2025.1 may be a number cell that lost
        # the 0 of 2025.10: January or October is asked, never guessed
        if m.group(2) == "1":
            raise CoerceError(
                f"「{_show(text)}」是 1 月还是 10 月(数字 2025.10 会显示为 2025.1)？请写成 2025-01 或 2025-10"
                f" / '{_show(text)}': January or October (2025.10 as a number shows as 2025.1)? Write 2025-01 or 2025-10"
            )
        return dt.datetime.combine(_make_date(text, int(m.group(1)), int(m.group(2)), 1), dt.time())
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return _from_number(text, s)
    s = _TZ_TAIL.sub(r"\g<frac>", s).strip()
    wd: int | None = None
    if (m := _EN_WD_PREFIX.match(s)) and m.group("wd") in _EN_WEEKDAYS:
        wd, s = _EN_WEEKDAYS[m.group("wd")], m.group("rest")
    elif m := _ZH_WD_PREFIX.match(s):
        wd, s = _ZH_WEEKDAYS[m.group("zwd")], m.group("rest")
    time = dt.time()
    if tm := _TIME_TAIL.search(s):
        time = _parse_time(text, tm)
        s = s[: tm.start()].strip()
    if wd is None:
        if m := _ZH_WD_SUFFIX.match(s):
            wd, s = _ZH_WEEKDAYS[m.group("zwd")], m.group("rest")
        elif (m := _EN_WD_SUFFIX.match(s)) and m.group("wd") in _EN_WEEKDAYS:
            wd, s = _EN_WEEKDAYS[m.group("wd")], m.group("rest")
    day = _date_part(text, s.strip(" ,"), wd)
    if wd is not None and day.weekday() != wd:
        raise _weekday_mismatch(text, day, wd)
    return dt.datetime.combine(day, time)


def parse_date(text: str) -> dt.date:
    """A calendar date. Accepts Excel serials (1990–2100), 2025-03-05, 2025/3/5, 2025.3.5, 2025年3月5日,
    month-only forms (2025-03, 2025年3月, 202503 → the 1st), times and weekdays; refuses slashed d/m/y."""
    return parse_datetime(text).date()


# --------------------------------------------------------------------------- levels, booleans, stages

_LEVEL_WORDS: dict[str, int] = {
    **dict.fromkeys(("很低", "极低", "非常低", "最低", "极小", "很小", "可忽略", "忽略不计", "几乎不可能"), 1),
    **dict.fromkeys(("very low", "rare", "negligible", "insignificant", "remote", "very unlikely"), 1),
    **dict.fromkeys(("低", "较低", "偏低", "小", "较小", "轻微", "不太可能", "可能性小"), 2),
    **dict.fromkeys(("low", "unlikely", "minor"), 2),
    **dict.fromkeys(("中", "中等", "一般", "适中", "中度", "可能"), 3),
    **dict.fromkeys(("medium", "moderate", "possible", "med", "mid"), 3),
    **dict.fromkeys(("高", "较高", "偏高", "大", "较大", "严重", "重大", "很可能"), 4),
    **dict.fromkeys(("high", "likely", "major", "probable", "serious", "severe"), 4),
    **dict.fromkeys(("很高", "极高", "非常高", "最高", "极大", "很大", "灾难性", "极严重", "几乎确定", "基本确定"), 5),
    **dict.fromkeys(("very high", "almost certain", "critical", "catastrophic", "extreme", "certain"), 5),
}
_LEVEL_HINT = "1–5，或 很低/低/中/高/很高、Very low/Low/Medium/High/Very high"


def parse_level(text: str) -> int:
    """A 1..5 likelihood or impact: digits, or words such as 低/中/高, Low/Medium/High, Rare..Almost certain.

    Map: 1 很低/极低/可忽略/Rare, 2 低/较低/轻微/Unlikely/Minor, 3 中/中等/一般/Possible/Moderate,
    4 高/较高/严重/Likely/Major, 5 很高/极高/灾难性/Almost certain/Critical. "3-中" is fine if both agree.
    """
    s = _norm(text).lower()
    _check_empty(s, "等级", "level")
    _check_excel_error(s)
    words = re.sub(r"[\s_\-–—:：.、/()\[\]（）【】]+", " ", re.sub(r"\d+(?:\.0+)?", " ", s)).strip()
    words = re.sub(r"(级|风险|影响)$", "", words).strip() if words not in _LEVEL_WORDS else words
    digits = re.findall(r"\d+(?:\.\d+)?", s)
    number: int | None = None
    if digits:
        if len(digits) > 1 or Decimal(digits[0]) != int(Decimal(digits[0])) or not 1 <= int(Decimal(digits[0])) <= 5:
            raise CoerceError(f"「{_show(text)}」不是 1–5 的等级 / level must be 1 to 5")
        number = int(Decimal(digits[0]))
    word_level = _LEVEL_WORDS.get(words) if words else None
    if words and word_level is None:
        raise CoerceError(f"「{_show(text)}」不是可识别的等级，请填写 {_LEVEL_HINT} / unknown level")
    if number is not None and word_level is not None and number != word_level:
        raise CoerceError(f"「{_show(text)}」的数字与文字等级不一致 / number and word disagree")
    level = number if number is not None else word_level
    if level is None:  # pragma: no cover - either a digit or a word was found above
        raise CoerceError(f"「{_show(text)}」不是可识别的等级，请填写 {_LEVEL_HINT} / unknown level")
    return level


_TRUE = {"是", "y", "yes", "true", "t", "1", "√", "✓", "✔", "☑", "对", "有", "里程碑", "milestone", "ja", "on"}
_FALSE = {"否", "n", "no", "false", "f", "0", "×", "✗", "✘", "☐", "不是", "非", "无", "off", "nein"}


def parse_bool(text: str) -> bool:
    """是/否, Y/N, yes/no, true/false, 1/0, √/×, 里程碑 → True.

    ASCII "x" is refused: a clerk may mean a tick (checked) or the cross × (no), so we ask instead of guessing.
    """
    s = _norm(text).lower()
    _check_empty(s, "是/否", "yes/no")
    _check_excel_error(s)
    if re.fullmatch(r"[01]\.0+", s):
        s = s[0]
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    if s == "x":
        raise CoerceError("「x」含义不明确(勾选还是“×”？)，请填写 是 或 否 / 'x' is ambiguous; write 是 or 否")
    raise CoerceError(f"「{_show(text)}」不是是/否，请填写 是/否、Y/N 或 √/× / not a yes/no value")


_STAGES: dict[str, str] = {
    **dict.fromkeys(
        (
            "已签合同",
            "签合同",
            "合同",
            "已签约",
            "签约",
            "合同签订",
            "已签订",
            "承诺",
            "已承诺",
            "预留",
            "已预留",
            "已下单",
        ),
        "committed",
    ),
    **dict.fromkeys(
        ("committed", "commitment", "commit", "po", "purchase order", "obligated", "reserved"), "committed"
    ),
    **dict.fromkeys(("已开票", "开票", "发票", "已收票", "收票", "已收发票", "待付款"), "invoiced"),
    **dict.fromkeys(("invoiced", "invoice", "billed", "bill"), "invoiced"),
    **dict.fromkeys(
        ("已付款", "已支付", "付款", "支付", "已付", "实付", "已付清", "已报销", "报销", "已结算", "结算", "已结清"),
        "paid",
    ),
    **dict.fromkeys(("paid", "payment", "settled"), "paid"),
}
_STAGE_HINT = "已签合同/已开票/已付款 或 committed/invoiced/paid"


def parse_stage(text: str) -> str:
    """The money stage: committed (合同/承诺/预留/PO), invoiced (开票/发票) or paid (付款/支付)."""
    s = _norm(text).lower()
    _check_empty(s, "资金状态", "stage")
    _check_excel_error(s)
    stage = _STAGES.get(s) or _STAGES.get(s.replace(" ", ""))
    if stage is None:
        raise CoerceError(f"「{_show(text)}」不是可识别的资金状态，请填写 {_STAGE_HINT} / unknown stage")
    return stage


# --------------------------------------------------------------------------- ticket priorities

_PRIORITY_WORDS: dict[str, str] = {
    **dict.fromkeys(("一级", "1级", "紧急", "特急", "非常紧急", "最高", "urgent", "critical", "highest"), "P1"),
    **dict.fromkeys(("二级", "2级", "高", "重要", "较高", "high", "major"), "P2"),
    **dict.fromkeys(("三级", "3级", "中", "一般", "普通", "medium", "normal", "moderate"), "P3"),
    **dict.fromkeys(("四级", "4级", "低", "较低", "轻微", "low", "minor", "lowest"), "P4"),
}
_PRIORITY_HINT = "P1–P4、一级–四级 或 紧急/高/中/低"


def parse_priority(text: str) -> str:
    """A ticket priority as P1..P4: "P1", "p2", "1", "一级", "1级", "紧急" (P1), "高" (P2), "中"/"一般" (P3),
    "低" (P4), Urgent/High/Medium/Low. "P1-紧急" is fine when both parts agree; anything else is refused."""
    s = _norm(text).lower()
    _check_empty(s, "优先级", "priority")
    _check_excel_error(s)
    found: set[str] = set()
    for part in (x for x in re.split(r"[\s_\-–—:：/()（）\[\]【】、,，]+", s) if x):
        if m := re.fullmatch(r"p?([1-4])(?:\.0+)?", part):
            found.add(f"P{m.group(1)}")
        elif part in _PRIORITY_WORDS:
            found.add(_PRIORITY_WORDS[part])
        elif (m := re.fullmatch(r"p([1-4])(.+)", part)) and _PRIORITY_WORDS.get(m.group(2)) == f"P{m.group(1)}":
            found.add(f"P{m.group(1)}")  # P1紧急
        else:
            raise CoerceError(f"「{_show(text)}」不是可识别的优先级，请填写 {_PRIORITY_HINT} / unknown priority")
    if len(found) != 1:
        raise CoerceError(f"「{_show(text)}」的优先级前后不一致，请填写 {_PRIORITY_HINT} / priority parts disagree")
    return found.pop()


# --------------------------------------------------------------------------- readiness words (issue 16)

_GATE_STATUS: dict[str, str] = {
    **dict.fromkeys(
        ("已满足", "满足", "达标", "已达标", "通过", "已通过", "符合", "已符合", "合格", "已完成", "完成", "是"),
        "met",
    ),
    **dict.fromkeys(("√", "✓", "✔", "☑", "met", "pass", "passed", "yes", "y", "ok", "done", "true"), "met"),
    **dict.fromkeys(
        ("未满足", "不满足", "未达标", "不达标", "未通过", "不通过", "不符合", "不合格", "未完成", "否"), "not_met"
    ),
    **dict.fromkeys(("×", "✗", "✘", "☐", "not met", "notmet", "fail", "failed", "no", "n", "false"), "not_met"),
    **dict.fromkeys(("豁免", "已豁免", "免除", "特批豁免", "waived", "waiver", "exempt", "exempted"), "waived"),
}
_READINESS: dict[str, str] = {
    **dict.fromkeys(
        ("就绪", "已就绪", "准备就绪", "已到位", "到位", "已完成", "完成", "具备", "已具备", "是"), "ready"
    ),
    **dict.fromkeys(("√", "✓", "✔", "☑", "ready", "yes", "y", "done", "ok", "true"), "ready"),
    **dict.fromkeys(("未就绪", "未到位", "未完成", "进行中", "不具备", "未具备", "否"), "not_ready"),
    **dict.fromkeys(("×", "✗", "✘", "☐", "not ready", "notready", "no", "n", "in progress", "false"), "not_ready"),
    **dict.fromkeys(("不适用", "无需", "不涉及", "免", "/", "／", "n/a", "na", "n.a.", "not applicable"), "na"),
}
_SEVERITY: dict[str, str] = {
    **dict.fromkeys(
        ("高", "严重", "重大", "紧急", "一级", "致命", "high", "critical", "major", "severe", "urgent"), "high"
    ),
    **dict.fromkeys(("中", "一般", "中等", "较重", "二级", "medium", "moderate", "normal", "mid"), "medium"),
    **dict.fromkeys(("低", "轻微", "较低", "提示", "建议", "三级", "low", "minor", "trivial"), "low"),
}


def _word(text: str, table: dict[str, str], what_zh: str, what_en: str, hint: str) -> str:
    s = _norm(text).lower()
    _check_empty(s, what_zh, what_en)
    _check_excel_error(s)
    found = table.get(s) or table.get(s.replace(" ", ""))
    if found is None and s == "x":
        raise CoerceError("「x」含义不明确(勾选还是“×”？)，请填写 是 或 否 / 'x' is ambiguous; write 是 or 否")
    if found is None:
        raise CoerceError(f"「{_show(text)}」不是可识别的{what_zh}，请填写 {hint} / unknown {what_en}")
    return found


def parse_gate_status(text: str) -> str:
    """A gate criterion's status: met (已满足/达标/通过/是/√), not_met (未满足/不达标/否/×) or waived (豁免)."""
    return _word(text, _GATE_STATUS, "门禁状态", "criterion status", "已满足/未满足/豁免、是/否 或 √/×")


def parse_readiness(text: str) -> str:
    """A readiness dimension: ready (就绪/已到位/是/√), not_ready (未就绪/否/×) or na (不适用, /, N/A)."""
    return _word(text, _READINESS, "就绪状态", "readiness", "就绪/未就绪/不适用、是/否 或 √/×")


def parse_severity(text: str) -> str:
    """A severity: high (高/严重/重大), medium (中/一般) or low (低/轻微)."""
    return _word(text, _SEVERITY, "严重程度", "severity", "高/中/低 或 严重/一般/轻微")


# --------------------------------------------------------------------------- durations

_DURATION_UNITS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("个工作日", "工作日", "工作天", "个日", "天", "日", "days", "day", "edays", "d"), 1.0),
    (("个工作周", "工作周", "个星期", "星期", "周", "weeks", "week", "wks", "wk", "w"), 5.0),
    (("个工作月", "工作月", "个月", "月", "months", "month", "mons", "mon", "mo"), 20.0),
    (("个小时", "小时", "工时", "时", "hours", "hour", "hrs", "hr", "h"), 1 / 8),
    (("分钟", "分", "minutes", "minute", "mins", "min", "m"), 1 / 480),
    (("秒钟", "秒", "seconds", "second", "secs", "sec", "s"), 1 / 28800),
)
_UNIT_ALT = "|".join(sorted((re.escape(u) for names, _ in _DURATION_UNITS for u in names), key=len, reverse=True))
_DURATION_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*(" + _UNIT_ALT + r")?")
_DURATION_SEP = re.compile(r"[\s,、+]*(?:和|又|零|and)?[\s,、+]*")
_UNIT_FACTOR = {u: f for names, f in _DURATION_UNITS for u in names}
_ISO_DURATION = re.compile(
    r"p(?:(?P<w>\d+(?:\.\d+)?)w)?(?:(?P<mo>\d+(?:\.\d+)?)m)?(?:(?P<d>\d+(?:\.\d+)?)d)?"
    r"(?:t(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<mi>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?)?"
)


def parse_duration(text: str) -> float:
    """Working days. 8 h = 1 day, 5 days = 1 week, 20 days = 1 month; a bare number is days.

    Accepts "5", "5d", "5 个工作日", "2周", "4h", "1月 4天", "2周 3天 4小时", "94,75 days?" (decimal comma;
    the trailing ? marks an estimate and is dropped) and ISO-8601 such as PT400H0M0S (MS Project XML).
    """
    s = _norm(text).lower()
    _check_empty(s, "工期", "duration")
    _check_excel_error(s)
    s = s.rstrip("?").strip()
    s = re.sub(r"(估计|估算|预计|约)$", "", re.sub(r"^(约|大约|估计)", "", s)).strip()
    if s.startswith("-"):
        raise CoerceError(f"「{_show(text)}」工期不能为负 / duration below 0")
    if s.startswith("p") and (m := _ISO_DURATION.fullmatch(s)) and s not in ("p", "pt"):
        g = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
        return g["w"] * 5 + g["mo"] * 20 + g["d"] + g["h"] / 8 + g["mi"] / 480 + g["s"] / 28800
    total = 0.0
    pos, parts = 0, 0
    while pos < len(s):
        sep = _DURATION_SEP.match(s, pos)
        if sep is not None and parts:
            pos = sep.end()
        m = _DURATION_PART.match(s, pos)
        if m is None or m.end() == pos:
            break
        number, unit = m.group(1), m.group(2)
        if unit is None and (parts or m.end() < len(s.rstrip())):
            break  # a bare number is only fine on its own
        total += float(number.replace(",", ".")) * _UNIT_FACTOR.get(unit or "d", 1.0)
        parts += 1
        pos = m.end()
        while pos < len(s) and s[pos] == " ":
            pos += 1
    if not parts or pos < len(s):
        raise CoerceError(
            f"「{_show(text)}」不是可识别的工期，请填写如 5、5天、2周、4小时 / not a duration (e.g. 5, 5d, 2w, 4h)"
        )
    return _finite(round(total, 9), text)


# --------------------------------------------------------------------------- text, codes, labels


def parse_text(text: str) -> str:
    """Free text as typed: stripped, NFC, runs of spaces/tabs collapsed (newlines kept). Formula-like
    text ("=HYPERLINK(...)") stays plain text here; exporters neutralise it."""
    s = unicodedata.normalize("NFC", str(text)).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(_HSPACE.sub(" ", line).strip() for line in s.split("\n")).strip()


def parse_code(text: str) -> str:
    """An identifier (WBS, task id, invoice number): NFKC so full-width "Ｐ００１" matches "P001"; kept as
    text, never turned into a number ("1.10" stays "1.10", "007" keeps its zeros); inner spaces removed."""
    s = _norm(text)
    return s.replace(" ", "")


_LABEL_TRIM = re.compile(r"[\s:：.。,，;；]+")
_TRAILING_BRACKET = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]$")
_EN_TOTALS = {
    "total", "totals", "grandtotal", "subtotal", "sum", "overalltotal", "projecttotal", "totalcost",
    "totalamount", "sumtotal", "pagetotal",
}  # fmt: skip


def is_total_label(text: str) -> bool:
    """A totals row label: 合计, 合 计, 总计：, 小计, 项目成本估算总计, Total, Grand total, Subtotal, Sum.

    Only labels ENDING with 合计/总计/小计 count, so task names such as 总计划编制 or 累计完成 are data.
    """
    s = unicodedata.normalize("NFKC", str(text)).casefold()
    s = _LABEL_TRIM.sub("", s)
    while _TRAILING_BRACKET.search(s):  # 合计(万元)
        s = _TRAILING_BRACKET.sub("", s)
        s = _LABEL_TRIM.sub("", s)
    if not s:
        return False
    if s.endswith(("合计", "总计", "小计")):
        return True
    return s.replace("-", "") in _EN_TOTALS


_NOTE = re.compile(
    r"^(?:[*※#]+\s*)?(?:(?:注|备注|说明|注释|附注|填表说明|数据来源|资料来源|来源|单位|note|notes|nb|n\.b\.|source)"
    r"\s*\d*\s*[:.、)]|注\s*\d+\s|(?:图例|legend)(?:\s*[:.]|$|\s))"
    r"|^[*※]+\s*注|^※",
)


def is_note_label(text: str) -> bool:
    """A notes row: 注：/注:/备注：/说明：/单位：/Note:/Notes:/图例/Legend/*注/※ at the start."""
    s = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    return bool(s) and _NOTE.match(s) is not None


# --------------------------------------------------------------------------- grades

_GRADE_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}
_GRADE = re.compile(
    r"(?:level|grade|lv\.?|l|第)?\s*(?P<n>\d+(?:\.0+)?|[零〇一二两三四五六七八])\s*(?:级|等级|级别)?\s*"
    r"(?P<sub>甲等|乙等|甲|乙)?"
)
_GRADE_HINT = "0–8 的等级，如 5、5级、五级、四级甲等"


def parse_grade(text: str) -> float:
    """An evaluation grade 0..8 (EMR grading 0–8 级, 互联互通 一级…五级甲等): 5, 5级, 五级, Level 5, 第5级.

    互联互通's sub-grades order 乙等 below 甲等 within a level: 四级乙等 → 4.0, 四级甲等 → 4.5."""
    s = _norm(text).lower().replace(" ", "")
    _check_empty(s, "等级", "grade")
    _check_excel_error(s)
    m = _GRADE.fullmatch(s)
    if m is None:
        raise CoerceError(f"「{_show(text)}」不是可识别的等级，请填写 {_GRADE_HINT} / not a grade 0–8 (5, 5级, 五级)")
    raw = m.group("n")
    level = _GRADE_NUMERALS[raw] if raw in _GRADE_NUMERALS else int(Decimal(raw))
    if not 0 <= level <= 8:
        raise CoerceError(f"「{_show(text)}」超出 0–8 级 / grade must be 0 to 8")
    return level + (0.5 if m.group("sub") in ("甲等", "甲") else 0.0)


# --------------------------------------------------------------------------- registry

COERCERS: dict[str, Callable[[str], object]] = {
    "text": parse_text,
    "code": parse_code,
    "date": parse_date,
    "money": parse_money,
    "percent": parse_percent,
    "int": parse_int,
    "number": parse_number,
    "level": parse_level,
    "bool": parse_bool,
    "duration": parse_duration,
    "stage": parse_stage,
    "datetime": parse_datetime,
    "priority": parse_priority,
    "gate_status": parse_gate_status,
    "readiness": parse_readiness,
    "severity": parse_severity,
    "grade": parse_grade,
}
