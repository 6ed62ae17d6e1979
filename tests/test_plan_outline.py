"""Plan hierarchy from real-world layouts: WBS numbers, an outline-level column, indented names, MS Project's
`Unique ID` holding the outline; summaries get is_summary, outline_level and the phase of their children and never
count as work; zero-duration tasks are milestones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from loaders import importer
from metrics import schedule
from metrics.scope import Scope
from tests import storekit

D = dt.datetime


def write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "计划"
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def load(path: Path) -> tuple[list[dict[str, object]], object]:
    con = storekit.new_store()
    (result,) = importer.import_file(con, path, project="HIS")
    assert result.status == "loaded", result.message
    tasks = schedule.load_tasks(con, Scope())
    return tasks.to_dict("records"), con


def by_name(records: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(r["name"]): r for r in records}


ROWS = [  # name, start, finish, % complete, duration
    ("需求阶段", D(2026, 3, 2), D(2026, 3, 13), 50, 10),
    ("调研", D(2026, 3, 2), D(2026, 3, 6), 100, 5),
    ("评审", D(2026, 3, 9), D(2026, 3, 13), 0, 5),
    ("需求确认", D(2026, 3, 13), D(2026, 3, 13), 0, 0),
    ("上线", D(2026, 3, 16), D(2026, 3, 20), 0, 5),
]


def expect_outline(records: list[dict[str, object]]) -> None:
    t = by_name(records)
    assert t["需求阶段"]["is_summary"] and t["需求阶段"]["outline_level"] == 1
    assert [t[n]["is_summary"] for n in ("调研", "评审", "需求确认", "上线")] == [False] * 4
    assert [t[n]["outline_level"] for n in ("调研", "评审", "需求确认", "上线")] == [2, 2, 2, 1]
    assert [t[n]["phase"] for n in ("需求阶段", "调研", "评审", "需求确认")] == ["需求阶段"] * 4
    assert t["需求确认"]["is_milestone"] and not t["评审"]["is_milestone"]  # zero duration = milestone


def test_outline_from_wbs_numbers(tmp_path: Path) -> None:
    wbs = ["1", "1.1", "1.2", "1.3", "2"]
    path = write(
        tmp_path / "wbs.xlsx",
        ["WBS", "任务名称", "开始时间", "完成时间", "完成百分比", "工期"],
        [[w, n, s, f, p, f"{d} 个工作日"] for w, (n, s, f, p, d) in zip(wbs, ROWS, strict=True)],
    )
    records, con = load(path)
    expect_outline(records)
    # the summary never counts as work: 调研 5 d at 100 %, 评审 5 d at 0 %, 上线 5 d at 0 % -> 5 / 15 = 33.3 %
    plan = schedule.load_tasks(con, Scope())  # type: ignore[arg-type]
    roll = schedule.rollup_percent(plan, by=("project",))
    assert roll["percent_complete"].iloc[0] == pytest.approx(100 * 5 / 15)
    late = schedule.late_tasks(plan, dt.date(2026, 3, 20))
    assert "需求阶段" not in set(late["name"]) and "评审" in set(late["name"])


def test_outline_from_level_column(tmp_path: Path) -> None:
    levels = [1, 2, 2, 2, 1]
    path = write(
        tmp_path / "level.xlsx",
        ["大纲级别", "任务名称", "开始时间", "完成时间", "完成百分比", "工期"],
        [[lv, n, s, f, p, d] for lv, (n, s, f, p, d) in zip(levels, ROWS, strict=True)],
    )
    expect_outline(load(path)[0])


def test_outline_from_indented_names(tmp_path: Path) -> None:
    indent = ["", "    ", "    ", "    ", ""]
    path = write(
        tmp_path / "indent.xlsx",
        ["任务名称", "开始时间", "完成时间", "完成百分比", "工期"],
        [[i + n, s, f, p, d] for i, (n, s, f, p, d) in zip(indent, ROWS, strict=True)],
    )
    expect_outline(load(path)[0])


def test_unique_id_holding_the_outline_is_kept(tmp_path: Path) -> None:
    # MS Project's VBA export: № (row id) and Unique ID (the outline number) side by side
    outline = ["1", "1.1", "1.2", "1.3", "2"]
    path = write(
        tmp_path / "uid.xlsx",
        ["ID", "Unique ID", "Name", "Start", "Finish", "% Complete", "Duration"],
        [[i + 1, o, n, s, f, p, d] for i, (o, (n, s, f, p, d)) in enumerate(zip(outline, ROWS, strict=True))],
    )
    records, _con = load(path)
    expect_outline(records)
    assert [r["wbs"] for r in records] == outline and [r["task_id"] for r in records] == ["1", "2", "3", "4", "5"]


@pytest.mark.realdata
def test_real_msproject_vba_export_outline() -> None:
    path = (
        Path(__file__).resolve().parents[2] / "shared" / "realdata" / "plans" / "popovgp_msproject_vba_export_ru.xlsx"
    )
    if not path.is_file():
        pytest.skip("../shared/realdata is absent")
    (prep,) = importer.prepare(path, sheet="Gantt")
    f = prep.frame.set_index("task_id")
    assert f.loc["5", "wbs"] == "2.1.1" and f.loc["5", "outline_level"] == 3
    assert bool(f.loc["3", "is_summary"]) and bool(f.loc["4", "is_summary"]) and not bool(f.loc["5", "is_summary"])
    assert f.loc["5", "phase"] == "Software system development project"
    assert bool(f.loc["1", "is_milestone"])  # "0 days"
    assert not any("Unique ID" in str(p.column) for p in prep.report.problems)


def test_indented_names_beyond_the_head_rows(tmp_path: Path) -> None:
    # a long plan: the reader keeps only the first rows as Python text; every row must still get its level
    rows: list[list[object]] = []
    for k in range(60):
        rows.append([f"阶段{k}", D(2026, 3, 2), D(2026, 3, 6), 0, 5])
        rows.append([f"    任务{k}", D(2026, 3, 2), D(2026, 3, 6), 0, 5])
    path = write(tmp_path / "long.xlsx", ["任务名称", "开始时间", "完成时间", "完成百分比", "工期"], rows)
    records, _con = load(path)
    t = by_name(records)
    assert len(records) == 120
    assert all(t[f"阶段{k}"]["is_summary"] and t[f"任务{k}"]["outline_level"] == 2 for k in range(60))
    assert t["任务59"]["phase"] == "阶段59"


def test_outline_from_excel_cell_indentation(tmp_path: Path) -> None:
    from openpyxl.styles import Alignment

    path = write(
        tmp_path / "cellindent.xlsx",
        ["任务名称", "开始时间", "完成时间", "完成百分比", "工期"],
        [[n, s, f, p, d] for (n, s, f, p, d) in ROWS],
    )
    wb = openpyxl.load_workbook(path)
    ws = wb["计划"]
    for excel_row in (3, 4, 5):  # 调研, 评审, 需求确认 indented one step under 需求阶段
        ws.cell(row=excel_row, column=1).alignment = Alignment(indent=1)
    wb.save(path)
    expect_outline(load(path)[0])
