"""`sre-backoffice run` (what `make run` starts): the UI, the API, the alert worker and the demo traffic under one
supervisor that says when the UI is ready and stops every one of them on Ctrl+C, SIGTERM or SIGHUP.

Each child runs in its own session (so its own process group): a Ctrl+C in the terminal reaches make and the
supervisor only, and the supervisor sends each group SIGTERM once, and SIGKILL to those still running after GRACE_S.
On Linux each child also gets SIGTERM when the supervisor dies, even by SIGKILL (prctl PR_SET_PDEATHSIG); other
systems have no such call, and there a killed supervisor leaves its children running.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

GRACE_S = 3.0  # SIGTERM to SIGKILL: well inside the 5 s a user waits after Ctrl+C
POLL_S = 0.1
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# headless, no usage statistics, no file watcher (nothing is edited while it runs); the script health check lets the
# supervisor run the Home page once in the UI process before saying "ready", so a user's first page finds warm caches
STREAMLIT_ARGS = (
    "--server.headless",
    "true",
    "--browser.gatherUsageStats",
    "false",
    "--server.fileWatcherType",
    "none",
    "--server.scriptHealthCheckEnabled",
    "true",
)
Handler = Callable[[argparse.Namespace], int | None]


@dataclass(frozen=True)
class Child:
    """One supervised process: its name in messages and its command line."""

    name: str
    argv: tuple[str, ...]


def embedded_children(*, ui_port: int, actor: str | None = None) -> list[Child]:
    """What the embedded mode runs: the demo traffic, the alert worker, the API and the UI on `ui_port`."""
    cli = (sys.executable, "-m", "services.cli", *(("--actor", actor) if actor else ()))
    return [
        Child("demo", (*cli, "demo", "live")),
        Child("worker", (*cli, "worker")),
        Child("api", (*cli, "api")),
        Child("ui", (*cli, "ui", "--port", str(ui_port), "--", *STREAMLIT_ARGS)),
    ]


def _parent_death_signal() -> Callable[[], None] | None:
    """Linux: a function run in each child before exec that asks for SIGTERM when the supervisor dies."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before fork: the child only makes the call
    parent = os.getpid()

    def set_parent_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # the supervisor died before the call: no signal will come
            os._exit(1)

    return set_parent_death_signal


class Supervisor:
    """Start the children, watch them, and stop them all when a signal comes or any of them exits."""

    def __init__(self, children: Sequence[Child], *, grace_s: float = GRACE_S, out: TextIO | None = None) -> None:
        self.children = list(children)
        self.grace_s = grace_s
        self.out = out or sys.stdout
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.signals: list[int] = []  # appended to by the handler: a plain list operation, safe however often

    def say(self, text: str) -> None:
        """One line of the supervisor's own, flushed at once (children write to the same terminal)."""
        print(f"run: {text}", file=self.out, flush=True)

    def stopping(self) -> bool:
        """Whether a stop was asked for."""
        return bool(self.signals)

    def run(self, on_started: Callable[[Supervisor], None] | None = None) -> int:
        """Run until a signal (exit 0 once every child has stopped) or until a child exits on its own (exit 1)."""
        previous = {sig: signal.signal(sig, lambda signum, _frame: self.signals.append(signum)) for sig in STOP_SIGNALS}
        try:
            self._start()
            if on_started is not None and not self.stopping():  # threads only after the last fork
                threading.Thread(target=on_started, args=(self,), name="ready", daemon=True).start()
            exited = self._watch()
        finally:
            self._stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0 if exited is None else 1

    def _start(self) -> None:
        preexec = _parent_death_signal()
        for child in self.children:
            if self.stopping():
                return
            self.procs[child.name] = subprocess.Popen(
                child.argv, stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=preexec
            )

    def _watch(self) -> str | None:
        """Wait for a signal (None) or for a child to exit (its name)."""
        while not self.stopping():
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    self.say(f"{name} exited with code {proc.returncode}; stopping the others")
                    return name
            time.sleep(POLL_S)
        self.say(f"{signal.Signals(self.signals[0]).name} received; stopping {', '.join(self._alive())}")
        return None

    def _alive(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is None]

    def _signal(self, names: list[str], sig: int) -> None:
        for name in names:
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.killpg(self.procs[name].pid, sig)  # its group: whatever it started goes too

    def _stop(self) -> None:
        """SIGTERM to every child still running; SIGKILL after the grace period or on a second signal."""
        began, asked = time.monotonic(), len(self.signals)
        alive = self._alive()
        self._signal(alive, signal.SIGTERM)
        while alive and time.monotonic() - began < self.grace_s and len(self.signals) <= max(asked, 1):
            time.sleep(POLL_S / 2)
            alive = self._alive()
        if alive:
            self.say(f"{', '.join(alive)} still running: killed")
            self._signal(alive, signal.SIGKILL)
        for proc in self.procs.values():
            proc.wait()
        if self.procs:
            self.say(f"stopped in {time.monotonic() - began:.1f} s")


