"""Tests for loaders.sniff: every bad input is built here (bytes, zipfile, openpyxl), none is committed."""

from __future__ import annotations

import io
import os
import random
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from loaders import mpp
from loaders.errors import FileRefused
from loaders.sniff import decode_text, safe_name, scan_xlsx, sniff, sniff_delimiter

REALDATA = Path(__file__).parents[1].parent / "shared" / "realdata"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _xlsx_bytes(**cells: object) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "预算"
    ws["A1"] = "项目名称"
    ws["B1"] = 1
    for ref, value in cells.items():
        ws[ref] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _replace_member(data: bytes, member: str, new: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """Copy an xlsx zip, swapping one part (how a hostile file is built by hand)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, new if info.filename == member else src.read(info))
        for k, v in (extra or {}).items():
            dst.writestr(k, v)
    return out.getvalue()


def _refused(path: Path, *fragments: str, fn: str = "sniff") -> FileRefused:
    with pytest.raises(FileRefused) as exc:
        if fn == "sniff":
            sniff(path, path.name)
        elif fn == "scan":
            scan_xlsx(path, path.name)
        else:
            decode_text(path, path.name)
    msg = exc.value.message
    assert " / " in msg and path.name in msg
    for f in fragments:
        assert f in msg, msg
    return exc.value


# ------------------------------------------------------------------------------------------ sniff kinds


def test_real_xlsx_is_xlsx(tmp_path: Path) -> None:
    p = _write(tmp_path, "ok.xlsx", _xlsx_bytes())
    assert sniff(p) == "xlsx"
    info = scan_xlsx(p, p.name)
    assert [s.name for s in info.sheets] == ["预算"]
    assert not info.has_macros and info.warnings == []


def test_b1_empty_file(tmp_path: Path) -> None:
    _refused(_write(tmp_path, "空.xlsx", b""), "文件为空")
    _refused(_write(tmp_path, "empty.csv", b""), "文件为空", fn="decode")


def test_over_max_file_mb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_MAX_FILE_MB", "0.001")
    _refused(_write(tmp_path, "big.csv", b"a,b\n" * 1000), "超过上限")


def test_b2_truncated_xlsx(tmp_path: Path) -> None:
    data = _xlsx_bytes()
    _refused(_write(tmp_path, "half.xlsx", data[: len(data) // 2]), "文件不完整或已损坏")


def test_b2_corrupt_member_data(tmp_path: Path) -> None:
    """Central directory intact, deflate data of the sheet scrambled: scan_xlsx reports B2, not zlib.error."""
    data = bytearray(_xlsx_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 2, start + info.compress_size - 2):
        data[i] ^= 0x5A
    p = _write(tmp_path, "scrambled.xlsx", bytes(data))
    _refused(p, "文件不完整或已损坏", fn="scan")


def test_b3_csv_renamed_xlsx_goes_to_csv(tmp_path: Path) -> None:
    p = _write(tmp_path, "预算.xlsx", "项目名称,预算\nP001,100\n".encode())
    assert sniff(p) == "csv"


def test_b4_html_renamed_xls(tmp_path: Path) -> None:
    html = b"<html><head><meta charset='utf-8'></head><body><table><tr><td>1</td></tr></table></body></html>"
    _refused(_write(tmp_path, "report.xls", html), "网页(HTML)", "另存为 .xlsx")
    _refused(_write(tmp_path, "export.xls", b"\r\n<!DOCTYPE html>\n<html>...</html>"), "HTML")


def test_html_text_inside_csv_cell_is_still_csv(tmp_path: Path) -> None:
    p = _write(tmp_path, "risks.csv", b'id,desc\n1,"<table><img src=x onerror=alert(1)>"\n')
    assert sniff(p) == "csv"


def _ole(entries: list[str], pad_before: int = 0) -> bytes:
    """A minimal OLE2 compound file: 512-byte header, then a directory sector of 128-byte entries."""
    header = bytearray(512)
    header[:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    body = bytearray(b"\x00" * pad_before)
    for i, name in enumerate(entries):
        entry = bytearray(128)
        raw = name.encode("utf-16-le") + b"\x00\x00"
        entry[: len(raw)] = raw
        entry[64:66] = len(raw).to_bytes(2, "little")
        entry[66] = 5 if i == 0 else 2
        body += entry
    return bytes(header + body + b"\x00" * 1024)


def test_b5_encrypted_ooxml(tmp_path: Path) -> None:
    p = _write(tmp_path, "加密.xlsx", _ole(["Root Entry", "EncryptionInfo", "EncryptedPackage"]))
    _refused(p, "文件已加密", "取消密码")


def test_b5_encrypted_name_anywhere(tmp_path: Path) -> None:
    data = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 700 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 99
    _refused(_write(tmp_path, "enc.xlsx", data), "文件已加密")


def test_b6_biff_xls(tmp_path: Path) -> None:
    assert sniff(_write(tmp_path, "old.xls", _ole(["Root Entry", "Workbook", "\x05SummaryInformation"]))) == "xls"
    assert sniff(_write(tmp_path, "older.xls", _ole(["Root Entry", "Book"]))) == "xls"
    _refused(_write(tmp_path, "letter.xls", _ole(["Root Entry", "WordDocument"])), "不是支持的文件格式")


def test_b7_xlsm_macros_flagged(tmp_path: Path) -> None:
    data = _replace_member(_xlsx_bytes(), "", b"", extra={"xl/vbaProject.bin": os.urandom(2048)})
    p = _write(tmp_path, "宏.xlsm", data)
    assert sniff(p) == "xlsx"
    info = scan_xlsx(p, p.name)
    assert info.has_macros
    assert any("宏" in w and "never run" in w for w in info.warnings)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">
<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">
<c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>"""

QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "'
    + b"A" * 50_000
    + b'">]><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
    + b'<c r="A1" t="inlineStr"><is><t>'
    + b"&a;" * 5_000
    + b"</t></is></c></row></sheetData></worksheet>"
)


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE, QUADRATIC], ids=["b8_laughs", "b9_xxe", "b10_quadratic"])
def test_b8_b9_b10_dtd_refused(tmp_path: Path, payload: bytes) -> None:
    p = _write(tmp_path, "evil.xlsx", _replace_member(_xlsx_bytes(), "xl/worksheets/sheet1.xml", payload))
    assert sniff(p) == "xlsx"  # the container is fine; the preflight refuses
    t0 = time.process_time()  # CPU: a stalled machine does not make the refusal slow
    err = _refused(p, "DTD/实体声明", fn="scan")
    assert time.process_time() - t0 < 1.0
    assert "root:" not in err.message


