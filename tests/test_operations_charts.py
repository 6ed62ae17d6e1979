"""Operations chart builders on hand-made frames: the heatmap's cells, colours by completion and by light, hostile
system names kept literal."""

from __future__ import annotations

import math

import pandas as pd

from charts import operations as charts

EVIL = "<img src=x onerror=alert(1)>"


def _sla() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "system": ["HIS", "HIS", EVIL],
            "priority": ["P1", "P3", "P1"],
            "resolution_met": [2, 5, 0],
            "resolution_breached": [2, 0, 0],
            "resolution_pending": [1, 0, 3],
            "resolution_compliance": [0.5, 1.0, math.nan],
        }
    )


def test_heatmap_cells() -> None:
    fig = charts.sla_heatmap(_sla(), "resolution", "en")
    (heat,) = fig.data
    assert list(heat.x) == ["P1", "P3"]
    assert list(heat.y) == ["&lt;img src=x onerror=alert(1)&gt;", "HIS"]  # sorted by name, escaped
    assert list(heat.z[1]) == [0.5, 1.0]
    assert list(heat.z[0]) == [None, None]  # nothing counted: blank, not 0 %
    assert heat.text[1][0] == "50%" and heat.text[0][0] == "—"
    assert heat.customdata[1][0] == "met 2 of 4 counted, 1 pending"


def test_inspection_bars_coloured_by_completion() -> None:
    insp = pd.DataFrame({"system": ["A", "B", "C"], "planned": [20, 20, 20], "done": [20, 18, 10],
                         "completion": [1.0, 0.9, 0.5]})  # fmt: skip
    (bar,) = charts.inspection_bars(insp, "zh").data
    assert list(bar.y) == ["C", "B", "A"]  # worst first from the bottom
    assert list(bar.marker.color) == ["#e53935", "#fb8c00", "#43a047"]
    assert bar.customdata[0] == "已巡检 10 / 计划 20"


def test_scorecard_bars_coloured_by_light() -> None:
    card = pd.DataFrame({"system": ["A", "B"], "score": [0.9, 0.6], "light": ["green", "red"]})
    (bar,) = charts.scorecard_bars(card, "en").data
    assert list(bar.y) == ["B", "A"] and list(bar.marker.color) == ["#e53935", "#43a047"]
    assert list(bar.text) == ["60%", "90%"]


def test_backlog_stacks_systems() -> None:
    b = pd.DataFrame({"period": pd.to_datetime(["2026-03-02", "2026-03-09"] * 2), "system": ["A", "A", "B", "B"],
                      "open": [1, 2, 3, 4]})  # fmt: skip
    fig = charts.backlog_trend(b, "zh")
    assert [t.name for t in fig.data] == ["A", "B"] and all(t.stackgroup == "1" for t in fig.data)
    assert fig.layout.xaxis.tickformatstops  # Chinese date ticks
