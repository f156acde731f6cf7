"""Accepted means stored: without a broker the event is still kept, and stored."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from ingest import tasks
from ingest.models import PendingEvent
from ingest.store import drain
from tests.ingest.helpers import event_envelope, exception_event, post_envelope
from tracker.models import Event, Project

pytestmark = pytest.mark.django_db


def test_broker_down_the_event_is_stored_in_the_request(client, project, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.drain_pending, "apply_async", down)
    payload = exception_event()
    response = post_envelope(client, project, event_envelope(payload), project.keys.get())
    assert response.status_code == 200
    assert Event.objects.filter(event_id=payload["event_id"]).exists()


def test_spooled_events_wait_for_the_worker(client, project, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.drain_pending, "apply_async", lambda *a, **k: queued.append(1))
    payload = exception_event()
    response = post_envelope(client, project, event_envelope(payload), project.keys.get())
    # The answer came before grouping: the event waits in the spool, a drain is queued.
    assert response.status_code == 200 and queued == [1]
    assert PendingEvent.objects.filter(event_id=payload["event_id"]).exists()
    assert not Event.objects.exists()
    assert drain() == 1
    assert drain() == 0
    assert Event.objects.get().event_id == payload["event_id"]
    assert not PendingEvent.objects.exists()


def test_two_projects_events_with_one_id_both_wait_in_the_spool_and_are_stored(
    client, project, outsider, monkeypatch
):
    monkeypatch.setattr(tasks.drain_pending, "apply_async", lambda *a, **k: None)
    theirs = Project.objects.get(slug="theirs")
    ours = exception_event(value="ours")
    their_event = dict(ours, exception={"values": [{"type": "KeyError", "value": "theirs"}]})
    for target, payload in ((theirs, their_event), (project, ours)):
        response = post_envelope(client, target, event_envelope(payload), target.keys.get())
        assert response.status_code == 200
    assert drain() == 2
    assert Event.objects.get(issue__project=project).issue.title == "ValueError: ours"
    assert Event.objects.get(issue__project=theirs).event_id == ours["event_id"]


def test_an_event_the_database_refuses_stays_spooled_and_the_rest_are_stored(
    project, refuse_poison
):
    good, bad = exception_event(), exception_event(value="poison")
    PendingEvent.objects.create(project=project, event_id=good["event_id"], payload=_json(good))
    PendingEvent.objects.create(project=project, event_id=bad["event_id"], payload=_json(bad))
    assert drain() == 1
    assert list(Event.objects.values_list("event_id", flat=True)) == [good["event_id"]]
    assert list(PendingEvent.objects.values_list("event_id", flat=True)) == [bad["event_id"]]


def _json(payload: dict) -> str:
    import json

    return json.dumps(payload)
