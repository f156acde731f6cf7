"""A comment added in Asana reaches the issue's activity once: from its webhook delivery, or,
when Asana dropped that, from the next reconciliation. Comments Tasklink wrote never come back
as a person's, and a task's history from before the link is not poured into the activity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.asana import sync
from integrations.models import ExternalIssue, RemoteComment, RemoteWrite
from integrations.registry import plugins
from tests.support import (
    EXISTING_TASK,
    clear_sandbox_log,
    configure_asana,
    connect_identity,
    fault,
    sandbox_log,
)
from tracker.models import Activity

from .helpers import act, control, link, turn_on

STORIES = f"/api/1.0/tasks/{EXISTING_TASK}/stories"


def asana_comments(issue) -> list[tuple[str, str]]:
    """(who, text) of each "… commented on the task … in Asana" entry, oldest first."""
    entries = Activity.objects.filter(issue=issue, data__remote_action="commented on")
    return [(a.data["remote_actor"], a.data["text"]) for a in entries.order_by("date_added")]


def comment_in_asana(sandbox, text: str, task: str = EXISTING_TASK) -> None:
    control(
        sandbox, "act", {"as": "grace@acme.test", "action": "comment", "task": task, "text": text}
    )


def drop_every_delivery(sandbox) -> None:
    control(sandbox, "webhook-faults", {"mode": "drop", "times": 100})


def past_the_echo_window() -> None:
    RemoteWrite.objects.update(date_added=timezone.now() - sync.ECHO_WINDOW - timedelta(minutes=1))


# --- with webhooks (PostgreSQL: the sandbox delivers to the live server) -----------------------


def test_a_comment_whose_delivery_was_dropped_shows_after_one_reconciliation(
    hooked, identity, issue, owner
):
    link(issue, owner)
    drop_every_delivery(hooked)
    act(hooked, "comment", text="Rolled back the deploy")
    assert asana_comments(issue) == []  # nothing arrived
    for _run in range(2):  # the second run adds nothing
        sync.reconcile()
        assert asana_comments(issue) == [("Grace Hopper", "Rolled back the deploy")]


def test_a_comment_shown_from_its_delivery_is_not_shown_again_by_the_reconciliation(
    hooked, identity, issue, owner
):
    link(issue, owner)
    act(hooked, "comment", text="Deployed the fix")
    assert asana_comments(issue) == [("Grace Hopper", "Deployed the fix")]
    sync.reconcile()
    assert asana_comments(issue) == [("Grace Hopper", "Deployed the fix")]


def test_a_late_delivery_of_a_comment_the_reconciliation_showed_adds_nothing(
    hooked, identity, issue, owner
):
    link(issue, owner)
    control(hooked, "webhook-faults", {"mode": "delay", "times": 1, "delay": 3})
    comment_in_asana(hooked, "Looks like a cache bug")
    sync.reconcile()
    assert asana_comments(issue) == [("Grace Hopper", "Looks like a cache bug")]
    control(hooked, "webhooks/flush", {"wait": 15})  # the held delivery arrives now
    assert asana_comments(issue) == [("Grace Hopper", "Looks like a cache bug")]


def test_a_comment_posted_from_tasklink_is_never_shown_back(
    hooked, identity, issue, owner, client, two_way
):
    turn_on(two_way, post_comments=True)
    link(issue, owner)
    drop_every_delivery(hooked)
    client.force_login(owner)
    client.post(reverse("issue_comment", args=[issue.pk]), {"text": "Fixed in 2.4.1"})
    assert [s.text for s in hooked.state.stories.values()][-1] == "Fixed in 2.4.1"
    past_the_echo_window()
    sync.reconcile()
    sync.reconcile()
    assert asana_comments(issue) == []
    assert RemoteComment.objects.get(task=EXISTING_TASK).written_by_tasklink


def test_the_link_comment_is_never_shown_back(hooked, identity, issue, owner):
    drop_every_delivery(hooked)
    [plugin] = [p for p in plugins() if p.slug == "asana"]
    plugin.link(
        issue=issue,
        user=owner,
        identity=identity,
        external_id=EXISTING_TASK,
        comment="https://tasklink.test/issues/1/?referrer=asana_plugin",
    )
    past_the_echo_window()
    comment_in_asana(hooked, "Thanks for linking")
    sync.reconcile()
    assert asana_comments(issue) == [("Grace Hopper", "Thanks for linking")]


# --- the reconciliation alone (no deliveries at all) ---------------------------------------------


@pytest.fixture
def linked(owner, issue, project, sandbox):
    connect_identity(owner, sandbox)
    configure_asana(project, updated_by=owner)
    return ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id=EXISTING_TASK, title="Fix N+1", created_by=owner
    )


def stories_reads(sandbox) -> list[dict]:
    return [e for e in sandbox_log(sandbox, STORIES) if e["method"] == "GET"]


def test_only_comments_made_after_the_link_are_shown(owner, issue, project, sandbox):
    comment_in_asana(sandbox, "An old discussion")
    connect_identity(owner, sandbox)
    ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id=EXISTING_TASK, title="Fix N+1", created_by=owner
    )
    comment_in_asana(sandbox, "Seen again today")
    sync.reconcile()
    assert asana_comments(issue) == [("Grace Hopper", "Seen again today")]


def test_comments_are_read_only_for_tasks_that_changed(linked, issue, sandbox):
    sync.reconcile()
    sync.reconcile()
    clear_sandbox_log(sandbox)
    sync.reconcile()
    assert stories_reads(sandbox) == []  # nothing changed: no stories read
    comment_in_asana(sandbox, "First")
    comment_in_asana(sandbox, "Second")
    clear_sandbox_log(sandbox)
    assert sync.reconcile()["comments"] == 2
    [read] = stories_reads(sandbox)  # one read for the task, however many comments
    assert read["query"]["limit"] == "100"
    assert "created_at" in read["query"]["opt_fields"]
    assert asana_comments(issue) == [("Grace Hopper", "First"), ("Grace Hopper", "Second")]
    clear_sandbox_log(sandbox)
    assert sync.reconcile()["comments"] == 0
    assert stories_reads(sandbox) == []


def test_a_task_with_many_stories_is_read_in_pages_of_100(linked, issue, sandbox):
    sync.reconcile()
    with sandbox.state.lock:
        task = sandbox.state.tasks[EXISTING_TASK]
        for n in range(150):
            sandbox_add_comment(sandbox, task, f"Comment {n}")
    clear_sandbox_log(sandbox)
    assert sync.reconcile()["comments"] == 150
    assert len(stories_reads(sandbox)) == 2


def sandbox_add_comment(sandbox, task, text: str) -> None:
    from asana_sandbox import changes

    grace = sandbox.state.find_user("grace@acme.test")
    changes.add_comment(sandbox.state, task, grace.gid, text, f"<body>{text}</body>")


def test_a_slow_down_while_reading_comments_loses_none(linked, issue, sandbox):
    sync.reconcile()
    comment_in_asana(sandbox, "Still failing on iOS")
    fault(sandbox, path=STORIES, method="GET", status=429, times=1, retry_after=60)
    sync.reconcile()
    assert asana_comments(issue) == []
    sync.reconcile()
    assert asana_comments(issue) == [("Grace Hopper", "Still failing on iOS")]


def test_a_failing_comments_read_is_tried_again_on_the_next_run(linked, issue, sandbox):
    sync.reconcile()
    comment_in_asana(sandbox, "Repro steps attached")
    fault(sandbox, path=STORIES, method="GET", status=500, times=1)
    sync.reconcile()
    assert asana_comments(issue) == []
    sync.reconcile()
    assert asana_comments(issue) == [("Grace Hopper", "Repro steps attached")]


def test_each_issue_of_the_task_shows_the_comment_once(linked, issue, owner, project, sandbox):
    from tracker.models import Issue

    other = Issue.objects.create(project=project, title="KeyError")
    ExternalIssue.objects.create(
        issue=other, provider="asana", external_id=EXISTING_TASK, title="t", created_by=owner
    )
    comment_in_asana(sandbox, "Both crash here")
    clear_sandbox_log(sandbox)
    sync.reconcile()
    sync.reconcile()
    assert len(stories_reads(sandbox)) == 1
    assert asana_comments(issue) == asana_comments(other) == [("Grace Hopper", "Both crash here")]


def test_links_made_before_the_migration_read_only_newer_comments(issue, owner):
    """Existing links start from the migration; comments shown in the last day (their old
    markers expire) are known, so neither path shows them again."""
    import importlib

    from django.apps import apps

    mapping = ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id=EXISTING_TASK, title="Fix N+1", created_by=owner
    )
    shown = Activity.objects.create(
        issue=issue,
        kind=Activity.Kind.COMMENT,
        data={"provider": "asana", "remote_action": "commented on", "story": "1200000000009001"},
    )
    before = timezone.now()
    migration = importlib.import_module(
        "integrations.migrations.0009_comments_read_and_remote_comments"
    )
    migration.start_from_now(apps, None)
    mapping.refresh_from_db()
    assert mapping.comments_read_at >= before
    assert not sync.claim_comment(shown.data["story"], EXISTING_TASK)
