from __future__ import annotations

import pytest
from django.urls import reverse

from tests.support import nav_link
from tracker.models import Activity, Event, Issue

pytestmark = pytest.mark.django_db


def test_anonymous_people_are_sent_to_log_in(client, issue):
    for url in (reverse("issue_list"), reverse("issue_detail", args=[issue.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_issue_list_shows_the_organizations_issues(owner_client, issue):
    response = owner_client.get(reverse("issue_list"))
    assert issue.title.encode() in response.content
    assert b"BACKEND-1" in response.content


def test_outsider_sees_none_of_the_issues_and_gets_404(outsider_client, issue):
    response = outsider_client.get(reverse("issue_list") + "?status=all")
    assert issue.title.encode() not in response.content
    assert outsider_client.get(reverse("issue_detail", args=[issue.pk])).status_code == 404
    response = outsider_client.post(
        reverse("issue_set_status", args=[issue.pk]), {"status": "resolved"}
    )
    assert response.status_code == 404
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED


def test_short_ids_count_per_project_in_base36(project):
    issues = [Issue.objects.create(project=project, title=f"Issue {n}") for n in range(37)]
    assert issues[0].short_id == "BACKEND-1"
    assert issues[35].short_id == "BACKEND-10"
    assert issues[9].short_id == "BACKEND-A"


def test_filters_by_status_project_and_search(owner_client, project, issue):
    resolved = Issue.objects.create(
        project=project, title="KeyError shipping_address", status=Issue.Status.RESOLVED
    )
    content = owner_client.get(reverse("issue_list")).content
    assert issue.title.encode() in content and resolved.title.encode() not in content

    content = owner_client.get(reverse("issue_list") + "?status=resolved").content
    assert resolved.title.encode() in content and issue.title.encode() not in content

    content = owner_client.get(reverse("issue_list") + "?status=all&query=zerodivision").content
    assert issue.title.encode() in content and b"shipping" not in content

    content = owner_client.get(reverse("issue_list") + f"?status=all&project={project.pk}").content
    assert issue.title.encode() in content

    content = owner_client.get(reverse("issue_list") + "?query=nothing-like-this").content
    assert b"No issues match" in content


def test_bad_filter_values_fall_back_instead_of_failing(owner_client, issue):
    response = owner_client.get(reverse("issue_list") + "?status=maybe&project=abc&page=zz")
    assert response.status_code == 200
    assert issue.title.encode() in response.content


def test_issue_list_paginates(owner_client, project):
    for n in range(30):
        Issue.objects.create(project=project, title=f"Error number {n}")
    first = owner_client.get(reverse("issue_list")).content.decode()
    assert "Page 1 of 2" in first
    second = owner_client.get(reverse("issue_list") + nav_link(first, "Older →")).content
    assert b"Page 2 of 2" in second


def test_htmx_filter_answers_only_the_results_fragment(owner_client, issue):
    response = owner_client.get(reverse("issue_list"), headers={"HX-Request": "true"})
    assert b'id="results"' in response.content
    assert b"<html" not in response.content


def test_issue_page_shows_latest_event_tags_and_activity(owner_client, issue):
    response = owner_client.get(reverse("issue_detail", args=[issue.pk]))
    assert response.status_code == 200
    for text in (
        b"ZeroDivisionError",
        b"billing/invoices.py",
        b"compute_discount",
        b"return a / b",
        b"environment",
        b"production",
        b'id="panel-asana"',
    ):
        assert text in response.content


def test_stack_trace_with_html_is_escaped(owner_client, issue):
    Event.objects.create(
        issue=issue,
        event_id="f" * 32,
        exception_type="ValueError",
        exception_value="<script>alert('x')</script>",
        frames=[
            {
                "filename": "<img src=x onerror=alert(1)>",
                "function": "f",
                "lineno": 1,
                "context_line": "<b>bold</b>",
            }
        ],
    )
    content = owner_client.get(reverse("issue_detail", args=[issue.pk])).content
    assert b"<script>alert" not in content and b"&lt;script&gt;alert" in content
    assert b"<img src=x" not in content and b"<b>bold</b>" not in content


@pytest.mark.parametrize(
    ("status", "kind"),
    [("resolved", Activity.Kind.RESOLVED), ("ignored", Activity.Kind.IGNORED)],
)
def test_resolve_and_ignore_record_activity(owner_client, owner, issue, status, kind):
    response = owner_client.post(reverse("issue_set_status", args=[issue.pk]), {"status": status})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == status
    assert Activity.objects.filter(issue=issue, user=owner, kind=kind).exists()


def test_reopen_with_htmx_answers_the_fragment_and_records_activity(owner_client, owner, issue):
    issue.status = Issue.Status.RESOLVED
    issue.save()
    response = owner_client.post(
        reverse("issue_set_status", args=[issue.pk]),
        {"status": "unresolved"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert b'id="issue-status"' in response.content and b"Resolve" in response.content
    assert b"hx-swap-oob" in response.content and b"reopened this issue" in response.content
    assert Activity.objects.filter(issue=issue, kind=Activity.Kind.REOPENED).count() == 1


def test_unknown_status_is_refused_with_a_message(owner_client, issue):
    response = owner_client.post(
        reverse("issue_set_status", args=[issue.pk]), {"status": "deleted"}, follow=True
    )
    assert b"That status does not exist." in response.content
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED
