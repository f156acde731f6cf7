"""The worker's tasks: drain the spool into issues and events; delete expired events."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ingest import store
from tracker.models import Event

log = logging.getLogger(__name__)

# Set while a drain is queued, so a burst of requests queues one task, not one per event.
DRAIN_QUEUED = "ingest:drain-queued"


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def drain_pending() -> int:
    """Store every spooled event. Idempotent: it may run twice, or be killed, harmlessly."""
    # Cleared before draining: a request that spools an event after this point queues
    # another drain, and one that spooled before it is seen by this one.
    try:
        cache.delete(DRAIN_QUEUED)
    except Exception:
        log.warning("cache unavailable while draining", exc_info=True)
    return store.drain()


def schedule_drain() -> bool:
    """Queue a drain unless one is queued already; False when the broker is unreachable."""
    try:
        if not cache.add(DRAIN_QUEUED, 1, timeout=settings.INGEST_DRAIN_FLAG_SECONDS):
            return True
        # No retries: a request must not wait for a broker that is down; the event is in
        # the spool already and the periodic drain (or this request, see views) stores it.
        drain_pending.apply_async(retry=False)
    except Exception:
        log.warning("could not queue a drain; the event stays spooled", exc_info=True)
        with contextlib.suppress(Exception):
            cache.delete(DRAIN_QUEUED)
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


@worker_ready.connect
def drain_on_start(**kwargs) -> None:
    # Events spooled while no worker ran (or by one that was killed) are stored at once.
    drain_pending.apply_async()
