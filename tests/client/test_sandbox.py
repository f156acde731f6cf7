"""AsanaClient against the Asana sandbox: real OAuth tokens, refreshes, faults and the log."""

from __future__ import annotations

import time

import pytest
import requests
from social_django.models import UserSocialAuth

from integrations.asana.client import AsanaClient
from integrations.exceptions import (
    ApiError,
    ApiForbidden,
    ApiNotFound,
    ApiRateLimited,
    ApiTimeout,
    IdentityRequired,
)
from integrations.identities import needs_reconnect
from tests.support import (
    connect_identity,
    fault,
    require_postgresql,
    run_at_once,
    sandbox_log,
    sandbox_refreshes,
)

ME = "/api/1.0/users/me"
TOKEN = "/-/oauth_token"


def calls(sandbox) -> list[tuple[str, str, int]]:
    return [(e["method"], e["path"], e["status"]) for e in sandbox_log(sandbox)]


def workspace_gid(sandbox, name: str = "Acme Engineering") -> str:
    return next(w.gid for w in sandbox.state.workspaces.values() if w.name == name)


def test_bearer_token_reaches_asana_as_the_person(sandbox, sandbox_identity):
    me = AsanaClient(auth=sandbox_identity).get_me()

    assert me["data"]["gid"] == sandbox_identity.uid
    assert me["data"]["email"] == "ada@acme.test"
    assert calls(sandbox) == [("GET", ME, 200)]


def test_expired_token_is_refreshed_once_before_the_call(sandbox, owner):
    identity = connect_identity(owner, sandbox, auth_time=time.time() - 7200)
    old = dict(identity.extra_data)

    AsanaClient(auth=identity).get_me()

    assert calls(sandbox) == [("POST", TOKEN, 200), ("GET", ME, 200)]
    stored = UserSocialAuth.objects.get(pk=identity.pk).extra_data
    assert stored["access_token"] != old["access_token"]
    assert stored["auth_time"] > old["auth_time"]
    # Asana's refresh answer has no refresh token: the stored one must survive.
    assert stored["refresh_token"] == old["refresh_token"]
    assert stored["gid"] == old["gid"]


def test_token_expired_at_asana_is_refreshed_on_401(sandbox, sandbox_identity):
    requests.post(sandbox.url + "/_sandbox/expire-tokens", timeout=5).raise_for_status()
    old_token = sandbox_identity.extra_data["access_token"]

    me = AsanaClient(auth=sandbox_identity).get_me()

    assert me["data"]["gid"] == sandbox_identity.uid
    assert calls(sandbox) == [("GET", ME, 401), ("POST", TOKEN, 200), ("GET", ME, 200)]
    assert UserSocialAuth.objects.get(pk=sandbox_identity.pk).access_token != old_token


def test_revoked_grant_requires_reconnecting(sandbox, owner):
    identity = connect_identity(owner, sandbox, auth_time=time.time() - 7200)
    requests.post(sandbox.url + "/_sandbox/revoke-all", timeout=5).raise_for_status()

    with pytest.raises(IdentityRequired):
        AsanaClient(auth=identity).get_me()

    assert calls(sandbox) == [("POST", TOKEN, 400)]
    assert needs_reconnect(UserSocialAuth.objects.get(pk=identity.pk))


def test_revoked_grant_found_by_a_401_requires_reconnecting(sandbox, sandbox_identity):
    requests.post(sandbox.url + "/_sandbox/revoke-all", timeout=5).raise_for_status()

    with pytest.raises(IdentityRequired):
        AsanaClient(auth=sandbox_identity).get_me()

    assert calls(sandbox) == [("GET", ME, 401), ("POST", TOKEN, 400)]
    assert needs_reconnect(UserSocialAuth.objects.get(pk=sandbox_identity.pk))
    # Marked: the next call does not even ask Asana.
    with pytest.raises(IdentityRequired):
        AsanaClient(auth=sandbox_identity).get_me()
    assert len(sandbox_log(sandbox)) == 2


def test_create_issue_and_comment_reach_asana(sandbox, sandbox_identity):
    state = sandbox.state
    workspace = workspace_gid(sandbox)
    project = next(p.gid for p in state.projects.values() if p.name == "Backend")
    grace = next(u.gid for u in state.users.values() if u.email == "grace@acme.test")
    client = AsanaClient(auth=sandbox_identity)

    task = client.create_issue(
        workspace,
        {
            "title": "ZeroDivisionError",
            "description": "billing",
            "project": project,
            "assignee": grace,
        },
    )["data"]
    story = client.create_comment(task["gid"], {"comment": "Seen 12 times in production"})

    created = state.tasks[task["gid"]]
    assert (created.name, created.notes, created.workspace) == (
        "ZeroDivisionError",
        "billing",
        workspace,
    )
    assert created.projects == [project] and created.assignee == grace
    assert state.stories[story["data"]["gid"]].text == "Seen 12 times in production"
    posts = [e for e in sandbox_log(sandbox) if e["method"] == "POST"]
    assert [e["body"] for e in posts] == [
        {
            "data": {
                "name": "ZeroDivisionError",
                "notes": "billing",
                "workspace": workspace,
                "projects": [project],
                "assignee": grace,
            }
        },
        {"data": {"text": "Seen 12 times in production"}},
    ]


