"""The reconciliation, as beat and `manage.py reconcile_asana` run it."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from integrations.asana import sync
from integrations.models import ExternalIssue, PluginConfig
from tests.support import connect_identity, fault, sandbox_log
from tracker.models import Issue

from .helpers import control, options


@pytest.fixture
def linked(owner, issue, project, sandbox):
    connect_identity(owner, sandbox)
    PluginConfig.objects.create(
        project=project, plugin="asana", options=options(asana_completes="any"), updated_by=owner
    )
    return ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id="1200000000000015", title="t", created_by=owner
    )


def test_beat_runs_it_every_ten_minutes_by_default():
    entry = settings.CELERY_BEAT_SCHEDULE["asana-reconcile"]
    assert entry == {"task": "asana.reconcile", "schedule": 600.0}


def test_the_command_catches_a_change_no_webhook_told(linked, issue, sandbox):
    control(
        sandbox, "act", {"as": "grace@acme.test", "action": "complete", "task": "1200000000000015"}
    )
    out = io.StringIO()
    call_command("reconcile_asana", stdout=out)
    assert "1 tasks read, 1 changed" in out.getvalue()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    # A second run finds nothing new.
    out = io.StringIO()
    call_command("reconcile_asana", stdout=out)
    assert "1 tasks read, 0 changed" in out.getvalue()


def test_one_read_per_task_however_many_issues_link_it(linked, owner, project, sandbox):
    other = Issue.objects.create(project=project, title="KeyError")
    ExternalIssue.objects.create(
        issue=other, provider="asana", external_id="1200000000000015", title="t", created_by=owner
    )
    before = len(sandbox_log(sandbox, "/api/1.0/tasks/1200000000000015"))
    assert sync.reconcile()["read"] == 1
    assert len(sandbox_log(sandbox, "/api/1.0/tasks/1200000000000015")) == before + 1


def test_it_stops_when_asana_asks_to_slow_down(linked, sandbox):
    fault(
        sandbox,
        path="/api/1.0/tasks/1200000000000015",
        method="GET",
        status=429,
        times=5,
        retry_after=60,
    )
    assert sync.reconcile() == {"read": 0, "changed": 0}
