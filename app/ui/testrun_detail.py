"""The Testing page's runs: the service and kind filters, the runs table, and one run's files and failures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

import pandas as pd
import streamlit as st

from app.testrun_data import Failure, RunView
from app.ui import format as fmt
from app.ui.linked import linked
from app.ui.safe import inert, inert_link
from services.testruns.schemas import KINDS

SHOWN_FAILURES = 50


def utc(r: RunView) -> str:
    """The import time in UTC, to the minute."""
    return r.imported_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def filters(all_runs: Sequence[RunView], default_service: str) -> tuple[str, str]:
    """The service and kind whose runs the page shows; a ?run= link picks its run's service and kind once."""
    by_id = {str(r.id): r for r in all_runs}
    wanted = linked("run")
    if wanted in by_id and st.session_state.get("_linked.testing.filters") != wanted:
        st.session_state["_linked.testing.filters"] = wanted
        st.session_state["testing.service"] = by_id[wanted].service
        st.session_state["testing.kind"] = by_id[wanted].kind
    services = sorted({r.service for r in all_runs})
    if st.session_state.get("testing.service") not in services:
        st.session_state["testing.service"] = default_service if default_service in services else services[0]
    left, right = st.columns(2)
    service = left.selectbox("Service", services, key="testing.service")
    kinds = [k for k in KINDS if any(r.service == service and r.kind == k for r in all_runs)]
    if st.session_state.get("testing.kind") not in kinds:
        st.session_state["testing.kind"] = kinds[0]
    kind = right.selectbox("Kind", kinds, key="testing.kind")
    return service, kind


def runs_table(shown: Sequence[RunView]) -> None:
    """The runs, newest first, with their counts and pass rate."""
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "run": r.id,
                    "imported (UTC)": utc(r),
                    "service": r.service,
                    "kind": r.kind,
                    "release": r.release or "",
                    "commit": (r.commit or "")[:12],
                    "outcome": r.outcome,
                    "tests": r.tests,
                    "passed": r.passed,
                    "failed": r.failed,
                    "errors": r.errors,
                    "skipped": r.skipped,
                    "pass rate": fmt.pct(r.pass_rate, 1),
                    "duration (s)": None if r.duration_s is None else round(r.duration_s, 3),
                }
                for r in shown
            ]
        ),
        hide_index=True,
        width="stretch",
        key="testing.runs",
    )
    st.caption("pass rate = passed / (tests − skipped): skipped tests neither pass nor fail.")


def files(run: RunView) -> None:
    """The run's report files and what their own summaries say; an aborted report in a warning."""
    st.caption(
        inert(
            f"Imported by {run.imported_by} at {utc(run)} UTC"
            + (f" · branch {run.branch}" if run.branch else "")
            + (f" · commit {run.commit}" if run.commit else "")
        )
        + (" · " + inert_link("pipeline run", run.pipeline_url) if run.pipeline_url else "")
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "file": f.get("name", ""),
                    "format": f.get("format", ""),
                    "tests": f.get("tests"),
                    "summary outcome": f.get("summary_outcome") or "—",
                }
                for f in run.files
            ]
        ),
        hide_index=True,
        width="stretch",
        key="testing.files",
    )
    for f in run.files:
        if f.get("aborted"):
            st.warning(
                inert(
                    f"{f.get('name')}: the report's summary says {f.get('summary_outcome') or 'aborted'}, so the run "
                    "was aborted: its tests did not all run, and the run counts as aborted, not passed."
                ),
                icon=":material/report:",
            )


def failure_list(found: Sequence[Failure]) -> None:
    """Each failed or errored test with its message and stack."""
    if not found:
        st.success("No test failed or errored in this run.")
        return
    for f in found[:SHOWN_FAILURES]:
        st.markdown(f"**{inert(f.test_key)}** ({f.outcome})" + (f": {inert(f.message)}" if f.message else ""))
        if f.stack:
            st.code(f.stack, language=None)
    if len(found) > SHOWN_FAILURES:
        st.caption(
            f"{SHOWN_FAILURES} of {len(found):,} failures shown; `sre-backoffice testrun show ID --json` lists all."
        )
