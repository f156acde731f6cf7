"""Acting in the sandbox as people do in Asana, and waiting for what Asana then delivers."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings

from asana_sandbox import SandboxServer
from integrations.models import ExternalIssue
from tests.support import ENGINEERING, EXISTING_TASK, TIMEOUT

GRACE_EMAIL = "grace@acme.test"
TASK_NAME_START = "Fix N+1"


def control(sandbox: SandboxServer, path: str, body: dict[str, Any] | None = None) -> Any:
    # flush answers once each queued delivery was tried, within its `wait`
    answer = requests.post(f"{sandbox.url}/_sandbox/{path}", json=body or {}, timeout=30)
    assert answer.status_code < 300, answer.text
    return answer.json()


def act(sandbox: SandboxServer, action: str, task: str = EXISTING_TASK, **extra: Any) -> Any:
    """Do in Asana what Grace does there, and let every delivery it causes be tried."""
    body = {"as": GRACE_EMAIL, "action": action, "task": task, **extra}
    answer = control(sandbox, "act", body)
    flush(sandbox)
    return answer


def flush(sandbox: SandboxServer) -> dict[str, Any]:
    return control(sandbox, "webhooks/flush", {"wait": 15})


def deliveries(sandbox: SandboxServer) -> list[dict[str, Any]]:
    return requests.get(f"{sandbox.url}/_sandbox/webhook-deliveries", timeout=TIMEOUT).json()[
        "sent"
    ]


def sandbox_webhooks(sandbox: SandboxServer) -> list[dict[str, Any]]:
    answer = requests.get(f"{sandbox.url}/_sandbox/webhooks", timeout=TIMEOUT).json()
    return answer.get("data", answer) if isinstance(answer, dict) else answer


def link(issue, user, task: str = EXISTING_TASK, title: str = "Fix N+1") -> ExternalIssue:
    """A task linked as the panel links it; saving it starts tracking (card, webhook)."""
    mapping = ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id=task, title=title, created_by=user
    )
    # The heartbeat Asana sends at creation is answered before the test goes on: the live
    # server shares the test's database connection on SQLite.
    url = f"{settings.ASANA_BASE_URL}/_sandbox/webhooks/flush"
    requests.post(url, json={"wait": 15}, timeout=30).raise_for_status()
    return mapping


def options(**extra: Any) -> dict[str, Any]:
    return {"workspace": ENGINEERING, **extra}


def turn_on(config, **chosen) -> None:
    """Save more options on a project's plugin settings."""
    config.options.update(chosen)
    config.save()
