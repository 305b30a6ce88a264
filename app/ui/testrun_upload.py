"""The Testing page's upload: the reports of one run with what the run was for, checked, imported, summed up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import streamlit as st

from app.resources import settings
from app.ui.errors import shown_errors
from services.auth import Actor, can
from services.db import session_scope
from services.errors import InvalidInput
from services.testruns import service as testrun_service
from services.testruns.schemas import KINDS, parse_run_options
from services.uploads import check_page_upload

COMMAND = "sre-backoffice testrun import FILE... --service NAME --kind KIND"


class Upload(Protocol):
    """What the handler needs of Streamlit's UploadedFile."""

    name: str
    size: int

    def getvalue(self) -> bytes: ...


def import_uploads(uploads: Sequence[Upload], *, actor: Actor, fields: dict[str, object]) -> tuple[int, str]:
    """Import the uploaded reports of one run; its id and the message saying what was imported. Files over the page
    limit are refused unread."""
    if not uploads:
        raise InvalidInput("Choose the JUnit XML or TRX files of one test run first (plain, .gz or a .zip).")
    for up in uploads:
        check_page_upload(up.name, up.size, command=COMMAND)
    options = parse_run_options(fields)
    with session_scope() as s:
        run = testrun_service.import_run(
            s,
            actor=actor,
            files=[(up.name, up.getvalue()) for up in uploads],
            options=options,
            max_bytes=settings().uploads.max_decompressed_mb << 20,
        )
        run_id, tests, passed, failed, errors, skipped = (
            run.id, run.tests, run.passed, run.failed, run.errors, run.skipped,
        )  # fmt: skip
    extra = (f", {errors} errored" if errors else "") + (f", {skipped} skipped" if skipped else "")
    return run_id, f"Imported run #{run_id}: {tests} tests, {passed} passed, {failed} failed{extra}."


def upload_form(actor: Actor) -> None:
    """The import expander for developers; a one-line note for everyone else."""
    if not can(actor, "testrun.import"):
        st.caption(f"{actor.role.capitalize()}s read runs here; importing a run needs the developer role.")
        return
    cfg = settings()
    with st.expander("Import a test run", icon=":material/upload_file:", expanded=False):
        st.caption(
            "The reports of ONE run: JUnit XML or TRX files, plain, gzipped or in a .zip, several at once. Up to "
            f"{cfg.uploads.max_page_mb:,} MB per file; bigger ones on the server with `{COMMAND}`."
        )
        files = st.file_uploader(
            "Reports",
            type=["xml", "trx", "gz", "zip"],
            accept_multiple_files=True,
            key="testing.upload",
            max_upload_size=cfg.uploads.max_page_mb,
        )
        c1, c2, c3 = st.columns(3)
        fields: dict[str, object] = {
            "service": c1.text_input("Service", value=cfg.telemetry.service_name, key="testing.upload.service"),
            "kind": c2.selectbox("Kind", KINDS, key="testing.upload.kind"),
            "release": c3.text_input("Release", key="testing.upload.release", placeholder="2026.12.1"),
            "commit": c1.text_input("Commit", key="testing.upload.commit", placeholder="a commit hash"),
            "branch": c2.text_input("Branch", key="testing.upload.branch", placeholder="main"),
            "pipeline_url": c3.text_input("Pipeline URL", key="testing.upload.pipeline_url", placeholder="https://…"),
        }
        if st.button("Import", type="primary", key="testing.import", disabled=not files):
            with shown_errors("importing the test reports"), st.spinner("Importing…"):
                run_id, message = import_uploads(files or [], actor=actor, fields=fields)
                st.success(message)
                # the page below opens at the new run
                st.session_state["testing.service"] = str(fields["service"]).strip()
                st.session_state["testing.kind"] = fields["kind"]
                st.session_state["testing.run"] = run_id
