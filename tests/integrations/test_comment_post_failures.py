"""A comment written in Tasklink that could not be posted to a linked Asana task says so under
the comment, with the reason and a way to try again; once it is posted the notice goes."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from kombu.exceptions import OperationalError

from integrations import comments
from integrations.models import ExternalIssue
from tests.support import EXISTING_TASK, HTMX, configure_asana, connect_identity, fault
from tracker.models import Activity

STORIES = f"/api/1.0/tasks/{EXISTING_TASK}/stories"


@pytest.fixture
def posting(owner, issue, project, sandbox):
    """Comments on the issue are posted to its one linked task, as the owner (Ada in Asana)."""
    connect_identity(owner, sandbox)
    configure_asana(project, options={"post_comments": True}, updated_by=owner)
    return ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id=EXISTING_TASK, title="Fix N+1", created_by=owner
    )


def write(client, issue, text: str, capture) -> Activity:
    """Comment as the logged-in person; the post to Asana runs once the comment is stored."""
    with capture(execute=True):
        client.post(reverse("issue_comment", args=[issue.pk]), {"text": text})
    return Activity.objects.filter(issue=issue, kind=Activity.Kind.COMMENT).latest("id")


def texts_in_asana(sandbox) -> list[str]:
    return [s.text for s in sandbox.state.stories.values() if s.task == EXISTING_TASK]


def retry_url(issue, activity) -> str:
    return reverse("issue_comment_retry", args=[issue.pk, activity.pk])


def activity_html(client, issue) -> str:
    page = client.get(issue.get_absolute_url()).content.decode()
    return page[page.index('id="activity"') :]


def test_a_comment_asana_refuses_says_why_under_it(
    posting, owner_client, issue, sandbox, django_capture_on_commit_callbacks
):
    fault(sandbox, path=STORIES, method="POST", status=404, times=1)
    activity = write(owner_client, issue, "Deploying at 5pm", django_capture_on_commit_callbacks)
    assert activity.data["post_failed"]["asana"][EXISTING_TASK]["title"] == "Fix N+1"
    html = activity_html(owner_client, issue)
    assert "commented: Deploying at 5pm" in html  # what the person wrote is kept
    assert "Not posted to Asana task “Fix N+1”: Asana could not find that task" in html
    form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    assert form and form.group(1) == retry_url(issue, activity)
    assert 'method="post"' in form.group(0) and 'name="csrfmiddlewaretoken"' in form.group(2)
    assert "Try again" in form.group(2)


def test_without_a_usable_asana_connection_the_comment_says_so(
    issue, project, member, member_client, sandbox, django_capture_on_commit_callbacks
):
    configure_asana(project, options={"post_comments": True})
    ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id=EXISTING_TASK, title="Fix N+1", created_by=None
    )
    activity = write(member_client, issue, "Same on Android", django_capture_on_commit_callbacks)
    reason = activity.data["post_failed"]["asana"][EXISTING_TASK]["reason"]
    assert reason.startswith("Nobody who could post it has a working Asana connection")
    assert "Same on Android" not in texts_in_asana(sandbox)


def test_asana_slowing_down_until_tasklink_gives_up_is_told(
    posting, owner_client, issue, sandbox, django_capture_on_commit_callbacks
):
    fault(sandbox, path=STORIES, method="POST", status=429, times=5, retry_after=60)
    activity = write(owner_client, issue, "Rolled back", django_capture_on_commit_callbacks)
    reason = activity.data["post_failed"]["asana"][EXISTING_TASK]["reason"]
    assert "slow down" in reason


def test_trying_again_posts_it_and_clears_the_notice(
    posting, owner_client, issue, sandbox, django_capture_on_commit_callbacks
):
    fault(sandbox, path=STORIES, method="POST", status=503, times=1)
    activity = write(owner_client, issue, "Fixed in 2.4.1", django_capture_on_commit_callbacks)
    assert "Fixed in 2.4.1" not in texts_in_asana(sandbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(retry_url(issue, activity))
    assert response.status_code == 302
    assert response["Location"] == f"{issue.get_absolute_url()}#activity"
    assert texts_in_asana(sandbox).count("Fixed in 2.4.1") == 1
    activity.refresh_from_db()
    assert "post_failed" not in activity.data
    assert activity.data["posted_to"] == {"asana": [EXISTING_TASK]}
    assert "Not posted to Asana" not in activity_html(owner_client, issue)


def test_trying_again_with_htmx_reloads_the_activity(
    posting, member_client, issue, sandbox, django_capture_on_commit_callbacks
):
    fault(sandbox, path=STORIES, method="POST", status=503, times=1)
    activity = write(member_client, issue, "Seen on iOS", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(retry_url(issue, activity), headers=HTMX)
    assert response.status_code == 200
    assert "activity-changed" in response["HX-Trigger"]
    assert "Seen on iOS" in " ".join(texts_in_asana(sandbox))


def test_a_retry_that_fails_again_says_why_again(
    posting, owner_client, issue, sandbox, django_capture_on_commit_callbacks
):
    fault(sandbox, path=STORIES, method="POST", status=503, times=2)
    activity = write(owner_client, issue, "Once more", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(retry_url(issue, activity))
    activity.refresh_from_db()
    failed = activity.data["post_failed"]["asana"][EXISTING_TASK]
    assert "is having trouble" in failed["reason"] and not failed.get("retrying")
    assert "Not posted to Asana task “Fix N+1”" in activity_html(owner_client, issue)


def test_a_retry_posts_only_where_it_failed(
    posting, owner, owner_client, issue, sandbox, django_capture_on_commit_callbacks
):
    fault(sandbox, path=STORIES, method="POST", status=503, times=1)
    activity = write(owner_client, issue, "Only once", django_capture_on_commit_callbacks)
    ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id="1200000000000016", title="t", created_by=owner
    )
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(retry_url(issue, activity))
    every_text = [s.text for s in sandbox.state.stories.values()]
    assert every_text.count("Only once") == 1


def test_a_retry_for_a_task_unlinked_since_drops_the_notice(
    posting, owner_client, issue, sandbox, django_capture_on_commit_callbacks
):
    fault(sandbox, path=STORIES, method="POST", status=503, times=1)
    activity = write(owner_client, issue, "Too late", django_capture_on_commit_callbacks)
    posting.delete()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(retry_url(issue, activity))
    activity.refresh_from_db()
    assert "post_failed" not in activity.data
    assert "Too late" not in texts_in_asana(sandbox)


def test_an_outsider_cannot_retry(
    posting, owner_client, outsider, issue, sandbox, django_capture_on_commit_callbacks
):
    fault(sandbox, path=STORIES, method="POST", status=503, times=1)
    activity = write(owner_client, issue, "Private", django_capture_on_commit_callbacks)
    owner_client.force_login(outsider)  # the same test client, now the outsider's
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_client.post(retry_url(issue, activity)).status_code == 404
    assert "Private" not in texts_in_asana(sandbox)


def test_retrying_a_comment_that_was_posted_posts_nothing(
    posting, owner_client, issue, sandbox, django_capture_on_commit_callbacks
):
    activity = write(owner_client, issue, "All good", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(retry_url(issue, activity))
    assert texts_in_asana(sandbox).count("All good") == 1


def test_the_issue_page_costs_no_more_queries_with_a_failed_comment(
    posting, owner_client, issue, sandbox, django_capture_on_commit_callbacks
):
    write(owner_client, issue, "Posted fine", django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as fine:
        owner_client.get(issue.get_absolute_url())
    fault(sandbox, path=STORIES, method="POST", status=503, times=3)
    for text in ("One", "Two", "Three"):
        write(owner_client, issue, text, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as failed:
        page = owner_client.get(issue.get_absolute_url()).content.decode()
    assert page.count("Not posted to Asana") == 3
    assert len(failed.captured_queries) == len(fine.captured_queries)


def break_the_broker(monkeypatch) -> None:
    """Queuing a task fails from now on, as it does with Redis unreachable."""

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(comments.post_comment, "delay", unreachable)


@pytest.fixture
def broker_down(monkeypatch):
    """The broker is down until `broker_down.undo()`."""
    break_the_broker(monkeypatch)
    return monkeypatch


NOT_STARTED = comments.NOT_STARTED


def test_a_comment_that_cannot_be_queued_says_so_and_can_be_tried_again(
    posting, owner_client, issue, sandbox, broker_down, django_capture_on_commit_callbacks
):
    activity = write(owner_client, issue, "Hotfix is out", django_capture_on_commit_callbacks)
    assert activity.data["post_failed"]["asana"][EXISTING_TASK] == {
        "title": "Fix N+1",
        "tracker": "Asana",
        "reason": NOT_STARTED,
    }
    html = activity_html(owner_client, issue)
    assert "commented: Hotfix is out" in html  # what the person wrote is kept
    assert f"Not posted to Asana task “Fix N+1”: {NOT_STARTED}" in html
    broker_down.undo()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(retry_url(issue, activity))
    assert texts_in_asana(sandbox).count("Hotfix is out") == 1
    activity.refresh_from_db()
    assert "post_failed" not in activity.data


def test_a_retry_that_cannot_be_queued_says_so_again(
    posting, owner_client, issue, sandbox, monkeypatch, django_capture_on_commit_callbacks
):
    fault(sandbox, path=STORIES, method="POST", status=503, times=1)
    activity = write(owner_client, issue, "Again", django_capture_on_commit_callbacks)
    break_the_broker(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(retry_url(issue, activity))
    activity.refresh_from_db()
    failed = activity.data["post_failed"]["asana"][EXISTING_TASK]
    assert failed["reason"] == NOT_STARTED and not failed.get("retrying")


def test_a_comment_without_linked_tasks_records_nothing_when_the_broker_is_down(
    owner, owner_client, issue, project, broker_down, django_capture_on_commit_callbacks
):
    configure_asana(project, options={"post_comments": True}, updated_by=owner)
    activity = write(owner_client, issue, "Just a note", django_capture_on_commit_callbacks)
    assert "post_failed" not in activity.data


def test_a_retry_for_a_task_unlinked_since_drops_the_notice_with_the_broker_down(
    posting, owner_client, issue, sandbox, monkeypatch, django_capture_on_commit_callbacks
):
    fault(sandbox, path=STORIES, method="POST", status=503, times=1)
    activity = write(owner_client, issue, "Gone", django_capture_on_commit_callbacks)
    posting.delete()
    break_the_broker(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(retry_url(issue, activity))
    activity.refresh_from_db()
    assert "post_failed" not in activity.data
