"""/_sandbox/: controls that are not part of Asana, for tests and demos.

GET/DELETE requests   the request log (every request except these controls)
GET/POST/DELETE faults  inject failures: {"path", "method", "status", "times", "retry_after",
                      "delay", "body"}; see `add_fault`
POST expire-tokens    every access token expires now (refresh tokens stay valid)
POST revoke-all       every grant revoked: refresh and access tokens
POST advance-clock    {"seconds": N}: move the sandbox's clock on (codes, tokens, rate limits)
GET/POST config       read or change {"token_ttl", "auto_approve", "rate_limit", "redirect_uri"}
GET state             workspaces, users, projects, tasks, stories
POST reset            back to the seed: data, tokens, faults, log, config, clock
POST act              act as a person in Asana: {"as", "action", "task", …} (act.py)
GET webhooks          every webhook of every app and user (no secrets)
GET/DELETE webhook-deliveries  what went out, was dropped, or is queued
POST webhooks/flush   {"wait": 5}: deliver everything queued now, answer what went out
GET/POST/DELETE webhook-faults  {"mode": "drop"|"duplicate"|"delay"|"reorder", "times", "delay"}
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from .state import SandboxState
from .web import Request, Response, Router, json_response

router = Router()
PREFIX = "/_sandbox"


class BadControl(ValueError):
    pass


def json_body(req: Request) -> dict[str, Any]:
    if not req.body.strip():
        return {}
    try:
        body = json.loads(req.body)
    except ValueError as error:
        raise BadControl(f"The body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise BadControl("The body must be a JSON object.")
    return body


def handle(req: Request, state: SandboxState) -> Response:
    matched = router.match(req.method, req.path[len(PREFIX) :] or "/")
    if matched is None:
        return json_response(404, {"error": f"No sandbox control {req.method} {req.path}"})
    handler, params = matched
    try:
        if getattr(handler, "unlocked", False):
            # It waits (e.g. for deliveries to go out) and takes the lock as it needs.
            return handler(req, state, **params)
        with state.lock:
            return handler(req, state, **params)
    except BadControl as error:
        return json_response(400, {"error": str(error)})


@router.route("GET", "/")
def index(req: Request, state: SandboxState) -> Response:
    lines = [line for line in (__doc__ or "").splitlines()[2:] if line.strip()]
    return json_response(200, {"controls": lines})


@router.route("GET", "/requests")
def get_requests(req: Request, state: SandboxState) -> Response:
    return json_response(200, [asdict(entry) for entry in state.request_log])


@router.route("DELETE", "/requests")
def clear_requests(req: Request, state: SandboxState) -> Response:
    state.request_log.clear()
    return json_response(200, [])


def number(body: dict[str, Any], name: str, default: Any, *, integer: bool = False) -> Any:
    value = body.get(name, default)
    if value is None:
        return None
    wanted = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, wanted) or value < 0:
        raise BadControl(f"{name} must be a non-negative {'integer' if integer else 'number'}.")
    return value


def add_fault(state: SandboxState, body: Any) -> dict[str, Any]:
    """path: exact, or a prefix when it ends with *; method: any when omitted; status: answer
    this (Asana-shaped error body) instead of the real handler, or null to let the real handler
    answer after `delay` seconds; times: how many requests it hits (default 1); retry_after:
    a Retry-After header; body: this raw text as the body instead (e.g. status 200, "not json")."""
    if not isinstance(body, dict):
        raise BadControl("A fault is a JSON object.")
    path = body.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise BadControl("path is required and must start with /.")
    method = body.get("method")
    if method is not None and not isinstance(method, str):
        raise BadControl("method must be a string.")
    status = number(body, "status", None, integer=True)
    if status is not None and not 100 <= status <= 599:
        raise BadControl("status must be an HTTP status code.")
    raw_body = body.get("body")
    if raw_body is not None and not isinstance(raw_body, str):
        raise BadControl("body must be a string.")
    if status is None and raw_body is not None:
        raise BadControl("body needs a status to go with it.")
    times = number(body, "times", 1, integer=True)
    if not times:
        raise BadControl("times must be at least 1.")
    fault = state.add_fault(
        path=path,
        method=method.upper() if method else None,
        status=status,
        times=times,
        retry_after=number(body, "retry_after", None),
        delay=number(body, "delay", 0) or 0,
        body=raw_body,
    )
    return asdict(fault)


@router.route("POST", "/faults")
def post_fault(req: Request, state: SandboxState) -> Response:
    body = json_body(req)
    # A list adds several at once.
    if isinstance(body.get("faults"), list):
        return json_response(201, [add_fault(state, item) for item in body["faults"]])
    return json_response(201, add_fault(state, body))


@router.route("GET", "/faults")
def get_faults(req: Request, state: SandboxState) -> Response:
    return json_response(200, [asdict(f) for f in state.faults if f.times > 0])


@router.route("DELETE", "/faults")
def clear_faults(req: Request, state: SandboxState) -> Response:
    state.faults.clear()
    return json_response(200, [])


@router.route("POST", "/expire-tokens")
def expire_tokens(req: Request, state: SandboxState) -> Response:
    return json_response(200, {"expired": state.expire_tokens()})


@router.route("POST", "/revoke-all")
def revoke_all(req: Request, state: SandboxState) -> Response:
    return json_response(200, {"revoked": state.revoke_all()})


@router.route("POST", "/advance-clock")
def advance_clock(req: Request, state: SandboxState) -> Response:
    seconds = number(json_body(req), "seconds", None)
    if seconds is None:
        raise BadControl("seconds is required.")
    state.clock_offset += seconds
    state.touch()  # heartbeats and failure windows count on this clock too
    return json_response(200, {"clock_offset": state.clock_offset})


CONFIG_FIELDS = ("token_ttl", "auto_approve", "rate_limit", "redirect_uri")
# Numbers a test may change at run time (seconds, or counts for the limits).
WEBHOOK_FIELDS = (
    "webhook_heartbeat",
    "webhook_timeout",
    "webhook_failure_window",
    "webhook_retry_base",
    "webhooks_per_resource",
    "webhooks_per_user",
)


@router.route("GET", "/config")
def get_config(req: Request, state: SandboxState) -> Response:
    names = (*CONFIG_FIELDS, "allow_local_webhooks", *WEBHOOK_FIELDS)
    return json_response(200, {name: getattr(state.config, name) for name in names})


@router.route("POST", "/config")
def set_config(req: Request, state: SandboxState) -> Response:
    body = json_body(req)
    unknown = set(body) - {*CONFIG_FIELDS, "allow_local_webhooks", *WEBHOOK_FIELDS}
    if unknown:
        raise BadControl(f"Unknown settings: {', '.join(sorted(unknown))}.")
    if "token_ttl" in body:
        state.config.token_ttl = number(body, "token_ttl", None, integer=True) or 0
    if "rate_limit" in body:
        state.config.rate_limit = number(body, "rate_limit", None, integer=True) or None
        state.rate_windows.clear()
    if "auto_approve" in body:
        if not isinstance(body["auto_approve"], bool):
            raise BadControl("auto_approve must be true or false.")
        state.config.auto_approve = body["auto_approve"]
    if "redirect_uri" in body:
        if body["redirect_uri"] is not None and not isinstance(body["redirect_uri"], str):
            raise BadControl("redirect_uri must be a string or null.")
        state.config.redirect_uri = body["redirect_uri"] or None
    if "allow_local_webhooks" in body:
        if not isinstance(body["allow_local_webhooks"], bool):
            raise BadControl("allow_local_webhooks must be true or false.")
        state.config.allow_local_webhooks = body["allow_local_webhooks"]
    for name in WEBHOOK_FIELDS:
        if name in body:
            value = number(body, name, None)
            if not value:
                raise BadControl(f"{name} must be more than 0.")
            setattr(state.config, name, value)
    return get_config(req, state)


@router.route("GET", "/state")
def get_state(req: Request, state: SandboxState) -> Response:
    return json_response(200, state.snapshot())


@router.route("POST", "/reset")
def reset(req: Request, state: SandboxState) -> Response:
    state.reset()
    return json_response(200, {"reset": True})
