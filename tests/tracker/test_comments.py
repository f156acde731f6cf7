"""Comments written on an issue in Tasklink: the form on the issue page, htmx and without JS."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.support import HTMX
from tracker.comment_views import MAX_COMMENT
from tracker.models import Activity
from tracker.signals import issue_commented

pytestmark = pytest.mark.django_db


def comment_url(issue) -> str:
    return reverse("issue_comment", args=[issue.pk])


def comments(issue) -> list[tuple[int | None, str]]:
    rows = Activity.objects.filter(issue=issue, kind=Activity.Kind.COMMENT)
    return [(a.user_id, a.data.get("text")) for a in rows]


def test_the_issue_page_has_the_comment_form(member_client, issue):
    page = member_client.get(issue.get_absolute_url()).content.decode()
    assert f'action="{comment_url(issue)}"' in page
    assert 'name="text"' in page


def test_a_member_comments_without_javascript(member_client, member, issue):
    response = member_client.post(comment_url(issue), {"text": "  Seen on the Tuesday deploy  "})
    assert response.status_code == 302
    assert response["Location"].startswith(issue.get_absolute_url())
    assert comments(issue) == [(member.pk, "Seen on the Tuesday deploy")]
    page = member_client.get(response["Location"]).content.decode()
    assert "Seen on the Tuesday deploy" in page
    assert "Comment added." in page


def test_with_htmx_the_form_comes_back_empty_and_the_activity_reloads(owner_client, owner, issue):
    response = owner_client.post(comment_url(issue), {"text": "Looking into it"}, headers=HTMX)
    assert response.status_code == 200
    assert "activity-changed" in response["HX-Trigger"]
    html = response.content.decode()
    assert 'id="comment-form"' in html and "Looking into it" not in html
    assert comments(issue) == [(owner.pk, "Looking into it")]


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "no-js"])
def test_an_empty_comment_is_refused_with_a_message(owner_client, issue, headers):
    response = owner_client.post(comment_url(issue), {"text": "   "}, headers=headers)
    assert response.status_code == 400
    assert "Write something first." in response.content.decode()
    assert comments(issue) == []


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "no-js"])
def test_a_too_long_comment_is_refused_and_the_text_kept(owner_client, issue, headers):
    text = "x" * (MAX_COMMENT + 1)
    response = owner_client.post(comment_url(issue), {"text": text}, headers=headers)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"at most {MAX_COMMENT:,} characters" in html
    assert text in html  # kept in the textarea
    assert comments(issue) == []


def test_an_outsider_cannot_comment(outsider_client, issue):
    response = outsider_client.post(comment_url(issue), {"text": "hi"})
    assert response.status_code == 404
    assert comments(issue) == []


def test_only_post(member_client, issue):
    assert member_client.get(comment_url(issue)).status_code == 405


def test_the_comment_is_announced_to_other_apps(member_client, member, issue):
    heard = []

    def listen(sender, **kwargs):
        heard.append(kwargs)

    issue_commented.connect(listen, dispatch_uid="test_comment_heard")
    try:
        member_client.post(comment_url(issue), {"text": "Announced"})
    finally:
        issue_commented.disconnect(dispatch_uid="test_comment_heard")
    [call] = heard
    assert (call["issue"].pk, call["user"].pk) == (issue.pk, member.pk)
    assert call["activity"].data["text"] == "Announced"
