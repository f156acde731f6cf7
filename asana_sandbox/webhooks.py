"""Webhook deliveries as Asana makes them: queued events, one background dispatcher, signatures,
heartbeats, retries with backoff, deletion after failing for the failure window.

Reference: https://developers.asana.com/docs/webhooks-guide

- A change fires events (changes.py); `emit` queues one delivery per webhook that sees them
  and whose filters let at least one through. The API request never waits for a delivery.
- The dispatcher thread posts `{"events": [...]}` with `X-Hook-Signature`: the hex HMAC-SHA256
  of the raw body keyed with the webhook's secret. Any 2xx within `webhook_timeout` is success.
- A failure keeps the delivery at the head of its webhook's queue and retries it after
  `webhook_retry_base` seconds, doubling each time (at most an hour); a webhook failing without
  a success for `webhook_failure_window` turns `active: false`, its queue is dropped, and it is
  deleted soon after (a minute, or the window if shorter).
- Heartbeats: an empty delivery at creation and every `webhook_heartbeat` seconds.
- Faults (`/_sandbox/webhook-faults`) apply to deliveries carrying events, not to heartbeats:
  drop (never sent), duplicate (sent twice), delay (sent `delay` seconds later, while later
  deliveries go on), reorder (held back until the next delivery to the same webhook has gone).
- The clock is the sandbox's (`/_sandbox/advance-clock` moves heartbeats and windows on too).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import itertools
import json
import socket
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .state import SandboxState, Webhook, Worker, iso

MAX_BACKOFF = 3600.0
DELETE_GRACE = 60.0
# A reordered delivery waits at most this long for a next one to overtake it.
REORDER_WAIT = 30.0
FAULT_MODES = ("drop", "duplicate", "delay", "reorder")
# The delivery log keeps this many entries (a demo left running must not grow without end).
LOG_SIZE = 1000
_ids = itertools.count(1)


@dataclass
class Delivery:
    webhook: str
    events: list[dict[str, Any]]
    due: float  # on the sandbox's clock
    id: int = field(default_factory=lambda: next(_ids))
    heartbeat: bool = False
    fault: str | None = None
    held: bool = False  # a reordered delivery: waits for the next one to go first
    attempts: int = 0


# --- filters and queuing -----------------------------------------------------------------------


def passes(filters: list[dict[str, Any]], event: dict[str, Any]) -> bool:
    """Asana's whitelist: no filters let everything through; else any one filter must match."""
    if not filters:
        return True
    for rule in filters:
        resource = event["resource"]
        if rule.get("resource_type") and rule["resource_type"] != resource["resource_type"]:
            continue
        subtype = rule.get("resource_subtype")
        if subtype and subtype != resource.get("resource_subtype"):
            continue
        if rule.get("action") and rule["action"] != event["action"]:
            continue
        fields = rule.get("fields")
        if fields and (event.get("change") or {}).get("field") not in fields:
            continue
        return True
    return False


def emit(state: SandboxState, events: list[tuple[dict[str, Any], set[str]]]) -> None:
    """Queue each (event, the resources that see it) for the webhooks on those resources."""
    if not events:
        return
    now = state.now()
    for webhook in list(state.webhooks.values()):
        if not webhook.active:
            continue
        mine = [
            e for e, scopes in events if webhook.resource in scopes and passes(webhook.filters, e)
        ]
        if mine:
            _queue(state, Delivery(webhook.gid, mine, due=now))
    state.touch()


def _queue(state: SandboxState, delivery: Delivery) -> None:
    fault = _take_fault(state)
    if fault is None:
        state.outbox.append(delivery)
        return
    delivery.fault = fault["mode"]
    if fault["mode"] == "drop":
        _log(state, delivery, status=None, error="dropped by a sandbox fault")
    elif fault["mode"] == "duplicate":
        state.outbox.append(delivery)
        state.outbox.append(
            Delivery(delivery.webhook, delivery.events, delivery.due, fault="duplicate")
        )
    elif fault["mode"] == "delay":
        delivery.due += fault.get("delay") or 0
        state.outbox.append(delivery)
    else:  # reorder
        delivery.held = True
        delivery.due += fault.get("delay") or REORDER_WAIT
        state.outbox.append(delivery)


