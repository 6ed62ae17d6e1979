"""Small rendering helpers pages share: empty states, errors, tiles, lights and downloads."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

import pandas as pd
import streamlit as st

from loaders import settings
from loaders.errors import CockpitError
from metrics import export
from pages.components import nav, session, store
from pages.components.i18n import catalogue, column_label, lang, t

# Status lights are drawn, never emoji (a colour-emoji font is not on every machine): a badge in text, a
# coloured cell in tables. Keys are the metrics' status keys.
LIGHT_COLOURS = {"green": "#2e7d32", "amber": "#ef6c00", "red": "#c62828", "none": "#78909c"}
LIGHT_BADGES = {"green": "green", "amber": "orange", "red": "red", "none": "gray"}
DASH = "—"
# A table longer than this shows its first rows on screen (the downloads hold every row) and writes its files only
# when a button is clicked: a 20,000-row table styled and written to Excel on every run cost 25 s a rerun.
SHOWN_ROWS = 1_000
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


_AUTOLINK = re.compile(r"(?i)(www)(\.)|(:)(//)|(@)(?=\w)")  # what GFM turns into links without any markup


def escape_markdown(text: object) -> str:
    """Text from data shown inside markdown-rendering elements stays literal text: markup escaped, and a zero-width
    space breaks the bare URLs, www. names and e-mail addresses the renderer would otherwise turn into links."""
    unlinked = _AUTOLINK.sub(
        lambda m: "@\u200b" if m.group(5) else "\u200b".join(g for g in m.groups() if g), str(text)
    )
    return _MD_SPECIAL.sub(r"\\\1", unlinked)


def error(exc: CockpitError) -> None:
    """Show an expected error: its title (translated) and its message, never a traceback."""
    title = t(f"common.error.{type(exc).__name__}") if _has_key(f"common.error.{type(exc).__name__}") else exc.title
    st.error(f"**{escape_markdown(title)}**  \n{escape_markdown(exc.message)}", icon=":material/error:")


def _has_key(key: str) -> bool:
    from pages.components.i18n import catalogue

    return key in catalogue()


def store_ok() -> bool:
    """True when the store opens; otherwise shows the admin message (locked, corrupt) with a retry button."""
    try:
        store.cursor()
    except CockpitError as exc:
        error(exc)
        st.caption(t("common.store.retry_hint"))
        st.button(t("common.store.retry"), key="store_retry")
        return False
    return True


def require_data() -> bool:
    """When the store holds no data, show the empty state pointing to the data page and return False."""
    if not store_ok():
        return False
    if store.has_data():
        return True
    st.info(t("common.empty.title"), icon=":material/inbox:")
    st.caption(t("common.empty.body"))
    if nav.has_page("data.py"):
        st.page_link(str(nav.PAGES_DIR / "data.py"), label=t("common.empty.go"), icon=":material/upload_file:")
    return False


def empty(key: str) -> None:
    """An info box for "nothing for these filters": an empty result is a state, not an error."""
    st.info(t(key), icon=":material/filter_alt_off:")


def tile(label: str, value: str, delta: str | None = None, good: bool | None = None, help: str | None = None) -> None:
    """A metric tile; `good` says whether the delta is good news (green) or bad news (red).

    The arrow follows the sign of a numeric delta ("+3", "-2 d") and is left out for words ("3 critical")."""
    color: Literal["green", "red", "off"] = "off" if delta is None or good is None else ("green" if good else "red")
    numeric = delta is not None and delta.strip()[:1] in ("+", "-", "−") or (delta or "")[:1].isdigit()
    arrow: Literal["auto", "off"] = "auto" if numeric else "off"
    st.metric(label, value, delta=delta, delta_color=color, delta_arrow=arrow, help=help, border=True)


def light_word(status: str) -> str:
    """A light's status in words in the user's language ("正常" / "On track")."""
    return t(f"common.light.{status if status in LIGHT_COLOURS else 'none'}")


def light(status: str) -> str:
    """A status light as a coloured Markdown badge (":green-badge[正常]") for st.markdown, captions and labels."""
    key = status if status in LIGHT_BADGES else "none"
    return f":{LIGHT_BADGES[key]}-badge[{light_word(key)}]"


def money_unit() -> tuple[float, str]:
    """(divisor, unit) of money in tables and Excel: 万元 for Chinese users (setting money_unit_zh), CNY in English."""
    if lang() == "zh":
        return (1.0, "元") if settings.get("money_unit_zh").strip().lower() == "yuan" else (10_000.0, "万元")
    return 1.0, "CNY"


def header(area: str | None, column: str) -> str:
    """A column's header in the user's language: the area's own label (`<area>.col.<name>`), else the first one
    any area gives it."""
    key = f"{area}.col.{column}"
    return t(key) if area and key in catalogue() else column_label(column)


def table_frame(
    df: pd.DataFrame,
    area: str | None,
    columns: Sequence[str] | None = None,
    money: Sequence[str] = (),
    lights: Sequence[str] = (),
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The table as the user reads it: the chosen columns, money in the user's unit, lights in words, days
    without "00:00:00"; headed in the user's language (money headers carry the unit). Returns the frame and the
    header of each original column."""
    out = df[list(columns)].copy() if columns is not None else df.copy()
    divisor, unit = money_unit()
    heads: dict[str, str] = {}
    for c in out.columns:
        name = str(c)
        heads[name] = header(area, name)
        if name in money:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64") / divisor
            heads[name] = t("common.unit.header", label=heads[name], unit=unit)
        elif pd.api.types.is_bool_dtype(out[c]) or _all_bool(out[c]):
            words = {True: t("common.yes"), False: t("common.no")}
            out[c] = pd.Series(
                [words.get(v) if isinstance(v, bool) else None for v in out[c]], index=out.index, dtype=object
            )
        elif name in lights:
            out[c] = pd.Series(
                [None if v is None else light_word(str(v)) for v in out[c]], index=out.index, dtype=object
            )
        elif pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = pd.Series(
                [None if pd.isna(v) else export.cell_value(v) for v in out[c]], index=out.index, dtype=object
            )
    return out.rename(columns=heads), heads


