"""The issue page keeps its status, activity and task card fresh while open: it polls a small
fragment that answers 204 (one indexed query) while nothing changed."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.asana import sync
from integrations.models import ExternalIssue, PluginConfig
from tests.support import HTMX
from tracker.models import Activity, Issue

pytestmark = pytest.mark.django_db


def poller(html: str) -> str:
    """The live-update URL the page (or an update) asks next."""
    found = re.search(r'id="issue-live"[^>]*hx-get="([^"]+)"', html)
    assert found, html
    return found.group(1).replace("&amp;", "&")


def test_the_issue_page_polls_every_ten_seconds(owner_client, issue):
    html = owner_client.get(issue.get_absolute_url()).content.decode()
    assert poller(html).startswith(reverse("issue_live", args=[issue.pk]) + "?v=")
    assert re.search(r'id="issue-live"[^>]*hx-trigger="every 10s', html)


def test_nothing_changed_is_204_for_one_query_on_the_issue(owner_client, issue):
    url = poller(owner_client.get(issue.get_absolute_url()).content.decode())
    with CaptureQueriesContext(connection) as queries:
        answer = owner_client.get(url, headers=HTMX)
    assert answer.status_code == 204
    assert answer.content == b""
    on_issues = [q["sql"] for q in queries if "tracker_issue" in q["sql"]]
    assert len(on_issues) == 1, on_issues


def test_a_status_change_from_asana_shows_without_reload(owner_client, owner, issue, project):
    PluginConfig.objects.create(
        project=project, plugin="asana", options={"asana_completes": "any"}, updated_by=owner
    )
    ExternalIssue.objects.create(issue=issue, provider="asana", external_id="42", title="T")
    url = poller(owner_client.get(issue.get_absolute_url()).content.decode())
    sync.apply_task({"gid": "42", "name": "T", "completed": True}, "Grace Hopper")
    answer = owner_client.get(url, headers=HTMX)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'class="badge badge-resolved"' in html
    assert "Grace Hopper" in html  # the activity, swapped out of band
    assert "tasks-synced" in answer["HX-Trigger"]  # the task card reloads
    # The update carries the next version: asking with it is unchanged again.
    assert owner_client.get(poller(html), headers=HTMX).status_code == 204


def test_a_task_card_change_alone_is_news(owner_client, issue):
    mapping = ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id="42", title="T", details={}
    )
    url = poller(owner_client.get(issue.get_absolute_url()).content.decode())
    sync.apply_task({"gid": "42", "name": "T", "assignee": {"name": "Grace Hopper"}}, "Grace")
    mapping.refresh_from_db()
    assert mapping.details["assignee"] == "Grace Hopper"
    assert owner_client.get(url, headers=HTMX).status_code == 200


def test_reading_the_same_task_state_again_is_no_news(owner_client, issue):
    ExternalIssue.objects.create(issue=issue, provider="asana", external_id="42", title="T")
    task = {"gid": "42", "name": "T", "completed": False}
    sync.apply_task(task, "Someone")
    url = poller(owner_client.get(issue.get_absolute_url()).content.decode())
    sync.apply_task(task, "Someone")  # e.g. the reconciliation
    assert owner_client.get(url, headers=HTMX).status_code == 204


def test_a_comment_is_news(owner_client, owner, issue):
    url = poller(owner_client.get(issue.get_absolute_url()).content.decode())
    Activity.objects.create(issue=issue, user=owner, kind="comment", data={"text": "hi"})
    assert owner_client.get(url, headers=HTMX).status_code == 200


def test_a_comment_the_worker_could_not_post_is_news(owner_client, owner, issue):
    """The worker records a failed post on the comment's existing entry (no new entry): an
    open page still learns of it at its next poll, and shows the notice."""
    comment = Activity.objects.create(issue=issue, user=owner, kind="comment", data={"text": "hi"})
    url = poller(owner_client.get(issue.get_absolute_url()).content.decode())
    failure = {"42": {"title": "Fix login", "tracker": "Asana", "reason": "Asana refused it."}}
    Activity.objects.filter(pk=comment.pk).update(
        data={"text": "hi", "post_failed": {"asana": failure}}
    )
    answer = owner_client.get(url, headers=HTMX)
    assert answer.status_code == 200
    assert "Asana refused it." in answer.content.decode()
    assert owner_client.get(poller(answer.content.decode()), headers=HTMX).status_code == 204


def test_a_page_showing_all_activity_polls_unchanged_while_nothing_changed(
    owner_client, owner, issue
):
    for n in range(15):
        Activity.objects.create(issue=issue, user=owner, kind="comment", data={"text": f"{n}"})
    html = owner_client.get(issue.get_absolute_url() + "?activity=all").content.decode()
    assert owner_client.get(poller(html), headers=HTMX).status_code == 204


def test_an_outsider_gets_404(outsider_client, issue):
    url = reverse("issue_live", args=[issue.pk])
    assert outsider_client.get(url, headers=HTMX).status_code == 404


def test_issue_status_is_read_fresh(owner_client, issue):
    url = poller(owner_client.get(issue.get_absolute_url()).content.decode())
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.IGNORED)
    html = owner_client.get(url, headers=HTMX).content.decode()
    assert 'class="badge badge-ignored"' in html
