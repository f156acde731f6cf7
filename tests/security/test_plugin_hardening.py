"""Security round 2 on the plugin layer: idempotency keys, activity links, link comments, and
task references that are not URLs."""

from __future__ import annotations

import pytest

from integrations.models import ExternalIssue, PluginConfig
from tests.support import ENGINEERING, HTMX, connect_identity, make_user, panel_url, sandbox_log
from tracker.models import Activity, Issue, Membership, Organization, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(owner_client, connected_owner, project):
    PluginConfig.objects.create(project=project, plugin="asana", options={"workspace": ENGINEERING})
    return owner_client


@pytest.fixture
def their_issue(db, sandbox):
    """Another organization's issue, with a task its member created through the form."""
    other = Organization.objects.create(name="Initech", slug="initech")
    person = make_user("peter")
    Membership.objects.create(organization=other, user=person, role=Membership.Role.OWNER)
    project = Project.objects.create(organization=other, name="TPS", slug="tps", short_name="TPS")
    PluginConfig.objects.create(project=project, plugin="asana", options={"workspace": ENGINEERING})
    issue = Issue.objects.create(project=project, title="Their secret outage")
    connect_identity(person, sandbox, "grace@acme.test")
    from django.test import Client

    them = Client()
    them.force_login(person)
    data = {"title": "Their secret task", "idempotency_key": "d" * 32}
    assert them.post(panel_url("create", issue), data, headers=HTMX).status_code == 200
    return issue


def test_an_idempotency_key_from_another_issue_creates_a_task_here(ready, issue, their_issue):
    response = ready.post(
        panel_url("create", issue), {"title": "Mine", "idempotency_key": "d" * 32}, headers=HTMX
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Their secret task" not in content and "Already created" not in content
    assert ExternalIssue.objects.get(issue=issue).title == "Mine"
    assert ExternalIssue.objects.get(issue=their_issue).title == "Their secret task"


def test_the_same_key_on_the_same_issue_still_creates_once(ready, issue, sandbox):
    data = {"title": "Once", "idempotency_key": "e" * 32}
    ready.post(panel_url("create", issue), data, headers=HTMX)
    second = ready.post(panel_url("create", issue), data, headers=HTMX)
    assert "Already created" in second.content.decode()
    posts = [e for e in sandbox_log(sandbox, "/api/1.0/tasks") if e["method"] == "POST"]
    assert len(posts) == 1


@pytest.mark.parametrize(
    "bad",
    ["javascript:alert(document.cookie)", " JavaScript:alert(1)", "data:text/html,x", "//evil"],
)
def test_activity_links_render_only_http_urls(owner_client, owner, issue, bad):
    Activity.objects.create(
        issue=issue,
        user=owner,
        kind=Activity.Kind.LINK_ISSUE,
        data={"provider": "asana", "provider_title": "Asana", "title": "Evil", "url": bad},
    )
    content = owner_client.get(issue.get_absolute_url()).content.decode()
    assert "‘Evil’" in content
    assert bad.strip() not in content and "javascript:" not in content.lower()


def test_activity_links_with_http_urls_stay_links(owner_client, owner, issue):
    good = "https://app.asana.com/0/1/2"
    Activity.objects.create(
        issue=issue,
        user=owner,
        kind=Activity.Kind.LINK_ISSUE,
        data={"provider": "asana", "provider_title": "Asana", "title": "Good", "url": good},
    )
    assert f'href="{good}"' in owner_client.get(issue.get_absolute_url()).content.decode()


def test_a_task_url_with_another_scheme_is_not_stored_in_the_activity(ready, issue, sandbox):
    from integrations.asana.plugin import plugin
    from integrations.base import RemoteTask

    plugin._store(
        issue=issue,
        user=None,
        remote=RemoteTask(external_id="42", title="Odd", url="javascript:alert(1)"),
        origin=ExternalIssue.Origin.LINKED,
        activity=Activity.Kind.LINK_ISSUE,
    )
    assert Activity.objects.get(issue=issue).data["url"] == ""


def test_the_link_comment_defaults_to_the_issue_link_with_the_referrer(ready, issue):
    content = ready.get(panel_url("link", issue), headers=HTMX).content.decode()
    assert f"http://testserver/issues/{issue.pk}/?referrer=asana_plugin" in content


@pytest.mark.parametrize("value", ["http://[::1", "https://x]/task/1", "http://[::1]:x/0/1/2"])
def test_a_broken_task_url_is_a_form_error_not_a_500(ready, issue, sandbox, value):
    response = ready.post(
        panel_url("link", issue), {"issue_id": value, "comment": ""}, headers=HTMX
    )
    assert response.status_code == 400
    assert "paste an Asana task URL" in response.content.decode()
    assert not ExternalIssue.objects.exists()


@pytest.mark.parametrize("value", ["http://[::1", "https://x]/task/1"])
def test_the_autocomplete_answers_a_broken_url_query(ready, issue, value):
    response = ready.get(
        panel_url("autocomplete", issue),
        {"autocomplete_field": "issue_id", "autocomplete_query": value},
    )
    assert response.status_code == 200
    assert "issue_id" in response.json()
