"""The data page: upload exports, check them in a preview (mapping, first rows, problem report), load or cancel,
then the import history with downloads of the originals and undo, and blank templates per dataset.

The widgets live in pages/components/upload.py; this file only lays the page out.
"""

import streamlit as st

from pages.components import store, targets_editor, upload
from pages.components.i18n import t

st.title(t("data.title"))
st.caption(t("data.caption"))
con = store.cursor()

upload.show_results()

st.subheader(t("data.upload.header"))
upload.uploader()
staged = upload.stage_pending()
if not staged:
    st.caption(t("data.upload.none"))
for item in list(staged):
    upload.file_panel(con, item)

st.subheader(t("data.history.header"))
upload.history_panel(con)

with st.expander(t("data.templates.header"), icon=":material/description:"):
    upload.templates_panel()

with st.expander(t("targets.header"), icon=":material/flag:"):
    targets_editor.panel()
