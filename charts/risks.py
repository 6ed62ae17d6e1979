"""Risk charts: the likelihood × impact heatmap (a scatter on a 5×5 grid, so clicks select cells in Streamlit),
open risks by band per week, and the waterfall of risk counts between snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import pandas as pd
import plotly.graph_objects as go

from metrics.risks import BAND_NAMES, DEFAULT_BANDS, LEVELS, Bands, MovementSummary, heatmap_counts

BAND_COLOURS: dict[str, str] = {
    "low": "#8bc34a",
    "medium": "#ffd54f",
    "high": "#ff9800",
    "critical": "#e53935",
}
MOVE_COLOURS: dict[str, str] = {"worsened": "#b71c1c", "improved": "#1b5e20", "unchanged": "#546e7a"}
MAX_TITLES_IN_HOVER = 8

_LABELS: dict[str, tuple[str, str]] = {
    "likelihood": ("可能性", "Likelihood"),
    "impact": ("影响", "Impact"),
    "risks": ("项风险", "risks"),
    "score": ("分值", "score"),
    "more": ("另有 {n} 项", "{n} more"),
    "week": ("周", "Week"),
    "open_risks": ("未关闭风险数", "Open risks"),
    "low": ("低", "Low"),
    "medium": ("中", "Medium"),
    "high": ("高", "High"),
    "critical": ("极高", "Critical"),
    "previous_open": ("上期未关闭", "Open before"),
    "new": ("新增", "New"),
    "closed": ("关闭", "Closed"),
    "current_open": ("本期未关闭", "Open now"),
    "worsened": ("恶化", "Worsened"),
    "improved": ("改善", "Improved"),
    "unchanged": ("分值未变", "Same score"),
}


def _l(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return en if lang == "en" else zh


def escape(text: object) -> str:
    """Data text made literal for Plotly labels, which render a subset of HTML: `<b>` would be bold,
    `<img …>` must show as typed. Entities are decoded by Plotly, so the user sees the original characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell_hover(titles: Sequence[str], lik: int, imp: int, lang: str, count: int | None = None) -> str:
    """A cell's hover: its score, how many risks (`count`, else the titles given) and the first titles."""
    n = len(titles) if count is None else count
    head = f"{_l('likelihood', lang)} {lik} × {_l('impact', lang)} {imp} = {lik * imp}"
    lines = [head, f"{n} {_l('risks', lang)}"]
    lines += [escape(t) for t in titles[:MAX_TITLES_IN_HOVER]]
    if n > MAX_TITLES_IN_HOVER:
        lines.append(_l("more", lang).format(n=n - MAX_TITLES_IN_HOVER))
    return "<br>".join(lines)


def _titles_by_cell(df: pd.DataFrame) -> dict[tuple[object, object], tuple[int, list[str]]]:
    """Per (likelihood, impact) cell: how many risks, and the first titles a hover lists (register order)."""
    if df.empty:
        return {}
    cells = df.groupby(["likelihood", "impact"], sort=False, dropna=True)
    first = df.loc[cells.head(MAX_TITLES_IN_HOVER).index].groupby(["likelihood", "impact"], sort=False)["title"]
    titles = {k: [str(t) for t in v] for k, v in first.agg(list).items()}
    return {cast(tuple[object, object], k): (int(n), titles[k]) for k, n in cells.size().items()}