def test_get_issue_reads_the_task_back(sandbox, sandbox_identity):
    task = next(iter(sandbox.state.tasks.values()))

    data = AsanaClient(auth=sandbox_identity).get_issue(task.gid)["data"]

    assert data["name"] == task.name
    assert data["permalink_url"].endswith(task.gid)
    assert {p["name"] for p in data["projects"]} <= {
        p.name for p in sandbox.state.projects.values()
    }


def test_get_workspaces_follows_every_page(sandbox, sandbox_identity):
    client = AsanaClient(auth=sandbox_identity)
    client.page_limit = 1

    names = [w["name"] for w in client.get_workspaces()["data"]]

    assert names == ["Acme Engineering", "Acme Marketing"]
    assert [e["query"].get("limit") for e in sandbox_log(sandbox)] == ["1", "1"]


def test_get_projects_and_search(sandbox, sandbox_identity):
    client = AsanaClient(auth=sandbox_identity)
    workspace = workspace_gid(sandbox)

    projects = {p["name"] for p in client.get_projects(workspace)["data"]}
    found = client.search(workspace, "task", "N+1")["data"]

    assert projects == {"Backend", "Web App", "Mobile", "Infrastructure"}
    assert [t["name"] for t in found] == ["Fix N+1 query on the issue list endpoint"]
    assert sandbox_log(sandbox)[-1]["query"]["resource_type"] == "task"


def test_unknown_task_is_not_found_with_asanas_message(sandbox, sandbox_identity):
    with pytest.raises(ApiNotFound) as caught:
        AsanaClient(auth=sandbox_identity).get_issue("999")

    assert caught.value.status == 404
    assert str(caught.value) == "task: Unknown object: 999"


def test_workspace_of_others_is_forbidden_with_asanas_message(sandbox, owner):
    # Grace belongs to Acme Engineering only.
    identity = connect_identity(owner, sandbox, "grace@acme.test")

    with pytest.raises(ApiForbidden) as caught:
        AsanaClient(auth=identity).get_projects(workspace_gid(sandbox, "Acme Marketing"))

    assert str(caught.value) == "You do not have access to this workspace."


def test_rate_limited_get_is_retried_after_the_wait(sandbox, sandbox_identity, waits):
    fault(sandbox, path=ME, method="GET", status=429, retry_after=1)

    AsanaClient(auth=sandbox_identity).get_me()

    assert waits == [1.0]
    assert calls(sandbox) == [("GET", ME, 429), ("GET", ME, 200)]


def test_rate_limited_post_is_not_retried(sandbox, sandbox_identity, waits):
    fault(sandbox, path="/api/1.0/tasks", method="POST", status=429, retry_after=1)
    tasks_before = len(sandbox.state.tasks)

    with pytest.raises(ApiRateLimited) as caught:
        AsanaClient(auth=sandbox_identity).create_issue(
            workspace_gid(sandbox), {"title": "Once only"}
        )

    assert caught.value.retry_after == 1
    assert waits == []
    assert calls(sandbox) == [("POST", "/api/1.0/tasks", 429)]
    assert len(sandbox.state.tasks) == tasks_before


def test_slow_answer_raises_api_timeout(sandbox, sandbox_identity, settings):
    settings.ASANA_READ_TIMEOUT = 0.2
    fault(sandbox, path=ME, method="GET", delay=2)

    with pytest.raises(ApiTimeout):
        AsanaClient(auth=sandbox_identity).get_me()


def test_malformed_answer_is_an_api_error(sandbox, sandbox_identity):
    fault(sandbox, path=ME, method="GET", status=200, body="{not json")

    with pytest.raises(ApiError, match="Asana answered with a malformed response"):
        AsanaClient(auth=sandbox_identity).get_me()


def test_token_endpoint_down_is_not_the_persons_fault(sandbox, owner):
    identity = connect_identity(owner, sandbox, auth_time=time.time() - 7200)
    fault(sandbox, path=TOKEN, method="POST", status=503)

    with pytest.raises(ApiError) as caught:
        AsanaClient(auth=identity).get_me()

    assert not isinstance(caught.value, IdentityRequired)
    assert not needs_reconnect(UserSocialAuth.objects.get(pk=identity.pk))


# --- many requests, one refresh ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_with_expired_token_refresh_once(sandbox, owner):
    require_postgresql()
    identity = connect_identity(owner, sandbox, auth_time=time.time() - 7200)
    # A slow token endpoint: every thread reaches the lock while the first one refreshes.
    fault(sandbox, path=TOKEN, method="POST", delay=0.3)
    threads_count = 20
    results = run_at_once(
        threads_count,
        lambda: UserSocialAuth.objects.get(pk=identity.pk),
        lambda mine: AsanaClient(auth=mine).get_me()["data"]["gid"],
    )

    assert results == [identity.uid] * threads_count
    assert sandbox_refreshes(sandbox) == 1
    assert [e["status"] for e in sandbox_log(sandbox, ME)] == [200] * threads_count
