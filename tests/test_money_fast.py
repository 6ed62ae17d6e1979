"""The money ledger summed in DuckDB (`money.ledger`, `contract_rollup`) against the plain one that reads every
cost line in Python (`money.ledger_plain`), to the cent: on the demo store and on a randomised ledger with
supplementary agreements, blank and padded references, missing vendors, stage words and ties; and the ledger is
built once per data version and scope, then shared."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from metrics import money
from metrics.scope import Scope
from tests import storekit
from tests.conftest import copy_store

CENT = 0.005
D = dt.date


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) < CENT


def _same_dicts(a: dict[object, float], b: dict[object, float]) -> None:
    keys = set(a) | set(b)
    off = [k for k in keys if not _close(a.get(k, 0.0), b.get(k, 0.0))]
    assert not off, f"{len(off)} keys differ, e.g. {off[:3]}: {[(a.get(k), b.get(k)) for k in off[:3]]}"


def assert_same_ledger(fast: money.Ledger, plain: money.Ledger) -> None:
    """Every field of the two ledgers equal to the cent, and every money view built from them too."""
    assert fast.cut == plain.cut and fast.projects == plain.projects and fast.first_month == plain.first_month
    assert [(k.project, k.category, k.vendor, k.reference) for k in fast.contracts] == [
        (k.project, k.category, k.vendor, k.reference) for k in plain.contracts
    ]
    for f, p in zip(fast.contracts, plain.contracts, strict=True):
        for name in ("committed", "invoiced", "paid", "actual", "due", "signed", "amendments"):
            assert _close(getattr(f, name), getattr(p, name)), (name, f, p)
        assert f.first_invoice == p.first_invoice
    assert set(fast.daily_ac) == set(plain.daily_ac)  # the same days carry AC (none appears or vanishes)
    for name in ("bac", "bac_by_category", "phased", "monthly_ac", "daily_ac", "original", "approved"):
        _same_dicts(getattr(fast, name), getattr(plain, name))
    assert fast.plans == plain.plans
    for project in (None, *plain.projects[:2]):
        sf, sp = money.summary_of(fast.only(project)), money.summary_of(plain.only(project))
        for field in dataclasses.fields(money.MoneySummary):
            a, b = getattr(sf, field.name), getattr(sp, field.name)
            assert _close(a, b) if isinstance(b, float) else a == b, (project, field.name, a, b)
    frames = [
        lambda led: money.budget_vs_actual_frame(led, "project"),
        lambda led: money.budget_vs_actual_frame(led, "category"),
        lambda led: money.burn_frame(led),
        lambda led: money.evm_frame(led, "en"),
        lambda led: money.warnings_of(led),
        lambda led: money.vendor_frame(led.contracts, "contract"),
        lambda led: money.payments_due_frame(led.contracts),
        lambda led: money.s_curve_of(led).points,
    ]
    for build in frames:
        pd.testing.assert_frame_equal(build(fast), build(plain), check_exact=False, atol=CENT, rtol=0)


@pytest.mark.parametrize(
    "scope",
    [
        Scope(today=D(2026, 11, 23)),
        Scope(today=D(2026, 11, 23), projects=("HIS系统替换",)),
        Scope(today=D(2026, 11, 23), end=D(2026, 3, 15)),  # the cut-off inside the ledger
        Scope(today=D(2026, 11, 23), as_of=D(2026, 9, 7)),
        Scope(today=D(2025, 5, 1)),  # before any line
    ],
)
def test_sql_ledger_matches_the_plain_one_on_the_demo(demo_template: Path, tmp_path: Path, scope: Scope) -> None:
    con = duckdb.connect(str(copy_store(demo_template, tmp_path)), read_only=True)
    try:
        assert_same_ledger(money.ledger_fresh(con, scope), money.ledger_plain(con, scope))
    finally:
        con.close()


def _random_lines(rng: random.Random, n: int) -> pd.DataFrame:
    projects, categories = ["HIS", "EMR", "PACS"], ["硬件", "软件", "实施服务", "运维"]
    vendors = ["东软", "卫宁", "华为", None]
    refs: list[str | None] = [f"HT-{i:03d}" for i in range(40)]
    refs += [f"HT-{i:03d}-补{j}" for i in range(0, 40, 3) for j in (1, 2)]  # amendments of existing contracts
    refs += ["HT-900补充协议1", " HT-001 ", "HT-002(补充1)", "", None, None]  # an orphan, padding, blank, none
    stages = ["committed", "invoiced", "paid", "已签约", "已开票", "已付款", " Paid ", "作废"]  # 作废: no stage
    rows = []
    for i in range(n):
        stage = rng.choice(stages)
        ref = rng.choice(refs)
        cents = rng.randint(1, 5_000_000) if stage != "committed" else rng.randint(1_000_000, 90_000_000)
        rows.append(
            {"date": D(2025, 6, 1) + dt.timedelta(days=rng.randint(0, 540)), "project": rng.choice(projects),
             "category": rng.choice(categories), "vendor": rng.choice(vendors), "amount": cents / 100,
             "stage": stage, "reference": ref, "description": f"line {i}"}
        )  # fmt: skip
    # a contract invoiced and paid to the same cent through different splits (the AC stage must not flip)
    for day, stage, amount in [(1, "invoiced", 333.33), (2, "invoiced", 333.33), (3, "invoiced", 333.34),
                               (9, "paid", 1000.0)]:  # fmt: skip
        rows.append(
            {"date": D(2025, 7, day), "project": "HIS", "category": "硬件", "vendor": "东软", "amount": amount,
             "stage": stage, "reference": "HT-EVEN", "description": "even"}
        )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_ledger_matches_the_plain_one_on_a_random_ledger(seed: int) -> None:
    rng = random.Random(seed)
    con = storekit.new_store()
    budget = [
        {"project": p, "category": c, "period": period, "amount": rng.randint(1, 900) * 10_000.0}
        for p in ("HIS", "EMR", "PACS")
        for c in ("硬件", "软件", "实施服务")
        for period in (None, D(2025, 9, 1), D(2026, 3, 1))
    ]
    storekit.insert_rows(con, "budget", budget)
    lines = _random_lines(rng, 3000)
    import_id = storekit.add_import(con, "costs")
    con.register("lines_df", lines)
    con.execute(
        "INSERT INTO cost_rows (import_id, row_no, date, project, category, vendor, amount, stage, reference,"
        " description) SELECT ?, 2, date, project, category, vendor, amount, stage, reference, description"
        " FROM lines_df",
        [import_id],
    )
    for scope in (Scope(today=D(2026, 11, 23)), Scope(today=D(2026, 11, 23), end=D(2026, 1, 31), projects=("HIS",))):
        assert_same_ledger(money.ledger_fresh(con, scope), money.ledger_plain(con, scope))


def test_the_ledger_is_built_once_per_data_version_and_scope(demo_template: Path, tmp_path: Path) -> None:
    path = copy_store(demo_template, tmp_path)
    con = duckdb.connect(str(path))
    try:
        scope = Scope(today=D(2026, 11, 23))
        first = money.ledger(con, scope)
        assert money.ledger(con, scope) is first  # every metric of the page reads this one
        assert money.ledger(con, dataclasses.replace(scope, start=D(2026, 1, 1))) is first  # start: not a key
        narrowed = money.ledger(con, dataclasses.replace(scope, projects=("HIS系统替换",)))
        assert narrowed is not first and narrowed.projects == ("HIS系统替换",)
        # a new import changes the data version: the next read sees it
        import_id = storekit.add_import(con, "costs")
        con.execute(
            "INSERT INTO cost_rows (import_id, row_no, date, project, category, vendor, amount, stage, reference)"
            " VALUES (?, 2, DATE '2026-11-02', 'HIS系统替换', '硬件', '华为', 123456.78, 'invoiced', 'HT-NEW')",
            [import_id],
        )
        after = money.ledger(con, scope)
        assert after is not first
        assert after.daily_ac[("HIS系统替换", "硬件", D(2026, 11, 2))] == pytest.approx(
            first.daily_ac.get(("HIS系统替换", "硬件", D(2026, 11, 2)), 0.0) + 123456.78
        )
    finally:
        con.close()


def test_plan_percent_reads_the_same_rows_as_the_plain_records() -> None:
    """plan_percent reads only its seven columns (`_columns`): the same values, boxed the same way, as the rows
    `_records` gives, on a frame with every kind of column a plan arrives with (dates as timestamps and as dates,
    nullable integers with NA, floats with NaN, booleans, blanks, an absent column), and the same percent."""
    plan = pd.DataFrame(
        {
            "project": ["P"] * 5,
            "wbs": ["1", "1.1", "1.2", None, "2"],
            "is_summary": pd.array([None, False, None, True, None], dtype=object),
            "percent_complete": pd.array([50, 100, None, 30, 20], dtype="Int64"),
            "duration_days": [float("nan"), 5.0, 2.5, float("nan"), float("nan")],
            "is_milestone": [False, False, True, False, False],
            "start": pd.to_datetime(["2026-01-05", "2026-01-05", "2026-01-12", None, "2026-02-02"]),
            "name": ["a", "b", "c", "d", "e"],
        }
    )  # "finish" absent: .get gives None in both
    plan["finish"] = [D(2026, 1, 30), D(2026, 1, 9), None, D(2026, 2, 1), D(2026, 2, 13)]
    names = ("wbs", "is_summary", "percent_complete", "duration_days", "is_milestone", "start", "finish", "absent")
    fast = money._columns(plan, names)
    plain = [{k: v for k, v in r.items() if k in names} for r in money._records(plan)]
    assert [repr(sorted(r.items())) for r in fast] == [repr(sorted(r.items())) for r in plain]
    # 1 is a summary by its WBS; 1.1: 5 d at 100 %, 1.2: 2.5 d at 0 % (NA), 2: 12 calendar days at 20 %
    assert money.plan_percent(plan) == pytest.approx((5 * 1.0 + 2.5 * 0 + 12 * 0.2) / (5 + 2.5 + 12))
    assert money._columns(plan[[]], names) == [{}] * 5
