"""The brief as an A4 PDF (reportlab): the CJK font embedded (subset), the status lights drawn as circles, the
chart as a vector drawing, and on every page the as-of date and "page n of N"."""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

import pandas as pd
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from metrics import overview
from reports import brief
from reports.texts import tr

FONT = "CockpitCJK"
_WIDTH = A4[0] - 30 * mm


def _register(font_file: Path) -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(font_file), subfontIndex=0))


def _color(light: str) -> colors.Color:
    r, g, b = brief.LIGHT_RGB.get(light, brief.LIGHT_RGB["none"])
    return colors.Color(r / 255, g / 255, b / 255)


def _numbered(week: dt.date, lang: str) -> type[pdf_canvas.Canvas]:
    """A canvas that knows the page count when it saves, so every page says "page n of N" and the as-of date."""

    class Numbered(pdf_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(FONT, 8)
                self.setFillColor(colors.grey)
                self.drawString(15 * mm, 10 * mm, tr("as_of", lang, week=week.isoformat()))
                self.drawRightString(A4[0] - 15 * mm, 10 * mm, tr("page", lang, n=self._pageNumber, total=total))
                self.drawString(15 * mm, A4[1] - 10 * mm, tr("title", lang))
                super().showPage()
            super().save()

    return Numbered


class Light(Flowable):
    """A filled circle in the light's colour (a shape, not a character)."""

    def __init__(self, light: str, size: float = 3.2 * mm) -> None:
        super().__init__()
        self.light, self.size = light, size
        self.width = self.height = size

    def draw(self) -> None:
        self.canv.setFillColor(_color(self.light))
        self.canv.setStrokeColor(_color(self.light))
        self.canv.circle(self.size / 2, self.size / 2, self.size / 2, stroke=1, fill=1)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12.5, leading=17, spaceBefore=8, spaceAfter=4),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.grey),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
    }


def _esc(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(v: object, st: dict[str, ParagraphStyle]) -> Paragraph:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return Paragraph("—", st["cell"])
    if isinstance(v, float):
        text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:g}"
    else:
        text = str(v)
    return Paragraph(_esc(text), st["cell"])


def _table(frame: Any, st: dict[str, ParagraphStyle]) -> Table:
    head = [Paragraph(_esc(c), st["cell"]) for c in frame.columns]
    body = [[_cell(v, st) for v in row] for row in frame.itertuples(index=False, name=None)]
    # columns share the width by how much text they hold (CJK counts double), within limits
    sizes = []
    for j, c in enumerate(frame.columns):
        texts = [str(c), *(str(v) for v in frame.iloc[:, j])]
        longest = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in x) for x in texts)
        sizes.append(min(max(longest, 6), 60))
    total = float(sum(sizes))
    t = Table([head, *body], repeatRows=1, colWidths=[_WIDTH * w / total for w in sizes])
    t.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.93, 0.97)),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return t


def chart(week: overview.Week, lang: str) -> Drawing:
    """Budget used and plan complete per project, horizontal bars (a vector drawing)."""
    p = week.projects
    names = [str(x) for x in p["project"]]
    used = [0.0 if v is None or math.isnan(float(v)) else float(v) * 100 for v in p["budget_used"]]
    plan = [0.0 if v is None or math.isnan(float(v)) else float(v) * 100 for v in p["plan_complete"]]
    height = 40 + 28 * max(1, len(names))
    d = Drawing(_WIDTH, height + 30)
    bc = HorizontalBarChart()
    bc.x, bc.y, bc.width, bc.height = 110, 40, _WIDTH - 150, height - 35
    bc.data = [used, plan]
    bc.categoryAxis.categoryNames = names
    bc.categoryAxis.labels.fontName = FONT
    bc.categoryAxis.labels.fontSize = 7
    bc.valueAxis.valueMin, bc.valueAxis.valueMax = 0, max(110.0, *used, *plan)
    bc.valueAxis.labels.fontName = FONT
    bc.valueAxis.labels.fontSize = 7
    bc.valueAxis.labelTextFormat = "%d%%"
    bc.bars[0].fillColor = colors.Color(0.13, 0.4, 0.75)
    bc.bars[1].fillColor = colors.Color(0.55, 0.75, 0.45)
    d.add(bc)
    legend = Legend()
    legend.x, legend.y = 110, 12  # under the axis, clear of the title
    legend.fontName, legend.fontSize = FONT, 7
    legend.columnMaximum = 1
    legend.colorNamePairs = [
        (bc.bars[0].fillColor, tr("chart.legend_budget", lang)),
        (bc.bars[1].fillColor, tr("chart.legend_plan", lang)),
    ]
    d.add(legend)
    d.add(String(0, height + 18, tr("chart.budget", lang), fontName=FONT, fontSize=9))
    return d


