"""A tiny local HTTP API for running the real k6 against: three endpoints, one of them failing every 4th call."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    counter = itertools.count()

    def _answer(self, status: int, body: bytes, delay_s: float) -> None:
        time.sleep(delay_s)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # k6 may hang up at the end of a stage
            self.wfile.write(body)

    def do_GET(self) -> None:
        n = next(self.counter)
        if self.path.startswith("/api/shops"):
            self._answer(200, b'{"shops":[1,2,3]}', 0.002 + (n % 5) * 0.001)
        elif self.path.startswith("/api/orders"):
            status = 500 if n % 4 == 0 else 200
            self._answer(status, b'{"orders":[]}', 0.010 + (n % 7) * 0.002)
        else:
            self._answer(404, b"{}", 0)

    def do_POST(self) -> None:
        n = next(self.counter)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._answer(201, b'{"ok":true}', 0.004 + (n % 3) * 0.001)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve() -> tuple[ThreadingHTTPServer, str]:
    """Start the API on 127.0.0.1 (a free port) in a daemon thread; returns the server and its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
