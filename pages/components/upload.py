"""Streamlit helpers of the data page: staged uploads, their preview and column mapping, loading, history, undo.

Uploads wait in st.session_state["data.pending"] as (name, bytes) until they are staged as private temporary
files (tests put files there directly: AppTest cannot drive st.file_uploader). Nothing reaches the store
before the user presses a load button.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from auth import mapping as mapping_guard
from auth import roles
from loaders import importer, mpp, settings, templates
from loaders.datasets import DATASETS
from loaders.errors import CockpitError, ImportBusy
from loaders.headers import ColumnMap
from loaders.store import as_hospital
from metrics import imports
from metrics.scope import Scope
from pages.components import session, store, ui
from pages.components.i18n import lang, t

PENDING = "data.pending"  # list[(file name, bytes)] waiting to be staged
STAGED = "data.staged"  # list[dict]: one entry per staged file
RESULTS = "data.results"  # list[(kind, text)] shown once after a load, cancel or undo
CONFIRM_UNDO = "data.confirm_undo"
TYPES = ["xlsx", "xlsm", "xls", "csv", "txt", "xml", "gan", *(e.lstrip(".") for e in mpp.MPXJ_EXTENSIONS)]
PREVIEW_ROWS = 20
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Item = dict[str, Any]


def shown(name: str) -> str:
    """A user's file name made safe to show: control characters replaced, markdown escaped, length capped."""
    clean = "".join(ch if ch.isprintable() else "\ufffd" for ch in name)
    return ui.escape_markdown(clean[:120] + ("…" if len(clean) > 120 else ""))


def dataset_label(name: str) -> str:
    ds = DATASETS.get(name)
    if ds is None:
        return name
    return ds.label_zh if lang() == "zh" else ds.label_en


def field_label(dataset: str, field: str) -> str:
    """A field as the user knows it (预算金额 / Budget amount), never its internal name."""
    if not field:
        return t("data.map.ignore")
    ds = DATASETS[dataset]
    f = ds.field(field)
    return templates.header_for(ds, f) if lang() == "zh" else templates.english_name(f)


def labelled(df: pd.DataFrame) -> dict[str, str]:
    return {c: t(f"data.col.{c}") for c in df.columns}


_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


def _cjk_share(text: str) -> float:
    chars = [ch for ch in text if not ch.isspace()]
    return sum(1 for ch in chars if _CJK.match(ch)) / max(1, len(chars))


def in_lang(text: str) -> str:
    """The user's half of an importer message written "中文 / English" (the whole text when it has no such split).

    The split is the first " / " after which the text is mostly not Chinese (the English half may quote a
    Chinese header or unit: '金额' unit: 万元)."""
    pos = text.find(" / ")
    while pos >= 0:
        left, right = text[:pos], text[pos + 3 :]
        if _CJK.search(left) and _cjk_share(right) < 0.34 and _cjk_share(left) > _cjk_share(right):
            return left if lang() == "zh" else right
        pos = text.find(" / ", pos + 3)
    return text


def upload_limit_mb() -> int:
    """The importer's file-size limit, capped by what the server accepts (server.maxUploadSize)."""
    server = int(st.get_option("server.maxUploadSize"))
    return max(1, min(int(settings.get_float("max_file_mb")), server))


# ---------------------------------------------------------------------------------------------- staging


def uploader() -> None:
    """The file picker; picked files move to the pending list and the picker starts empty again."""
    gen = st.session_state.get("data.uploader_gen", 0)
    limit = upload_limit_mb()
    files = st.file_uploader(
        t("data.upload.label", mb=limit),
        type=TYPES,
        accept_multiple_files=True,
        key=f"data_upl_{gen}",
        max_upload_size=limit,
        help=t("data.upload.limit", mb=limit),
    )
    if files:
        st.session_state.setdefault(PENDING, []).extend((f.name, f.getvalue()) for f in files)
        st.session_state["data.uploader_gen"] = gen + 1


def stage_pending() -> list[Item]:
    """Copy pending uploads to private temporary files (our names, never the user's); return the staged list."""
    staged: list[Item] = st.session_state.setdefault(STAGED, [])
    for raw_name, data in st.session_state.pop(PENDING, None) or []:
        name = str(raw_name).replace("\x00", "")  # a NUL in a name breaks every later use of it
        if not session.upload_allowed(len(data)):  # per-session quota of staged files and bytes
            st.warning(session.quota_message(), icon=":material/block:")
            continue
        seq = st.session_state.get("data.seq", 0) + 1
        st.session_state["data.seq"] = seq
        suffix = "".join(re.findall(r"\.[A-Za-z0-9]{1,5}$", str(name)))
        path = importer.tmp_copy(bytes(data), suffix, owner=session.upload_owner(), db_file=store.db_path())
        staged.append({"id": seq, "name": str(name), "path": str(path), "mapping": {}, "dataset": None})
    return staged


