"""An HTTP endpoint standing for a province system that receives the webhooks."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A province system's endpoint: keeps what it is sent; answers 500 to the first ``fail``."""

    def __init__(self, fail: int = 0):
        self.got: list[dict] = []
        self.fail = fail
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append({"headers": dict(self.headers), "body": body})
                code = 500 if receiver.fail > 0 else 204
                receiver.fail -= 1
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/qms/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, secret: str) -> list[dict]:
        """What was received, each checked against its signature (a forged one fails the test)."""
        out = []
        for item in self.got:
            h = item["headers"]
            expected = "sha256=" + hmac.new(secret.encode(), f"{h['X-QMS-Timestamp']}.".encode() + item["body"],
                                            hashlib.sha256).hexdigest()
            assert hmac.compare_digest(h["X-QMS-Signature"], expected), h
            body = json.loads(item["body"])
            assert body["id"] == h["X-QMS-Delivery"] and body["type"] == h["X-QMS-Event"]
            out.append(body)
        return out

    def close(self):
        self.server.shutdown()
        self.server.server_close()
