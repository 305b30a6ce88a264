"""A postmortem as a Markdown document: what `postmortem export` prints and the page offers for download."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.postmortems.models import Postmortem


def to_markdown(pm: Postmortem, incident: dict[str, Any]) -> str:
    """The postmortem as a Markdown document."""
    when = lambda v: v.strftime("%Y-%m-%d %H:%M UTC") if isinstance(v, datetime) else (v or "—")  # noqa: E731
    imp = pm.impact or {}
    lines = [
        f"# Postmortem: {incident['title']}",
        "",
        f"Incident #{incident['id']} · {incident['severity']} · {incident['service']} · status {pm.status}"
        + (f" · published {when(pm.published_at)}" if pm.published_at else ""),
        "",
        "*Blameless: this review is about systems and decisions, not people.*",
        "",
        "## Summary",
        "",
        pm.summary or "—",
        "",
        "## Impact",
        "",
    ]
    lines += impact_lines(imp) if imp else ["Not computed yet."]
    lines += ["", "## Timeline", ""] + [f"- {t.get('at', '')}: {t.get('text', '')}" for t in pm.timeline or []]
    lines += ["", "## Root cause", "", pm.root_cause or "—", "", "### Five whys", ""]
    lines += [f"{i + 1}. {w}" for i, w in enumerate(pm.five_whys or []) if w.strip()] or ["—"]
    lines += [
        "",
        "## Contributing factors",
        "",
        pm.contributing_factors or "—",
        "",
        "## What went well",
        "",
        pm.went_well or "—",
        "",
        "## Action items",
        "",
    ]
    for a in pm.action_items or []:
        link = f" ({a['board_issue_url']})" if a.get("board_issue_url") else ""
        lines.append(
            f"- [{'x' if a.get('done') else ' '}] {a['text']}" + (f" — {a['owner']}" if a.get("owner") else "") + link
        )
    if not pm.action_items:
        lines.append("—")
    return "\n".join(lines) + "\n"


def impact_lines(imp: dict[str, Any]) -> list[str]:
    """The impact section's bullets: the incident's figures with the whole service's beside them."""
    pct = lambda v: "—" if v is None else f"{v:.1%}"  # noqa: E731
    lines = [f"- Window: {imp.get('window_start')} → {imp.get('window_end')}"]
    if "incident" not in imp:  # counted service-wide only, before signatures were counted
        lines += [
            f"- Requests: {imp.get('requests', 0):,}; failed: {imp.get('failed', 0):,} (the whole service)",
            f"- Affected users: {imp.get('users', 0):,}; affected accounts: {imp.get('accounts', 0):,}",
        ]
        lines += [f"- Error budget burned, {s['slo']}: {pct(s['burned'])} ({s['formula']})" for s in imp["slos"]]
        return lines
    mine, all_ = imp["incident"], imp["service_wide"]
    sig = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in imp.get("signature", {}).items())
    lines += [
        f"- Signature: {sig or 'none recorded, so every request of the service counts'}",
        f"- Failed requests with the signature: {mine['failed']:,} (the whole service: {all_['failed']:,} "
        f"of {all_['requests']:,} requests)",
        f"- Slow requests (≥ {imp.get('threshold_ms', 300):g} ms) with the signature: {mine['slow']:,} "
        f"(the whole service: {all_['slow']:,})",
        f"- Affected users: {mine['users']:,} (the whole service: {all_['users']:,}); affected accounts: "
        f"{mine['accounts']:,} (the whole service: {all_['accounts']:,})",
    ]
    for s in imp.get("slos", []):
        lines.append(
            f"- Error budget burned, {s['slo']}: {pct(s['burned'])} ({s['formula']}; the whole service: "
            f"{pct(s.get('service_burned'))})"
        )
    return lines
