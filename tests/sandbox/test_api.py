"""The REST subset under /api/1.0: shapes, paging, opt_fields, typeahead, writes, visibility."""

from __future__ import annotations

import re

import pytest
import requests

from .helpers import GRACE, bearer, client_for, error_message

HELP = "https://developers.asana.com/docs/errors"


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YWRhOng="}],
    ids=["missing", "unknown", "not-bearer"],
)
def test_a_request_without_a_live_token_is_401_not_authorized(sandbox, headers):
    answer = requests.get(f"{sandbox.url}/api/1.0/users/me", headers=headers, timeout=5)

    assert answer.status_code == 401
    assert answer.headers["Content-Type"] == "application/json; charset=UTF-8"
    (error,) = answer.json()["errors"]
    assert error["message"] == "Not Authorized"
    assert HELP in error["help"]


def test_an_unknown_route_is_404_no_matching_route(ada):
    for answer in (ada.get("/nothing/here"), ada.put("/workspaces")):
        assert answer.status_code == 404
        assert error_message(answer) == "No matching route for request"


# --- users and workspaces ----------------------------------------------------------------------


def test_users_me_is_the_full_user_with_workspaces(ada, seed):
    data = ada.get("/users/me").json()["data"]

    assert data["gid"] == seed["ada"]
    assert data["resource_type"] == "user"
    assert data["name"] == "Ada Lovelace"
    assert data["email"] == "ada@acme.test"
    assert [w["name"] for w in data["workspaces"]] == ["Acme Engineering", "Acme Marketing"]


def test_users_by_gid_or_email_within_shared_workspaces(ada, katherine, seed):
    assert ada.get(f"/users/{seed['grace']}").json()["data"]["email"] == GRACE
    assert ada.get(f"/users/{GRACE}").json()["data"]["gid"] == seed["grace"]
    assert katherine.get(f"/users/{seed['grace']}").status_code == 403
    assert ada.get("/users/1299999999999999").status_code == 404


def test_workspaces_are_only_the_persons_own(ada, katherine):
    ada_names = [w["name"] for w in ada.get("/workspaces").json()["data"]]
    katherine_answer = katherine.get("/workspaces").json()

    assert ada_names == ["Acme Engineering", "Acme Marketing"]
    assert [w["name"] for w in katherine_answer["data"]] == ["Acme Marketing"]
    assert set(katherine_answer["data"][0]) == {"gid", "resource_type", "name"}
    assert all(isinstance(w["gid"], str) and w["gid"].isdigit() for w in katherine_answer["data"])


def test_a_workspace_reads_as_its_full_record(ada, seed):
    data = ada.get(f"/workspaces/{seed['engineering']}").json()["data"]

    assert data == {
        "gid": seed["engineering"],
        "resource_type": "workspace",
        "name": "Acme Engineering",
        "is_organization": False,
        "email_domains": ["acme.test"],
    }


# --- pagination --------------------------------------------------------------------------------


def test_paging_through_workspaces_with_limit_and_next_page(ada, sandbox):
    first = ada.get("/workspaces", params={"limit": 1}).json()
    next_page = first["next_page"]
    second = ada.get("/workspaces", params={"limit": 1, "offset": next_page["offset"]}).json()

    assert [w["name"] for w in first["data"]] == ["Acme Engineering"]
    assert isinstance(next_page["offset"], str)
    assert next_page["path"] == f"/workspaces?limit=1&offset={next_page['offset']}"
    assert next_page["uri"] == f"{sandbox.url}/api/1.0{next_page['path']}"
    assert [w["name"] for w in second["data"]] == ["Acme Marketing"]
    assert second["next_page"] is None


def test_next_page_uri_can_be_followed_as_is(ada):
    first = ada.get("/workspaces?limit=1&opt_fields=name").json()

    second = requests.get(first["next_page"]["uri"], headers=bearer(ada.token), timeout=5).json()

    assert second["data"][0]["name"] == "Acme Marketing"
    assert "opt_fields=name" in first["next_page"]["path"]


def test_without_limit_everything_comes_back_and_no_next_page(ada):
    answer = ada.get("/workspaces").json()

    assert len(answer["data"]) == 2
    assert "next_page" not in answer


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_a_limit_outside_1_to_100_is_400(ada, limit):
    answer = ada.get("/workspaces", params={"limit": limit})

    assert answer.status_code == 400
    assert error_message(answer).startswith("limit:")


