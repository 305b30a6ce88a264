"""Transaction search and end-to-end details: every item of one OperationId on a timeline, nested by ParentId."""

import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.data import catalogue_query
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.query_result import time_columns
from app.ui.safe import inert
from app.ui.timerange import time_range
from app.ui.transaction_detail import search_fields, transaction_detail
from services.errors import NotFound, ServiceError
from services.monitoring import transactions

actor = current_actor()
st.title("Transactions")
st.caption(
    "Search requests, then open one end-to-end transaction: its request, dependencies, exceptions, traces, events."
)
start, end = time_range("transactions")
asked = st.query_params.get("operation_id", "")
criteria = search_fields(asked)
operation_id = criteria.operation_id

linked_at = transactions.parse_at(st.query_params.get("at")) if operation_id.strip() == asked else None
chosen, at = "", None
with shown_errors("searching transactions"):
    found = transactions.search(catalogue_query, actor=actor, start=start, end=end, criteria=criteria)
    if found.empty and not (asked and linked_at):
        st.info(
            f"No requests match between {fmt.when(start)} and {fmt.when(end)}; loosen the search or widen the range."
        )
    elif not found.empty:
        st.dataframe(
            found, hide_index=True, width="stretch", key="transactions.results", column_config=time_columns(found)
        )
        st.caption(f"{len(found)} requests (newest first, at most 100).")
        chosen = st.selectbox("Open transaction", list(dict.fromkeys(found["OperationId"])), key="transactions.pick")
        at = pd.Timestamp(found.loc[found["OperationId"] == chosen, "TimeGenerated"].iloc[0]).to_pydatetime()
if asked and linked_at:  # opened from a link: the transaction's own time, whatever the range
    chosen, at = asked, linked_at
elif operation_id.strip() and not chosen:
    chosen = operation_id.strip()

if chosen:
    st.subheader(inert(f"Transaction {chosen}"), divider="gray")
    try:
        tx = transactions.details(catalogue_query, actor=actor, operation_id=chosen, start=start, end=end, at=at)
    except NotFound as exc:
        st.info(inert(exc), icon=":material/search_off:")
        st.stop()
    except ServiceError as exc:
        st.error(inert(exc), icon=":material/error:")
        st.stop()
    transaction_detail(tx)