def test_dtd_in_shared_strings_refused(tmp_path: Path) -> None:
    p = _write(tmp_path, "ss.xlsx", _replace_member(_xlsx_bytes(), "xl/styles.xml", BILLION_LAUGHS))
    _refused(p, "xl/styles.xml", "DTD", fn="scan")


def test_b11_zip_bomb(tmp_path: Path) -> None:
    """~300 MB of zeros in one member (about 300 KB compressed); written in chunks so the test stays light."""
    out = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(io.BytesIO(_xlsx_bytes())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        with dst.open("xl/media/image1.png", "w", force_zip64=True) as fh:
            zeros = b"\x00" * (4 * 1024 * 1024)
            for _ in range(75):
                fh.write(zeros)
    assert out.stat().st_size < 2_000_000
    for fn in ("sniff", "scan"):
        t0 = time.process_time()  # CPU, not wall time: nothing is unzipped
        _refused(out, "压缩比异常(疑似压缩炸弹)", fn=fn)
        assert time.process_time() - t0 < 1.0


def test_total_unzipped_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_MAX_UNZIPPED_MB", "0.001")
    _refused(_write(tmp_path, "t.xlsx", _xlsx_bytes()), "解压后", fn="scan")


def test_b12_far_cell_refused_fast(tmp_path: Path) -> None:
    p = _write(tmp_path, "far.xlsx", _xlsx_bytes(XFD1048576="x"))
    assert p.stat().st_size < 10_000
    assert sniff(p) == "xlsx"
    t0 = time.process_time()  # CPU: no cell grid is built
    err = _refused(p, "工作表「预算」", "第 16384 列/第 1048576 行", "超过上限", fn="scan")
    assert time.process_time() - t0 < 1.0
    assert err.problems[0].sheet == "预算"


def test_b12_far_cell_without_dimension(tmp_path: Path) -> None:
    """A sheet with no <dimension> still cannot hide a far cell from the preflight."""
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
        b"</sheetData></worksheet>"
    )
    p = _write(tmp_path, "nodim.xlsx", _replace_member(_xlsx_bytes(), "xl/worksheets/sheet1.xml", sheet))
    _refused(p, "16384", fn="scan")


