"""Gate template: the checklist every phase's gate asks for, versioned; leads save a new version."""

import streamlit as st

from app.auth import current_actor
from app.ui.errors import shown_errors
from app.ui.template_editor import data_checks, flash, load, template_editor, versions_table

actor = current_actor()
st.title("Gate template")
st.caption(
    "Each item is checked from data (a named check) or signed off by a person. A feature keeps the template "
    "version it started on; a saved edit is a new version for the features created after it."
)
flash()

with shown_errors("loading the gate template"):
    templates = load(actor)
    template_editor(actor, templates)
    st.subheader("Versions", divider="gray")
    versions_table(templates)
st.subheader("Data checks", divider="gray")
data_checks()