def test_an_offset_asana_did_not_issue_is_400(ada, seed):
    projects_offset = ada.get(f"/workspaces/{seed['engineering']}/projects?limit=1").json()[
        "next_page"
    ]["offset"]

    for offset in ("garbage", projects_offset):
        answer = ada.get("/workspaces", params={"limit": 1, "offset": offset})
        assert answer.status_code == 400
        assert error_message(answer) == "offset: Your pagination token is invalid."


def test_projects_of_a_workspace_page_through_them_all(ada, seed):
    names, params = [], {"limit": 3}
    while True:
        answer = ada.get(f"/workspaces/{seed['engineering']}/projects", params=params).json()
        names += [p["name"] for p in answer["data"]]
        if answer["next_page"] is None:
            break
        params["offset"] = answer["next_page"]["offset"]

    assert names == ["Backend", "Web App", "Mobile", "Infrastructure"]


def test_projects_can_be_filtered_by_archived(ada, sandbox, seed):
    sandbox.state.projects[seed["backend"]].archived = True

    archived = ada.get(f"/workspaces/{seed['engineering']}/projects?archived=true").json()
    active = ada.get(f"/workspaces/{seed['engineering']}/projects?archived=false").json()

    assert [p["name"] for p in archived["data"]] == ["Backend"]
    assert "Backend" not in [p["name"] for p in active["data"]]


# --- visibility --------------------------------------------------------------------------------


def test_a_workspace_the_person_is_not_in_is_403(katherine, seed):
    for path in (
        f"/workspaces/{seed['engineering']}",
        f"/workspaces/{seed['engineering']}/projects",
        f"/workspaces/{seed['engineering']}/typeahead?resource_type=task",
    ):
        answer = katherine.get(path)
        assert answer.status_code == 403, path
        assert HELP in answer.json()["errors"][0]["help"]


def test_a_task_in_a_workspace_the_person_is_not_in_is_403(katherine, seed):
    assert katherine.get(f"/tasks/{seed['engineering_task']}").status_code == 403
    assert katherine.get(f"/tasks/{seed['engineering_task']}/stories").status_code == 403
    assert (
        katherine.post(
            f"/tasks/{seed['engineering_task']}/stories", json={"data": {"text": "hi"}}
        ).status_code
        == 403
    )
    assert katherine.get(f"/tasks/{seed['marketing_task']}").status_code == 200


def test_an_unknown_gid_is_404_unknown_object(ada):
    task = ada.get("/tasks/123")
    workspace = ada.get("/workspaces/1299999999999999/projects")

    assert task.status_code == 404
    assert error_message(task) == "task: Unknown object: 123"
    assert workspace.status_code == 404
    assert error_message(workspace) == "workspace: Unknown object: 1299999999999999"


def test_a_gid_that_is_not_a_number_is_400(ada):
    answer = ada.get("/tasks/abc")

    assert answer.status_code == 400
    assert error_message(answer) == "task: Not a recognized ID: abc"


# --- typeahead ---------------------------------------------------------------------------------


def typeahead(client, workspace: str, **params) -> requests.Response:
    return client.get(f"/workspaces/{workspace}/typeahead", params=params)


def test_typeahead_finds_tasks_by_case_insensitive_substring(ada, seed):
    answer = typeahead(ada, seed["engineering"], resource_type="task", query="FIX")

    data = answer.json()["data"]
    assert answer.status_code == 200
    assert data and all("fix" in t["name"].lower() for t in data)
    assert all(set(t) == {"gid", "name", "resource_type"} for t in data)
    assert all(t["resource_type"] == "task" for t in data)


def test_typeahead_matches_word_prefixes_and_ranks_them_first(ada, seed):
    data = typeahead(ada, seed["engineering"], resource_type="task", query="time").json()["data"]

    assert data[0]["name"] == "Fix timezone bug in the activity feed"


def test_typeahead_stays_in_its_workspace(ada, seed):
    engineering = typeahead(ada, seed["engineering"], resource_type="task", query="").json()
    marketing = typeahead(ada, seed["marketing"], resource_type="task", count=100).json()

    state_tasks = ada.sandbox.state.tasks
    assert all(state_tasks[t["gid"]].workspace == seed["engineering"] for t in engineering["data"])
    assert {t["name"] for t in marketing["data"]} >= {"New pricing page copy", "October newsletter"}
    in_marketing = [t for t in state_tasks.values() if t.workspace == seed["marketing"]]
    assert len(marketing["data"]) == len(in_marketing) == 9


