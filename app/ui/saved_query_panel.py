"""Save the query in the editor under a name, or rename or delete the saved query it started from (the user's own)."""

from __future__ import annotations

import streamlit as st

from app.ui.errors import shown_errors
from app.ui.query_start import Mine
from app.ui.safe import inert
from services.auth import Actor
from services.db import session_scope
from services.saved_queries import service as saved


def saved_query_panel(actor: Actor, *, chosen: str, mine: Mine, text: str) -> None:
    """The last change's message, then the save (and, for a saved query, rename and delete) controls."""
    if flash := st.session_state.pop("logs.flash", None):
        st.success(inert(flash))
    changed = ""
    with st.expander("Save this query", icon=":material/bookmark_add:", expanded=chosen in mine):
        name = st.text_input("Name", value=mine[chosen][1] if chosen in mine else "", key=f"logs.save.name.{chosen}")
        overwrite = st.checkbox("Overwrite my query of that name", key="logs.save.overwrite")
        if st.button("Save", key="logs.save"):
            with shown_errors("saving the query"), session_scope() as s:
                _, created = saved.save_query(s, actor=actor, name=name, text=text, overwrite=overwrite)
                changed = f"{'Saved' if created else 'Updated'} {name.strip()!r}; only you see it."
        if chosen in mine:
            query_id, query_name, _text = mine[chosen]
            new_name = st.text_input("New name", value=query_name, key=f"logs.rename.name.{query_id}")
            c1, c2 = st.columns(2)
            if c1.button("Rename", key="logs.rename"):
                with shown_errors("renaming the query"), session_scope() as s:
                    saved.rename_query(s, actor=actor, query_id=query_id, name=new_name)
                    changed = f"Renamed {query_name!r} to {new_name.strip()!r}."
            if c2.button("Delete", key="logs.delete"):
                with shown_errors("deleting the query"), session_scope() as s:
                    saved.delete_query(s, actor=actor, query_id=query_id)
                    changed = f"Deleted {query_name!r}."
    if changed:  # outside the transaction: st.rerun() stops the script
        st.session_state["logs.flash"] = changed
        st.rerun()