def _widget(item: Item, what: str) -> str:
    return f"data_{what}_{item['id']}"


def prepared(con: duckdb.DuckDBPyConnection, item: Item) -> list[importer.Prepared] | CockpitError:
    """The importer's preview of a staged file, computed once per choice of dataset, project, date and mapping."""
    ss = st.session_state
    chosen = ss.get(_widget(item, "ds")) or item["dataset"]
    project = (ss.get(_widget(item, "project")) or "").strip() or None
    as_of = ss.get(_widget(item, "asof"))
    stage = ss.get(_widget(item, "stage")) or None
    key = (chosen, project, as_of, stage, tuple(sorted(item["mapping"].items())))
    cached = ss.get(f"data.prep.{item['id']}")
    if cached is not None and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    _release(cached)
    result: list[importer.Prepared] | CockpitError
    try:
        with as_hospital(session.hospital()):  # what it would replace is its own hospital's rows
            result = importer.prepare(
                item["path"],
                display_name=item["name"],
                dataset=chosen,
                project=project,
                as_of=as_of if isinstance(as_of, dt.date) else None,
                mapping=item["mapping"] or None,
                con=con,
                stage=stage,
            )
    except CockpitError as exc:
        result = exc
    # a preview stores nothing, not even in the history: only a confirmed import (or its refusal) is recorded
    ss[f"data.prep.{item['id']}"] = (key, result)
    return result


def _release(cached: object) -> None:
    """Free the staging databases of a preview that is replaced or dropped."""
    if isinstance(cached, tuple) and isinstance(cached[1], list):
        for prep in cached[1]:
            prep.discard()


def discard(item: Item, message: tuple[str, str] | None = None) -> None:
    """Forget a staged file and delete its temporary copy."""
    imports.discard_upload(item["path"])
    st.session_state[STAGED] = [i for i in st.session_state.get(STAGED, []) if i["id"] != item["id"]]
    _release(st.session_state.pop(f"data.prep.{item['id']}", None))
    if message:
        st.session_state.setdefault(RESULTS, []).append(message)


# ---------------------------------------------------------------------------------------------- one file


def options_row(item: Item, detected: str | None, defaults: dict[str, str] | None = None) -> None:
    """Dataset override, the project of a file without a project column, the as-of date of plans and registers,
    and the money stage of a cost ledger without a stage column."""
    # format_func gets plain dict lookups: AppTest calls it outside a script run, where lang() is unknown
    names = {"": t("data.file.auto"), **{n: dataset_label(n) for n in DATASETS}}
    left, mid, right = st.columns(3)
    left.selectbox(
        t("data.file.dataset"),
        list(names),
        format_func=names.__getitem__,
        key=_widget(item, "ds"),
    )
    chosen = st.session_state.get(_widget(item, "ds")) or detected
    if not chosen or any(f.name == "project" for f in DATASETS[chosen].fields):
        mid.text_input(t("data.file.project"), key=_widget(item, "project"), placeholder=t("data.file.project_ph"))
    if chosen and DATASETS[chosen].mode == "snapshot":
        right.date_input(t("data.file.as_of"), value=None, key=_widget(item, "asof"), help=t("data.file.as_of_help"))
    if chosen == "costs" and (defaults or {}).get("stage"):
        stages = {s: t(f"data.stage.{s}") for s in ("paid", "invoiced", "committed")}
        right.selectbox(
            t("data.file.stage"),
            list(stages),
            format_func=stages.__getitem__,
            key=_widget(item, "stage"),
            help=t("data.file.stage_help"),
        )


