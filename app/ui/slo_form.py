"""The SLO create/edit form and delete control (the service layer validates and checks permissions)."""

from __future__ import annotations

import streamlit as st

from app.data import clear_slo_caches, service_name
from app.ui.errors import shown_errors
from app.ui.safe import inert
from services.auth import Actor, can
from services.db import session_scope
from services.slos import service as slo_service
from services.slos.budget import POLICIES
from services.slos.evaluation import SloDefinition
from services.slos.models import SLI_KINDS
from services.slos.schemas import parse_slo_input

DONE = "slos.done"
RULES = f"{len(POLICIES)} burn-rate alert rules"


def done(message: str) -> None:
    """Rerun the page and confirm what the action did there (st.rerun ends this run, so the message waits in state)."""
    st.session_state[DONE] = message
    st.rerun()


def show_done() -> None:
    """At the top of the page: a toast confirming the last action, if any."""
    if message := st.session_state.pop(DONE, None):
        st.toast(inert(message), icon=":material/check_circle:")


def slo_form(actor: Actor, existing: SloDefinition | None = None, version: int | None = None) -> None:
    """A form that creates a new SLO or edits `existing`."""
    key = f"slos.form.{existing.id if existing else 'new'}"
    permission = "slo.update" if existing else "slo.create"
    if not can(actor, permission):
        st.info(inert(f"{actor.name} ({actor.role}) can read SLOs; creating and editing them needs the lead role."))
    with st.form(key, clear_on_submit=existing is None):
        c1, c2 = st.columns(2)
        name = c1.text_input("Name", value=existing.name if existing else "")
        service = c2.text_input("Service (AppRoleName)", value=existing.service if existing else service_name())
        operation = c1.text_input(
            "Operation (request Name, optional)",
            value=(existing.operation or "") if existing else "",
            help="Leave empty to cover every request of the service.",
        )
        kinds = list(SLI_KINDS)
        kind = c2.selectbox(
            "SLI kind",
            kinds,
            index=kinds.index(existing.kind) if existing else 0,
            help="availability = successful / all requests; latency = requests faster than the "
            "threshold / all requests; ratio = rows of a good (or bad) KQL query / rows of a total KQL query",
        )
        objective = c1.number_input(
            "Objective (%)", value=existing.objective if existing else 99.0, step=0.1, format="%.3f"
        )
        threshold = c2.number_input(
            "Latency threshold (ms, latency SLOs only)",
            value=float(existing.threshold_ms or 300.0) if existing else 300.0,
            step=10.0,
        )
        windows = [7, 28, 30]
        window = c1.selectbox(
            "Rolling window (days)", windows, index=windows.index(existing.window_days) if existing else 2
        )
        good, bad, total = _ratio_queries(existing)
        submitted = st.form_submit_button("Save changes" if existing else "Create SLO", type="primary")
    if submitted:
        data = {
            "name": name,
            "service": service,
            "operation": operation,
            "kind": kind,
            "objective": objective,
            "threshold_ms": threshold if kind == "latency" else None,
            "window_days": window,
            "description": existing.description if existing else "",
            "good_query": good if kind == "ratio" else None,
            "bad_query": bad if kind == "ratio" else None,
            "total_query": total if kind == "ratio" else None,
        }
        with shown_errors("saving the SLO"):
            parsed = parse_slo_input(data)
            with session_scope() as s:
                if existing:
                    slo_service.update_slo(s, actor=actor, slo_id=existing.id, data=parsed, expected_version=version)
                else:
                    slo_service.create_slo(s, actor=actor, data=parsed)
            clear_slo_caches()
            if existing:
                message = f"SLO {parsed.name!r} saved; its {RULES} follow the change from the worker's next cycle."
            else:
                message = f"SLO {parsed.name!r} created with its {RULES}, evaluated from the worker's next cycle."
            done(message)


def _ratio_queries(existing: SloDefinition | None) -> tuple[str, str, str]:
    """The ratio SLO's KQL (inside the form): its good or bad query, as the user picks, and its total query."""
    st.markdown("**Ratio SLOs only**: KQL whose rows are counted (sum of ItemCount) in every window")
    counts = ["good events", "bad events"]
    which = st.radio(
        "The first query selects",
        counts,
        index=1 if existing and existing.bad_query else 0,
        horizontal=True,
        help="A dependency's success rate: good = its successful calls. Or count the failures as bad events.",
    )
    first = st.text_area(
        "Good (or bad) query",
        value=(existing.good_query or existing.bad_query or "") if existing else "",
        placeholder='AppDependencies | where Target == "api.dopa.go.th" | where Success == true',
    )
    total = st.text_area(
        "Total query",
        value=(existing.total_query or "") if existing else "",
        placeholder='AppDependencies | where Target == "api.dopa.go.th"',
    )
    return (first, "", total) if which == counts[0] else ("", first, total)


def delete_control(actor: Actor, slo: SloDefinition) -> None:
    """A confirm-then-delete control."""
    confirm = st.checkbox(inert(f"I want to delete {slo.name!r}"), key=f"slos.delete.confirm.{slo.id}")
    if st.button("Delete SLO", key=f"slos.delete.{slo.id}", disabled=not confirm):
        with shown_errors("deleting the SLO"):
            with session_scope() as s:
                slo_service.delete_slo(s, actor=actor, slo_id=slo.id)
            clear_slo_caches()
            done(f"SLO {slo.name!r} deleted with its burn-rate alert rules and their alerts.")
