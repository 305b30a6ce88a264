"""What a team reads from its runs: pass rates, flaky tests, the slowest tests, and what changed between two runs.
Pure functions over plain rows, one definition each (the Testing page, the CLI and the gates use them).

pass rate      = passed / (tests − skipped)           (skipped tests neither pass nor fail)
flaky test     = on one commit it both passed and failed (or errored), or its outcome flipped between passed and
                 failed across consecutive runs of the same service and kind; "flips" counts those changes
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

FAILING = ("failed", "error")


def pass_rate(passed: int, tests: int, skipped: int) -> float | None:
    """passed / (tests − skipped), None when nothing ran."""
    ran = tests - skipped
    return None if ran <= 0 else passed / ran


@dataclass(frozen=True)
class RunRow:
    """A run as the analysis needs it: its id, commit and the outcome of each test in it."""

    id: int
    commit: str | None
    outcomes: dict[str, str]  # test key -> passed, failed, error, skipped


@dataclass(frozen=True)
class Flaky:
    """A test that passed and failed without a change, or flipped between runs."""

    test_key: str
    runs: int  # runs in which it ran (not skipped)
    failures: int  # runs in which it failed or errored
    flips: int  # changes between passing and failing across consecutive runs
    same_commit: bool  # passed and failed on one commit


def flaky_tests(runs: Sequence[RunRow]) -> list[Flaky]:
    """Flaky tests among runs given oldest first, most flips first."""
    history: dict[str, list[tuple[str | None, bool]]] = defaultdict(list)
    for run in runs:
        for key, outcome in run.outcomes.items():
            if outcome != "skipped":
                history[key].append((run.commit, outcome in FAILING))
    out = []
    for key, seq in history.items():
        flips = sum(1 for a, b in pairwise(seq) if a[1] != b[1])
        by_commit: dict[str, set[bool]] = defaultdict(set)
        for commit, failed in seq:
            if commit:
                by_commit[commit].add(failed)
        same = any(len(v) == 2 for v in by_commit.values())
        failures = sum(1 for _, f in seq if f)
        # a test that broke once and stayed broken (or was fixed once) is a regression, not flaky: it needs two flips
        if same or flips >= 2:
            out.append(Flaky(key, len(seq), failures, flips, same))
    return sorted(out, key=lambda f: (-f.flips, -f.failures, f.test_key))


@dataclass(frozen=True)
class RunDiff:
    """What changed from run A to run B."""

    new_failures: list[str]  # passed (or absent) in A, failing in B
    fixed: list[str]  # failing in A, passing in B
    new_tests: list[str]  # in B, not in A
    removed_tests: list[str]  # in A, not in B


def diff(a: dict[str, str], b: dict[str, str]) -> RunDiff:
    """Compare two runs' outcomes (test key -> outcome)."""
    return RunDiff(
        new_failures=sorted(k for k, o in b.items() if o in FAILING and a.get(k) not in FAILING),
        fixed=sorted(k for k, o in b.items() if o == "passed" and a.get(k) in FAILING),
        new_tests=sorted(set(b) - set(a)),
        removed_tests=sorted(set(a) - set(b)),
    )


def slowest(rows: Iterable[tuple[str, float | None]], n: int = 20) -> list[tuple[str, float]]:
    """The n slowest tests by their longest duration."""
    longest: dict[str, float] = {}
    for key, d in rows:
        if d is not None and d > longest.get(key, -1.0):
            longest[key] = d
    return sorted(longest.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