def risk_heatmap(
    df: pd.DataFrame,
    bands: Bands = DEFAULT_BANDS,
    lang: str = "zh",
    moves: pd.DataFrame | None = None,
    selected: tuple[int, int] | None = None,
) -> go.Figure:
    """Impact on x, likelihood on y. Band colours are background shapes; trace 0 holds one marker per non-empty
    cell, sized by count, text = count, customdata = (likelihood, impact). Arrows (annotations) run from the
    previous cell to the current one for risks in `moves` (see metrics.risks.movement) that changed cell."""
    fig = go.Figure()
    shapes: list[dict[str, Any]] = []
    for lik in LEVELS:
        for imp in LEVELS:
            b = bands.band(lik * imp) or "low"
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "y",
                    "x0": imp - 0.5,
                    "x1": imp + 0.5,
                    "y0": lik - 0.5,
                    "y1": lik + 0.5,
                    "fillcolor": BAND_COLOURS[b],
                    "opacity": 0.35,
                    "line": {"color": "white", "width": 2},
                    "layer": "below",
                    "name": f"band:{b}",
                }
            )
    if selected is not None:
        lik, imp = selected
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "y",
                "x0": imp - 0.48,
                "x1": imp + 0.48,
                "y0": lik - 0.48,
                "y1": lik + 0.48,
                "line": {"color": "#1565c0", "width": 3},
                "fillcolor": "rgba(0,0,0,0)",
                "name": "selected",
            }
        )

    counts = heatmap_counts(df)
    grid = counts.to_numpy()
    peak = max(int(grid.max()), 1)
    xs: list[int] = []
    ys: list[int] = []
    sizes: list[float] = []
    texts: list[str] = []
    hovers: list[str] = []
    custom: list[list[int]] = []
    colours: list[str] = []
    by_cell = _titles_by_cell(df)
    for lik in LEVELS:
        for imp in LEVELS:
            n = int(grid[lik - 1][imp - 1])
            if n == 0:
                continue
            in_cell, titles = by_cell.get((lik, imp), (0, []))
            xs.append(imp)
            ys.append(lik)
            sizes.append(round(22 + 34 * (n / peak) ** 0.5, 1))
            texts.append(str(n))
            hovers.append(_cell_hover(titles, lik, imp, lang, in_cell))
            custom.append([lik, imp])
            colours.append(BAND_COLOURS[bands.band(lik * imp) or "low"])
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers+text",
            text=texts,
            textposition="middle center",
            textfont={"color": "white", "size": 14},
            hovertext=hovers,
            hoverinfo="text",
            customdata=custom,
            marker={"size": sizes, "color": "#37474f", "line": {"color": colours, "width": 2}, "opacity": 0.9},
            name=_l("open_risks", lang),
            showlegend=False,
        )
    )

    annotations: list[dict[str, Any]] = []
    if moves is not None and len(moves):
        moved = moves[moves["moved"].astype(bool)]
        groups: dict[tuple[int, int, int, int], list[tuple[str, str]]] = {}
        for r in moved.to_dict("records"):
            k = (int(r["prev_likelihood"]), int(r["prev_impact"]), int(r["likelihood"]), int(r["impact"]))
            groups.setdefault(k, []).append((str(r["title"]), str(r["kind"])))
        for (pl, pi, cl, ci), items in groups.items():
            kinds = {kind for _, kind in items}
            kind = "worsened" if "worsened" in kinds else "improved" if "improved" in kinds else "unchanged"
            annotations.append(
                {
                    "x": ci,
                    "y": cl,
                    "ax": pi,
                    "ay": pl,
                    "xref": "x",
                    "yref": "y",
                    "axref": "x",
                    "ayref": "y",
                    "showarrow": True,
                    "arrowhead": 3,
                    "arrowwidth": 2,
                    "arrowcolor": MOVE_COLOURS[kind],
                    "standoff": 14,
                    "startstandoff": 6,
                    "text": "",
                    "hovertext": "<br>".join(f"{_l(k, lang)}: {escape(t)}" for t, k in items[:MAX_TITLES_IN_HOVER]),
                    "name": f"move:{kind}",
                }
            )

    axis = {"tickmode": "array", "tickvals": list(LEVELS), "range": [0.5, 5.5], "showgrid": False, "zeroline": False}
    fig.update_layout(
        shapes=shapes,
        annotations=annotations,
        xaxis={**axis, "title": {"text": _l("impact", lang)}, "constrain": "domain"},
        yaxis={**axis, "title": {"text": _l("likelihood", lang)}, "scaleanchor": "x", "scaleratio": 1},
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        height=460,
        clickmode="event+select",
        dragmode=False,
        plot_bgcolor="white",
    )
    return fig


def cell_from_selection(points: Sequence[Mapping[str, Any]]) -> tuple[int, int] | None:
    """The (likelihood, impact) cell of the first selected heatmap point (Streamlit's selection `points`)."""
    for p in points:
        data = p.get("customdata")
        if isinstance(data, list | tuple) and len(data) >= 2:
            try:
                return int(data[0]), int(data[1])
            except (TypeError, ValueError):
                continue
    return None


def band_trend(trend_df: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Open risks per band per week as stacked bars, critical on top (metrics.risks.open_by_band_trend)."""
    fig = go.Figure()
    weeks = [str(w) for w in trend_df["week"]] if len(trend_df) else []
    for b in BAND_NAMES:
        fig.add_trace(
            go.Bar(
                x=weeks,
                y=[int(v) for v in trend_df[b]] if len(trend_df) else [],
                name=_l(b, lang),
                marker={"color": BAND_COLOURS[b]},
                hovertemplate="%{x}: %{y}<extra>" + _l(b, lang) + "</extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        xaxis={"title": {"text": _l("week", lang)}, "type": "category"},
        yaxis={"title": {"text": _l("open_risks", lang)}, "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        height=320,
    )
    return fig


def movement_waterfall(summary: MovementSummary, lang: str = "zh") -> go.Figure:
    """Open risks before, + new, − closed, = open now."""
    steps = summary.steps()
    fig = go.Figure(
        go.Waterfall(
            x=[_l(k, lang) for k, _ in steps],
            y=[v for _, v in steps],
            measure=["absolute", "relative", "relative", "total"],
            text=[str(v) for _, v in steps],
            textposition="outside",
            increasing={"marker": {"color": BAND_COLOURS["critical"]}},
            decreasing={"marker": {"color": BAND_COLOURS["low"]}},
            totals={"marker": {"color": "#546e7a"}},
        )
    )
    fig.update_layout(margin={"l": 40, "r": 10, "t": 20, "b": 40}, height=280, showlegend=False)
    return fig
