"""The tracker's issue signals, as rules hear them (connected in IntegrationsConfig.ready).
Ingestion sends them after its transaction committed; all the work is queued for the worker."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from integrations.rules import engine
from integrations.rules.models import Rule
from tracker.models import Event, Issue


def on_first_seen(sender: Any, issue: Issue, event: Event | None = None, **kwargs: Any) -> None:
    engine.fire_matching(issue, Rule.Trigger.FIRST_SEEN, event)


def on_regressed(sender: Any, issue: Issue, event: Event | None = None, **kwargs: Any) -> None:
    from integrations.rules import tasks

    engine.fire_matching(issue, Rule.Trigger.REGRESSED, event)
    event_id = event.event_id if event is not None else ""
    transaction.on_commit(lambda: tasks.follow_regression.delay(issue.pk, event_id))


def on_events_added(sender: Any, issue: Issue, count: int = 0, **kwargs: Any) -> None:
    engine.fire_matching(issue, Rule.Trigger.FREQUENCY)
