"""The sandbox's HTTP server: a stdlib ThreadingHTTPServer, routing, fault injection, the log.

    with start_sandbox() as sandbox:          # a free port, served from a daemon thread
        requests.get(sandbox.url + "/api/1.0/users/me", headers=...)
        sandbox.state.tasks                   # the live world, readable from Python

`manage.py asana_sandbox` runs the same server in the foreground.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from . import api, control, oauth, pages, persist, webhooks

# Imported for their routes, which they add to api.router and control.router.
from . import task_list, webhook_api, webhook_controls  # noqa: F401  isort: skip
from .redact import redact_fields, redact_headers, redact_value
from .state import (
    Config,
    Fault,
    LoggedRequest,
    SandboxState,
    iso,
)
from .web import JSON_TYPE, Request, Response, asana_error, json_response

MAX_BODY = 10 * 1024 * 1024


def fault_response(fault: Fault, path: str) -> Response:
    """What an injected fault answers: its raw body, or the error Asana would send."""
    assert fault.status is not None
    headers: list[tuple[str, str]] = []
    if fault.retry_after is not None:
        # Retry-After is whole seconds (RFC 9110); round up so a client never retries early.
        headers.append(("Retry-After", str(math.ceil(fault.retry_after))))
    if fault.body is not None:
        # Claims to be JSON whatever it holds, as a broken proxy or a truncated answer would.
        return Response(fault.status, fault.body.encode(), [("Content-Type", JSON_TYPE), *headers])
    if fault.status < 200 or fault.status in (204, 304):
        return Response(fault.status, b"", headers)
    if path.startswith("/-/") and fault.status in (400, 401):
        error = "invalid_client" if fault.status == 401 else "invalid_grant"
        payload = {"error": error, "error_description": "Injected by the Asana sandbox."}
        return json_response(fault.status, payload, headers=headers)
    return asana_error(fault.status, headers=headers)


def _logged_body(req: Request) -> Any:
    """The body as the log shows it: parsed, with its secrets redacted."""
    if not req.body:
        return None
    if req.content_type == "application/x-www-form-urlencoded":
        return redact_fields(req.form())
    try:
        return redact_value(json.loads(req.body))
    except ValueError:
        text = req.body.decode("utf-8", "replace")
    try:
        # A form sent without its content type still carries its secrets.
        return redact_fields(dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True)))
    except ValueError:
        return text


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.sandbox = sandbox
        # Open keep-alive connections, closed on stop() so no handler thread outlives it.
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AsanaSandbox/1.0"
    # Headers and body go out in separate writes; without TCP_NODELAY each answer on a
    # kept-alive connection waits ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True
    # An idle keep-alive connection is dropped after this many seconds.
    timeout = 30
    server: _HTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def handle(self) -> None:
        # The client may give up first (its own timeout, a delay fault): nothing to answer then.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            super().handle()

    def _dispatch(self) -> None:
        sandbox = self.server.sandbox
        try:
            body = self._read_body()
            if body is None:
                # The unread body would be taken for the next request: close after answering.
                self.close_connection = True
                response = asana_error(413, "Request body too large")
            else:
                response = sandbox.respond(self._request(body))
        except Exception:
            # A bug in the sandbox: answer as Asana's 500 would, and say what broke.
            traceback.print_exc(file=sys.stderr)
            response = asana_error(500)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def _read_body(self) -> bytes | None:
        """The body by Content-Length or chunked transfer coding; None if it is too large."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers, up to the blank line
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # the CRLF after each chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length <= MAX_BODY else None

    def _request(self, body: bytes) -> Request:
        path, _, query = self.path.partition("?")
        host = self.headers.get("Host")
        return Request(
            method=self.command,
            path=path,
            query_string=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            # Links the sandbox hands out point where the caller reached it.
            base_url=f"http://{host}" if host else self.server.sandbox.url,
        )

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.sandbox.verbose:
            super().log_message(format, *args)


class SandboxServer:
    """The Asana sandbox on host:port (port 0: a free one). See `start_sandbox`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verbose: bool = False,
        state_file: str | Path | None = None,
        **options: Any,
    ) -> None:
        """options: Config's fields (client_id, client_secret, redirect_uri, token_ttl,
        auto_approve, rate_limit, allow_local_webhooks, webhook_heartbeat, webhook_timeout,
        webhook_failure_window, webhook_retry_base, webhooks_per_…), Config's defaults for the
        rest: one place says what the sandbox starts with."""
        config = Config(**options)
        self.state = SandboxState(config)
        self.state_file = Path(state_file) if state_file else None
        self._saver: persist.Saver | None = None
        if self.state_file is not None:
            # Raises ValueError for a file it cannot read: never start over silently.
            persist.load(self.state, self.state_file)
            self._saver = persist.Saver(self.state, self.state_file)
        self._dispatcher = webhooks.Dispatcher(self.state)
        self.verbose = verbose
        self.host = host
        self._stopping = threading.Event()
        self._serving = False
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._workers_started = False
        self._httpd = _HTTPServer((host, port), self)
        self.port: int = self._httpd.server_address[1]
        self.url = f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    # --- lifecycle ---------------------------------------------------------------------------

    def _start_workers(self) -> None:
        if not self._workers_started:
            self._workers_started = True
            self._dispatcher.start()
            if self._saver is not None:
                self._saver.save_now()
                self._saver.start()

    def start(self) -> SandboxServer:
        """Serve from a daemon thread; returns at once."""
        self._start_workers()
        if self._thread is None:
            self._serving = True
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"asana-sandbox-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until stop() or KeyboardInterrupt."""
        self._start_workers()
        self._serving = True
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()  # wakes requests sleeping on a delay fault
        if self._serving:
            self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._workers_started:
            self._dispatcher.stop()
            if self._saver is not None:
                self._saver.stop()

    def reset(self) -> None:
        self.state.reset()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- one request -------------------------------------------------------------------------

    def respond(self, req: Request) -> Response:
        state = self.state
        if req.path == control.PREFIX or req.path.startswith(control.PREFIX + "/"):
            response = control.handle(req, state)
            if req.method != "GET":
                state.touch()
            return response
        fault = state.take_fault(req.method, req.path)
        if fault is not None and fault.delay:
            # Sleep outside the lock so other requests go on meanwhile.
            self._stopping.wait(fault.delay)
        if fault is not None and fault.status is not None:
            response = fault_response(fault, req.path)
        else:
            with state.lock:
                response = self._route(req)
                if req.method != "GET":
                    state.touch()  # the state file is written soon after
        state.log(
            LoggedRequest(
                method=req.method,
                path=req.path,
                query=redact_fields({k: ",".join(v) for k, v in req.query.items()}),
                status=response.status,
                time=iso(state.now()),
                body=_logged_body(req),
                headers=redact_headers(req.headers),
            )
        )
        return response

    def _route(self, req: Request) -> Response:
        if req.path == api.API_PREFIX or req.path.startswith(api.API_PREFIX + "/"):
            return api.handle(req, self.state)
        for router in (oauth.router, pages.router):
            matched = router.match(req.method, req.path)
            if matched is not None:
                handler, params = matched
                return handler(req, self.state, **params)
        return pages.error_page(404, "Not found", f"Nothing at {req.method} {req.path}.")


def start_sandbox(*args: Any, **options: Any) -> SandboxServer:
    """Start the sandbox in a background thread; takes SandboxServer's arguments.
    Use as a context manager, or call .stop()."""
    return SandboxServer(*args, **options).start()
