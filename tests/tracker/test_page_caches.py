"""What the issue page keeps in the cache never shows stale or another person's data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from tests.support import make_user
from tracker.html import quick_format_html
from tracker.models import Activity, Event, Issue, Membership

pytestmark = pytest.mark.django_db


def user_queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries if 'FROM "auth_user"' in q["sql"]]


# --- the logged-in person, cached per user -------------------------------------------------------


def test_a_logged_in_page_reads_the_person_from_the_cache(owner_client, issue):
    url = reverse("issue_detail", args=[issue.pk])
    owner_client.get(url)
    assert user_queries(owner_client, url) == []


def test_a_changed_email_shows_on_the_next_page(owner_client, owner, issue):
    url = reverse("issue_detail", args=[issue.pk])
    owner_client.get(url)
    owner.email = "renamed@example.com"
    owner.save()
    assert "renamed@example.com" in owner_client.get(url).content.decode()


def test_a_password_changed_elsewhere_ends_the_session(owner_client, owner, issue):
    url = reverse("issue_detail", args=[issue.pk])
    assert owner_client.get(url).status_code == 200
    owner.set_password("a-new-pass-456")
    owner.save()
    assert owner_client.get(url).status_code == 302


def test_a_deactivated_person_is_logged_out(owner_client, owner, issue):
    url = reverse("issue_detail", args=[issue.pk])
    assert owner_client.get(url).status_code == 200
    owner.is_active = False
    owner.save()
    assert owner_client.get(url).status_code == 302


def test_a_deleted_person_is_logged_out(owner_client, owner, issue):
    url = reverse("issue_detail", args=[issue.pk])
    assert owner_client.get(url).status_code == 200
    owner.delete()
    assert owner_client.get(url).status_code == 302


def test_two_people_each_see_themselves(owner_client, owner, organization, issue):
    other = make_user("grace")
    Membership.objects.create(organization=organization, user=other)
    other_client = Client()
    other_client.force_login(other)
    url = reverse("issue_detail", args=[issue.pk])
    for _ in range(2):
        assert owner.email in owner_client.get(url).content.decode()
        page = other_client.get(url).content.decode()
        assert other.email in page and owner.email not in page


# --- the event body, cached per event ------------------------------------------------------------


def add_event(issue: Issue, event_id: str, value: str) -> Event:
    return Event.objects.create(
        issue=issue,
        event_id=event_id,
        exception_type="KeyError",
        exception_value=value,
        data={"exceptions": [{"type": "KeyError", "value": value}]},
    )


def test_each_event_shows_its_own_body_also_from_the_cache(owner_client, issue):
    first = add_event(issue, "a" * 32, "first-body")
    second = add_event(issue, "b" * 32, "second-body")
    url = reverse("issue_detail", args=[issue.pk])
    for _ in range(2):
        for event, own, other in ((first, "first", "second"), (second, "second", "first")):
            page = owner_client.get(url, {"event": event.event_id}).content.decode()
            assert f"{own}-body" in page and f"{other}-body" not in page


def test_the_issue_level_shows_at_once_in_a_cached_body(owner_client, issue):
    add_event(issue, "c" * 32, "level-body")
    url = reverse("issue_detail", args=[issue.pk])
    assert f"exception-{issue.level}" in owner_client.get(url).content.decode()
    issue.level = Issue.Level.WARNING
    issue.save()
    assert "exception exception-warning" in owner_client.get(url).content.decode()


def test_newer_events_update_the_paging_of_a_cached_event(owner_client, issue):
    old = add_event(issue, "d" * 32, "old-body")
    url = reverse("issue_detail", args=[issue.pk])
    assert "Latest event" in owner_client.get(url, {"event": old.event_id}).content.decode()
    add_event(issue, "f" * 32, "new-body")
    page = owner_client.get(url, {"event": old.event_id}).content.decode()
    assert "Latest event" not in page and f"?event={'f' * 32}" in page and "old-body" in page


# --- activity, worded in Python ------------------------------------------------------------------


def activity_html(client: Client, issue: Issue) -> str:
    page = client.get(reverse("issue_detail", args=[issue.pk])).content.decode()
    return page.split('id="activity"')[1].split("</ul>")[0]


def test_new_activity_shows_at_once(owner_client, owner, issue):
    assert "Nothing has happened" in activity_html(owner_client, issue)
    Activity.objects.create(issue=issue, user=owner, kind=Activity.Kind.RESOLVED)
    html = activity_html(owner_client, issue)
    assert f"<strong>{owner.get_full_name()}</strong> resolved this issue" in html


def test_activity_escapes_what_people_and_trackers_wrote(owner_client, owner, issue):
    owner.first_name, owner.last_name = "<b>Ada", "</b>"
    owner.save()
    link = {"provider": "asana", "provider_title": "Asana", "title": "<i>t</i>"}
    Activity.objects.create(
        issue=issue, user=owner, kind=Activity.Kind.LINK_ISSUE, data={**link, "url": "javascript:x"}
    )
    Activity.objects.create(
        issue=issue,
        kind=Activity.Kind.COMMENT,
        data={"remote_actor": "<script>", "remote_action": "commented on", "text": "x" * 400,
              "provider_title": "Asana", "title": "T", "url": "https://app.asana.com/0/1/2"},
    )  # fmt: skip
    html = activity_html(owner_client, issue)
    assert "<b>" not in html and "<script>" not in html and "<i>" not in html
    assert "&lt;b&gt;Ada &lt;/b&gt;</strong> linked Asana task ‘&lt;i&gt;t&lt;/i&gt;’" in html
    assert "javascript:" not in html
    assert (
        '<strong>&lt;script&gt;</strong> commented on the task <a href="https://app.asana.com/0/1/2"'
        in html
    )
    assert f"<q>{'x' * 299}…</q>" in html


def test_an_unlinked_task_is_named_without_a_link(owner_client, owner, issue):
    data = {"provider_title": "Asana", "title": "Gone", "url": "https://app.asana.com/0/1/3"}
    Activity.objects.create(issue=issue, user=owner, kind=Activity.Kind.UNLINK_ISSUE, data=data)
    Activity.objects.create(
        issue=issue, kind=Activity.Kind.RESOLVED, data={"via": "Asana", "text": "done"}
    )
    html = activity_html(owner_client, issue)
    assert "unlinked Asana task ‘Gone’" in html and "https://app.asana.com/0/1/3" not in html
    assert "<strong>Tasklink</strong> resolved this issue: done after a change in Asana" in html


def test_quick_format_html_escapes_as_format_html():
    args = ("<a href='x'>&\"", mark_safe("<b>safe</b>"), 42, None)
    assert quick_format_html("{} {} {} {}", *args) == format_html("{} {} {} {}", *args)


# --- the header's links, reversed once -----------------------------------------------------------


def test_the_header_links_are_reversed_once_per_script_prefix():
    from django.urls import get_script_prefix, set_script_prefix

    from tracker.templatetags.tasklink import fixed_url

    before = get_script_prefix()
    try:
        for prefix in ("/", "/tasklink/", "/"):
            set_script_prefix(prefix)
            assert fixed_url("project_list") == reverse("project_list")
            assert fixed_url("project_list").startswith(prefix)
    finally:
        set_script_prefix(before)
