"""/_sandbox/ controls for webhooks, and for acting as a person in Asana.

POST /_sandbox/act                {"as", "action", "task", …}: see act.py
GET  /_sandbox/webhooks           every webhook, of every app and user (secrets left out)
GET/DELETE /_sandbox/webhook-deliveries   what went out (or was dropped), and what is queued
POST /_sandbox/webhooks/flush     {"wait": 5}: deliver everything queued now, then answer
GET/POST/DELETE /_sandbox/webhook-faults  {"mode": "drop"|"duplicate"|"delay"|"reorder",
                                  "times": 1, "delay": seconds}
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from . import webhooks
from .act import ActError, act
from .control import BadControl, json_body, number, router
from .resources import RenderContext, full
from .state import SandboxState
from .web import Request, Response, json_response


@router.route("POST", "/act")
def post_act(req: Request, state: SandboxState) -> Response:
    try:
        task, story = act(state, json_body(req))
    except ActError as error:
        raise BadControl(str(error)) from error
    ctx = RenderContext(state, req.base_url)
    answer: dict[str, Any] = {"task": full(task, ctx)}
    if story is not None:
        answer["story"] = full(story, ctx)
    return json_response(200, answer)


@router.route("GET", "/webhooks")
def get_all_webhooks(req: Request, state: SandboxState) -> Response:
    rows = []
    for webhook in state.webhooks.values():
        row = asdict(webhook)
        row.pop("secret")
        rows.append(row)
    return json_response(200, rows)


@router.route("GET", "/webhook-deliveries")
def get_deliveries(req: Request, state: SandboxState) -> Response:
    return json_response(200, {"sent": state.delivery_log, "pending": webhooks.pending(state)})


@router.route("DELETE", "/webhook-deliveries")
def clear_deliveries(req: Request, state: SandboxState) -> Response:
    state.delivery_log.clear()
    return json_response(200, {"sent": [], "pending": webhooks.pending(state)})


def flush_and_wait(req: Request, state: SandboxState) -> Response:
    wait = number(json_body(req), "wait", 5)
    with state.lock:
        webhooks.flush(state)
        waiting = {d.id: d.attempts for d in state.outbox}
    deadline = time.monotonic() + wait
    with state.lock:
        # Until each queued delivery went out once (or was dropped with its webhook).
        while any(d.id in waiting and d.attempts == waiting[d.id] for d in state.outbox):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            state.changed.wait(timeout=min(left, 0.1))
        sent = [
            entry
            for entry in state.delivery_log
            if entry["id"] in waiting and entry["attempt"] > waiting[entry["id"]]
        ]
        return json_response(200, {"sent": sent, "pending": webhooks.pending(state)})


flush_and_wait.unlocked = True  # type: ignore[attr-defined]
router.add("POST", "/webhooks/flush", flush_and_wait)


@router.route("GET", "/webhook-faults")
def get_webhook_faults(req: Request, state: SandboxState) -> Response:
    return json_response(200, [f for f in state.webhook_faults if f["times"] > 0])


@router.route("POST", "/webhook-faults")
def post_webhook_fault(req: Request, state: SandboxState) -> Response:
    body = json_body(req)
    mode = body.get("mode")
    if mode not in webhooks.FAULT_MODES:
        raise BadControl(f"mode must be one of {', '.join(webhooks.FAULT_MODES)}.")
    times = number(body, "times", 1, integer=True)
    if not times:
        raise BadControl("times must be at least 1.")
    delay = number(body, "delay", None)
    if mode == "delay" and not delay:
        raise BadControl("A delay fault needs delay (seconds).")
    fault = {"mode": mode, "times": times, "delay": delay}
    state.webhook_faults.append(fault)
    return json_response(201, fault)


@router.route("DELETE", "/webhook-faults")
def clear_webhook_faults(req: Request, state: SandboxState) -> Response:
    state.webhook_faults.clear()
    return json_response(200, [])
