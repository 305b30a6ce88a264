"""Testing guide: how the mana team unit-tests with ports and adapters, runs integration tests against WireMock with
the exported DOPA set, and sends the results here (docs/testing.md); below it, the live DOPA set's default stubs."""

import json
from pathlib import Path

import streamlit as st

from app.auth import current_actor
from app.stub_data import sets, version
from app.ui.errors import shown_errors

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "testing.md"
SET_NAME = "DOPA"

actor = current_actor()
st.title("Testing guide")
if not GUIDE.is_file():
    st.error(f"The guide is missing: {GUIDE.name} is not in the docs folder of this installation.")
    st.stop()
text = GUIDE.read_text(encoding="utf-8")
# the file's own title is the page's title
st.markdown(text.split("\n", 1)[1] if text.startswith("# ") else text)

with shown_errors("loading the DOPA stub set"):
    dopa = next((x for x in sets(actor) if x.name == SET_NAME), None)
    if dopa is not None:
        v = version(actor, dopa.id, dopa.latest)
        # a default stub is one a test does not select: no X-Stub-Behaviour header, no scenario state
        defaults = [
            m for m in v.mappings if not (m.get("request") or {}).get("headers") and not m.get("requiredScenarioState")
        ]
        st.subheader("The current DOPA set", divider="gray")
        st.caption(
            f"{dopa.name} version {v.version} for {dopa.target}: {len(v.mappings)} stubs, "
            f"{len(defaults)} answering by default. The WireMock stubs page shows, edits and downloads them."
        )
        for m in defaults:
            st.code(json.dumps(m, indent=2, ensure_ascii=False), language="json")
        if not defaults:
            st.info("Every stub of this version needs a header or a scenario state; none answers by default.")
