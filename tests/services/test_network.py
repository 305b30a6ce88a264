"""Where the servers listen: loopback by default; the embedded local identities never on a network address."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from services.cli import main
from services.config import AuthSettings, Settings
from services.network import is_loopback, local_auth_refusal
from tests.e2e.streamlit_server import ROOT, free_port


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        (None, False),
        ("10.1.2.3", False),
        ("backoffice.mana.example", False),
    ],
)
def test_which_addresses_are_loopback(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_local_identities_are_refused_on_a_network_address() -> None:
    refusal = local_auth_refusal(Settings(auth=AuthSettings(mode="local")), "0.0.0.0")
    assert refusal is not None and "SRE_AUTH_MODE=entra" in refusal and "SRE_ALLOW_LOCAL_AUTH_ON_NETWORK" in refusal
    assert (
        local_auth_refusal(Settings(auth=AuthSettings(mode="local")), None) is not None
    )  # Streamlit's default: every interface
    assert local_auth_refusal(Settings(auth=AuthSettings(mode="local")), "127.0.0.1") is None
    assert local_auth_refusal(Settings(auth=AuthSettings(mode="entra")), "0.0.0.0") is None
    assert local_auth_refusal(Settings(auth=AuthSettings(mode="local", allow_local_on_network=True)), "0.0.0.0") is None


def test_the_ui_command_refuses_before_listening(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SRE_BIND_ADDRESS", "0.0.0.0")
    assert main(["ui", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Refusing to serve on 0.0.0.0") and err.count("\n") == 1


def _listening(pid: int, port: int) -> list[str]:
    """The local addresses process `pid` listens on at `port`."""
    return [
        c.laddr.ip
        for c in psutil.Process(pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    ]


def test_the_ui_listens_on_loopback_only(isolated_settings: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "ui", "--port", str(port), "--", "--server.headless", "true"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (addresses := _listening(proc.pid, port)):
            assert proc.poll() is None and time.monotonic() < deadline, "the UI did not start"
            time.sleep(0.2)
        assert addresses == ["127.0.0.1"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
