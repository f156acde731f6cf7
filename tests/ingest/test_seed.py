"""The demo's issues come out of ingestion, as a real SDK's events would."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tracker.models import Activity, Event, GroupHash, Issue

pytestmark = pytest.mark.django_db


def test_seed_demo_sends_its_events_through_ingestion_once():
    call_command("seed_demo", force=True)
    counts = dict(Issue.objects.values_list("title", "event_count"))
    call_command("seed_demo", force=True)
    assert dict(Issue.objects.values_list("title", "event_count")) == counts
    assert Event.objects.count() == sum(counts.values())
    issue = Issue.objects.get(title="ZeroDivisionError: division by zero")
    assert issue.culprit == "billing.invoices in compute_discount"
    assert GroupHash.objects.filter(issue=issue).exists()
    assert issue.activities.filter(kind=Activity.Kind.FIRST_SEEN).count() == 1
    event = issue.events.first()
    assert event.data["exceptions"][0]["frames"][-1]["function"] == "compute_discount"
    assert event.data["contexts"]["runtime"]["name"] == "CPython"
    assert event.data["breadcrumbs"]
    assert issue.user_count == len({e.data["user"]["id"] for e in issue.events.all()})
    slow = Issue.objects.get(title="Slow query: report generation took 14.2s")
    assert slow.level == "warning" and slow.culprit == ""
