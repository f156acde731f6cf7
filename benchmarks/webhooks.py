"""Asana webhooks: deliveries per second the receiver accepts, and the delay from a change in
Asana to the issue's new status.

    .venv/bin/python benchmarks/webhooks.py

1. Accepting: signed deliveries of one event each POSTed to /hooks/asana/<id>/ through Django's
   test client (in-process, no HTTP server): the signature checked, the delivery stored in
   PostgreSQL, its processing handed to the queue (a no-op stand-in for Celery's .delay(), so
   only what the endpoint itself does is timed).
2. End to end: the sandbox (in-process, --allow-local-webhooks) and Tasklink on a live server
   thread, tasks eager as in the demo. A person completes the linked task through the
   sandbox's `act` control, then reopens it; the time until the issue reads resolved (and
   unresolved again) in the database is measured. BENCH_ROUNDS (default 40) changes the count.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time

from common import percentile, record, setup, table

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
DELIVERIES = int(os.environ.get("BENCH_DELIVERIES", "2000"))
SECRET = "s" * 64

setup("tasklink_bench_webhooks")

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from pytest_django.live_server_helper import LiveServer  # noqa: E402

from asana_sandbox import start_sandbox  # noqa: E402
from integrations.asana import sync  # noqa: E402
from integrations.models import ExternalIssue, Webhook, WebhookDelivery  # noqa: E402
from tests.support import (  # noqa: E402
    EXISTING_TASK,
    configure_asana,
    connect_identity,
    make_user,
)
from tracker.models import Issue, Organization, Project  # noqa: E402


def event(n: int) -> dict:
    return {
        "user": {"gid": "1200000000000004", "resource_type": "user"},
        "created_at": f"2026-01-05T09:00:{n % 60:02}.{n:06}Z",
        "action": "changed",
        "parent": None,
        "resource": {"gid": "1299", "resource_type": "task", "resource_subtype": "default_task"},
        "change": {"field": "completed", "action": "changed"},
    }


def accepting() -> float:
    webhook = Webhook.objects.create(
        provider="asana", resource="bench", resource_type="project", remote_id="1", secret=SECRET
    )
    client = Client()
    url = f"/hooks/asana/{webhook.pk}/"
    bodies = [json.dumps({"events": [event(n)]}).encode() for n in range(DELIVERIES)]
    signatures = [hmac.new(SECRET.encode(), b, hashlib.sha256).hexdigest() for b in bodies]
    queued = sync.queue_delivery
    sync.queue_delivery = lambda delivery_id: None  # the broker's .delay(), not timed here
    try:
        started = time.perf_counter()
        for body, signature in zip(bodies, signatures, strict=True):
            answer = client.post(
                url, body, content_type="application/json", headers={"X-Hook-Signature": signature}
            )
            assert answer.status_code == 200, answer.status_code
        elapsed = time.perf_counter() - started
    finally:
        sync.queue_delivery = queued
    assert WebhookDelivery.objects.filter(webhook=webhook).count() == DELIVERIES
    webhook.delete()
    return DELIVERIES / elapsed


def wait_for(issue: Issue, status: str, timeout: float = 15) -> float:
    started = time.perf_counter()
    while Issue.objects.filter(pk=issue.pk, status=status).count() == 0:
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"The issue did not become {status} within {timeout} s")
        time.sleep(0.002)
    return time.perf_counter()


def end_to_end() -> tuple[list[float], list[float]]:
    org = Organization.objects.create(name="Bench", slug=f"bench-{time.time_ns()}")
    project = Project.objects.create(organization=org, name="B", slug="b", short_name="B")
    issue = Issue.objects.create(project=project, title="Bench issue")
    user = make_user(f"bench{time.time_ns()}")
    with start_sandbox(allow_local_webhooks=True) as sandbox:
        server = LiveServer("127.0.0.1")
        try:
            with override_settings(ASANA_BASE_URL=sandbox.url, APP_BASE_URL=server.url):
                connect_identity(user, sandbox)
                configure_asana(
                    project,
                    options={"asana_completes": "any", "asana_reopens": True},
                    updated_by=user,
                )
                ExternalIssue.objects.create(
                    issue=issue, provider="asana", external_id=EXISTING_TASK, created_by=user
                )
                return rounds(sandbox.url, issue)
        finally:
            server.stop()


def rounds(sandbox_url: str, issue: Issue) -> tuple[list[float], list[float]]:
    resolve, reopen = [], []
    for _ in range(ROUNDS):
        for action, status, samples in (
            ("complete", Issue.Status.RESOLVED, resolve),
            ("reopen", Issue.Status.UNRESOLVED, reopen),
        ):
            started = time.perf_counter()
            requests.post(
                f"{sandbox_url}/_sandbox/act",
                json={"as": "grace@acme.test", "action": action, "task": EXISTING_TASK},
                timeout=10,
            ).raise_for_status()
            samples.append((wait_for(issue, status) - started) * 1000)
    return resolve, reopen


def main() -> None:
    # This database is the benchmark's own: start from an empty one each run.
    call_command("flush", interactive=False, verbosity=0)
    rate = accepting()
    table(
        "Webhook receiver (in-process, PostgreSQL)",
        ("deliveries", "accepted per second"),
        [(DELIVERIES, f"{rate:,.0f}")],
    )
    record("receiver accepts >= 200 deliveries/s", f"{rate:,.0f}/s", rate >= 200)
    resolve, reopen = end_to_end()
    rows = [
        (name, len(s), f"{percentile(s, 50):.0f}", f"{percentile(s, 99):.0f}")
        for name, s in (("complete → resolved", resolve), ("reopen → unresolved", reopen))
    ]
    table("Asana change → issue status (ms)", ("change", "rounds", "p50", "p99"), rows)
    p99 = max(percentile(resolve, 99), percentile(reopen, 99))
    record("Asana change → issue status p99 < 5 s", f"{p99:.0f} ms", p99 < 5000)
    print(f"(DEBUG={settings.DEBUG}; tasks eager: {settings.CELERY_TASK_ALWAYS_EAGER})")


if __name__ == "__main__":
    main()
