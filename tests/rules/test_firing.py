"""Rules firing on the tracker's signals create one task per issue, through the sandbox."""

from __future__ import annotations

import pytest
import requests

from integrations.models import ExternalIssue
from integrations.rules.models import Firing, Rule, TaskClaim
from tests.rules.helpers import created_tasks, make_issue, make_rule, task_posts
from tests.support import (
    BACKEND_PROJECT,
    GRACE,
    TIMEOUT,
    clear_sandbox_log,
    fault,
    sandbox_log,
)
from tracker.models import Activity, Event, Issue
from tracker.signals import issue_events_added, issue_first_seen, issue_regressed


def test_new_issue_creates_task_in_chosen_project_section_and_assignee(
    asana_project, owner, sandbox, send
):
    state = sandbox.state
    section = next(s for s in state.sections_of(BACKEND_PROJECT) if s.name == "In progress")
    action = {"project": BACKEND_PROJECT, "section": section.gid, "assignee": GRACE}
    rule = make_rule(asana_project, owner, action=action)
    issue, event = make_issue(asana_project)

    send(issue_first_seen, issue, event=event)

    mapping = ExternalIssue.objects.get(issue=issue)
    task = state.tasks[mapping.external_id]
    assert task.name == "KeyError: 'user'"
    assert issue.absolute_url() in task.notes
    assert task.projects == [BACKEND_PROJECT]
    assert task.sections[BACKEND_PROJECT] == section.gid
    assert task.assignee == GRACE
    firing = Firing.objects.get(rule=rule)
    assert (firing.outcome, firing.task_title) == (Firing.Outcome.CREATED, task.name)
    assert Activity.objects.filter(issue=issue, kind=Activity.Kind.CREATE_ISSUE).count() == 1


def test_one_create_call_per_task(asana_project, owner, sandbox, send):
    make_rule(asana_project, owner)
    clear_sandbox_log(sandbox)
    for n in range(3):
        issue, event = make_issue(asana_project, title=f"Error {n}")
        send(issue_first_seen, issue, event=event)
    log = sandbox_log(sandbox, "/api/1.0/")
    # Besides the creates, only the two-way sync's webhook registration may call Asana (here it
    # fails its handshake: the test server is unreachable); no task is read back.
    calls = [(e["method"], e["path"]) for e in log if e["path"] != "/api/1.0/webhooks"]
    assert calls == [("POST", "/api/1.0/tasks")] * 3


def test_conditions_level_title_and_tag(asana_project, owner, sandbox, send):
    make_rule(
        asana_project,
        owner,
        min_level="error",
        title_contains="timeout",
        tag_key="environment",
        tag_value="production",
    )
    cases = {
        "warning": ("DB timeout", "warning", {"environment": "production"}),
        "title": ("KeyError", "error", {"environment": "production"}),
        "tag": ("DB timeout", "error", {"environment": "staging"}),
        "fires": ("Upstream Timeout", "fatal", {"environment": "production"}),
    }
    issues = {}
    for name, (title, level, tags) in cases.items():
        issues[name], event = make_issue(asana_project, title=title, level=level, tags=tags)
        send(issue_first_seen, issues[name], event=event)
    linked = set(ExternalIssue.objects.values_list("issue_id", flat=True))
    assert linked == {issues["fires"].pk}


def test_issue_already_linked_is_skipped_and_recorded(asana_project, owner, sandbox, send):
    rule = make_rule(asana_project, owner)
    issue, event = make_issue(asana_project)
    ExternalIssue.objects.create(issue=issue, provider="asana", external_id="1", title="Earlier")
    clear_sandbox_log(sandbox)

    send(issue_first_seen, issue, event=event)

    assert task_posts(sandbox_log(sandbox)) == 0
    firing = Firing.objects.get(rule=rule)
    assert firing.outcome == Firing.Outcome.SKIPPED
    assert "already has a linked task" in firing.detail


def test_two_rules_on_one_issue_create_one_task(asana_project, owner, sandbox, send):
    make_rule(asana_project, owner, name="First")
    make_rule(asana_project, owner, name="Second")
    issue, event = make_issue(asana_project)

    send(issue_first_seen, issue, event=event)

    assert ExternalIssue.objects.filter(issue=issue).count() == 1
    assert len(created_tasks(sandbox)) == 1
    outcomes = sorted(Firing.objects.values_list("outcome", flat=True))
    assert outcomes == [Firing.Outcome.CREATED, Firing.Outcome.SKIPPED]


def test_regression_trigger(asana_project, owner, sandbox, send):
    make_rule(asana_project, owner, trigger=Rule.Trigger.REGRESSED)
    issue, event = make_issue(asana_project)
    send(issue_first_seen, issue, event=event)
    assert not ExternalIssue.objects.exists()

    send(issue_regressed, issue, event=event)

    assert ExternalIssue.objects.filter(issue=issue).count() == 1


