"""An event as an SDK sent it -> the fields Tasklink stores (Event's columns and `data`).

SDK payloads are untrusted: every field may be missing or of any JSON type, so each reader
checks types and falls back to empty values instead of failing.
Reference: https://develop.sentry.dev/sdk/data-model/event-payloads/
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

LEVELS = {"fatal", "error", "warning", "info", "debug"}
LEVEL_ALIASES = {"critical": "fatal", "warn": "warning", "log": "info"}
FRAME_TEXT = ("filename", "abs_path", "module", "function", "context_line")
MAX_TEXT = 8192
PLACEHOLDER = re.compile(r"%s")


def text(value: Any, limit: int = MAX_TEXT) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)[:limit]


def mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def listing(value: Any) -> list:
    return value if isinstance(value, list) else []


def values_of(value: Any) -> list:
    """Sentry's interfaces come as {"values": [...]} or, in older SDKs, as a bare list."""
    if isinstance(value, dict):
        value = value.get("values")
    return [item for item in listing(value) if isinstance(item, dict)]


def level(value: Any) -> str:
    name = text(value, 20).lower()
    name = LEVEL_ALIASES.get(name, name)
    return name if name in LEVELS else "error"


def timestamp(value: Any, received: datetime) -> datetime:
    """The SDK's timestamp (RFC 3339 or seconds since the epoch); never later than received."""
    when = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            when = datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            when = None
    elif isinstance(value, str):
        try:
            when = parse_datetime(value)
        except ValueError:
            when = None
        if when is not None and timezone.is_naive(when):
            when = when.replace(tzinfo=UTC)
    if when is None or when > received + timedelta(minutes=1):
        return received
    return when


def frame(raw: dict) -> dict:
    out: dict[str, Any] = {key: text(raw.get(key), 1024) for key in FRAME_TEXT}
    for key in ("lineno", "colno"):
        number = raw.get(key)
        out[key] = number if isinstance(number, int) and not isinstance(number, bool) else None
    for key in ("pre_context", "post_context"):
        out[key] = [text(line, 1024) for line in listing(raw.get(key))[:10]]
    out["in_app"] = raw.get("in_app") is True
    out["vars"] = mapping(raw.get("vars"))
    if not out["filename"] and out["abs_path"]:
        out["filename"] = out["abs_path"]
    return out


def exception(raw: dict) -> dict:
    stacktrace = mapping(raw.get("stacktrace"))
    return {
        "type": text(raw.get("type"), 200),
        "value": text(raw.get("value")),
        "module": text(raw.get("module"), 200),
        "mechanism": mapping(raw.get("mechanism")),
        "frames": [
            frame(f) for f in listing(stacktrace.get("frames"))[-250:] if isinstance(f, dict)
        ],
    }


def logentry(event: dict) -> dict:
    entry = mapping(event.get("logentry")) or mapping(event.get("sentry.interfaces.Message"))
    message = text(entry.get("message"))
    params = entry.get("params")
    formatted = (
        text(entry.get("formatted"))
        or text(event.get("message"))
        or _format(message, params)
        or message
    )
    return {"message": message, "formatted": formatted, "params": params}


def _format(template: str, params: Any) -> str:
    """`%s` placeholders filled from a list of parameters, as Relay formats a logentry. Only
    `%s`: a template such as `%999999999d` from an SDK must not allocate what it asks."""
    if not isinstance(params, list) or not params or "%s" not in template:
        return ""
    values = iter(params)
    return PLACEHOLDER.sub(lambda match: text(next(values, match.group()), 1024), template)[
        :MAX_TEXT
    ]


def tags(event: dict) -> dict[str, str]:
    """The event's own tags (a dict or a list of pairs) and the ones Sentry derives."""
    raw = event.get("tags")
    pairs = raw.items() if isinstance(raw, dict) else listing(raw)
    out: dict[str, str] = {}
    for pair in pairs:
        if isinstance(pair, tuple | list) and len(pair) == 2:
            key, value = text(pair[0], 32), text(pair[1], 200)
            if key and value:
                out[key] = value
    contexts = mapping(event.get("contexts"))
    for name in ("browser", "os", "runtime"):
        context = mapping(contexts.get(name))
        label = " ".join(filter(None, (text(context.get("name")), text(context.get("version")))))
        if label:
            out.setdefault(name, label[:200])
    for key in ("environment", "release", "server_name", "transaction"):
        value = text(event.get(key), 200)
        if value:
            out.setdefault(key, value)
    out["level"] = level(event.get("level"))
    return out


def request(value: Any) -> dict:
    raw = mapping(value)
    headers = raw.get("headers")
    if isinstance(headers, list):
        headers = {
            text(pair[0], 200): text(pair[1], 2000)
            for pair in headers
            if isinstance(pair, list | tuple) and len(pair) == 2
        }
    return {
        "method": text(raw.get("method"), 16),
        "url": text(raw.get("url"), 2000),
        "headers": mapping(headers),
        "query_string": raw.get("query_string") or "",
        "data": raw.get("data") or "",
    }


def normalize(event: dict, received: datetime) -> dict:
    """Everything the store needs, from one SDK event (the chain outermost first)."""
    # The SDKs list a chain oldest first (the cause, then what it caused); the last one is
    # the exception that was raised out: it names the issue and is shown first.
    exceptions = [exception(raw) for raw in reversed(values_of(event.get("exception")))]
    primary = exceptions[0] if exceptions else None
    entry = logentry(event)
    fingerprint = [text(part, 200) for part in listing(event.get("fingerprint"))]
    return {
        "level": level(event.get("level")),
        "platform": text(event.get("platform"), 30),
        "release": text(event.get("release"), 200),
        "environment": text(event.get("environment"), 64),
        "timestamp": timestamp(event.get("timestamp"), received),
        "message": entry["formatted"] or (primary["value"].split("\n")[0] if primary else ""),
        "exception_type": primary["type"] if primary else "",
        "exception_value": primary["value"] if primary else "",
        "frames": primary["frames"] if primary else [],
        "tags": tags(event),
        "request": request(event.get("request")),
        "data": {
            "exceptions": exceptions,
            "breadcrumbs": values_of(event.get("breadcrumbs"))[-100:],
            "user": mapping(event.get("user")),
            "contexts": mapping(event.get("contexts")),
            "sdk": mapping(event.get("sdk")),
            "logentry": entry,
            "transaction": text(event.get("transaction"), 200),
            "fingerprint": fingerprint,
            "extra": mapping(event.get("extra")),
        },
    }
