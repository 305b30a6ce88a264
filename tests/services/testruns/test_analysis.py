"""Pass rate, flaky tests, run diffs and the slowest tests on crafted sequences."""

from __future__ import annotations

from services.testruns.analysis import Flaky, RunRow, diff, flaky_tests, pass_rate, slowest


def test_pass_rate_leaves_skipped_tests_out_and_is_none_when_nothing_ran() -> None:
    assert pass_rate(passed=45, tests=50, skipped=5) == 1.0
    assert pass_rate(passed=40, tests=50, skipped=0) == 0.8
    assert pass_rate(passed=0, tests=3, skipped=3) is None


def test_a_test_that_flips_twice_or_fails_and_passes_on_one_commit_is_flaky_a_regression_is_not() -> None:
    runs = [
        RunRow(1, "aaa1111", {"t::flaky": "passed", "t::broke": "passed", "t::same": "failed", "t::skip": "skipped"}),
        RunRow(2, "bbb2222", {"t::flaky": "failed", "t::broke": "failed", "t::same": "failed", "t::skip": "passed"}),
        RunRow(3, "bbb2222", {"t::flaky": "passed", "t::broke": "failed", "t::same": "failed", "t::skip": "skipped"}),
        RunRow(4, "ccc3333", {"t::flaky": "error", "t::broke": "failed", "t::same": "passed"}),
    ]
    assert flaky_tests(runs) == [
        Flaky("t::flaky", runs=4, failures=2, flips=3, same_commit=True),
    ]
    # one flip each: t::broke regressed once and stayed broken, t::same was fixed once
    assert flaky_tests([*runs[:3], RunRow(5, "ddd4444", {"t::same": "failed", "t::flaky": "passed"})]) == [
        Flaky("t::flaky", runs=4, failures=1, flips=2, same_commit=True),
    ]


def test_the_same_commit_rule_alone_catches_a_test_retried_green() -> None:
    runs = [RunRow(1, "abc1234", {"t::retry": "failed"}), RunRow(2, "abc1234", {"t::retry": "passed"})]
    assert flaky_tests(runs) == [Flaky("t::retry", runs=2, failures=1, flips=1, same_commit=True)]


def test_what_changed_between_two_runs() -> None:
    a = {"t::ok": "passed", "t::fixed": "failed", "t::broken": "passed", "t::gone": "passed", "t::still": "error"}
    b = {"t::ok": "passed", "t::fixed": "passed", "t::broken": "failed", "t::new": "error", "t::still": "failed"}
    d = diff(a, b)
    assert (d.new_failures, d.fixed, d.new_tests, d.removed_tests) == (
        ["t::broken", "t::new"],
        ["t::fixed"],
        ["t::new"],
        ["t::gone"],
    )


def test_the_slowest_tests_by_their_longest_run() -> None:
    rows = [("t::a", 1.0), ("t::b", 3.0), ("t::a", 4.0), ("t::c", None), ("t::d", 2.0)]
    assert slowest(rows, n=3) == [("t::a", 4.0), ("t::b", 3.0), ("t::d", 2.0)]
