"""The issue list pages by keyset (cursor links, never an OFFSET) without counting every issue:
exact while small, "about" above that."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse_lazy

from tests.perf.builders import make_issue, make_issues, make_people
from tests.support import HTMX, nav_link
from tracker import paginator, views
from tracker.models import Issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_pages(monkeypatch):
    # Five issues stand in for a million: exact counts up to 3, two issues a page.
    monkeypatch.setattr(paginator, "EXACT_UP_TO", 3)
    monkeypatch.setattr(views, "ISSUES_PER_PAGE", 2)


LIST = reverse_lazy("issue_list")


def rows(body: str) -> list[str]:
    return [
        html.unescape(t) for t in re.findall(r"<span class=\"issue-title\">([^<]*)</span>", body)
    ]


def walk(client, url: str, label: str = "Older →") -> list[str]:
    """The bodies of every page from `url`, following `label` links to the end."""
    bodies = []
    while url and len(bodies) < 50:
        bodies.append(client.get(url).content.decode())
        link = nav_link(bodies[-1], label)
        url = link and str(LIST) + link
    return bodies


def test_small_lists_show_the_exact_total(owner_client, project):
    make_issues(project, 30)
    body = owner_client.get(f"{LIST}?status=all").content.decode()
    assert "Page 1 of 2 · 30 issues" in body
    assert "about" not in body


def test_large_lists_show_an_approximate_total(owner_client, project, small_pages):
    make_issues(project, 5)
    body = owner_client.get(f"{LIST}?status=all").content.decode()
    assert "Page 1 of about" in body
    assert "Older →" in body


def test_a_search_counts_exactly_only_its_first_matches(owner_client, project, monkeypatch):
    """Counting a common term's matches walks the trigram index's hits: a search stops
    counting sooner than the plain list does, then says "about"."""
    monkeypatch.setattr(views, "SEARCH_EXACT_UP_TO", 3)
    monkeypatch.setattr(views, "ISSUES_PER_PAGE", 2)
    make_issues(project, 5)
    searched = owner_client.get(f"{LIST}?status=all&query=KeyError").content.decode()
    listed = owner_client.get(f"{LIST}?status=all").content.decode()
    assert "of about" in searched
    assert "5 issues" in listed and "about" not in listed


def test_older_links_walk_every_issue_once_even_when_many_were_last_seen_together(
    owner_client, project, small_pages
):
    issues = make_issues(project, 7)
    # Four issues share one moment: the id orders them, and no page loses or repeats one.
    Issue.objects.filter(pk__in=[i.pk for i in issues[1:5]]).update(last_seen=issues[1].last_seen)
    pages = walk(owner_client, f"{LIST}?status=all")
    seen = [title for body in pages for title in rows(body)]
    assert sorted(seen) == sorted(i.title for i in issues) and len(seen) == 7
    assert [len(rows(body)) for body in pages] == [2, 2, 2, 1]
    assert [re.search(r"Page \d+ of", body).group(0) for body in pages] == [
        "Page 1 of",
        "Page 2 of",
        "Page 3 of",
        "Page 4 of",
    ]
    assert "Older →" not in pages[-1] and "← Newer" in pages[-1]


def test_newer_links_come_back_page_by_page_to_the_first_page(owner_client, project, small_pages):
    make_issues(project, 7)
    older = walk(owner_client, f"{LIST}?status=all")
    newer = walk(owner_client, str(LIST) + nav_link(older[-1], "← Newer"), "← Newer")
    assert [rows(body) for body in newer] == [rows(body) for body in older[-2::-1]]
    assert "← Newer" not in newer[-1] and "Page 1 of" in newer[-1]


def test_newer_from_page_2_is_the_top_of_the_list(owner_client, project, small_pages):
    make_issues(project, 5)
    second = walk(owner_client, f"{LIST}?status=all")[1]
    assert nav_link(second, "← Newer") == "?status=all"


def test_newer_reaching_the_top_early_shows_a_full_first_page(owner_client, project, small_pages):
    issues = make_issues(project, 5)
    pages = walk(owner_client, f"{LIST}?status=all")
    newer = nav_link(pages[2], "← Newer")
    assert "after=" in newer and "page=2" in newer
    # Two issues of the first page see new events and pass the cursor: one is left above it.
    moved = [issues[0].pk, issues[1].pk]
    Issue.objects.filter(pk__in=moved).update(last_seen=issues[4].last_seen)
    back = owner_client.get(str(LIST) + newer).content.decode()
    assert len(rows(back)) == 2 and "Page 1 of" in back and "← Newer" not in back


def test_page_links_keep_the_filters_and_work_with_htmx(owner_client, project, small_pages):
    make_issues(project, 5)
    first = owner_client.get(f"{LIST}?status=all&query=KeyError").content.decode()
    older = nav_link(first, "Older →")
    assert "query=KeyError" in older and "status=all" in older and "before=" in older
    assert f'hx-get="{html.escape(older)}"' in first
    fragment = owner_client.get(str(LIST) + older, headers=HTMX).content.decode()
    assert "<html" not in fragment and len(rows(fragment)) == 2 and "Page 2 of" in fragment


@pytest.mark.parametrize("cursor", ["garbage", "1_", "99999999999999999999999_1", "-5_2", ""])
def test_a_cursor_that_is_not_one_shows_the_first_page(owner_client, project, cursor):
    make_issues(project, 3)
    for key in ("before", "after"):
        response = owner_client.get(f"{LIST}?status=all&{key}={cursor}&page=9")
        assert response.status_code == 200
        assert len(rows(response.content.decode())) == 3


def test_a_cursor_past_the_last_issue_shows_the_first_page(owner_client, project, small_pages):
    make_issues(project, 5)
    body = owner_client.get(f"{LIST}?status=all&before=0_0&page=3").content.decode()
    assert len(rows(body)) == 2 and "Page 1 of" in body


def test_an_estimate_too_high_never_links_past_the_last_issue(
    owner_client, project, small_pages, monkeypatch
):
    make_issues(project, 5)
    monkeypatch.setattr(paginator, "estimated_rows", lambda queryset: 100)
    last = walk(owner_client, f"{LIST}?status=all")[-1]
    assert "Page 3 of about 50 · about 100 issues" in last
    assert len(rows(last)) == 1
    assert "Older →" not in last
    assert "← Newer" in last


def test_an_estimate_too_low_still_links_to_older_issues(
    owner_client, project, small_pages, monkeypatch
):
    make_issues(project, 5)
    monkeypatch.setattr(paginator, "estimated_rows", lambda queryset: 1)
    pages = walk(owner_client, f"{LIST}?status=all")
    assert "about 4 issues" in pages[0]  # never below what the capped count saw
    assert [len(rows(body)) for body in pages] == [2, 2, 1]


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
