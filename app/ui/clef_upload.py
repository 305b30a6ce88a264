"""The Logs page's Serilog (CLEF) upload: parse, store the good events, say what was skipped."""

from __future__ import annotations

import streamlit as st

from app.resources import settings
from app.ui.errors import shown_errors
from app.ui.safe import inert
from services import uploads
from services.auth import Actor
from services.db import session_scope
from services.telemetry import clef_import

SHOWN_BAD_LINES = 20


def clef_upload(actor: Actor) -> None:
    """An expander with the uploader, the service name and the import button."""
    with st.expander("Import Serilog logs (CLEF)", icon=":material/upload_file:"):
        st.caption(
            "Serilog compact JSON, one event per line (Serilog.Formatting.Compact). Events with `@x` go to "
            "AppExceptions, the others to AppTraces, into the local telemetry store; then query them here with KQL. "
            f"Up to {settings().uploads.max_page_mb:,} MB per file (plain or .gz); import bigger files on the server "
            "with `sre-backoffice import clef FILE`."
        )
        if settings().telemetry.source != "local":
            st.info(f"Imports go to the local store {settings().telemetry.dir}, not to the configured Azure source.")
        files = st.file_uploader(
            "CLEF files",
            type=["clef", "json", "jsonl", "log", "txt", "gz"],
            accept_multiple_files=True,
            key="logs.clef",
            max_upload_size=settings().uploads.max_page_mb,
        )
        service = st.text_input(
            "Service (AppRoleName for events without an Application property)",
            value=settings().telemetry.service_name,
            key="logs.clef.service",
        )
        if st.button("Import", key="logs.import", disabled=not files):
            with shown_errors("importing the CLEF file"):
                for f in files or []:
                    uploads.check_page_upload(f.name, f.size, command="sre-backoffice import clef FILE")
                with session_scope() as s:
                    report = clef_import.import_sources(
                        s,
                        settings().telemetry.dir,
                        [(f.name, f) for f in files or []],  # read as a stream: no second copy of the upload
                        actor=actor,
                        service=service.strip() or settings().telemetry.service_name,
                    )
                st.cache_data.clear()  # the new rows must show in the next queries
                st.success(inert(report.summary().capitalize() + "."))
                if report.bad:
                    lines = "\n".join(f"- {inert(where)}: {inert(why)}" for where, why in report.bad[:SHOWN_BAD_LINES])
                    more = report.bad_count - min(report.bad_count, SHOWN_BAD_LINES)
                    st.warning(
                        f"{report.bad_count:,} line(s) skipped:\n{lines}" + (f"\n- … and {more:,} more" if more else "")
                    )
