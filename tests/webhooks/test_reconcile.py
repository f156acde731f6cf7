"""The reconciliation, as beat and `manage.py reconcile_asana` run it."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from social_django.models import UserSocialAuth

from integrations.asana import sync
from integrations.asana.client import AsanaClient
from integrations.models import ExternalIssue, PluginConfig
from tests.support import ENGINEERING, clear_sandbox_log, connect_identity, fault, sandbox_log
from tracker.models import Issue

from .helpers import control, options


def identity_of(user):
    return UserSocialAuth.objects.get(user=user, provider="asana")


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
    assert sync.reconcile() == {"read": 0, "changed": 0, "comments": 0}


# --- reading only what changed ------------------------------------------------------------------

TASK_LIST = "/api/1.0/tasks"


def reads(sandbox) -> tuple[int, int]:
    """(GET /tasks lists, GET /tasks/<gid> single reads) in the sandbox's log."""
    log = [e for e in sandbox_log(sandbox, TASK_LIST) if e["method"] == "GET"]
    lists = [e for e in log if e["path"] == TASK_LIST]
    singles = [e for e in log if e["path"].count("/") == 4]  # /api/1.0/tasks/<gid>
    return len(lists), len(singles)


def complete_in_asana(sandbox, task: str) -> None:
    control(sandbox, "act", {"as": "grace@acme.test", "action": "complete", "task": task})


def test_a_project_is_read_as_one_list_of_what_changed(linked, issue, owner, sandbox):
    other = Issue.objects.create(project=issue.project, title="KeyError")
    ExternalIssue.objects.create(
        issue=other, provider="asana", external_id="1200000000000016", title="t", created_by=owner
    )
    sync.reconcile()  # the first read of each task (the card, its project)
    clear_sandbox_log(sandbox)
    complete_in_asana(sandbox, "1200000000000016")
    sync.reconcile()
    assert reads(sandbox) == (1, 0)  # one list for the project, no task read one by one
    entry = next(e for e in sandbox_log(sandbox, TASK_LIST) if e["path"] == TASK_LIST)
    assert entry["query"]["project"] == "1200000000000008"  # Backend
    assert entry["query"]["modified_since"]
    other.refresh_from_db()
    assert other.status == Issue.Status.RESOLVED
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED


def test_nothing_changed_costs_one_call_per_project(linked, sandbox):
    sync.reconcile()
    sync.reconcile()
    clear_sandbox_log(sandbox)
    assert sync.reconcile()["changed"] == 0
    assert reads(sandbox) == (1, 0)


def test_a_task_in_no_project_is_read_by_itself(linked, issue, owner, sandbox):
    client = AsanaClient(auth=identity_of(owner))
    loose = client.post("/tasks", data={"data": {"workspace": ENGINEERING, "name": "Loose"}})
    loose_gid = loose["data"]["gid"]
    ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id=loose_gid, title="Loose", created_by=owner
    )
    sync.reconcile()
    clear_sandbox_log(sandbox)
    complete_in_asana(sandbox, loose_gid)
    sync.reconcile()
    assert reads(sandbox) == (1, 1)  # the project's list, and the loose task
    assert ExternalIssue.objects.get(external_id=loose_gid).completed


def test_a_slow_down_keeps_the_cursor_so_the_next_run_catches_up(linked, issue, sandbox):
    sync.reconcile()
    complete_in_asana(sandbox, "1200000000000015")
    fault(sandbox, path=TASK_LIST, method="GET", status=429, times=1, retry_after=60)
    assert sync.reconcile()["changed"] == 0
    assert sync.reconcile()["changed"] == 1
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED


def test_the_full_sweep_reads_every_task(linked, sandbox):
    sync.reconcile()
    clear_sandbox_log(sandbox)
    out = io.StringIO()
    call_command("reconcile_asana", "--full", stdout=out)
    assert "1 tasks read" in out.getvalue()
    assert reads(sandbox) == (0, 1)


def test_beat_runs_a_full_sweep_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["asana-reconcile-full"]
    assert entry == {"task": "asana.reconcile", "schedule": 86400.0, "kwargs": {"full": True}}
