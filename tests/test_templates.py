"""Every dataset's Excel template reads back through the importer: recognised, no errors, the example's values."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from loaders import importer, templates
from loaders.datasets import DATASETS

# What the example row becomes once coerced (where that differs from the cell as typed).
COERCED: dict[tuple[str, str], object] = {
    ("tasks", "is_milestone"): False,
    ("tasks", "is_gate"): False,
    ("tasks", "predecessors"): None,
    ("costs", "stage"): "paid",
    ("risks", "likelihood"): 4,  # 高
    ("risks", "residual_impact"): 3,  # 中
    ("gate_criteria", "status"): "met",  # 已满足
    ("gate_criteria", "reason"): None,
    ("feedback", "severity"): "medium",  # 中
    ("supervision", "severity"): "high",  # 高
    ("dept_readiness", "status"): "ready",  # 就绪
    ("quality_checks", "target"): 95.0,
    ("emr_items", "is_basic"): True,
    ("emr_items", "current_level"): 4.0,
    ("emr_items", "target_level"): 5.0,
    ("emr_items", "coverage"): 85.0,
    ("emr_items", "required_coverage"): 80.0,
    ("grading_targets", "current_level"): 4.0,
    ("grading_targets", "target_level"): 5.0,
}


def same(actual: object, expected: object) -> bool:
    if expected is None:
        return actual is None or bool(pd.isna(actual))  # type: ignore[arg-type]
    if isinstance(expected, dt.date):
        return bool(pd.Timestamp(actual) == pd.Timestamp(expected))  # type: ignore[arg-type]
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return float(actual) == pytest.approx(float(expected))  # type: ignore[arg-type]
    return actual == expected


def write(tmp_path: Path, dataset: str) -> Path:
    path = tmp_path / f"{dataset}_template.xlsx"
    path.write_bytes(templates.template_xlsx(dataset))
    return path


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_example_row_imports_into_its_dataset(tmp_path: Path, dataset: str) -> None:
    path = write(tmp_path, dataset)
    for chosen in (None, dataset):  # recognised from the headers alone, and when the user names the dataset
        (prep,) = importer.prepare(path, dataset=chosen)
        assert prep.dataset == dataset
        assert prep.ok, [str(p) for p in prep.report.errors]
        assert prep.header_row == templates.HEADER_ROW
        assert len(prep.frame) == 1 and prep.frame["row_no"].tolist() == [templates.EXAMPLE_ROW]
        row = prep.frame.iloc[0]
        assert {c.field for c in prep.columns} == {f.name for f in DATASETS[dataset].fields}  # every column mapped
        for name, typed in templates.EXAMPLES[dataset].items():
            expected = COERCED.get((dataset, name), typed)
            assert same(row[name], expected), (name, row[name], expected)


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_layout_dropdowns_and_instructions(dataset: str) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx(dataset)))
    data, notes = wb.worksheets
    ds = DATASETS[dataset]
    assert notes.title == templates.INSTRUCTIONS_SHEET
    assert ds.label_zh in str(data["A1"].value) and ds.label_en in str(data["A1"].value)  # bilingual title
    header = [c.value for c in data[templates.HEADER_ROW]]
    assert header == [h for _, h in templates.headers(dataset)]
    comments = [c.comment.text for c in data[templates.HEADER_ROW] if c.comment]
    assert len(comments) == len(header)  # every header carries its English name
    lists = {str(dv.formula1) for dv in data.data_validations.dataValidation}
    kinds = {f.kind for f in ds.fields}
    for kind, values in templates.STRICT_LISTS.items():
        assert (('"' + ",".join(values) + '"') in lists) == (kind in kinds)
    documented = [r[0].value for r in notes.iter_rows(min_row=6) if r[0].value]
    assert documented == header  # one instruction line per column


def test_expected_dropdowns_present() -> None:
    def formulas(dataset: str) -> str:
        wb = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx(dataset)))
        return " ".join(str(dv.formula1) for dv in wb.worksheets[0].data_validations.dataValidation)

    assert "已签合同,已开票,已付款" in formulas("costs")
    risks = formulas("risks")
    assert "1,2,3,4,5,很低,低,中,高,很高" in risks and "开放" in risks
    assert "是,否" in formulas("tasks") and "待审批" in formulas("changes")


def test_money_and_date_cells_are_formatted() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("costs")))
    ws = wb.worksheets[0]
    by_header = {c.value: c.column for c in ws[templates.HEADER_ROW]}
    date_col = by_header[templates.header_for(DATASETS["costs"], DATASETS["costs"].field("date"))]
    money_col = by_header[templates.header_for(DATASETS["costs"], DATASETS["costs"].field("amount"))]
    assert ws.cell(templates.EXAMPLE_ROW, date_col).number_format == templates.DATE_FORMAT
    assert ws.cell(templates.EXAMPLE_ROW + 10, money_col).number_format == templates.MONEY_FORMAT
