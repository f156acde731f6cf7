"""The Asana panel on issue pages, against the sandbox: configure, create, link, unlink."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from integrations.asana.gids import parse_task_reference
from integrations.asana.plugin import ERR_AUTH_NOT_CONFIGURED
from integrations.models import ExternalIssue, PluginConfig
from tests.support import (
    BACKEND_AND_GRACE,
    BACKEND_PROJECT,
    ENGINEERING,
    EXISTING_TASK,
    GRACE,
    HTMX,
    clear_sandbox_log,
    configure_asana,
    connect_identity,
    fault,
    panel_url,
    sandbox_log,
)
from tracker.models import Activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def configured(project, owner):
    return configure_asana(project)


@pytest.fixture
def ready(owner_client, connected_owner, configured):
    """Ada's Tasklink account, connected to the sandbox's Ada, in a configured project."""
    return owner_client


def received(sandbox, method: str, path: str) -> list[dict]:
    return [e for e in sandbox_log(sandbox, path) if e["method"] == method and e["path"] == path]


# --- panel states -----------------------------------------------------------------------------


def test_panel_asks_owners_to_configure_and_members_to_ask(client, owner, member, issue):
    client.force_login(owner)
    content = client.get(panel_url("panel", issue), headers=HTMX).content.decode()
    assert (
        "Configure Asana" in content
        and reverse("plugin_asana_settings", args=[issue.project_id]) in content
    )
    client.force_login(member)
    content = client.get(panel_url("panel", issue), headers=HTMX).content.decode()
    assert "An owner of Acme can configure it" in content and "Configure Asana" not in content


def test_panel_without_identity_says_err_auth_not_configured(owner_client, issue, configured):
    content = owner_client.get(panel_url("panel", issue), headers=HTMX).content.decode()
    assert ERR_AUTH_NOT_CONFIGURED in content
    assert reverse("social:begin", args=["asana"]) in content
    assert f'name="next" value="{issue.get_absolute_url()}"' in content


def test_panel_with_identity_needing_reconnect_offers_reconnect(
    owner_client, owner, issue, configured, sandbox
):
    identity = connect_identity(owner, sandbox)
    identity.extra_data["needs_reconnect"] = True
    identity.save()
    content = owner_client.get(panel_url("panel", issue), headers=HTMX).content.decode()
    assert "Reconnect Asana" in content


def test_ready_panel_shows_workspace_and_actions_then_caches_workspaces(ready, issue, sandbox):
    content = ready.get(panel_url("panel", issue), headers=HTMX).content.decode()
    assert "Acme Engineering" in content and "Create task" in content
    assert "No Asana task is linked" in content
    ready.get(panel_url("panel", issue), headers=HTMX)
    assert len(received(sandbox, "GET", "/api/1.0/workspaces")) == 1


def test_loading_the_issue_page_calls_asana_zero_times(ready, issue, sandbox):
    response = ready.get(issue.get_absolute_url())
    assert response.status_code == 200 and b'id="panel-asana"' in response.content
    assert sandbox_log(sandbox) == []


def test_panel_without_javascript_is_a_whole_page(ready, issue):
    response = ready.get(panel_url("panel", issue))
    assert b"<html" in response.content and b"Create task" in response.content


# --- configure ----------------------------------------------------------------------------------


def test_owner_configures_the_workspace_and_defaults(owner_client, owner, project, sandbox):
    connect_identity(owner, sandbox)
    settings_url = reverse("plugin_asana_settings", args=[project.pk])
    page = owner_client.get(settings_url).content.decode()
    assert "Acme Engineering" in page and "Acme Marketing" in page
    response = owner_client.post(settings_url, {"workspace": ENGINEERING})
    assert response.status_code == 302
    assert PluginConfig.objects.get(project=project).options["workspace"] == ENGINEERING
    owner_client.post(
        settings_url,
        {"workspace": ENGINEERING, **BACKEND_AND_GRACE},
    )
    options = PluginConfig.objects.get(project=project).options
    assert options["project"] == BACKEND_PROJECT and options["assignee"] == GRACE


def test_non_numeric_workspace_is_refused(owner_client, owner, project, sandbox):
    connect_identity(owner, sandbox)
    response = owner_client.post(
        reverse("plugin_asana_settings", args=[project.pk]), {"workspace": "abc"}
    )
    assert response.status_code == 400
    assert b"Non-numeric workspace value" in response.content


def test_a_configured_workspace_the_person_cannot_see_stays_selectable(
    owner_client, owner, project, sandbox
):
    PluginConfig.objects.create(project=project, plugin="asana", options={"workspace": "999"})
    connect_identity(owner, sandbox, "grace@acme.test")
    page = owner_client.get(reverse("plugin_asana_settings", args=[project.pk])).content.decode()
    assert 'value="999" selected' in page
    assert "does not have access to this workspace" in page


def test_members_cannot_configure_and_outsiders_get_404(member_client, outsider, project, client):
    settings_url = reverse("plugin_asana_settings", args=[project.pk])
    assert member_client.get(settings_url).status_code == 403
    client.force_login(outsider)
    assert client.get(settings_url).status_code == 404


# --- create -------------------------------------------------------------------------------------


def test_create_form_defaults_from_the_issue(ready, issue):
    content = ready.get(panel_url("create", issue), headers=HTMX).content.decode()
    assert f'value="{issue.title}"' in content
    assert f"http://testserver/issues/{issue.pk}/?referrer=asana_plugin" in content
    assert "```" not in content and "ZeroDivisionError: division by zero" in content
    assert "Traceback (most recent call last):" in content
    assert "Acme Engineering" in content and "readonly" in content
    for label in ("Name", "Notes", "Project", "Assignee", "Workspace"):
        assert f">{label}" in content


def test_create_sends_exactly_the_fields_and_records_everything(ready, owner, issue, sandbox):
    response = ready.post(
        panel_url("create", issue),
        {
            "title": "Fix the discount",
            "description": "See the issue",
            **BACKEND_AND_GRACE,
            "idempotency_key": "a" * 32,
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Created Asana task “Fix the discount”" in response.content.decode()
    [call] = received(sandbox, "POST", "/api/1.0/tasks")
    assert call["body"] == {
        "data": {
            "name": "Fix the discount",
            "notes": "See the issue",
            "workspace": ENGINEERING,
            "projects": [BACKEND_PROJECT],
            "assignee": GRACE,
        }
    }
    task = next(t for t in sandbox.state.tasks.values() if t.name == "Fix the discount")
    assert task.notes == "See the issue"
    assert task.assignee == GRACE and BACKEND_PROJECT in task.projects
    mapping = ExternalIssue.objects.get(issue=issue)
    assert mapping.external_id == task.gid and mapping.title == "Fix the discount"
    assert mapping.url.endswith(task.gid) and mapping.created_by == owner
    activity = Activity.objects.get(issue=issue, kind=Activity.Kind.CREATE_ISSUE)
    assert activity.data["title"] == "Fix the discount" and activity.user == owner
    page = ready.get(issue.get_absolute_url()).content.decode()
    assert "created" in page and "Asana task" in page and "Fix the discount" in page


def test_create_body_is_the_json_asana_expects(ready, issue, sandbox):
    ready.post(panel_url("create", issue), {"title": "Only a name", "description": ""})
    [entry] = received(sandbox, "POST", "/api/1.0/tasks")
    assert entry["body"] == {"data": {"name": "Only a name", "notes": "", "workspace": ENGINEERING}}


def test_create_without_javascript_lands_on_the_panel_showing_the_task(ready, issue):
    response = ready.post(panel_url("create", issue), {"title": "Plain form", "description": "x"})
    assert response.status_code == 302
    assert response["Location"] == f"{issue.get_absolute_url()}#panel-asana"
    assert ExternalIssue.objects.filter(issue=issue, title="Plain form").exists()
    # The issue page lists the task inside <noscript>, where a browser without JS shows it.
    page = ready.get(issue.get_absolute_url()).content.decode()
    noscript = page.split('id="panel-asana"')[1].split("</noscript>")[0]
    assert "Plain form" in noscript


def test_typed_project_name_without_javascript_is_resolved(ready, issue, sandbox):
    ready.post(
        panel_url("create", issue),
        {"title": "Typed", "project_label": "Backend", "assignee_label": "grace"},
    )
    task = next(t for t in sandbox.state.tasks.values() if t.name == "Typed")
    assert BACKEND_PROJECT in task.projects and task.assignee == GRACE


def test_typed_project_that_matches_nothing_is_explained(ready, issue, sandbox):
    response = ready.post(
        panel_url("create", issue), {"title": "Typed", "project_label": "No such project zzz"}
    )
    assert response.status_code == 400
    assert "No Asana project matches “No such project zzz”" in response.content.decode()
    assert 'value="Typed"' in response.content.decode()


def test_missing_name_is_an_inline_error(ready, issue, sandbox):
    response = ready.post(
        panel_url("create", issue), {"title": "  ", "description": "kept notes"}, headers=HTMX
    )
    assert response.status_code == 400
    assert b"Give the task a name." in response.content or b"This field is required" in (
        response.content
    )
    assert b"kept notes" in response.content
    assert received(sandbox, "POST", "/api/1.0/tasks") == []


def test_double_submit_creates_one_task(ready, issue, sandbox):
    data = {"title": "Once", "description": "", "idempotency_key": "b" * 32}
    first = ready.post(panel_url("create", issue), data, headers=HTMX)
    second = ready.post(panel_url("create", issue), data, headers=HTMX)
    assert first.status_code == second.status_code == 200
    assert "Already created" in second.content.decode()
    assert len(received(sandbox, "POST", "/api/1.0/tasks")) == 1
    assert ExternalIssue.objects.filter(issue=issue).count() == 1


@pytest.mark.parametrize(
    ("status", "words"),
    [(500, "Asana"), (429, "try again in 30 seconds"), (403, "")],
)
def test_asana_failure_keeps_the_typed_input(ready, issue, sandbox, status, words):
    fault(sandbox, path="/api/1.0/tasks", method="POST", status=status, times=1, retry_after=30)
    response = ready.post(
        panel_url("create", issue), {"title": "Keep me", "description": "my notes"}, headers=HTMX
    )
    content = response.content.decode()
    assert response.status_code in (400, 502)
    assert 'value="Keep me"' in content and "my notes" in content
    assert "message-error" in content and words.lower() in content.lower()
    assert not ExternalIssue.objects.exists()
    retry = ready.post(panel_url("create", issue), {"title": "Keep me"}, headers=HTMX)
    assert retry.status_code == 200 and ExternalIssue.objects.count() == 1


def test_last_used_project_and_assignee_become_the_defaults(ready, issue, project):
    ready.post(
        panel_url("create", issue),
        {"title": "First", **BACKEND_AND_GRACE},
    )
    content = ready.get(panel_url("create", issue), headers=HTMX).content.decode()
    assert f'value="{BACKEND_PROJECT}"' in content and 'value="Grace Hopper"' in content


# --- link and unlink ----------------------------------------------------------------------------


def test_link_with_a_comment_posts_the_story(ready, issue, sandbox):
    response = ready.post(
        panel_url("link", issue),
        {"issue_id": EXISTING_TASK, "comment": "Seen in production"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "and commented on it" in response.content.decode()
    stories = [s for s in sandbox.state.stories.values() if s.task == EXISTING_TASK]
    assert [s.text for s in stories if s.text == "Seen in production"]
    mapping = ExternalIssue.objects.get(issue=issue)
    assert mapping.external_id == EXISTING_TASK and mapping.origin == "linked"
    assert Activity.objects.filter(kind=Activity.Kind.LINK_ISSUE).exists()


def test_link_without_a_comment_posts_no_story(ready, issue, sandbox):
    ready.post(panel_url("link", issue), {"issue_id": EXISTING_TASK, "comment": ""})
    assert received(sandbox, "POST", f"/api/1.0/tasks/{EXISTING_TASK}/stories") == []
    assert ExternalIssue.objects.filter(issue=issue).count() == 1


def test_link_form_defaults_the_comment_to_the_issue_url(ready, issue):
    content = ready.get(panel_url("link", issue), headers=HTMX).content.decode()
    assert f"http://testserver/issues/{issue.pk}/" in content


@pytest.mark.parametrize(
    "pasted",
    [
        f"https://app.asana.com/0/{BACKEND_PROJECT}/{EXISTING_TASK}",
        f"https://app.asana.com/0/{BACKEND_PROJECT}/{EXISTING_TASK}/f",
        f"https://app.asana.com/1/{ENGINEERING}/task/{EXISTING_TASK}",
        f"https://app.asana.com/1/{ENGINEERING}/project/{BACKEND_PROJECT}/task/{EXISTING_TASK}",
    ],
)
def test_a_pasted_task_url_links_the_task(ready, issue, pasted):
    ready.post(panel_url("link", issue), {"issue_id": pasted, "comment": ""})
    assert ExternalIssue.objects.get(issue=issue).external_id == EXISTING_TASK


def test_parse_task_reference_refuses_what_is_not_a_task():
    assert parse_task_reference("12345") == "12345"
    assert parse_task_reference("https://example.com/hello") is None
    assert parse_task_reference("fix the bug") is None
    assert parse_task_reference("https://app.asana.com/0/123/abc") is None


def test_linking_a_task_twice_says_so(ready, issue, sandbox):
    ready.post(panel_url("link", issue), {"issue_id": EXISTING_TASK, "comment": ""})
    response = ready.post(
        panel_url("link", issue), {"issue_id": EXISTING_TASK, "comment": ""}, headers=HTMX
    )
    assert response.status_code == 400
    assert b"already linked to this issue" in response.content
    assert ExternalIssue.objects.count() == 1


def test_linking_an_unknown_task_shows_asanas_message(ready, issue):
    response = ready.post(
        panel_url("link", issue), {"issue_id": "1999999999999999", "comment": "x"}, headers=HTMX
    )
    assert response.status_code == 400
    assert b"message-error" in response.content and b"1999999999999999" in response.content
    assert not ExternalIssue.objects.exists()


def test_unlink_removes_the_mapping_only(ready, issue, sandbox):
    ready.post(panel_url("link", issue), {"issue_id": EXISTING_TASK, "comment": ""}, headers=HTMX)
    clear_sandbox_log(sandbox)
    response = ready.post(panel_url("unlink", issue), {"issue_id": EXISTING_TASK}, headers=HTMX)
    content = response.content.decode()
    assert "The task itself was not changed in Asana" in content
    assert "No Asana task is linked" in content
    assert not ExternalIssue.objects.exists()
    assert EXISTING_TASK in sandbox.state.tasks
    assert sandbox_log(sandbox) == []
    assert Activity.objects.filter(kind=Activity.Kind.UNLINK_ISSUE).exists()


# --- autocomplete -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "query", "expected"),
    [
        ("issue_id", "N+1", f"(#{EXISTING_TASK}) Fix N+1 query"),
        ("project", "back", "Backend"),
        ("assignee", "grace", "Grace Hopper"),
    ],
)
def test_autocomplete_answers_sentrys_json_shape(ready, issue, field, query, expected):
    response = ready.get(
        panel_url("autocomplete", issue), {"autocomplete_field": field, "autocomplete_query": query}
    )
    assert response.status_code == 200
    results = json.loads(response.content)[field]
    assert any(r["text"].startswith(expected) for r in results)
    assert all(set(r) == {"text", "id"} and r["id"].isdigit() for r in results)


def test_autocomplete_for_htmx_is_an_options_fragment_and_cached(ready, issue, sandbox):
    params = {"autocomplete_field": "project", "project_label": "back"}
    first = ready.get(panel_url("autocomplete", issue), params, headers=HTMX).content.decode()
    ready.get(panel_url("autocomplete", issue), params, headers=HTMX)
    assert 'data-pick-for="id_project"' in first and "Backend" in first
    assert len(received(sandbox, "GET", f"/api/1.0/workspaces/{ENGINEERING}/typeahead")) == 1


def test_autocomplete_asana_failure_is_a_502_with_the_message_as_on_create(ready, issue, sandbox):
    # One status policy for tracker failures, whatever the action.
    fault(sandbox, path=f"/api/1.0/workspaces/{ENGINEERING}/typeahead", status=500, times=2)
    response = ready.get(
        panel_url("autocomplete", issue),
        {"autocomplete_field": "project", "autocomplete_query": "x"},
    )
    assert response.status_code == 502
    assert json.loads(response.content)["error"].startswith("Asana is having trouble (HTTP 500)")


def test_autocomplete_refuses_unknown_fields(ready, issue):
    response = ready.get(panel_url("autocomplete", issue), {"autocomplete_field": "password"})
    assert response.status_code == 400


# --- who may do what ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["panel", "create", "link", "autocomplete", "tasks"])
def test_outsider_gets_404_on_every_plugin_url(client, outsider, issue, configured, name):
    client.force_login(outsider)
    assert client.get(panel_url(name, issue)).status_code == 404


@pytest.mark.parametrize("name", ["create", "link", "unlink"])
def test_outsider_cannot_act(client, outsider, issue, configured, name):
    client.force_login(outsider)
    response = client.post(panel_url(name, issue), {"title": "x", "issue_id": EXISTING_TASK})
    assert response.status_code == 404
    assert not ExternalIssue.objects.exists()


# --- the issue list -----------------------------------------------------------------------------


def test_issue_list_marks_and_filters_issues_with_tasks(ready, issue, project):
    from tracker.models import Issue

    other = Issue.objects.create(project=project, title="Unlinked issue")
    ready.post(panel_url("link", issue), {"issue_id": EXISTING_TASK, "comment": ""})
    linked = ready.get(reverse("issue_list") + "?linked=linked").content.decode()
    assert issue.title in linked and other.title not in linked and "badge-asana" in linked
    unlinked = ready.get(reverse("issue_list") + "?linked=unlinked").content.decode()
    assert other.title in unlinked and issue.title not in unlinked


def test_status_sync_shows_a_task_completed_in_asana(ready, issue, sandbox):
    ready.post(panel_url("link", issue), {"issue_id": EXISTING_TASK, "comment": ""})
    # Right after linking, the sync uses what Asana just answered.
    ready.get(panel_url("tasks", issue), headers=HTMX)
    assert len(received(sandbox, "GET", f"/api/1.0/tasks/{EXISTING_TASK}")) == 1
    # A minute later the sync reads the task again and sees it completed in Asana.
    sandbox.state.tasks[EXISTING_TASK].completed = True
    cache.clear()
    content = ready.get(panel_url("tasks", issue), headers=HTMX).content.decode()
    assert "Completed" in content and 'hx-swap-oob="true"' in content
    assert ExternalIssue.objects.get(issue=issue).completed is True
    assert len(received(sandbox, "GET", f"/api/1.0/tasks/{EXISTING_TASK}")) == 2


def test_browser_line_breaks_reach_asana_as_newlines(ready, issue, sandbox):
    ready.post(panel_url("create", issue), {"title": "Lines", "description": "one\r\ntwo"})
    task = next(t for t in sandbox.state.tasks.values() if t.name == "Lines")
    assert task.notes == "one\ntwo"


def test_typed_default_project_name_without_javascript_is_resolved(ready, project):
    response = ready.post(
        reverse("plugin_asana_settings", args=[project.pk]),
        {"workspace": ENGINEERING, "project_label": "Backend"},
    )
    assert response.status_code == 302
    options = PluginConfig.objects.get(project=project).options
    assert options["project"] == BACKEND_PROJECT and options["project_label"] == "Backend"


def test_typed_default_that_matches_nothing_is_explained(ready, project):
    response = ready.post(
        reverse("plugin_asana_settings", args=[project.pk]),
        {"workspace": ENGINEERING, "assignee_label": "Nobody At All"},
    )
    assert response.status_code == 400
    assert "No Asana assignee matches “Nobody At All”" in response.content.decode()
    assert PluginConfig.objects.get(project=project).options.get("assignee", "") == ""


# --- resolution follows to Asana (opt-in per project) --------------------------------------------


# Resolution sync runs on the worker now: tests/rules/test_resolution.py.


def test_resolution_is_not_followed_unless_the_project_asks(ready, issue, sandbox):
    ready.post(panel_url("link", issue), {"issue_id": EXISTING_TASK, "comment": ""})
    ready.post(reverse("issue_set_status", args=[issue.pk]), {"status": "resolved"})
    assert sandbox.state.tasks[EXISTING_TASK].completed is False
    assert received(sandbox, "PUT", f"/api/1.0/tasks/{EXISTING_TASK}") == []


def test_the_settings_page_saves_the_resolution_option(ready, project, configured):
    response = ready.post(
        reverse("plugin_asana_settings", args=[project.pk]),
        {"workspace": ENGINEERING, "sync_resolution": "on"},
    )
    assert response.status_code == 302
    assert PluginConfig.objects.get(project=project).options["sync_resolution"] is True


def test_resolving_without_an_identity_says_the_tasks_were_not_updated(
    ready, member, issue, configured, sandbox, client
):
    configured.options["sync_resolution"] = True
    configured.save()
    ready.post(panel_url("link", issue), {"issue_id": EXISTING_TASK, "comment": ""})
    client.force_login(member)
    response = client.post(
        reverse("issue_set_status", args=[issue.pk]), {"status": "resolved"}, follow=True
    )
    assert "The linked Asana tasks were not updated" in response.content.decode()
    assert sandbox.state.tasks[EXISTING_TASK].completed is False