def test_typeahead_empty_query_returns_some_and_count_limits_them(ada, seed):
    default = typeahead(ada, seed["engineering"], resource_type="task").json()["data"]
    two = typeahead(ada, seed["engineering"], resource_type="task", count=2).json()["data"]

    assert len(default) == 20
    assert len(two) == 2


@pytest.mark.parametrize("count", ["0", "101", "many"])
def test_typeahead_count_outside_1_to_100_is_400(ada, seed, count):
    answer = typeahead(ada, seed["engineering"], resource_type="task", count=count)

    assert answer.status_code == 400


def test_typeahead_finds_projects_with_the_deprecated_type_parameter(ada, seed):
    data = typeahead(ada, seed["engineering"], type="project", query="inf").json()["data"]

    assert [p["name"] for p in data] == ["Infrastructure"]
    assert data[0]["resource_type"] == "project"


def test_typeahead_finds_people_by_name_or_email_among_members(ada, seed):
    by_name = typeahead(ada, seed["engineering"], resource_type="user", query="gra").json()
    by_email = typeahead(ada, seed["engineering"], resource_type="user", query="grace@").json()
    outsider = typeahead(ada, seed["engineering"], resource_type="user", query="kath").json()

    assert [u["name"] for u in by_name["data"]] == ["Grace Hopper"]
    assert [u["name"] for u in by_email["data"]] == ["Grace Hopper"]
    assert outsider["data"] == []


def test_typeahead_defaults_to_users_and_refuses_unknown_types(ada, seed):
    default = typeahead(ada, seed["marketing"]).json()["data"]
    unknown = typeahead(ada, seed["marketing"], resource_type="spaceship")

    assert {u["resource_type"] for u in default} == {"user"}
    assert unknown.status_code == 400
    assert typeahead(ada, seed["marketing"], resource_type="tag").json()["data"] == []


def test_typeahead_honours_opt_fields(ada, seed):
    data = typeahead(
        ada, seed["engineering"], resource_type="task", query="fix", opt_fields="name,completed"
    ).json()["data"]

    assert set(data[0]) == {"gid", "resource_type", "name", "completed"}


# --- creating and reading tasks ----------------------------------------------------------------


def create(client, **data) -> requests.Response:
    return client.post("/tasks", json={"data": data})


def test_create_task_in_a_project_answers_201_with_the_full_task(ada, sandbox, seed, compact):
    answer = create(
        ada,
        projects=[seed["backend"]],
        name="Crash in checkout",
        notes="Seen 12 times.\nhttp://tasklink.test/issues/1/",
        assignee=GRACE,
    )

    assert answer.status_code == 201
    task = answer.json()["data"]
    assert re.fullmatch(r"\d{16}", task["gid"])
    assert answer.headers["Location"] == f"{sandbox.url}/api/1.0/tasks/{task['gid']}"
    assert task["resource_type"] == "task"
    assert task["name"] == "Crash in checkout"
    assert task["notes"] == "Seen 12 times.\nhttp://tasklink.test/issues/1/"
    assert task["completed"] is False
    assert task["assignee"] == compact["grace"]
    assert task["projects"] == [compact["backend"]]
    assert task["workspace"]["gid"] == seed["engineering"]
    assert task["permalink_url"] == f"{sandbox.url}/0/{seed['backend']}/{task['gid']}"
    assert task["created_at"].endswith("Z")
    assert sandbox.state.tasks[task["gid"]].name == "Crash in checkout"


def test_create_task_in_a_workspace_only_links_to_project_0(ada, sandbox, seed):
    task = create(ada, workspace=seed["marketing"], name="Loose task", assignee="me").json()["data"]

    assert task["projects"] == []
    assert task["assignee"]["gid"] == seed["ada"]
    assert task["permalink_url"] == f"{sandbox.url}/0/0/{task['gid']}"