def mapping_editor(item: Item, dataset: str, columns: list[ColumnMap], expanded: bool) -> None:
    """A selectbox per unrecognised header; applying re-runs the importer's check with the mapping."""
    todo = [c for c in columns if c.field is None and c.header]
    if not todo:
        return
    fields = ["", *(f.name for f in DATASETS[dataset].fields)]
    labels = {f: field_label(dataset, f) for f in fields}
    repeated = {c.header for c in columns if sum(1 for o in columns if o.header == c.header) > 1}
    with st.expander(t("data.map.header"), expanded=expanded):
        st.caption(t("data.map.help", dataset=dataset_label(dataset)))
        chosen: dict[str, str] = {}
        for c in todo:
            # a repeated header (inherent vs residual Likelihood) is told apart by its Excel column letter
            key = f"#{c.letter}" if c.header in repeated else c.header
            current = item["mapping"].get(key, "")
            hint = (
                t("data.map.maybe", fields="、".join(labels[f] for f in c.candidates if f in labels))
                if c.candidates
                else None
            )
            chosen[key] = st.selectbox(
                t("data.map.column", letter=c.letter, header=shown(c.header)),
                fields,
                index=fields.index(current) if current in fields else 0,
                format_func=labels.__getitem__,
                key=f"data_map_{item['id']}_{c.index}",
                help=hint,
            )
        if st.button(t("data.map.apply"), key=_widget(item, "apply"), icon=":material/sync:"):
            item["mapping"] = {**item["mapping"], **chosen}
            item["dataset"] = dataset
            st.rerun()


def problems_table(item: Item, problems: list[Any]) -> None:
    """The full problem report, filterable by severity, with Excel/CSV downloads."""
    df = importer.problems_frame(problems)
    if df.empty:
        return
    st.markdown(f"**{t('data.preview.problems')}**")
    severities = {s: t(f"data.severity.{s}") for s in sorted(df["severity"].unique())}
    picked = st.multiselect(
        t("data.preview.severity"),
        list(severities),
        default=list(severities),
        format_func=severities.__getitem__,
        key=_widget(item, "sev"),
    )
    view = df[df["severity"].isin(picked)].assign(
        severity=lambda d: d["severity"].map(severities), problem=lambda d: d["problem"].map(in_lang)
    )
    st.dataframe(view, column_config=labelled(view), hide_index=True, width="stretch")
    ui.download(view, "problems", key=_widget(item, "problems"))


def mapping_frame(prep: importer.Prepared) -> pd.DataFrame:
    """How each column of the file maps: Excel letter, header, field (its label), how and how sure."""
    rows = [
        {
            "letter": c.letter,
            "source": c.header,
            "field": field_label(prep.dataset, c.field) if c.field else "—",
            "how": t(f"data.how.{c.how}"),
            "confidence": f"{c.confidence:.0%}" if c.field or c.how == "doubtful" else "—",
        }
        for c in prep.columns
        if c.header
    ]
    return pd.DataFrame(rows, columns=["letter", "source", "field", "how", "confidence"])


def preview_rows(prep: importer.Prepared) -> pd.DataFrame:
    """The first rows as they will be stored, headed by the fields' labels (never internal names)."""
    df = prep.head(PREVIEW_ROWS)
    names = {
        c: field_label(prep.dataset, c) for c in df.columns if c in {f.name for f in DATASETS[prep.dataset].fields}
    }
    return df.rename(columns={"row_no": t("data.col.row"), **names})


def sheet_preview(prep: importer.Prepared, con: duckdb.DuckDBPyConnection | None = None) -> None:
    st.caption(
        t(
            "data.file.summary",
            sheet=shown(prep.sheet) if prep.sheet else t("data.file.no_sheet"),
            dataset=dataset_label(prep.dataset),
            header=prep.header_row,
            valid=prep.row_count,
            total=prep.data_rows or prep.row_count,
        )
    )
    if DATASETS[prep.dataset].mode == "snapshot":
        st.caption(t("data.file.snapshot", project=shown(prep.project or "—"), as_of=prep.as_of or "—"))
    elif con is not None and (replaces := imports.replacement_statement(con, prep, lang())):
        st.caption(replaces)  # "将替换 3 月 HIS 项目来自《付款台账》的 12 行", before anything is stored
    for note in prep.notes:  # the money unit and where it was written, a default stage, an unpivoted layout
        st.caption(shown(in_lang(note)))
    overridden = mapping_guard.overrides(prep.dataset, prep.columns)
    if overridden:  # a saved mapping sends a column the importer recognised somewhere else
        names = ", ".join(f"{shown(h)} → {saved or '—'} ({auto})" for h, saved, auto in overridden)
        st.warning(t("auth.mapping_override", columns=names), icon=":material/warning:")
    if prep.columns:
        st.markdown(f"**{t('data.preview.mapping')}**")
        mapping = mapping_frame(prep)
        st.dataframe(mapping, column_config=labelled(mapping), hide_index=True, width="stretch")
    st.markdown(f"**{t('data.preview.rows')}**")
    st.dataframe(preview_rows(prep), hide_index=True, width="stretch")


