"""Two rules, two bulk creates, or a rule and a bulk create acting on one issue in two workers at
the same moment: one task, at Asana too."""

from __future__ import annotations

import pytest

from integrations import bulk
from integrations.models import ExternalIssue
from integrations.rules import engine
from integrations.rules.models import BulkRun, Firing, TaskClaim
from tests.rules.helpers import make_issue, make_rule, task_posts
from tests.support import clear_sandbox_log, fault, require_postgresql, run_at_once, sandbox_log


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_firing_at_once_create_one_task(asana_project, owner, sandbox):
    require_postgresql()
    rules = [make_rule(asana_project, owner, name=f"Rule {n}") for n in range(2)]
    issue, _ = make_issue(asana_project)
    firing_ids = iter(
        [Firing.objects.create(rule=rule, issue=issue, trigger=rule.trigger).pk for rule in rules]
    )
    clear_sandbox_log(sandbox)

    def prepare():
        return Firing.objects.select_related("rule__owner", "issue__project").get(
            pk=next(firing_ids)
        )

    results = run_at_once(2, prepare, engine.run_firing)

    assert results == [None, None]
    assert ExternalIssue.objects.filter(issue=issue).count() == 1
    assert task_posts(sandbox_log(sandbox)) == 1
    outcomes = sorted(Firing.objects.values_list("outcome", flat=True))
    assert outcomes == [Firing.Outcome.CREATED, Firing.Outcome.SKIPPED]
    assert TaskClaim.objects.filter(issue=issue).count() == 1


def bulk_run_of(owner, issue) -> BulkRun:
    return BulkRun.objects.create(user=owner, provider="asana", issue_ids=[issue.pk])


def test_bulk_create_skips_an_issue_a_rule_is_creating(asana_project, owner, sandbox):
    rule = make_rule(asana_project, owner)
    issue, _ = make_issue(asana_project)
    firing = Firing.objects.create(rule=rule, issue=issue, trigger=rule.trigger)
    TaskClaim.objects.create(issue=issue, provider="asana", firing=firing)  # the rule is at it
    run = bulk_run_of(owner, issue)
    clear_sandbox_log(sandbox)

    bulk.run_bulk(run)

    assert task_posts(sandbox_log(sandbox)) == 0
    [result] = BulkRun.objects.get(pk=run.pk).results
    assert result["outcome"] == "skipped" and "Another rule or bulk create" in result["detail"]


def test_a_failed_bulk_create_lets_a_rule_try_again(asana_project, owner, sandbox):
    issue, _ = make_issue(asana_project)
    fault(sandbox, path="/api/1.0/tasks", method="POST", status=403)

    bulk.run_bulk(bulk_run_of(owner, issue))

    assert not TaskClaim.objects.exists()
    rule = make_rule(asana_project, owner)
    firing = Firing.objects.create(rule=rule, issue=issue, trigger=rule.trigger)
    engine.run_firing(Firing.objects.select_related("rule__owner", "issue__project").get())
    firing.refresh_from_db()
    assert firing.outcome == Firing.Outcome.CREATED


def run_together(actions) -> list:
    """Run each action in its own thread (its own database connection), released together."""
    queue = iter(actions)
    return run_at_once(len(actions), lambda: next(queue), lambda act: act())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rule_and_a_bulk_create_at_once_create_one_task(asana_project, owner, sandbox):
    require_postgresql()
    rule = make_rule(asana_project, owner)
    issue, _ = make_issue(asana_project)
    firing = Firing.objects.create(rule=rule, issue=issue, trigger=rule.trigger)
    run = bulk_run_of(owner, issue)
    clear_sandbox_log(sandbox)

    def fire():
        return engine.run_firing(
            Firing.objects.select_related("rule__owner", "issue__project").get(pk=firing.pk)
        )

    def bulk_create():
        return bulk.run_bulk(BulkRun.objects.select_related("user").get(pk=run.pk))

    assert run_together([fire, bulk_create]) == [None, None]

    assert task_posts(sandbox_log(sandbox)) == 1
    assert ExternalIssue.objects.filter(issue=issue).count() == 1
    firing.refresh_from_db()
    [result] = BulkRun.objects.get(pk=run.pk).results
    assert sorted([firing.outcome, result["outcome"]]) == ["created", "skipped"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_bulk_creates_at_once_create_one_task(asana_project, owner, sandbox):
    require_postgresql()
    issue, _ = make_issue(asana_project)
    runs = [bulk_run_of(owner, issue) for _ in range(2)]
    clear_sandbox_log(sandbox)

    def bulk_create(run_id):
        return lambda: bulk.run_bulk(BulkRun.objects.select_related("user").get(pk=run_id))

    assert run_together([bulk_create(run.pk) for run in runs]) == [None, None]

    assert task_posts(sandbox_log(sandbox)) == 1
    assert ExternalIssue.objects.filter(issue=issue).count() == 1
    outcomes = sorted(r["outcome"] for run in BulkRun.objects.all() for r in run.results)
    assert outcomes == ["created", "skipped"]
