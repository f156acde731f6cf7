"""The worker's tasks: drain the spool into issues and events; delete expired events."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta

import redis
from celery import shared_task
from celery.signals import worker_init, worker_ready
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ingest import queue, store
from tracker.models import Event

log = logging.getLogger(__name__)

# Set while a drain is queued, so a burst of requests queues one task, not one per event.
DRAIN_QUEUED = "ingest:drain-queued"


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def drain_pending() -> int:
    """Store every queued and spooled event. Idempotent: it may run twice, or be killed,
    harmlessly."""
    # Cleared before draining: a request that queues an event after this point queues
    # another drain, and one that queued before it is seen by this one.
    try:
        cache.delete(DRAIN_QUEUED)
        if queue.enabled():
            queue.clear_drain_flag()
    except Exception:
        log.warning("cache unavailable while draining", exc_info=True)
    stored = 0
    if queue.enabled():
        try:
            queue.recover()  # batches of workers that died
            stored += store.drain_queue(owner=drain_pending.request.hostname or "")
        except redis.RedisError:
            log.warning(
                "the Redis queue is unreachable; draining the database spool", exc_info=True
            )
    return stored + store.drain()


def schedule_drain() -> bool:
    """Queue a drain unless one is queued already; False when the broker is unreachable."""
    try:
        if not cache.add(DRAIN_QUEUED, 1, timeout=settings.INGEST_DRAIN_FLAG_SECONDS):
            return True
    except Exception:
        log.warning("could not queue a drain; the event stays spooled", exc_info=True)
        return False
    return publish_drain(clear_flag=lambda: cache.delete(DRAIN_QUEUED))


def publish_drain(clear_flag: Callable[[], object] = queue.clear_drain_flag) -> bool:
    """Queue a drain task (its flag is set); False when the broker is unreachable."""
    try:
        # No retries: a request must not wait for a broker that is down; the event is kept
        # already and the periodic drain (or, for the spool, this request) stores it.
        drain_pending.apply_async(retry=False)
    except Exception:
        log.warning("could not queue a drain; the event waits for the periodic one", exc_info=True)
        with contextlib.suppress(Exception):
            clear_flag()
        return False
    return True


@shared_task(acks_late=True, ignore_result=True)
def delete_expired_events(chunk: int = 5000) -> int:
    """Delete events older than EVENT_RETENTION_DAYS; issues keep their counts."""
    cutoff = timezone.now() - timedelta(days=settings.EVENT_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(Event.objects.filter(received__lt=cutoff).values_list("pk", flat=True)[:chunk])
        if not ids:
            return deleted
        deleted += Event.objects.filter(pk__in=ids).delete()[0]


# When this worker started, by Redis's clock: claims its node took before then are its earlier
# self's, killed mid-batch.
_started = 0.0


@worker_init.connect
def note_start(**kwargs) -> None:
    global _started
    if queue.enabled():
        with contextlib.suppress(redis.RedisError):
            _started = queue.server_time()


@worker_ready.connect
def drain_on_start(sender=None, **kwargs) -> None:
    # Events queued while no worker ran, and those a killed worker had claimed, are stored at
    # once.
    if queue.enabled() and sender is not None and _started:
        with contextlib.suppress(redis.RedisError):
            queue.recover(owner=sender.hostname, started=_started)
    drain_pending.apply_async()
