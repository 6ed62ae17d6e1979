"""HIT Cockpit router: page config, sign-in (deny by default), the page list for the viewer's role, the shared
sidebar filters, the page."""

import streamlit as st

from pages.components import filters, nav, session, ui

st.set_page_config(page_title="HIT Cockpit 医院信息化项目驾驶舱", page_icon=":material/monitor_heart:", layout="wide")

filters.language_switch()
who = session.gate()
if who is None or not who.valid_role:  # no identity, no role: the sign-in page and nothing else
    session.sign_in_navigation().run()
    st.stop()
page = st.navigation(nav.build_pages(str(who.role)))
session.sidebar(who)
session.watch(who)  # a page left open goes to the sign-in page when the session lapses
if ui.store_ok():
    filters.sidebar()
    page.run()
