"""Where a Logs query starts from: a catalogue query rendered for the chosen range, one of the user's saved queries,
or a blank of their own."""

from __future__ import annotations

from datetime import datetime

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app.ui.linked import preselect
from services.monitoring.common import grain_for
from services.telemetry.catalogue import CatalogueQuery
from services.telemetry.kql import KqlValue

OWN = "(write my own)"
DEFAULT_TEXT = "AppRequests\n| summarize requests = count() by Name\n| order by requests desc"

# saved:<id> -> (id, name, text) of the user's own saved queries
Mine = dict[str, tuple[int, str, str]]


def start_from(
    picker: DeltaGenerator,
    queries: dict[str, CatalogueQuery],
    mine: Mine,
    *,
    service: str,
    start: datetime,
    end: datetime,
) -> tuple[str, str]:
    """The "Start from" picker (in `picker`); returns the choice and its KQL text, a catalogue query's filled in."""

    def label(key: str) -> str:
        if key in queries:
            return f"{queries[key].title} ({key})"
        if key in mine:
            return f"★ {mine[key][1]} (mine)"
        return key

    options = [OWN, *mine, *queries]
    preselect("logs.catalogue", "query", options)  # ?query=<catalogue name>, as the Home tiles link
    chosen = picker.selectbox("Start from", options, key="logs.catalogue", format_func=label)
    if chosen in mine:
        return chosen, mine[chosen][2]
    if chosen not in queries:
        return chosen, DEFAULT_TEXT
    defaults: dict[str, KqlValue] = {
        "start": start,
        "end": end,
        "service": service,
        "bucket": grain_for(start, end),
        "limit": 20,
        "metric": "orders.value",
    }
    q = queries[chosen]
    st.caption(q.description)
    missing = [p for p in q.params if p not in defaults]
    if missing:
        st.caption(f"Replace {', '.join('{' + p + '}' for p in missing)} with values before running.")
        return chosen, q.text
    return chosen, q.render(**{p: defaults[p] for p in q.params})
