"""The contract: Asana's official Python SDK (asana 5.x) works against the sandbox unchanged.

If the SDK, written from Asana's spec, can list, create, read, search and comment with no error,
the sandbox speaks Asana closely enough for Tasklink's own client.
"""

from __future__ import annotations

import json

import asana
import pytest
from asana.rest import ApiException

from asana_sandbox.state import iso

from .helpers import ADA, client_for, configure
from .receiver import start_receiver


@pytest.fixture
def sdk(sandbox) -> asana.ApiClient:
    configuration = asana.Configuration()
    configuration.host = sandbox.url + "/api/1.0"
    configuration.access_token = client_for(sandbox, ADA).token
    return asana.ApiClient(configuration)


def test_the_sdk_lists_creates_reads_searches_and_comments(sdk, sandbox, seed):
    workspaces = list(asana.WorkspacesApi(sdk).get_workspaces({}))
    engineering = next(w for w in workspaces if w["name"] == "Acme Engineering")
    projects = list(asana.ProjectsApi(sdk).get_projects_for_workspace(engineering["gid"], {}))
    backend = next(p for p in projects if p["name"] == "Backend")
    me = asana.UsersApi(sdk).get_user("me", {})

    tasks = asana.TasksApi(sdk)
    created = tasks.create_task(
        {
            "data": {
                "name": "Sentry: KeyError in checkout",
                "notes": "http://tasklink.test/issues/7/",
                "projects": [backend["gid"]],
                "assignee": me["gid"],
            }
        },
        {"opt_fields": "name,permalink_url,assignee.name,projects.name"},
    )
    read = tasks.get_task(created["gid"], {})
    found = list(
        asana.TypeaheadApi(sdk).typeahead_for_workspace(
            engineering["gid"], "task", {"query": "keyerror", "count": 10}
        )
    )
    story = asana.StoriesApi(sdk).create_story_for_task(
        {"data": {"text": "Linked from Tasklink."}}, created["gid"], {}
    )
    stories = list(asana.StoriesApi(sdk).get_stories_for_task(created["gid"], {}))

    assert [w["name"] for w in workspaces] == ["Acme Engineering", "Acme Marketing"]
    assert me["email"] == ADA
    assert created["assignee"]["name"] == "Ada Lovelace"
    assert created["projects"] == [
        {"gid": backend["gid"], "resource_type": "project", "name": "Backend"}
    ]
    assert created["permalink_url"].startswith(sandbox.url + "/0/")
    assert read["name"] == "Sentry: KeyError in checkout"
    assert read["workspace"]["gid"] == engineering["gid"]
    assert [t["gid"] for t in found] == [created["gid"]]
    assert story["text"] == "Linked from Tasklink."
    assert [s["gid"] for s in stories] == [story["gid"]]


def test_the_sdk_follows_next_page_through_a_long_list(sdk, sandbox):
    configuration = sdk.configuration
    configuration.page_limit = 1  # one item per request: the SDK must follow next_page

    workspaces = list(asana.WorkspacesApi(sdk).get_workspaces({}))
    log = sandbox.state.request_log

    assert [w["name"] for w in workspaces] == ["Acme Engineering", "Acme Marketing"]
    assert [e.query.get("limit") for e in log] == ["1", "1"]
    assert "offset" in log[1].query


def test_the_sdk_raises_its_own_error_for_asanas_errors(sdk):
    with pytest.raises(ApiException) as raised:
        asana.TasksApi(sdk).get_task("123", {})

    assert raised.value.status == 404
    assert json.loads(raised.value.body)["errors"][0]["message"] == "task: Unknown object: 123"


def test_the_sdk_establishes_lists_updates_and_deletes_webhooks(sdk, sandbox, seed):
    configure(sandbox, allow_local_webhooks=True)
    receiver, server = start_receiver()
    hooks = asana.WebhooksApi(sdk)
    try:
        created = hooks.create_webhook(
            {"data": {"resource": seed["backend"], "target": receiver.url}}, {}
        )
        listed = list(hooks.get_webhooks(seed["engineering"], {"resource": seed["backend"]}))
        filters = [{"resource_type": "task", "action": "changed", "fields": ["completed"]}]
        updated = hooks.update_webhook({"data": {"filters": filters}}, created["gid"], {})
        hooks.delete_webhook(created["gid"])
    finally:
        server.shutdown()
        server.server_close()

    assert created["resource"]["gid"] == seed["backend"] and created["active"] is True
    assert [w["gid"] for w in listed] == [created["gid"]]
    assert updated["filters"] == filters
    assert sandbox.state.webhooks == {}


def test_the_sdk_lists_a_projects_tasks_modified_since(sdk, sandbox, seed):
    tasks = asana.TasksApi(sdk)
    since = iso(sandbox.state.now() + 60)  # after every change so far
    query = {"project": seed["backend"], "modified_since": since, "opt_fields": "name,completed"}
    assert list(tasks.get_tasks(query)) == []
    every = list(tasks.get_tasks({"project": seed["backend"], "opt_fields": "modified_at"}))
    assert seed["engineering_task"] in [t["gid"] for t in every]
    assert all(t["modified_at"] for t in every)
