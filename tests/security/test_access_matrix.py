"""Who may open what: owner, member, outsider and anonymous, over every URL of the URLconf.

The URLs come from the URLconf itself, so a URL added later without an entry in EXPECTED
fails `test_every_url_is_in_the_matrix` until someone decides who may see it.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from integrations.models import PluginConfig

pytestmark = pytest.mark.django_db

# Routes that belong to Django, social-auth or the accounts pages: covered by their own tests.
NOT_OBJECT_ROUTES = ("admin/", "accounts/", "auth/")

# status for GET by role; "login" = redirect to the login page.
EXPECTED = {
    "": {"owner": 200, "member": 200, "outsider": 200, "anonymous": "login"},
    "account/identities/": {"owner": 200, "member": 200, "outsider": 200, "anonymous": "login"},
    "account/identities/disconnect/": {
        "owner": 302,
        "member": 302,
        "outsider": 302,
        "anonymous": "login",
    },
    "issues/<int:issue_id>/": {"owner": 200, "member": 200, "outsider": 404, "anonymous": "login"},
    "issues/<int:issue_id>/status/": {
        "owner": 405,
        "member": 405,
        "outsider": 405,
        "anonymous": "login",
    },
    "issues/<int:issue_id>/plugins/asana/": {
        "owner": 200,
        "member": 200,
        "outsider": 404,
        "anonymous": "login",
    },
    "issues/<int:issue_id>/plugins/asana/create/": {
        "owner": 409,
        "member": 409,
        "outsider": 404,
        "anonymous": "login",
    },
    "issues/<int:issue_id>/plugins/asana/link/": {
        "owner": 409,
        "member": 409,
        "outsider": 404,
        "anonymous": "login",
    },
    "issues/<int:issue_id>/plugins/asana/unlink/": {
        "owner": 405,
        "member": 405,
        "outsider": 405,
        "anonymous": "login",
    },
    "issues/<int:issue_id>/plugins/asana/tasks/": {
        "owner": 302,
        "member": 302,
        "outsider": 404,
        "anonymous": "login",
    },
    "issues/<int:issue_id>/plugins/asana/autocomplete/": {
        "owner": 400,
        "member": 400,
        "outsider": 404,
        "anonymous": "login",
    },
    "projects/": {"owner": 200, "member": 200, "outsider": 200, "anonymous": "login"},
    "projects/new/": {"owner": 200, "member": 200, "outsider": 200, "anonymous": "login"},
    "projects/<int:project_id>/": {
        "owner": 200,
        "member": 200,
        "outsider": 404,
        "anonymous": "login",
    },
    "projects/<int:project_id>/rename/": {
        "owner": 200,
        "member": 403,
        "outsider": 404,
        "anonymous": "login",
    },
    "projects/<int:project_id>/delete/": {
        "owner": 200,
        "member": 403,
        "outsider": 404,
        "anonymous": "login",
    },
    "projects/<int:project_id>/keys/": {
        "owner": 200,
        "member": 200,
        "outsider": 404,
        "anonymous": "login",
    },
    "projects/<int:project_id>/keys/<int:key_id>/": {
        "owner": 200,
        "member": 403,
        "outsider": 404,
        "anonymous": "login",
    },
    "projects/<int:project_id>/keys/<int:key_id>/disable/": {
        "owner": 405,
        "member": 405,
        "outsider": 405,
        "anonymous": "login",
    },
    "projects/<int:project_id>/keys/<int:key_id>/enable/": {
        "owner": 405,
        "member": 405,
        "outsider": 405,
        "anonymous": "login",
    },
    "projects/<int:project_id>/keys/<int:key_id>/rotate/": {
        "owner": 405,
        "member": 405,
        "outsider": 405,
        "anonymous": "login",
    },
    "onboarding/dismiss/": {"owner": 405, "member": 405, "outsider": 405, "anonymous": "login"},
    "projects/<int:project_id>/plugins/asana/": {
        "owner": 200,
        "member": 403,
        "outsider": 404,
        "anonymous": "login",
    },
    "projects/<int:project_id>/plugins/asana/autocomplete/": {
        "owner": 400,
        "member": 403,
        "outsider": 404,
        "anonymous": "login",
    },
}

# POST endpoints: what an outsider and an anonymous person get when they try to act.
POST_ROUTES = [
    "issues/<int:issue_id>/status/",
    "issues/<int:issue_id>/plugins/asana/create/",
    "issues/<int:issue_id>/plugins/asana/link/",
    "issues/<int:issue_id>/plugins/asana/unlink/",
    "projects/<int:project_id>/plugins/asana/",
    "projects/<int:project_id>/rename/",
    "projects/<int:project_id>/delete/",
    "projects/<int:project_id>/keys/",
    "projects/<int:project_id>/keys/<int:key_id>/",
    "projects/<int:project_id>/keys/<int:key_id>/disable/",
    "projects/<int:project_id>/keys/<int:key_id>/enable/",
    "projects/<int:project_id>/keys/<int:key_id>/rotate/",
]


def app_routes(resolver=None, prefix: str = "") -> list[str]:
    routes = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith(NOT_OBJECT_ROUTES):
                routes += app_routes(entry, route)
        elif isinstance(entry, URLPattern) and not route.startswith(NOT_OBJECT_ROUTES):
            routes.append(route)
    return routes


def test_every_url_is_in_the_matrix():
    assert sorted(set(app_routes())) == sorted(EXPECTED)


def concrete(route: str, issue, project) -> str:
    return "/" + (
        route.replace("<int:issue_id>", str(issue.pk))
        .replace("<int:project_id>", str(project.pk))
        .replace("<int:key_id>", str(project.keys.first().pk))
    )


@pytest.fixture
def people(owner, member, outsider):
    return {"owner": owner, "member": member, "outsider": outsider, "anonymous": None}


@pytest.fixture
def configured(project):
    return PluginConfig.objects.create(
        project=project, plugin="asana", options={"workspace": "1200000000000001"}
    )


@pytest.mark.parametrize("route", sorted(EXPECTED))
@pytest.mark.parametrize("role", ["owner", "member", "outsider", "anonymous"])
def test_get_matrix(client, people, issue, project, configured, route, role):
    if people[role]:
        client.force_login(people[role])
    response = client.get(concrete(route, issue, project))
    expected = EXPECTED[route][role]
    if expected == "login":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("route", POST_ROUTES)
@pytest.mark.parametrize("role", ["outsider", "anonymous"])
def test_outsiders_and_anonymous_cannot_post(
    client, people, issue, project, configured, route, role
):
    if people[role]:
        client.force_login(people[role])
    response = client.post(
        concrete(route, issue, project),
        {"status": "resolved", "title": "x", "issue_id": "1", "workspace": "1"},
    )
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 404
    issue.refresh_from_db()
    project.refresh_from_db()
    assert issue.status == "unresolved"
    assert (project.name, project.keys.get().is_active) == ("Backend", True)
    assert PluginConfig.objects.get(project=project).options == {"workspace": "1200000000000001"}


def test_members_cannot_change_project_settings(member_client, project, configured):
    response = member_client.post(
        f"/projects/{project.pk}/plugins/asana/", {"workspace": "1200000000000002"}
    )
    assert response.status_code == 403
    assert PluginConfig.objects.get(project=project).options["workspace"] == "1200000000000001"
