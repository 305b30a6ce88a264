"""The Load tests page's upload: size check before reading, files to a private folder, one import, cleanup."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from typing import Protocol

import streamlit as st

from app.loadtest_data import clear_loadtest_caches
from app.resources import settings
from app.ui.errors import shown_errors
from app.ui.safe import inert
from services.auth import Actor, can
from services.db import session_scope
from services.errors import InvalidInput
from services.loadtests import figures
from services.loadtests import service as loadtest_service
from services.loadtests.schemas import InputFile, parse_import_options
from services.uploads import check_page_upload

CHUNK = 1 << 20


class Upload(Protocol):
    """What the handler needs of Streamlit's UploadedFile."""

    name: str
    size: int

    def seek(self, offset: int, /) -> int: ...

    def read(self, size: int = -1, /) -> bytes: ...


def page_limit_mb() -> int:
    """The largest file this page takes: Streamlit holds an upload in memory whole before any of our code runs."""
    cfg = settings()
    return min(cfg.uploads.max_page_mb, cfg.loadtests.max_upload_mb)


def import_uploads(
    uploads: Sequence[Upload], *, actor: Actor, service: str, label: str = "", git_ref: str = ""
) -> tuple[int, list[str]]:
    """Import the uploaded files of one run; the new run id and the import's notices. Files over the limit are
    refused unread."""
    cfg = settings()
    limit = cfg.loadtests.max_upload_mb * 2**20
    if not uploads:
        raise InvalidInput("Choose the k6 files of one run first (a summary, its NDJSON or CSV, or both).")
    for up in uploads:
        if up.size > limit:
            raise InvalidInput(
                f"{up.name} is {up.size / 2**20:,.0f} MB, over the {cfg.loadtests.max_upload_mb:,} MB upload limit "
                "(SRE_LOADTEST_MAX_UPLOAD_MB); nothing was imported. Gzip it, or use `sre-backoffice loadtest import`."
            )
        check_page_upload(up.name, up.size, command="sre-backoffice loadtest import FILE...")
    options = parse_import_options({"service": service, "label": label, "git_ref": git_ref})
    incoming = cfg.loadtests.dir / ".incoming" / uuid.uuid4().hex
    incoming.mkdir(parents=True)
    try:
        files = []
        for i, up in enumerate(uploads):
            dest = incoming / f"{i}-{uuid.uuid4().hex[:8]}"
            up.seek(0)
            with open(dest, "wb") as fh:
                while chunk := up.read(CHUNK):
                    fh.write(chunk)
            files.append(InputFile(path=dest, name=up.name))
        with session_scope() as s:
            run = loadtest_service.import_run(
                s, actor=actor, files=files, options=options, root=cfg.loadtests.dir, max_bytes=limit
            )
            run_id, notes = run.id, figures.notices(run)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    return run_id, notes


def upload_form(actor: Actor) -> None:
    """The upload expander: files, service, label and git ref, and the import button."""
    cfg = settings()
    with st.expander("Import a k6 run", icon=":material/upload_file:", expanded=False):
        st.caption(
            "The files of ONE run: its `--summary-export` or handleSummary JSON, its `--out json` NDJSON or "
            "`--out csv` file (plain or .gz), or a summary and one raw-points file together. The format is read from "
            "the content. Raw points give per-endpoint and over-time views. Up to "
            f"{page_limit_mb():,} MB per file; import bigger files on the server with `sre-backoffice loadtest import`."
        )
        if not can(actor, "loadtest.import"):
            st.info(inert(f"{actor.name} ({actor.role}) can read runs; importing needs the developer role."))
        files = st.file_uploader(
            "k6 files",
            accept_multiple_files=True,
            key="loadtests.upload",
            max_upload_size=page_limit_mb(),
        )
        c1, c2, c3 = st.columns(3)
        service = c1.text_input("Service", value=cfg.telemetry.service_name, key="loadtests.upload.service")
        label = c2.text_input("Label", key="loadtests.upload.label", placeholder="ramp to 200 VUs")
        git_ref = c3.text_input("Git ref", key="loadtests.upload.git_ref", placeholder="v2026.11.4 or a commit")
        if st.button("Import", type="primary", key="loadtests.import", disabled=not files):
            with shown_errors("importing the k6 files"), st.spinner("Importing…"):
                run_id, notes = import_uploads(files or [], actor=actor, service=service, label=label, git_ref=git_ref)
                clear_loadtest_caches()
                st.session_state["loadtests.run"] = run_id
                st.success(f"Imported as run #{run_id}.")
                for note in notes:
                    st.warning(inert(note), icon=":material/schedule:")
