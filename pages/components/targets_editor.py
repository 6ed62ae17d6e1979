"""The PMO edits the targets table on the data page; saving imports it like an upload (loaders.targets_io)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from loaders import targets_io
from loaders.errors import CockpitError
from loaders.store import as_hospital
from metrics import targets
from pages.components import session, store
from pages.components.i18n import t

FIELDS = ("kind", "name", "department", "baseline", "target", "unit", "direction", "system")


def panel() -> None:
    """The table in force, editable (rows can be added and removed), and a save button."""
    st.caption(t("targets.caption"))
    # a person bound to a hospital edits the table in force for it (its own rows, then the group-wide ones)
    current = store.load(targets.load_targets, None, session.hospital())[list(FIELDS)]
    config = {
        "kind": st.column_config.SelectboxColumn(
            t("targets.col.kind"), options=["kpi", "usage"], required=True,
            format_func=lambda k: t(f"targets.kind.{k}"),
        ),
        "direction": st.column_config.SelectboxColumn(
            t("targets.col.direction"), options=["lower", "higher"], format_func=lambda d: t(f"targets.direction.{d}")
        ),
        **{f: st.column_config.Column(t(f"targets.col.{f}")) for f in FIELDS if f not in ("kind", "direction")},
    }  # fmt: skip
    edited = st.data_editor(current, column_config=config, num_rows="dynamic", hide_index=True, key="targets_edit")
    as_of = st.date_input(t("targets.as_of"), value=dt.date.today(), key="targets_as_of")
    if st.button(t("targets.save"), key="targets_save", type="primary"):
        try:
            with as_hospital(session.hospital()):
                results = targets_io.save(store.cursor(), edited, as_of)
        except CockpitError as exc:
            st.error(t("targets.refused", message=str(exc)))
            return
        bad = [r for r in results if r.status != "loaded"]
        if bad:
            st.error(t("targets.refused", message="; ".join(r.message for r in bad)))
        else:
            st.success(t("targets.saved", id=results[0].import_id))
