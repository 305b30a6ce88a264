"""One feature on its page: what it is, its checklist phase by phase with the evidence behind each item, and its
history of moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from app.feature_data import FeatureDetail, FeatureRef
from app.navigation import PAGES, NavPage
from app.ui.feature_board import gate_summary
from app.ui.safe import inert, inert_link
from services.auth import Actor, can
from services.features.gates import ItemState
from services.features.phases import ENTRY_NAMES, PHASE_NAMES, PHASES, entry_phase

STATE_ICON = {
    "passed": ":material/check_circle:",
    "open": ":material/radio_button_unchecked:",
    "waived": ":material/do_not_disturb_on:",
}
KIND = {"data": "checked from data", "sign-off": "sign-off"}
# a Link's page is a navigation url ("slos"); the page file and the permission it needs come from the navigation
NAV: dict[str, NavPage] = {p.url: p for pages in PAGES.values() for p in pages}


def utc(t: datetime) -> str:
    """A stored time in UTC as YYYY-MM-DD HH:MM (stored times are UTC; a naive one is read as UTC)."""
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def pick_feature(refs: list[FeatureRef]) -> int | None:
    """The feature named by ?feature=ID, else the one picked in the selectbox (which keeps ?feature= in step)."""
    if not refs:
        st.info("No feature yet: add one on the SDLC workflow page.")
        st.page_link("../pages/home.py", label="SDLC workflow", icon=":material/account_tree:")
        return None
    ids = [r.id for r in refs]
    asked = str(st.query_params.get("feature", "")).strip()
    wanted = int(asked) if asked.isdigit() else None
    if asked and wanted not in ids:
        st.warning(inert(f"There is no feature {asked}; pick one below."))
    titles = {r.id: f"#{r.id} {r.title} ({PHASE_NAMES[r.phase]})" for r in refs}
    chosen = st.selectbox(
        "Feature",
        ids,
        index=ids.index(wanted) if wanted in ids else 0,
        format_func=lambda i: titles[i],
        key="feature.pick",
    )
    if chosen is not None and str(chosen) != asked:
        st.query_params["feature"] = str(chosen)
    return chosen


def feature_header(detail: FeatureDetail) -> None:
    """What the feature is: title, service, operations, release, links, entry kind, template version."""
    f = detail.feature
    st.subheader(inert(f"#{f.id} {f.title}"))
    st.markdown(
        f"**Phase** {PHASE_NAMES[f.phase]} · **entered as** {ENTRY_NAMES.get(f.entry, inert(f.entry))} · "
        f"**gate template** version {f.template_version} · **version** {f.version}"
    )
    st.markdown(
        f"**Service** {inert(f.service)} · **release** {inert(f.release or '—')} · **owner** {inert(f.owner or '—')}"
        + (f" · **commit** {inert(f.commit)}" if f.commit else "")
    )
    st.markdown("**Operations**: " + (inert(", ".join(f.operations)) if f.operations else "none named yet"))
    if f.service_slos_cover:
        st.caption("The service-wide SLOs cover this feature.")
    links = [
        inert_link(label, url)
        for label, url in (("Work item", f.work_item_url), ("Pull request", f.pull_request_url))
        if url
    ]
    if links:
        st.markdown(" · ".join(links))
    if f.description:
        st.markdown(inert(f.description))


def _links(actor: Actor, item: ItemState) -> None:
    for link in item.links:
        nav = NAV.get(link.page)
        if nav is None or not can(actor, nav.permission):  # a page this role is not offered: the label only
            st.caption(inert(link.label))
            continue
        st.page_link(nav.path, label=inert(link.label), icon=nav.icon, query_params=dict(link.params))


def _item(actor: Actor, item: ItemState) -> None:
    need = " (evidence needed)" if item.kind == "sign-off" and item.evidence_required else ""
    st.markdown(
        f"{STATE_ICON[item.state]} **{inert(item.title)}** · {item.state} · "
        f"{'required' if item.required else 'optional'} · {KIND.get(item.kind, inert(item.kind))}{need} · "
        f"{inert(item.key)}"
    )
    if item.kind == "data" or (item.sign_off is None and item.waiver is None):
        st.caption(inert(item.detail))
    for word, what in ((item.sign_off, "Signed off"), (item.waiver, "Waived")):
        if word is not None:
            text = word.evidence or "no evidence given"
            st.caption(inert(f"{what} by {word.actor} ({word.role}) at {utc(word.at)} UTC: {text}"))
    _links(actor, item)


def checklist(actor: Actor, detail: FeatureDetail) -> None:
    """Every phase's gate, the current one expanded and marked, item by item."""
    f = detail.feature
    for n, (key, name, practices) in enumerate(PHASES, 1):
        if detail.skipped(key):
            entered = f"entered as a {ENTRY_NAMES[f.entry]} at {PHASE_NAMES[entry_phase(f.entry)]}"
            st.expander(f"{n}. {name}: skipped ({entered})").caption(
                f"The feature {entered}: the gates of the phases before it are not asked."
            )
            continue
        items = detail.phase_items(key)
        counts = detail.counts(key)
        mark = " · current phase" if key == f.phase else ""
        label = f"{n}. {name}: {gate_summary(counts['passed'], counts['open'], counts['waived'])}{mark}"
        with st.expander(label, expanded=key == f.phase, icon=":material/arrow_right:" if mark else None):
            st.caption("Practices: " + ", ".join(practices))
            if not items:
                st.caption("This template asks nothing at this phase's gate.")
            for item in items:
                _item(actor, item)


def history_table(detail: FeatureDetail) -> None:
    """Where the feature entered and every move since (times in UTC)."""
    rows = [
        {
            "when (UTC)": utc(m.at),
            "who": m.actor,
            "move": (
                f"entered at {PHASE_NAMES.get(m.to_phase, m.to_phase)}"
                if m.from_phase is None
                else f"{PHASE_NAMES.get(m.from_phase, m.from_phase)} → {PHASE_NAMES.get(m.to_phase, m.to_phase)}"
            ),
            "note": m.note,
        }
        for m in detail.moves
    ]
    st.dataframe(pd.DataFrame(rows, columns=["when (UTC)", "who", "move", "note"]), hide_index=True, width="stretch")