def _all_bool(col: pd.Series) -> bool:
    values = [v for v in col if v is not None and not (isinstance(v, float) and v != v)]
    return bool(values) and all(isinstance(v, bool) for v in values)


def _styled(
    frame: pd.DataFrame, heads: dict[str, str], money: Sequence[str], percent: Sequence[str], index: Sequence[str],
    lights: Sequence[str],
) -> Any:  # fmt: skip
    """Display formats: money and indices with two decimals, shares as percentages, "—" for every empty cell
    (never "None"), lights as coloured badges."""
    fmts: dict[str, Any] = {}
    for names, spec in ((money, "{:,.2f}"), (percent, "{:.1%}"), (index, "{:.2f}")):
        fmts.update({heads[c]: spec for c in names if c in heads})
    styler = frame.style.format(fmts, na_rep=DASH)
    colours = {light_word(k): v for k, v in LIGHT_COLOURS.items()}
    for c in lights:
        if c in heads:
            styler = styler.map(
                lambda v: f"background-color: {colours[v]}; color: white" if v in colours else "", subset=[heads[c]]
            )
    return styler


def table(
    df: pd.DataFrame,
    name: str,
    *,
    area: str | None,
    columns: Sequence[str] | None = None,
    money: Sequence[str] = (),
    percent: Sequence[str] = (),
    index: Sequence[str] = (),
    lights: Sequence[str] = (),
    key: str | None = None,
    download_too: bool = True,
    shade: str | None = None,
    widths: dict[str, Any] | None = None,
    rows: int = SHOWN_ROWS,
) -> None:
    """A table and its downloads, both showing exactly the same columns under the same headers and units.
    `shade`: a boolean column of `df` whose true rows are shaded (e.g. reviews overdue). `widths`: columns kept
    narrow (long text is cut in the cell, whole on hover) so the table fits the page at 1440 px. A column's
    `<area>.help.<name>` string, when there is one, is its header's tooltip. `rows`: how many rows the screen
    shows (a page with several long tables may show fewer; the files still hold every row)."""
    frame, heads = table_frame(df.head(rows), area, columns, money, lights)  # only what is shown
    styler = _styled(frame, heads, money, percent, index, lights)
    if shade is not None and shade in df.columns:
        marked = [not pd.isna(v) and bool(v) for v in df[shade].head(rows)]  # an unknown is not shaded
        shading = pd.DataFrame("", index=frame.index, columns=frame.columns)
        shading.loc[marked] = "background-color: #fff3cd"
        styler = styler.apply(lambda _: shading, axis=None)  # the whole frame at once, not a Series per row
    config: dict[str, Any] = {}
    for c, head in heads.items():
        tip = f"{area}.help.{c}"
        width = (widths or {}).get(c)
        if width is not None or tip in catalogue():
            config[head] = st.column_config.Column(help=t(tip) if tip in catalogue() else None, width=width)
    st.dataframe(styler, hide_index=True, width="stretch", column_config=config or None)
    if len(df) > len(frame):
        st.caption(t("common.table.first_rows", shown=f"{len(frame):,}", total=f"{len(df):,}"))
    if download_too:  # a long table's file is read as shown (every row) when its button is clicked
        whole = frame if len(df) <= rows else lambda: table_frame(df, area, columns, money, lights)[0]
        _buttons(whole, name, key, len(df), [heads[c] for c in money if c in heads], [heads[c] for c in percent if c in heads],
                 [heads[c] for c in index if c in heads])  # fmt: skip


