"""AsanaClient's methods: the endpoint, parameters and exact bodies each one sends."""

from __future__ import annotations

import json

import pytest
from responses import matchers

from integrations.asana.client import AsanaClient
from integrations.exceptions import ApiError
from tests.support import API


def sent_json(fake_asana, index: int = -1) -> dict:
    return json.loads(fake_asana.calls[index].request.body)


def query(**params: str) -> list:
    return [matchers.query_param_matcher(params)]


def test_base_url_follows_settings(identity, settings):
    settings.ASANA_BASE_URL = "http://127.0.0.1:9999/"

    assert AsanaClient(auth=identity).base_url == "http://127.0.0.1:9999/api/1.0"


def test_get_workspaces_follows_next_page_to_the_end(fake_asana, identity):
    fake_asana.get(
        API + "/workspaces",
        match=query(limit="100"),
        json={
            "data": [{"gid": "1", "name": "Acme"}],
            "next_page": {"offset": "b2Zmc2V0", "path": "/workspaces?limit=100&offset=b2Zmc2V0"},
        },
    )
    fake_asana.get(
        API + "/workspaces",
        match=query(limit="100", offset="b2Zmc2V0"),
        json={"data": [{"gid": "2", "name": "Globex"}], "next_page": None},
    )

    answer = AsanaClient(auth=identity).get_workspaces()

    assert answer == {"data": [{"gid": "1", "name": "Acme"}, {"gid": "2", "name": "Globex"}]}
    assert len(fake_asana.calls) == 2


def test_get_projects_lists_unarchived_projects_of_all_pages(fake_asana, identity):
    fake_asana.get(
        API + "/workspaces/11/projects",
        match=query(archived="false", limit="100"),
        json={"data": [{"gid": "5", "name": "Backend"}], "next_page": {"offset": "abc"}},
    )
    fake_asana.get(
        API + "/workspaces/11/projects",
        match=query(archived="false", limit="100", offset="abc"),
        json={"data": [{"gid": "6", "name": "Web"}], "next_page": None},
    )

    answer = AsanaClient(auth=identity).get_projects("11")

    assert [p["gid"] for p in answer["data"]] == ["5", "6"]


def test_list_without_data_is_a_malformed_answer(fake_asana, identity):
    fake_asana.get(API + "/workspaces", json={"workspaces": []})

    with pytest.raises(ApiError, match="malformed"):
        AsanaClient(auth=identity).get_workspaces()


def test_get_issue_asks_for_the_fields_the_plugin_shows(fake_asana, identity):
    task = {"data": {"gid": "42", "name": "Crash", "permalink_url": "https://app.asana.com/x"}}
    fake_asana.get(
        API + "/tasks/42",
        match=query(
            opt_fields=(
                "name,permalink_url,completed,assignee.name,projects.name,workspace.name,due_on,"
                "memberships.project.name,memberships.section.name,modified_at"
            )
        ),
        json=task,
    )

    assert AsanaClient(auth=identity).get_issue(42) == task


def test_create_issue_sends_exactly_asanas_task_body(fake_asana, identity):
    created = {"data": {"gid": "77", "name": "ZeroDivisionError"}}
    fake_asana.post(API + "/tasks", status=201, json=created)

    answer = AsanaClient(auth=identity).create_issue(
        11,
        {
            "title": "ZeroDivisionError",
            "description": "In compute_discount",
            "project": 5,
            "assignee": 3,
        },
    )

    assert answer == created
    assert sent_json(fake_asana) == {
        "data": {
            "name": "ZeroDivisionError",
            "notes": "In compute_discount",
            "workspace": "11",
            "projects": ["5"],
            "assignee": "3",
        }
    }


def test_create_issue_leaves_out_empty_project_and_assignee(fake_asana, identity):
    fake_asana.post(API + "/tasks", status=201, json={"data": {"gid": "77"}})

    AsanaClient(auth=identity).create_issue(
        "11", {"title": "Crash", "description": "", "project": "", "assignee": None}
    )

    assert sent_json(fake_asana) == {"data": {"name": "Crash", "notes": "", "workspace": "11"}}


def test_create_comment_sends_the_comment_as_story_text(fake_asana, identity):
    fake_asana.post(API + "/tasks/42/stories", status=201, json={"data": {"gid": "8"}})

    answer = AsanaClient(auth=identity).create_comment("42", {"comment": "Linked from Tasklink"})

    assert answer == {"data": {"gid": "8"}}
    assert sent_json(fake_asana) == {"data": {"text": "Linked from Tasklink"}}


def test_search_uses_resource_type_not_the_deprecated_type(fake_asana, identity):
    fake_asana.get(
        API + "/workspaces/11/typeahead",
        match=query(resource_type="task", query="crash", count="20", opt_fields="name"),
        json={"data": [{"gid": "42", "name": "Crash on launch"}]},
    )

    answer = AsanaClient(auth=identity).search("11", "task", "crash")

    assert answer == {"data": [{"gid": "42", "name": "Crash on launch"}]}


def test_search_for_people_asks_for_their_email(fake_asana, identity):
    fake_asana.get(
        API + "/workspaces/11/typeahead",
        match=query(resource_type="user", query="ada", count="20", opt_fields="name,email"),
        json={"data": []},
    )

    AsanaClient(auth=identity).search("11", "user", "ada")


def test_get_me(fake_asana, identity):
    fake_asana.get(API + "/users/me", json={"data": {"gid": "3"}})

    assert AsanaClient(auth=identity).get_me() == {"data": {"gid": "3"}}


@pytest.mark.parametrize(
    "bad",
    ["../users/me", "42?opt_fields=email", "42/stories", "", " ", "4 2", "１２", "²", "abc", None],
)
@pytest.mark.parametrize(
    "call",
    [
        lambda client, gid: client.get_issue(gid),
        lambda client, gid: client.create_comment(gid, {"comment": "hi"}),
        lambda client, gid: client.search(gid, "task", "q"),
        lambda client, gid: client.get_projects(gid),
        lambda client, gid: client.create_issue(gid, {"title": "t"}),
        lambda client, gid: client.create_issue("1", {"title": "t", "project": gid or "x"}),
    ],
)
def test_ids_that_are_not_numbers_are_refused_before_any_call(fake_asana, identity, bad, call):
    with pytest.raises(ApiError) as caught:
        call(AsanaClient(auth=identity), bad)

    assert caught.value.status == 400
    assert "not a valid Asana ID" in str(caught.value)
    assert len(fake_asana.calls) == 0
