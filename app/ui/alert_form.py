"""The alert rule form: fields, a backtest before saving, and save (leads)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from app.resources import telemetry_source
from app.ui.backtest_chart import backtest_view
from app.ui.errors import shown_errors
from app.ui.safe import inert
from services.alerts import service as alert_service
from services.alerts.backtest import backtest_timeline
from services.alerts.models import AGGREGATIONS, OPERATORS, AlertRule
from services.alerts.seeds import DOPA, FAILED_LOGINS
from services.auth import Actor
from services.db import session_scope
from services.incidents.severities import SEVERITIES
from services.telemetry.catalogue import catalogue


def form_values(rule: AlertRule) -> dict[str, Any]:
    """A saved rule as the form's starting values: the fields the rules service saves, its id and version."""
    return {"id": rule.id, "version": rule.version} | {f: getattr(rule, f) for f in alert_service.RULE_FIELDS}


def _actions(rows: Sequence[Mapping[Hashable, Any]], before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The edited action rows; parameters the table does not show (e.g. lock_minutes) are kept."""
    out = []
    for r in rows:
        if not r.get("channel"):
            continue
        action = {str(k): v for k, v in r.items() if v not in (None, "")} | {"target": r.get("target") or ""}
        same = next(
            (
                a
                for a in before
                if a.get("channel") == action["channel"] and (a.get("target") or "") == action["target"]
            ),
            None,
        )
        if same and same.get("params"):
            action["params"] = same["params"]
        out.append(action)
    return out


def rule_form(actor: Actor, base: dict[str, Any] | None = None) -> None:
    """Edit fields, backtest them, save them."""
    b = base or {}
    key = f"alerts.form.{b.get('id', 'new')}"
    name = st.text_input("Name", b.get("name", ""), key=f"{key}.name")
    starters = {
        "failed requests": "AppRequests\n| where Success == false",
        "failed logins per account": FAILED_LOGINS,
        "DOPA failure rate (failed_pct)": DOPA,
        **{f"catalogue: {q.title}": q.text for q in catalogue().values()},
    }

    def _start() -> None:
        pick = st.session_state.get(f"{key}.starter")
        if pick in starters:
            st.session_state[f"{key}.query"] = starters[pick]

    st.selectbox(
        "Start from",
        ["(type my own)", *starters],
        key=f"{key}.starter",
        on_change=_start,
        help="Catalogue queries keep their {parameters}: replace them with values before saving.",
    )
    st.session_state.setdefault(f"{key}.query", b.get("query", ""))
    query = st.text_area("KQL (rows with TimeGenerated)", height=120, key=f"{key}.query")
    c = st.columns(4)
    aggregation = c[0].selectbox(
        "Aggregation", AGGREGATIONS, index=AGGREGATIONS.index(b.get("aggregation", "Count")), key=f"{key}.agg"
    )
    measure = c[1].text_input("Measure column", b.get("measure_column") or "", key=f"{key}.measure")
    dimension = c[2].text_input("Split by (dimension)", b.get("dimension") or "", key=f"{key}.dim")
    severity = c[3].selectbox(
        "Severity", SEVERITIES, index=SEVERITIES.index(b.get("severity", "Sev3")), key=f"{key}.sev"
    )
    c = st.columns(4)
    operator = c[0].selectbox(
        "Operator", OPERATORS, index=OPERATORS.index(b.get("operator", "GreaterThan")), key=f"{key}.op"
    )
    threshold = c[1].text_input("Threshold", str(b.get("threshold", "")), key=f"{key}.threshold")
    frequency = c[2].number_input("Every (min)", 1, 1440, int(b.get("frequency_min", 5)), key=f"{key}.freq")
    window = c[3].number_input("Window (min)", 1, 2880, int(b.get("window_min", 15)), key=f"{key}.window")
    c = st.columns(4)
    periods = c[0].number_input("Evaluation periods", 1, 60, int(b.get("evaluation_periods", 1)), key=f"{key}.np")
    failing = c[1].number_input("Failing periods", 1, 60, int(b.get("failing_periods", 1)), key=f"{key}.fp")
    mute = c[2].number_input("Mute after firing (min)", 0, 1440, int(b.get("mute_min", 0)), key=f"{key}.mute")
    auto = c[3].checkbox("Auto-resolve", bool(b.get("auto_resolve", True)), key=f"{key}.auto")
    actions = st.data_editor(
        pd.DataFrame(b.get("actions") or [], columns=["channel", "target", "on"]),
        num_rows="dynamic",
        key=f"{key}.actions",
        width="stretch",
        column_config={
            "channel": st.column_config.SelectboxColumn(options=list(alert_service.CHANNELS)),
            "on": st.column_config.SelectboxColumn(options=["both", "fired", "resolved"]),
        },
    )
    data = {
        "name": name,
        "query": query,
        "aggregation": aggregation,
        "measure_column": measure or None,
        "dimension": dimension or None,
        "operator": operator,
        "threshold": threshold,
        "frequency_min": int(frequency),
        "window_min": int(window),
        "evaluation_periods": int(periods),
        "failing_periods": int(failing),
        "severity": severity,
        "mute_min": int(mute),
        "auto_resolve": auto,
        "actions": _actions(actions.to_dict("records"), b.get("actions") or []),
    }
    left, right = st.columns([1, 1])
    days = left.slider("Backtest over the last … days", 1, 30, 7, key=f"{key}.days")
    backtest = left.button("Backtest", key=f"{key}.backtest")
    confirmed = True
    if not data["actions"]:
        right.warning(
            "This rule has no action: when it fires, only the Notification log's firing history shows it; nobody "
            "is told and no incident is opened. Add a row to the actions table above, or confirm.",
            icon=":material/notifications_off:",
        )
        confirmed = right.checkbox("Save without any action", key=f"{key}.no_action")
    save = right.button("Save rule", key=f"{key}.save", type="primary", disabled=not confirmed)
    if backtest:
        with shown_errors("backtesting the rule"):
            found = backtest_timeline(telemetry_source(), actor=actor, data=data, days=days, end=datetime.now(UTC))
            of = "rows" if aggregation == "Count" else measure or "the measure"
            backtest_view(found, days=days, value_title=f"{aggregation} of {of} over {int(window)} min")
    if save:
        with shown_errors("saving the rule"):
            with session_scope() as s:
                if base:
                    rule = alert_service.update_rule(
                        s, actor=actor, rule_id=base["id"], data=data, expected_version=base["version"]
                    )
                else:
                    rule = alert_service.create_rule(s, actor=actor, data=data)
                saved = rule.name
            st.success(inert(f"Rule {saved!r} saved; the worker evaluates it every {int(frequency)} min."))
