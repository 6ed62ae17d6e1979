"""The risk metrics' column-wise paths against the plain per-row ones they replaced (tests/risks_plain.py), on
randomised registers: statuses written every way, missing scores and dates, duplicate ids, owners that name nobody,
several snapshots per project; both as hand-made frames and as the store returns them."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pandas as pd
import pytest

from charts import risks as charts
from metrics import risks as m
from metrics.scope import Scope
from tests import risks_plain as plain
from tests import storekit

TODAY = dt.date(2026, 11, 25)
STATUSES = ["开放", "监控中", "已关闭", "Closed ", "ＣＬＯＳＥＤ", "resolved", "", None, "进行中", "retired", "open"]
OWNERS = ["李强", "王芳", "张伟", "", "—", "待定", "TBD", None, "n/a", "赵敏"]
PROJECTS = ["EMR", "PACS", "HIS替换"]
BANDS = [m.DEFAULT_BANDS, m.Bands(4, 9, 16), m.Bands(3, 12, 25)]


def same(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    """Equal values row by row and column by column (None, NaN, NA and NaT all count as missing)."""
    assert list(fast.columns) == list(slow.columns)
    assert len(fast) == len(slow)

    def cells(df: pd.DataFrame) -> list[list[Any]]:
        return [[None if pd.isna(v) else v for v in row] for row in df.astype(object).itertuples(index=False)]

    assert cells(fast) == cells(slow)
    assert list(fast.index) == list(slow.index)


def random_register(rng: random.Random, n: int, dated: bool = True) -> pd.DataFrame:
    rows = []
    for i in range(n):
        lik = rng.choice([1, 2, 3, 4, 5, 5, None]) if rng.random() < 0.1 else rng.randint(1, 5)
        imp = rng.randint(1, 5)
        day = TODAY - dt.timedelta(days=rng.randint(0, 120))
        rows.append(
            {
                "risk_id": f"R{rng.randint(1, n // 2 + 1)}",  # ids repeat: some listed twice
                "project": rng.choice(PROJECTS),
                "title": f"风险 {i}",
                "category": rng.choice(["技术", "业务"]),
                "likelihood": lik,
                "impact": imp,
                "score": None if lik is None else lik * imp,
                "owner": rng.choice(OWNERS),
                "mitigation": rng.choice(["扩容", None]),
                "contingency": None,
                "status": rng.choice(STATUSES),
                "identified": (day - dt.timedelta(days=rng.randint(0, 60))) if rng.random() < 0.9 else None,
                "last_review": (day if rng.random() < 0.7 else None) if dated else None,
                "residual_score": rng.choice([None, 2, 6, 12]),
            }
        )
    return pd.DataFrame(rows)


def register_pairs() -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    out = []
    for seed in range(6):
        rng = random.Random(seed)
        out.append((random_register(rng, rng.randint(1, 300)), random_register(rng, rng.randint(1, 300))))
    out.append((random_register(random.Random(9), 40), random_register(random.Random(8), 40).iloc[0:0]))
    return out


@pytest.mark.parametrize("pair", range(7))
@pytest.mark.parametrize("bands", BANDS)
def test_register_rules_match_the_plain_ones(pair: int, bands: m.Bands) -> None:
    reg, prev = register_pairs()[pair]
    for df in (reg, prev):
        same(m.open_risks(df), plain.open_risks(df))
        same(m.with_bands(df, bands), plain.with_bands(df, bands))
        same(m.heatmap_counts(df), plain.heatmap_counts(df))
        assert m.band_counts(df, bands) == plain.band_counts(df, bands)
        assert m.choices(df, "owner") == plain.choices(df, "owner")
        assert m.choices(df, "status") == plain.choices(df, "status")
        if len(df):
            assert m.days_since_review(df, TODAY).tolist() == plain.days_since_review(df, TODAY).tolist()
        same(m.overdue_reviews(df, TODAY, 30), plain.overdue_reviews(df, TODAY, 30))
        labels = {b: b.upper() for b in m.BAND_NAMES}
        same(m.register_table(df, TODAY, bands, 20, labels), plain.register_table(df, TODAY, bands, 20, labels))
    moves = m.movement(reg, prev, bands)
    same(moves, plain.movement(reg, prev, bands))
    same(m.movement(prev, reg, bands), plain.movement(prev, reg, bands))
    for kind in m.MOVE_KINDS:
        labels = {"critical": "极高", "low": "低"}
        fast = m.movement_table(moves, kind, labels)
        slow = plain.relabel(plain.relabel(moves[moves["kind"] == kind], "prev_band", labels), "band", labels)
        same(fast, slow.reindex(columns=list(m.MOVEMENT_COLUMNS)).reset_index(drop=True))


@pytest.mark.parametrize("seed", range(4))
def test_heatmap_cells_match_a_count_per_cell(seed: int) -> None:
    """Each marker's count, cell and hover (first titles, "n more") equal a cell-by-cell count of the register."""
    open_now = m.open_risks(random_register(random.Random(400 + seed), 400))
    trace = charts.risk_heatmap(open_now, lang="en").data[0]
    expected = []
    for lik in m.LEVELS:
        for imp in m.LEVELS:
            cell = open_now[(open_now["likelihood"] == lik) & (open_now["impact"] == imp)]
            if len(cell):
                hover = charts._cell_hover([str(t) for t in cell["title"]], lik, imp, "en")
                expected.append(([lik, imp], str(len(cell)), hover))
    assert any(len(h.split("<br>")) > charts.MAX_TITLES_IN_HOVER + 2 for _, _, h in expected)  # "n more" lines
    got = [(list(c), t, h) for c, t, h in zip(trace.customdata, trace.text, trace.hovertext, strict=True)]
    assert got == expected