def file_panel(con: duckdb.DuckDBPyConnection, item: Item) -> None:
    """Everything about one staged file: options, preview or refusal, mapping, and the load/cancel buttons."""
    with st.container(border=True):
        st.markdown(f"#### {shown(item['name'])}")
        result = prepared(con, item)
        detected = result[0].dataset if isinstance(result, list) else item["dataset"]
        options_row(item, detected, result[0].defaults if isinstance(result, list) else None)
        if isinstance(result, CockpitError):
            st.error(t("data.file.refused"), icon=":material/block:")
            st.error(shown(in_lang(result.message)), icon=":material/error:")
            problems_table(item, result.problems)
            chosen = st.session_state.get(_widget(item, "ds")) or item["dataset"]
            guess = imports.header_columns(item["path"], item["name"], chosen)
            if guess is not None:
                mapping_editor(item, guess[0], guess[1], expanded=True)
            if st.button(t("data.btn.cancel"), key=_widget(item, "cancel"), icon=":material/close:"):
                discard(item, ("info", t("data.result.cancelled", name=shown(item["name"]))))
                st.rerun()
            return
        problems = [p for prep in result for p in prep.report.problems]
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = len(problems) - errors
        if errors:
            st.warning(t("data.file.errors", errors=errors, warnings=warnings), icon=":material/report:")
        else:
            st.success(t("data.file.warnings", warnings=warnings) if warnings else t("data.file.ok"))
        for prep in result:
            sheet_preview(prep, con)
            mapping_editor(item, prep.dataset, prep.columns, expanded=False)
        problems_table(item, problems)
        if item["mapping"] and session.may(roles.SAVE_MAPPING):
            st.checkbox(t("data.map.remember"), key=_widget(item, "remember"))
        valid = sum(prep.row_count for prep in result)
        b1, b2, b3 = st.columns(3)
        load = b1.button(t("data.btn.load"), key=_widget(item, "load"), type="primary", disabled=bool(errors))
        skip = b2.button(t("data.btn.load_valid"), key=_widget(item, "skip"), disabled=not errors or not valid)
        if b3.button(t("data.btn.cancel"), key=_widget(item, "cancel"), icon=":material/close:"):
            discard(item, ("info", t("data.result.cancelled", name=shown(item["name"]))))
            st.rerun()
        if load or skip:
            commit(con, item, result, skip_invalid=skip)


def commit(con: duckdb.DuckDBPyConnection, item: Item, preps: list[importer.Prepared], skip_invalid: bool) -> None:
    """Store every table of the file, each in its own transaction, with a progress bar; then forget the upload."""
    if not session.may(roles.IMPORT):  # the page list already hides this page; a second lock on the door
        session.record("refused", target=item["name"], result="import", detail="role may not import")
        st.error(t("auth.refused"))
        return
    if st.session_state.get(_widget(item, "remember")) and session.may(roles.SAVE_MAPPING):
        for prep in preps:
            repeated = {c.header for c in prep.columns if sum(1 for o in prep.columns if o.header == c.header) > 1}
            saved = {(f"#{c.letter}" if c.header in repeated else c.header): c.field or "" for c in prep.columns}
            importer.save_mapping(con, prep.signature, prep.dataset, saved)
            session.record("mapping", target=item["name"], detail=f"{prep.dataset} {prep.signature}: {saved}")
        st.session_state.setdefault(RESULTS, []).append(("info", t("data.map.remembered")))
    bar = st.progress(0.0)

    def progress(done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0, text=t("data.progress", done=done, total=total))

    messages: list[tuple[str, str]] = []
    for prep in preps:
        try:
            with as_hospital(session.hospital()):  # a person bound to a hospital imports as that hospital
                res = importer.commit(con, prep, skip_invalid=skip_invalid, progress=progress, user=session.user_name())
            session.record("import", target=prep.file_name, result=res.status, detail=f"#{res.import_id} {res.rows}")
        except ImportBusy as exc:
            st.warning(f"{t('data.busy')}  \n{shown(in_lang(exc.message))}", icon=":material/hourglass_top:")
            return  # the upload stays staged so the user can retry
        except CockpitError as exc:  # StoreUnavailable (locked, disk full), ValidationFailed: rolled back
            st.error(shown(in_lang(exc.message)), icon=":material/error:")
            return
        name = shown(prep.file_name + (f" / {prep.sheet}" if prep.sheet else ""))
        if res.status == "loaded":
            messages.append(("success", t("data.result.loaded", name=name, rows=res.rows, id=res.import_id)))
        else:
            messages.append(
                ("info", t("data.result.other", name=name, message=ui.escape_markdown(in_lang(res.message))))
            )
    for message in messages:
        st.session_state.setdefault(RESULTS, []).append(message)
    discard(item)
    st.rerun()


