"""The weekly brief on the demo data: the PDF opened (text extracted, every page rendered to PNG) with the headline
figures, the as-of date, page numbers and Chinese text found; the Excel pack and the deck opened with their
libraries; the command line writes the files and mails them through an SMTP server on loopback; a past week is
reproduced exactly after later imports."""

from __future__ import annotations

import datetime as dt
import email
import io
import os
import socket
import subprocess
import sys
from email.message import Message
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pypdfium2 as pdfium
import pytest
from pptx import Presentation

from metrics import overview
from metrics.scope import Scope
from reports import brief
from tests import storekit
from tests.conftest import ROOT, copy_store

WEEK = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def week(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> overview.Week:
    db = copy_store(demo_template, tmp_path_factory.mktemp("brief"))
    con = duckdb.connect(str(db))
    try:
        return overview.week_view(con, Scope(as_of=WEEK))
    finally:
        con.close()


def pdf_pages(data: bytes) -> list[str]:
    doc = pdfium.PdfDocument(data)
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_opens_with_figures_date_and_page_numbers(week: overview.Week, lang: str, tmp_path: Path) -> None:
    data = brief.pdf(week, lang)
    pages = pdf_pages(data)
    assert len(pages) >= 2
    for n, text in enumerate(pages, start=1):
        assert ("数据截至 2026-11-23" if lang == "zh" else "Data as of 2026-11-23") in text
        assert (f"第 {n} 页，共 {len(pages)} 页" if lang == "zh" else f"Page {n} of {len(pages)}") in text
        assert "nan" not in text.split() and "None" not in text
    first = pages[0]
    t = week.totals
    assert f"{t['plan_complete']:.1%}" in first and f"{t['budget_used']:.1%}" in first
    assert f"{t['late_tasks']:,.0f}" in first
    red = week.projects.loc[week.projects["status"] == "red", "project"].tolist()
    assert red and all(p in first for p in red)
    assert ("预警" if lang == "zh" else "Off track") in first
    assert "HIS系统替换" in first  # Chinese project names in either language: the font has the glyphs
    if lang == "zh":
        assert "信息化项目群周报" in first and "本周变化" in "".join(pages)
    # the font is embedded (a TrueType subset), A4 pages, every page renders to a non-blank PNG
    assert b"/FontFile2" in data
    doc = pdfium.PdfDocument(data)
    for i in range(len(doc)):
        w, h = doc[i].get_size()
        assert (round(w), round(h)) == (595, 842)
        image = doc[i].render(scale=1).to_pil()
        png = tmp_path / f"page{i + 1}.png"
        image.save(png)
        assert png.stat().st_size > 5_000 and len(image.convert("L").getcolors(256) or []) > 10


def test_excel_pack_holds_the_tables(week: overview.Week) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(brief.excel(week, "zh")))
    assert wb.sheetnames == [
        "项目状态",
        "本周变化",
        "待决事项",
        "逾期任务",
        "超预算",
        "严重风险",
        "低于目标",
        "效益指标",
        "规则",
    ]
    late = wb["逾期任务"]
    assert late.max_row - 1 == len(week.late)
    assert [c.value for c in late[1]][:2] == ["项目", "任务"]
    over = wb["超预算"]
    eac = {r[0]: r[3] for r in over.iter_rows(min_row=2, values_only=True)}
    facts = week.projects.set_index("project")
    for project, value in eac.items():
        assert value == pytest.approx(round(facts.loc[project, "eac"]))
        assert facts.loc[project, "eac"] > facts.loc[project, "budget"]
    assert len(wb["效益指标"]["A"]) - 1 == len(week.kpis)


def test_excel_text_is_never_a_formula(week: overview.Week) -> None:
    evil = week.red_risks.copy()
    evil.loc[0, "title"] = '=HYPERLINK("http://x","y")'
    tampered = overview.Week(**{**week.__dict__, "red_risks": evil})
    ws = openpyxl.load_workbook(io.BytesIO(brief.excel(tampered, "en")))["Critical risks"]
    cell = ws.cell(row=2, column=2)
    assert cell.data_type == "s" and str(cell.value).endswith('=HYPERLINK("http://x","y")')


