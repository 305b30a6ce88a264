"""How a long-running command (the worker, the demo traffic) stops: quietly, on SIGINT or SIGTERM, however many come."""

from __future__ import annotations

import signal
import socket
import threading

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# the wakeup socket pair stays open for the life of the process: a closed one's descriptor number could be reused
_KEPT: list[socket.socket] = []


def _ignore(signum: int, frame: object) -> None:
    """The Python-level handler: nothing (the C-level one has already written the signal to the wakeup socket)."""


def stop_on_signals(stop: threading.Event | None = None) -> threading.Event:
    """An Event set once SIGINT or SIGTERM arrives (call from the main thread): no KeyboardInterrupt, so no traceback
    from inside a query, and nothing done inside the handler itself, since `Event.set()` there deadlocks when the
    signal lands while the main thread holds the Event's lock (in `stop.wait()`), as a burst of signals makes likely."""
    stop = stop or threading.Event()
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    _KEPT.extend((reader, writer))
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    for sig in STOP_SIGNALS:
        signal.signal(sig, _ignore)

    def wait_for_signal() -> None:
        wanted = {int(s) for s in STOP_SIGNALS}
        while data := reader.recv(64):
            if wanted.intersection(data):
                stop.set()
                return

    threading.Thread(target=wait_for_signal, name="stop-on-signal", daemon=True).start()
    return stop
