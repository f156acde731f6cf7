"""Small things a new user hit (issue 17, item 9) that the server renders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tracker.models import Issue

pytestmark = pytest.mark.django_db


def test_login_with_both_fields_empty_flags_both(client):
    response = client.post(reverse("login"), {"username": "", "password": ""})
    body = response.content.decode()
    assert body.count("This field is required.") == 2
    assert body.count("has-error") == 2


def test_logging_out_says_so_on_the_login_page(client, owner):
    client.force_login(owner)
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You are logged out." in response.content.decode()


@pytest.mark.parametrize("name", ["password_reset_done", "password_reset_complete"])
def test_reset_pages_offer_the_issues_only_to_people_logged_in(client, owner, name):
    logged_out = client.get(reverse(name)).content.decode()
    assert "Back to your issues" not in logged_out
    assert f'href="{reverse("login")}"' in logged_out
    client.force_login(owner)
    assert "Back to your issues" in client.get(reverse(name)).content.decode()


def test_breadcrumbs_link_to_the_issues_of_the_project_and_the_issue(owner_client, issue):
    body = owner_client.get(issue.get_absolute_url()).content.decode()
    crumbs = body[body.index('class="crumbs"') : body.index("</nav>", body.index('class="crumbs"'))]
    assert f'href="/?project={issue.project_id}">Backend</a>' in crumbs
    assert f'href="{issue.get_absolute_url()}" aria-current="page">{issue.short_id}</a>' in crumbs


def test_the_latest_event_time_is_relative_with_the_exact_time_in_a_title(owner_client, issue):
    event = issue.events.first()
    event.timestamp = timezone.now() - timedelta(hours=3)
    event.save(update_fields=["timestamp"])
    body = owner_client.get(issue.get_absolute_url()).content.decode()
    assert f'<time datetime="{event.timestamp.isoformat()}" title="' in body
    assert "3\xa0hours ago</time>" in body


@pytest.mark.parametrize(
    ("level", "css"), [("warning", "exception-warning"), ("error", "exception-error")]
)
def test_the_exception_box_takes_the_issue_level(owner_client, issue, level, css):
    Issue.objects.filter(pk=issue.pk).update(level=level)
    body = owner_client.get(issue.get_absolute_url()).content.decode()
    assert f'class="exception {css}"' in body
