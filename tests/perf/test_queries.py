"""Pages cost a constant number of database queries, however much data they show."""

from __future__ import annotations

import pytest
import requests
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.models import PluginConfig
from tests.perf.builders import make_issue, make_issues, make_people
from tests.support import ENGINEERING, HTMX, connect_identity, nav_link, sandbox_log
from tracker.models import Issue

pytestmark = pytest.mark.django_db

ISSUE_PAGE_MAX = 8
ISSUE_LIST_MAX = 8
PANEL_MAX = 10


def queries(client, url: str, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_issue_list_of_50_issues_costs_as_many_queries_as_one(
    owner_client, project, django_assert_max_num_queries
):
    make_issues(project, 1)
    url = reverse("issue_list") + "?status=all"
    one = queries(owner_client, url)
    make_issues(project, 49)
    with django_assert_max_num_queries(ISSUE_LIST_MAX):
        response = owner_client.get(url)
    assert response.content.count(b'class="issue-row') == 25
    assert queries(owner_client, url) == one
    # The older and newer pages (by cursor), with htmx too, and the filters.
    older = nav_link(response.content.decode(), "Older →")
    assert queries(owner_client, reverse("issue_list") + older) == one
    fragment = queries(owner_client, url, headers=HTMX)  # no checklist in a fragment
    assert queries(owner_client, reverse("issue_list") + older, headers=HTMX) == fragment
    second = owner_client.get(reverse("issue_list") + older).content.decode()
    assert queries(owner_client, reverse("issue_list") + nav_link(second, "← Newer")) == one
    for linked in ("linked", "unlinked"):
        filtered = url + f"&project={project.pk}&linked={linked}&query=key"
        assert queries(owner_client, filtered) == one


def queries_new_version(client, issue, url: str) -> int:
    """The queries of the first view of a new version of the issue (here: one more user seen,
    as ingestion writes it), whose body is not in the cache yet; `queries` alone then counts
    the views that read it from the cache."""
    Issue.objects.filter(pk=issue.pk).update(user_count=F("user_count") + 1)
    return queries(client, url)


@pytest.mark.parametrize(("events", "tasks"), [(1, 1), (200, 1), (1, 20), (200, 20)])
def test_issue_page_queries_do_not_grow_with_events_tasks_or_activity(
    owner_client, organization, project, events, tasks, django_assert_max_num_queries
):
    people = make_people(organization, 10)
    small = make_issue(project, events=1, tasks=1, activities=1, people=people[:1])
    big = make_issue(project, events=events, tasks=tasks, activities=50, people=people)
    small_url, big_url = (reverse("issue_detail", args=[issue.pk]) for issue in (small, big))
    owner_client.get(small_url)  # the person and the event's body are in the cache
    new_version = queries_new_version(owner_client, small, small_url)
    cached = queries(owner_client, small_url)
    assert cached < new_version
    # The first view of all: the event's body is rendered too.
    with django_assert_max_num_queries(ISSUE_PAGE_MAX):
        response = owner_client.get(big_url)
    # The latest 10 entries up front, the 50 behind "Show all activity", at the same cost.
    assert response.content.count(b'<time class="muted"') == 10
    assert b"Show all activity" in response.content
    assert queries_new_version(owner_client, big, big_url) == new_version
    assert queries(owner_client, big_url) == cached
    everything = big_url + "?activity=all"
    assert owner_client.get(everything).content.count(b'<time class="muted"') == 50
    assert queries_new_version(owner_client, big, everything) == new_version
    assert queries(owner_client, everything) == cached


def test_paging_through_200_events_costs_as_many_queries_as_the_newest(
    owner_client, organization, project, django_assert_max_num_queries
):
    people = make_people(organization, 3)
    issue = make_issue(project, events=200, activities=5, people=people)
    url = reverse("issue_detail", args=[issue.pk])
    owner_client.get(url)
    new_version = queries_new_version(owner_client, issue, url)
    cached = queries(owner_client, url)
    ids = list(issue.events.values_list("event_id", flat=True))
    for event_id in (ids[1], ids[100], ids[-1]):
        with django_assert_max_num_queries(ISSUE_PAGE_MAX):
            response = owner_client.get(url, {"event": event_id})
        assert event_id.encode() in response.content
        assert queries_new_version(owner_client, issue, f"{url}?event={event_id}") == new_version
        assert queries(owner_client, f"{url}?event={event_id}") == cached


def test_activity_fragment_queries_do_not_grow_with_activity(
    owner_client, organization, project, django_assert_max_num_queries
):
    people = make_people(organization, 10)
    small = make_issue(project, activities=1, people=people[:1])
    big = make_issue(project, activities=50, people=people)
    url = "{}?fragment=activity&activity=all"
    baseline = queries(owner_client, url.format(small.get_absolute_url()), headers=HTMX)
    with django_assert_max_num_queries(ISSUE_PAGE_MAX):
        response = owner_client.get(url.format(big.get_absolute_url()), headers=HTMX)
    assert response.content.count(b'<time class="muted"') == 50
    assert b"Show all activity" not in response.content
    assert queries(owner_client, url.format(big.get_absolute_url()), headers=HTMX) == baseline


def test_asana_panel_with_20_linked_tasks_costs_as_many_queries_as_with_one(
    owner_client, owner, organization, project, sandbox, django_assert_max_num_queries
):
    PluginConfig.objects.create(project=project, plugin="asana", options={"workspace": ENGINEERING})
    connect_identity(owner, sandbox)
    people = make_people(organization, 10)
    small = make_issue(project, tasks=1, people=people[:1])
    big = make_issue(project, tasks=20, people=people)
    panel = "plugin_asana_panel"
    # The first load asks Asana for the workspaces; they are cached for the next ones.
    queries(owner_client, reverse(panel, args=[small.pk]), headers=HTMX)
    requests.delete(f"{sandbox.url}/_sandbox/requests", timeout=5)

    baseline = queries(owner_client, reverse(panel, args=[small.pk]), headers=HTMX)
    with django_assert_max_num_queries(PANEL_MAX):
        response = owner_client.get(reverse(panel, args=[big.pk]), headers=HTMX)
    assert response.content.count(b'name="issue_id"') == 20
    assert queries(owner_client, reverse(panel, args=[big.pk]), headers=HTMX) == baseline
    assert sandbox_log(sandbox, "/api/") == []