def _take_fault(state: SandboxState) -> dict[str, Any] | None:
    for fault in state.webhook_faults:
        if fault["times"] > 0:
            fault["times"] -= 1
            return fault
    return None


def heartbeat(state: SandboxState, webhook: Webhook) -> None:
    webhook.last_heartbeat = state.now()
    state.outbox.append(Delivery(webhook.gid, [], due=webhook.last_heartbeat, heartbeat=True))
    state.touch()


def forget(state: SandboxState, webhook_gid: str) -> None:
    """A deleted webhook: nothing more goes out for it."""
    state.outbox[:] = [d for d in state.outbox if d.webhook != webhook_gid]
    state.webhooks.pop(webhook_gid, None)
    state.touch()


def flush(state: SandboxState) -> int:
    """Everything queued is due now: delays, reorder holds and backoffs end."""
    now = state.now()
    for delivery in state.outbox:
        delivery.due = min(delivery.due, now)
        delivery.held = False
    for webhook in state.webhooks.values():
        webhook.next_attempt_after = None
    state.touch()
    return len(state.outbox)


def _log(state: SandboxState, delivery: Delivery, *, status: int | None, error: str = "") -> None:
    webhook = state.webhooks.get(delivery.webhook)
    state.delivery_log.append(
        {
            "id": delivery.id,
            "webhook": delivery.webhook,
            "target": webhook.target if webhook else None,
            "time": iso(state.now()),
            "heartbeat": delivery.heartbeat,
            "events": delivery.events,
            "attempt": delivery.attempts,
            "status": status,
            "error": error,
            "fault": delivery.fault,
        }
    )
    del state.delivery_log[:-LOG_SIZE]


# --- outbound HTTP -----------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, Any, str]:
    """POST without following redirects: (status, headers, the start of the body). Raises
    OSError (timeouts included) when there is no answer."""
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(2000).decode("utf-8", "replace")
        return response.status, response.headers, text
    except http.client.HTTPException as error:
        raise OSError(f"bad answer: {error}") from error
    finally:
        connection.close()


