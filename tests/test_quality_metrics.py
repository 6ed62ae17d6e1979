"""Data-quality metrics against hand-computed figures: rates per cell, worst first, drops since the previous
period, the hospital-wide rule, a department head's scope, the as-of week, and one share per system."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from metrics import quality
from metrics.scope import Scope
from tests import storekit

P1, P2 = dt.date(2026, 11, 2), dt.date(2026, 11, 9)
ICD, STD, FULL, TIMELY = "ICD-10编码规范率", "检验项目字段标准化率", "完整性", "及时性"


def row(period: dt.date, system: str, dept: str | None, check: str, num: int, den: int, target: float | None) -> dict:
    return {"period": period, "system": system, "department": dept, "check_name": check, "numerator": num,
            "denominator": den, "target": target}  # fmt: skip


ROWS = [
    row(P1, "EMR", "心内科", ICD, 95, 100, 95),
    row(P2, "EMR", "心内科", ICD, 90, 100, 95),  # 0.90, 5 points down, 5 under target
    row(P1, "EMR", "骨科", ICD, 80, 100, 95),
    row(P2, "EMR", "骨科", ICD, 85, 100, 95),  # 0.85, up 5, 10 under target
    row(P2, "EMR", None, FULL, 450, 500, None),  # the export's hospital-wide row: 0.90
    row(P2, "EMR", "心内科", FULL, 200, 250, None),  # 0.80 (its department row; not added to the 0.90)
    row(P2, "LIS", "检验科", STD, 99, 100, 98),  # 0.99 on target
    row(P2, "LIS", "检验科", FULL, 0, 0, None),  # nothing checked: no rate
    row(P2, "PACS", "放射科", TIMELY, 70, 100, None),  # 0.70, no target
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = storekit.new_store()
    storekit.insert_rows(c, "quality_checks", ROWS)
    return c


def test_worst_cells_first_with_rate_target_and_change(con: duckdb.DuckDBPyConnection) -> None:
    cells = quality.quality_cells(con, Scope())
    depts = [d if isinstance(d, str) else None for d in cells["department"]]
    keys = list(zip(cells["system"], depts, cells["check_name"], strict=True))
    assert keys == [
        ("EMR", "骨科", ICD),  # 10 points under its target
        ("EMR", "心内科", ICD),  # 5 points under
        ("PACS", "放射科", TIMELY),  # then lowest rate first: 0.70
        ("EMR", "心内科", FULL),  # 0.80
        ("EMR", None, FULL),  # 0.90
        ("LIS", "检验科", STD),  # 0.99
        ("LIS", "检验科", FULL),  # no rate: last
    ]
    first = cells.iloc[0]
    assert first["rate"] == pytest.approx(0.85) and first["target"] == pytest.approx(0.95)
    assert first["gap"] == pytest.approx(-0.10) and first["change"] == pytest.approx(0.05)
    assert bool(first["below_target"]) and not bool(first["dropped"])
    second = cells.iloc[1]
    assert second["previous_rate"] == pytest.approx(0.95) and second["change"] == pytest.approx(-0.05)
    assert bool(second["dropped"]) and second["previous_period"] == P1
    assert cells["rate"].isna().tolist() == [False] * 6 + [True]


def test_drops_since_the_previous_period(con: duckdb.DuckDBPyConnection) -> None:
    drops = quality.quality_drops(con, Scope())
    assert list(zip(drops["department"], drops["check_name"], strict=True)) == [("心内科", ICD)]
    assert quality.quality_drops(con, Scope(), drop_points=0.06).empty  # a 5-point fall is under 6 points


def test_system_quality_one_share_per_system(con: duckdb.DuckDBPyConnection) -> None:
    got = quality.system_quality(con, Scope())
    assert list(got.columns) == ["system", "quality_rate"]
    shares = dict(zip(got["system"], got["quality_rate"], strict=True))
    # EMR at 11-09: ICD hospital-wide = (90 + 85) / 200 = 0.875; 完整性 = the hospital-wide row 450/500 = 0.90
    assert shares["EMR"] == pytest.approx((0.875 + 0.90) / 2)
    assert shares["LIS"] == pytest.approx(0.99)  # the check with nothing checked has no rate
    assert shares["PACS"] == pytest.approx(0.70)


def test_department_head_sees_only_their_department(con: duckdb.DuckDBPyConnection) -> None:
    scope = Scope(departments=("心内科",))
    cells = quality.quality_cells(con, scope)
    assert set(cells["department"]) == {"心内科"}
    shares = quality.system_quality(con, scope)
    assert shares["system"].tolist() == ["EMR"]
    assert shares["quality_rate"].iloc[0] == pytest.approx((0.90 + 0.80) / 2)


def test_as_of_week_reads_the_periods_up_to_it(con: duckdb.DuckDBPyConnection) -> None:
    cells = quality.quality_cells(con, Scope(as_of=dt.date(2026, 11, 5)))
    assert set(cells["period"]) == {P1}
    heart = cells[cells["department"] == "心内科"].iloc[0]
    assert heart["rate"] == pytest.approx(0.95) and not bool(heart["below_target"])  # at target is not below
    assert heart["change"] != heart["change"]  # no earlier period: no change (NaN)


def test_trends_hospital_wide_and_per_cell(con: duckdb.DuckDBPyConnection) -> None:
    trends = quality.check_trends(con, Scope())
    icd = trends[(trends["system"] == "EMR") & (trends["check_name"] == ICD)]
    assert icd["period"].tolist() == [P1, P2]
    assert icd["rate"].tolist() == pytest.approx([(95 + 80) / 200, (90 + 85) / 200])
    cell = quality.cell_trend(con, Scope(), "EMR", "心内科", ICD)
    assert cell["rate"].tolist() == pytest.approx([0.95, 0.90])
    assert cell["target"].tolist() == pytest.approx([0.95, 0.95])


def test_week_over_week_drop_rows_for_the_overview(con: duckdb.DuckDBPyConnection) -> None:
    now = quality.week_cells(con, Scope(), P2)
    before = quality.week_cells(con, Scope(), P2 - dt.timedelta(days=7))
    (drop,) = quality.drop_changes(now, before)
    assert (drop["system"], drop["department"], drop["check_name"]) == ("EMR", "心内科", ICD)
    assert (drop["before"], drop["after"]) == pytest.approx((0.95, 0.90))
    assert quality.drop_changes(now, now) == []  # same periods: nothing changed


def test_rate_without_denominator_is_none() -> None:
    assert quality.rate(5, 0) is None and quality.rate(None, 10) is None
    assert quality.rate(3, 4) == 0.75
