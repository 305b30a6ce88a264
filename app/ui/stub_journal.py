"""A running WireMock's journal on the stubs page, and how an integration test asks for a behaviour."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.resources import settings
from app.stub_data import journal
from app.ui.errors import shown_errors
from app.ui.safe import inert
from services.stubs import build


def how_to_use(target: str, labels: list[str]) -> None:
    """The header and the scenario call that pick a behaviour, with this set's own values."""
    scenario = build.scenario_name(target)
    example = next((label for label in labels if label == "timeout"), labels[0] if labels else "status-503")
    st.markdown(
        inert(
            f"Run WireMock with the downloaded folder: `java -jar wiremock-standalone.jar --root-dir ./stubs "
            f"--port 8080`, and point mana's {target} client at `http://localhost:8080`. A test asks for a "
            f"behaviour ({', '.join(labels)}) per request with a header, or for every request with the scenario:"
        )
    )
    st.code(
        f"curl -X POST http://localhost:8080/verify -H '{build.SELECT_HEADER}: {example}'\n"
        f'curl -X PUT http://localhost:8080/__admin/scenarios/{scenario}/state -d \'{{"state": "{example}"}}\'\n'
        "curl -X POST http://localhost:8080/__admin/scenarios/reset   # back to the default answers",
        language="bash",
    )


def running_wiremock() -> None:
    """The configured WireMock's unmatched requests, near-misses and recent requests; how to configure one."""
    url = settings().stubs.admin_url
    if not url:
        st.info(
            "Set SRE_WIREMOCK_ADMIN_URL to a running WireMock (such as http://127.0.0.1:8080) to see here which calls "
            "of an integration test hit no stub, and the stub each came closest to."
        )
        return
    with shown_errors("reading WireMock's journal"):
        j = journal(url)
        c1, c2 = st.columns(2)
        c1.metric("Requests in the journal", j.total)
        c2.metric("Matched no stub", len(j.unmatched))
        if j.near_misses:
            st.markdown("**Calls that hit no stub, and the closest stub**")
            st.dataframe(pd.DataFrame(j.near_misses), hide_index=True, width="stretch")
        elif j.unmatched:
            st.dataframe(pd.DataFrame(j.unmatched), hide_index=True, width="stretch")
        else:
            st.success("Every request WireMock received matched a stub.")
        if j.requests:
            st.markdown(f"**The newest {len(j.requests)} requests**")
            st.dataframe(pd.DataFrame(j.requests), hide_index=True, width="stretch")
