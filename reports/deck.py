"""The brief as a PowerPoint deck (python-pptx) for the 院长办公会: the same tables as the PDF, one per slide,
the status lights drawn as coloured ovals."""

from __future__ import annotations

import io
import math

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.slide import Slide
from pptx.util import Cm, Pt

from metrics import overview
from reports import brief
from reports.texts import tr

ROWS_PER_SLIDE = 12
_FONT = "WenQuanYi Zen Hei"


def _text(shape_frame: object, text: str, size: int = 12, bold: bool = False) -> None:
    tf = shape_frame  # a TextFrame
    tf.text = text  # type: ignore[attr-defined]
    for p in tf.paragraphs:  # type: ignore[attr-defined]
        for run in p.runs:
            run.font.size = Pt(size)
            run.font.bold = bold
            run.font.name = _FONT


def _footer(slide: Slide, week: overview.Week, lang: str, n: int) -> None:
    box = slide.shapes.add_textbox(Cm(1), Cm(18.2), Cm(31), Cm(0.8))
    _text(box.text_frame, f"{tr('as_of', lang, week=week.week.isoformat())} · {n}", 9)


def _title(slide: Slide, text: str) -> None:
    box = slide.shapes.add_textbox(Cm(1), Cm(0.6), Cm(31), Cm(1.6))
    _text(box.text_frame, text, 24, True)


def _cell_text(v: object) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:g}"
    return str(v)


def _table(slide: Slide, frame: pd.DataFrame) -> None:
    rows, cols = len(frame) + 1, len(frame.columns)
    shape = slide.shapes.add_table(rows, cols, Cm(1), Cm(2.6), Cm(31.8), Cm(0.9 * rows))
    table = shape.table
    for j, c in enumerate(frame.columns):
        _text(table.cell(0, j).text_frame, str(c), 11, True)
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=1):
        for j, v in enumerate(row):
            _text(table.cell(i, j).text_frame, _cell_text(v), 10)


def render(week: overview.Week, lang: str) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = Cm(33.867), Cm(19.05)
    blank = prs.slide_layouts[6]
    n = 1
    s = prs.slides.add_slide(blank)
    _title(s, tr("title", lang))
    sub = s.shapes.add_textbox(Cm(1), Cm(2.4), Cm(31), Cm(1))
    _text(sub.text_frame, tr("subtitle", lang) + " · " + tr("as_of", lang, week=week.week.isoformat()), 14)
    for k, (label, value) in enumerate(brief.headline(week, lang)):
        box = s.shapes.add_textbox(Cm(1 + 10.5 * (k % 3)), Cm(4.5 + 3.2 * (k // 3)), Cm(10), Cm(3))
        _text(box.text_frame, f"{label}\n{value}", 20)
    _footer(s, week, lang, n)
    # status: one oval per project in its light's colour, the reasons beside it
    s = prs.slides.add_slide(blank)
    n += 1
    _title(s, tr("status", lang))
    for i, r in enumerate(week.projects.to_dict("records")):
        top = Cm(2.8 + 1.6 * i)
        oval = s.shapes.add_shape(MSO_SHAPE.OVAL, Cm(1), top, Cm(0.9), Cm(0.9))
        oval.fill.solid()
        oval.fill.fore_color.rgb = RGBColor(*brief.LIGHT_RGB.get(str(r["status"]), brief.LIGHT_RGB["none"]))
        oval.line.fill.background()
        box = s.shapes.add_textbox(Cm(2.3), top, Cm(30), Cm(1.2))
        why = brief.reasons_text(r["reasons"], lang)
        _text(
            box.text_frame,
            f"{r['project']} · {tr('light.' + str(r['status']), lang)}" + (f" · {why}" if why else ""),
            14,
        )
    rules = s.shapes.add_textbox(Cm(1), Cm(3 + 1.6 * max(1, len(week.projects))), Cm(31), Cm(3))
    _text(rules.text_frame, "\n".join(brief.rules_frame(week.rules, lang).iloc[:, 0]), 10)
    _footer(s, week, lang, n)
    for t in brief.tables(week, lang):
        if t.key == "status":
            continue
        chunks = [t.frame.iloc[i : i + ROWS_PER_SLIDE] for i in range(0, max(len(t.frame), 1), ROWS_PER_SLIDE)]
        for chunk in chunks:
            s = prs.slides.add_slide(blank)
            n += 1
            _title(s, tr(t.key, lang))
            if len(chunk):
                _table(s, chunk)
            else:
                box = s.shapes.add_textbox(Cm(1), Cm(3), Cm(31), Cm(1.5))
                _text(box.text_frame, tr(t.empty_key, lang), 16)
            _footer(s, week, lang, n)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
