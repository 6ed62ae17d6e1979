"""Adoption and benefit charts, inspected on the figures they return."""

from __future__ import annotations

import datetime as dt
import math
import random

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
    fig = c.ranking_bar(ranking(), "en", bottom_n=2)
    bar = fig.data[0]
    assert list(bar.y) == ["A", "&lt;b&gt;B&lt;/b&gt;", "C", "D"]  # rank order, data text escaped, no-rate left out
    # colours follow the target (0.8), not the rank: 0.9, 0.85 green; 0.7 amber (within 10 points); 0.6 red
    s = c.STATUS_COLOURS
    assert list(bar.marker.color) == [s["green"], s["green"], s["amber"], s["red"]]
    # the bottom two are outlined and say so, whatever their colour
    none = "rgba(0,0,0,0)"
    assert list(bar.marker.line.color) == [none, none, c.COLOURS["bottom_line"], c.COLOURS["bottom_line"]]
    assert bar.text[2] == "70.0% ▼1 · bottom"  # C: 2nd before, 3rd now
    legend = [t.name for t in fig.data[1:]]
    assert legend == ["On target (≥ 80%)", "Below target by up to 10 points", "More than 10 points below target",
                      "Bottom 2 (dark outline)"]  # fmt: skip
    assert bar.text[0] == "90.0% ▲3" and bar.text[1] == "85.0% ▼1"  # A 4th -> 1st, B 1st -> 2nd
    line = fig.layout.shapes[0]
    assert line.x0 == 0.8 and line.x1 == 0.8 and line.line.dash == "dash"
    assert tuple(bar.customdata[0]) == ("A", 1)


def test_ranking_bar_86_percent_against_80_is_green_even_when_last() -> None:
    df = m.ranking_table(pd.DataFrame({"department": list("ABCDE"), "rate": [0.99, 0.95, 0.93, 0.9, 0.86]}), None, 0.8)
    fig = c.ranking_bar(df, "zh")
    assert fig.data[0].marker.color[-1] == c.STATUS_COLOURS["green"] and df["bottom"].iloc[-1]
    assert [t.name for t in fig.data[1:4]] == [
        "达到目标(≥ 80%)",
        "低于目标 10 个百分点以内",
        "低于目标超过 10 个百分点",
    ]


def test_department_from_selection() -> None:
    assert c.department_from_selection([{"customdata": ["内科", 3]}]) == "内科"
    assert c.department_from_selection([{"x": 1}]) is None
    assert c.department_from_selection([]) is None


def test_rate_heatmap_grid() -> None:
    matrix = pd.DataFrame(
        {"department": ["内科", "内科", "外科"], "system": ["EMR", "LIS", "EMR"], "rate": [0.9, 0.5, 0.75],
         "target": [0.8, 0.8, 0.8], "status": ["green", "red", "amber"]}
    )  # fmt: skip
    fig = c.rate_heatmap(matrix, "zh")
    hm = fig.data[0]
    assert list(hm.x) == ["EMR", "LIS"] and list(hm.y) == ["内科", "外科"]
    # cells coloured by the rate against the target, the legend as the colour bar
    assert hm.z[0][0] == 2 and hm.z[0][1] == 0 and hm.z[1][0] == 1 and pd.isna(hm.z[1][1])
    assert list(hm.colorbar.ticktext) == ["低于目标超过 10 个百分点", "低于目标 10 个百分点以内", "达到目标(≥ 80%)"]
    assert hm.text[1][1] == "—" and hm.text[0][0] == "90%"
    assert hm.texttemplate == "%{text}" and c.heatmap_labelled(fig)  # 2 × 2 cells: each rate written in its cell
    assert not c.rate_heatmap(matrix.iloc[0:0]).data


def test_rate_heatmap_writes_no_labels_above_600_cells_and_keeps_the_rates_in_the_hover() -> None:
    """600 cells (30 departments × 20 systems) are labelled; 620 (31 × 20) are not, their rates still in the hover."""
    for deps, labelled in ((30, True), (31, False)):
        matrix = pd.DataFrame(
            [{"department": f"科{d:02d}", "system": f"S{x:02d}", "rate": 0.5, "target": 0.8, "status": "red"}
             for d in range(deps) for x in range(20)]
        )  # fmt: skip
        fig = c.rate_heatmap(matrix, "zh")
        assert c.heatmap_labelled(fig) is labelled, deps
        hm = fig.data[0]
        assert hm.text.shape == (deps, 20) and hm.text[deps - 1][19] == "50%"
        assert "%{text}" in hm.hovertemplate


def test_rate_heatmap_cells_equal_a_pivot_table() -> None:
    """The grid is filled cell by cell for speed; the plain way (pandas pivot_table, "first") gives the same cells."""
    rng = random.Random(5)
    rows = [(f"科室{d:02d}", f"S{x}") for d in range(40) for x in range(7) if rng.random() < 0.8]
    rng.shuffle(rows)
    rates = [rng.choice([math.nan, rng.random() * 1.1]) for _ in rows]
    matrix = pd.DataFrame({"department": [r[0] for r in rows], "system": [r[1] for r in rows], "rate": rates,
                           "target": 0.8, "status": [m.rate_status(r, 0.8) for r in rates]})  # fmt: skip
    hm = c.rate_heatmap(matrix, "en").data[0]
    wide = matrix.pivot_table(index="department", columns="system", values="rate", aggfunc="first", dropna=False)
    wide = wide.sort_index().reindex(sorted(wide.columns), axis=1)
    status = matrix.pivot_table(index="department", columns="system", values="status", aggfunc="first")
    status = status.reindex(index=wide.index, columns=wide.columns)
    assert list(hm.y) == list(wide.index) and list(hm.x) == list(wide.columns)
    expect_z = [[float(c.STATUS_LEVEL[v]) if v in c.STATUS_LEVEL else math.nan for v in r] for r in status.to_numpy()]
    assert [[-1.0 if math.isnan(v) else v for v in r] for r in hm.z] == [
        [-1.0 if math.isnan(v) else v for v in r] for r in expect_z
    ]
    expect_text = [["—" if math.isnan(v) else f"{v * 100:.0f}%" for v in r] for r in wide.to_numpy(dtype="float64")]
    assert [list(r) for r in hm.text] == expect_text


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
    zh = c.trend_lines(trend, "zh", target=0.8).layout.xaxis  # Chinese dates, not Plotly's English month names
    assert [s.value for s in zh.tickformatstops] == ["%-m月%-d日", "%Y年%-m月", "%Y年"]
    assert zh.hoverformat == "%Y年%-m月%-d日"


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
