"""Two tabs, or a double click, creating a task for the same issue produce one task."""

from __future__ import annotations

import pytest
import requests
from django.test import Client

from integrations.models import ExternalIssue, PluginConfig
from tests.support import connect_identity, require_postgresql, run_at_once, sandbox_log


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_submits_of_one_form_create_one_task(owner, issue, project, sandbox):
    require_postgresql()
    PluginConfig.objects.create(
        project=project, plugin="asana", options={"workspace": "1200000000000001"}
    )
    connect_identity(owner, sandbox)
    # A slow Asana: the second submit arrives while the first is still creating the task.
    requests.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"path": "/api/1.0/tasks", "method": "POST", "delay": 0.5},
        timeout=5,
    )

    def logged_in_client() -> Client:
        client = Client()
        client.force_login(owner)
        return client

    def submit(client: Client) -> int:
        return client.post(
            f"/issues/{issue.pk}/plugins/asana/create/",
            {"title": "Only once", "idempotency_key": "c" * 32},
            headers={"HX-Request": "true"},
        ).status_code

    statuses = run_at_once(2, logged_in_client, submit)

    assert statuses == [200, 200]
    posts = [e for e in sandbox_log(sandbox, "/api/1.0/tasks") if e["method"] == "POST"]
    assert len(posts) == 1
    assert ExternalIssue.objects.filter(issue=issue).count() == 1
