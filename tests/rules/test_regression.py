"""A regression reopens the issue's completed tasks and comments once on each, however often
the follow-up runs, on however many workers, whatever happens to the cache."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from integrations.models import ExternalIssue, RegressionNotice
from integrations.rules import regression, tasks
from integrations.rules import settings as rule_settings
from tests.rules.helpers import make_issue
from tests.support import BACKEND_PROJECT, require_postgresql, run_at_once
from tracker.models import Event
from tracker.signals import issue_regressed


def linked_task(sandbox, issue, owner, completed: bool) -> ExternalIssue:
    from integrations.asana.plugin import plugin

    identity = plugin.get_identity(owner)
    answer = plugin.get_client(identity).create_issue(
        "1200000000000001", {"title": issue.title, "project": BACKEND_PROJECT}
    )
    gid = answer["data"]["gid"]
    if completed:
        plugin.get_client(identity).set_completed(gid, True)
    return ExternalIssue.objects.create(
        issue=issue,
        provider="asana",
        external_id=gid,
        title=issue.title,
        created_by=owner,
        completed=completed,
    )


def comments(sandbox, gid: str) -> list[str]:
    return [story.text for story in sandbox.state.stories.values() if story.task == gid]


def test_regression_reopens_a_completed_task_and_comments_once(asana_project, owner, sandbox, send):
    issue, event = make_issue(asana_project)
    issue.event_count = 42
    issue.save()
    done = linked_task(sandbox, issue, owner, completed=True)
    still_open = linked_task(sandbox, issue, owner, completed=False)

    send(issue_regressed, issue, event=event)

    assert sandbox.state.tasks[done.external_id].completed is False
    done.refresh_from_db()
    assert done.completed is False
    [text] = comments(sandbox, done.external_id)
    assert "42 events" in text and issue.absolute_url() in text and "reopened" in text
    [text] = comments(sandbox, still_open.external_id)
    assert "reopened" not in text
    # The same regression delivered again: no second comment.
    send(issue_regressed, issue, event=event)
    assert len(comments(sandbox, done.external_id)) == 1


def test_projects_can_keep_completed_tasks_closed(asana_project, owner, sandbox, send):
    rule_settings.set_reopens(asana_project, False, owner)
    issue, event = make_issue(asana_project)
    done = linked_task(sandbox, issue, owner, completed=True)

    send(issue_regressed, issue, event=event)

    assert sandbox.state.tasks[done.external_id].completed is True
    assert len(comments(sandbox, done.external_id)) == 1


def test_nobody_to_act_is_told_on_the_issue(asana_project, owner, member, sandbox, send):
    issue, event = make_issue(asana_project)
    mapping = linked_task(sandbox, issue, owner, completed=False)
    mapping.created_by = member  # no identity
    mapping.save()

    send(issue_regressed, issue, event=event)

    assert "was not told of the regression" in issue.activities.get().data["text"]


def test_the_same_regression_after_a_cache_flush_comments_once(asana_project, owner, sandbox, send):
    issue, event = make_issue(asana_project)
    task = linked_task(sandbox, issue, owner, completed=False)

    send(issue_regressed, issue, event=event)
    cache.clear()  # Redis flushed or restarted
    send(issue_regressed, issue, event=event)  # the follow-up delivered again

    assert len(comments(sandbox, task.external_id)) == 1


def test_a_second_regression_comments_again(asana_project, owner, sandbox, send):
    issue, event = make_issue(asana_project)
    task = linked_task(sandbox, issue, owner, completed=False)
    send(issue_regressed, issue, event=event)

    later = Event.objects.create(issue=issue, event_id=uuid.uuid4().hex)
    send(issue_regressed, issue, event=later)

    assert len(comments(sandbox, task.external_id)) == 2


def test_a_notice_left_by_a_dead_worker_is_taken_over(asana_project, owner, sandbox, send):
    issue, event = make_issue(asana_project)
    task = linked_task(sandbox, issue, owner, completed=False)
    gone = timezone.now() - timedelta(seconds=regression.TAKEN_SECONDS + 1)
    RegressionNotice.objects.create(
        mapping=task, regression=event.event_id, state="taken", date_taken=gone
    )

    send(issue_regressed, issue, event=event)

    assert len(comments(sandbox, task.external_id)) == 1
    assert RegressionNotice.objects.get().state == "done"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_following_one_regression_comment_once(asana_project, owner, sandbox):
    require_postgresql()
    issue, event = make_issue(asana_project)
    task = linked_task(sandbox, issue, owner, completed=True)

    def follow(_):
        tasks.follow_regression(issue.pk, event.event_id)

    assert run_at_once(2, lambda: None, follow) == [None, None]

    assert len(comments(sandbox, task.external_id)) == 1
    assert sandbox.state.tasks[task.external_id].completed is False