@pytest.mark.parametrize("seed", range(5))
def test_filters_match_the_plain_ones(seed: int) -> None:
    rng = random.Random(100 + seed)
    reg = random_register(rng, 400)
    owners = [o for o in OWNERS if o]
    statuses = [s for s in STATUSES if s]
    for _ in range(12):
        picked = (
            rng.sample(owners, rng.randint(0, 3)),
            rng.sample(statuses, rng.randint(0, 3)),
            rng.sample(m.BAND_NAMES, rng.randint(0, 2)),
        )
        bands = rng.choice(BANDS)
        same(m.filter_register(reg, *picked, bands), plain.filter_register(reg, *picked, bands))


@pytest.mark.parametrize("seed", range(4))
def test_decisions_match_the_plain_ones(seed: int) -> None:
    rng = random.Random(200 + seed)
    reg = random_register(rng, 300)
    changes = pd.DataFrame(
        [
            {
                "change_id": f"C{i}",
                "project": rng.choice(PROJECTS),
                "title": f"变更 {i}",
                "status": rng.choice(["待审批", "已批准", "Pending ", "open", "已拒绝", None, "ＳＵＢＭＩＴＴＥＤ"]),
                "requested": rng.choice([None, TODAY - dt.timedelta(days=rng.randint(0, 90))]),
                "cost_impact": rng.choice([None, 80_000.0, 1_250.5]),
                "schedule_impact_days": rng.choice([None, 5, 12]),
            }
            for i in range(60)
        ]
    )
    for bands in BANDS:
        same(m.decisions_waiting(changes, reg, TODAY, bands), plain.decisions_waiting(changes, reg, TODAY, bands))
    same(
        m.decisions_waiting(changes.iloc[0:0], reg.iloc[0:0], TODAY),
        plain.decisions_waiting(changes.iloc[0:0], reg.iloc[0:0], TODAY),
    )


def history_store(seed: int) -> Any:
    """Several weekly snapshots per project (some weeks skipped) in a store, read back as the pages read them."""
    rng = random.Random(300 + seed)
    con = storekit.new_store()
    monday = dt.date(2026, 9, 7)
    for week in range(10):
        for project in PROJECTS:
            if rng.random() < 0.3:
                continue  # this project skipped the week
            reg = random_register(rng, rng.randint(5, 60))
            reg["project"] = project
            reg = reg.drop_duplicates("risk_id").drop(columns=["score", "residual_score"])
            reg["likelihood"] = reg["likelihood"].fillna(3).astype(int)
            reg["status"] = reg["status"].fillna("")
            rows = [{k: v for k, v in r.items() if v is not None and v == v} for r in reg.to_dict("records")]
            storekit.insert_rows(con, "risks", rows, as_of=monday + dt.timedelta(days=7 * week + rng.randint(0, 4)))
    return con


@pytest.mark.parametrize("seed", range(3))
def test_store_registers_match_the_plain_ones(seed: int) -> None:
    con = history_store(seed)
    for as_of in (None, dt.date(2026, 10, 20)):
        scope = Scope(as_of=as_of)
        reg, prev, hist = m.load_register(con, scope), m.load_previous(con, scope), m.load_history(con, scope)
        assert len(reg) and len(prev) and len(hist)
        for bands in BANDS:
            same(m.open_by_band_trend(hist, bands), plain.open_by_band_trend(hist, bands))
            same(m.movement(reg, prev, bands), plain.movement(reg, prev, bands))
            same(m.register_table(reg, TODAY, bands), plain.register_table(reg, TODAY, bands))
            assert m.band_counts(m.open_risks(reg), bands) == plain.band_counts(plain.open_risks(reg), bands)
        same(m.heatmap_counts(m.open_risks(reg)), plain.heatmap_counts(plain.open_risks(reg)))
        same(m.overdue_reviews(reg, TODAY), plain.overdue_reviews(reg, TODAY))
        changes = m.load_changes(con, scope)
        same(m.decisions_waiting(changes, reg, TODAY), plain.decisions_waiting(changes, reg, TODAY))
