"""An event as the issue page shows it: the exception chain with its frames, the message,
breadcrumbs, request, user, tags, contexts, release, environment and SDK.

`Event.data` comes from SDKs through ingestion, so nothing in it is trusted to have the shape
the protocol promises: every reader here accepts whatever it finds and shows what it can.
Events stored before `data` existed (the demo's, older ones) have only the flat fields
(exception_type, exception_value, frames, message, tags, request); they render from those.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString, mark_safe

from tracker.models import Event, Issue

MAX_VALUE = 2000
CONTEXT_TITLES = {
    "runtime": "Runtime",
    "os": "Operating system",
    "browser": "Browser",
    "device": "Device",
    "app": "App",
    "client_os": "Client OS",
    "culture": "Culture",
    "gpu": "GPU",
    "trace": "Trace",
}
USER_FIRST = ["id", "email", "username", "name", "ip_address"]


@dataclass
class Line:
    number: int | None
    text: str
    current: bool = False


@dataclass
class Frame:
    filename: str
    function: str
    module: str
    lineno: int | None
    colno: int | None
    in_app: bool
    lines: list[Line]
    variables: list[tuple[str, str]]


@dataclass
class FrameGroup:
    """Consecutive frames of one kind: the app's own, or library frames (collapsible)."""

    in_app: bool
    frames: list[Frame]
    collapsed: bool


@dataclass
class ExceptionView:
    type: str
    value: str
    module: str
    mechanism: str
    handled: bool | None
    groups: list[FrameGroup]
    frame_count: int


@dataclass
class Breadcrumb:
    time: datetime | None
    category: str
    level: str
    message: str
    data: list[tuple[str, str]]


@dataclass
class RequestView:
    method: str
    url: str
    query: str
    headers: list[tuple[str, str]]
    body: str


@dataclass
class Context:
    title: str
    summary: str
    pairs: list[tuple[str, str]]


@dataclass
class EventView:
    exceptions: list[ExceptionView]
    message: str
    breadcrumbs: list[Breadcrumb]
    request: RequestView | None
    user: list[tuple[str, str]]
    tags: list[tuple[str, str]]
    contexts: list[Context]
    release: str
    environment: str
    sdk: str
    transaction: str
    extra: list[tuple[str, str]] = field(default_factory=list)


# --- tolerant readers ---------------------------------------------------------------------------


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value) -> list:
    return value if isinstance(value, list) else []


def text(value) -> str:
    """Any JSON value as one line of text, shortened; strings as they are."""
    if value is None:
        return ""
    if isinstance(value, str):
        out = value
    else:
        out = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return out if len(out) <= MAX_VALUE else out[:MAX_VALUE] + "…"


def as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def pairs(value) -> list[tuple[str, str]]:
    """A dict, or a list of [key, value] pairs (as SDKs send headers and tags), as pairs."""
    if isinstance(value, dict):
        items = value.items()
    else:
        items = [p for p in as_list(value) if isinstance(p, list | tuple) and len(p) == 2]
    return [(text(k), text(v)) for k, v in items]