def show_results() -> None:
    """Messages of the last load, cancel or undo, shown once."""
    show = {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}
    for kind, text in st.session_state.pop(RESULTS, None) or []:
        show[kind](text)


# ---------------------------------------------------------------------------------------------- history


def history_panel(con: duckdb.DuckDBPyConnection) -> None:
    """The import log, and for a chosen import: its original file and an undo that asks first."""
    # Read directly, not through store.load: a refusal is logged without changing the data version.
    df = imports.history(con, roles.bind(Scope(), session.current()))  # a bound person: their hospital's
    if df.empty:
        st.caption(t("data.history.empty"))
        return
    view = df.drop(columns=["stored_file", "sheet"]).assign(
        dataset=df["dataset"].map(dataset_label), status=df["status"].map(lambda s: t(f"data.status.{s}"))
    )
    if "message" in view.columns:  # the importer writes "中文 / English": each user reads their half
        view = view.assign(message=view["message"].map(lambda m: in_lang(m) if isinstance(m, str) else m))
    st.dataframe(view, column_config=labelled(view), hide_index=True, width="stretch")
    by_id: dict[int, dict[Any, Any]] = {int(r["import_id"]): r for r in df.to_dict("records")}
    options = {
        i: t("data.history.option", id=i, file=r["file_name"] or "—", status=t(f"data.status.{r['status']}"))
        for i, r in by_id.items()
    }
    picked = st.selectbox(
        t("data.history.pick"),
        list(options),
        format_func=options.__getitem__,
        key="data_hist_pick",
    )
    if picked is None:
        return
    row = by_id[int(picked)]
    left, right = st.columns(2)
    kept = imports.stored_file(con, int(picked)) if session.may(roles.DOWNLOAD_ORIGINAL) else None
    if kept is not None:
        left.download_button(
            t("data.history.download"),
            data=session.audited(functools.partial(imports.read_stored, kept), f"original #{picked}", None),
            file_name=str(row["file_name"] or kept.name),
            key="data_hist_download",
            on_click="ignore",  # no rerun: the file's maker writes the audit record (ui._buttons says why)
            icon=":material/download:",
        )
    else:
        left.caption(t("data.history.no_file"))
    if row["status"] == "loaded" and right.button(t("data.undo.button"), key="data_undo", icon=":material/undo:"):
        st.session_state[CONFIRM_UNDO] = int(picked)
    if st.session_state.get(CONFIRM_UNDO) == int(picked):
        confirm_undo(con, int(picked), str(row["file_name"] or "—"))


def confirm_undo(con: duckdb.DuckDBPyConnection, import_id: int, file_name: str) -> None:
    st.warning(t("data.undo.confirm", id=import_id, file=shown(file_name)), icon=":material/undo:")
    yes, no = st.columns(2)
    if no.button(t("data.undo.no"), key="data_undo_no"):
        st.session_state.pop(CONFIRM_UNDO, None)
        st.rerun()
    if yes.button(t("data.undo.yes"), key="data_undo_yes", type="primary"):
        st.session_state.pop(CONFIRM_UNDO, None)
        if not session.may(roles.UNDO):
            st.error(t("auth.refused"))
            return
        try:
            res = importer.undo(con, import_id, user=session.user_name(), hospital=session.hospital())
            session.record("undo", target=file_name, result=res.status, detail=f"#{import_id}")
        except ImportBusy as exc:
            st.warning(f"{t('data.busy')}  \n{ui.escape_markdown(exc.message)}")
            return
        except CockpitError as exc:
            ui.error(exc)
            return
        st.session_state.setdefault(RESULTS, []).append(("success", t("data.undo.done", id=import_id)))
        st.rerun()


def templates_panel() -> None:
    """A download button per dataset; each template is built only when its button is clicked."""
    st.caption(t("data.templates.caption"))
    cols = st.columns(4)
    for i, name in enumerate(DATASETS):
        cols[i % 4].download_button(
            t("data.templates.button", dataset=dataset_label(name)),
            data=functools.partial(templates.template_xlsx, name),
            file_name=f"{name}_template.xlsx",
            mime=XLSX_MIME,
            key=f"data_tpl_{name}",
            on_click="ignore",
            icon=":material/table_view:",
        )
