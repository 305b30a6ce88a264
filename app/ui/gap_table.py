"""Stop/start gaps as Live metrics and the application map show them: one row per silent instance, the definition
beside the table (services.monitoring.gaps)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from app.ui import format as fmt
from services.monitoring import gaps


def gap_section(found: Sequence[gaps.Gap], *, over: str, key: str) -> None:
    """The gaps found `over` a range (its words, e.g. 'every role, the last hour'), or that there is none."""
    st.subheader(f"Stop/start gaps ({over})", divider="gray")
    if found:
        frame = gaps.table(list(found))
        for col in ("silent since", "last row"):
            frame[col] = [fmt.when(v) for v in frame[col]]
        st.dataframe(frame, hide_index=True, width="stretch", key=key)
    else:
        st.caption("No instance went silent while its role kept serving.")
    st.caption(gaps.DEFINITION)
