"""Test-run import benchmark: a 100,000-case JUnit XML read by junitparser alone, by formats.parse_files and imported
whole; then the Testing page over 1,000 runs.

usage: .venv/bin/python bench/testrun_bench.py [--cases 100000] [--repeat 3] [--runs 1000] [--run-cases 20]
                                              [--data bench/out/testruns] [--profile] [--no-page]

Builds (once, cached in --data) a JUnit XML in the shape pytest --junitxml writes: testsuites > one testsuite >
--cases testcase elements with classname, name and time; every 50th case fails (<failure message=...> with a pytest
traceback as its text, 2 %), every 100th is skipped (<skipped type="pytest.skip" message=...>, 1 %). Then, interleaved
so a busy moment of the shared machine hits every step alike, medians of --repeat runs in this process:
  - baseline:     junitparser alone, as its docs show: JUnitXml.fromfile(path), every suite, every case, its result
                  (and the fields the import keeps: name, classname, time, each result's message and text)
  - parse_files:  services.testruns.formats.parse_files on the same path (streaming parser, defusedxml, ParsedCase)
  - import_run:   services.testruns.service.import_run on a new temporary SQLite database migrated to head and a new
                  SRE_TESTRUN_DIR (neither timed): parse, the run's row, its 100,000 results written to a Parquet file
                  (zstd, flushed, renamed into place), the audit entry, the commit
Target: the import under 2x junitparser alone. --profile prints cProfile's top 15 functions of parse_files.
Then the Testing page (pages/testing.py through app/main.py in Streamlit's AppTest) over --runs runs of --run-cases
cases each, all of one service and kind (the heaviest page: every run in the table, 50 in the history), imported one
by one through import_run (the setup time is printed): first render with every cache cleared (median of up to 3) and
a warm rerun (median of --repeat). Target: warm under 1 s. No assertion: it prints, a reader judges.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import junitparser

logging.getLogger("streamlit").setLevel(logging.ERROR)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.auth import Actor  # noqa: E402
from services.config import get_settings  # noqa: E402
from services.db import get_engine, make_engine, session_scope  # noqa: E402
from services.migrate import upgrade  # noqa: E402
from services.testruns import formats  # noqa: E402
from services.testruns import service as testrun_service  # noqa: E402
from services.testruns.schemas import parse_run_options  # noqa: E402

DEVELOPER = Actor("bench", "developer")
OPTIONS: dict[str, object] = {"service": "mana", "kind": "unit", "release": "2026.12.1", "branch": "main"}


def failure_text(i: int) -> str:
    """A pytest traceback, as --junitxml writes it inside <failure>."""
    return (
        f"def test_case_{i}(client):\n        response = client.get('/api/shops/{i}')\n"
        f">       assert response.status_code == 200\nE       assert 500 == 200\nE        +  where 500 = "
        f"<Response [500]>.status_code\n\ntests/api/test_module_{i // 500}.py:{10 + i % 400}: AssertionError"
    )


def testcase(i: int, fails: bool, skipped: bool) -> str:
    """One <testcase> as pytest writes it: classname is the dotted module (and class), name the test (with params)."""
    classname = f"tests.api.test_module_{i // 500}.TestShops{i // 50 % 10}"
    head = f'<testcase classname="{classname}" name="test_case_{i}[param{i % 4}]" time="{(i % 997) / 1000:.3f}"'
    if fails:
        message = quoteattr(f"assert 500 == 200\n +  where 500 = <Response [500]>.status_code (case {i})")
        return f"{head}><failure message={message}>{escape(failure_text(i))}</failure></testcase>"
    if skipped:
        where = f"tests/api/test_module_{i // 500}.py:{10 + i % 400}"
        return f'{head}><skipped type="pytest.skip" message="needs a GPU">{where}: needs a GPU</skipped></testcase>'
    return f"{head} />"


def junit_report(cases: int, *, seed: int = 0) -> str:
    """A pytest JUnit XML of `cases` test cases; case i fails when (i + seed) % 50 == 7, is skipped when % 100 == 13."""
    body = [testcase(i, (i + seed) % 50 == 7, (i + seed) % 100 == 13) for i in range(cases)]
    failures = sum(1 for i in range(cases) if (i + seed) % 50 == 7)
    skipped = sum(1 for i in range(cases) if (i + seed) % 100 == 13)
    took = sum((i % 997) / 1000 for i in range(cases))
    return (
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest" errors="0" failures="{failures}" skipped="{skipped}" tests="{cases}" '
        f'time="{took:.3f}" timestamp="2026-11-01T12:00:00.000000+00:00" hostname="bench-runner">'
        + "\n".join(body)
        + "</testsuite></testsuites>"
    )


def ensure_report(data: Path, cases: int) -> Path:
    """The big report, written once and kept."""
    path = data / f"junit-{cases}.xml"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(junit_report(cases), encoding="utf-8")
        tmp.replace(path)
        print(f"built {path} ({path.stat().st_size / 1e6:,.1f} MB) in {time.perf_counter() - t:.1f} s")
    return path


def junitparser_alone(path: Path) -> tuple[int, int]:
    """junitparser's documented loop over the file, reading what the import keeps; (cases, failed or skipped)."""
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = [xml] if isinstance(xml, junitparser.TestSuite) else xml
    cases = results = 0
    for suite in suites:
        for case in suite:
            _ = (case.name, case.classname, case.time)
            for result in case.result:
                _ = (result.message, result.text)
                results += 1
            cases += 1
    return cases, results


