"""The Transactions page's parts: the search fields, and one end-to-end transaction (its request, a timeline of every
item nested by ParentId, the items table and each item's message, stack and properties)."""

from __future__ import annotations

import streamlit as st

from app.resources import settings, telemetry_source
from app.ui import format as fmt
from app.ui.linked import prefill
from app.ui.monitoring import gantt_chart
from app.ui.safe import inert
from services.errors import ServiceError
from services.monitoring import portal, timeline, transactions


def search_fields(operation_id: str) -> transactions.Criteria:
    """The search fields; `operation_id` is the one a link asked for."""
    for key, param in (("transactions.operation", "operation"), ("transactions.code", "code")):
        prefill(key, param)  # a chart point or a row opens the search on its operation and role
    prefill("transactions.role", "role")
    c = st.columns(3)
    operation_id = c[0].text_input("OperationId", value=operation_id, key="transactions.operation_id")
    operation = c[1].text_input("Operation name", key="transactions.operation")
    result_code = c[2].text_input("Result code", key="transactions.code")
    c = st.columns(3)
    role = c[0].text_input("Role (AppRoleName)", key="transactions.role")
    prop_key = c[1].text_input(
        "Custom property name", key="transactions.prop_key", help="Properties[name], e.g. account"
    )
    prop_value = c[2].text_input("Custom property value", key="transactions.prop_value")
    return transactions.Criteria(operation_id, operation, result_code, role, prop_key, prop_value)


def transaction_detail(tx: transactions.Transaction) -> None:
    """The root request's figures, a portal link on Azure, the timeline, the items and their details."""
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
            link = portal.for_transaction(settings().azure.resource_id, tx)
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