def _get(url: str, timeout_s: float) -> tuple[int, str]:
    """The status and body of a GET, or (0, reason) when nothing answers."""
    import urllib.error  # lazy: every CLI command imports this module
    import urllib.request

    loopback = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP_PROXY
    try:
        with loopback.open(url, timeout=timeout_s) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError as exc:
        return 0, str(exc)


def announce_ready(*, ui: str, api: str, public: str, started: float) -> Callable[[Supervisor], None]:
    """What runs once the children are started: wait for the UI's and the API's health, run the Home page once in
    the UI process (Streamlit's script health check: imports, database and telemetry caches), then say "ready"."""

    def wait(sup: Supervisor) -> None:
        answers: dict[str, tuple[int, str]] = {}
        # the UI once it says "ok" (503 while its runtime starts); the API on any answer (its 503 says why, below)
        for url, up in ((f"{ui}/_stcore/health", lambda st: st == 200), (f"{api}/healthz", lambda st: st != 0)):
            while not up((answer := _get(url, 2))[0]):
                if sup.stopping():
                    return
                time.sleep(0.25)
            answers[url] = answer
        up_at = time.monotonic()
        status, body = _get(f"{ui}/_stcore/script-health-check", 90)
        if sup.stopping():
            return
        warmed = f"Home page warmed in {time.monotonic() - up_at:.1f} s"
        if status != 200:  # 404: a Streamlit without the check; 503: the page failed (its error is in the UI's log)
            warmed = f"Home page not warmed: {status or 'no answer'} {body.strip()[:200]}"
        api_status, api_body = answers[f"{api}/healthz"]
        api_note = "" if api_status == 200 else f"; API unhealthy: {api_body.strip()[:300]}"
        sup.say(f"ready on {public} in {time.monotonic() - started:.1f} s ({warmed}{api_note}); Ctrl+C stops all")

    return wait


def register(sub: Any) -> dict[tuple[str, str | None], Handler]:
    """Add the `run` command."""
    p = sub.add_parser("run", help="run the UI, the API, the worker and the demo traffic until Ctrl+C (make run)")
    p.add_argument("--port", type=int, default=8501, help="the UI's port (the API's is SRE_API_PORT)")
    return {("run", None): _run}


def _run(args: argparse.Namespace) -> int:
    from services.config import get_settings  # lazy: keeps the CLI fast

    started = time.monotonic()
    settings = get_settings()
    bind = settings.ui.bind_address
    host = "127.0.0.1" if bind in ("0.0.0.0", "::", "localhost") else f"[{bind}]" if ":" in bind else bind
    shown = "localhost" if host in ("127.0.0.1", "[::1]") else host
    ready = announce_ready(
        ui=f"http://{host}:{args.port}",
        api=f"http://{host}:{settings.api.port}",
        public=f"http://{shown}:{args.port}",
        started=started,
    )
    return Supervisor(embedded_children(ui_port=args.port, actor=args.actor)).run(on_started=ready)
