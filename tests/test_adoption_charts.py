"""Adoption and benefit charts, inspected on the figures they return."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from charts import adoption as c
from charts import benefits as cb
from metrics import adoption as m
from metrics import benefits as mb


def ranking() -> pd.DataFrame:
    cur = pd.DataFrame({"department": ["A", "<b>B</b>", "C", "D", "E"], "rate": [0.9, 0.85, 0.7, 0.6, float("nan")]})
    prev = pd.DataFrame({"department": ["A", "<b>B</b>", "C", "D"], "rate": [0.5, 0.9, 0.8, 0.7]})
    return m.ranking_table(cur, prev, 0.8, bottom_n=2)


def test_ranking_bar_colours_target_and_arrows() -> None:
    fig = c.ranking_bar(ranking(), "en")
    bar = fig.data[0]
    assert list(bar.y) == ["A", "&lt;b&gt;B&lt;/b&gt;", "C", "D"]  # rank order, data text escaped, no-rate left out
    assert list(bar.marker.color) == [c.COLOURS["ok"], c.COLOURS["ok"], c.COLOURS["bottom"], c.COLOURS["bottom"]]
    assert bar.text[0] == "90.0% ▲3" and bar.text[1] == "85.0% ▼1"  # A 4th -> 1st, B 1st -> 2nd
    line = fig.layout.shapes[0]
    assert line.x0 == 0.8 and line.x1 == 0.8 and line.line.dash == "dash"
    assert tuple(bar.customdata[0]) == ("A", 1)


def test_ranking_bar_amber_below_target() -> None:
    df = m.ranking_table(pd.DataFrame({"department": ["A", "B"], "rate": [0.9, 0.7]}), None, 0.8)
    assert list(c.ranking_bar(df).data[0].marker.color) == [c.COLOURS["ok"], c.COLOURS["below"]]


def test_department_from_selection() -> None:
    assert c.department_from_selection([{"customdata": ["内科", 3]}]) == "内科"
    assert c.department_from_selection([{"x": 1}]) is None
    assert c.department_from_selection([]) is None


def test_rate_heatmap_grid() -> None:
    matrix = pd.DataFrame(
        {"department": ["内科", "内科", "外科"], "system": ["EMR", "LIS", "EMR"], "rate": [0.9, 0.5, 0.7]}
    )
    fig = c.rate_heatmap(matrix, "zh")
    hm = fig.data[0]
    assert list(hm.x) == ["EMR", "LIS"] and list(hm.y) == ["内科", "外科"]
    assert hm.z[0][0] == 0.9 and hm.z[0][1] == 0.5 and pd.isna(hm.z[1][1])
    assert hm.text[1][1] == "—" and hm.text[0][0] == "90%"
    assert not c.rate_heatmap(matrix.iloc[0:0]).data


def test_rollout_chart_phases() -> None:
    roll = pd.DataFrame(
        {
            "department": ["内科", "外科"],
            "system": ["EMR", "EMR"],
            "phase": ["pilot", "none"],
            "go_live": pd.to_datetime([dt.date(2026, 3, 2), None]),
        }
    )
    hm = c.rollout_chart(roll, "en").data[0]
    assert [row[0] for row in hm.z] == [c.PHASE_LEVEL["pilot"], c.PHASE_LEVEL["none"]]
    assert hm.text[0][0] == "Pilot<br>2026-03-02" and hm.text[1][0] == "Not planned"


def test_trend_lines_mark_go_live_and_pilot() -> None:
    trend = pd.DataFrame(
        {
            "period": pd.to_datetime([dt.date(2026, 1, 5), dt.date(2026, 1, 12)]),
            "system": ["EMR", "EMR"],
            "rate": [0.5, 0.7],
            "hospital_rate": [0.6, 0.65],
            "pilot_date": pd.to_datetime([dt.date(2025, 12, 1)] * 2),
            "live_date": pd.to_datetime([dt.date(2026, 1, 8)] * 2),
        }
    )
    fig = c.trend_lines(trend, "en", target=0.8)
    assert [t.name for t in fig.data] == ["EMR", "EMR · Hospital"]
    dashes = sorted(str(s.line.dash) for s in fig.layout.shapes if s.type == "line" and s.yref == "paper")
    assert dashes == ["dash", "solid"]
    assert any("Go-live" in a.text for a in fig.layout.annotations)
    assert any(s.y0 == 0.8 for s in fig.layout.shapes)  # the target line


def test_its_chart_segments_and_go_live() -> None:
    weeks = pd.to_datetime([dt.date(2026, 1, 5) + dt.timedelta(weeks=i) for i in range(6)])
    frame = pd.DataFrame({"period": weeks, "value": [10.0, 12, 14, 5, 4, 3]})
    go_live = dt.date(2026, 1, 26)
    df, pre, post, level = mb.fit_segments(frame, go_live)
    its = mb.Its("<i>等候</i>", "分钟", "lower", go_live, df, pre, post, level)
    fig = cb.its_chart(its, "en")
    names = [t.name for t in fig.data]
    assert names == [
        "Observed",
        "Trend before go-live",
        "Trend after go-live",
        "Without go-live (pre-trend carried on)",
    ]
    assert list(fig.data[1].y) == pytest.approx([10, 12, 14])
    assert fig.layout.shapes[0].x0 == dt.datetime(2026, 1, 26)
    assert fig.layout.title.text.startswith("&lt;i&gt;")
    spark = cb.sparkline(frame, go_live, good=True)
    assert spark.data[0].line.color == cb.COLOURS["good"] and len(spark.layout.shapes) == 1
