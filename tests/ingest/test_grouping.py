"""The grouping rule (README, Ingestion), one clause per test, through the store itself."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from ingest import grouping
from ingest.normalize import normalize
from ingest.store import Incoming, store
from ingest.tasks import delete_expired_events
from tests.ingest.helpers import event, exception_event
from tracker.models import Event, Issue

pytestmark = pytest.mark.django_db


def ingest(project, *payloads) -> list[Issue]:
    now = timezone.now()
    store(Incoming(project.pk, uuid.uuid4().hex, p, now) for p in payloads)
    return list(Issue.objects.filter(project=project).order_by("id"))


def frame(function, lineno=1, module="app.views", in_app=True, **extra):
    return {"module": module, "function": function, "lineno": lineno, "in_app": in_app, **extra}


def test_line_numbers_and_values_do_not_split_a_group(project):
    issues = ingest(
        project,
        exception_event(value="order 1", frames=[frame("index", lineno=3)]),
        exception_event(value="order 2", frames=[frame("index", lineno=9)]),
    )
    assert [i.event_count for i in issues] == [2]


def test_library_frames_do_not_split_a_group_with_in_app_frames(project):
    lib = frame("call", module="django.core", in_app=False)
    issues = ingest(
        project,
        exception_event(frames=[lib, frame("index")]),
        exception_event(frames=[frame("index")]),
    )
    assert len(issues) == 1


def test_other_function_is_another_group(project):
    issues = ingest(
        project, exception_event(frames=[frame("a")]), exception_event(frames=[frame("b")])
    )
    assert len(issues) == 2


def test_filenames_are_normalized_without_host_and_hashes(project):
    def js(url):
        return {"filename": url, "function": "render", "lineno": 1, "in_app": True}

    issues = ingest(
        project,
        exception_event(frames=[js("https://a.example/static/js/main.3f9a1c2b.js?v=1")]),
        exception_event(frames=[js("https://b.example/static/js/main.77e01d9f.js")]),
    )
    assert len(issues) == 1
    assert grouping.normalize_filename("./src/app.js") == "src/app.js"


def test_without_frames_type_and_value_group(project):
    no_frames = {"values": [{"type": "Timeout", "value": "slow"}]}
    issues = ingest(
        project,
        event(exception=no_frames),
        event(exception=no_frames),
        event(exception={"values": [{"type": "Timeout", "value": "slower"}]}),
    )
    assert {i.title: i.event_count for i in issues} == {"Timeout: slow": 2, "Timeout: slower": 1}


def test_messages_group_by_template_not_parameters(project):
    issues = ingest(
        project,
        event(
            logentry={
                "message": "User %s failed",
                "params": ["ada"],
                "formatted": "User ada failed",
            }
        ),
        event(
            logentry={
                "message": "User %s failed",
                "params": ["bob"],
                "formatted": "User bob failed",
            }
        ),
    )
    assert [i.event_count for i in issues] == [2]
    assert issues[0].title == "User bob failed"


def test_fingerprint_replaces_the_default_and_default_keeps_it(project):
    assert (
        len(
            ingest(
                project, exception_event(fingerprint=["x"]), event(message="m", fingerprint=["x"])
            )
        )
        == 1
    )
    grouped = ingest(
        project,
        exception_event(fingerprint=["{{ default }}", "eu"]),
        exception_event(fingerprint=["{{default}}", "eu"]),
        exception_event(fingerprint=["{{ default }}", "us"]),
    )
    assert sorted(i.event_count for i in grouped) == [1, 2, 2]


def test_same_input_same_hash():
    payload = exception_event()
    now = timezone.now()
    assert grouping.grouping_hash(normalize(payload, now)) == grouping.grouping_hash(
        normalize(payload, now)
    )


def test_title_uses_first_line_and_culprit_prefers_transaction(project):
    (issue,) = ingest(
        project,
        exception_event(
            type_="OperationalError", value="no server\nhost db", transaction="/checkout"
        ),
    )
    assert (issue.title, issue.culprit) == ("OperationalError: no server", "/checkout")


def test_culprit_is_the_top_in_app_frame(project):
    frames = [frame("view", module="shop.views"), frame("inner", module="lib.x", in_app=False)]
    (issue,) = ingest(project, exception_event(frames=frames))
    assert issue.culprit == "shop.views in view"


def test_tags_most_common_values(project):
    ingest(
        project, *(exception_event(tags={"browser": b}) for b in ["Chrome", "Chrome", "Firefox"])
    )
    issue = Issue.objects.get()
    assert issue.top_tags()["browser"] == [("Chrome", 2), ("Firefox", 1)]


def test_each_user_counts_once_across_batches_and_issues(project):
    def by(user_id, function="view"):
        return exception_event(frames=[frame(function)], user={"id": user_id})

    ingest(project, by("ada"), by("bob"), by("ada"), by("ada", "other"))
    ingest(project, by("bob"), by("cy"))
    ingest(project, by("ada"), by("bob", "other"), exception_event(frames=[frame("view")]))
    view, other = (Issue.objects.get(culprit=f"app.views in {f}") for f in ("view", "other"))
    assert (view.event_count, view.user_count) == (7, 3)  # ada, bob, cy; one event without
    assert (other.event_count, other.user_count) == (2, 2)  # ada, bob


def test_old_events_expire_and_issue_counts_stay(project, settings):
    settings.EVENT_RETENTION_DAYS = 30
    ingest(project, exception_event(), exception_event())
    Event.objects.filter(pk=Event.objects.first().pk).update(
        received=timezone.now() - timedelta(days=31)
    )
    assert delete_expired_events() == 1
    assert Event.objects.count() == 1
    assert Issue.objects.get().event_count == 2


def test_ignored_issue_stays_ignored(project):
    (issue,) = ingest(project, exception_event())
    issue.status = Issue.Status.IGNORED
    issue.save()
    ingest(project, exception_event())
    issue.refresh_from_db()
    assert issue.status == Issue.Status.IGNORED and issue.event_count == 2


def test_logentry_without_formatted_is_formatted_from_its_parameters(project):
    (issue,) = ingest(project, event(logentry={"message": "took %ss on %s", "params": [14.2]}))
    assert issue.title == "took 14.2s on %s"
