"""Realistic issues, events and stack traces for the demo and for new sign-ups."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from tracker.models import Event, Issue, Project


def _frame(filename: str, function: str, lineno: int, line: str, in_app: bool) -> dict:
    """A stack frame as events store it."""
    return {
        "filename": filename,
        "function": function,
        "lineno": lineno,
        "context_line": line,
        "in_app": in_app,
    }


def _load_specs() -> dict[str, list[dict]]:
    """The demo's issues, from demo_issues.json: "backend" (Python) and "frontend"
    (JavaScript), each {"title", "culprit", "level", "type", "value", "url", "frames"}, a frame
    being [filename, function, line number, source line, in app]. An issue with "message" and
    "params" instead of an exception is grouped by its template, whatever the parameters."""
    specs = json.loads((Path(__file__).parent / "demo_issues.json").read_text(encoding="utf-8"))
    for issues in specs.values():
        for spec in issues:
            spec["frames"] = [_frame(*frame) for frame in spec["frames"]]
    return specs


_SPECS = _load_specs()
BACKEND_ISSUES = _SPECS["backend"]
FRONTEND_ISSUES = _SPECS["frontend"]

BROWSERS = ["Chrome 131", "Firefox 133", "Safari 18.1", "Edge 131"]
RELEASES = ["2026.11.3", "2026.11.4", "2026.11.5"]


USERS = [
    {"id": str(n), "email": f"{name}@example.com", "ip_address": f"203.0.113.{n}"}
    for n, name in enumerate(["ada", "grace", "linus", "margaret", "alan", "barbara"], start=1)
]


def create_issues(
    project: Project, specs: list[dict], events_per_issue: int = 3, seed: int = 7
) -> list[Issue]:
    """Send the specs' events through ingestion, as an SDK's would be; idempotent (the event
    ids are fixed, and ingestion stores an event id once per issue)."""
    from ingest.store import Incoming, store

    rng = random.Random(f"{seed}-{project.pk}")
    now = timezone.now()
    issues = []
    for spec in specs:
        count = events_per_issue + rng.randint(0, 6)
        first_seen = now - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
        last_seen = now - timedelta(minutes=rng.randint(1, 600))
        span = (last_seen - first_seen) / max(count - 1, 1)
        payloads = [_payload(project, spec, n, first_seen + span * n, rng) for n in range(count)]
        with transaction.atomic():
            store(Incoming(project.pk, p["event_id"], p, now) for p in payloads)
        first = payloads[0]["event_id"]
        issues.append(Event.objects.get(issue__project=project, event_id=first).issue)
    return issues


def _payload(project: Project, spec: dict, n: int, when, rng: random.Random) -> dict:
    """One event as the Sentry SDK of the project's platform would send it."""
    javascript = project.platform == "javascript"
    payload = {
        "event_id": hashlib.md5(f"{project.pk}-{spec['title']}-{n}".encode()).hexdigest(),
        "timestamp": when.isoformat(),
        "level": spec["level"],
        "platform": "javascript" if javascript else "python",
        "release": rng.choice(RELEASES),
        "environment": rng.choice(["production", "production", "staging"]),
        "user": rng.choice(USERS),
        "tags": _tags(project, rng),
        "sdk": {"name": "sentry.javascript.browser", "version": "8.45.0"}
        if javascript
        else {"name": "sentry.python.django", "version": "2.75.0"},
        "contexts": _contexts(javascript, rng),
        "breadcrumbs": {"values": _breadcrumbs(spec, when)},
    }
    if spec["url"]:
        payload["request"] = {
            "method": "GET" if n % 2 else "POST",
            "url": spec["url"],
            "headers": {"User-Agent": "Mozilla/5.0"},
        }
    if "message" in spec:
        payload["logentry"] = {"message": spec["message"], "params": spec["params"]}
        return payload
    frames = [
        {**frame, "module": "" if javascript else frame["filename"][:-3].replace("/", ".")}
        for frame in spec["frames"]
    ]
    payload["exception"] = {
        "values": [
            {
                "type": spec["type"],
                "value": spec["value"],
                "mechanism": {"type": "onerror" if javascript else "django", "handled": False},
                "stacktrace": {"frames": frames},
            }
        ]
    }
    return payload


def _contexts(javascript: bool, rng: random.Random) -> dict:
    if javascript:
        name, version = rng.choice(BROWSERS).split(" ")
        return {"browser": {"name": name, "version": version}, "os": {"name": "macOS"}}
    return {
        "runtime": {"name": "CPython", "version": "3.11.7"},
        "os": {"name": "Linux", "version": "6.1"},
    }


def _breadcrumbs(spec: dict, when) -> list[dict]:
    return [
        {
            "timestamp": (when - timedelta(seconds=3)).isoformat(),
            "category": "navigation" if spec["url"] else "celery",
            "message": f"GET {spec['url']}" if spec["url"] else "task started",
            "level": "info",
        },
        {
            "timestamp": (when - timedelta(seconds=1)).isoformat(),
            "category": "query",
            "message": "SELECT ... FROM auth_user WHERE id = %s",
            "level": "info",
        },
    ]


def _tags(project: Project, rng: random.Random) -> dict:
    tags = {}
    if project.platform == "javascript":
        tags["browser"] = rng.choice(BROWSERS)
    else:
        tags["server_name"] = f"web-{rng.randint(1, 4)}"
    return tags