def test_deck_opens_with_lights_and_tables(week: overview.Week) -> None:
    prs = Presentation(io.BytesIO(brief.pptx(week, "zh")))
    texts = ["\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in prs.slides]
    assert "信息化项目群周报" in texts[0] and all("数据截至 2026-11-23" in t for t in texts)
    status = prs.slides[1]
    ovals = [s for s in status.shapes if s.shape_type == 1 and s.auto_shape_type == 9]  # MSO_SHAPE.OVAL
    assert len(ovals) == len(week.projects)
    colours = {str(o.fill.fore_color.rgb) for o in ovals}
    assert "C62828" in colours  # the red light of the project off track
    tables = [s.table for slide in prs.slides for s in slide.shapes if s.has_table]
    assert tables and any(t.cell(0, 0).text in ("类别", "项目") for t in tables)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reports", "brief", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_command_writes_and_mails_the_brief(demo_template: Path, tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    received: list[Message] = []

    class Keep(MessageHandler):
        def handle_message(self, message: Message) -> None:
            received.append(message)

    db = copy_store(demo_template, tmp_path)
    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = {"COCKPIT_SMTP_HOST": "127.0.0.1", "COCKPIT_SMTP_PORT": str(port), "COCKPIT_SMTP_TO": "yz@hospital.test"}
        out = tmp_path / "out"
        done = run_cli(["--week", "2026-11-23", "--lang", "zh", "--out", str(out), "--db", str(db), "--mail"], env)
    finally:
        controller.stop()
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["项目群周报_2026-11-23_zh.pdf", "项目群周报_2026-11-23_zh.pptx", "项目群周报_2026-11-23_zh.xlsx"]
    assert len(received) == 1
    msg = email.message_from_bytes(received[0].as_bytes())
    assert "2026-11-23" in str(email.header.make_header(email.header.decode_header(msg["Subject"])))
    attached = {part.get_filename(): part.get_payload(decode=True) for part in msg.walk() if part.get_filename()}
    assert set(attached) == set(names)
    assert attached["项目群周报_2026-11-23_zh.pdf"] == (out / "项目群周报_2026-11-23_zh.pdf").read_bytes()


def test_command_refuses_mail_without_a_server(demo_template: Path, tmp_path: Path) -> None:
    db = copy_store(demo_template, tmp_path)
    done = run_cli(["--week", "2026-11-23", "--lang", "en", "--out", str(tmp_path / "o"), "--db", str(db), "--mail"],
                   {"COCKPIT_SMTP_HOST": ""})  # fmt: skip
    assert done.returncode == 1 and "COCKPIT_SMTP_HOST" in done.stderr and "Traceback" not in done.stderr


def test_a_past_week_is_reproduced_after_later_imports(demo_template: Path, tmp_path: Path) -> None:
    db = copy_store(demo_template, tmp_path)
    con = duckdb.connect(str(db))
    try:
        past = Scope(as_of=dt.date(2026, 11, 16))
        first = overview.week_view(con, past)
        storekit.insert_rows(
            con, "risks", [{"project": "HIS系统替换", "risk_id": "R-NEW", "title": "新", "likelihood": 5, "impact": 5}],
            as_of=dt.date(2026, 11, 30),
        )  # fmt: skip
        storekit.insert_rows(
            con, "targets", [{"kind": "usage", "name": "*", "target": 99}], as_of=dt.date(2026, 11, 30)
        )
        again = overview.week_view(con, past)
    finally:
        con.close()
    for name in ("projects", "changes", "decisions", "kpis", "late", "red_risks", "below_target"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name), obj=name)
    assert first.totals == again.totals and first.week == dt.date(2026, 11, 16)


def test_the_slip_rule_uses_the_p80_forecast(week: overview.Week, demo_template: Path, tmp_path: Path) -> None:
    from metrics import forecast

    con = duckdb.connect(str(copy_store(demo_template, tmp_path)))
    try:
        p80 = forecast.finish_forecast(con, Scope(as_of=WEEK, today=WEEK)).projects.set_index("project")
    finally:
        con.close()
    for r in week.projects.to_dict("records"):
        slip = next(x for x in r["reasons"] if x.rule == "slip")
        expected = (
            forecast.as_date(p80.loc[r["project"], "p80_finish"]) - pd.Timestamp(r["baseline_finish"]).date()
        ).days
        assert slip.value == expected, r["project"]
