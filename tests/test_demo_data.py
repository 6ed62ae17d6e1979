"""The demo data generator: deterministic output, importer-compatible headers, and the story it promises."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import statistics
import sys
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from openpyxl import load_workbook

from loaders.datasets import DATASETS, normalise_header

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
STATUS = date(2026, 11, 23)
SNAPSHOTS = ("2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23")
PROJECTS = ("电子病历(EMR)升级", "HIS系统替换", "PACS影像系统", "LIS检验系统", "HRP运营管理", "智慧病房与互联网医院")
HIS = "HIS系统替换"
LEVELS = {"很低": 1, "低": 2, "中": 3, "高": 4, "很高": 5}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_generate", DEMO / "generate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the file executes
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    gen = _load_generator()
    a, b = tmp_path_factory.mktemp("demo_a"), tmp_path_factory.mktemp("demo_b")
    gen.generate(a)
    gen.generate(b)
    return a, b


@pytest.fixture(scope="module")
def out(runs: tuple[Path, Path]) -> Path:
    return runs[0]


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.suffix != ".py")


def _rows(path: Path, header_row: int = 1) -> tuple[list[Any], list[tuple[Any, ...]]]:
    wb = load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    wb.close()
    return list(rows[header_row - 1]), rows[header_row:]


def _ledger(out: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((out / "finance/费用台账_2025-06_2026-11.csv").read_bytes().decode("gbk"))))


def _money(text: str) -> int:
    return round(float(text.replace(",", "")) * 100)


def _day(v: Any) -> date:
    return v.date() if isinstance(v, datetime) else v


# ------------------------------------------------------------------ determinism and shape
def test_two_runs_give_identical_bytes(runs: tuple[Path, Path]) -> None:
    a, b = runs
    assert _files(a) == _files(b)
    for rel in _files(a):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_checked_in_files_match_a_fresh_run(out: Path) -> None:
    for rel in _files(out):
        assert (DEMO / rel).is_file(), f"{rel} missing: run .venv/bin/python data/demo/generate.py"
        assert (DEMO / rel).read_bytes() == (out / rel).read_bytes(), f"{rel} is stale: re-run the generator"


def test_total_size_is_small(out: Path) -> None:
    assert sum((out / rel).stat().st_size for rel in _files(out)) < 8_000_000


def test_manifest_lists_every_file_in_load_order(out: Path) -> None:
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    data_files = {rel for rel in _files(out) if not rel.endswith((".json", ".md"))}
    assert {m["file"] for m in manifest} == data_files
    assert len(manifest) == 42 + 7 + 2 + 4 + 1 + 4 + 6  # plans, risk registers, change logs, periodic sheets, targets,
    # + quality: data-quality checks, grading targets, two EMR grading self-assessments
    # + readiness (gen_readiness): training, feedback, supervision, 2 gate checklists, department readiness
    keys = [m["as_of"] or "" for m in manifest]
    assert keys == sorted(keys)
    for m in manifest:
        assert m["dataset"] in DATASETS
        if m["as_of"]:
            assert m["as_of"] in m["file"]
        if m["dataset"] == "tasks":
            assert m["project"] in PROJECTS and m["file"].startswith(f"plans/{m['project']}_计划_")


def _header_matches(dataset: str, header: str) -> bool:
    """A header matches an alias directly, or once a trailing unit such as (万元) / (元) / (天) is set aside."""
    names = {normalise_header(a) for f in DATASETS[dataset].fields for a in (f.name, *f.aliases)}
    norm = normalise_header(header)
    for unit in ("", "万元", "元", "天"):
        if norm.endswith(unit) and norm[: len(norm) - len(unit)] in names:
            return True
    return False


def test_headers_are_known_aliases(out: Path) -> None:
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    header_row = {"risks": 4, "budget": 3, "targets": 2, "quality_checks": 2, "emr_items": 3}
    header_row |= {"training": 2, "feedback": 3, "supervision": 2, "gate_criteria": 3, "dept_readiness": 2}
    for m in manifest:
        path = out / m["file"]
        if path.suffix == ".csv":
            text = path.read_bytes().decode("gbk" if m["dataset"] == "costs" else "utf-8-sig")
            lines = list(csv.reader(io.StringIO(text)))
            header = lines[1] if m["dataset"] == "costs" else lines[0]
        else:
            header = _rows(path, header_row.get(m["dataset"], 1))[0]
        for h in header:
            assert _header_matches(m["dataset"], str(h)), (m["file"], h)
        required = DATASETS[m["dataset"]].required
        mapped = {f.name for f in DATASETS[m["dataset"]].fields for h in header if _header_matches_field(f, str(h))}
        missing = set(required) - mapped - ({"project"} if m["dataset"] == "tasks" else set())
        assert not missing, (m["file"], missing)


def _header_matches_field(f: Any, header: str) -> bool:
    norm = normalise_header(header)
    names = {normalise_header(a) for a in (f.name, *f.aliases)}
    return any(norm.endswith(u) and norm[: len(norm) - len(u)] in names for u in ("", "万元", "元", "天"))


# ------------------------------------------------------------------ plans
def _plan(out: Path, project: str, asof: str) -> list[tuple[Any, ...]]:
    header, rows = _rows(out / f"plans/{project}_计划_{asof}.xlsx")
    assert header == [
        "标识号", "大纲数字", "任务名称", "阶段", "工期", "开始时间", "完成时间", "比较基准开始时间",
        "比较基准完成时间", "完成百分比", "前置任务", "资源名称", "里程碑", "质量关口",
    ]  # fmt: skip
    return rows


def test_plans_have_seven_snapshots_of_about_300_tasks(out: Path) -> None:
    for asof in SNAPSHOTS:
        total = 0
        for p in PROJECTS:
            wb = load_workbook(out / f"plans/{p}_计划_{asof}.xlsx", read_only=True)
            assert wb.sheetnames == ["任务表"]
            wb.close()
            rows = _plan(out, p, asof)
            assert 45 <= len(rows) <= 55, (p, len(rows))
            total += len(rows)
        assert 280 <= total <= 320


def test_plan_rows_are_well_formed(out: Path) -> None:
    for p in PROJECTS:
        rows = _plan(out, p, SNAPSHOTS[-1])
        ids = [r[0] for r in rows]
        assert ids == list(range(1, len(rows) + 1))
        assert len({r[1] for r in rows}) == len(rows) and all(isinstance(r[1], str) for r in rows)
        for r in rows:
            assert isinstance(r[5], datetime) and isinstance(r[8], datetime)
            assert r[4].endswith(" 个工作日") and r[9].endswith("%")
            assert r[12] in ("是", "否") and r[13] in ("是", "否")
            if r[12] == "是":
                assert r[4] == "0 个工作日"
            for pred in filter(None, (r[10] or "").split(",")):
                assert int(pred) < r[0]
        assert any(r[13] == "是" for r in rows) and sum(r[12] == "是" for r in rows) >= 5
        assert any("," in (r[10] or "") for r in rows)  # a real network, not a chain


def test_baselines_stay_constant_and_progress_never_falls(out: Path) -> None:
    for p in PROJECTS:
        snaps = [_plan(out, p, a) for a in SNAPSHOTS]
        for rows in snaps[1:]:
            assert [(r[0], r[7], r[8]) for r in rows] == [(r[0], r[7], r[8]) for r in snaps[0]]
        for before, after in zip(snaps, snaps[1:], strict=False):
            for rb, ra in zip(before, after, strict=True):
                assert int(ra[9].rstrip("%")) >= int(rb[9].rstrip("%")), (p, ra[2])


def test_his_slips_two_to_three_weeks_and_pacs_milestone_one_week(out: Path) -> None:
    first = {r[2]: r for r in _plan(out, HIS, SNAPSHOTS[0])}
    last = {r[2]: r for r in _plan(out, HIS, SNAPSHOTS[-1])}
    shift = (_day(last["HIS 项目终验"][6]) - _day(first["HIS 项目终验"][6])).days
    assert 14 <= shift <= 21
    assert _day(last["HIS 全院上线（新旧系统切换）"][6]) == date(2026, 5, 18)
    assert _day(last["HIS 全院上线（新旧系统切换）"][8]) == date(2026, 4, 13)
    name = "PACS 区域影像云平台上线"
    prev, now = ({r[2]: r for r in _plan(out, "PACS影像系统", a)}[name] for a in SNAPSHOTS[-2:])
    assert _day(prev[6]) == _day(prev[8]) == date(2026, 11, 30)
    assert _day(now[6]) == date(2026, 12, 7)


def test_some_tasks_are_late_in_the_last_snapshot(out: Path) -> None:
    late = [(p, r[2]) for p in PROJECTS for r in _plan(out, p, SNAPSHOTS[-1]) if _day(r[6]) < STATUS and r[9] != "100%"]
    assert len(late) >= 3 and any(p == HIS for p, _ in late)


def test_go_live_dates_in_targets_come_from_plan_milestones(out: Path) -> None:
    targets = json.loads((out / "targets.json").read_text("utf-8"))
    finishes = {}
    for p in PROJECTS:
        for r in _plan(out, p, SNAPSHOTS[-1]):
            if r[12] == "是":
                finishes[r[2]] = _day(r[6]).isoformat()
    for label, ms in targets["go_live_milestones"].items():
        assert finishes[label] == ms["date"]
        assert label.startswith(ms["system"] + " ") and "上线" in label
    assert targets["go_live"]["EMR"]["急诊科"] == "2025-12-01"
    assert targets["go_live"]["HIS"]["门诊部"].startswith("2026-05")
    assert set(targets["kpis"]) == {"门诊患者平均等候时间", "病历书写时间", "患者满意度", "检验报告周转时间"}


# ------------------------------------------------------------------ finance
def test_budget_layout_and_total(out: Path) -> None:
    wb = load_workbook(out / "finance/预算_2025-2026.xlsx", read_only=True)
    assert wb.sheetnames == ["Budget"]
    rows = list(wb["Budget"].iter_rows(values_only=True))
    wb.close()
    assert rows[0][0] == "Programme budget FY2025-2026 (unit: 10k CNY)"
    assert all(v is None for v in rows[1])
    assert list(rows[2]) == ["Project", "Category", "Month", "Budget (万元)"]
    data, total = rows[3:-1], rows[-1]
    assert total[0] == "合计"
    assert round(sum(r[3] for r in data), 2) == total[3]
    assert 11_000 <= total[3] <= 13_000
    assert {r[0] for r in data} == set(PROJECTS) and len({r[1] for r in data}) == 8


def test_ledger_is_gbk_with_title_total_and_hostile_text(out: Path) -> None:
    raw = (out / "finance/费用台账_2025-06_2026-11.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    lines = _ledger(out)
    assert lines[0] == ["某市第一人民医院 信息化项目费用台账"]
    assert lines[1] == ["日期", "项目名称", "费用类别", "供应商", "金额(元)", "付款状态", "合同编号", "摘要"]
    data, total = lines[2:-1], lines[-1]
    assert 2_500 <= len(data) <= 4_000
    assert total[0] == "合计" and _money(total[4]) == sum(_money(r[4]) for r in data)
    assert {r[5] for r in data} == {"已签合同", "已开票", "已付款"}
    assert {r[1] for r in data} == set(PROJECTS)
    assert max(datetime.strptime(r[0], "%Y/%m/%d").date() for r in data) <= date(2026, 11, 20)
    assert sum(r[7] == '=HYPERLINK("http://x")' for r in data) == 1
    assert re.search(r',"\d{1,3}(,\d{3})+\.\d{2}",', raw.decode("gbk"))  # thousands separators, quoted


def test_ledger_flow_commit_before_invoice_before_payment(out: Path) -> None:
    first: dict[tuple[str, str], date] = {}
    for r in _ledger(out)[2:-1]:
        ref = r[6].removesuffix("-补1")
        d = datetime.strptime(r[0], "%Y/%m/%d").date()
        first[(ref, r[5])] = min(d, first.get((ref, r[5]), d))
    for (ref, stage), d in first.items():
        if stage == "已开票":
            assert first[(ref, "已签合同")] <= d
        if stage == "已付款":
            assert first[(ref, "已开票")] <= d


def test_his_costs_exceed_budget_and_run_ahead_of_plan(out: Path) -> None:
    rows = list(
        load_workbook(out / "finance/预算_2025-2026.xlsx", read_only=True)["Budget"].iter_rows(values_only=True)
    )
    plan: dict[str, int] = defaultdict(int)
    for r in rows[3:-1]:
        if r[0] == HIS:
            plan[r[2]] += round(r[3] * 1_000_000)  # 万元 -> 分
    bac = sum(plan.values())
    by_stage: dict[str, int] = defaultdict(int)
    invoiced: dict[str, int] = defaultdict(int)
    for r in _ledger(out)[2:-1]:
        if r[1] == HIS:
            by_stage[r[5]] += _money(r[4])
            if r[5] == "已开票":
                d = datetime.strptime(r[0], "%Y/%m/%d")
                invoiced[f"{d.year}-{d.month:02d}"] += _money(r[4])
    assert by_stage["已签合同"] > bac * 1.1  # EAC clearly above BAC
    assert by_stage["已开票"] > bac
    ahead = [m for m in ("2026-08", "2026-09", "2026-10") if invoiced[m] > plan[m]]
    assert len(ahead) == 3


# ------------------------------------------------------------------ risks and changes
def _risks(out: Path, asof: str) -> dict[str, tuple[Any, ...]]:
    wb = load_workbook(out / f"risks/风险登记册_{asof}.xlsx", read_only=True)
    assert wb.sheetnames == ["风险登记册"]
    rows = list(wb["风险登记册"].iter_rows(values_only=True))
    wb.close()
    assert rows[0][0] == "信息化项目风险登记册" and rows[1][0] == f"状态日期：{asof}"
    assert all(v is None for v in rows[2])
    return {r[0]: r for r in rows[4:]}


def _level(v: Any) -> int:
    return LEVELS[v] if isinstance(v, str) else int(v)


def test_risk_register_story(out: Path) -> None:
    last = _risks(out, SNAPSHOTS[-1])
    first = _risks(out, SNAPSHOTS[0])
    assert 55 <= len(last) <= 65 and len(first) < len(last)
    assert {r[9] for r in last.values()} == {"开放", "监控中", "已关闭"}
    assert any(isinstance(r[4], str) for r in last.values()) and any(isinstance(r[4], int) for r in last.values())
    assert sum(r[2] == "<img src=x onerror=alert(1)>" for r in last.values()) == 1
    critical = [r for r in last.values() if _level(r[4]) * _level(r[5]) >= 20]
    assert len(critical) >= 2 and sum(r[6] is None for r in critical) >= 2
    mig = "R-HIS-01"
    assert (_level(first[mig][4]), _level(first[mig][5])) == (2, 3)
    assert (_level(last[mig][4]), _level(last[mig][5])) == (4, 4)
    assert len({r[1] for r in last.values()} - set(PROJECTS)) == 0


def test_change_requests(out: Path) -> None:
    for asof in ("2026-11-16", "2026-11-23"):
        header, rows = _rows(out / f"changes/变更申请_{asof}.xlsx")
        assert header == [
            "变更编号",
            "项目名称",
            "变更内容",
            "状态",
            "申请日期",
            "审批日期",
            "费用影响(万元)",
            "工期影响(天)",
            "申请人",
        ]
        assert {r[3] for r in rows} <= {"待审批", "已批准", "已拒绝", "已实施"}
        assert all((r[5] is None) == (r[3] == "待审批") for r in rows)
    _, rows = _rows(out / "changes/变更申请_2026-11-23.xlsx")
    assert 35 <= len(rows) <= 45
    pending = [r for r in rows if r[3] == "待审批"]
    assert 6 <= len(pending) <= 8
    ages = sorted((STATUS - _day(r[4])).days for r in pending)
    assert ages[0] < 14 and ages[-1] > 60


# ------------------------------------------------------------------ usage and KPIs
def _usage(out: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((out / "usage/系统使用_周报.csv").read_bytes().decode("utf-8-sig"))))


def test_usage_shape(out: Path) -> None:
    raw = (out / "usage/系统使用_周报.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = _usage(out)
    assert rows[0] == ["统计日期", "科室", "系统", "活跃用户数", "应用人数"]
    data = rows[1:]
    assert len({r[1] for r in data}) == 30
    assert {r[2] for r in data} == {"EMR", "HIS", "PACS", "LIS", "HRP", "移动护理"}
    weeks = sorted({r[0] for r in data})
    assert weeks[-1] == "2026-11-23" and all(date.fromisoformat(w).weekday() == 0 for w in weeks)
    assert all(0 <= int(r[3]) <= int(r[4]) for r in data)
    assert {r[1] for r in data if r[2] == "PACS"} >= {"放射科"} and "检验科" not in {
        r[1] for r in data if r[2] == "PACS"
    }


def test_usage_story_lagging_departments(out: Path) -> None:
    targets = json.loads((out / "targets.json").read_text("utf-8"))
    data = _usage(out)[1:]
    active: dict[str, int] = defaultdict(int)
    eligible: dict[str, int] = defaultdict(int)
    for r in data:
        if r[0] == "2026-11-23":
            active[r[1]] += int(r[3])
            eligible[r[1]] += int(r[4])
    rate = {d: active[d] / eligible[d] for d in eligible}
    assert len(rate) == 30
    for d in ("中医科", "口腔科"):
        assert rate[d] < 0.6
    assert statistics.median(rate.values()) > 0.8
    # nobody uses a system before its department's go-live
    for r in data:
        if r[0] < targets["go_live"][r[2]][r[1]]:
            assert r[3] == "0", r


def test_kpis_improve_after_go_live(out: Path) -> None:
    header, rows = _rows(out / "kpis/效益指标_周报.xlsx")
    assert header == ["统计日期", "指标名称", "科室", "数值", "单位"]
    series: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for r in rows:
        if r[2] is None:
            series[r[1]].append((_day(r[0]), r[3]))
    assert set(series) == {"门诊患者平均等候时间", "病历书写时间", "患者满意度", "检验报告周转时间"}

    def mean(name: str, part: slice) -> float:
        return statistics.mean(v for _, v in sorted(series[name])[part])

    assert 42 <= mean("门诊患者平均等候时间", slice(0, 8)) <= 48
    assert 17 <= mean("门诊患者平均等候时间", slice(-4, None)) <= 23
    assert 17 <= mean("病历书写时间", slice(0, 8)) <= 19 and mean("病历书写时间", slice(-4, None)) <= 13.2
    assert mean("患者满意度", slice(-4, None)) >= 95
    assert mean("检验报告周转时间", slice(-4, None)) < mean("检验报告周转时间", slice(0, 8)) - 1.5
    assert sorted(series["患者满意度"])[0][0] == date(2025, 6, 2)
    depts = {r[2] for r in rows if r[1] == "门诊患者平均等候时间" and r[2]}
    assert len(depts) >= 3
