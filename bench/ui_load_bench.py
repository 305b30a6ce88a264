"""Many operators at once: 10 browser sessions walking Home, SLOs, Failures and Triage together, next to one session.

usage: .venv/bin/python bench/ui_load_bench.py [--sessions 10] [--seconds 120] [--single-seconds 30]
                                              [--days 3] [--timeout 90] [--think 0] [--reload]

Starts its own `streamlit run app/main.py` (as `make run` does, tests/e2e/streamlit_server.py) on a free port over a
COPY of the demo data in a temporary folder, so the developer's state is never touched: .data/ when it holds a
database (SQLite's backup API for the database, the telemetry and load-test folders copied as files), else a fresh
`db upgrade` and `demo seed --days N` there. One headless chromium (Playwright, async API), one context per session
(its own cookies, cache and Streamlit session), viewport 1400x1000. The walk: Home `/`, SLOs `/slos`, Failures
`/failures`, Triage `/triage`, over and over, each page reached as an operator does, by a click on its sidebar link
(the same tab and Streamlit session all along); --reload loads each page's URL afresh instead (page.goto: a new
session and the app's scripts again every time, which costs chromium about twice the CPU).
  - warm-up (untimed): one walk, so the server's first imports and the first cache fills are not in the figures
  - single session: a new context opens Home (untimed), then walks for --single-seconds from SLOs on, every page
    timed (the baseline, same run, same server)
  - concurrent: --sessions new contexts open page i mod 4 together (untimed: each context's first load also fetches
    Streamlit's scripts), then all walk at once for --seconds from their next page (so they spread over the pages)
In both a page started before the end is finished and counted. --think S makes every concurrent session stay 0.5 to
1.5 x S seconds on each page before the next, its first click after a random part of S (0: back to back, the heaviest
load 10 operators can make); the single session always walks back to back (a page's time does not depend on it).
Page-complete time: from the click (or page.goto) until the page's Streamlit script run has finished and the page is
the new one: stApp's data-test-script-state is `notRunning` (it reads `initial` before the first run), no running icon
in the status widget, no app skeleton, and the main area's h1 holds the page's title (the four differ, so the previous
page's heading never passes) or an exception or error box shows; still so 0.3 s later (else the wait goes on: a
rerun), the 0.3 s not counted. An error: an exception box, an error alert (the pages' "Something went wrong ..." and
service errors), a wrong h1, or no page-complete within --timeout s; errors are left out of the percentiles and
counted. p50 and p95 by statistics.quantiles (inclusive), per page and overall; the CPU seconds the server and
chromium used in each phase (psutil) and the load average show how busy the 2 cores were: the load generator runs on
the same cores as the server.
Target: concurrent p95 under 3x the single session's p95, and no error. No assertion: it prints, a reader judges.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

# (name, URL path, text the page's h1 holds)
WALK = (("Home", "/", "SRE Backoffice ·"), ("SLOs", "/slos", "SLOs & error budgets"),
        ("Failures", "/failures", "Failures"), ("Triage", "/triage", "Triage queue"))  # fmt: skip
# page-complete: the script run is over and the page's own h1 is drawn (an exception or error box ends the wait too)
DONE = """(heading) => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector("[data-testid='stStatusWidgetRunningIcon'], [data-testid='stAppSkeleton']")) return false;
  if (document.querySelector("[data-testid='stException'], [data-testid='stAlertContentError']")) return true;
  return (document.querySelector("[data-testid='stMain'] h1")?.innerText ?? '').includes(heading);
}"""
PROBLEMS = """() => [...document.querySelectorAll(
  "[data-testid='stException'], [data-testid='stAlertContentError']")].map(e => e.innerText.slice(0, 160))"""
VIEWPORT = {"width": 1400, "height": 1000}
HEADING = "() => document.querySelector(\"[data-testid='stMain'] h1\")?.innerText ?? ''"


@dataclass
class Phase:
    """The page loads of one phase: seconds per page name, and the errors seen."""

    times: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name, _, _ in WALK})
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)

    def loads(self) -> int:
        return sum(len(v) for v in self.times.values()) + len(self.errors)


def copy_demo_data(tmp: Path, days: int, env: dict[str, str]) -> str:
    """The demo data in `tmp`: a copy of .data/ when it has a database, else seeded there; says which."""
    src = ROOT / ".data"
    cli = [sys.executable, "-m", "services.cli"]
    if (src / "backoffice.db").exists():
        with sqlite3.connect(src / "backoffice.db") as live, sqlite3.connect(tmp / "backoffice.db") as copy:
            live.backup(copy)  # consistent even while `make run` writes to it
        for folder in ("telemetry", "loadtests", "testruns"):
            if (src / folder).is_dir():
                shutil.copytree(src / folder, tmp / folder)
        subprocess.run([*cli, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        return f"a copy of {src}"
    subprocess.run([*cli, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*cli, "demo", "seed", "--days", str(days)], env=env, cwd=ROOT, check=True, capture_output=True)
    return f"`demo seed --days {days}` (no {src / 'backoffice.db'})"


def cpu_seconds() -> dict[str, float]:
    """User + system CPU seconds so far of this process's streamlit server and of chromium (every process)."""
    out = {"server": 0.0, "chromium": 0.0}
    for proc in psutil.Process().children(recursive=True):
        try:
            line = " ".join(proc.cmdline())
            times = proc.cpu_times()
        except psutil.Error:
            continue
        kind = "server" if "streamlit" in line else "chromium" if "chromium" in line else ""
        if kind:
            out[kind] += times.user + times.system + times.children_user + times.children_system
    return out


