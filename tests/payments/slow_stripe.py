"""A slow Stripe on loopback: a real HTTP server that answers the SDK's reads (GET
/v1/<objects>/<id>, and the refunds of a charge) from a StripeWorld saved as JSON, each after
a delay. For measuring what a slow Stripe does to us (bench/webhooks.py): worker processes
point STRIPE_API_BASE at it."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server calls
        server: SlowStripe = self.server  # type: ignore[assignment]
        time.sleep(server.delay)
        parts = urlsplit(self.path)
        segments = [s for s in parts.path.split("/") if s]
        objects = server.objects
        if segments == ["v1", "refunds"]:
            charge = parse_qs(parts.query).get("charge", [""])[0]
            found = [o for o in objects.values()
                     if o.get("object") == "refund" and o.get("charge") == charge]  # fmt: skip
            self._answer(200, {"object": "list", "data": found, "has_more": False,
                               "url": "/v1/refunds"})  # fmt: skip
        elif len(segments) >= 3 and segments[-1] in objects:
            self._answer(200, objects[segments[-1]])
        else:
            self._answer(404, {"error": {"type": "invalid_request_error",
                                         "message": f"No such object: {parts.path}"}})  # fmt: skip

    def _answer(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class SlowStripe(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, objects: dict, *, delay: float = 0.3):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.objects, self.delay = objects, delay

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