def _status_rows(week: overview.Week, lang: str, st: dict[str, ParagraphStyle]) -> Table:
    rows = [[Paragraph("", st["cell"]), Paragraph(_esc(tr("col.project", lang)), st["cell"]),
             Paragraph(_esc(tr("col.status", lang)), st["cell"]), Paragraph(_esc(tr("why", lang)), st["cell"])]]  # fmt: skip
    for r in week.projects.to_dict("records"):
        rows.append(
            [
                Light(str(r["status"])),
                Paragraph(_esc(r["project"]), st["cell"]),
                Paragraph(_esc(tr(f"light.{r['status']}", lang)), st["cell"]),
                Paragraph(_esc(brief.reasons_text(r["reasons"], lang) or "—"), st["cell"]),
            ]
        )
    t = Table(rows, colWidths=[8 * mm, 45 * mm, 18 * mm, _WIDTH - 71 * mm], repeatRows=1)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.lightgrey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return t


def _tiles(week: overview.Week, lang: str, st: dict[str, ParagraphStyle]) -> Table:
    cells = [
        Paragraph(f"{_esc(label)}<br/><font size=14>{_esc(value)}</font>", st["base"])
        for label, value in brief.headline(week, lang)
    ]
    t = Table([cells[:3], cells[3:]], colWidths=[_WIDTH / 3] * 3)
    t.setStyle(
        TableStyle(
            [("BOX", (0, 0), (-1, -1), 0.3, colors.lightgrey), ("INNERGRID", (0, 0), (-1, -1), 0.3, colors.lightgrey)]
        )
    )
    return t


def render(week: overview.Week, lang: str, font_file: Path) -> bytes:
    _register(font_file)
    st = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=f"{tr('title', lang)} {week.week.isoformat()}", author="HIT Cockpit",
    )  # fmt: skip
    story: list[Flowable] = [
        Paragraph(_esc(tr("title", lang)), st["title"]),
        Paragraph(_esc(tr("subtitle", lang) + " · " + tr("as_of", lang, week=week.week.isoformat())), st["small"]),
        Spacer(1, 4 * mm),
        Paragraph(_esc(tr("programme", lang)), st["h2"]),
        _tiles(week, lang, st),
        Paragraph(_esc(tr("status", lang)), st["h2"]),
        _status_rows(week, lang, st),
        Spacer(1, 2 * mm),
        Paragraph(_esc(" · ".join(brief.rules_frame(week.rules, lang).iloc[:, 0])), st["small"]),
        Spacer(1, 4 * mm),
        chart(week, lang),
    ]
    for t in brief.tables(week, lang):
        if t.key == "status":
            continue
        story.append(Paragraph(_esc(tr(t.key, lang)), st["h2"]))
        story.append(_table(t.frame, st) if len(t.frame) else Paragraph(_esc(tr(t.empty_key, lang)), st["base"]))
    doc.build(story, canvasmaker=_numbered(week.week, lang))
    return buf.getvalue()
