"""Risk charts inspected trace by trace: the scatter heatmap, its arrows, escaping, the band trend."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from charts import risks as ch
from metrics import risks as m

HOSTILE = "<img src=x onerror=alert(1)>"


def risk(rid: str, lik: int, imp: int, title: str | None = None, status: str = "open") -> dict[str, Any]:
    return {
        "risk_id": rid,
        "project": "EMR",
        "title": title or f"risk {rid}",
        "likelihood": lik,
        "impact": imp,
        "status": status,
    }


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["score"] = df["likelihood"] * df["impact"]
    return df


REGISTER = frame([risk("A", 2, 3), risk("B", 2, 3), risk("C", 2, 3), risk("D", 5, 5, title=HOSTILE), risk("E", 1, 1)])


def test_heatmap_is_a_scatter_with_one_marker_per_cell() -> None:
    fig = ch.risk_heatmap(REGISTER, lang="en")
    assert len(fig.data) == 1
    tr = fig.data[0]
    assert tr.type == "scatter"
    cells = list(zip(tr.y, tr.x, strict=True))
    assert cells == [(1, 1), (2, 3), (5, 5)]  # (likelihood, impact), empty cells have no marker
    assert list(tr.text) == ["1", "3", "1"]
    assert [list(c) for c in tr.customdata] == [[1, 1], [2, 3], [5, 5]]
    sizes = list(tr.marker.size)
    assert sizes[1] > sizes[0] == sizes[2]  # sized by count
    assert sizes[1] == 56.0  # the busiest cell gets the full size


def test_heatmap_background_bands() -> None:
    fig = ch.risk_heatmap(REGISTER)
    bands = [s for s in fig.layout.shapes if (s.name or "").startswith("band:")]
    assert len(bands) == 25
    by_cell = {(round(s.y0 + 0.5), round(s.x0 + 0.5)): s.name for s in bands}
    assert by_cell[(1, 1)] == "band:low" and by_cell[(2, 3)] == "band:medium"
    assert by_cell[(4, 4)] == "band:high" and by_cell[(4, 5)] == "band:critical"
    custom = ch.risk_heatmap(REGISTER, bands=m.Bands(critical=16))
    assert {(round(s.y0 + 0.5), round(s.x0 + 0.5)): s.name for s in custom.layout.shapes}[(4, 4)] == "band:critical"


def test_hostile_title_is_escaped_in_hover() -> None:
    fig = ch.risk_heatmap(REGISTER, lang="zh")
    hover = fig.data[0].hovertext[2]
    assert "&lt;img src=x onerror=alert(1)&gt;" in hover
    assert "<img" not in hover
    assert "<img" not in fig.to_json()
    assert ch.escape("a & <b>") == "a &amp; &lt;b&gt;"


def test_heatmap_arrows_for_moves() -> None:
    previous = frame(
        [risk("A", 2, 3, title=HOSTILE), risk("B", 4, 5), risk("C", 1, 2), risk("D", 3, 2), risk("F", 3, 3)]
    )
    current = frame(
        [risk("A", 4, 4, title=HOSTILE), risk("B", 2, 2), risk("C", 1, 2), risk("D", 2, 3), risk("G", 5, 5)]
    )
    moves = m.movement(current, previous)
    fig = ch.risk_heatmap(current, moves=moves, lang="en")
    arrows = {(a.ay, a.ax, a.y, a.x): a for a in fig.layout.annotations}
    # A worsened (2,3)->(4,4); B improved (4,5)->(2,2); D moved at the same score; C unchanged, F closed, G new: no arrow.
    assert set(arrows) == {(2, 3, 4, 4), (4, 5, 2, 2), (3, 2, 2, 3)}
    a = arrows[(2, 3, 4, 4)]
    assert a.showarrow and a.axref == "x" and a.ayref == "y" and a.name == "move:worsened"
    assert a.arrowcolor == ch.MOVE_COLOURS["worsened"]
    assert "&lt;img" in a.hovertext and "<img" not in a.hovertext
    assert arrows[(4, 5, 2, 2)].name == "move:improved"
    assert arrows[(3, 2, 2, 3)].name == "move:unchanged"


def test_selected_cell_outlined_and_selection_parsed() -> None:
    fig = ch.risk_heatmap(REGISTER, selected=(2, 3))
    sel = [s for s in fig.layout.shapes if s.name == "selected"]
    assert len(sel) == 1 and sel[0].x0 < 3 < sel[0].x1 and sel[0].y0 < 2 < sel[0].y1
    assert ch.cell_from_selection([{"x": 3, "y": 2, "customdata": [2, 3]}]) == (2, 3)
    assert ch.cell_from_selection([{"x": 3, "y": 2}]) is None
    assert ch.cell_from_selection([]) is None


def test_empty_heatmap() -> None:
    fig = ch.risk_heatmap(REGISTER.iloc[0:0])
    assert len(fig.data[0].x) == 0
    assert len(fig.layout.shapes) == 25


def test_band_trend_stacked_by_week() -> None:
    trend = pd.DataFrame(
        [
            {"week": dt.date(2026, 11, 16), "low": 0, "medium": 1, "high": 1, "critical": 1, "total": 3},
            {"week": dt.date(2026, 11, 23), "low": 1, "medium": 0, "high": 2, "critical": 0, "total": 3},
        ]
    )
    fig = ch.band_trend(trend, lang="en")
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data] == ["Low", "Medium", "High", "Critical"]
    assert all(t.type == "bar" for t in fig.data)
    assert list(fig.data[2].x) == ["2026-11-16", "2026-11-23"] and list(fig.data[2].y) == [1, 2]
    assert [t.marker.color for t in fig.data] == [ch.BAND_COLOURS[b] for b in m.BAND_NAMES]
    assert [t.name for t in ch.band_trend(trend, lang="zh").data] == ["低", "中", "高", "极高"]
    assert len(ch.band_trend(m.open_by_band_trend(pd.DataFrame())).data) == 4


def test_movement_waterfall() -> None:
    s = m.MovementSummary(previous_open=5, new=1, closed=2, worsened=1, improved=1, unchanged=1)
    tr = ch.movement_waterfall(s, lang="en").data[0]
    assert tr.type == "waterfall"
    assert list(tr.y) == [5, 1, -2, 4]
    assert list(tr.measure) == ["absolute", "relative", "relative", "total"]
