"""Accepted means stored: a worker killed with SIGKILL mid-stream, restarted, and every event
the endpoint answered 200 for is stored exactly once (needs PostgreSQL and Redis; CI has them).
"""

from __future__ import annotations

import threading
import uuid

import pytest
import redis
import requests
from celery import Celery
from django.db.models import Sum

from ingest import tasks
from ingest.models import PendingEvent
from tests.ingest.helpers import auth_header, event_envelope, exception_event
from tests.ingest.worker import Worker, redis_url_or_skip, wait_for
from tests.support import require_postgresql
from tracker.models import Event, Issue

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = 300


def send_all(url: str, key, answers: dict[str, int]) -> None:
    session = requests.Session()
    headers = {"X-Sentry-Auth": auth_header(key)}
    for n in range(EVENTS):
        payload = exception_event(value=f"order {n}", fingerprint=[f"group-{n % 12}"])
        response = session.post(url, data=event_envelope(payload), headers=headers, timeout=10)
        answers[payload["event_id"]] = response.status_code


@pytest.mark.parametrize("ingest_queue", ["redis", "database"])
def test_worker_killed_mid_stream_loses_and_duplicates_nothing(
    live_server, project, settings, monkeypatch, tmp_path, ingest_queue
):
    require_postgresql()
    redis_url = redis_url_or_skip()
    queue = f"ingest-kill-{uuid.uuid4().hex[:8]}"
    # The endpoint hands events to the Redis queue, or to the database spool, as the worker.
    settings.INGEST_QUEUE_REDIS_URL = redis_url if ingest_queue == "redis" else ""
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    # The live server's process publishes to the real broker, as gunicorn would.
    # Not the current app: shared tasks elsewhere in the suite keep the project's (eager) app.
    producer = Celery("kill-test", broker=redis_url, set_as_current=False)
    monkeypatch.setattr(
        tasks.drain_pending,
        "apply_async",
        lambda *a, **k: producer.send_task(tasks.drain_pending.name, queue=queue, retry=False),
    )
    # Shared with the worker, as in production: the queued-drain flag it clears.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "tasklink",
        }
    }
    worker = Worker(redis_url, queue, tmp_path / "worker.log", ingest_queue)
    answers: dict[str, int] = {}
    sender = threading.Thread(
        target=send_all,
        args=(f"{live_server.url}/api/{project.pk}/envelope/", project.keys.get(), answers),
    )
    try:
        worker.start()
        sender.start()
        for stored_before_kill in (EVENTS // 6, EVENTS // 2):
            wait_for(
                lambda n=stored_before_kill: Event.objects.count() >= n, 60, "the worker to store"
            )
            worker.kill()
            worker.start()
        sender.join(timeout=120)
        wait_for(
            lambda: (
                Event.objects.count() >= EVENTS
                and not PendingEvent.objects.exists()
                and not (ingest_queue == "redis" and queue_keys(redis_url, queue))
            ),
            90,
            "every accepted event to be stored",
        )
    finally:
        worker.stop()
        producer.close()
        log = (tmp_path / "worker.log").read_text(errors="replace")
    accepted = {event_id for event_id, status in answers.items() if status == 200}
    assert len(accepted) == EVENTS, f"some events were refused: {set(answers.values())}"
    assert set(Event.objects.values_list("event_id", flat=True)) == accepted
    assert Event.objects.count() == EVENTS
    assert Issue.objects.count() == 12
    # Counts were added exactly once per event, whatever batch the kill interrupted.
    assert Issue.objects.aggregate(total=Sum("event_count"))["total"] == EVENTS
    assert "ready" in log
    assert not queue_keys(redis_url, queue), "events or claims left on the Redis queue"


def queue_keys(redis_url: str, queue: str) -> list[bytes]:
    """What is left of the ingest queue on Redis: the events waiting, claims not released."""
    client = redis.Redis.from_url(redis_url)
    return [
        name
        for name in client.keys(f"tasklink:ingest:{queue}:*")
        if not name.endswith(b":drain-queued")
    ]
