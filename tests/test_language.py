"""One language at a time: every page on the demo store, read as the user reads it (titles, captions, labels,
options, tiles, table headers and cells, chart titles, axes, legends, hover and colour-bar texts), shows no
English words in Chinese and no Chinese characters in English, once the data's own values (project, department,
vendor, risk titles, units as typed...) are taken out. "None", "nan" and "NaT" count as English."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from pages.components.ui import escape_markdown
from tests.test_app import PAGES, assert_clean, open_page

# Our own abbreviations, the same in both languages (earned value terms, file kinds, the currency code).
ACRONYMS = {"BAC", "PV", "EV", "AC", "SV", "CV", "SPI", "CPI", "EAC", "ETC", "VAC", "TCPI", "KPI", "Excel", "CSV",
            "PDF", "PPT", "PPTX", "PMO"}  # fmt: skip
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z]{2,}")
# Markup that is never shown: Streamlit badges/colours/icons, Plotly placeholders and tags.
# ... and the names of settings (environment variables), which are the same in every language.
MARKUP = re.compile(r":[a-z]+(?:-[a-z]+)*\[|:material/[a-z_]+:|%\{[^}]*\}|\bCOCKPIT_[A-Z_]+\b")
TAGS = re.compile(r"<[^>]+>|&[a-z]+;")


def data_values(db: Path) -> list[str]:
    """Every text value the store holds in its contract views, longest first (so 神经内科 goes before 内科)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
            " AND table_name IN ('tasks', 'budget', 'costs', 'risks', 'changes', 'usage', 'kpis',"
            " 'gate_criteria', 'training', 'feedback', 'supervision', 'dept_readiness',"
            " 'quality_checks', 'emr_items', 'grading_targets')"
        ).fetchall()
        values: set[str] = set()
        cols += [("imports", "file_name"), ("imports", "sheet")]  # file names as they were uploaded
        for table, column in cols:
            rows = con.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall()  # noqa: S608 - our names
            values |= {str(r[0]) for r in rows if r[0] is not None and str(r[0]).strip()}
    finally:
        con.close()
    shown = set(values)
    for v in values:  # as charts (HTML-escaped) and markdown (backslash-escaped) show them
        shown.add(html.escape(v, quote=False))
        shown.add(escape_markdown(v))
    return sorted(shown, key=len, reverse=True)


def strings(node: Any) -> Iterator[str]:
    """Every string inside a parsed Plotly spec that a user can see (not colours, formats or ids)."""
    skip = {"type", "mode", "xref", "yref", "xanchor", "yanchor", "hoverinfo", "orientation", "textposition",
            "tickformat", "hoverformat", "dash", "shape", "symbol", "color", "fillcolor", "bgcolor", "barmode",
            "hovermode", "uid", "autorange", "side", "constrain", "template", "legendgroup", "layer", "value",
            "texttemplate", "dtickrange", "rangemode", "xaxis", "yaxis", "tickmode", "fill", "line", "family",
            "measure", "customdata", "ids", "bdata", "dtype", "clickmode", "dragmode", "name_key", "meta",
            "selectdirection", "hoverlabel", "font", "pattern", "ticks", "showticklabels", "anchor", "overlaying",
            "matches", "scaleanchor", "valign", "align", "xside", "yside", "editrevision", "uirevision",
            "insidetextanchor", "constraintext", "textangle"}  # fmt: skip
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "name" and ("x0" in node or "showarrow" in node):  # shapes' and notes' names: ids, not shown
                continue
            if k in skip or k.endswith(("src", "color", "colorscale")):
                continue
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)
    elif isinstance(node, str):
        yield node


def seen(at: AppTest) -> list[str]:
    """What the page shows as text."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "success", "warning", "error"):
        out += [str(e.value) for e in at.get(kind)]
    for e in at.get("metric"):
        out += [str(e.label), str(e.value), str(e.proto.delta or ""), str(e.help or "")]
    for kind in ("selectbox", "radio", "multiselect"):
        for w in at.get(kind):
            if w.key != "lang_switch":  # the language switch names each language in its own words, on purpose
                out += [str(w.label), *(str(o) for o in w.options)]
    for kind in ("toggle", "button", "date_input", "checkbox", "text_input", "number_input"):
        out += [str(w.label) for w in at.get(kind)]
    out += [str(e.label) for e in at.get("tab")] + [str(e.label) for e in at.get("expander")]
    out += [str(e.proto.label) for e in at.get("download_button")]
    for frame in at.get("arrow_data_frame"):
        df = frame.value
        out += [str(c) for c in df.columns]
        for col in df.columns:
            out += [str(v) for v in df[col] if isinstance(v, str)]
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        out += list(strings({"data": spec.get("data"), "layout": {k: v for k, v in spec.get("layout", {}).items()
                                                                  if k != "template"}}))  # fmt: skip
    return out


def leftovers(texts: list[str], values: list[str]) -> list[str]:
    out = []
    for s in texts:
        s = MARKUP.sub(" ", s)
        for v in values:
            if v in s:
                s = s.replace(v, " ")
        out.append(TAGS.sub(" ", s))
    return out


ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


def english_date_axes(at: AppTest) -> list[str]:
    """Chart axes that hold dates but would be labelled by Plotly's English month names (no Chinese format)."""
    bad = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        xs = [x for tr in spec.get("data", []) if isinstance(tr.get("x"), list) for x in tr["x"][:3]]
        dated = any(isinstance(x, str) and ISO_DAY.match(x) for x in xs)
        for name, axis in spec.get("layout", {}).items():
            if not name.startswith("xaxis") or not (axis.get("type") == "date" or (dated and name == "xaxis")):
                continue
            if axis.get("type") == "category" or axis.get("visible") is False:
                continue
            ticks = axis.get("tickformatstops") or axis.get("tickformat")
            if not ticks or "%b" in json.dumps(ticks) or "%b" in str(axis.get("hoverformat", "%b")):
                bad.append(f"{chart.proto.id}:{name}")
    return bad


@pytest.fixture(scope="module")
def values(demo_template: Path) -> list[str]:
    return data_values(demo_template)


@pytest.mark.parametrize("page", PAGES)
def test_chinese_pages_show_no_english(demo_db: Path, values: list[str], page: str) -> None:
    at = open_page(demo_db, page, "zh")
    assert_clean(at)
    found = {(w, s.strip()[:80]) for s in leftovers(seen(at), values) for w in WORD.findall(s) if w not in ACRONYMS}
    assert not found, sorted(found)[:40]
    assert not english_date_axes(at)  # Plotly's own month names are English: every date axis has a 中文 format


@pytest.mark.parametrize("page", PAGES)
def test_english_pages_show_no_chinese(demo_db: Path, values: list[str], page: str) -> None:
    at = open_page(demo_db, page, "en")
    assert_clean(at)
    found = {s.strip()[:80] for s in leftovers(seen(at), values) if CJK.search(s)}
    assert not found, sorted(found)[:40]