def test_frequency_trigger_fires_once_past_the_threshold(asana_project, owner, sandbox, send):
    rule = make_rule(
        asana_project, owner, trigger=Rule.Trigger.FREQUENCY, threshold=3, window_minutes=10
    )
    issue, _ = make_issue(asana_project)
    send(issue_events_added, issue, count=1)
    assert not Firing.objects.exists()  # 1 event: not more than 3

    for n in range(3):
        Event.objects.create(issue=issue, event_id=f"{n:032x}")
    for _ in range(2):  # two batches past the threshold: one firing
        send(issue_events_added, issue, count=3)

    assert Firing.objects.filter(rule=rule).count() == 1
    assert ExternalIssue.objects.filter(issue=issue).count() == 1


def test_disabled_rule_does_not_fire(asana_project, owner, sandbox, send):
    make_rule(asana_project, owner, enabled=False)
    issue, event = make_issue(asana_project)
    send(issue_first_seen, issue, event=event)
    assert not Firing.objects.exists()


def test_revoked_identity_pauses_the_rule_and_says_why(
    asana_project, owner, owner_client, sandbox, send
):
    rule = make_rule(asana_project, owner)
    requests.post(f"{sandbox.url}/_sandbox/revoke-all", timeout=TIMEOUT).raise_for_status()
    issue, event = make_issue(asana_project)

    send(issue_first_seen, issue, event=event)

    rule.refresh_from_db()
    assert rule.paused_reason
    firing = Firing.objects.get(rule=rule)
    assert firing.outcome == Firing.Outcome.FAILED
    assert not TaskClaim.objects.exists()  # a later firing may try again
    page = owner_client.get(f"/projects/{asana_project.pk}/rules/").content.decode()
    assert "Paused" in page and rule.paused_reason in page
    project_page = owner_client.get(f"/projects/{asana_project.pk}/").content.decode()
    assert "is paused" in project_page and rule.paused_reason in project_page
    # A paused rule stays quiet until saved again.
    send(issue_first_seen, *make_issue(asana_project, title="Another")[:1], event=None)
    assert Firing.objects.filter(rule=rule).count() == 1


def test_rule_without_owner_identity_pauses(asana_project, owner, member, sandbox, send):
    rule = make_rule(asana_project, member)
    issue, event = make_issue(asana_project)
    send(issue_first_seen, issue, event=event)
    rule.refresh_from_db()
    assert "has no Asana identity connected" in rule.paused_reason


def test_rate_limited_create_waits_and_succeeds(asana_project, owner, sandbox, send):
    make_rule(asana_project, owner)
    fault(sandbox, path="/api/1.0/tasks", method="POST", status=429, times=3, retry_after=1)
    issue, event = make_issue(asana_project)

    send(issue_first_seen, issue, event=event)

    assert ExternalIssue.objects.filter(issue=issue).count() == 1
    assert Firing.objects.get().outcome == Firing.Outcome.CREATED


def test_5xx_backs_off_then_records_the_failure(asana_project, owner, sandbox, send):
    rule = make_rule(asana_project, owner)
    fault(sandbox, path="/api/1.0/tasks", method="POST", status=503, times=20)
    clear_sandbox_log(sandbox)
    issue, event = make_issue(asana_project)

    send(issue_first_seen, issue, event=event)

    firing = Firing.objects.get(rule=rule)
    assert (firing.outcome, firing.attempts) == (Firing.Outcome.FAILED, 5)
    assert task_posts(sandbox_log(sandbox)) == 5
    assert not TaskClaim.objects.exists()
    note = Activity.objects.get(issue=issue, kind=Activity.Kind.COMMENT)
    assert "could not create a task in Asana" in note.data["text"]
    rule.refresh_from_db()
    assert rule.active  # Asana being down does not pause a rule


@pytest.mark.django_db(transaction=True)
def test_duplicate_delivery_changes_nothing(asana_project, owner, sandbox, send):
    from integrations.rules.tasks import fire_rule

    make_rule(asana_project, owner)
    issue, event = make_issue(asana_project)
    send(issue_first_seen, issue, event=event)
    firing = Firing.objects.get()
    clear_sandbox_log(sandbox)

    fire_rule.delay(firing.pk)

    assert task_posts(sandbox_log(sandbox)) == 0
    assert ExternalIssue.objects.count() == 1


def test_events_for_a_project_without_rules_cost_the_rules_one_query(
    project, django_assert_num_queries
):
    """Ingestion tells the rules of every issue in every batch; with no rule that is one
    indexed look at the rules table, not a read of the issue's latest event."""
    issue, _ = make_issue(project)

    with django_assert_num_queries(1):
        issue_events_added.send(sender=Issue, issue=issue, count=3)
