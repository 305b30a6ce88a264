"""Runbooks: versioned step checklists, matched to incidents by signature; leads write new versions."""

import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.ui.errors import shown_errors
from app.ui.safe import inert
from services.db import session_scope
from services.incidents import runbooks

actor = current_actor()
st.title("Runbooks")
st.caption(
    "An incident classified 'protocol' follows the most specific runbook whose every signature field equals "
    "the incident's. Saving writes a new version; incidents that started on an older one keep it."
)

with shown_errors("loading runbooks"):
    with session_scope() as s:
        current = [
            {
                "key": r.key,
                "version": r.version,
                "title": r.title,
                "steps": list(r.steps),
                **{f: getattr(r, f) for f in runbooks.SIGNATURE},
            }
            for r in runbooks.latest(s)
        ]
    if current:
        st.dataframe(
            pd.DataFrame([{**{k: v for k, v in r.items() if k != "steps"}, "steps": len(r["steps"])} for r in current]),
            hide_index=True,
            width="stretch",
        )
    else:
        st.info("No runbooks yet.")
    options = ["(new runbook)", *(r["key"] for r in current)]
    pick = st.selectbox("Edit", options, key="runbooks.pick")
    base = next((r for r in current if r["key"] == pick), None)
    with st.form(f"runbooks.form.{pick}"):
        key = st.text_input("Key", base["key"] if base else "", disabled=base is not None)
        title = st.text_input("Title", base["title"] if base else "")
        cols = st.columns(len(runbooks.SIGNATURE))
        signature = {
            f: cols[i].text_input(f.replace("_", " "), (base or {}).get(f) or "")
            for i, f in enumerate(runbooks.SIGNATURE)
        }
        steps = st.text_area("Steps, one per line", "\n".join(base["steps"]) if base else "", height=200)
        saved = st.form_submit_button("Save as a new version" if base else "Create runbook", type="primary")
    if saved:
        with shown_errors("saving the runbook"):
            with session_scope() as s:
                rb = runbooks.save_runbook(
                    s,
                    actor=actor,
                    key=base["key"] if base else key,
                    title=title,
                    steps=steps.splitlines(),
                    signature=signature,
                )
                saved_as = f"{rb.key} v{rb.version}"
            st.success(inert(f"Saved {saved_as}."))