def test_the_permalink_leads_to_a_page_showing_the_task(ada, seed):
    task = create(ada, projects=[seed["backend"]], name="Visible <b>task</b>").json()["data"]
    workspace_link = f"{ada.sandbox.url}/1/{seed['engineering']}/task/{task['gid']}"

    for url in (task["permalink_url"], workspace_link):
        page = requests.get(url, timeout=5)
        assert page.status_code == 200
        assert "Visible &lt;b&gt;task&lt;/b&gt;" in page.text
    assert requests.get(f"{ada.sandbox.url}/0/0/999", timeout=5).status_code == 404


def test_create_task_needs_a_workspace_or_projects(ada):
    answer = create(ada, name="Nowhere")

    assert answer.status_code == 400
    assert error_message(answer) == "You should specify one of workspace, parent, projects"
    assert HELP in answer.json()["errors"][0]["help"]


def test_create_task_with_an_unknown_project_is_400(ada):
    answer = create(ada, projects=["1299999999999999"], name="x")

    assert answer.status_code == 400
    assert error_message(answer) == "projects: [0]: Unknown object: 1299999999999999"


def test_create_task_with_an_unknown_assignee_is_400(ada, seed):
    for assignee in ("1299999999999999", "nobody@acme.test", seed["katherine"]):
        answer = create(ada, workspace=seed["engineering"], name="x", assignee=assignee)
        assert answer.status_code == 400, assignee
        assert error_message(answer) == f"assignee: Not a user in Workspace: {seed['engineering']}"


def test_create_task_refuses_a_project_of_another_workspace(ada, seed):
    answer = create(ada, workspace=seed["engineering"], projects=[seed["website"]], name="x")

    assert answer.status_code == 400


def test_create_task_in_a_workspace_the_person_is_not_in_is_403(katherine, seed):
    assert create(katherine, workspace=seed["engineering"], name="x").status_code == 403
    assert create(katherine, projects=[seed["backend"]], name="x").status_code == 403


def test_create_task_from_html_notes_keeps_both_forms(ada, seed):
    html = "<body>Seen <strong>12</strong> times</body>"

    task = create(ada, workspace=seed["engineering"], html_notes=html).json()["data"]

    assert task["html_notes"] == html
    assert task["notes"] == "Seen 12 times"


def test_create_task_refuses_rich_text_tags_asana_does_not_support(ada, seed):
    html = "<body><script>alert(1)</script><pre>trace</pre></body>"

    answer = create(ada, workspace=seed["engineering"], html_notes=html)

    assert answer.status_code == 400
    assert error_message(answer) == "html_notes: Rich text tag <script> is not supported"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Could not parse request data, invalid JSON"),
        (b'{"name": "x"}', "data: Missing input"),
        (b'{"data": {"workspace": "1"}, "extra": 1}', None),
    ],
)
def test_create_task_refuses_a_malformed_body(ada, body, message):
    answer = ada.post("/tasks", data=body, headers={"Content-Type": "application/json"})

    assert answer.status_code == 400
    if message:
        assert error_message(answer) == message


@pytest.mark.parametrize(
    "data",
    [
        {"html_notes": "<p>not in a body</p>"},
        {"html_notes": "<body><b>unclosed</body>"},
        {"due_on": "next tuesday"},
        {"name": 42},
        {"completed": "yes"},
        {"projects": "not-a-list"},
    ],
)
def test_create_task_refuses_bad_fields(ada, seed, data):
    data = {"workspace": seed["engineering"], **data}

    assert create(ada, **data).status_code == 400


def test_get_task_answers_the_fields_tasklink_reads(ada, seed, compact):
    task = ada.get(f"/tasks/{seed['engineering_task']}").json()["data"]

    assert task["name"] == "Fix N+1 query on the issue list endpoint"
    for field in ("permalink_url", "completed", "notes", "created_at", "modified_at"):
        assert field in task
    assert task["assignee"] == compact["grace"]
    assert task["projects"] == [compact["backend"]]
    assert task["workspace"] == compact["engineering"]


def test_opt_fields_answers_gid_resource_type_and_only_what_was_asked(ada, seed, compact):
    answer = ada.get(
        f"/tasks/{seed['engineering_task']}",
        params={"opt_fields": "name,assignee.name,projects.name,workspace,completed"},
    )

    task = answer.json()["data"]
    assert set(task) == {
        "gid",
        "resource_type",
        "name",
        "assignee",
        "projects",
        "workspace",
        "completed",
    }
    assert task["assignee"] == compact["grace"]
    assert task["projects"] == [compact["backend"]]
    # A field named without sub-fields answers just the object's identity.
    assert task["workspace"] == {"gid": seed["engineering"], "resource_type": "workspace"}


