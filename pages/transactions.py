"""Transaction search and end-to-end details: every item of one OperationId on a timeline, nested by ParentId."""

import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.data import catalogue_query
from app.resources import settings, telemetry_source
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.monitoring import gantt_chart
from app.ui.safe import inert
from app.ui.timerange import time_range
from services.errors import NotFound, ServiceError
from services.monitoring import portal, timeline, transactions

actor = current_actor()
st.title("Transactions")
st.caption(
    "Search requests, then open one end-to-end transaction: its request, dependencies, exceptions, traces, events."
)
start, end = time_range("transactions")
asked = st.query_params.get("operation_id", "")
c = st.columns(3)
operation_id = c[0].text_input("OperationId", value=asked, key="transactions.operation_id")
operation = c[1].text_input("Operation name", key="transactions.operation")
result_code = c[2].text_input("Result code", key="transactions.code")
c = st.columns(3)
role = c[0].text_input("Role (AppRoleName)", key="transactions.role")
prop_key = c[1].text_input("Custom property name", key="transactions.prop_key", help="Properties[name], e.g. account")
prop_value = c[2].text_input("Custom property value", key="transactions.prop_value")
criteria = transactions.Criteria(operation_id, operation, result_code, role, prop_key, prop_value)

linked_at = transactions.parse_at(st.query_params.get("at")) if operation_id.strip() == asked else None
chosen, at = "", None
with shown_errors("searching transactions"):
    found = transactions.search(catalogue_query, actor=actor, start=start, end=end, criteria=criteria)
    if found.empty and not (asked and linked_at):
        st.info(
            f"No requests match between {fmt.when(start)} and {fmt.when(end)}; loosen the search or widen the range."
        )
    elif not found.empty:
        st.dataframe(found, hide_index=True, width="stretch", key="transactions.results")
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
    root = tx.root
    if root is not None:
        m = st.columns(4)
        m[0].metric("operation", inert(root["name"]))
        m[1].metric("result code", inert(root["result_code"]))
        m[2].metric("duration", f"{fmt.num(root['duration_ms'], 1)} ms")
        m[3].metric("items", f"{len(tx.items)}")
        st.caption(inert(f"Started {fmt.when(root['start'])} on {root['role']}."))
    if telemetry_source().kind == "azure":
        try:
            link = portal.for_transaction(settings().azure_resource_id, tx)
            st.link_button("Open in the Azure portal", link, icon=":material/open_in_new:")
        except ServiceError as exc:
            st.caption(inert(exc))
    rows = timeline.gantt(tx.items)
    st.altair_chart(gantt_chart(rows), width="stretch", height=26 * len(rows) + 60)
    st.caption("Bars run from each item's start to start + duration; red = failed or an exception; ◆ = an instant.")
    table = tx.items[["depth", "item_type", "name", "start", "duration_ms", "result_code", "failed", "role"]]
    st.dataframe(table, hide_index=True, width="stretch", key="transactions.items")
    for _, item in tx.items.iterrows():
        if not (item["message"] or item["stack"] or item["properties"]):
            continue
        with st.expander(inert(f"{'✖ ' if item['failed'] else ''}{item['item_type']}: {item['name']}"), expanded=False):
            if item["message"]:
                st.markdown(f"**Message**: {inert(item['message'])}")
            if item["stack"]:
                st.code(item["stack"], language=None)
            if item["properties"]:
                st.json(item["properties"], expanded=False)
