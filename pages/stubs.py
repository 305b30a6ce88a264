"""WireMock stubs: sets of stubs standing in for a dependency (DOPA) in integration tests, built from what production
saw, versioned, editable, downloadable as mappings/*.json; and a running WireMock's journal."""

import streamlit as st

from app.auth import current_actor
from app.stub_data import sets, version, versions
from app.ui import stub_detail as detail
from app.ui.errors import shown_errors
from app.ui.stub_forms import forms
from app.ui.stub_journal import how_to_use, running_wiremock

actor = current_actor()
st.title("WireMock stubs")
detail.apply_open()
forms(actor)

with shown_errors("loading the stub sets"):
    all_sets = sets(actor)
    if not all_sets:
        st.info(
            "No stub set yet. Build one from production above (for DOPA: target api.dopa.go.th), or from a shell: "
            "`sre-backoffice stubs build --name DOPA --target api.dopa.go.th --days 7`."
        )
        st.stop()
    by_id = {x.id: x for x in all_sets}
    if st.session_state.get("stubs.set") not in by_id:
        st.session_state["stubs.set"] = all_sets[0].id
    chosen = by_id[st.selectbox("Stub set", list(by_id), key="stubs.set", format_func=lambda i: by_id[i].name)]
    numbers = versions(actor, chosen.id)
    if st.session_state.get("stubs.version") not in numbers:
        st.session_state["stubs.version"] = numbers[0]
    number = st.selectbox("Version", numbers, key="stubs.version", format_func=lambda n: f"version {n}")
    v = version(actor, chosen.id, number)
    detail.summary(v, chosen.name)
    st.subheader(f"What production showed of {chosen.target}", divider="gray")
    detail.coverage_table(v)
    st.subheader("The stubs", divider="gray")
    detail.stubs_table(v)
    how_to_use(chosen.target, sorted({r.observation.behaviour.label for r in v.coverage.rows}))
    detail.editor(actor, v, chosen.name)
    detail.delete_button(actor, chosen.id, chosen.name)

st.subheader("Running WireMock", divider="gray")
running_wiremock()