def test_opt_fields_applies_to_lists_too(ada):
    data = ada.get("/workspaces", params={"opt_fields": "is_organization"}).json()["data"]

    assert set(data[0]) == {"gid", "resource_type", "is_organization"}


def test_update_task_completes_it(ada, seed):
    answer = ada.put(f"/tasks/{seed['engineering_task']}", json={"data": {"completed": True}})

    task = answer.json()["data"]
    assert answer.status_code == 200
    assert task["completed"] is True
    assert task["completed_at"] is not None
    reopened = ada.put(f"/tasks/{seed['engineering_task']}", json={"data": {"completed": False}})
    assert reopened.json()["data"]["completed_at"] is None


def test_update_task_cannot_move_it_between_projects(ada, seed):
    answer = ada.put(f"/tasks/{seed['engineering_task']}", json={"data": {"projects": []}})

    assert answer.status_code == 400
    assert error_message(answer) == "projects: Cannot write this property"


# --- stories -----------------------------------------------------------------------------------


def test_post_a_comment_and_read_it_back(ada, seed):
    path = f"/tasks/{seed['engineering_task']}/stories"

    posted = ada.post(path, json={"data": {"text": "Linked from Tasklink: 3 < 4"}})

    assert posted.status_code == 201
    story = posted.json()["data"]
    assert story["resource_type"] == "story"
    assert story["resource_subtype"] == "comment_added"
    assert story["type"] == "comment"
    assert story["text"] == "Linked from Tasklink: 3 < 4"
    assert story["html_text"] == "<body>Linked from Tasklink: 3 &lt; 4</body>"
    assert story["created_by"]["gid"] == seed["ada"]
    assert story["target"]["gid"] == seed["engineering_task"]
    listed = ada.get(path).json()["data"]
    assert listed[-1]["gid"] == story["gid"]
    assert listed[-1]["created_by"]["name"] == "Ada Lovelace"


def test_post_a_comment_as_html_text(ada, seed):
    html = "<body>See <a href='http://tasklink.test/issues/1/'>issue 1</a></body>"

    story = ada.post(
        f"/tasks/{seed['engineering_task']}/stories", json={"data": {"html_text": html}}
    ).json()["data"]

    assert story["text"] == "See issue 1"
    assert story["html_text"] == html


@pytest.mark.parametrize(
    "data", [{}, {"text": "   "}, {"text": "a", "html_text": "<body>a</body>"}]
)
def test_a_comment_needs_something_to_say(ada, seed, data):
    answer = ada.post(f"/tasks/{seed['engineering_task']}/stories", json={"data": data})

    assert answer.status_code == 400


def test_stories_page_through_in_order(ada, seed):
    path = f"/tasks/{seed['marketing_task']}/stories"
    for n in range(5):
        ada.post(path, json={"data": {"text": f"note {n}"}})

    texts, params = [], {"limit": 2}
    while True:
        answer = ada.get(path, params=params).json()
        assert len(answer["data"]) <= 2
        texts += [s["text"] for s in answer["data"]]
        if not answer["next_page"]:
            break
        params["offset"] = answer["next_page"]["offset"]

    assert texts[-5:] == [f"note {n}" for n in range(5)]
    assert texts[0] == "Draft is in the shared folder, ready for review."


def test_a_story_reads_back_by_its_location(ada, seed):
    posted = ada.post(f"/tasks/{seed['engineering_task']}/stories", json={"data": {"text": "hi"}})

    again = requests.get(posted.headers["Location"], headers=bearer(ada.token), timeout=5)

    assert again.json()["data"]["text"] == "hi"


def test_other_people_see_comments_posted_in_a_shared_workspace(sandbox, ada, seed):
    grace = client_for(sandbox, GRACE)
    ada.post(f"/tasks/{seed['engineering_task']}/stories", json={"data": {"text": "from Ada"}})

    texts = [
        s["text"] for s in grace.get(f"/tasks/{seed['engineering_task']}/stories").json()["data"]
    ]

    assert "from Ada" in texts