@pytest.mark.parametrize(
    "cell",
    [b"<c r='XFD5'><v>1</v></c>", b'<c r = "XFD5"><v>1</v></c>', b'<c r= "A1048576"><v>1</v></c>'],
    ids=["single-quoted", "spaced", "spaced-row"],
)
def test_b12_far_cell_in_unusual_attribute_spelling(tmp_path: Path, cell: bytes) -> None:
    """Hand-made XML (single quotes, spaces around =) takes the exact scan, which still finds the far cell."""
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1"><v>1</v></c></row><row r="5">' + cell + b"</row></sheetData></worksheet>"
    )
    p = _write(tmp_path, "odd.xlsx", _replace_member(_xlsx_bytes(), "xl/worksheets/sheet1.xml", sheet))
    _refused(p, "超过上限", fn="scan")


@pytest.mark.parametrize("where", ["utf-16", "chunk-boundary"])
def test_b8_dtd_found_in_utf16_parts_and_across_chunks(tmp_path: Path, where: str) -> None:
    from loaders import sniff as sniff_module

    body = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
    if where == "utf-16":
        part = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]>'.encode("utf-16-le") + body
    else:  # the declaration straddles two streamed chunks
        filler = os.urandom(sniff_module._CHUNK).hex().encode()[: sniff_module._CHUNK - 12]  # not a zip bomb
        pad = b"<!-- " + filler + b" -->"
        part = pad + b"<!DOCTYPE x []>" + body  # "<!D" ends the first chunk; the second has no "!"
    p = _write(tmp_path, "evil.xlsx", _replace_member(_xlsx_bytes(), "xl/worksheets/sheet1.xml", part))
    _refused(p, "DTD/实体声明", fn="scan")


def test_b40_formula_without_cached_value(tmp_path: Path) -> None:
    p = _write(tmp_path, "f.xlsx", _xlsx_bytes(D7="=1/0", C3="=SUM(B1:B2)"))
    info = scan_xlsx(p, p.name)
    assert sorted(info.sheets[0].formula_without_value) == ["C3", "D7"]
    assert info.sheets[0].formula_without_value_count == 2


def test_cached_formula_values_not_flagged(tmp_path: Path) -> None:
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:C2"/>'
        b'<sheetData><row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1" t="str"><f>""</f><v></v></c>'
        b'<c r="C1" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
        b'<row r="2"><c r="A2"><f t="shared" ref="A2:A3" si="0"/></c></row></sheetData></worksheet>'
    )
    p = _write(tmp_path, "cached.xlsx", _replace_member(_xlsx_bytes(), "xl/worksheets/sheet1.xml", sheet))
    info = scan_xlsx(p, p.name)
    assert info.sheets[0].formula_without_value == ["A2"]
    assert (info.sheets[0].rows, info.sheets[0].cols) == (2, 3)


