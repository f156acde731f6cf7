"""At most once, any order, duplicates, deleted webhooks, Tasklink's own echoes: the issue
still ends where Asana's task is."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.asana import sync
from integrations.models import ExternalIssue, RemoteWrite, Webhook
from tracker.models import Activity, Issue

from .helpers import act, control, flush, link, sandbox_webhooks, turn_on


def remote_actions(issue):
    return [
        a.data["remote_action"]
        for a in Activity.objects.filter(issue=issue)
        if a.data.get("remote_actor")
    ]


def test_every_delivery_dropped_the_reconciliation_catches_up(
    hooked, identity, issue, owner, two_way
):
    link(issue, owner)
    control(hooked, "webhook-faults", {"mode": "drop", "times": 10})
    act(hooked, "complete")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED  # nothing arrived
    assert sync.reconcile() == {"read": 1, "changed": 1, "comments": 0}
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    assert remote_actions(issue) == ["completed"]


def test_a_duplicated_delivery_changes_nothing_twice(hooked, identity, issue, owner, two_way):
    link(issue, owner)
    control(hooked, "webhook-faults", {"mode": "duplicate", "times": 1})
    act(hooked, "complete")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    assert remote_actions(issue) == ["completed"]
    assert Activity.objects.filter(issue=issue, data__via="Asana").count() == 1


def test_reordered_deliveries_end_in_the_tasks_current_state(
    hooked, identity, issue, owner, two_way
):
    link(issue, owner)
    control(hooked, "webhook-faults", {"mode": "reorder", "times": 1, "delay": 5})
    control(hooked, "act", {"as": "grace@acme.test", "action": "complete", "task": link_gid()})
    control(hooked, "act", {"as": "grace@acme.test", "action": "reopen", "task": link_gid()})
    flush(hooked)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED
    assert not ExternalIssue.objects.get().completed


def link_gid() -> str:
    return ExternalIssue.objects.get().external_id


def test_a_webhook_asana_deleted_after_failures_is_recreated(hooked, identity, issue, owner):
    link(issue, owner)
    old = Webhook.objects.get()
    # Tasklink answers 401 to everything (a secret lost), so Asana's deliveries keep failing
    Webhook.objects.filter(pk=old.pk).update(secret="lost")
    control(hooked, "config", {"webhook_failure_window": 60})
    control(hooked, "act", {"as": "grace@acme.test", "action": "complete", "task": link_gid()})
    flush(hooked)
    control(hooked, "advance-clock", {"seconds": 120})
    flush(hooked)
    control(hooked, "advance-clock", {"seconds": 120})
    flush(hooked)
    assert old.remote_id not in [w["gid"] for w in sandbox_webhooks(hooked)]

    sync.reconcile()
    new = Webhook.objects.get()
    assert new.remote_id != old.remote_id and new.secret != "lost"
    assert [w["gid"] for w in sandbox_webhooks(hooked)] == [new.remote_id]
    assert ExternalIssue.objects.get().completed  # and the missed change was read


def test_unlinking_the_last_task_removes_the_webhook(hooked, identity, issue, owner):
    mapping = link(issue, owner)
    assert sandbox_webhooks(hooked)
    mapping.delete()
    assert not Webhook.objects.exists()
    assert sandbox_webhooks(hooked) == []


def test_two_issues_share_the_projects_webhook(hooked, identity, issue, owner):
    other = Issue.objects.create(project=issue.project, title="KeyError")
    link(issue, owner)
    link(other, owner)
    assert len(sandbox_webhooks(hooked)) == 1
    ExternalIssue.objects.filter(issue=issue).delete()
    assert len(sandbox_webhooks(hooked)) == 1  # still needed by the other issue


def test_no_echo_when_tasklink_resolves_and_asana_reports_it_back(
    hooked, identity, issue, owner, two_way, client
):
    turn_on(two_way, sync_resolution=True)
    link(issue, owner)
    client.force_login(owner)
    url = reverse("issue_set_status", args=[issue.pk])
    client.post(url, {"status": "resolved"})
    flush(hooked)
    client.post(url, {"status": "unresolved"})
    flush(hooked)
    sync.reconcile()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED
    assert remote_actions(issue) == []  # Asana's events about Tasklink's writes are not news
    kinds = list(Activity.objects.filter(issue=issue).values_list("kind", "user"))
    assert kinds[:2] == [("reopened", owner.pk), ("resolved", owner.pk)]


@pytest.mark.django_db
def test_an_echo_that_races_the_write_is_still_recognized(issue, two_way):
    """Asana's event can be processed before Tasklink stored what its own write did."""
    ExternalIssue.objects.create(issue=issue, provider="asana", external_id="42", title="T")
    sync.expect_echo("42", "completed", True)
    changed = sync.apply_task({"gid": "42", "name": "T", "completed": True}, "Ada Lovelace")
    assert changed == []
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED
    assert remote_actions(issue) == []
    assert not RemoteWrite.objects.exists()  # used up: a later person's change is news
    sync.apply_task({"gid": "42", "name": "T", "completed": False}, "Grace Hopper")
    sync.apply_task({"gid": "42", "name": "T", "completed": True}, "Grace Hopper")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    assert remote_actions(issue) == ["completed", "reopened"]
