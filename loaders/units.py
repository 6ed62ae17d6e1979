"""Where a table's money unit is written: the column header, a title line above the header (单位：万元), a 注/说明
row below the table, or each cell (12万). One unit per money column; two places that disagree are refused naming
both cells, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loaders import coerce, readers

# "单位：万元", "金额单位：元", "(单位：元)", "注：以上金额单位均为万元", "单位为万元"
_LINE_UNIT = re.compile(
    r"单位\s*(?:[:：]|[均皆都]?\s*[为是])?\s*(?:人民币)?\s*(百万元|万元|千元|亿元|元)(?![\u4e00-\u9fff])"
    r"|(?:unit|amounts?\s+in)\s*[:：]?\s*(cny|rmb|yuan|10k\s*(?:cny|yuan)|k\s*(?:cny|yuan))\b",
    re.I,
)
_NAMES = {"百万元": 1e6, "万元": 1e4, "千元": 1e3, "亿元": 1e8, "元": 1.0}
_EN = {"cny": 1.0, "rmb": 1.0, "yuan": 1.0, "10kcny": 1e4, "10kyuan": 1e4, "kcny": 1e3, "kyuan": 1e3}
UNIT_NAMES = {v: k for k, v in _NAMES.items()}


@dataclass(frozen=True)
class Unit:
    """A money unit and where it was written."""

    mult: float
    cell: str  # Excel reference of the cell that states it ("A2"), or "" for a CSV's line
    row: int  # 1-based Excel row / CSV line
    kind: str  # "header" | "title" | "note"
    text: str  # the words as written

    @property
    def name(self) -> str:
        return UNIT_NAMES.get(self.mult, f"×{self.mult:g}")

    def where_zh(self) -> str:
        place = {"header": "表头", "title": "标题行", "note": "表下说明行"}[self.kind]
        return f"{place}第 {self.row} 行" + (f"({self.cell} 单元格)" if self.cell else "")

    def where_en(self) -> str:
        place = {"header": "the header", "title": "the title line", "note": "the note below the table"}[self.kind]
        return f"{place}, row {self.row}" + (f" (cell {self.cell})" if self.cell else "")


def in_line(text: str) -> float | None:
    """The money unit a title or note line states ("单位：万元" → 1e4), or None."""
    s = coerce._norm(text)
    m = _LINE_UNIT.search(s)
    if m is None:
        return None
    if m.group(1):
        return _NAMES[m.group(1)]
    return _EN.get(re.sub(r"\s+", "", m.group(2).lower()))


def in_header(header: str, row: int, col: int) -> Unit | None:
    found = coerce._header_unit(header)
    if found is None:
        return None
    return Unit(found[0], f"{readers.column_letter(col)}{row}", row, "header", header)


def in_rows(rows: list[list[str]], first_excel_row: int, kind: str) -> list[Unit]:
    """Every unit statement in these rows (title lines above a header, or note rows below a table)."""
    out: list[Unit] = []
    for r, row in enumerate(rows):
        for c, text in readers.iter_nonempty(row):
            if "单位" not in text and "unit" not in text.lower() and "amount" not in text.lower():
                continue
            mult = in_line(text)
            if mult is not None:
                excel_row = first_excel_row + r
                out.append(Unit(mult, f"{readers.column_letter(c)}{excel_row}", excel_row, kind, text.strip()))
    return out


def note_zh_en(unit: Unit | None, header: str, cell_units: bool) -> str:
    """What the preview and the CLI say about a money column's unit."""
    if unit is not None:
        src_zh = f"取自表头「{header}」" if unit.kind == "header" else f"取自第 {unit.row} 行"
        src_en = f"from the header '{header}'" if unit.kind == "header" else f"from row {unit.row}"
        return f"「{header}」单位：{unit.name}（{src_zh}） / '{header}' unit: {unit.name} ({src_en})"
    if cell_units:
        return f"「{header}」单位：按各单元格写明的单位换算为元 / '{header}': each cell's own unit (万, 元) converted to yuan"
    return f"「{header}」单位：元（文件未写明单位） / '{header}' unit: yuan (the file states none)"
