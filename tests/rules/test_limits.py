"""The per-identity limiter, Retry-After on the worker, and a 429 storm drained without loss."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from celery.exceptions import Retry

from integrations.models import ExternalIssue
from integrations.rules import limits, tasks
from integrations.rules.engine import Later
from integrations.rules.models import Firing
from tests.rules.helpers import make_issue, make_rule, task_posts
from tests.support import clear_sandbox_log, fault, make_identity, make_user, sandbox_log
from tracker.signals import issue_first_seen


def test_calls_a_minute_are_spread_over_ten_second_windows(db, settings):
    settings.TASKLINK_RULES_CALLS_PER_MINUTE = 150
    identity = make_identity(make_user("lim"))
    start = 1_000_000.0  # the start of a window
    waits = [limits.take_call(identity, now=start + 1) for _ in range(26)]
    assert waits[:25] == [0.0] * 25  # 150 a minute: 25 per ten seconds
    assert waits[25] == pytest.approx(9.0)
    assert limits.take_call(identity, now=start + 10) == 0.0  # the next window


def test_a_429_holds_every_call_of_the_identity_then_halves_its_rate(db, settings):
    settings.TASKLINK_RULES_CALLS_PER_MINUTE = 150
    identity = make_identity(make_user("throttled"))
    start = 3_000_000.0
    limits.throttled(identity, retry_after=5, now=start)

    assert limits.take_call(identity, now=start + 1) == pytest.approx(4.0)
    # Then 75 a minute: 12 calls per ten seconds instead of 25.
    waits = [limits.take_call(identity, now=start + 10) for _ in range(13)]
    assert waits[:12] == [0.0] * 12
    assert waits[12] > 0


def test_a_paid_identity_gets_its_own_quota(db, settings):
    settings.TASKLINK_RULES_CALLS_PER_MINUTE = 150
    identity = make_identity(make_user("paid"), calls_per_minute=1500)
    assert all(limits.take_call(identity, now=2_000_000.0) == 0.0 for _ in range(250))


def test_at_most_15_concurrent_writes(db):
    identity = make_identity(make_user("conc"))
    held = [limits.write_slot(identity) for _ in range(16)]
    entered = [slot.__enter__() for slot in held]
    assert entered == [True] * 15 + [False]
    held[0].__exit__(None, None, None)
    with limits.write_slot(identity) as free:
        assert free


def test_on_the_worker_a_wait_is_a_retry_with_asanas_countdown():
    retried = {}

    def retry(countdown, kwargs):
        retried.update(countdown=countdown, kwargs=kwargs)
        return Retry()

    task = SimpleNamespace(
        request=SimpleNamespace(is_eager=False, kwargs={"firing_id": 7}), retry=retry
    )
    with pytest.raises(Retry):
        tasks.run(task, lambda failures: Later(30, failed=False))
    assert retried == {"countdown": 30, "kwargs": {"firing_id": 7, "failures": 0}}


def test_a_429_storm_drains_without_loss(asana_project, owner, sandbox, send):
    make_rule(asana_project, owner)
    issues = [make_issue(asana_project, title=f"Storm {n}") for n in range(20)]
    # Asana throttles the next 40 creates, each answer saying when to come back.
    fault(sandbox, path="/api/1.0/tasks", method="POST", status=429, times=40, retry_after=1)
    clear_sandbox_log(sandbox)

    for issue, event in issues:
        send(issue_first_seen, issue, event=event)

    assert ExternalIssue.objects.count() == 20
    assert set(Firing.objects.values_list("outcome", flat=True)) == {Firing.Outcome.CREATED}
    assert task_posts(sandbox_log(sandbox)) == 60  # 40 refused, 20 created: none twice
