"""GET /tasks: a project's tasks, optionally only those modified since a moment (reconciliation)."""

from __future__ import annotations

import requests

from asana_sandbox.state import iso

from .helpers import client_for, error_message


def gids(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [t["gid"] for t in answer.json()["data"]]


def test_a_projects_tasks(ada, seed, sandbox):
    expected = sorted(
        (t.gid for t in sandbox.state.tasks.values() if seed["backend"] in t.projects), key=int
    )
    assert expected
    assert gids(ada.get("/tasks", params={"project": seed["backend"]})) == expected


def test_only_the_tasks_modified_since(ada, seed, sandbox):
    task = seed["engineering_task"]
    other = next(
        t.gid
        for t in sandbox.state.tasks.values()
        if seed["backend"] in t.projects and t.gid != task
    )
    requests.post(f"{sandbox.url}/_sandbox/advance-clock", json={"seconds": 5}, timeout=5)
    query = {"project": seed["backend"], "modified_since": iso(sandbox.state.now())}
    assert gids(ada.get("/tasks", params=query)) == []  # nothing modified since
    ada.put(f"/tasks/{task}", json={"data": {"completed": True}})
    assert gids(ada.get("/tasks", params=query)) == [task]
    ada.post(f"/tasks/{other}/stories", json={"data": {"text": "Hi"}})
    # A new story modifies its task too, as Asana documents.
    assert gids(ada.get("/tasks", params=query)) == sorted([task, other], key=int)


def test_opt_fields_and_paging(ada, seed):
    query = {"project": seed["backend"], "opt_fields": "name,completed,modified_at", "limit": 1}
    first = ada.get("/tasks", params=query).json()
    assert set(first["data"][0]) == {"gid", "resource_type", "name", "completed", "modified_at"}
    if first["next_page"]:
        second = ada.get("/tasks", params={**query, "offset": first["next_page"]["offset"]})
        assert second.json()["data"][0]["gid"] != first["data"][0]["gid"]


def test_a_project_or_an_assignee_and_workspace_is_required(ada, seed):
    answer = ada.get("/tasks")
    assert answer.status_code == 400
    assert "project" in error_message(answer)
    mine = ada.get("/tasks", params={"assignee": "me", "workspace": seed["engineering"]})
    assert mine.status_code == 200


def test_a_bad_moment_is_400(ada, seed):
    answer = ada.get("/tasks", params={"project": seed["backend"], "modified_since": "yesterday"})
    assert answer.status_code == 400
    assert "modified_since" in error_message(answer)


def test_someone_outside_the_workspace_gets_403(sandbox, seed):
    katherine = client_for(sandbox, "katherine@acme.test")
    assert katherine.get("/tasks", params={"project": seed["backend"]}).status_code == 403
