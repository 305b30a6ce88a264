"""Turn service errors into one clear message on the page; no traceback reaches the user."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from app.ui.safe import inert
from services.errors import PermissionDenied, ServiceError

log = logging.getLogger("sre_backoffice.app")


@contextmanager
def shown_errors(what: str = "") -> Iterator[None]:
    """Run a block; a ServiceError becomes st.error with its message, anything else a short generic one."""
    try:
        yield
    except PermissionDenied as exc:
        st.warning(inert(exc), icon=":material/lock:")
    except ServiceError as exc:
        st.error(inert(exc), icon=":material/error:")
    except Exception as exc:
        log.exception("unexpected error %s", what)
        st.error(
            f"Something went wrong{' while ' + what if what else ''} ({type(exc).__name__}). "
            "The other pages keep working; the server log has the details.",
            icon=":material/error:",
        )
