"""Users and roles (the admin): local accounts and the roles file, role changes and disabling, each audited."""

import pandas as pd
import streamlit as st

from auth import roles
from auth.accounts import AccountError
from pages.components import session, ui
from pages.components.i18n import t

st.title(t("admin.title"))
st.caption(t("admin.caption"))
if not session.may(roles.MANAGE_USERS):  # the page list already hides it; a second lock on the door
    st.error(t("auth.refused"))
    st.stop()

accounts = session.accounts()
users = pd.DataFrame(accounts.users())
if users.empty:
    st.info(t("audit.empty"))
    st.stop()
st.dataframe(users, column_config={c: t(f"admin.col.{c}") for c in users.columns}, hide_index=True, width="stretch")

st.subheader(t("admin.change.header"))
names = users["username"].tolist()
with st.form("admin_change"):
    user = st.selectbox(t("admin.change.user"), names, key="admin_user")
    labels = {r: t(f"auth.role.{r}") for r in roles.ROLES}  # a plain lookup: AppTest formats outside a run
    role = st.selectbox(t("admin.change.role"), roles.ROLES, format_func=labels.__getitem__, key="admin_role")
    department = st.text_input(t("admin.change.department"), key="admin_department")
    apply = st.form_submit_button(t("admin.change.apply"), type="primary")
if apply and user:
    try:
        before = accounts.set_role(user, role, department.strip() or None)
    except AccountError as exc:
        st.error(ui.escape_markdown(str(exc)))
    else:
        detail = f"{before[0]} {before[1] or ''} -> {role} {department.strip()}"
        session.record("role_change", target=user, detail=" ".join(detail.split()))
        st.success(t("admin.change.done", user=ui.escape_markdown(user)))

if st.button(t("admin.change.disable"), key="admin_toggle") and user:
    disabled = bool(users.set_index("username").loc[user, "disabled"])
    accounts.disable(user, not disabled)
    session.record("role_change", target=user, detail="enabled" if disabled else "disabled")
    st.rerun()
