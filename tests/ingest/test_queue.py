"""The Redis queue between the endpoint and the worker: an accepted event is on Redis before
the 200, stored once by the drain, and never lost by a worker that dies holding it.
(Needs Redis; CI has it. Each test uses queue keys of its own.)"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.db.models import Sum

from ingest import queue, store, tasks
from ingest.models import PendingEvent
from tests.ingest.helpers import event_envelope, exception_event, post_envelope
from tests.ingest.worker import redis_url_or_skip
from tracker.models import Event, Issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_queue(settings):
    settings.INGEST_QUEUE_REDIS_URL = redis_url_or_skip()
    settings.CELERY_TASK_DEFAULT_QUEUE = f"test-{uuid.uuid4().hex[:12]}"
    yield queue.client()
    names = list(queue.client().scan_iter(queue.key("*")))
    if names:
        queue.client().delete(*names)


@pytest.fixture
def drains(monkeypatch):
    """The drain tasks requests queue, recorded instead of run (as if no worker ran yet)."""
    queued: list[int] = []
    monkeypatch.setattr(tasks.drain_pending, "apply_async", lambda *a, **k: queued.append(1))
    return queued


def queued_event(project, value: str = "bad", **fields) -> queue.Queued:
    payload = exception_event(value=value, **fields)
    return queue.Queued(
        project.pk, payload["event_id"], datetime.now(UTC), json.dumps(payload).encode()
    )


def test_an_accepted_event_waits_on_redis_and_one_drain_is_queued(
    client, project, redis_queue, drains
):
    key = project.keys.get()
    first, second = exception_event(value="one"), exception_event(value="two")
    for payload in (first, second):
        response = post_envelope(client, project, event_envelope(payload), key)
        assert response.status_code == 200
        assert response.json() == {"id": payload["event_id"]}
    # Answered before grouping, kept on Redis (not in the database spool); one drain queued
    # for the burst.
    assert queue.waiting() == 2 and drains == [1]
    assert not Event.objects.exists() and not PendingEvent.objects.exists()
    assert tasks.drain_pending() == 2
    assert queue.waiting() == 0
    assert set(Event.objects.values_list("event_id", flat=True)) == {
        first["event_id"],
        second["event_id"],
    }


def test_the_payload_is_kept_byte_for_byte(client, project, redis_queue, drains):
    body = b'{"event_id": "%s",\n  "message": "caf\xc3\xa9 \\u00e9", "level": "warning"}' % (
        uuid.uuid4().hex.encode()
    )
    envelope = b'{}\n{"type": "event", "length": %d}\n%s\n' % (len(body), body)
    assert post_envelope(client, project, envelope, project.keys.get()).status_code == 200
    [item] = redis_queue.lrange(queue.key("events"), 0, -1)
    assert item.partition(b"\n")[2] == body
    tasks.drain_pending()
    assert Event.objects.get().message == "café é"


def test_the_same_event_sent_twice_is_stored_once(client, project, redis_queue, drains):
    payload = exception_event()
    for _ in range(2):
        response = post_envelope(client, project, event_envelope(payload), project.keys.get())
        assert response.status_code == 200
    tasks.drain_pending()
    response = post_envelope(client, project, event_envelope(payload), project.keys.get())
    tasks.drain_pending()
    assert Event.objects.count() == 1
    assert Issue.objects.get().event_count == 1


def test_redis_unreachable_the_event_is_still_kept_and_stored(client, project, settings):
    settings.INGEST_QUEUE_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    payload = exception_event()
    response = post_envelope(client, project, event_envelope(payload), project.keys.get())
    assert response.status_code == 200
    assert Event.objects.filter(event_id=payload["event_id"]).exists()
    assert not PendingEvent.objects.exists()


def test_a_batch_claimed_by_a_worker_that_died_is_stored_once_when_it_restarts(
    project, redis_queue
):
    events = [queued_event(project, value=f"n{n}") for n in range(5)]
    queue.push(events)
    # A worker claimed the batch and was killed before storing it.
    assert len(queue.take(10, owner="w1@host").events) == 5
    assert queue.waiting() == 0
    assert store.drain_queue(owner="w2@host") == 0  # not another worker's to take
    # The same node starts again: what its dead self held goes back to the queue.
    assert queue.recover(owner="w1@host", started=queue.server_time()) == 5
    assert store.drain_queue(owner="w1@host") == 5
    assert Event.objects.count() == 5
    assert redis_queue.zcard(queue.key("claims")) == 0


def test_a_batch_stored_just_before_its_worker_died_is_not_stored_twice(project, redis_queue):
    queue.push([queued_event(project, value=f"n{n}") for n in range(3)])
    claim = queue.take(10, owner="w1@host")
    with transaction.atomic():
        store.store(store._incoming_queued(event) for event in claim.events)
    # Killed after the commit, before forgetting the claim; the claim expires.
    queue.recover(owner="w1@host", started=queue.server_time())
    assert store.drain_queue() == 0
    assert Event.objects.count() == 3
    assert Issue.objects.aggregate(total=Sum("event_count"))["total"] == 3


def test_an_expired_claim_goes_back_to_the_queue(project, redis_queue, settings):
    queue.push([queued_event(project)])
    queue.take(10, owner="w1@host")
    assert queue.recover() == 0  # still within INGEST_CLAIM_SECONDS
    settings.INGEST_CLAIM_SECONDS = 0
    assert queue.recover() == 1
    assert queue.waiting() == 1


def test_an_event_the_database_refuses_waits_in_the_spool_and_the_rest_are_stored(
    project, redis_queue, refuse_poison
):
    good, bad = queued_event(project, value="good"), queued_event(project, value="poison")
    queue.push([good, bad])
    assert store.drain_queue() == 1
    assert list(Event.objects.values_list("event_id", flat=True)) == [good.event_id]
    assert list(PendingEvent.objects.values_list("event_id", flat=True)) == [bad.event_id]
    assert queue.waiting() == 0 and redis_queue.zcard(queue.key("claims")) == 0
