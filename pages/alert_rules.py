"""Alert rules: the rules, a form with a backtest before saving, and the Azure Monitor ARM export."""

import json

import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.ui.alert_form import form_values, rule_form
from app.ui.errors import shown_errors
from app.ui.linked import preselect
from app.ui.safe import inert
from services.alerts import arm
from services.alerts import service as alert_service
from services.db import session_scope

RULE_COLUMNS = {  # pixels: a rule's name and condition read whole on a laptop screen
    "name": st.column_config.TextColumn("rule", width=300),
    "severity": st.column_config.TextColumn("severity", width=65),
    "condition": st.column_config.TextColumn("fires when", width=400),
    "actions": st.column_config.TextColumn("actions", width=105),
    "enabled": st.column_config.CheckboxColumn("enabled", width=65),
}
actor = current_actor()
st.title("Alert rules")
st.caption(
    "The worker (`sre-backoffice worker`, started by `make run`) evaluates each enabled rule on its schedule "
    "and writes notifications to the outbox; see the Notification log."
)

with shown_errors("loading alert rules"):
    with session_scope() as s:
        rules = alert_service.list_rules(s, actor=actor)
        rows = [
            {
                "name": r.name,
                "severity": r.severity,
                "condition": (r.description if r.kind == "slo_burn" else alert_service.spec_of(r).condition())
                + (f" per {r.dimension}" if r.dimension else "")
                + f", every {r.frequency_min} min",
                "actions": ", ".join(a["channel"] for a in r.actions or []) or "none",
                "enabled": r.enabled,
            }
            for r in rules
        ]
        template = arm.template(rules)
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config=RULE_COLUMNS)
    else:
        st.info("No rules yet: write one below, or run `sre-backoffice alerts seed` for the team's rules.")
    st.download_button(
        "Download ARM template (scheduledQueryRules + actionGroups)",
        json.dumps(template, indent=2),
        file_name="sre-backoffice-alerts.json",
        mime="application/json",
        key="alerts.arm",
    )

st.subheader("New or changed rule", divider="gray")
with shown_errors("loading the rule"):
    with session_scope() as s:
        editable = {r.id: form_values(r) for r in alert_service.list_rules(s, actor=actor) if r.kind == "query"}
    preselect("alerts.pick", "rule", list(editable))
    pick = st.selectbox(
        "Rule",
        ["(new rule)", *editable],
        key="alerts.pick",
        format_func=lambda i: i if i == "(new rule)" else editable[i]["name"],
        help="SLO burn-rate rules follow their SLO; change the SLO instead.",
    )
    base = editable.get(pick) if isinstance(pick, int) else None
    rule_form(actor, base)
    if base:
        confirm = st.checkbox(inert(f"I want to delete {base['name']!r}"), key=f"alerts.delete.confirm.{pick}")
        if st.button("Delete rule", key=f"alerts.delete.{pick}", disabled=not confirm):
            with shown_errors("deleting the rule"):
                with session_scope() as s:
                    alert_service.delete_rule(s, actor=actor, rule_id=base["id"])
                st.rerun()
