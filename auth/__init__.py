"""Who sees what: roles and their pages, local accounts (argon2), the audit trail, and the server's guard.

Never imports streamlit: pages/components/session.py is the Streamlit side of sign-in.
"""