def is_local(url: str, *, resolve: bool = True) -> bool:
    """localhost, a loopback, unspecified or link-local address, or (when `resolve`, which may
    wait on DNS) a name resolving to one."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        if not resolve:
            return False
        try:
            infos = socket.getaddrinfo(host, None)
        except (OSError, UnicodeError):
            return False  # unresolvable: the handshake will fail instead
        addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    return any(a.is_loopback or a.is_unspecified or a.is_link_local for a in addresses)


def handshake(target: str, secret: str, timeout: float) -> str | None:
    """POST the X-Hook-Secret to the target; None if it echoed it with 200/204, else why not."""
    headers = {"X-Hook-Secret": secret, "Content-Type": "application/json", "Content-Length": "0"}
    try:
        status, answer_headers, _ = post(target, b"", headers, timeout)
    except OSError as error:
        return f"the target did not answer the handshake ({error})"
    if status not in (200, 204):
        return f"the target answered the handshake with {status}, not 200 or 204"
    if answer_headers.get("X-Hook-Secret") != secret:
        return "the target did not echo the X-Hook-Secret header"
    return None


# --- the dispatcher ----------------------------------------------------------------------------


class Dispatcher(Worker):
    """One thread posting every delivery in turn; only ever holds the lock between sends."""

    name = "asana-sandbox-webhooks"

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        # A send in flight may take the whole timeout before the thread sees it should stop.
        self.join_timeout = state.config.webhook_timeout + 2

    def _run(self) -> None:
        state = self.state
        while True:
            with state.lock:
                if self.stopping:
                    return
                self._housekeeping()
                delivery, wait = self._next()
                if delivery is None:
                    state.changed.wait(timeout=min(wait, 5.0))
                    continue
                webhook = state.webhooks[delivery.webhook]
                target, secret = webhook.target, webhook.secret
                timeout = state.config.webhook_timeout
                delivery.attempts += 1
            body = json.dumps({"events": delivery.events}, separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Hook-Signature": sign(secret, body),
                "User-Agent": "AsanaSandbox-Webhooks/1.0",
            }
            try:
                status, _, text = post(target, body, headers, timeout)
                error = "" if 200 <= status < 300 else f"{status}\n\n{text}"
            except OSError as failure:
                status, error = None, f"no answer: {failure}"
            with state.lock:
                self._record(delivery, status, error)

    def _housekeeping(self) -> None:
        state, now = self.state, self.state.now()
        window = state.config.webhook_failure_window
        for webhook in list(state.webhooks.values()):
            failing_for = now - webhook.failing_since if webhook.failing_since is not None else -1
            if webhook.active and failing_for >= window:
                # Asana gives up: inactive at once, then gone.
                webhook.active = False
                state.outbox[:] = [d for d in state.outbox if d.webhook != webhook.gid]
                state.touch()
            if not webhook.active and failing_for >= window + min(DELETE_GRACE, window):
                forget(state, webhook.gid)
                continue
            due_beat = webhook.last_heartbeat + state.config.webhook_heartbeat
            if webhook.active and now >= due_beat:
                heartbeat(state, webhook)

    def _next(self) -> tuple[Delivery | None, float]:
        """The first due delivery of a webhook not backing off; else how long to wait."""
        state, now = self.state, self.state.now()
        wait = 5.0
        blocked: set[str] = set()
        for delivery in state.outbox:
            webhook = state.webhooks.get(delivery.webhook)
            if webhook is None or not webhook.active or delivery.webhook in blocked:
                continue
            if webhook.next_attempt_after and webhook.next_attempt_after > now:
                wait = min(wait, webhook.next_attempt_after - now)
                blocked.add(webhook.gid)
                continue
            if delivery.due > now:  # delayed, or held back for reordering
                wait = min(wait, delivery.due - now)
                continue
            return delivery, 0.0
        return None, max(0.01, min(wait, self._next_deadline() - now))

    def _next_deadline(self) -> float:
        """When housekeeping has something to do: a heartbeat, or a failing webhook's end."""
        config = self.state.config
        moments = [self.state.now() + 5.0]
        for webhook in self.state.webhooks.values():
            if webhook.active:
                moments.append(webhook.last_heartbeat + config.webhook_heartbeat)
            if webhook.failing_since is not None:
                window = config.webhook_failure_window
                grace = 0.0 if webhook.active else min(DELETE_GRACE, window)
                moments.append(webhook.failing_since + window + grace)
        return min(moments)

    def _record(self, delivery: Delivery, status: int | None, error: str) -> None:
        state, now = self.state, self.state.now()
        _log(state, delivery, status=status, error=error)
        webhook = state.webhooks.get(delivery.webhook)
        if webhook is None:
            return
        if not error:
            with contextlib.suppress(ValueError):
                state.outbox.remove(delivery)
            webhook.last_success_at = now
            webhook.delivery_retry_count = 0
            webhook.next_attempt_after = None
            webhook.failing_since = None
            # A reordered delivery goes right after the next one to its webhook.
            for held in state.outbox:
                if held.webhook == webhook.gid and held.held:
                    held.held, held.due = False, now
        else:
            webhook.last_failure_at = now
            webhook.last_failure_content = error[:500]
            webhook.delivery_retry_count += 1
            backoff = state.config.webhook_retry_base * 2 ** (webhook.delivery_retry_count - 1)
            webhook.next_attempt_after = now + min(backoff, MAX_BACKOFF)
            if webhook.failing_since is None:
                webhook.failing_since = now
        state.touch()


def pending(state: SandboxState) -> list[dict[str, Any]]:
    """The queue as JSON: what has not gone out yet, in order."""
    return [{**asdict(d), "due": iso(d.due)} for d in state.outbox]
