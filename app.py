"""HIT Cockpit router: page config, the page list for the viewer's role, the shared sidebar filters, the page."""

import streamlit as st

from pages.components import filters, nav, store, ui

st.set_page_config(page_title="HIT Cockpit 医院信息化项目驾驶舱", page_icon=":material/monitor_heart:", layout="wide")

filters.language_switch()
page = st.navigation(nav.build_pages(store.role()))
if ui.store_ok():
    filters.sidebar()
    page.run()
