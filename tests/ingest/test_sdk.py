"""The real sentry-sdk against a live Tasklink: what a team's application would send."""

from __future__ import annotations

import pytest
import sentry_sdk

from tests.ingest.sdk import sdk_scope
from tracker.models import Activity, Event, Issue
from tracker.signals import issue_first_seen, issue_regressed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dsn(live_server, project):
    host = live_server.url.split("://", 1)[1]
    return f"http://{project.keys.get().public_key}@{host}/{project.pk}"


def divide(a: int, b: int) -> float:
    return a / b


def checkout(order: dict) -> str:
    return order["shipping_address"]


def fail_with(message: str):
    raise ValueError(message)


@pytest.mark.parametrize("compression", ["gzip", "br"])
def test_captured_exception_becomes_an_issue(dsn, project, compression):
    with sdk_scope(dsn, compression) as scope:
        assert scope.client.transport._compression_algo == compression
        scope.set_user({"id": "42", "email": "ada@example.com"})
        scope.set_tag("customer", "acme")
        try:
            divide(1, 0)
        except ZeroDivisionError as exc:
            event_id = sentry_sdk.capture_exception(exc)
    issue = Issue.objects.get(project=project)
    assert issue.title == "ZeroDivisionError: division by zero"
    assert issue.culprit == "tests.ingest.test_sdk in divide"
    assert (issue.event_count, issue.user_count, issue.level) == (1, 1, "error")
    event = Event.objects.get(event_id=event_id)
    assert (event.release, event.environment, event.platform) == (
        "shop@1.2.3",
        "production",
        "python",
    )
    assert event.exception_type == "ZeroDivisionError"
    assert event.frames[-1]["function"] == "divide"
    assert event.frames[-1]["context_line"].strip() == "return a / b"
    chain = event.data["exceptions"]
    assert chain[0]["type"] == "ZeroDivisionError" and chain[0]["frames"][-1]["in_app"]
    assert event.data["user"]["email"] == "ada@example.com"
    assert event.data["sdk"]["name"] == "sentry.python"
    assert event.tags["customer"] == "acme"
    assert issue.top_tags()["release"] == [("shop@1.2.3", 1)]
    assert Activity.objects.get(issue=issue).kind == Activity.Kind.FIRST_SEEN


def test_same_crash_with_other_messages_is_one_issue(dsn, project):
    with sdk_scope(dsn) as scope:
        for n, user in enumerate(["1", "2", "2"]):
            scope.set_user({"id": user})
            try:
                fail_with(f"order {n} is not valid")
            except ValueError as exc:
                sentry_sdk.capture_exception(exc)
    issue = Issue.objects.get(project=project)
    assert issue.event_count == 3
    assert issue.user_count == 2
    assert issue.title == "ValueError: order 2 is not valid"


def test_different_crashes_are_different_issues(dsn, project):
    with sdk_scope(dsn):
        for action in (lambda: divide(1, 0), lambda: checkout({})):
            try:
                action()
            except Exception as exc:
                sentry_sdk.capture_exception(exc)
    assert set(Issue.objects.values_list("title", flat=True)) == {
        "ZeroDivisionError: division by zero",
        "KeyError: 'shipping_address'",
    }


def test_chained_exception_keeps_the_chain_outermost_first(dsn, project):
    with sdk_scope(dsn):
        try:
            try:
                checkout({})
            except KeyError as cause:
                raise RuntimeError("checkout failed") from cause
        except RuntimeError as exc:
            event_id = sentry_sdk.capture_exception(exc)
    event = Event.objects.get(event_id=event_id)
    assert [e["type"] for e in event.data["exceptions"]] == ["RuntimeError", "KeyError"]
    assert event.issue.title == "RuntimeError: checkout failed"


def test_messages_group_by_text(dsn, project):
    with sdk_scope(dsn):
        sentry_sdk.capture_message("Payment provider slow", level="warning")
        sentry_sdk.capture_message("Payment provider slow", level="warning")
        sentry_sdk.capture_message("Cache miss storm")
    slow = Issue.objects.get(title="Payment provider slow")
    assert (slow.event_count, slow.level) == (2, "warning")
    assert Issue.objects.filter(title="Cache miss storm").exists()


def test_fingerprint_groups_different_errors_together(dsn, project):
    with sdk_scope(dsn) as scope:
        scope.fingerprint = ["payment-gateway-timeout"]
        for action in (lambda: divide(1, 0), lambda: checkout({})):
            try:
                action()
            except Exception as exc:
                sentry_sdk.capture_exception(exc)
    assert Issue.objects.get().event_count == 2


def test_fingerprint_with_default_splits_the_default_group(dsn, project):
    with sdk_scope(dsn) as scope:
        for tenant in ("a", "b"):
            scope.fingerprint = ["{{ default }}", tenant]
            try:
                divide(1, 0)
            except ZeroDivisionError as exc:
                sentry_sdk.capture_exception(exc)
    assert Issue.objects.count() == 2


def test_event_for_a_resolved_issue_regresses_it(dsn, project):
    regressed, first_seen = [], []
    issue_regressed.connect(
        lambda **kw: regressed.append(kw["issue"].pk), weak=False, dispatch_uid="t1"
    )
    issue_first_seen.connect(
        lambda **kw: first_seen.append(kw["issue"].pk), weak=False, dispatch_uid="t2"
    )
    try:
        with sdk_scope(dsn):
            try:
                divide(1, 0)
            except ZeroDivisionError as exc:
                sentry_sdk.capture_exception(exc)
        issue = Issue.objects.get()
        issue.status = Issue.Status.RESOLVED
        issue.save()
        with sdk_scope(dsn):
            try:
                divide(2, 0)
            except ZeroDivisionError as exc:
                sentry_sdk.capture_exception(exc)
    finally:
        issue_regressed.disconnect(dispatch_uid="t1")
        issue_first_seen.disconnect(dispatch_uid="t2")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED
    assert issue.event_count == 2
    assert issue.activities.filter(kind=Activity.Kind.REGRESSED).count() == 1
    assert regressed == [issue.pk]
    assert first_seen == [issue.pk]
