"""Entrypoint: `streamlit run app/main.py`. A router, nothing else."""

import streamlit as st

from app import navigation
from app.auth import current_actor, entra_mode, identity_picker, sign_in_gate
from app.resources import settings, telemetry_source
from app.ui.zone import zone_picker
from services.errors import ServiceError
from services.network import local_auth_refusal

# an emoji favicon is drawn in the page (a data: URL); a :material/...: one is fetched from Google's font CDN
st.set_page_config(page_title="SRE Backoffice · mana", page_icon="🩺", layout="wide")
# a browser came over HTTP (AppTest sends no headers): a server started by hand on a network address with the
# embedded identities serves nothing
refusal = bool(st.context.headers) and local_auth_refusal(settings(), st.get_option("server.address"))
if refusal:
    st.error(refusal)
    st.stop()
if entra_mode():
    try:
        sign_in_gate()
    except ServiceError as exc:  # signed in, but refused (no app role)
        st.error(str(exc))
        st.stop()
pg = st.navigation(navigation.build(current_actor()), position="sidebar", expanded=True)
if not entra_mode():
    identity_picker()
try:
    where = telemetry_source().describe()
except ServiceError as exc:  # a misconfigured source: say so once here; pages that need telemetry say it too
    where = f"not available ({exc})"
zone_picker(current_actor())
st.sidebar.caption(f"Telemetry: {where}")
pg.run()
