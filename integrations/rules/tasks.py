"""The worker's side of automation: rule firings and regression follow-ups. Each waits when the
tracker or the limiter says so (requeued with a countdown), and ends recorded."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from celery import shared_task

from integrations.rules import engine
from integrations.rules import regression as regressions
from integrations.rules.engine import Later
from integrations.rules.models import Firing

# In-process (eager) mode waits in place, at most this long at a time, instead of requeueing.
EAGER_WAIT_CAP = 15


def run(task: Any, step: Callable[[int], Later | None], failures: int = 0) -> None:
    """Run `step(failures)` until it is done: on the worker each wait is a retry with a
    countdown (the worker is free meanwhile); in-process it is a sleep."""
    while True:
        later = step(failures)
        if later is None:
            return
        failures += int(later.failed)
        if not task.request.is_eager:
            raise task.retry(
                countdown=later.seconds, kwargs={**task.request.kwargs, "failures": failures}
            )
        time.sleep(min(later.seconds, EAGER_WAIT_CAP))


# Celery ships no type information: its decorator is untyped to mypy.
@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)  # type: ignore[untyped-decorator]
def fire_rule(self: Any, firing_id: int, failures: int = 0) -> None:
    def step(failures: int) -> Later | None:
        firing = (
            Firing.objects.select_related("rule__owner", "issue__project")
            .filter(pk=firing_id, outcome=Firing.Outcome.PENDING)
            .first()
        )
        # None when done already: a duplicate delivery changes nothing.
        return engine.run_firing(firing) if firing else None

    run(self, step, failures)


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
def follow_regression(issue_id: int, regression: str) -> None:
    """One follow-up per linked task, so a failing task never repeats another's comment."""
    for notice_id in regressions.notices(issue_id, regression):
        notify_task.delay(notice_id)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)  # type: ignore[untyped-decorator]
def notify_task(self: Any, notice_id: int, failures: int = 0) -> None:
    def step(failures: int) -> Later | None:
        # None when done, or another worker has it: a duplicate changes nothing.
        notice = regressions.take(notice_id)
        return regressions.tell(notice, failures) if notice else None

    run(self, step, failures)


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
def sync_resolution(sync_id: int) -> None:
    from integrations import resolution
    from integrations.models import ResolutionSync

    sync = (
        ResolutionSync.objects.select_related("issue__project", "user").filter(pk=sync_id).first()
    )
    if sync is not None and sync.state == ResolutionSync.State.PENDING:
        resolution.run(sync)


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
def bulk_create(run_id: int) -> None:
    from integrations import bulk
    from integrations.rules.models import BulkRun

    run = BulkRun.objects.select_related("user").filter(pk=run_id).first()
    if run is not None and run.state == BulkRun.State.RUNNING:
        bulk.run_bulk(run)
