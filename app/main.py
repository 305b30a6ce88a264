"""Entrypoint: `streamlit run app/main.py`. A router, nothing else."""

import streamlit as st

from app import navigation
from app.auth import identity_picker
from app.resources import settings, telemetry_source

st.set_page_config(page_title="SRE Backoffice · mana", page_icon=":material/monitor_heart:", layout="wide")
pg = st.navigation(navigation.build(), position="sidebar")
identity_picker()
st.sidebar.caption(f"Telemetry: {telemetry_source().describe()}  \nTimes in {settings().display_timezone}")
pg.run()