def parse(path: Path, max_bytes: int) -> tuple[int, int]:
    """formats.parse_files on the path; (cases, failed or skipped)."""
    reports = formats.parse_files([(path.name, path)], max_bytes=max_bytes)
    cases = [c for r in reports for c in r.cases]
    return len(cases), sum(1 for c in cases if c.outcome != "passed")


def import_into(url: str, path: Path, max_bytes: int) -> tuple[int, int]:
    """import_run of the file into the database, committed; (tests, failed + skipped) of the stored run."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            run = testrun_service.import_run(
                s, actor=DEVELOPER, files=[(path.name, path)], options=parse_run_options(OPTIONS), max_bytes=max_bytes
            )
            return run.tests, run.failed + run.errors + run.skipped
    finally:
        engine.dispose()


def clocked(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds, CPU seconds and the result of one call."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t, time.process_time() - c, out


def row(label: str, wall: float, cpu: float | None = None, note: str = "") -> None:
    cpu_text = f"{cpu:>9.3f}" if cpu is not None else " " * 9
    print(f"{label:<60}{wall:>9.3f}{cpu_text}   {note}".rstrip())


def bench_import(path: Path, repeat: int, max_bytes: int, tmp: Path) -> None:
    """The three steps, interleaved, medians of `repeat`, and their ratios to junitparser alone."""
    walls: dict[str, list[float]] = {"base": [], "parse": [], "import": []}
    cpus: dict[str, list[float]] = {"base": [], "parse": [], "import": []}
    counts: dict[str, Any] = {}
    for i in range(repeat):
        url = f"sqlite:///{tmp / f'import-{i}.db'}"
        upgrade(url)
        os.environ["SRE_TESTRUN_DIR"] = str(tmp / f"testruns-{i}")
        get_settings.cache_clear()
        for key, fn in (
            ("base", lambda: junitparser_alone(path)),
            ("parse", lambda: parse(path, max_bytes)),
            ("import", lambda: import_into(url, path, max_bytes)),  # noqa: B023 - called within this iteration
        ):
            w, c, counts[key] = clocked(fn)
            walls[key].append(w)
            cpus[key].append(c)
    wall = {k: statistics.median(v) for k, v in walls.items()}
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    size = path.stat().st_size / 1e6
    print(
        f"file: {path.name}, {size:,.1f} MB, {counts['base'][0]:,} cases ({counts['base'][1]:,} failed or skipped); "
        f"{os.cpu_count()} cores; junitparser {junitparser.version}; medians of {repeat} interleaved runs"
    )
    print("import seconds: " + ", ".join(f"{t:.2f}" for t in walls["import"]))
    print()
    print(f"{'measure':<60}{'wall s':>9}{'CPU s':>9}")
    row("baseline: junitparser alone (JUnitXml.fromfile + every result)", wall["base"], cpu["base"])
    same = "same counts" if counts["parse"] == counts["base"] == counts["import"] else f"COUNTS DIFFER: {counts}"
    rows = f"{counts['import'][0] // 1000:,}k" if counts["import"][0] >= 1000 else f"{counts['import'][0]}"
    for key, label in (
        ("parse", "formats.parse_files"),
        ("import", f"import_run (parse + {rows} results to Parquet + audit, commit)"),
    ):
        row(label, wall[key], cpu[key], f"({wall[key] / wall['base']:.2f}x junitparser alone; {same})")
    stored = wall["import"] - wall["parse"]
    row("  of which storing (import_run − parse_files)", stored, cpu["import"] - cpu["parse"])
    verdict = "meets" if wall["import"] < 2 * wall["base"] else "MISSES"
    print(f"target: import under 2x junitparser alone ({2 * wall['base']:.3f} s): {verdict} it")


def profile_parse(path: Path, max_bytes: int) -> None:
    """cProfile's top 15 functions of parse_files, by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    parse(path, max_bytes)
    profiler.disable()
    print()
    print("cProfile of formats.parse_files, top 15 by own time:")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def small_report(run: int, cases: int) -> bytes:
    """A run of `cases` tests; each run fails a different few (and test 3 flips every 7th run: a flaky test)."""
    body = []
    for j in range(cases):
        fails = (run + j) % 37 == 0 or (j == 3 and run % 7 == 0)
        body.append(testcase(j, fails, not fails and j == cases - 1))
    return (
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest">'
        + "".join(body)
        + "</testsuite></testsuites>"
    ).encode()


