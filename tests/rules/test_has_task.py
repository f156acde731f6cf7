"""Rules and bulk runs link tasks through the plugin: the issue list sees those issues as
having a task (Issue.has_task)."""

from __future__ import annotations

from django.urls import reverse

from tests.rules.helpers import make_issue, make_rule
from tracker.models import Issue
from tracker.signals import issue_first_seen


def test_a_rule_that_creates_a_task_marks_the_issue(asana_project, owner, sandbox, send):
    make_rule(asana_project, owner)
    issue, event = make_issue(asana_project)
    send(issue_first_seen, issue, event=event)
    assert Issue.objects.get(pk=issue.pk).has_task


def test_a_bulk_run_marks_every_issue_it_linked(
    asana_project, owner, owner_client, sandbox, django_capture_on_commit_callbacks
):
    issues = [make_issue(asana_project, title=f"Error {n}")[0] for n in range(3)]
    left_out, _ = make_issue(asana_project, title="Not selected")
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("bulk_create", args=["asana"]), {"issue": [i.pk for i in issues]})
    marked = set(Issue.objects.filter(has_task=True).values_list("pk", flat=True))
    assert marked == {i.pk for i in issues}
    linked = owner_client.get(reverse("issue_list") + "?status=all&linked=linked").content.decode()
    assert "Error 0" in linked and "Not selected" not in linked
