"""The audit log (PMO and admin): who signed in or failed, imported, undid, changed a mapping, downloaded, or
changed a role; newest first, exportable."""

import streamlit as st

from auth import audit, roles
from pages.components import session, store, ui
from pages.components.i18n import t

st.title(t("audit.title"))
st.caption(t("audit.caption"))
if not session.may(roles.READ_AUDIT):
    st.error(t("auth.refused"))
    st.stop()

events = audit.log(store.cursor())  # read directly: the log grows without changing the data version
if events.empty:
    st.info(t("audit.empty"))
    st.stop()
st.dataframe(events, column_config={c: t(f"audit.col.{c}") for c in events.columns}, hide_index=True, width="stretch")
ui.download(events, "audit_log", key="audit_dl")
