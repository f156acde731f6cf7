"""Rules firing on events ingested through the real endpoint, as an SDK posts them."""

from __future__ import annotations

import pytest

from integrations.models import ExternalIssue
from integrations.rules.models import Firing, Rule
from tests.ingest.helpers import event_envelope, exception_event, post_envelope
from tests.rules.helpers import make_rule

pytestmark = pytest.mark.django_db(transaction=True)


def ingest(client, project, **fields):
    body = event_envelope(exception_event(**fields))
    answer = post_envelope(client, project, body, key=project.keys.first())
    assert answer.status_code == 200, answer.content


def test_new_issue_from_the_sdk_becomes_a_task(asana_project, owner, client, sandbox):
    make_rule(asana_project, owner)

    ingest(client, asana_project, type_="PaymentError", value="card declined")

    mapping = ExternalIssue.objects.get()
    task = sandbox.state.tasks[mapping.external_id]
    assert "PaymentError" in task.name
    assert mapping.issue.absolute_url() in task.notes


def test_regression_and_frequency_from_the_sdk(asana_project, owner, client, sandbox):
    make_rule(asana_project, owner, name="Regressions", trigger=Rule.Trigger.REGRESSED)
    make_rule(
        asana_project,
        owner,
        name="Busy",
        trigger=Rule.Trigger.FREQUENCY,
        threshold=2,
        window_minutes=5,
    )
    ingest(client, asana_project)
    assert not Firing.objects.exists()
    ingest(client, asana_project)
    ingest(client, asana_project)  # 3 events in 5 minutes: more than 2

    assert Firing.objects.get(rule__name="Busy").outcome == Firing.Outcome.CREATED
    issue = ExternalIssue.objects.get().issue
    issue.status = "resolved"
    issue.save(update_fields=["status"])

    ingest(client, asana_project)  # regressed: the rule finds the task already there

    assert Firing.objects.get(rule__name="Regressions").outcome == Firing.Outcome.SKIPPED
    assert ExternalIssue.objects.count() == 1
    # ... and the linked task is told, once.
    [comment] = [
        s.text
        for s in sandbox.state.stories.values()
        if s.task == ExternalIssue.objects.get().external_id
    ]
    assert "Regression in" in comment
