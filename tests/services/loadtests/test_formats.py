"""Real k6 outputs: format detection from content, k6's summary semantics, and raw-point figures equal k6's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from services.loadtests import formats, thresholds
from services.loadtests.points import parse_points
from services.loadtests.schemas import InputFile
from tests.services.loadtests.conftest import K6, k6_file, summary_export


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("summary.json", "summary_export"),
        ("handle_summary.json", "handle_summary"),
        ("out.ndjson", "ndjson"),
        ("out.ndjson.gz", "ndjson"),
        ("out.csv", "csv"),
        ("out.csv.gz", "csv"),
    ],
)
def test_the_format_comes_from_the_content_not_the_name(tmp_path: Path, name: str, kind: str) -> None:
    assert formats.sniff(k6_file(name)) == kind
    renamed = tmp_path / "results.txt"
    shutil.copy(K6 / name, renamed)
    assert formats.sniff(InputFile(renamed, "results.txt")) == kind


def test_summary_export_semantics() -> None:
    raw = summary_export()["metrics"]
    s = formats.parse_summary(k6_file("summary.json"), "summary_export")
    by = {(t.metric, t.expression): t for t in s.thresholds}
    # `false` in a summary-export means the threshold passed; the crossed one says true
    assert raw["http_req_duration"]["thresholds"]["p(95)<500"] is False and by["http_req_duration", "p(95)<500"].ok
    assert raw["checks"]["thresholds"]["rate>0.95"] is True and by["checks", "rate>0.95"].ok is False
    # a submetric threshold is a threshold like the others, observed on the submetric's own values
    sub = by["http_req_duration{name:GET /api/shops}", "p(95)<200"]
    assert sub.ok and sub.observed == raw["http_req_duration{name:GET /api/shops}"]["p(95)"]
    # http_req_failed: `passes` counts FAILED requests and `value` is the failure rate
    failed = s.metrics["http_req_failed"]
    assert failed["passes"] == raw["http_req_failed"]["passes"] == 5
    assert failed["rate"] == pytest.approx(5 / 60)
    assert {c.name: (c.passes, c.fails) for c in s.checks} == {
        "shops status is 200": (20, 0),
        "orders status is 200": (15, 5),
    }


def test_handle_summary_says_the_same_as_summary_export() -> None:
    a = formats.parse_summary(k6_file("summary.json"), "summary_export")
    b = formats.parse_summary(k6_file("handle_summary.json"), "handle_summary")
    assert [(t.metric, t.expression, t.ok) for t in a.thresholds] == [
        (t.metric, t.expression, t.ok) for t in b.thresholds
    ]
    assert a.metrics["http_req_duration"] == b.metrics["http_req_duration"]
    assert a.metrics["http_req_failed"]["rate"] == b.metrics["http_req_failed"]["rate"]
    assert sorted((c.name, c.passes, c.fails) for c in a.checks) == sorted(
        (c.name, c.passes, c.fails) for c in b.checks
    )
    assert b.duration_s is not None and a.duration_s == pytest.approx(b.duration_s, rel=1e-3)


@pytest.mark.parametrize("name", ["out.ndjson", "out.ndjson.gz", "out.csv", "out.csv.gz"])
def test_raw_points_give_k6s_own_figures(tmp_path: Path, name: str) -> None:
    kind = formats.sniff(k6_file(name))
    p = parse_points(k6_file(name), kind, tmp_path)
    k6 = summary_export()["metrics"]
    for key in ("avg", "min", "med", "max", "p(90)", "p(95)"):
        assert p.metrics["http_req_duration"][key] == pytest.approx(k6["http_req_duration"][key], rel=1e-12), key
    sub = next(e for e in p.endpoints if e.name == "GET /api/shops")
    assert sub.p95_ms == pytest.approx(k6["http_req_duration{name:GET /api/shops}"]["p(95)"], rel=1e-12)
    assert p.metrics["http_reqs"]["count"] == k6["http_reqs"]["count"] == 60
    assert p.metrics["http_req_failed"]["rate"] == pytest.approx(k6["http_req_failed"]["value"])
    assert sorted((c.name, c.passes, c.fails) for c in p.checks) == [
        ("orders status is 200", 15, 5),
        ("shops status is 200", 20, 0),
    ]
    assert {e.name: (e.requests, e.failures) for e in p.endpoints} == {
        "GET /api/orders": (20, 5),
        "GET /api/shops": (20, 0),
        "POST /api/cart": (20, 0),
    }
    if kind == "ndjson":  # the NDJSON lists the thresholds of each metric: computed verdicts equal k6's
        computed = {(t.metric, t.expression): t.ok for t in p.thresholds}
        k6_verdicts = {(m, e): not crossed for m, v in k6.items() for e, crossed in (v.get("thresholds") or {}).items()}
        assert computed and all(k6_verdicts[key] == ok for key, ok in computed.items())
    assert p.staged.exists() and p.staged.name.startswith(".")


@pytest.mark.parametrize(
    ("expression", "values", "expected"),
    [
        ("p(95)<500", {"p(95)": 499.9}, (True, 499.9)),
        ("p(99.9) < 10", {"p(99.9)": 11.0}, (False, 11.0)),
        ("rate<0.01", {"value": 0.02}, (False, 0.02)),
        ("count>=10", {"count": 10}, (True, 10.0)),
        ("avg<200", {}, (None, None)),
        ("nonsense", {"avg": 1}, (None, None)),
    ],
)
def test_threshold_expressions(expression: str, values: dict, expected: tuple) -> None:
    assert thresholds.judge(expression, values) == expected
