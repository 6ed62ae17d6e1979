"""Adoption metrics against hand-computed figures: rates (eligible 0/NULL rule), ranks with ties, rank changes,
gap to target, weighted means across systems, roll-out matching and the department head's view."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from metrics import adoption as m
from metrics.scope import Scope
from tests import storekit

W1 = dt.date(2026, 11, 2)  # a Monday
W2 = dt.date(2026, 11, 9)
TODAY = Scope(today=dt.date(2026, 11, 23))


def usage(period: dt.date, dep: str, system: str, active: int, eligible: int | None) -> dict[str, object]:
    return {"period": period, "department": dep, "system": system, "active_users": active, "eligible_users": eligible}


@pytest.fixture
def con():  # type: ignore[no-untyped-def]
    """Five departments, EMR in two weeks, LIS in the second only.

    EMR week 1: 急诊科 8/10, 内科 5/10, 外科 7/10, 儿科 eligible 0, 神经内科 eligible NULL.
    EMR week 2: 急诊科 9/10, 内科 9/10, 外科 6/10, 儿科 3/10, 神经内科 2/10.
    LIS week 2: 急诊科 10/20, 内科 18/20, 外科 12/20, 儿科 6/20, 神经内科 4/20.
    """
    c = storekit.new_store()
    rows = []
    for dep, a1, e1, a2, lis in (
        ("急诊科", 8, 10, 9, 10),
        ("内科", 5, 10, 9, 18),
        ("外科", 7, 10, 6, 12),
        ("儿科", 1, 0, 3, 6),
        ("神经内科", 6, None, 2, 4),
    ):
        rows += [usage(W1, dep, "EMR", a1, e1), usage(W2, dep, "EMR", a2, 10), usage(W2, dep, "LIS", lis, 20)]
    storekit.insert_rows(c, "usage", rows)
    return c


# ---------------------------------------------------------------- rates


def test_rates_leave_out_rows_without_eligible_users(con) -> None:  # type: ignore[no-untyped-def]
    r = m.usage_rates(con, TODAY, "week", "EMR").set_index(["period", "department"])
    w1 = pd.Timestamp(W1)
    assert r.loc[(w1, "急诊科"), "rate"] == pytest.approx(0.8)
    assert r.loc[(w1, "内科"), "rate"] == pytest.approx(0.5)
    for dep in ("儿科", "神经内科"):  # eligible 0 and NULL: no rate, counted as "no eligible users"
        assert math.isnan(r.loc[(w1, dep), "rate"])
        assert r.loc[(w1, dep), "no_eligible_rows"] == 1
    assert r.loc[(pd.Timestamp(W2), "儿科"), "rate"] == pytest.approx(0.3)


def test_month_is_sum_over_sum_not_mean_of_ratios() -> None:
    c = storekit.new_store()
    storekit.insert_rows(
        c,
        "usage",
        [
            usage(W1, "内科", "EMR", 1, 10),
            usage(W2, "内科", "EMR", 9, 30),
            usage(dt.date(2026, 11, 16), "内科", "EMR", 5, 0),  # no eligible users: left out of the month too
        ],
    )
    r = m.usage_rates(c, TODAY, "month")
    assert len(r) == 1
    assert r["rate"].iloc[0] == pytest.approx(10 / 40)  # a mean of ratios would say 0.2
    assert r["active"].iloc[0] == 10 and r["eligible"].iloc[0] == 40
    assert r["no_eligible_rows"].iloc[0] == 1


def test_rates_above_100_percent_are_kept_and_warned() -> None:
    c = storekit.new_store()
    storekit.insert_rows(c, "usage", [usage(W1, "内科", "EMR", 12, 10), usage(W1, "外科", "EMR", 0, None)])
    r = m.usage_rates(c, TODAY)
    assert r.set_index("department").loc["内科", "rate"] == pytest.approx(1.2)
    assert bool(r.set_index("department").loc["内科", "over_100"])
    w = m.usage_warnings(c, TODAY).set_index("department")
    assert w.loc["内科", "issue"] == "over_100"
    assert w.loc["外科", "issue"] == "no_eligible"


# ---------------------------------------------------------------- pure ranking helpers


def test_ties_are_ranked_alike_min_method() -> None:
    ranks = m.rank_rates(pd.Series([0.9, 0.9, 0.8, float("nan"), 0.5]))
    assert ranks.tolist()[:3] == [1, 1, 3]
    assert ranks.iloc[3] is pd.NA
    assert ranks.iloc[4] == 4


def test_equal_weighted_means_tie_despite_float_noise() -> None:
    assert m.rank_rates(pd.Series([0.1 + 0.2, 0.3])).tolist() == [1, 1]


def test_rank_change_positive_means_moved_up() -> None:
    current = pd.Series({"A": 1, "B": 2, "C": 3}, dtype="Int64")
    previous = pd.Series({"A": 3, "B": 2}, dtype="Int64")
    change = m.rank_change(current, previous)
    assert change["A"] == 2 and change["B"] == 0 and change["C"] is pd.NA
    assert [m.movement(c) for c in change] == ["▲2", "–", ""]
    assert m.movement(-1) == "▼1"


def test_ranking_table_gap_and_bottom() -> None:
    cur = pd.DataFrame({"department": list("ABCDE"), "rate": [0.9, 0.85, 0.7, 0.7, 0.4]})
    prev = pd.DataFrame({"department": list("ABCD"), "rate": [0.5, 0.9, 0.8, 0.6]})
    t = m.ranking_table(cur, prev, 0.8, bottom_n=3).set_index("department")
    assert t["rank"].tolist() == [1, 2, 3, 3, 5]
    assert t.loc["A", "previous_rank"] == 4 and t.loc["A", "rank_change"] == 3  # 4th -> 1st
    assert t.loc["B", "rank_change"] == -1
    assert t.loc["E", "rank_change"] is pd.NA
    assert t.loc["C", "gap"] == pytest.approx(-0.1)
    assert t.loc["A", "gap"] == pytest.approx(0.1)
    assert t["below_target"].tolist() == [False, False, True, True, True]
    # bottom 3 from below: E (1), C and D tie at 2 -> all three flagged
    assert t["bottom"].tolist() == [False, False, True, True, True]


def test_no_bottom_when_few_departments() -> None:
    cur = pd.DataFrame({"department": ["A", "B"], "rate": [0.3, 0.2]})
    t = m.ranking_table(cur, None, 0.8, bottom_n=3)
    assert not t["bottom"].any()
    assert t["below_target"].all()


def test_weighted_mean_across_systems() -> None:
    rates = pd.DataFrame(
        {
            "department": ["A", "A", "B", "B"],
            "system": ["EMR", "LIS", "EMR", "LIS"],
            "rate": [0.9, 0.5, float("nan"), 0.6],
        }
    )
    equal = m.combine_systems(rates).set_index("department")["rate"]
    assert equal["A"] == pytest.approx(0.7)
    assert equal["B"] == pytest.approx(0.6)  # a system without a rate does not count
    weighted = m.combine_systems(rates, {"EMR": 3}).set_index("department")["rate"]
    assert weighted["A"] == pytest.approx((3 * 0.9 + 1 * 0.5) / 4)
    only_lis = m.combine_systems(rates, {"EMR": 0}).set_index("department")["rate"]
    assert only_lis["A"] == pytest.approx(0.5)
    assert m.combined_target({"EMR": 0.9, "LIS": 0.7}, ["EMR", "LIS"], {"EMR": 3}) == pytest.approx(0.85)


def test_target_per_system_falls_back_to_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_USAGE_TARGET", "0.75")
    assert m.target_for({"EMR": 0.9}, "EMR") == 0.9
    assert m.target_for({"EMR": 0.9}, "LIS") == 0.75
    assert m.target_for(None, "LIS") == 0.75
    assert m.target_for(0.6, "LIS") == 0.6


# ---------------------------------------------------------------- ranking on a store


def test_usage_ranking_one_system(con) -> None:  # type: ignore[no-untyped-def]
    r = m.usage_ranking(con, TODAY, "EMR", target={"EMR": 0.85}).set_index("department")
    assert r["rank"].to_dict() == {"内科": 1, "急诊科": 1, "外科": 3, "儿科": 4, "神经内科": 5}
    # week 1 ranks: 急诊科 1 (0.8), 外科 2 (0.7), 内科 3 (0.5); 儿科 and 神经内科 had no eligible users
    assert r.loc["内科", "rank_change"] == 2
    assert r.loc["急诊科", "rank_change"] == 0
    assert r.loc["外科", "rank_change"] == -1
    assert r.loc["儿科", "rank_change"] is pd.NA
    assert r.loc["外科", "gap"] == pytest.approx(0.6 - 0.85)
    assert r.loc["外科", "movement"] == "▼1"
    assert r["bottom"].to_dict() == {"内科": False, "急诊科": False, "外科": True, "儿科": True, "神经内科": True}
    assert r["period"].iloc[0] == pd.Timestamp(W2)
    assert r["previous_period"].iloc[0] == pd.Timestamp(W1)


def test_usage_ranking_weighted_across_systems(con) -> None:  # type: ignore[no-untyped-def]
    r = m.usage_ranking(con, TODAY, None, weights={"EMR": 3, "LIS": 1}).set_index("department")
    # week 2: 急诊科 EMR 0.9, LIS 0.5 -> (2.7 + 0.5) / 4 = 0.8; 内科 0.9 and 0.9 -> 0.9
    assert r.loc["急诊科", "rate"] == pytest.approx(0.8)
    assert r.loc["内科", "rate"] == pytest.approx(0.9)
    assert r.loc["内科", "rank"] == 1 and r.loc["急诊科", "rank"] == 2


def test_usage_ranking_month_and_department_scope(con) -> None:  # type: ignore[no-untyped-def]
    r = m.usage_ranking(con, TODAY, "EMR", "month").set_index("department")
    assert r.loc["急诊科", "rate"] == pytest.approx(17 / 20)
    assert r.loc["儿科", "rate"] == pytest.approx(3 / 10)  # the eligible-0 week is left out
    assert r.loc["儿科", "no_eligible_rows"] == 1
    # the filter chooses rows, never the field a rank is taken in: 外科 is 3rd of 5 (week 2, EMR) and stays so
    scoped = m.usage_ranking(con, Scope(departments=("外科", "儿科")), "EMR")
    assert scoped["department"].tolist() == ["外科", "儿科"]
    assert scoped["rank"].tolist() == [3, 4]
    assert scoped["n_ranked"].tolist() == [5, 5]
    assert scoped["bottom"].tolist() == [True, True]
    # a role that may only compare within 外科, 儿科 and 神经内科 ranks among those three
    within = m.usage_ranking(con, Scope(departments=("外科",)), "EMR", compare=("外科", "儿科", "神经内科"))
    assert (within["rank"].tolist(), within["n_ranked"].tolist()) == ([1], [3])


def test_one_department_filtered_alone_is_ranked_among_all() -> None:
    # 30 departments, EMR: 科室01 at 100 %, 科室02 at 99 % … 中医科 last at 71 %: 30th of 30, not 1st of 1
    c = storekit.new_store()
    names = [f"科室{i:02d}" for i in range(1, 30)] + ["中医科"]
    storekit.insert_rows(c, "usage", [usage(W2, d, "EMR", 100 - i, 100) for i, d in enumerate(names)])
    alone = m.usage_ranking(c, Scope(departments=("中医科",)), "EMR", target=0.8)
    assert alone[["department", "rank", "n_ranked"]].values.tolist() == [["中医科", 30, 30]]
    assert alone["status"].tolist() == ["amber"]  # 71 % is under 80 %, by less than 10 points
    every = m.usage_ranking(c, TODAY, "EMR", target=0.8).set_index("department")
    # 86 % against an 80 % target is green, whatever its rank; 75 % amber; 71 % red
    assert every.loc["科室15", "rate"] == pytest.approx(0.86) and every.loc["科室15", "status"] == "green"
    assert every.loc["科室26", "rate"] == pytest.approx(0.75) and every.loc["科室26", "status"] == "amber"


def test_rate_status_follows_the_target() -> None:
    assert [m.rate_status(x, 0.8) for x in (0.86, 0.8, 0.79, 0.70, 0.69, float("nan"))] == [
        "green", "green", "amber", "amber", "red", "none"]  # fmt: skip


def test_anonymous_ranking_and_heatmap_name_only_my_department(con) -> None:  # type: ignore[no-untyped-def]
    mine = Scope(departments=("外科",), today=TODAY.today)
    r = m.usage_ranking(con, TODAY, "EMR", anonymous=True, visible=("外科",))
    # week 2 EMR: 急诊科 0.9, 内科 0.9, 外科 0.6, 儿科 0.3, 神经内科 0.2 -> others numbered best first
    assert r["department"].tolist() == ["#01", "#02", "外科", "#03", "#04"]
    assert r["rank"].tolist() == [1, 1, 3, 4, 5]
    # the department filter alone is what stays named by default
    assert "外科" in m.usage_ranking(con, mine, "EMR", anonymous=True)["department"].tolist()
    heat = m.rate_matrix(con, TODAY, anonymous=True, visible=("外科",))
    shown = set(heat["department"])
    assert "外科" in shown and not shown & {"急诊科", "内科", "儿科", "神经内科"}
    assert len(shown) == 5


def test_rate_matrix_latest_per_system(con) -> None:  # type: ignore[no-untyped-def]
    mx = m.rate_matrix(con, TODAY).set_index(["department", "system"])["rate"]
    assert mx[("外科", "EMR")] == pytest.approx(0.6)
    assert mx[("外科", "LIS")] == pytest.approx(0.6)
    assert len(mx) == 10


def test_every_query_runs_on_an_empty_store() -> None:
    c = storekit.new_store()
    assert m.usage_ranking(c, TODAY, "EMR").empty
    assert m.usage_ranking(c, TODAY).empty
    assert m.rate_matrix(c, TODAY).empty
    assert m.usage_rates(c, TODAY, "month").empty
    assert m.usage_warnings(c, TODAY).empty
    assert m.rollout_matrix(c, TODAY).empty
    assert m.trend(c, TODAY, "内科", "EMR").empty
    mine = m.my_department(c, TODAY, "内科")
    assert mine.overall_rank is None and mine.systems.empty and mine.trend.empty


# ---------------------------------------------------------------- roll-out matrix


def milestones(*rows: tuple[str, str, dt.date, float | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"project": p, "name": n, "date": d, "percent_complete": pc, "is_gate": False} for p, n, d, pc in rows]
    )


DEPTS = ["急诊科", "内科", "神经内科", "外科"]


def test_rollout_matching_rule() -> None:
    ms = milestones(
        ("EMR 电子病历", "EMR 急诊科试点上线", dt.date(2025, 12, 1), 100),
        ("EMR 电子病历", "EMR 一期上线（神经内科、外科）", dt.date(2026, 3, 2), 100),
        ("EMR 电子病历", "EMR 全院上线", dt.date(2026, 12, 7), 0),
        ("EMR 电子病历", "EMR 全院上线评审", dt.date(2026, 12, 4), 0),  # a review is not a go-live
        ("LIS检验系统", "内科上线", dt.date(2026, 4, 20), None),  # system from the project; done by date
        ("LIS检验系统", "LIS 试点", dt.date(2026, 1, 5), 100),  # pilot naming no department: ignored
    )
    r = m.match_rollout(ms, DEPTS, ["EMR", "LIS"], dt.date(2026, 11, 23)).set_index(["department", "system"])
    assert r.loc[("急诊科", "EMR"), "phase"] == "pilot"
    assert r.loc[("急诊科", "EMR"), "go_live"] == pd.Timestamp(2025, 12, 1)
    assert r.loc[("急诊科", "EMR"), "live_date"] == pd.Timestamp(2026, 12, 7)
    assert bool(r.loc[("急诊科", "EMR"), "pilot"])
    # 内科 is only inside 神经内科 in the wave name: not named, so only the hospital-wide go-live covers it
    assert r.loc[("内科", "EMR"), "phase"] == "planned"
    assert r.loc[("内科", "EMR"), "go_live"] == pd.Timestamp(2026, 12, 7)
    assert r.loc[("神经内科", "EMR"), "phase"] == "live"
    assert r.loc[("外科", "EMR"), "go_live"] == pd.Timestamp(2026, 3, 2)
    assert r.loc[("内科", "LIS"), "phase"] == "live"
    assert r.loc[("外科", "LIS"), "phase"] == "none"
    assert pd.isna(r.loc[("外科", "LIS"), "go_live"])


def test_hospital_wide_go_live_covers_departments_using_the_system() -> None:
    ms = milestones(("HIS", "HIS 全院上线", dt.date(2026, 4, 13), 100))
    r = m.match_rollout(ms, DEPTS, ["HIS"], dt.date(2026, 11, 23), users={"HIS": ["内科", "外科"]})
    phases = r.set_index("department")["phase"].to_dict()
    assert phases == {"急诊科": "none", "内科": "live", "神经内科": "none", "外科": "live"}


def test_rollout_matrix_from_the_plan(con) -> None:  # type: ignore[no-untyped-def]
    base = {"start": dt.date(2026, 11, 1), "is_milestone": True}
    storekit.insert_rows(
        con,
        "tasks",
        [
            {
                **base,
                "project": "EMR 电子病历",
                "task_id": "1",
                "name": "急诊科试点上线",
                "finish": dt.date(2026, 10, 1),
            },
            {**base, "project": "EMR 电子病历", "task_id": "2", "name": "EMR 全院上线", "finish": dt.date(2026, 12, 7)},
            {**base, "project": "EMR 电子病历", "task_id": "3", "name": "EMR 全院上线评审", "is_gate": True},
        ],
    )
    r = m.rollout_matrix(con, TODAY).set_index(["department", "system"])
    assert r.loc[("急诊科", "EMR"), "phase"] == "pilot"
    assert r.loc[("外科", "EMR"), "phase"] == "planned"
    assert r.loc[("外科", "LIS"), "phase"] == "none"
    assert m.system_go_live(r.reset_index(), "EMR") == dt.date(2026, 10, 1)
    assert m.system_go_live(r.reset_index(), "EMR", "median") == dt.date(2026, 12, 7)
    tr = m.trend(con, TODAY, "急诊科", "EMR")
    assert tr["rate"].tolist() == pytest.approx([0.8, 0.9])
    assert tr["hospital_rate"].tolist() == pytest.approx([20 / 30, 29 / 50])
    assert tr["pilot_date"].iloc[0] == pd.Timestamp(2026, 10, 1)


# ---------------------------------------------------------------- my department


def test_my_department_median_and_anonymity(con) -> None:  # type: ignore[no-untyped-def]
    named = m.my_department(con, Scope(departments=("外科",), today=TODAY.today), "外科")
    emr = named.systems.set_index("system").loc["EMR"]
    assert emr["rate"] == pytest.approx(0.6)
    assert emr["rank"] == 3 and emr["n_ranked"] == 5
    assert emr["others_median"] == pytest.approx(0.6)  # others: 0.9, 0.9, 0.3, 0.2 -> (0.9 + 0.3) / 2
    assert emr["rank_change"] == -1
    assert named.others is not None and set(named.others["department"]) == {"急诊科", "内科", "儿科", "神经内科"}
    assert named.overall_rank == 3  # equal weights: 外科 0.6; 急诊科 0.7, 内科 0.9, 儿科 0.3, 神经内科 0.2
    week1 = named.trend[(named.trend["system"] == "EMR")].iloc[0]
    assert week1["rate"] == pytest.approx(0.7) and week1["others_median"] == pytest.approx(0.65)
    anon = m.my_department(con, TODAY, "外科", anonymous=True)
    assert anon.others is None
    assert anon.systems.equals(named.systems)


def test_anonymity_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_ANONYMOUS", "1")
    assert m.anonymous_setting()
    monkeypatch.setenv("COCKPIT_ANONYMOUS", "0")
    assert not m.anonymous_setting()


def test_overall_from_recent_matches_the_all_systems_ranking(con) -> None:  # type: ignore[no-untyped-def]
    recent = m._recent_rates(con, TODAY, "week", None, per_system=True)
    fast = m.overall_from_recent(recent, {"EMR": 2}).set_index("department")
    slow = m.usage_ranking(con, TODAY, None, weights={"EMR": 2}).set_index("department")
    assert fast["rank"].to_dict() == slow["rank"].to_dict()
    assert fast["rate"].to_dict() == pytest.approx(slow["rate"].to_dict())
    assert fast["rank_change"].to_dict() == slow["rank_change"].to_dict()


def test_per_system_settings_as_hashable_pairs() -> None:
    assert m.target_for((("EMR", 0.9),), "EMR") == 0.9
    rates = pd.DataFrame({"department": ["A", "A"], "system": ["EMR", "LIS"], "rate": [0.9, 0.5]})
    assert m.combine_systems(rates, (("EMR", 3.0),))["rate"].iloc[0] == pytest.approx(0.8)