def as_time(value) -> datetime | None:
    """A breadcrumb's timestamp: seconds since the epoch, or an ISO 8601 string."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return as_time(float(value))
        except ValueError:
            pass
        try:
            parsed = parse_datetime(value)
        except ValueError:
            return None
        if parsed is not None and parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed
    return None


# --- the parts ------------------------------------------------------------------------------------


def frame_lines(frame: dict) -> list[Line]:
    pre = [text(line) for line in as_list(frame.get("pre_context"))]
    post = [text(line) for line in as_list(frame.get("post_context"))]
    current = frame.get("context_line")
    if current is None:
        return []
    lineno = as_int(frame.get("lineno"))
    first = lineno - len(pre) if lineno is not None else None

    def number(offset: int) -> int | None:
        return None if first is None else first + offset

    lines = [Line(number(n), line) for n, line in enumerate(pre)]
    lines.append(Line(lineno, text(current), current=True))
    lines += [Line(number(len(pre) + 1 + n), line) for n, line in enumerate(post)]
    return lines


def make_frame(raw: dict) -> Frame:
    return Frame(
        filename=text(raw.get("filename") or raw.get("abs_path") or raw.get("module") or "?"),
        function=text(raw.get("function") or "?"),
        module=text(raw.get("module")),
        lineno=as_int(raw.get("lineno")),
        colno=as_int(raw.get("colno")),
        in_app=bool(raw.get("in_app")),
        lines=frame_lines(raw),
        variables=pairs(raw.get("vars")),
    )


def group_frames(raw_frames: list) -> list[FrameGroup]:
    """Most recent call first, runs of library frames folded when the app has frames."""
    frames = [make_frame(f) for f in reversed(raw_frames) if isinstance(f, dict)]
    has_app = any(frame.in_app for frame in frames)
    groups: list[FrameGroup] = []
    for frame in frames:
        if groups and groups[-1].in_app == frame.in_app:
            groups[-1].frames.append(frame)
        else:
            collapsed = has_app and not frame.in_app
            groups.append(FrameGroup(frame.in_app, [frame], collapsed))
    return groups


def make_exception(raw: dict) -> ExceptionView:
    frames = as_list(raw.get("frames")) or as_list(as_dict(raw.get("stacktrace")).get("frames"))
    mechanism = as_dict(raw.get("mechanism"))
    handled = mechanism.get("handled")
    return ExceptionView(
        type=text(raw.get("type")),
        value=text(raw.get("value")),
        module=text(raw.get("module")),
        mechanism=text(mechanism.get("type")),
        handled=handled if isinstance(handled, bool) else None,
        groups=group_frames(frames),
        frame_count=len(frames),
    )


def exceptions_of(event: Event, data: dict) -> list[ExceptionView]:
    raw = [e for e in as_list(data.get("exceptions")) if isinstance(e, dict)]
    if not raw and (event.exception_type or event.exception_value or event.frames):
        raw = [
            {
                "type": event.exception_type,
                "value": event.exception_value,
                "frames": as_list(event.frames),
            }
        ]
    return [make_exception(e) for e in raw]


def message_of(event: Event, data: dict, exceptions: list[ExceptionView]) -> str:
    logentry = as_dict(data.get("logentry"))
    message = text(logentry.get("formatted") or logentry.get("message")) or event.message
    # The flat message of older events repeats the exception's value, or its first line.
    repeats = set()
    for exception in exceptions:
        value = exception.value.strip()
        repeats.update({value, value.split("\n", 1)[0]})
    return "" if message.strip() in repeats else message


def breadcrumbs_of(data: dict) -> list[Breadcrumb]:
    crumbs = as_list(data.get("breadcrumbs"))
    if isinstance(data.get("breadcrumbs"), dict):  # {"values": [...]}, as the protocol nests it
        crumbs = as_list(data["breadcrumbs"].get("values"))
    out = []
    for crumb in crumbs:
        if not isinstance(crumb, dict):
            continue
        out.append(
            Breadcrumb(
                time=as_time(crumb.get("timestamp")),
                category=text(crumb.get("category") or crumb.get("type") or "default"),
                level=text(crumb.get("level") or "info"),
                message=text(crumb.get("message")),
                data=pairs(crumb.get("data")),
            )
        )
    return out


def request_of(event: Event) -> RequestView | None:
    raw = as_dict(event.request)
    if not raw:
        return None
    query = raw.get("query_string")
    if not isinstance(query, str):
        query = "&".join(f"{k}={v}" for k, v in pairs(query))
    return RequestView(
        method=text(raw.get("method")),
        url=text(raw.get("url")),
        query=query,
        headers=pairs(raw.get("headers")),
        body=text(raw.get("data")),
    )


def user_of(data: dict) -> list[tuple[str, str]]:
    user = as_dict(data.get("user"))
    order = {key: n for n, key in enumerate(USER_FIRST)}
    return sorted(pairs(user), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))


def contexts_of(data: dict) -> list[Context]:
    order = {key: n for n, key in enumerate(CONTEXT_TITLES)}
    out = []
    items = sorted(
        as_dict(data.get("contexts")).items(), key=lambda kv: (order.get(kv[0], 99), kv[0])
    )
    for key, raw in items:
        raw = as_dict(raw)
        if not raw:
            continue
        summary = " ".join(text(raw.get(k)) for k in ("name", "version") if raw.get(k))
        shown = {"type", "name", "version"} if summary else {"type"}
        rest = [(k, v) for k, v in pairs(raw) if k not in shown]
        title = CONTEXT_TITLES.get(key) or text(raw.get("type")) or text(key)
        out.append(Context(title=title, summary=summary, pairs=rest))
    return out


def sdk_of(data: dict) -> str:
    sdk = as_dict(data.get("sdk"))
    return " ".join(text(sdk.get(k)) for k in ("name", "version") if sdk.get(k))


def build(event: Event) -> EventView:
    data = as_dict(event.data)
    tags = pairs(event.tags)
    tag_values = dict(tags)
    exceptions = exceptions_of(event, data)
    return EventView(
        exceptions=exceptions,
        message=message_of(event, data, exceptions),
        breadcrumbs=breadcrumbs_of(data),
        request=request_of(event),
        user=user_of(data),
        tags=sorted(tags),
        contexts=contexts_of(data),
        release=event.release or tag_values.get("release", ""),
        environment=event.environment or tag_values.get("environment", ""),
        sdk=sdk_of(data),
        transaction=text(data.get("transaction")),
        extra=sorted(pairs(data.get("extra"))),
    )


# --- the rendered body, cached -------------------------------------------------------------------

BODY_TEMPLATE = "tracker/event_body.html"
# A stored event never changes, so its body is kept for as long as it is likely to be looked at
# again; a huge event (a megabyte of SDK data) is rendered each time rather than kept.
BODY_SECONDS = 24 * 3600
BODY_MAX_CACHED = 512 * 1024


def body_html(event: Event, issue: Issue) -> SafeString:
    """The event's body (everything below its heading and paging links) as HTML, rendered once
    per event and then read from the cache: rendering it was a fifth of the issue page's time.

    The key names everything besides the event that the body shows or depends on: the issue's
    level, the time zone of the breadcrumbs' times, and the code that renders it (a deploy
    that changes the template or this module starts afresh). `received` is in it too, so an id
    that a database hands out again (SQLite's test databases) never finds another event's body.
    """
    key = ":".join(
        [
            "event-body",
            code_version(),
            str(event.pk),
            event.event_id,
            str(int(event.received.timestamp() * 1_000_000)),
            issue.level,
            timezone.get_current_timezone_name(),
        ]
    )
    html = cache.get(key)
    if html is None:
        if event.get_deferred_fields():  # read for its heading only (the issue page)
            event = Event.objects.get(pk=event.pk)
        context = {"event": event, "issue": issue, "view": build(event)}
        html = render_to_string(BODY_TEMPLATE, context)
        if len(html) <= BODY_MAX_CACHED:
            cache.set(key, str(html), BODY_SECONDS)
    # Our own template's output, autoescaped when it was rendered.
    return mark_safe(html)


@functools.cache
def code_version() -> str:
    """A digest of the body's template and of this module, read once per process."""
    digest = hashlib.sha256(get_template(BODY_TEMPLATE).template.source.encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:12]