@dataclass(frozen=True)
class Target:
    """The server under test and how pages are reached."""

    base: str
    timeout_s: float
    reload: bool
    think_s: float = 0.0


async def load(page: Any, step: tuple[str, str, str], target: Target, phase: Phase) -> None:
    """One page, timed until page-complete: a click on its sidebar link (a full load of its URL with --reload, or
    when the context shows no page yet); its seconds, or an error, into `phase`."""
    name, path, heading = step
    base, timeout_s = target.base, target.timeout_s
    t = time.perf_counter()
    try:
        if target.reload or not page.url.startswith(base):
            await page.goto(base + path, wait_until="commit", timeout=timeout_s * 1000)
        else:
            await page.click(f"[data-testid='stSidebarNav'] a[href='{base}{path}']", timeout=timeout_s * 1000)
        while True:
            left = max(1.0, timeout_s - (time.perf_counter() - t)) * 1000
            await page.wait_for_function(DONE, arg=heading, polling=50, timeout=left)
            took = time.perf_counter() - t
            await asyncio.sleep(0.3)  # a rerun right after the first run ends: wait for that one
            if await page.evaluate(DONE, heading):
                break
        problems = await page.evaluate(PROBLEMS)
        shown = await page.evaluate(HEADING)
    except Exception as exc:  # a timeout or a crash: one error of this load
        what = f"not complete within {timeout_s:.0f} s" if type(exc).__name__ == "TimeoutError" else repr(exc)[:160]
        phase.errors.append(f"{name}: {what}")
        return
    if problems:
        phase.errors.append(f"{name}: {problems[0]!r}")
    elif heading not in shown:
        phase.errors.append(f"{name}: heading {shown!r}, not {heading!r}")
    else:
        phase.times[name].append(took)


async def walk(page: Any, start: int, until: float, target: Target, phase: Phase) -> None:
    """Walk the pages from WALK[start] on until `until` (perf_counter), timing each into `phase`; with think time,
    a first pause of a random part of it and then 0.5 to 1.5 times it on each page, so sessions do not click in step."""
    i, pause = start, random.Random(start)
    await asyncio.sleep(pause.uniform(0, target.think_s))
    while time.perf_counter() < until:
        await load(page, WALK[i % len(WALK)], target, phase)
        await asyncio.sleep(min(target.think_s * pause.uniform(0.5, 1.5), max(0.0, until - time.perf_counter())))
        i += 1


async def warm_up(browser: Any, target: Target) -> None:
    """One untimed walk in a context of its own: the server's first imports and cache fills."""
    context = await browser.new_context(viewport=VIEWPORT)
    page, scratch = await context.new_page(), Phase()
    for step in WALK:
        await load(page, step, target, scratch)
    await context.close()
    for error in scratch.errors:
        print(f"  warm-up error: {error}")


async def run_phase(browser: Any, target: Target, sessions: int, seconds: float) -> Phase:
    """`sessions` new contexts open their first page (untimed, together), then walk at once for `seconds`; with the
    CPU seconds and the load average around the walk."""
    contexts = [await browser.new_context(viewport=VIEWPORT) for _ in range(sessions)]
    pages = [await c.new_page() for c in contexts]
    opened = Phase()
    await asyncio.gather(*(load(pg, WALK[i % len(WALK)], target, opened) for i, pg in enumerate(pages)))
    phase = Phase(errors=[f"first load, {e}" for e in opened.errors])
    before, load0 = cpu_seconds(), os.getloadavg()[0]
    t = time.perf_counter()
    await asyncio.gather(*(walk(pg, i + 1, t + seconds, target, phase) for i, pg in enumerate(pages)))
    phase.wall = time.perf_counter() - t
    after = cpu_seconds()
    phase.cpu = {k: after[k] - before[k] for k in after}
    phase.load = (load0, os.getloadavg()[0])
    for c in contexts:
        await c.close()
    return phase


