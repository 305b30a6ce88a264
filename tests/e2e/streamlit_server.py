"""Start `streamlit run app/main.py` on a free port and drive Debian's chromium: shared by the browser test
and the benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SCRIPT_DONE = (
    "document.querySelector(\"[data-testid='stApp']\")?.getAttribute('data-test-script-state') === 'notRunning'"
)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_server(
    env: dict[str, str], log: Path | None = None, timeout_s: float = 60, args: tuple[str, ...] = (), port: int = 0
) -> Iterator[str]:
    """Run the app as `make run` does (`sre-backoffice ui`) until the block ends; yields its base URL once the port
    accepts connections. `args` are further `streamlit run` options."""
    port = port or free_port()
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.cli",
            "ui",
            "--port",
            str(port),
            "--",
            "--server.headless",
            "true",
            *args,
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    tail = log.read_text()[-2000:] if log else ""
                    raise RuntimeError(f"streamlit did not start on port {port}: {tail}") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if log:
            out.close()  # type: ignore[union-attr]


def settle(page: Any, timeout_ms: int = 60_000) -> None:
    """Wait until the page's script run has finished."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    page.wait_for_function(SCRIPT_DONE, timeout=timeout_ms)
    page.wait_for_timeout(300)