def download(
    df: pd.DataFrame,
    name: str,
    money_columns: tuple[str, ...] = (),
    key: str | None = None,
    *,
    area: str | None = None,
    columns: Sequence[str] | None = None,
    percent: Sequence[str] = (),
) -> None:
    """Excel (.xlsx, formula-safe, real number formats) and CSV download buttons for `df`, headed in the user's
    language (the `area`'s labels first); money in the user's unit with the unit in its header."""
    frame, heads = table_frame(df, area, columns, money_columns)
    _buttons(frame, name, key, len(frame), [heads[c] for c in money_columns if c in heads],
             [heads[c] for c in percent if c in heads], [])  # fmt: skip


def _buttons(
    df: pd.DataFrame | Callable[[], pd.DataFrame], name: str, key: str | None, rows: int, money: list[str],
    percent: list[str], index: list[str],
) -> None:  # fmt: skip
    key = key or f"dl_{name}"
    xlsx, csv = files(df, name, money, percent, index)
    left, right = st.columns(2)
    # on_click="ignore": a click does not rerun the page. A deferred file's link lasts only until the next run, so
    # a rerun on every click (it wrote the audit record) left a second button clicked before the browser had the new
    # links downloading nothing (seen in Chromium); the audit record is written by the file's maker instead.
    left.download_button(
        t("common.download.xlsx"),
        data=session.audited(xlsx, f"{name}.xlsx", f"{rows} rows"),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        t("common.download.csv"),
        data=session.audited(csv, f"{name}.csv", f"{rows} rows"),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click="ignore",
    )


def files(
    df: pd.DataFrame | Callable[[], pd.DataFrame], name: str, money: list[str], percent: list[str], index: list[str]
) -> tuple[Callable[[], bytes], Callable[[], bytes]]:
    """Functions that write a table's Excel and CSV bytes when the button is clicked (Streamlit's deferred
    download), so a run nobody downloads writes no file (11-13 ms a run on the demo's risks, money and adoption
    pages; a long table's whole frame, given as a function, is made only then)."""

    def frame() -> pd.DataFrame:
        return df() if callable(df) else df

    def xlsx() -> bytes:
        return export.to_xlsx(frame(), sheet=name, money_columns=money, percent_columns=percent, number_columns=index)

    def csv() -> bytes:
        return export.to_csv(frame(), percent_columns=percent)

    return xlsx, csv
