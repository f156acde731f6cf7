"""Building blocks of the ingestion tests: envelopes as the SDKs frame them, and posting."""

from __future__ import annotations

import json
import uuid

from django.test import Client

from tracker.models import Project, ProjectKey


def auth_header(key: ProjectKey | str) -> str:
    public_key = key if isinstance(key, str) else key.public_key
    return f"Sentry sentry_key={public_key}, sentry_version=7, sentry_client=tests/1.0"


def event(**fields) -> dict:
    body = {"event_id": uuid.uuid4().hex, "level": "error", "platform": "python"}
    body.update(fields)
    return body


def exception_event(type_="ValueError", value="bad", frames=None, **fields) -> dict:
    frames = frames or [
        {
            "filename": "app/views.py",
            "module": "app.views",
            "function": "index",
            "lineno": 3,
            "in_app": True,
        },
    ]
    return event(
        exception={"values": [{"type": type_, "value": value, "stacktrace": {"frames": frames}}]},
        **fields,
    )


def envelope(*items: tuple[dict, bytes | dict], header: dict | None = None) -> bytes:
    """Items given as (item header, payload); a `length` is added unless the header has
    `"length": None`, which leaves the payload newline-terminated as the protocol allows."""
    lines = [json.dumps(header or {}).encode()]
    for item_header, payload in items:
        body = json.dumps(payload).encode() if isinstance(payload, dict) else payload
        item_header = dict(item_header)
        if "length" not in item_header:
            item_header["length"] = len(body)
        elif item_header["length"] is None:
            del item_header["length"]
        lines += [json.dumps(item_header).encode(), body]
    return b"\n".join(lines) + b"\n"


def event_envelope(payload: dict, **header) -> bytes:
    return envelope(
        ({"type": "event"}, payload), header={"event_id": payload.get("event_id"), **header}
    )


def post_envelope(client: Client, project: Project, body: bytes, key=None, **extra):
    headers = {}
    if key is not None:
        headers["HTTP_X_SENTRY_AUTH"] = auth_header(key)
    headers.update(extra)
    return client.post(
        f"/api/{project.pk}/envelope/",
        data=body,
        content_type="application/x-sentry-envelope",
        **headers,
    )
