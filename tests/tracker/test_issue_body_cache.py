"""The issue page's body is kept in the cache (tracker/issue_page.py): whatever changes what it
shows, by whichever writer (a view, a queryset update(), the worker's sync, the admin), shows
on the very next view; the person's frame, CSRF token and relative times are each request's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.asana import sync
from integrations.models import ExternalIssue, ResolutionSync
from tests.support import link_task, make_user
from tracker import issue_page
from tracker.models import Activity, Event, Issue, Membership, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The bodies rendered (not read from the cache), by template."""
    rendered: list[str] = []
    real = issue_page.render_with_holes

    def counting(template_name, context):
        rendered.append(template_name)
        return real(template_name, context)

    monkeypatch.setattr(issue_page, "render_with_holes", counting)
    return rendered


def page(client: Client, issue: Issue, **query: str) -> str:
    response = client.get(reverse("issue_detail", args=[issue.pk]), query)
    assert response.status_code == 200
    return response.content.decode()


def seen(client: Client, issue: Issue) -> str:
    """The page, viewed twice: the second view is the cached body's."""
    page(client, issue)
    return page(client, issue)


# --- unchanged: from the cache -------------------------------------------------------------------


def test_an_unchanged_issue_is_rendered_once(owner_client, issue, renders):
    first = page(owner_client, issue)
    second = page(owner_client, issue)
    assert renders == ["tracker/issue_body.html"]
    assert issue.title in second
    # The same page but for the person's CSRF token, masked anew on each request.
    unmasked = re.compile(r'(csrfmiddlewaretoken" value="|x-csrftoken": ")\w+')
    assert unmasked.sub(r"\1", first) == unmasked.sub(r"\1", second)


def test_another_person_reads_the_same_body_in_their_own_frame(
    owner_client, owner, organization, issue, renders
):
    other = make_user("grace")
    Membership.objects.create(organization=organization, user=other)
    other_client = Client()
    other_client.force_login(other)
    page(owner_client, issue)
    theirs = page(other_client, issue)
    assert renders == ["tracker/issue_body.html"]
    assert other.email in theirs and owner.email not in theirs


def test_an_outsider_gets_404_for_a_cached_issue(owner_client, outsider, issue):
    page(owner_client, issue)
    outsider_client = Client()
    outsider_client.force_login(outsider)
    assert outsider_client.get(reverse("issue_detail", args=[issue.pk])).status_code == 404


# --- each person's CSRF token ---------------------------------------------------------------------


def test_each_person_posts_with_the_token_of_their_own_page(owner, member, issue, renders):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(owner)
    second.force_login(member)
    tokens = []
    for client in (first, second):
        html = page(client, issue)
        forms = re.findall(r'name="csrfmiddlewaretoken" value="(\w+)"', html)
        assert len(forms) >= 2  # the status form and the comment form, at least
        assert set(forms) == {re.search(r'"x-csrftoken": "(\w+)"', html).group(1)}
        tokens.append(forms[0])
    assert renders == ["tracker/issue_body.html"]  # the second person's page was cached
    status_url = reverse("issue_set_status", args=[issue.pk])
    # Someone else's token is refused; one's own is accepted.
    refused = second.post(status_url, {"status": "resolved", "csrfmiddlewaretoken": tokens[0]})
    assert refused.status_code == 403
    answer = second.post(status_url, {"status": "resolved", "csrfmiddlewaretoken": tokens[1]})
    assert answer.status_code == 302


def test_no_token_is_kept_in_the_cache(owner_client, issue, monkeypatch):
    kept = {}
    real_set = issue_page.django_cache.set

    def keep(key, value, *args):
        kept[key] = value
        return real_set(key, value, *args)

    monkeypatch.setattr(issue_page.django_cache, "set", keep)
    html = page(owner_client, issue)
    token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', html).group(1)
    [(parts, holes)] = [value for key, value in kept.items() if key.startswith("issue-body:")]
    assert token not in "".join(parts)
    assert None in holes  # where the tokens go


def test_a_title_shaped_like_a_hole_shows_as_written(owner_client, issue):
    Issue.objects.filter(pk=issue.pk).update(title="hole-0123456789abcdef01234567-0-")
    assert "hole-0123456789abcdef01234567-0-" in page(owner_client, issue)


# --- relative times keep moving ------------------------------------------------------------------


def test_relative_times_move_on_while_the_body_is_cached(owner_client, issue, renders, monkeypatch):
    Activity.objects.create(issue=issue, kind=Activity.Kind.COMMENT, data={"text": "hello"})
    assert "just now" in page(owner_client, issue)
    later = timezone.now() + timedelta(hours=3, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    html = page(owner_client, issue)
    assert renders == ["tracker/issue_body.html"]  # not rendered again
    assert "just now" not in html
    assert html.count("3\xa0hours ago") >= 3  # first seen, last seen, the event, the comment


# --- every change shows at once ------------------------------------------------------------------


def test_a_status_change_through_the_page_shows(owner_client, issue):
    seen(owner_client, issue)
    owner_client.post(reverse("issue_set_status", args=[issue.pk]), {"status": "resolved"})
    assert 'class="badge badge-resolved"' in page(owner_client, issue)


def test_a_status_changed_by_a_queryset_update_shows(owner_client, issue):
    seen(owner_client, issue)
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.IGNORED)
    assert 'class="badge badge-ignored"' in page(owner_client, issue)


