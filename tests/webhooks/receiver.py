"""A real webhook receiver for tests: an HTTP server in a thread that verifies every delivery
with the `standardwebhooks` package (the reference implementation, not ILP's code) and can
fail, stall and recover on cue."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    """`mode`: "ok" (204 after verifying), "fail" (503), "stall" (answers nothing until
    `release` is set, then 204). `received` holds each verified delivery
    {"id", "type", "data", "status"}; `rejected` each request that failed verification."""

    def __init__(self, secrets=()):
        self.secrets = list(secrets)
        self.mode = "ok"
        self.redirect_to = ""
        self.received: list[dict] = []
        self.rejected: list[str] = []
        self.release = threading.Event()
        self.stalled = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver._handle(self, body, headers)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _verify(self, body: bytes, headers: dict) -> dict | None:
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
        return None

    def _handle(self, handler, body: bytes, headers: dict) -> None:
        payload = self._verify(body, headers)
        if payload is None:
            with self.lock:
                self.rejected.append(headers.get("webhook-id", "?"))
            handler.send_response(400)
            handler.end_headers()
            return
        mode = self.mode
        if mode == "redirect":
            with self.lock:
                self.received.append({"id": headers["webhook-id"], "status": 302})
            handler.send_response(302)
            handler.send_header("Location", self.redirect_to)
            handler.end_headers()
            return
        if mode == "stall":  # answers nothing: recorded as status 0
            with self.lock:
                self.received.append({"id": headers["webhook-id"], "status": 0})
            self.stalled.set()
            self.release.wait(60)
            return
        status = 503 if mode == "fail" else 204
        with self.lock:
            self.received.append(
                {
                    "id": headers["webhook-id"],
                    "type": payload["type"],
                    "data": payload["data"],
                    "status": status,
                    "signatures": headers["webhook-signature"].count("v1,"),
                    "body": json.loads(body),
                    "host": headers.get("host"),
                }
            )
        handler.send_response(status)
        handler.end_headers()

    def accepted(self) -> list[dict]:
        with self.lock:
            return [r for r in self.received if r["status"] < 300]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
