"""The supervisor behind `sre-backoffice run` and the quiet stop of the long-running commands, on small stand-in
children: each case runs in its own Python process, since both install signal handlers."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import psutil
import pytest

from tests.conftest import ROOT

SLEEPER = "import time; time.sleep(60)"
STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"


STARTED: list[psutil.Process] = []


@pytest.fixture(autouse=True)
def no_leftovers() -> Iterator[None]:
    """Whatever a failed case leaves running is killed."""
    yield
    while STARTED:
        with contextlib.suppress(psutil.NoSuchProcess):
            STARTED.pop().kill()


def _popen(script: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    STARTED.append(psutil.Process(proc.pid))
    return proc


def _supervise(children: dict[str, str], *, grace_s: float) -> subprocess.Popen[str]:
    """A supervisor over Python children (name: code) that prints "started <pids>" once they all run."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from services.supervisor import Child, Supervisor

        def started(sup):
            time.sleep(0.5)  # the children's own signal handlers are in place
            print("started", *[p.pid for p in sup.procs.values()], flush=True)

        children = [Child(n, (sys.executable, "-c", code)) for n, code in {children!r}.items()]
        sys.exit(Supervisor(children, grace_s={grace_s}).run(on_started=started))
        """
    )
    return _popen(script)


def _started(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("started"), line
    children = [psutil.Process(int(pid)) for pid in line.split()[1:]]
    STARTED.extend(children)
    return children


def _finish(proc: subprocess.Popen[str], timeout_s: float) -> str:
    out, _ = proc.communicate(timeout=timeout_s)
    return out


def test_a_signal_stops_every_child_and_the_supervisor_exits_0() -> None:
    proc = _supervise({"a": SLEEPER, "b": SLEEPER}, grace_s=3)
    children = _started(proc)
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out = _finish(proc, 5)
    _, alive = psutil.wait_procs(children, timeout=1)
    assert (proc.returncode, alive) == (0, [])
    assert time.monotonic() - began < 3  # SIGTERM is enough: no waiting for the grace period
    assert "run: SIGINT received; stopping a, b" in out
    assert "Traceback" not in out


def test_a_child_deaf_to_sigterm_is_killed_after_the_grace_period() -> None:
    proc = _supervise({"deaf": STUBBORN, "b": SLEEPER}, grace_s=1)
    children = _started(proc)
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out = _finish(proc, 5)
    _, alive = psutil.wait_procs(children, timeout=1)
    assert (proc.returncode, alive) == (0, [])
    assert 1 <= time.monotonic() - began < 3
    assert "run: deaf still running: killed" in out


def test_a_second_signal_kills_at_once() -> None:
    proc = _supervise({"deaf": STUBBORN}, grace_s=30)
    children = _started(proc)
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out = _finish(proc, 5)
    assert psutil.wait_procs(children, timeout=1)[1] == []
    assert time.monotonic() - began < 3  # not the 30 s of grace
    assert "run: deaf still running: killed" in out


def test_a_child_that_exits_stops_the_others_and_the_supervisor_exits_1() -> None:
    proc = _supervise({"quitter": "import time; time.sleep(1.5); raise SystemExit(3)", "b": SLEEPER}, grace_s=3)
    children = _started(proc)
    out = _finish(proc, 10)
    assert psutil.wait_procs(children, timeout=1)[1] == []
    assert proc.returncode == 1
    assert "run: quitter exited with code 3; stopping the others" in out


def test_the_long_running_commands_stop_quietly_however_many_signals_come() -> None:
    """A burst of SIGINT and SIGTERM: one clean stop, no KeyboardInterrupt, no deadlock in the Event's lock (setting
    the Event inside the handler hung the worker when a signal landed while `stop.wait()` held that lock)."""
    script = textwrap.dedent(
        """
        from services.shutdown import stop_on_signals
        stop = stop_on_signals()
        print("up", flush=True)
        while not stop.wait(0.001):  # the lock is taken and released all the time, as the worker's loop does
            pass
        print("stopped", flush=True)
        """
    )
    proc = _popen(script)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "up\n"
    for i in range(200):
        proc.send_signal(signal.SIGINT if i % 2 else signal.SIGTERM)
    out = _finish(proc, 5)
    assert out == "stopped\n"
    # the burst may outlast the program: Python puts the default handlers back as it exits, so a late one ends it
    assert proc.returncode in (0, -signal.SIGINT, -signal.SIGTERM)
