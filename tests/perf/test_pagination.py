"""The issue list pages without counting every issue: exact while small, "about" above that."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.perf.builders import make_issue, make_issues, make_people
from tests.support import HTMX
from tracker import paginator, views

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_pages(monkeypatch, project):
    # Five issues stand in for a million: exact counts up to 3, two issues a page.
    monkeypatch.setattr(paginator, "EXACT_UP_TO", 3)
    monkeypatch.setattr(views, "ISSUES_PER_PAGE", 2)
    make_issues(project, 5)


def estimate(monkeypatch, rows: int) -> None:
    """The planner's estimate of the issues' rows, whatever the table really holds."""
    monkeypatch.setattr(paginator.EstimatedCountPaginator, "estimated_rows", lambda self: rows)


def all_issues(client, page: int | None = None) -> str:
    """The issue list of every status, as first opened or at `page`."""
    query = {"status": "all"} if page is None else {"status": "all", "page": page}
    return client.get(reverse("issue_list"), query).content.decode()


def test_small_lists_show_the_exact_total(owner_client, project):
    make_issues(project, 30)
    body = all_issues(owner_client)
    assert "Page 1 of 2 · 30 issues" in body
    assert "about" not in body


def test_large_lists_show_an_approximate_total(owner_client, small_pages):
    body = all_issues(owner_client)
    assert "Page 1 of about" in body
    assert "Older →" in body


def test_an_estimate_too_high_never_links_past_the_last_issue(
    owner_client, small_pages, monkeypatch
):
    estimate(monkeypatch, 100)
    last = all_issues(owner_client, page=3)
    assert "Page 3 of about 50 · about 100 issues" in last
    assert last.count('class="issue-row') == 1
    assert "Older →" not in last
    assert "← Newer" in last


def test_an_estimate_too_low_still_links_to_older_issues(owner_client, small_pages, monkeypatch):
    estimate(monkeypatch, 1)
    first = all_issues(owner_client)
    assert "about 4 issues" in first  # never below what the capped count saw
    second = all_issues(owner_client, page=2)
    assert second.count('class="issue-row') == 2
    assert "Older →" in second
    third = all_issues(owner_client, page=3)
    assert third.count('class="issue-row') == 1
    assert "Older →" not in third


def test_the_issue_page_shows_the_latest_activity_and_a_link_to_the_rest(
    owner_client, organization, project
):
    issue = make_issue(project, activities=12, people=make_people(organization, 2))
    page = owner_client.get(issue.get_absolute_url()).content.decode()
    assert page.count('<time class="muted"') == 10
    assert f'href="{issue.get_absolute_url()}?activity=all#activity"' in page
    fragment = owner_client.get(
        issue.get_absolute_url() + "?fragment=activity&activity=all", headers=HTMX
    ).content.decode()
    assert fragment.count('<time class="muted"') == 12
    # A later reload of the fragment (after a plugin action) keeps showing everything.
    assert "?fragment=activity&amp;activity=all" in fragment
    assert "Show all activity" not in fragment
