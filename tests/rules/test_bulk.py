"""Bulk create from the issue list: one task per selected issue on the worker, linked ones
skipped, a results page with progress and a summary; works without JavaScript."""

from __future__ import annotations

from types import SimpleNamespace

from django.urls import reverse

from integrations import bulk
from integrations.models import ExternalIssue, PluginConfig
from integrations.rules.models import BulkRun
from tests.rules.helpers import make_issue, task_posts
from tests.support import BACKEND_PROJECT, HTMX, clear_sandbox_log, fault, sandbox_log


def test_bulk_create_of_50_issues_with_5_already_linked(
    asana_project, owner, owner_client, sandbox, django_capture_on_commit_callbacks
):
    config = PluginConfig.objects.get(project=asana_project)
    config.options["project"] = BACKEND_PROJECT  # the project's default: tasks go there
    config.save()
    issues = [make_issue(asana_project, title=f"Error {n}")[0] for n in range(50)]
    for issue in issues[:5]:
        ExternalIssue.objects.create(
            issue=issue, provider="asana", external_id="1", title="Old", origin="linked"
        )
    clear_sandbox_log(sandbox)

    page = owner_client.get("/?status=all").content.decode()
    assert 'form="bulk-actions"' in page and "Create Asana tasks" in page
    with django_capture_on_commit_callbacks(execute=True):
        answer = owner_client.post(
            reverse("bulk_create", args=["asana"]), {"issue": [i.pk for i in issues]}
        )

    run = BulkRun.objects.get()
    assert answer["Location"] == reverse("bulk_run", args=[run.pk])
    assert task_posts(sandbox_log(sandbox)) == 45
    assert ExternalIssue.objects.filter(origin="created").count() == 45
    assert all(
        sandbox.state.tasks[m.external_id].projects == [BACKEND_PROJECT]
        for m in ExternalIssue.objects.filter(origin="created")
    )
    summary = owner_client.get(answer["Location"]).content.decode()
    assert "Done: 45 created, 5 skipped, 0 failed." in summary
    assert summary.count("Skipped: The issue already has a linked task") == 5


def test_progress_is_polled_while_running(asana_project, owner, owner_client):
    issue, _ = make_issue(asana_project)
    run = BulkRun.objects.create(user=owner, provider="asana", issue_ids=[issue.pk])
    fragment = owner_client.get(reverse("bulk_run", args=[run.pk]), headers=HTMX).content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "0 of 1 done" in fragment
    assert "<html" not in fragment
    page = owner_client.get(reverse("bulk_run", args=[run.pk])).content.decode()
    assert "Reload this page" in page


def test_failures_are_listed_with_the_reason(
    asana_project, owner, owner_client, sandbox, django_capture_on_commit_callbacks
):
    issue, _ = make_issue(asana_project)
    fault(sandbox, path="/api/1.0/tasks", method="POST", status=403)
    with django_capture_on_commit_callbacks(execute=True):
        answer = owner_client.post(reverse("bulk_create", args=["asana"]), {"issue": [issue.pk]})
    summary = owner_client.get(answer["Location"]).content.decode()
    assert "0 created, 0 skipped, 1 failed" in summary and "Failed: " in summary


def test_outsiders_issues_are_ignored_and_runs_are_private(asana_project, owner, outsider_client):
    issue, _ = make_issue(asana_project)
    answer = outsider_client.post(reverse("bulk_create", args=["asana"]), {"issue": [issue.pk]})
    assert answer.status_code == 302 and not BulkRun.objects.exists()
    run = BulkRun.objects.create(user=owner, provider="asana", issue_ids=[issue.pk])
    assert outsider_client.get(reverse("bulk_run", args=[run.pk])).status_code == 404


def test_no_identity_is_told(project, owner_client, issue):
    answer = owner_client.post(
        reverse("bulk_create", args=["asana"]), {"issue": [issue.pk]}, follow=True
    )
    assert "associate an Asana identity" in answer.content.decode()
    assert not BulkRun.objects.exists()


def test_waits_for_tasklinks_own_rate_limiter_are_not_counted_as_asanas_refusals(
    asana_project, owner, owner_client, sandbox, monkeypatch, django_capture_on_commit_callbacks
):
    """Other runs and rules sharing the person's quota make this one wait its turn, window after
    window; no call was made in those waits, so they never make the issue fail."""
    issue, _ = make_issue(asana_project)
    turns = iter([5.0] * (bulk.MAX_RATE_LIMITED * 2))
    monkeypatch.setattr(bulk.limits, "take_call", lambda identity: next(turns, 0.0))
    slept: list[float] = []
    monkeypatch.setattr(bulk, "time", SimpleNamespace(sleep=slept.append, monotonic=lambda: 0.0))
    with django_capture_on_commit_callbacks(execute=True):
        answer = owner_client.post(reverse("bulk_create", args=["asana"]), {"issue": [issue.pk]})
    summary = owner_client.get(answer["Location"]).content.decode()
    assert "1 created, 0 skipped, 0 failed" in summary
    assert len(slept) == bulk.MAX_RATE_LIMITED * 2


def test_an_issue_fails_after_asana_refuses_it_max_rate_limited_times(
    asana_project, owner, owner_client, sandbox, monkeypatch, django_capture_on_commit_callbacks
):
    issue, _ = make_issue(asana_project)
    monkeypatch.setattr(bulk.limits, "take_call", lambda identity: 0.0)
    refusals = bulk.MAX_RATE_LIMITED + 5
    fault(sandbox, path="/api/1.0/tasks", method="POST", status=429, times=refusals, retry_after=1)
    clear_sandbox_log(sandbox)
    with django_capture_on_commit_callbacks(execute=True):
        answer = owner_client.post(reverse("bulk_create", args=["asana"]), {"issue": [issue.pk]})
    assert task_posts(sandbox_log(sandbox)) == bulk.MAX_RATE_LIMITED
    summary = owner_client.get(answer["Location"]).content.decode()
    assert "Asana kept asking to slow down; try this one again later." in summary


def test_a_run_waits_for_its_turn_no_longer_than_the_limit(
    asana_project, owner, owner_client, sandbox, monkeypatch, django_capture_on_commit_callbacks
):
    issue, _ = make_issue(asana_project)
    monkeypatch.setattr(bulk.limits, "take_call", lambda identity: 60.0)
    clock = iter(range(0, 10**6, 60))  # each wait takes its minute
    waiting = SimpleNamespace(sleep=lambda seconds: None, monotonic=lambda: float(next(clock)))
    monkeypatch.setattr(bulk, "time", waiting)
    with django_capture_on_commit_callbacks(execute=True):
        answer = owner_client.post(reverse("bulk_create", args=["asana"]), {"issue": [issue.pk]})
    summary = owner_client.get(answer["Location"]).content.decode()
    assert "0 created, 0 skipped, 1 failed" in summary
    assert "Too many tasks were being sent to Asana at once; try this one again later." in summary
    assert task_posts(sandbox_log(sandbox)) == 0
