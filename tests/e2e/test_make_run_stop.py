"""`make run` (the supervisor `sre-backoffice run`) over a temporary data folder: once it says "ready", Ctrl+C or
SIGTERM stops every child within 5 s, frees the UI's and the API's ports and prints no traceback; a supervisor killed
outright takes its children with it (Linux, PR_SET_PDEATHSIG)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.e2e.streamlit_server import ROOT

pytestmark = pytest.mark.heavy  # five processes, a Streamlit server and a minute of wall time per case

CLI = [sys.executable, "-m", "services.cli"]
START_TIMEOUT_S = 240  # a cold first start on a busy two-core machine: Streamlit's imports and the Home page's run
STOP_WITHIN_S = 5
CHILDREN = ("demo live", "worker", "api", "streamlit run")


@pytest.fixture(scope="module")
def data_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated database and one day of demo telemetry in a temporary folder, nothing from the developer's SRE_*."""
    data = tmp_path_factory.mktemp("make-run")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SRE_", "MAKE", "MFLAGS"))}
    env.update(
        SRE_DATABASE_URL=f"sqlite:///{data / 'state.db'}",
        SRE_TELEMETRY_DIR=str(data / "telemetry"),
        SRE_LOADTEST_DIR=str(data / "loadtests"),
        SRE_TESTRUN_DIR=str(data / "testruns"),
    )
    subprocess.run([*CLI, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*CLI, "demo", "seed", "--days", "1"], env=env, cwd=ROOT, check=True, capture_output=True)
    return env


def _free_ports(n: int) -> list[int]:
    """`n` distinct TCP ports nobody listens on (all held open while choosing, so no two are the same)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]


def _port_free(port: int) -> bool:
    """Whether nothing listens on the port (SO_REUSEADDR: a connection left in TIME_WAIT is not a listener)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Run:
    """A started `make run` or `sre-backoffice run`: the process the test signals, its descendants, ports, log."""

    entry: subprocess.Popen[bytes]
    tree: list[psutil.Process]
    ports: tuple[int, int]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def started(entry: str, env: dict[str, str], tmp_path: Path) -> Iterator[Run]:
    """Start `make run` or the supervisor on free ports in its own process group, as a terminal's foreground job;
    yield once it has said "ready"; whatever is left at the end (a failed test) is killed."""
    ui_port, api_port = _free_ports(2)
    env = {**env, "SRE_API_PORT": str(api_port)}
    if entry == "make":
        argv = ["make", "--no-print-directory", "-o", ".venv/.installed-stamp", "run", f"PORT={ui_port}"]
    else:
        argv = [*CLI, "run", "--port", str(ui_port)]
    log = tmp_path / f"{entry}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    tree: list[psutil.Process] = []
    try:
        run = Run(proc, tree, (ui_port, api_port), log)
        deadline = time.monotonic() + START_TIMEOUT_S
        while "run: ready" not in run.output():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no ready line within {START_TIMEOUT_S} s (exit {proc.poll()}):\n{run.output()[-3000:]}")
            time.sleep(0.5)
        tree += [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        yield run
    finally:  # leftovers of a failed test
        with contextlib.suppress(psutil.NoSuchProcess):
            tree += [p for p in psutil.Process(proc.pid).children(recursive=True) if p not in tree]
        for p in reversed(tree):
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def _running(tree: list[psutil.Process]) -> list[str]:
    """The command lines of those still running (a zombie has closed its ports and only waits for its reaper)."""
    found = []
    for p in tree:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                found.append(" ".join(p.cmdline()))
        except psutil.NoSuchProcess:
            pass
    return found


def _stops_within(run: Run, seconds: float, send: Callable[[], None]) -> list[str]:
    """Send the signal, then wait up to `seconds` for the whole tree to end; the commands still running then."""
    assert all(not _port_free(p) for p in run.ports), "the UI and the API should be listening before the stop"
    commands = _running(run.tree)
    assert all(any(c in cmd for cmd in commands) for c in CHILDREN), commands
    send()
    deadline = time.monotonic() + seconds
    with contextlib.suppress(subprocess.TimeoutExpired):
        run.entry.wait(timeout=seconds)  # our own child: reaped here, its exit code kept
    while (left := _running(run.tree[1:])) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left + ([" ".join(map(str, run.entry.args))] if run.entry.poll() is None else [])


@pytest.mark.parametrize(
    ("entry", "how"),
    [
        ("make", "ctrl-c"),  # SIGINT to the terminal's foreground process group: make and the supervisor
        ("make", "sigterm"),  # `kill <make>` (make passes SIGTERM on to the supervisor)
        ("supervisor", "sigterm"),  # `kill <sre-backoffice run>`, as a service manager does
    ],
)
def test_every_child_stops_within_5_s_quietly_and_frees_its_port(
    entry: str, how: str, data_env: dict[str, str], tmp_path: Path
) -> None:
    if entry == "make" and (shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "sre-backoffice").exists()):
        pytest.skip("make, or the repository's .venv that the Makefile runs, is missing")
    with started(entry, data_env, tmp_path) as run:
        pid = run.entry.pid
        send = (lambda: os.killpg(pid, signal.SIGINT)) if how == "ctrl-c" else (lambda: os.kill(pid, signal.SIGTERM))
        left = _stops_within(run, STOP_WITHIN_S, send)
        assert left == [], f"still running {STOP_WITHIN_S} s after {how}: {left}\n{run.output()[-3000:]}"
        assert all(_port_free(p) for p in run.ports), run.output()[-3000:]
        text = run.output()
        assert "Home page warmed in" in text, text[-3000:]  # Streamlit's script health check ran the Home page
        assert "run: stopped in" in text, text[-3000:]
        # a child still busy after the grace period (a worker cycle on a loaded machine) is killed: allowed, as long
        # as everything is gone within STOP_WITHIN_S
        for bad in ("Traceback", "Segmentation fault", "make: ***", "error:"):
            assert bad not in text, f"{bad!r} in the output:\n{text[-3000:]}"
        if entry == "supervisor":
            assert run.entry.returncode == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's alone")
def test_a_supervisor_killed_outright_takes_its_children_with_it(data_env: dict[str, str], tmp_path: Path) -> None:
    with started("supervisor", data_env, tmp_path) as run:
        left = _stops_within(run, STOP_WITHIN_S, lambda: run.entry.send_signal(signal.SIGKILL))
        assert left == [], f"orphans {STOP_WITHIN_S} s after SIGKILL to the supervisor: {left}"
        assert all(_port_free(p) for p in run.ports)
        assert "Traceback" not in run.output(), run.output()[-3000:]
