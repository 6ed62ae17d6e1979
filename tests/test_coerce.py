"""Cell coercers: one case per accepted form and per refusal (RELIABILITY.md B31–B40 single-value rows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from loaders.coerce import (
    COERCERS,
    CoerceError,
    column_is_fraction,
    excel_error,
    is_note_label,
    is_total_label,
    parse_bool,
    parse_code,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_int,
    parse_level,
    parse_money,
    parse_number,
    parse_percent,
    parse_stage,
    parse_text,
    strip_unit,
    unit_from_header,
)
from loaders.datasets import KINDS

D = dt.date


def refused(fn: object, *args: object) -> str:
    """Call fn(*args), expect a CoerceError, return its message (checked for the 中文 / English shape)."""
    assert callable(fn)
    with pytest.raises(CoerceError) as info:
        fn(*args)
    message = info.value.message
    assert message == str(info.value)
    assert " / " in message, message
    return message


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # B31: Excel serials in General cells (the reader hands them over as text)
        ("45356", D(2024, 3, 5)),
        ("45356.0", D(2024, 3, 5)),
        ("45356.75", D(2024, 3, 5)),
        ("32874", D(1990, 1, 1)),
        ("73415", D(2100, 12, 31)),
        # B32
        ("2024/3/5", D(2024, 3, 5)),
        ("2024年3月5日", D(2024, 3, 5)),
        ("2024.3.5", D(2024, 3, 5)),
        ("2024-03-05", D(2024, 3, 5)),
        ("2024-3-5", D(2024, 3, 5)),
        ("2024年03月05号", D(2024, 3, 5)),
        ("2024 年 3 月 5 日", D(2024, 3, 5)),
        ("２０２４年３月５日", D(2024, 3, 5)),
        ("２０２４－０３－０５", D(2024, 3, 5)),
        # month only → the 1st
        ("2025年3月", D(2025, 3, 1)),
        ("2025-03", D(2025, 3, 1)),
        ("2025/03", D(2025, 3, 1)),
        ("202503", D(2025, 3, 1)),
        ("202503.0", D(2025, 3, 1)),
        ("20250305", D(2025, 3, 5)),
        # with times (datetime cells arrive as ISO text)
        ("2025-03-05 00:00:00", D(2025, 3, 5)),
        ("2025-03-05T08:00:00", D(2025, 3, 5)),
        ("2025-03-05T08:00:00Z", D(2025, 3, 5)),
        ("2025-03-05T23:30:00+08:00", D(2025, 3, 5)),
        ("2025-03-05T23:30:00.5-0500", D(2025, 3, 5)),
        ("2025/3/5 8:00", D(2025, 3, 5)),
        ("2018/6/25 上午8:00", D(2018, 6, 25)),
        ("2018/6/25 下午5:00", D(2018, 6, 25)),
        ("2025年3月5日 14:30", D(2025, 3, 5)),
        # weekdays settle the day/month order and are checked
        ("Sat 01.01.22", D(2022, 1, 1)),
        ("Mon 3/4/24", D(2024, 3, 4)),
        ("Mon 1/6/25 8:00 AM", D(2025, 1, 6)),
        ("Tue 2024-03-05", D(2024, 3, 5)),
        ("2024年3月5日 星期二", D(2024, 3, 5)),
        ("2024年3月5日(周二)", D(2024, 3, 5)),
        # dd.mm.yyyy with a day above 12 cannot be read two ways
        ("20.05.2020", D(2020, 5, 20)),
        # English month names are unambiguous
        ("5-Mar-2024", D(2024, 3, 5)),
        ("05-Mar-24", D(2024, 3, 5)),
        ("Mar 5, 2024", D(2024, 3, 5)),
        ("5 March 2024", D(2024, 3, 5)),
        ("March 2024", D(2024, 3, 1)),
        ("  2024-03-05  ", D(2024, 3, 5)),
    ],
)
def test_parse_date_accepts(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-05T08:00:00", dt.datetime(2025, 3, 5, 8, 0)),
        ("2025-03-05T08:00:00Z", dt.datetime(2025, 3, 5, 8, 0)),
        ("2025/3/5 8:00", dt.datetime(2025, 3, 5, 8, 0)),
        ("2018/6/25 上午8:00", dt.datetime(2018, 6, 25, 8, 0)),
        ("2018/6/25 下午5:00", dt.datetime(2018, 6, 25, 17, 0)),
        ("2018/6/25 上午12:30", dt.datetime(2018, 6, 25, 0, 30)),
        ("2018/6/25 下午12:30", dt.datetime(2018, 6, 25, 12, 30)),
        ("2025-03-05 08:00:00.250", dt.datetime(2025, 3, 5, 8, 0, 0, 250000)),
        ("Mon 1/6/25 8:00 PM", dt.datetime(2025, 1, 6, 20, 0)),
        ("45356.5", dt.datetime(2024, 3, 5, 12, 0)),
        ("2025-03-05T08:00:00.123Z", dt.datetime(2025, 3, 5, 8, 0, 0, 123000)),
        ("45356.75", dt.datetime(2024, 3, 5, 18, 0)),
        ("2024-03-05", dt.datetime(2024, 3, 5, 0, 0)),
    ],
)
def test_parse_datetime_keeps_the_time(text: str, expected: dt.datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    ("text", "key_point"),
    [
        # B33: slashed day/month order is never guessed, even when one side is above 12
        ("05/03/2024", "日/月顺序不明确"),
        ("3/5/2024", "日/月顺序不明确"),
        ("13/05/2024", "日/月顺序不明确"),
        ("05/13/2024", "日/月顺序不明确"),
        ("05-03-2024", "日/月顺序不明确"),
        ("05.03.2024", "日/月顺序不明确"),
        ("05.13.2024", "日/月顺序不明确"),
        # B34: impossible dates
        ("2024-02-30", "2月没有30日"),
        ("2023/6/31", "6月没有31日"),
        ("2023-02-29", "2月没有29日"),
        ("2023年2月29日", "不存在"),
        ("2024-13-01", "没有 13 月"),
        ("2024-00-10", "不存在"),
        ("20240230", "2月没有30日"),
        ("202513", "没有 13 月"),
        # B34: Excel's fake 1900-02-29 and absurd years
        ("60", "1900-02-29"),
        ("60.0", "1900-02-29"),
        ("1899-12-31", "年份 1899 不合理"),
        ("2999-01-01", "年份 2999 不合理"),
        ("1899年1月1日", "年份 1899 不合理"),
        ("1899", "不是合理的日期"),
        ("2999", "不是合理的日期"),
        ("2024", "只有年份"),
        ("99999", "不是合理的日期"),
        ("12", "不是合理的日期"),
        # weekdays that contradict the date
        ("Sun 01.01.22", "星期与日期不符"),
        ("2024年3月5日(周三)", "2024-03-05 是星期二"),
        ("Fri 3/4/24", "星期与日期不符"),
        # other refusals
        ("01.01.22", "两位"),
        ("2025-03-05 25:00", "时间不存在"),
        ("2025-03-05 下午13:00", "时间不存在"),
        ("明天", "无法识别的日期"),
        ("待定", "无法识别的日期"),
        ("2024-03-05至2024-03-09", "无法识别的日期"),
        ("#VALUE!", "Excel 错误值 #VALUE!"),
        ("   ", "为空"),
    ],
)
def test_parse_date_refuses(text: str, key_point: str) -> None:
    message = refused(parse_date, text)
    assert key_point in message


def test_ambiguous_date_lists_the_allowed_formats() -> None:
    message = refused(parse_date, "05/03/2024")
    assert message.startswith("日期「05/03/2024」的日/月顺序不明确，请使用 2024-03-05 或 2024年3月5日")


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        # B35
        ("1,234.5", 1.0, 1234.5),
        ("(1,234)", 1.0, -1234.0),
        ("¥1,234", 1.0, 1234.0),
        ("１２３", 1.0, 123.0),
        ("￥1,234", 1.0, 1234.0),
        ("（１，２３４）", 1.0, -1234.0),
        ("-1,234", 1.0, -1234.0),
        ("\u22121,234", 1.0, -1234.0),
        ("+12", 1.0, 12.0),
        ("RMB 1,000", 1.0, 1000.0),
        ("CNY1000", 1.0, 1000.0),
        ("人民币1000元", 1.0, 1000.0),
        ("1000元", 1.0, 1000.0),
        ("1000元整", 1.0, 1000.0),
        ("1,234,567.89", 1.0, 1234567.89),
        ("0.5", 1.0, 0.5),
        (".5", 1.0, 0.5),
        ("45356.0", 1.0, 45356.0),
        ("1.5e+16", 1.0, 1.5e16),
        ("0", 1.0, 0.0),
        ("(0)", 1.0, 0.0),
        # B36: the cell's own unit wins when the header has none
        ("12.5万元", 1.0, 125000.0),
        ("12.5万", 1.0, 125000.0),
        ("1.2亿", 1.0, 120000000.0),
        ("1.2亿元", 1.0, 120000000.0),
        ("3千", 1.0, 3000.0),
        ("3千元", 1.0, 3000.0),
        ("1.1万", 1.0, 11000.0),
        ("¥12.5万元", 1.0, 125000.0),
        ("(12.5万元)", 1.0, -125000.0),
        ("-12.5万", 1.0, -125000.0),
        ("12.5 万元", 1.0, 125000.0),
        # header 万元: plain cells are ×10,000, a cell that repeats 万元 is ×10,000 once (never twice)
        ("12.5", 1e4, 125000.0),
        ("12.5万元", 1e4, 125000.0),
        ("12.5万", 1e4, 125000.0),
        ("¥12.5", 1e4, 125000.0),
        ("(1.5)", 1e4, -15000.0),
        ("1.2", 1e8, 120000000.0),
        ("1.2亿", 1e8, 120000000.0),
        ("7", 1e3, 7000.0),
    ],
)
def test_parse_money_accepts(text: str, unit: float, expected: float) -> None:
    assert parse_money(text, unit) == expected


@pytest.mark.parametrize(
    ("text", "unit", "key_point"),
    [
        # B36: a conflicting explicit unit is refused, never silently ×10,000 off
        ("1亿", 1e4, "单元格单位「亿」与表头单位「万元」冲突"),
        ("1.2亿元", 1e4, "单元格单位「亿元」与表头单位「万元」冲突"),
        ("100元", 1e4, "单元格单位「元」与表头单位「万元」冲突"),
        ("12万元", 1e8, "与表头单位「亿元」冲突"),
        # B37: non-numeric in a money column
        ("待定", 1.0, "「待定」不是金额"),
        ("N/A", 1.0, "不是金额"),
        ("-", 1.0, "不是金额"),
        ("12%", 1.0, "百分比"),
        ("abc", 1.0, "不是金额"),
        ("1,5", 1.0, "逗号位置不对"),
        ("1,2345", 1.0, "逗号位置不对"),
        ("$100", 1.0, "不是人民币"),
        ("100美元", 1.0, "不是人民币"),
        ("12万3千", 1.0, "不是金额"),
        ("-(5)", 1.0, "负号与括号重复"),
        ("1万万", 1.0, "不是金额"),
        ("(1万)元", 1.0, "两个单位"),
        ("1e5e5", 1.0, "不是金额"),
        ("nan", 1.0, "不是金额"),
        ("inf", 1.0, "不是金额"),
        # B39
        ("#DIV/0!", 1.0, "Excel 错误值 #DIV/0!"),
        ("#REF!", 1.0, "Excel 错误值 #REF!"),
        ("#N/A", 1.0, "Excel 错误值 #N/A"),
        ("", 1.0, "为空"),
    ],
)
def test_parse_money_refuses(text: str, unit: float, key_point: str) -> None:
    assert key_point in refused(parse_money, text, unit)


@pytest.mark.parametrize(
    ("header", "unit", "bare"),
    [
        ("金额(万元)", 1e4, "金额"),
        ("预算金额（万元）", 1e4, "预算金额"),
        ("金额【万元】", 1e4, "金额"),
        ("金额/万元", 1e4, "金额"),
        ("金额 单位:万元", 1e4, "金额"),
        ("金额(单位：万元)", 1e4, "金额"),
        ("合同额亿元", 1e8, "合同额"),
        ("金额(亿元)", 1e8, "金额"),
        ("金额(亿)", 1e8, "金额"),
        ("预算(千元)", 1e3, "预算"),
        ("金额(百万元)", 1e6, "金额"),
        ("金额(元)", 1.0, "金额"),
        ("金额（人民币元）", 1.0, "金额"),
        ("金额", 1.0, "金额"),
        ("Amount (10k CNY)", 1e4, "Amount"),
        ("Amount (CNY)", 1.0, "Amount"),
        ("likelihood (1-5)", 1.0, "likelihood (1-5)"),
        ("进度(%)", 1.0, "进度(%)"),
        ("", 1.0, ""),
    ],
)
def test_unit_from_header_and_strip_unit(header: str, unit: float, bare: str) -> None:
    assert unit_from_header(header) == unit
    assert strip_unit(header) == bare


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.5", 1234.5),
        ("１２３", 123.0),
        ("(12)", -12.0),
        ("-12", -12.0),
        ("-0", 0.0),
        ("0.45", 0.45),
        ("1e-05", 1e-05),
        (" 7 ", 7.0),
    ],
)
def test_parse_number_accepts(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "key_point"),
    [
        ("12%", "带百分号"),
        ("待定", "「待定」不是数字"),
        ("-", "不是数字"),
        ("N/A", "不是数字"),
        ("12万", "不是数字"),
        ("1,5", "逗号位置不对"),
        ("#NUM!", "Excel 错误值 #NUM!"),
    ],
)
def test_parse_number_refuses(text: str, key_point: str) -> None:
    assert key_point in refused(parse_number, text)


@pytest.mark.parametrize(("text", "expected"), [("12", 12), ("12.0", 12), ("1,200", 1200), ("(3)", -3), ("０", 0)])
def test_parse_int_accepts(text: str, expected: int) -> None:
    value = parse_int(text)
    assert value == expected and isinstance(value, int)


@pytest.mark.parametrize(("text", "key_point"), [("12.5", "不是整数"), ("abc", "不是整数"), ("5%", "带百分号")])
def test_parse_int_refuses(text: str, key_point: str) -> None:
    assert key_point in refused(parse_int, text)


# --------------------------------------------------------------------------- percent


@pytest.mark.parametrize(
    ("text", "fraction", "expected"),
    [
        ("45%", False, 45.0),
        ("45", False, 45.0),
        ("48.5%", False, 48.5),
        ("45 %", False, 45.0),
        ("４５％", False, 45.0),
        ("0.45", True, 45.0),
        ("1", True, 100.0),
        ("0", True, 0.0),
        ("45%", True, 45.0),  # an explicit % sign wins over the column's fraction style
        ("0.285", True, 28.5),
        ("100", False, 100.0),
        ("100%", False, 100.0),
        ("0", False, 0.0),
        ("-0", False, 0.0),
        ("(0%)", False, 0.0),
    ],
)
def test_parse_percent_accepts(text: str, fraction: bool, expected: float) -> None:
    assert parse_percent(text, fraction) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "fraction", "key_point"),
    [
        ("150", False, "百分比超过 100"),  # B38
        ("150%", False, "百分比超过 100"),
        ("1.5", True, "百分比超过 100"),
        ("-5", False, "不能为负"),
        ("(5%)", False, "不能为负"),
        ("abc", False, "不是百分比"),
        ("待定", False, "不是百分比"),
        ("45%%", False, "不是百分比"),
        ("#DIV/0!", False, "Excel 错误值"),
    ],
)
def test_parse_percent_refuses(text: str, fraction: bool, key_point: str) -> None:
    assert key_point in refused(parse_percent, text, fraction)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["0", "0.5", "1"], True),
        (["0", "50", "100"], False),
        (["0", "1"], False),  # nothing strictly between 0 and 1: read as 0% and 1%
        (["0.25", "", "  ", "0.75"], True),
        (["0.25", "45%"], True),  # values with a % sign speak for themselves
        (["0.25", "1.5"], False),
        (["0.25", "-0.1"], False),
        (["0.25", "待定"], True),  # non-numeric cells are refused later, one by one
        ([], False),
        (["50%", "60%"], False),
    ],
)
def test_column_is_fraction(values: list[str], expected: bool) -> None:
    assert column_is_fraction(values) is expected


# --------------------------------------------------------------------------- levels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("5", 5),
        ("3.0", 3),
        ("３", 3),
        ("很低", 1),
        ("极低", 1),
        ("非常低", 1),
        ("低", 2),
        ("较低", 2),
        ("轻微", 2),
        ("中", 3),
        ("中等", 3),
        ("一般", 3),
        ("高", 4),
        ("较高", 4),
        ("严重", 4),
        ("很高", 5),
        ("极高", 5),
        ("非常高", 5),
        ("Very low", 1),
        ("very-low", 1),
        ("LOW", 2),
        ("Medium", 3),
        ("Moderate", 3),
        ("High", 4),
        ("Very High", 5),
        ("Critical", 5),
        ("Rare", 1),
        ("Unlikely", 2),
        ("Possible", 3),
        ("Likely", 4),
        ("Almost certain", 5),
        ("3-中", 3),
        ("4 (高)", 4),
        ("High (4)", 4),
        ("高风险", 4),
    ],
)
def test_parse_level_accepts(text: str, expected: int) -> None:
    assert parse_level(text) == expected


@pytest.mark.parametrize(
    ("text", "key_point"),
    [
        ("0", "1–5"),
        ("6", "1–5"),
        ("2.5", "1–5"),
        ("巨大", "很低/低/中/高/很高"),
        ("maybe", "不是可识别的等级"),
        ("2-高", "不一致"),
        ("#N/A", "Excel 错误值"),
    ],
)
def test_parse_level_refuses(text: str, key_point: str) -> None:
    assert key_point in refused(parse_level, text)


# --------------------------------------------------------------------------- booleans


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("N", False),
        ("yes", True),
        ("No", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("1.0", True),
        ("0.0", False),
        ("√", True),
        ("✓", True),
        ("×", False),
        ("里程碑", True),
        ("Ｙ", True),
    ],
)
def test_parse_bool_accepts(text: str, expected: bool) -> None:
    assert parse_bool(text) is expected


@pytest.mark.parametrize(
    ("text", "key_point"), [("x", "含义不明确"), ("X", "含义不明确"), ("也许", "不是是/否"), ("2", "不是是/否")]
)
def test_parse_bool_refuses(text: str, key_point: str) -> None:
    assert key_point in refused(parse_bool, text)


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", 5.0),
        ("5.5", 5.5),
        ("5d", 5.0),
        ("5 days", 5.0),
        ("1 day", 1.0),
        ("5 个工作日", 5.0),
        ("5天", 5.0),
        ("5工作日", 5.0),
        ("2周", 10.0),
        ("1w", 5.0),
        ("2 weeks", 10.0),
        ("3 小时", 0.375),
        ("4h", 0.5),
        ("8 hrs", 1.0),
        ("1月 4天", 24.0),
        ("1个月", 20.0),
        ("2周 3天 4小时", 13.5),
        ("2周3天", 13.0),
        ("0秒", 0.0),
        ("240 分钟", 0.5),
        ("94,75 days?", 94.75),
        ("1 day?", 1.0),
        ("5?", 5.0),
        ("PT400H0M0S", 50.0),
        ("PT8H", 1.0),
        ("P1DT4H", 1.5),
        ("P2W", 10.0),
        ("５天", 5.0),
    ],
)
def test_parse_duration_accepts(text: str, expected: float) -> None:
    assert parse_duration(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "key_point"),
    [
        ("-3", "不能为负"),
        ("abc", "不是可识别的工期"),
        ("5x", "不是可识别的工期"),
        ("5 5", "不是可识别的工期"),
        ("天", "不是可识别的工期"),
        ("P", "不是可识别的工期"),
        ("#REF!", "Excel 错误值"),
    ],
)
def test_parse_duration_refuses(text: str, key_point: str) -> None:
    assert key_point in refused(parse_duration, text)


# --------------------------------------------------------------------------- stages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("已签合同", "committed"),
        ("合同", "committed"),
        ("承诺", "committed"),
        ("预留", "committed"),
        ("Committed", "committed"),
        ("commitment", "committed"),
        ("PO", "committed"),
        ("已开票", "invoiced"),
        ("开票", "invoiced"),
        ("发票", "invoiced"),
        ("Invoiced", "invoiced"),
        ("invoice", "invoiced"),
        ("billed", "invoiced"),
        ("已付款", "paid"),
        ("已支付", "paid"),
        ("付款", "paid"),
        ("支付", "paid"),
        ("PAID", "paid"),
        ("payment", "paid"),
        (" 已付款 ", "paid"),
        ("已报销", "paid"),
        ("已结算", "paid"),
        ("已签约", "committed"),
        ("合同", "committed"),
        ("已开票", "invoiced"),
    ],
)
def test_parse_stage_accepts(text: str, expected: str) -> None:
    assert parse_stage(text) == expected


@pytest.mark.parametrize("text", ["待审批", "pending", "审批中"])
def test_parse_stage_refuses_listing_the_words(text: str) -> None:
    message = refused(parse_stage, text)
    assert "不是可识别的资金状态" in message and "已签合同/已开票/已付款" in message


# --------------------------------------------------------------------------- text and codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  电子病历  升级 ", "电子病历 升级"),
        ("a\t\tb", "a b"),
        ("第一行  \n  第二行", "第一行\n第二行"),
        ("a\r\nb", "a\nb"),
        ('=HYPERLINK("http://x/?"&A1)', '=HYPERLINK("http://x/?"&A1)'),  # B43: kept as plain text
        ("@SUM(1)", "@SUM(1)"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("e\u0301", "\u00e9"),  # NFC
        ("ＡＢＣ", "ＡＢＣ"),  # free text is not NFKC-folded
    ],
)
def test_parse_text(text: str, expected: str) -> None:
    assert parse_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.10", "1.10"), ("007", "007"), ("Ｐ００１", "P001"), (" P 001 ", "P001"), ("INV-2024-001", "INV-2024-001")],
)
def test_parse_code_keeps_codes_as_text(text: str, expected: str) -> None:
    assert parse_code(text) == expected


# --------------------------------------------------------------------------- Excel errors, total and note rows


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#DIV/0!", "#DIV/0!"),
        ("#REF!", "#REF!"),
        ("#N/A", "#N/A"),
        ("#VALUE!", "#VALUE!"),
        ("#NAME?", "#NAME?"),
        ("#NUM!", "#NUM!"),
        ("#NULL!", "#NULL!"),
        ("#SPILL!", "#SPILL!"),
        ("#CALC!", "#CALC!"),
        ("#GETTING_DATA", "#GETTING_DATA"),
        (" #ref! ", "#REF!"),
        ("#1 priority", None),
        ("#", None),
        ("N/A", None),
        ("DIV/0", None),
    ],
)
def test_excel_error(text: str, expected: str | None) -> None:
    assert excel_error(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("合计", True),
        ("合 计", True),
        ("合　计", True),
        ("总计：", True),
        ("总计:", True),
        ("小计", True),
        ("合计(万元)", True),
        ("项目成本估算总计", True),
        ("本页合计", True),
        ("Total", True),
        ("TOTAL:", True),
        ("Grand total", True),
        ("Subtotal", True),
        ("Sub-total", True),
        ("Sum", True),
        ("累计", False),
        ("累计完成", False),
        ("总计划编制", False),
        ("合同签订", False),
        ("Total station installation", False),
        ("", False),
        ("EMR 升级", False),
    ],
)
def test_is_total_label(text: str, expected: bool) -> None:
    assert is_total_label(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("注：单位为万元", True),  # B28
        ("注:数据截至 3 月", True),
        ("注1：口径说明", True),
        ("备注：xx", True),
        ("说明：", True),
        ("单位：万元", True),
        ("Note: figures in CNY", True),
        ("Notes:", True),
        ("NOTE:", True),
        ("图例", True),
        ("图例：红色为延期", True),
        ("Legend", True),
        ("*注：", True),
        ("※ 数据来自财务处", True),
        ("注销离职人员账户", False),
        ("说明书编写", False),
        ("备注", False),
        ("Notebook rollout", False),
        ("", False),
    ],
)
def test_is_note_label(text: str, expected: bool) -> None:
    assert is_note_label(text) is expected


# --------------------------------------------------------------------------- registry


def test_coercers_cover_every_kind() -> None:
    assert set(COERCERS) == set(KINDS)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("text", " a  b ", "a b"),
        ("code", "1.10", "1.10"),
        ("date", "45356", D(2024, 3, 5)),
        ("money", "12.5万元", 125000.0),
        ("percent", "45%", 45.0),
        ("int", "12.0", 12),
        ("number", "1,234.5", 1234.5),
        ("level", "高", 4),
        ("bool", "是", True),
        ("duration", "2周", 10.0),
        ("stage", "已付款", "paid"),
    ],
)
def test_coercers_defaults(kind: str, text: str, expected: object) -> None:
    assert COERCERS[kind](text) == expected


def test_coerce_error_is_a_value_error_with_message() -> None:
    err = CoerceError("日期不存在 / date does not exist")
    assert isinstance(err, ValueError)
    assert err.message == "日期不存在 / date does not exist"


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_number, "9" * 400),  # float() of it is infinity
        (parse_number, "1e400"),
        (parse_money, "9" * 400),
        (parse_duration, "9" * 400),
        (parse_int, str(2**63)),  # one past what the store's BIGINT holds
        (parse_int, str(-(2**63) - 1)),
    ],
    ids=["number", "exponent", "money", "duration", "int-high", "int-low"],
)
def test_a_number_the_store_cannot_hold_is_refused_not_stored_as_infinity(parse: Any, text: str) -> None:
    with pytest.raises(CoerceError, match="number out of range"):
        parse(text)


def test_the_largest_whole_numbers_the_store_holds_are_read() -> None:
    assert parse_int(str(2**63 - 1)) == 2**63 - 1
    assert parse_int(str(-(2**63))) == -(2**63)
    assert parse_money("1e300") == 1e300  # large, but a number: the unit check and the rules judge it
