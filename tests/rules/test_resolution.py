"""Resolving or reopening an issue syncs its linked tasks on the worker: the request records a
pending sync and answers at once; the issue shows done, or failed with a retry."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import ExternalIssue, PluginConfig
from tests.support import EXISTING_TASK, HTMX, clear_sandbox_log, fault, sandbox_log


@pytest.fixture
def linked(asana_project, owner, owner_client, issue, sandbox):
    config = PluginConfig.objects.get(project=asana_project, plugin="asana")
    config.options["sync_resolution"] = True
    config.save()
    ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id=EXISTING_TASK, title="Fix N+1", created_by=owner
    )
    clear_sandbox_log(sandbox)
    return issue


def set_status(client, issue, status, **kwargs):
    return client.post(reverse("issue_set_status", args=[issue.pk]), {"status": status}, **kwargs)


def test_the_request_makes_no_asana_call_and_shows_pending(
    linked, owner_client, sandbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = set_status(owner_client, linked, "resolved", headers=HTMX)

    page = answer.content.decode()
    assert "Completing the linked Asana tasks" in page and 'hx-trigger="every 2s"' in page
    assert sandbox_log(sandbox, "/api/1.0/") == []
    assert len(queued) == 1

    queued[0]()  # the worker runs the sync
    assert sandbox.state.tasks[EXISTING_TASK].completed is True
    poll = owner_client.get(reverse("resolution_sync", args=[linked.pk]), headers=HTMX)
    assert "Linked Asana tasks completed." in poll.content.decode()
    assert "every 2s" not in poll.content.decode()
    # The poll that sees the end tells the page, so the Asana panel reloads with the tasks.
    assert "tasks-synced" in poll.headers["HX-Trigger"]
    # Without JavaScript, the next load of the issue shows it.
    assert (
        "Linked Asana tasks completed."
        in owner_client.get(f"/issues/{linked.pk}/").content.decode()
    )


def test_reopening_reopens_the_tasks(
    linked, owner_client, sandbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        set_status(owner_client, linked, "resolved")
    with django_capture_on_commit_callbacks(execute=True):
        set_status(owner_client, linked, "unresolved")
    assert sandbox.state.tasks[EXISTING_TASK].completed is False
    page = owner_client.get(f"/issues/{linked.pk}/").content.decode()
    assert "Linked Asana tasks reopened." in page


def test_a_failure_is_shown_with_a_retry_that_works(
    linked, owner_client, sandbox, django_capture_on_commit_callbacks
):
    fault(sandbox, path=f"/api/1.0/tasks/{EXISTING_TASK}", method="PUT", status=500)
    with django_capture_on_commit_callbacks(execute=True):
        set_status(owner_client, linked, "resolved")
    linked.refresh_from_db()
    assert linked.status == "resolved"  # the issue's status never waits on Asana
    page = owner_client.get(f"/issues/{linked.pk}/").content.decode()
    assert "were not updated" in page and "Fix N+1" in page and ">Retry</button>" in page

    with django_capture_on_commit_callbacks(execute=True):
        answer = owner_client.post(
            reverse("resolution_sync_retry", args=[linked.pk]), {"provider": "asana"}
        )
    assert answer.status_code == 302
    assert sandbox.state.tasks[EXISTING_TASK].completed is True
    page = owner_client.get(f"/issues/{linked.pk}/").content.decode()
    assert "Linked Asana tasks completed." in page


def test_outsiders_cannot_see_or_retry(linked, outsider_client):
    assert outsider_client.get(reverse("resolution_sync", args=[linked.pk])).status_code == 404
    retry = reverse("resolution_sync_retry", args=[linked.pk])
    assert outsider_client.post(retry, {"provider": "asana"}).status_code == 404
