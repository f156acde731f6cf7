"""A status change Asana caused is announced like any other, marked as coming from Asana."""

from __future__ import annotations

import pytest

from integrations.asana import sync
from integrations.models import ExternalIssue, PluginConfig, ResolutionSync
from tracker.models import Issue
from tracker.signals import issue_status_changed

from .helpers import options

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """What other receivers of issue_status_changed hear."""
    calls: list[dict] = []

    def listen(sender, **kwargs):
        calls.append(kwargs)
        return []

    issue_status_changed.connect(listen, dispatch_uid="test_heard")
    yield calls
    issue_status_changed.disconnect(dispatch_uid="test_heard")


@pytest.fixture
def mapped(issue, owner, project):
    PluginConfig.objects.create(
        project=project,
        plugin="asana",
        # The resolution sync is on too: it must not push Asana's own change back to Asana.
        options=options(asana_completes="any", asana_reopens=True, sync_resolution=True),
        updated_by=owner,
    )
    return ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id="42", title="T", created_by=owner
    )


def test_completing_in_asana_announces_the_resolution_as_from_asana(mapped, issue, heard):
    sync.apply_task({"gid": "42", "name": "T", "completed": True}, "Grace Hopper")
    [call] = heard
    assert call["issue"].pk == issue.pk
    assert call["status"] == Issue.Status.RESOLVED
    assert call["user"] is None
    assert call["origin"] == "asana"


def test_reopening_in_asana_announces_the_reopening(mapped, issue, heard):
    sync.apply_task({"gid": "42", "name": "T", "completed": True}, "Grace Hopper")
    sync.apply_task({"gid": "42", "name": "T", "completed": False}, "Grace Hopper")
    assert [c["status"] for c in heard] == [Issue.Status.RESOLVED, Issue.Status.UNRESOLVED]


def test_the_resolution_sync_does_not_echo_asanas_change_back(mapped, issue):
    sync.apply_task({"gid": "42", "name": "T", "completed": True}, "Grace Hopper")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    # Nothing queued to complete the task that was just completed in Asana.
    assert not ResolutionSync.objects.exists()


def test_no_announcement_when_the_options_leave_the_status(mapped, issue, heard):
    PluginConfig.objects.filter(pk__isnull=False).update(options=options())
    sync.apply_task({"gid": "42", "name": "T", "completed": True}, "Grace Hopper")
    assert heard == []
