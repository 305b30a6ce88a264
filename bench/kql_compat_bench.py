"""KQL compatibility benchmark: how much of a corpus of real public Application Insights queries runs locally.

usage: .venv/bin/python bench/kql_compat_bench.py [--hours 6] [--rate 30] [--repeat 3]
       [--corpus tests/fixtures/kql_corpus.yaml]

Writes --hours of demo telemetry ending 2026-11-01 12:00 UTC (--rate requests a minute, every table the demo writes)
into a temporary store, then runs every corpus query (tests/fixtures/kql_corpus.yaml; a workbook's {Parameter}
placeholders replaced by its default values) through the local source and prints: how many run, the constructs the
failures name ranked by count with the first line of one message each, and the median and p95 time per query (each
query's median of --repeat runs; the first run of each translates the text, the others reuse the translation).
No assertion: it prints, a reader judges.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.demo.generator import day_rng  # noqa: E402
from services.demo.tables import generate  # noqa: E402
from services.errors import QueryError  # noqa: E402
from services.telemetry.local import LocalTelemetrySource  # noqa: E402
from services.telemetry.writer import write_table  # noqa: E402

END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CORPUS = ROOT / "tests" / "fixtures" / "kql_corpus.yaml"
# what a message says the trouble is: the construct before "(line N, column M", or a kind of refusal
_KINDS = [
    (re.compile(r"KQL syntax error"), "syntax error"),
    (re.compile(r"differ only in case"), "column names differing only in case"),
    (re.compile(r"has no column"), "missing column"),
    (re.compile(r"no table"), "missing table"),
    (re.compile(r"ran past .* and was stopped"), "time limit"),
    (re.compile(r"SEM0100"), "a column assigned and read in one extend (SEM0100)"),
    (re.compile(r"generate_series\(\) cannot take timespan"), "range over timespans (message names generate_series())"),
]
_CONSTRUCT = re.compile(r"(?:^|: )([\w\-() ]+?) \(line \d+, column \d+")


def runnable(entry: dict[str, Any]) -> str:
    """The query as it runs: a workbook's {Parameter} placeholders replaced by the values the workbook puts there."""
    text: str = entry["query"]
    for name, value in (entry.get("workbook_parameters") or {}).items():
        text = text.replace("{" + name + "}", str(value))
    return text


def failure_kind(message: str) -> str:
    """The construct or kind of refusal a failure message names."""
    for pattern, kind in _KINDS:
        if pattern.search(message):
            return kind
    found = _CONSTRUCT.search(message)
    if found:
        return found.group(1).strip()
    words = message.split(": ", 1)[-1].split()
    return " ".join(words[:4])


def seed_store(root: Path, hours: int, rate: float) -> dict[str, int]:
    """Demo telemetry for the `hours` before END; rows written per table."""
    tables = generate(END - timedelta(hours=hours), END, rng=day_rng(7, END), rate_per_minute=rate)
    for table, data in tables.items():
        if data.num_rows:
            write_table(root, table, data, name="corpus")
    return {t: d.num_rows for t, d in tables.items()}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of `values` (0 < q <= 100)."""
    ordered = sorted(values)
    rank = math.ceil(len(ordered) * q / 100)
    return ordered[max(0, min(len(ordered), rank) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=int, default=6)
    ap.add_argument("--rate", type=float, default=30.0, help="requests a minute")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    args = ap.parse_args()

    corpus: list[dict[str, Any]] = yaml.safe_load(args.corpus.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="kql-compat-") as tmp:
        root = Path(tmp) / "telemetry"
        counts = seed_store(root, args.hours, args.rate)
        print(f"demo telemetry, {args.hours} h before {END:%Y-%m-%d %H:%M} UTC: "
              f"{counts['AppRequests']:,} requests, {sum(counts.values()):,} rows in {len(counts)} tables")  # fmt: skip
        source = LocalTelemetrySource(root)
        span = (END - timedelta(days=1), END)
        times: list[float] = []
        failures: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for entry in corpus:
            text, runs = runnable(entry), []
            try:
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    source.query(text, timespan=span, name=entry["id"])
                    runs.append(time.perf_counter() - started)
            except QueryError as exc:
                message = str(exc).strip().splitlines()[0]
                failures[failure_kind(message)].append((entry["id"], message))
                continue
            times.append(statistics.median(runs))

    ran = len(times)
    print(f"\n{ran}/{len(corpus)} run ({100 * ran / len(corpus):.0f} %)")
    if failures:
        print("\nfailing, by what the message names:")
        for kind, items in sorted(failures.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print(f"  {len(items):>3}  {kind}: {', '.join(i for i, _ in items)}")
            print(f"       e.g. {items[0][1][:200]}")
    if times:
        print(f"\ntime per query that runs (median of {args.repeat} runs each): median "
              f"{1000 * statistics.median(times):.1f} ms, p95 {1000 * percentile(times, 95):.1f} ms, "
              f"max {1000 * max(times):.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
