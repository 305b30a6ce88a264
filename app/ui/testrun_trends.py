"""What a service's runs of one kind say together: trends, flaky tests, the slowest tests, what changed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.testrun_data import HistoryView
from services.testruns import analysis


def trends(h: HistoryView) -> None:
    """Pass rate, test count and duration per run (x = run id, oldest left)."""
    frame = pd.DataFrame(
        [
            {
                "run": r.id,
                "pass rate (%)": None if r.pass_rate is None else round(r.pass_rate * 100, 2),
                "tests": r.tests,
                "duration (s)": r.duration_s,
            }
            for r in h.runs
        ]
    ).set_index("run")
    cols = st.columns(3)
    for col, name in zip(cols, frame.columns, strict=True):
        col.markdown(f"**{name}**")
        col.line_chart(frame[[name]], x_label="run", y_label=name, height=220)


def flaky(h: HistoryView) -> None:
    """Tests that passed and failed on one commit, or flipped at least twice."""
    found = analysis.flaky_tests(h.rows)
    if not found:
        st.caption(f"No flaky test in the last {len(h.runs)} runs.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "test": f.test_key,
                    "runs": f.runs,
                    "failures": f.failures,
                    "flips": f.flips,
                    "same commit": "yes" if f.same_commit else "no",
                }
                for f in found
            ]
        ),
        hide_index=True,
        width="stretch",
        key="testing.flaky",
    )
    st.caption(
        "Flaky: passed and failed on one commit (same commit), or flipped between passing and failing at least "
        "twice across consecutive runs (flips). A test that broke once and stayed broken is a regression, not flaky."
    )


def slowest(h: HistoryView) -> None:
    """The 20 slowest tests by their longest duration over these runs."""
    rows = analysis.slowest(h.durations, 20)
    if not rows:
        st.caption("No test in these runs reports a duration.")
        return
    st.dataframe(
        pd.DataFrame([{"test": k, "longest (s)": round(d, 3)} for k, d in rows]),
        hide_index=True,
        width="stretch",
        key="testing.slowest",
    )


def what_changed(h: HistoryView) -> None:
    """New failures, fixed, new and removed tests from one run to another (default: the newest two)."""
    ids = [r.id for r in h.runs]
    if len(ids) < 2:
        st.caption("What changed needs two runs of this service and kind.")
        return
    for key, default in (("testing.diff.a", ids[-2]), ("testing.diff.b", ids[-1])):
        if st.session_state.get(key) not in ids:
            st.session_state[key] = default
    left, right = st.columns(2)
    a = left.selectbox("From run", ids, key="testing.diff.a", format_func=lambda i: f"#{i}")
    b = right.selectbox("To run", ids, key="testing.diff.b", format_func=lambda i: f"#{i}")
    outcomes = {r.id: r.outcomes for r in h.rows}
    d = analysis.diff(outcomes[a], outcomes[b])
    changes = [
        ("new failure", d.new_failures),
        ("fixed", d.fixed),
        ("new test", d.new_tests),
        ("removed test", d.removed_tests),
    ]
    st.caption(f"From #{a} to #{b}: " + " · ".join(f"{what}: {len(keys)}" for what, keys in changes))
    rows = [{"change": what, "test": k} for what, keys in changes for k in keys]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="testing.diff")
