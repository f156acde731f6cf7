"""A webhook Asana refused to create is recorded and tried again with backoff, not on every link."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from integrations.asana import sync, webhooks
from integrations.models import Webhook
from tests.support import fault, sandbox_log
from tracker.models import Issue

from .helpers import link, sandbox_webhooks

CREATE = "/api/1.0/webhooks"


def creations(sandbox) -> int:
    return len([e for e in sandbox_log(sandbox, CREATE) if e["method"] == "POST"])


def refuse_webhooks(sandbox, times: int = 1) -> None:
    fault(sandbox, path=CREATE, method="POST", status=403, times=times)


def test_a_refusal_is_recorded_with_when_to_try_again(hooked, identity, issue, owner):
    refuse_webhooks(hooked)
    before = timezone.now()
    link(issue, owner)
    webhook = Webhook.objects.get()
    assert (webhook.remote_id, webhook.failures) == ("", 1)
    assert webhook.last_error
    assert webhook.retry_after >= before + webhooks.RETRY_BASE
    assert sandbox_webhooks(hooked) == []


def test_linking_more_tasks_does_not_ask_again_while_backing_off(hooked, identity, issue, owner):
    refuse_webhooks(hooked)
    link(issue, owner)
    asked = creations(hooked)
    for number in range(3):
        other = Issue.objects.create(project=issue.project, title=f"KeyError {number}")
        link(other, owner)
    assert creations(hooked) == asked


def test_each_refusal_in_a_row_waits_twice_as_long_up_to_a_cap(hooked, identity, issue, owner):
    refuse_webhooks(hooked, times=20)
    link(issue, owner)
    waits = []
    for _ in range(12):
        Webhook.objects.update(retry_after=timezone.now() - timedelta(seconds=1))
        started = timezone.now()
        webhooks.ensure_webhooks()
        waits.append(Webhook.objects.get().retry_after - started)
    assert Webhook.objects.get().failures == 13
    assert waits[1] > waits[0] * 1.9
    assert max(waits) <= webhooks.RETRY_CAP + timedelta(seconds=5)
    assert waits[-1] >= webhooks.RETRY_CAP - timedelta(seconds=5)


def test_once_the_wait_is_over_the_reconciliation_creates_it(hooked, identity, issue, owner):
    refuse_webhooks(hooked)
    link(issue, owner)
    sync.reconcile()  # still waiting: not asked
    assert Webhook.objects.get().remote_id == ""
    Webhook.objects.update(retry_after=timezone.now() - timedelta(seconds=1))
    sync.reconcile()
    webhook = Webhook.objects.get()
    assert webhook.remote_id and webhook.secret
    assert (webhook.failures, webhook.last_error, webhook.retry_after) == (0, "", None)
    assert [w["gid"] for w in sandbox_webhooks(hooked)] == [webhook.remote_id]


def test_the_settings_page_shows_the_refusal(hooked, identity, issue, owner, client, two_way):
    refuse_webhooks(hooked)
    link(issue, owner)
    client.force_login(owner)
    page = client.get(reverse("plugin_asana_settings", args=[issue.project_id])).content.decode()
    assert "Asana refused" in page
    assert "tries again" in page
