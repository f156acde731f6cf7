"""A webhook target for the tests: a local HTTP server that records what Asana (the sandbox)
posts, answers the handshake as a well-behaved receiver does, and can be told to misbehave."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def events(self) -> list[dict[str, Any]]:
        return json.loads(self.body)["events"]


@dataclass
class Behaviour:
    echo_secret: bool = True
    handshake_status: int = 200
    status: int = 200  # for deliveries
    sleep: float = 0.0


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    behaviour: Behaviour = field(default_factory=Behaviour)
    condition: threading.Condition = field(default_factory=threading.Condition)

    @property
    def handshakes(self) -> list[Received]:
        return [r for r in self.received if "x-hook-secret" in r.headers]

    @property
    def deliveries(self) -> list[Received]:
        return [r for r in self.received if "x-hook-signature" in r.headers]

    def events(self) -> list[dict[str, Any]]:
        return [e for d in self.deliveries for e in d.events]

    def wait_for(self, check, timeout: float = 5.0) -> Any:
        """Until check() is truthy (its value), or fail after timeout seconds."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while not (found := check()):
                left = deadline - time.monotonic()
                assert left > 0, f"waited {timeout} s; received: {self.received}"
                self.condition.wait(min(left, 0.05))  # checks may look elsewhere: poll
        return found

    def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[Received]:
        return self.wait_for(lambda: len(self.deliveries) >= count and self.deliveries, timeout)


def signature_ok(secret: str, delivery: Received) -> bool:
    expected = hmac.new(secret.encode(), delivery.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, delivery.headers["x-hook-signature"])


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/asana/1/")
    server.receiver = receiver  # type: ignore[attr-defined]
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return receiver, server


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        behaviour = receiver.behaviour
        secret = headers.get("x-hook-secret")
        if behaviour.sleep:
            time.sleep(behaviour.sleep)
        status = behaviour.handshake_status if secret else behaviour.status
        self.send_response(status)
        if secret and behaviour.echo_secret:
            self.send_header("X-Hook-Secret", secret)
        self.send_header("Content-Length", "0")
        self.end_headers()
        with receiver.condition:
            receiver.received.append(Received(self.path, headers, body))
            receiver.condition.notify_all()

    def log_message(self, format: str, *args: Any) -> None:
        pass