def p50_p95(times: list[float]) -> tuple[float, float] | None:
    if len(times) < 2:
        return (times[0], times[0]) if times else None
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return statistics.median(times), cuts[94]


def cell(times: list[float]) -> str:
    q = p50_p95(times)
    return f"{len(times):>6}{q[0]:>8.2f}{q[1]:>8.2f}" if q else f"{len(times):>6}{'-':>8}{'-':>8}"


def report(single: Phase, many: Phase, args: argparse.Namespace) -> None:
    """Per page and overall: p50/p95 of one session next to many and the ratio of the p95s; then the verdict."""
    sessions = args.sessions
    how = "a full load of its URL" if args.reload else "a click on its sidebar link"
    pace = f"concurrent sessions stay 0.5-1.5 x {args.think:g} s on a page" if args.think else "back to back"
    print(f"\neach page reached by {how}, {pace}; page-complete seconds:")
    print(f"{'page':<10}{'single: n':>10}{'p50 s':>8}{'p95 s':>8}{f'{sessions} sessions: n':>18}{'p50 s':>8}"
          f"{'p95 s':>8}{'p95 ratio':>11}")  # fmt: skip
    rows = [(name, single.times[name], many.times[name]) for name, _, _ in WALK]
    rows.append(("all pages", list(chain(*single.times.values())), list(chain(*many.times.values()))))
    ratios = []
    for name, one, all_ in rows:
        q1, qn = p50_p95(one), p50_p95(all_)
        ratios.append(qn[1] / q1[1] if q1 and qn else None)
        shown = f"{ratios[-1]:.2f}x" if ratios[-1] else "-"
        print(f"{name:<10}{cell(one):>26}{cell(all_):>34}{shown:>11}")
    print()
    for label, ph, n in (("single session", single, 1), (f"{sessions} sessions", many, sessions)):
        rate = ph.loads() / ph.wall * 60 if ph.wall else 0
        per = ph.cpu["server"] / ph.loads() if ph.loads() else 0
        print(f"{label}: {ph.loads()} page loads in {ph.wall:.0f} s ({rate:.0f}/min), {len(ph.errors)} errors; CPU "
              f"s: server {ph.cpu['server']:.0f} ({per:.2f} a load), chromium {ph.cpu['chromium']:.0f} ({n} "
              f"context(s)); load average {ph.load[0]:.1f} -> {ph.load[1]:.1f}")  # fmt: skip
    for error, times in Counter(single.errors + many.errors).most_common(8):
        print(f"  error x{times}: {error}")
    overall = ratios[-1]  # all pages
    met = overall is not None and overall < 3 and not single.errors and not many.errors
    print(f"target: p95 under 3x single-session, no error: {'MET' if met else 'MISSES'}")


async def bench(base: str, args: argparse.Namespace) -> tuple[Phase, Phase]:
    from playwright.async_api import async_playwright

    target = Target(base, args.timeout, args.reload, args.think)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        t = time.perf_counter()
        await warm_up(browser, target)
        print(f"warm-up walk: {time.perf_counter() - t:.1f} s", flush=True)
        single = await run_phase(browser, replace(target, think_s=0), 1, args.single_seconds)
        print(f"single session: {single.loads()} page loads", flush=True)
        many = await run_phase(browser, target, args.sessions, args.seconds)
        await browser.close()
    return single, many


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=120, help="how long the concurrent sessions walk")
    ap.add_argument("--single-seconds", type=float, default=30, help="how long the single session walks")
    ap.add_argument("--days", type=int, default=3, help="days of demo telemetry to seed when .data/ is absent")
    ap.add_argument("--timeout", type=float, default=90, help="seconds a page may take before it counts as an error")
    ap.add_argument("--think", type=float, default=0, help="seconds a session stays on a page before the next")
    ap.add_argument("--reload", action="store_true", help="reach every page by a full load of its URL, not a click")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"not measured: {CHROMIUM} is not installed (apt-get install chromium)")
        return
    with tempfile.TemporaryDirectory(prefix="ui-load-bench-") as tmp:
        data = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SRE_")}
        env.update(
            SRE_DATABASE_URL=f"sqlite:///{data / 'backoffice.db'}",
            SRE_TELEMETRY_DIR=str(data / "telemetry"),
            SRE_LOADTEST_DIR=str(data / "loadtests"),
            SRE_TESTRUN_DIR=str(data / "testruns"),
        )
        t = time.perf_counter()
        source = copy_demo_data(data, args.days, env)
        print(f"demo data: {source}, ready in {time.perf_counter() - t:.1f} s; {os.cpu_count()} cores; load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
        with streamlit_server(env, log=data / "streamlit.log", timeout_s=120) as base:
            single, many = asyncio.run(bench(base, args))
    report(single, many, args)


if __name__ == "__main__":
    main()
