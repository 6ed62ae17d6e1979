"""Risk metrics against hand-made registers: bands, movement, the count waterfall, reviews, decisions waiting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from metrics import risks as m
from metrics.scope import Scope
from tests import storekit

W1 = dt.date(2026, 11, 16)  # Monday
W2 = dt.date(2026, 11, 23)  # Monday, a week later
TODAY = dt.date(2026, 11, 25)


def risk(rid: str, lik: int, imp: int, status: str = "open", project: str = "EMR", **kw: Any) -> dict[str, Any]:
    return {
        "risk_id": rid,
        "project": project,
        "title": f"risk {rid}",
        "likelihood": lik,
        "impact": imp,
        "status": status,
        **kw,
    }


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["score"] = df["likelihood"] * df["impact"]
    for col in ("owner", "category", "mitigation", "contingency", "identified", "last_review", "residual_score"):
        if col not in df.columns:
            df[col] = None
    return df


PREVIOUS = frame(
    [
        risk("R1", 2, 3),  # moves to (4,4): worsened, medium -> critical
        risk("R2", 3, 3, status="进行中"),  # closes (已关闭)
        risk("R3", 4, 2),  # disappears from the register: closed
        risk("R4", 5, 4),  # improves to (2,2)
        risk("R5", 1, 2),  # unchanged
        risk("R6", 2, 2, status="Closed"),  # closed before and now: not in movement
    ]
)
CURRENT = frame(
    [
        risk("R1", 4, 4),
        risk("R2", 3, 3, status="已关闭"),
        risk("R4", 2, 2),
        risk("R5", 1, 2),
        risk("R6", 2, 2, status="closed "),
        risk("R7", 5, 5, status=""),  # new; blank status counts as open
    ]
)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (1, "low"),
        (4, "low"),
        (5, "medium"),
        (9, "medium"),
        (10, "high"),
        (16, "high"),
        (20, "critical"),
        (25, "critical"),
    ],
)
def test_default_bands(score: int, expected: str) -> None:
    assert m.band(score) == expected


def test_band_edges_and_missing() -> None:
    assert m.band(None) is None
    assert m.band(float("nan")) is None
    # 17-19 never occur as a product of 1..5, so the critical floor can sit anywhere in 17..20.
    products = {a * b for a in range(1, 6) for b in range(1, 6)}
    assert not products & {17, 18, 19}
    assert all(m.Bands(critical=17).band(s) == m.band(s) for s in products)


def test_configurable_bands_and_validation() -> None:
    strict = m.Bands(medium=3, high=8, critical=15)
    assert [strict.band(s) for s in (2, 3, 8, 15)] == ["low", "medium", "high", "critical"]
    assert strict.ranges()["high"] == (8, 14)
    with pytest.raises(ValueError):
        m.Bands(medium=10, high=5)


def test_open_status_normalised() -> None:
    assert not m.is_open("已关闭")
    assert not m.is_open(" 关闭 ")
    assert not m.is_open("ＣＬＯＳＥＤ")  # full-width
    assert not m.is_open("Closed")
    assert m.is_open("进行中") and m.is_open("Open") and m.is_open(None) and m.is_open("")


def test_movement_kinds_and_bands() -> None:
    moves = m.movement(CURRENT, PREVIOUS).set_index("risk_id")
    assert moves["kind"].to_dict() == {
        "R1": "worsened",
        "R2": "closed",
        "R3": "closed",
        "R4": "improved",
        "R5": "unchanged",
        "R7": "new",
    }
    r1 = moves.loc["R1"]
    assert (r1["prev_likelihood"], r1["prev_impact"], r1["likelihood"], r1["impact"]) == (2, 3, 4, 4)
    # 4×4 = 16 sits in "high" under the default bands (high 10-16); see the next test for critical.
    assert (r1["prev_score"], r1["score"], r1["prev_band"], r1["band"]) == (6, 16, "medium", "high")
    assert r1["moved"] and moves.loc["R4"]["moved"] and not moves.loc["R5"]["moved"]
    assert pd.isna(moves.loc["R7"]["prev_score"]) and moves.loc["R7"]["band"] == "critical"
    assert pd.isna(moves.loc["R3"]["score"]) and moves.loc["R3"]["prev_band"] == "medium"


def test_worsened_band_medium_to_critical_at_16_with_lower_floor() -> None:
    # 4×4 = 16 is "high" by default; with critical from 16 up it is critical, as the brief's example reads.
    bands = m.Bands(critical=16)
    r1 = m.movement(CURRENT, PREVIOUS, bands).set_index("risk_id").loc["R1"]
    assert (r1["prev_band"], r1["band"]) == ("medium", "critical")
    assert m.movement(CURRENT, PREVIOUS).set_index("risk_id").loc["R1"]["band"] == "high"


def test_reopened_risk_counts_as_new() -> None:
    prev = frame([risk("R1", 2, 2, status="已关闭")])
    cur = frame([risk("R1", 3, 2, status="打开")])
    assert m.movement(cur, prev)["kind"].tolist() == ["new"]


def test_movement_summary_waterfall_adds_up() -> None:
    s = m.movement_summary(m.movement(CURRENT, PREVIOUS))
    assert (s.previous_open, s.new, s.closed, s.worsened, s.improved, s.unchanged) == (5, 1, 2, 1, 1, 1)
    assert s.current_open == 4
    assert s.adds_up()
    assert s.previous_open == len(m.open_risks(PREVIOUS))
    assert s.current_open == len(m.open_risks(CURRENT))
    assert [v for _, v in s.steps()] == [5, 1, -2, 4]
    assert sum(v for _, v in s.steps()[:3]) == s.steps()[3][1]


def test_movement_empty_previous() -> None:
    s = m.movement_summary(m.movement(CURRENT, CURRENT.iloc[0:0]))
    assert (s.previous_open, s.new, s.closed, s.current_open) == (0, 4, 0, 4)
    empty = m.movement_summary(m.movement(CURRENT.iloc[0:0], CURRENT.iloc[0:0]))
    assert empty.current_open == 0 and empty.adds_up()


def test_heatmap_counts() -> None:
    df = frame([risk("A", 2, 3), risk("B", 2, 3), risk("C", 5, 5), risk("D", 1, 4)])
    grid = m.heatmap_counts(df)
    assert grid.shape == (5, 5)
    assert list(grid.index) == [1, 2, 3, 4, 5] and list(grid.columns) == [1, 2, 3, 4, 5]
    assert grid.loc[2, 3] == 2 and grid.loc[5, 5] == 1 and grid.loc[1, 4] == 1
    assert int(grid.to_numpy().sum()) == 4
    assert list(m.cell_risks(df, (2, 3))["risk_id"]) == ["A", "B"]
    assert len(m.cell_risks(df, None)) == 4


def test_filter_register() -> None:
    df = frame([risk("A", 2, 3, owner="王"), risk("B", 5, 5, owner="李"), risk("C", 1, 1, owner="王", status="关闭")])
    assert list(m.filter_register(df, owners=["王"])["risk_id"]) == ["A", "C"]
    assert list(m.filter_register(df, band_names=["critical"])["risk_id"]) == ["B"]
    assert list(m.filter_register(df, statuses=["关闭"])["risk_id"]) == ["C"]
    assert len(m.filter_register(df)) == 3
    assert m.choices(df, "owner") == ["李", "王"]


def test_overdue_reviews() -> None:
    df = frame(
        [
            risk("A", 2, 3, last_review=dt.date(2026, 10, 26)),  # 30 days: on time
            risk("B", 2, 3, last_review=dt.date(2026, 10, 25)),  # 31 days: overdue
            risk("C", 2, 3, identified=dt.date(2026, 9, 1)),  # never reviewed, identified 85 days ago
            risk("D", 2, 3),  # no dates at all: overdue
            risk("E", 2, 3, last_review=dt.date(2026, 1, 1), status="已关闭"),  # closed: not a concern
            risk("F", 2, 3, identified=dt.date(2026, 11, 20)),  # new, 5 days
        ]
    )
    late = m.overdue_reviews(df, TODAY)
    assert list(late["risk_id"]) == ["D", "C", "B"]
    assert late.set_index("risk_id")["days_since_review"].dropna().to_dict() == {"C": 85, "B": 31}
    assert list(m.overdue_reviews(df, TODAY, days=90)["risk_id"]) == ["D"]
    table = m.register_table(df, TODAY)
    assert table.set_index("risk_id")["overdue"].to_dict() == {
        "A": False,
        "B": True,
        "C": True,
        "D": True,
        "E": False,
        "F": False,
    }
    assert "residual_score" not in table.columns


def test_register_table_residual_side_by_side() -> None:
    df = frame([risk("A", 4, 5), risk("B", 2, 2)])
    df["residual_likelihood"] = pd.array([2, None], dtype="Int32")
    df["residual_impact"] = pd.array([3, None], dtype="Int32")
    df["residual_score"] = pd.array([6, None], dtype="Int32")
    t = m.register_table(df, TODAY, band_labels={"critical": "极高", "medium": "中", "low": "低"})
    cols = list(t.columns)
    assert cols.index("residual_score") == cols.index("band") + 3
    row = t.set_index("risk_id").loc["A"]
    assert (row["score"], row["band"], row["residual_score"], row["residual_band"]) == (20, "极高", 6, "中")
    assert pd.isna(t.set_index("risk_id").loc["B"]["residual_band"])


def test_decisions_waiting() -> None:
    changes = pd.DataFrame(
        [
            {
                "change_id": "C1",
                "project": "EMR",
                "title": "加接口",
                "status": "待审批",
                "requested": dt.date(2026, 11, 1),
                "cost_impact": 120000.0,
                "schedule_impact_days": 10,
            },
            {
                "change_id": "C2",
                "project": "EMR",
                "title": "扩容",
                "status": "已批准",
                "requested": dt.date(2026, 10, 1),
                "cost_impact": 5.0,
                "schedule_impact_days": 0,
            },
            {
                "change_id": "C3",
                "project": "HIS",
                "title": "new report",
                "status": " Submitted",
                "requested": dt.date(2026, 10, 20),
                "cost_impact": None,
                "schedule_impact_days": None,
            },
        ]
    )
    register = frame(
        [
            risk("R1", 5, 4, owner=None, identified=dt.date(2026, 11, 15)),  # critical, no owner
            risk("R2", 5, 5, owner="王主任"),  # critical, owned
            risk("R3", 5, 5, owner="待定", status="已关闭"),  # closed
            risk("R4", 3, 3, owner=None),  # medium
            risk("R5", 5, 5, owner=" TBD "),  # critical, placeholder owner
        ]
    )
    out = m.decisions_waiting(changes, register, TODAY)
    assert list(zip(out["kind"], out["id"], strict=True)) == [
        ("change", "C3"),
        ("change", "C1"),
        ("risk", "R1"),
        ("risk", "R5"),
    ]
    ages = out.set_index("id")["age_days"]
    assert ages["C3"] == 36 and ages["C1"] == 24 and ages["R1"] == 10 and pd.isna(ages["R5"])
    c1 = out.set_index("id").loc["C1"]
    assert (c1["cost_impact"], c1["schedule_impact_days"]) == (120000.0, 10)
    assert out.set_index("id").loc["R1"]["band"] == "critical"
    assert m.decisions_waiting(changes.iloc[0:0], register.iloc[0:0], TODAY).empty


def test_open_by_band_trend_carries_forward() -> None:
    history = pd.concat(
        [
            frame([risk("R1", 2, 3, as_of=W1), risk("R2", 5, 5, as_of=W1), risk("R3", 1, 1, as_of=W1, status="关闭")]),
            frame([risk("X1", 4, 4, project="HIS", as_of=W1 + dt.timedelta(days=2))]),
            frame([risk("R1", 4, 4, as_of=W2), risk("R4", 1, 2, as_of=W2)]),
            # HIS has no snapshot in W2: its W1 register still counts.
        ],
        ignore_index=True,
    )
    trend = m.open_by_band_trend(history)
    assert list(trend["week"]) == [W1, W2]
    assert trend[["low", "medium", "high", "critical"]].to_numpy().tolist() == [[0, 1, 1, 1], [1, 0, 2, 0]]
    assert list(trend["total"]) == [3, 3]
    assert m.open_by_band_trend(history.iloc[0:0]).empty


def test_week_start() -> None:
    assert m.week_start(dt.date(2026, 11, 29)) == W2
    assert m.week_start(pd.Timestamp("2026-11-23")) == W2


# ---------------------------------------------------------------- against a store
@pytest.fixture
def store() -> Any:
    con = storekit.new_store()
    storekit.insert_rows(con, "risks", [risk("R1", 2, 3), risk("R2", 3, 3), risk("R3", 4, 2)], as_of=W1)
    storekit.insert_rows(
        con, "risks", [risk("R1", 4, 4), risk("R2", 3, 3, status="已关闭"), risk("R7", 5, 5)], as_of=W2
    )
    storekit.insert_rows(con, "risks", [risk("H1", 1, 1, project="HIS")], as_of=W1)
    storekit.insert_rows(
        con,
        "changes",
        [{"change_id": "C1", "project": "EMR", "title": "t", "status": "pending", "requested": dt.date(2026, 11, 2)}],
        as_of=W2,
    )
    return con


def test_load_register_latest_and_as_of(store: Any) -> None:
    latest = m.load_register(store, Scope())
    assert sorted(latest["risk_id"]) == ["H1", "R1", "R2", "R7"]
    older = m.load_register(store, Scope(as_of=W1 + dt.timedelta(days=3)))
    assert sorted(older["risk_id"]) == ["H1", "R1", "R2", "R3"]
    emr = m.load_register(store, Scope(projects=("EMR",)))
    assert set(emr["project"]) == {"EMR"}


def test_load_previous_and_movement_from_store(store: Any) -> None:
    prev = m.load_previous(store, Scope())
    assert sorted(prev["risk_id"]) == ["R1", "R2", "R3"]  # HIS has one snapshot only
    assert m.load_previous(store, Scope(as_of=W1)).empty
    moves = m.movement(m.load_register(store, Scope(projects=("EMR",))), prev)
    assert moves.set_index("risk_id")["kind"].to_dict() == {
        "R1": "worsened",
        "R2": "closed",
        "R3": "closed",
        "R7": "new",
    }


def test_load_history_and_changes(store: Any) -> None:
    hist = m.load_history(store, Scope())
    assert len(hist) == 7
    assert len(m.load_history(store, Scope(start=W2))) == 3
    trend = m.open_by_band_trend(hist)
    assert list(trend["total"]) == [4, 3]
    changes = m.load_changes(store, Scope())
    assert list(changes["change_id"]) == ["C1"]
    assert m.load_changes(store, Scope(as_of=W1)).empty
    out = m.decisions_waiting(changes, m.load_register(store, Scope()), TODAY)
    assert out.set_index("id").loc["C1"]["age_days"] == 23
    assert m.load_register(storekit.new_store(), Scope()).empty


def test_band_floors_come_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics import risks as rm

    monkeypatch.setenv("COCKPIT_RISK_BANDS", "4,9,16")
    bands = rm.configured_bands()
    assert (bands.medium, bands.high, bands.critical) == (4, 9, 16)
    assert bands.band(16) == "critical" and bands.band(12) == "high" and bands.band(3) == "low"
    monkeypatch.setenv("COCKPIT_RISK_BANDS", "not,a,band")
    assert rm.configured_bands() == rm.DEFAULT_BANDS  # a malformed setting falls back to 5, 10, 20
    monkeypatch.setenv("COCKPIT_RISK_BANDS", "20,10,5")
    assert rm.configured_bands() == rm.DEFAULT_BANDS  # floors that do not rise are refused too
