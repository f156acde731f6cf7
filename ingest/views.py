"""`POST /api/<project_id>/envelope/` and `/api/<project_id>/store/`, as the SDKs send them.

Validate, spool, answer: grouping and storage happen on the worker (ingest.tasks). Answers:
200 {"id"}, 400 with a reason, 403 for a key that is missing, unknown, disabled or of
another project, 413 for a body or event over the limits, 429 past a key's rate limit.
Reference: https://develop.sentry.dev/sdk/overview/ (authentication, envelopes, rate limits)
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import uuid
from dataclasses import dataclass

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from ingest import decompress, envelope, queue, store
from ingest.auth import Refused, check_rate_limit, key_from_dsn, key_from_request, project_key
from ingest.tasks import publish_drain, schedule_drain

log = logging.getLogger(__name__)

# Everything else (session, sessions, client_report, attachment, transaction, profile,
# replay, check_in, log, span, user_report, unknown types) is accepted and dropped.
EVENT_ITEM = "event"


@dataclass
class Accepted:
    event_id: str
    # The event's JSON as the SDK sent it: validated, then kept byte for byte.
    raw: bytes


def cors(response: HttpResponse, request: HttpRequest) -> HttpResponse:
    """Browser SDKs post from any site: allow it, and let them read the rate-limit headers."""
    response["Access-Control-Allow-Origin"] = request.headers.get("Origin") or "*"
    response["Vary"] = "Origin"
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = (
        "X-Sentry-Auth, X-Requested-With, Origin, Accept, Content-Type, Content-Encoding, "
        "Authentication, Authorization, sentry-trace, baggage"
    )
    response["Access-Control-Expose-Headers"] = "X-Sentry-Error, X-Sentry-Rate-Limits, Retry-After"
    response["Access-Control-Max-Age"] = "3600"
    return response


def refuse(request: HttpRequest, refused: Refused) -> HttpResponse:
    response = JsonResponse({"detail": refused.reason}, status=refused.status)
    response["X-Sentry-Error"] = refused.reason
    for name, value in refused.headers.items():
        response[name] = value
    return cors(response, request)


def event_id_of(event: dict, fallback: object = None) -> str:
    raw = event.get("event_id") or fallback
    if raw is None:
        return uuid.uuid4().hex
    try:
        return uuid.UUID(str(raw)).hex
    except ValueError:
        raise Refused(400, "event_id is not a UUID") from None


def parse_event(payload: bytes, envelope_event_id: object = None) -> Accepted:
    if len(payload) > settings.INGEST_MAX_EVENT_BYTES:
        raise Refused(413, "event is larger than 1 MiB")
    try:
        text = payload.decode("utf-8")
        event = json.loads(text, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refused(400, "event is not valid JSON") from None
    if not isinstance(event, dict):
        raise Refused(400, "event is not a JSON object")
    return Accepted(event_id_of(event, envelope_event_id), payload)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def read_body(request: HttpRequest) -> bytes:
    try:
        return decompress.read_body(
            request,
            request.headers.get("Content-Encoding", ""),
            settings.INGEST_MAX_BODY_BYTES,
        )
    except decompress.TooLarge:
        raise Refused(413, "body is larger than the limit once decompressed") from None
    except decompress.BadEncoding as error:
        raise Refused(400, str(error)) from None


def spool(key, accepted: list[Accepted]) -> None:
    """Keep the events before answering 200: on the Redis queue when there is one (one round
    trip), else, or when Redis cannot be reached, in the database spool."""
    check_rate_limit(key, len(accepted))
    if not accepted:
        return
    received = timezone.now()
    events = [queue.Queued(key.project_id, a.event_id, received, a.raw) for a in accepted]
    if queue.enabled():
        try:
            if queue.push(events):
                publish_drain()
            return
        except redis.RedisError:
            log.warning("the Redis queue is unreachable; spooling in the database", exc_info=True)
    store.spool(events)
    if not schedule_drain():
        # No broker: store in this request rather than wait for one.
        store.drain(max_batches=1)


def sdk_endpoint(view):
    """What both endpoints share: no session or CSRF, CORS, POST only, refusals as answers."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, project_id: int) -> HttpResponse:
        if request.method == "OPTIONS":
            return cors(HttpResponse(), request)
        if request.method != "POST":
            return refuse(request, Refused(405, "POST events here"))
        try:
            answer = view(request, project_id)
        except envelope.MalformedEnvelope as error:
            return refuse(request, Refused(400, str(error)))
        except Refused as refused:
            return refuse(request, refused)
        return cors(JsonResponse(answer), request)

    wrapper.sdk_endpoint = True  # type: ignore[attr-defined]  # see ingest/middleware.py
    return wrapper


@sdk_endpoint
def envelope_endpoint(request: HttpRequest, project_id: int) -> dict:
    public_key = key_from_request(request)
    key = project_key(public_key, project_id) if public_key else None
    parsed = envelope.parse(read_body(request))
    if key is None:
        key = project_key(key_from_dsn(parsed.headers.get("dsn")), project_id)
    accepted = [
        parse_event(item.payload, parsed.headers.get("event_id"))
        for item in parsed.items
        if item.type == EVENT_ITEM
    ]
    spool(key, accepted)
    if accepted:
        return {"id": accepted[0].event_id}
    header_id = parsed.headers.get("event_id")
    return {"id": header_id} if isinstance(header_id, str) else {}


@sdk_endpoint
def store_endpoint(request: HttpRequest, project_id: int) -> dict:
    """The legacy endpoint: the body is one event."""
    key = project_key(key_from_request(request), project_id)
    body = read_body(request)
    if body.lstrip()[:1] not in (b"{", b"["):
        body = _legacy_base64(body)
    accepted = parse_event(body)
    spool(key, [accepted])
    return {"id": accepted.event_id}


def _legacy_base64(body: bytes) -> bytes:
    """Old SDKs sent base64 of zlib-compressed JSON to /store/."""
    try:
        raw = base64.b64decode(body, validate=False)
    except (binascii.Error, ValueError):
        raise Refused(400, "event is not valid JSON") from None
    try:
        return decompress.decode(raw, "deflate", settings.INGEST_MAX_BODY_BYTES)
    except decompress.TooLarge:
        raise Refused(413, "body is larger than the limit once decompressed") from None
    except decompress.BadEncoding:
        raise Refused(400, "event is not valid JSON") from None