def seed_runs(runs: int, cases: int, max_bytes: int) -> None:
    """`runs` runs imported one by one (each its own transaction, as a pipeline would) into the configured database."""
    for i in range(runs):
        options = {**OPTIONS, "release": f"2026.12.{i // 50}", "commit": f"{i:040x}"}
        with session_scope() as s:
            testrun_service.import_run(
                s,
                actor=DEVELOPER,
                files=[(f"run-{i}.xml", small_report(i, cases))],
                options=parse_run_options(options),
                max_bytes=max_bytes,
            )


def testing_page(repeat: int) -> tuple[float, float, int] | str:
    """pages/testing.py through the app/main.py router in AppTest: the first render with every cache cleared (median
    of up to 3), a warm rerun (median of `repeat`), and how many runs its runs table shows."""
    import streamlit as st
    from streamlit.logger import set_log_level
    from streamlit.testing.v1 import AppTest

    set_log_level("error")  # "No runtime found" and "missing ScriptRunContext" when caches are cleared out of a run

    firsts, warms = [], []
    for _ in range(max(1, min(repeat, 3))):
        st.cache_data.clear()
        st.cache_resource.clear()
        get_engine.cache_clear()
        at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180)
        at.run()  # the landing page, untimed
        at.switch_page("../pages/testing.py")
        t = time.perf_counter()
        at.run()
        firsts.append(time.perf_counter() - t)
        if at.exception:
            return f"not measured: the page raised {at.exception[0].message}"
    for _ in range(repeat):
        t = time.perf_counter()
        at.run()
        warms.append(time.perf_counter() - t)
    shown = next((len(d.value) for d in at.dataframe if "pass rate" in d.value.columns), 0)
    return statistics.median(firsts), statistics.median(warms), shown


def bench_page(runs: int, cases: int, repeat: int, max_bytes: int, tmp: Path) -> None:
    """Seed the runs into a database of their own, then time the page."""
    url = f"sqlite:///{tmp / 'page.db'}"
    os.environ.update(
        SRE_DATABASE_URL=url, SRE_TELEMETRY_DIR=str(tmp / "telemetry"), SRE_TESTRUN_DIR=str(tmp / "page-testruns")
    )
    get_settings.cache_clear()
    get_engine.cache_clear()
    upgrade(url)
    t = time.perf_counter()
    seed_runs(runs, cases, max_bytes)
    print()
    print(
        f"Testing page: {runs:,} runs of {cases} cases imported through import_run in {time.perf_counter() - t:.1f} s"
    )
    page = testing_page(repeat)
    if isinstance(page, str):
        print(f"Testing page (AppTest): {page}")
        return
    first, warm, shown = page
    row(f"  first render, every cache cleared ({shown:,} runs in the table)", first)
    row("  rerun with warm caches", warm, note=f"(target under 1 s: {'meets' if warm < 1 else 'MISSES'} it)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--run-cases", type=int, default=20)
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "testruns")
    ap.add_argument("--profile", action="store_true", help="print cProfile's top 15 of parse_files")
    ap.add_argument("--no-page", action="store_true", help="skip the Testing page")
    args = ap.parse_args()
    path = ensure_report(args.data, args.cases)
    max_bytes = get_settings().uploads.max_decompressed_mb << 20
    with tempfile.TemporaryDirectory(prefix="testrun-bench-") as tmp:
        bench_import(path, args.repeat, max_bytes, Path(tmp))
        if args.profile:
            profile_parse(path, max_bytes)
        if not args.no_page:
            bench_page(args.runs, args.run_cases, args.repeat, max_bytes, Path(tmp))


if __name__ == "__main__":
    main()