def test_a_new_event_shows_as_the_latest_with_the_new_count(owner_client, issue):
    assert "e" * 12 in seen(owner_client, issue)
    Event.objects.create(issue=issue, event_id="f" * 32, exception_value="the new one")
    # As ingestion counts: an update of the issue's columns, no save() of it.
    Issue.objects.filter(pk=issue.pk).update(event_count=F("event_count") + 41)
    html = page(owner_client, issue)
    assert "f" * 12 in html and "the new one" in html
    assert "<dt>Events</dt><dd>41</dd>" in html
    # The event that was the latest now links to the newer one.
    older = page(owner_client, issue, event="e" * 32)
    assert f"?event={'f' * 32}" in older


def test_an_expired_oldest_event_leaves_no_link_to_it(owner_client, issue):
    Event.objects.create(issue=issue, event_id="f" * 32)
    assert f"?event={'e' * 32}" in seen(owner_client, issue)
    Event.objects.filter(event_id="e" * 32).delete()  # retention deletes by age, in bulk
    assert f"?event={'e' * 32}" not in page(owner_client, issue)


def test_a_new_comment_shows(owner_client, issue):
    seen(owner_client, issue)
    owner_client.post(reverse("issue_comment", args=[issue.pk]), {"text": "Looking at it"})
    assert "Looking at it" in page(owner_client, issue)


def test_activity_changed_in_place_shows(owner_client, issue):
    entry = Activity.objects.create(issue=issue, kind=Activity.Kind.COMMENT, data={"text": "v1"})
    assert "v1" in seen(owner_client, issue)
    Activity.objects.filter(pk=entry.pk).update(data={"text": "v2"})
    html = page(owner_client, issue)
    assert "v2" in html and "v1" not in html


def test_a_renamed_person_shows_in_the_activity(owner_client, owner, issue):
    Activity.objects.create(issue=issue, user=owner, kind=Activity.Kind.COMMENT, data={"text": "x"})
    seen(owner_client, issue)
    type(owner).objects.filter(pk=owner.pk).update(first_name="Augusta", last_name="King")
    assert "<strong>Augusta King</strong>" in page(owner_client, issue)


def test_the_eleventh_entry_brings_show_all(owner_client, issue):
    for n in range(10):
        Activity.objects.create(issue=issue, kind=Activity.Kind.COMMENT, data={"text": f"c{n}"})
    assert "Show all activity" not in seen(owner_client, issue)
    Activity.objects.create(issue=issue, kind=Activity.Kind.COMMENT, data={"text": "c10"})
    assert "Show all activity" in page(owner_client, issue)


def test_a_task_linked_and_unlinked_without_activity_shows(owner_client, issue):
    seen(owner_client, issue)
    task = link_task(issue, "1200000000000042", "Fix the discount")
    assert "Fix the discount" in page(owner_client, issue)
    ExternalIssue.objects.filter(pk=task.pk).delete()
    assert "Fix the discount" not in page(owner_client, issue)


def test_a_task_completed_in_asana_shows(owner_client, issue):
    link_task(issue, "42", "T")
    assert "badge-completed" not in seen(owner_client, issue)
    sync.apply_task({"gid": "42", "name": "T, renamed", "completed": True}, "Grace Hopper")
    html = page(owner_client, issue)
    assert "badge-completed" in html and "T, renamed" in html


@pytest.mark.parametrize("writer", ["save", "update"])
def test_a_task_state_written_without_its_change_time_shows(owner_client, issue, writer):
    """The resolution sync and the regression notice save `completed` alone, leaving
    date_changed (the live updates' mark) as it was."""
    task = link_task(issue, "42", "T")
    seen(owner_client, issue)
    if writer == "save":
        task.completed = True
        task.save(update_fields=["completed"])
    else:
        ExternalIssue.objects.filter(pk=task.pk).update(completed=True)
    assert "badge-completed" in page(owner_client, issue)


def test_a_resolution_sync_finishing_shows(owner_client, issue):
    sync_row = ResolutionSync.objects.create(issue=issue, provider="asana", completed=True)
    assert "Completing the linked" in seen(owner_client, issue)
    ResolutionSync.objects.filter(pk=sync_row.pk).update(state=ResolutionSync.State.DONE)
    assert "tasks completed." in page(owner_client, issue)


def test_title_culprit_and_level_changes_show(owner_client, issue):
    seen(owner_client, issue)
    Issue.objects.filter(pk=issue.pk).update(
        title="KeyError: 'plan'", culprit="billing.plans", level=Issue.Level.WARNING
    )
    html = page(owner_client, issue)
    assert "KeyError: &#x27;plan&#x27;" in html and "billing.plans" in html
    assert "level-warning" in html and "<dd>Warning</dd>" in html


def test_a_renamed_project_shows_in_the_breadcrumbs(owner_client, issue):
    seen(owner_client, issue)
    Project.objects.filter(pk=issue.project_id).update(name="Payments", short_name="PAY")
    html = page(owner_client, issue)
    assert ">Payments</a>" in html and "PAY-" in html


def test_a_change_while_the_body_renders_is_not_kept_under_the_older_version(
    owner_client, issue, monkeypatch
):
    """The body is rendered from reads made after the version's: a task completed in between
    shows in it, so it must not be kept under the version of the open task, which comes back
    when the task is reopened."""
    task = link_task(issue, "42", "T")
    real = issue_page.render_with_holes

    def racing(template_name, context):
        ExternalIssue.objects.filter(pk=task.pk).update(completed=True)
        return real(template_name, context)

    monkeypatch.setattr(issue_page, "render_with_holes", racing)
    assert "badge-completed" in page(owner_client, issue)
    monkeypatch.setattr(issue_page, "render_with_holes", real)
    ExternalIssue.objects.filter(pk=task.pk).update(completed=False)
    assert "badge-completed" not in page(owner_client, issue)


def test_an_issue_id_past_the_column_range_is_404(owner_client, issue):
    for path in ("/issues/9223372036854775808/", "/issues/9223372036854775808/live/"):
        assert owner_client.get(path).status_code == 404
