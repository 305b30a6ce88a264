"""The worker's HTTP endpoint for Azure Monitor action-group webhooks: POST /hooks/azure-monitor?token=…"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from services.alerts import azure_monitor
from services.db import session_scope
from services.errors import InvalidInput

log = logging.getLogger("sre_backoffice.receiver")
MAX_BODY = 1_000_000


def make_handler(token: str | None, service: str) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to the configured token and service."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/hooks/azure-monitor":
                return self._answer(404, {"error": "not found"})
            if not azure_monitor.token_ok(parse_qs(url.query).get("token", [None])[0], token):
                return self._answer(401, {"error": "wrong or missing token"})
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                return self._answer(400, {"error": "a JSON body of at most 1 MB is required"})
            try:
                alert = azure_monitor.parse(json.loads(self.rfile.read(length)))
                with session_scope() as s:
                    incident_id, what = azure_monitor.ingest(s, alert, service=service)
            except (json.JSONDecodeError, UnicodeDecodeError):
                return self._answer(400, {"error": "the body is not JSON"})
            except InvalidInput as exc:
                return self._answer(400, {"error": str(exc)})
            return self._answer(200, {"incident_id": incident_id, "result": what})

        def log_message(self, fmt: str, *args: object) -> None:  # the URL holds the token: never log it
            log.debug("receiver: %s", fmt % args if "token=" not in str(args) else "request")

    return Handler


def serve(port: int, *, token: str | None, service: str, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """Start the endpoint in a daemon thread; returns the server (call shutdown() to stop)."""
    server = ThreadingHTTPServer((host, port), make_handler(token, service))
    threading.Thread(target=server.serve_forever, name="azure-monitor-receiver", daemon=True).start()
    return server
