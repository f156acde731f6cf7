"""Two rules firing on one issue in two workers at the same moment: one task, at Asana too."""

from __future__ import annotations

import pytest

from integrations.models import ExternalIssue
from integrations.rules import engine
from integrations.rules.models import Firing, TaskClaim
from tests.rules.helpers import make_issue, make_rule, task_posts
from tests.support import clear_sandbox_log, require_postgresql, run_at_once, sandbox_log


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