def test_formula_scan_across_chunks(tmp_path: Path) -> None:
    """Many cells (> 1 MB of XML) so cells straddle chunk boundaries; every missing value is still found."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in range(1, 20_001):
        ws.cell(row=r, column=1, value="x" * 20)
        ws.cell(row=r, column=2, value=f"=A{r}&1" if r % 1000 == 0 else r)
    p = tmp_path / "big.xlsx"
    wb.save(p)
    info = scan_xlsx(p, p.name)
    assert info.sheets[0].formula_without_value == [f"B{r}" for r in range(1000, 20_001, 1000)]
    assert info.sheets[0].rows == 20_000


def test_b45_hidden_sheet_flagged(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "数据"
    wb.create_sheet("隐藏").sheet_state = "hidden"
    wb.create_sheet("深藏").sheet_state = "veryHidden"
    p = tmp_path / "h.xlsx"
    wb.save(p)
    info = scan_xlsx(p, p.name)
    assert [(s.name, s.hidden) for s in info.sheets] == [("数据", False), ("隐藏", True), ("深藏", True)]
    assert all(s.part and s.part.startswith("xl/worksheets/") for s in info.sheets)
    assert any("隐藏" in w for w in info.warnings)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("virus.xlsx", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200),
        ("elf.xlsx", b"\x7fELF\x02\x01\x01" + b"\x00" * 100),
        ("doc.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
        ("pic.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50),
        ("noise.xlsx", random.Random(7).randbytes(5000)),
        ("other.zip", b""),
    ],
)
def test_b15_binary_garbage_refused(tmp_path: Path, name: str, data: bytes) -> None:
    if name == "other.zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("readme.txt", "hello")
        data = buf.getvalue()
    _refused(_write(tmp_path, name, data), "不是支持的文件格式")


def test_xml_kinds(tmp_path: Path) -> None:
    mspdi = b'<?xml version="1.0"?>\n<!-- c --><Project xmlns="http://schemas.microsoft.com/project"><Name>x</Name></Project>'
    gan = b'<?xml version="1.0" encoding="UTF-8"?><project name="p"><tasks></tasks></project>'
    assert sniff(_write(tmp_path, "plan.txt", mspdi)) == "mspdi"
    assert sniff(_write(tmp_path, "plan.xml", gan)) == "gan"
    _refused(_write(tmp_path, "other.xml", b"<?xml version='1.0'?><root><a/></root>"), "不是支持的文件格式")
    _refused(_write(tmp_path, "p.xml", b'<project name="p"><view/></project>'), "不是支持的文件格式")
    _refused(_write(tmp_path, "dtd.xml", b'<?xml version="1.0"?><!DOCTYPE Project []><Project/>'), "DTD")


# ------------------------------------------------------------------------------------------ text decoding


def test_b17_gbk_csv(tmp_path: Path) -> None:
    p = _write(tmp_path, "gbk.csv", "项目名称,预算（万元）\n门诊系统,12.5\n".encode("gbk"))
    assert sniff(p) == "csv"
    text, enc = decode_text(p, p.name)
    assert enc == "gb18030" and text.startswith("项目名称,预算（万元）")


def test_b18_utf8_bom(tmp_path: Path) -> None:
    p = _write(tmp_path, "bom.csv", "\ufeff项目名称,预算\nA,1\n".encode())
    text, enc = decode_text(p, p.name)
    assert enc == "utf-8-sig" and text.split(",")[0] == "项目名称"


def test_b19_gb18030_only_chars(tmp_path: Path) -> None:
    raw = "姓名,备注\n王䶮,𠮷野家\n".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gbk")
    p = _write(tmp_path, "gb18030.csv", raw)
    text, enc = decode_text(p, p.name)
    assert enc == "gb18030" and "䶮" in text and "𠮷" in text


def test_b20_utf16_tab_separated(tmp_path: Path) -> None:
    content = "项目名称\t预算\n门诊\t1,5\n住院\t2\n"
    for name, raw, want in [
        ("u16.txt", content.encode("utf-16"), "utf-16-le"),
        ("u16be.txt", b"\xfe\xff" + content.encode("utf-16-be"), "utf-16-be"),
        ("u16nobom.txt", "Name\tBudget\nA\t1\nB\t2\n".encode("utf-16-le"), "utf-16-le"),
    ]:
        p = _write(tmp_path, name, raw)
        assert sniff(p) == "csv"
        text, enc = decode_text(p, p.name)
        assert enc == want
        assert sniff_delimiter(text) == "\t"


def test_cp1252_pound_and_en_dash(tmp_path: Path) -> None:
    p = _write(tmp_path, "gmpp.csv", "name;cost\nHS2 \u2013 phase 1;\u00a31,5\n".encode("cp1252"))
    text, enc = decode_text(p, p.name)
    assert enc == "cp1252" and "£" in text and "\u2013" in text


def test_b21_random_binary_csv(tmp_path: Path) -> None:
    raw = b"a,b\n1,2\n3,4\n" + random.Random(1).randbytes(3000)
    err = _refused(_write(tmp_path, "random.csv", raw), "无法识别编码", "第 4 行", fn="decode")
    assert err.problems[0].row == 4


def test_b21_undecodable_line_number(tmp_path: Path) -> None:
    raw = b"a,b\n1,2\n" + b"x,\xff\x81\n"  # 0xFF is no GB18030 lead byte, 0x81 is undefined in cp1252
    _refused(_write(tmp_path, "bad.csv", raw), "无法识别编码", "第 3 行", fn="decode")


def test_b22_semicolon_with_decimal_commas() -> None:
    sample = "项目;预算;实际\nA;1,5;2,25\nB;10;3,5\nC;7,75;8\n"
    assert sniff_delimiter(sample) == ";"


@pytest.mark.parametrize(
    ("sample", "want"),
    [
        ("a,b,c\n1,2,3\n4,5,6\n", ","),
        ('a,b\n"x; y; z",2\n"p;q",3\n', ","),
        ("a|b|c\n1|2|3\n", "|"),
        ("only one column\nvalue\n", ","),
        ('name,desc\n1,"multi\nline; text"\n2,plain\n', ","),
    ],
)
def test_sniff_delimiter_cases(sample: str, want: str) -> None:
    assert sniff_delimiter(sample) == want


# ------------------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("given", "want"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\预算.xlsx", "预算.xlsx"),
        ("a.xlsx:evil", "a.xlsx"),
        ("a.xlsx:evil:$DATA", "a.xlsx"),
        ("C:报表.xlsx", "报表.xlsx"),
        ("项目计划📅.xlsx", "项目计划📅.xlsx"),
        ("..", "未命名文件"),
        ("a\tb\r\n.csv", "ab.csv"),
    ],
)
def test_safe_name(given: str, want: str) -> None:
    assert safe_name(given) == want


def test_safe_name_long_and_nul() -> None:
    long = "长" * 300 + ".xlsx"
    got = safe_name(long)
    assert len(got) == 120 and got.endswith(".xlsx")
    with pytest.raises(FileRefused) as exc:
        safe_name("a\x00.xlsx")
    assert "NUL" in exc.value.message


# ------------------------------------------------------------------------------------------ real data


@pytest.mark.realdata
def test_realdata_never_crashes() -> None:
    if not REALDATA.is_dir():
        pytest.skip("shared/realdata absent")
    files = [p for p in sorted(REALDATA.rglob("*")) if p.is_file() and p.name != "MANIFEST.md"]
    kinds: dict[str, str] = {}
    for p in files:
        if mpp.is_plan_file(p, p.name):  # .mpp and the other formats MPXJ reads (loaders.mpp), not the sniffer
            kinds[p.name] = "mpxj"
            continue
        try:
            kind = sniff(p, p.name)
            if kind == "xlsx":
                scan_xlsx(p, p.name)
            elif kind == "csv":
                text, _enc = decode_text(p, p.name)
                assert sniff_delimiter(text[:65536]) in (",", ";", "\t", "|")
        except FileRefused as exc:
            kind = "refused: " + exc.message
        kinds[p.name] = kind
    assert kinds.get("ganttproject_HouseBuildingSample.gan") == "gan"
    assert kinds.get("mpxj_mspdi_sample_project2003.xml") == "mspdi"
    assert kinds.get("ganttproject_export_issue2519_pt.xls") == "xls"
    assert all(k in ("xlsx", "xls", "csv", "mspdi", "gan", "mpxj") for k in kinds.values()), kinds
