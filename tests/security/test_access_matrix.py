"""Who may open what: owner, member, outsider and anonymous, over every URL of the URLconf.

The URLs come from the URLconf itself, so a URL added later without an entry in EXPECTED
fails `test_every_url_is_in_the_matrix` until someone decides who may see it. Every mounted
URL is walked: the app's, the accounts pages, social-auth's (`auth/`) and the admin's (none of
the four roles is staff, so every admin URL but the log-in page sends them to log in there).
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from integrations.models import PluginConfig

pytestmark = pytest.mark.django_db

# status for GET by role; "login" = redirect to the login page, "admin-login" to the admin's.
SIGNED_IN = ("owner", "member", "outsider")


def everyone(status) -> dict:
    return dict.fromkeys((*SIGNED_IN, "anonymous"), status)


def for_people(owner, member, outsider) -> dict:
    """What the owner, a member and an outsider get; anonymous people are sent to log in."""
    return {"owner": owner, "member": member, "outsider": outsider, "anonymous": "login"}


def people_only(status) -> dict:
    return for_people(status, status, status)


ACCOUNT_AND_AUTH = {
    "accounts/signup/": {**everyone(302), "anonymous": 200},
    "accounts/signup/sent/": everyone(200),
    "accounts/signup/confirm/<uidb64>/<token>/": everyone(200),
    "accounts/login/": {**everyone(302), "anonymous": 200},
    "accounts/logout/": everyone(405),
    "accounts/password/change/": people_only(200),
    "accounts/password/change/done/": people_only(200),
    "accounts/password/reset/": everyone(200),
    "accounts/password/reset/sent/": everyone(200),
    "accounts/password/reset/<uidb64>/<token>/": everyone(200),
    "accounts/password/reset/done/": everyone(200),
    # Connecting Asana starts with a POST (the Connect button); anyone else logs in first.
    "auth/login/<str:backend>/": people_only(405),
    # A callback no dance started here: the state is missing, a message with 403.
    "auth/complete/<str:backend>/": people_only(403),
}
# The admin's log-out is POST only; a GET from a non-staff person is sent to the admin's index.
ADMIN_EXCEPTIONS = {"admin/login/": everyone(200), "admin/logout/": everyone(302)}

EXPECTED = {
    "": people_only(200),
    "account/identities/": people_only(200),
    "account/identities/disconnect/": people_only(302),
    "issues/<int:issue_id>/": for_people(200, 200, 404),
    "issues/<int:issue_id>/status/": people_only(405),
    # The issue page's live updates (polled by htmx): the changed parts, or 204.
    "issues/<int:issue_id>/live/": for_people(200, 200, 404),
    # POST only (members of the issue's organization; an outsider's POST is a 404).
    "issues/<int:issue_id>/comments/": people_only(405),
    "issues/<int:issue_id>/comments/<int:activity_id>/retry/": people_only(405),
    "issues/<int:issue_id>/plugins/asana/": for_people(200, 200, 404),
    "issues/<int:issue_id>/plugins/asana/create/": for_people(409, 409, 404),
    "issues/<int:issue_id>/plugins/asana/link/": for_people(409, 409, 404),
    "issues/<int:issue_id>/plugins/asana/unlink/": people_only(405),
    "issues/<int:issue_id>/plugins/asana/tasks/": for_people(302, 302, 404),
    "issues/<int:issue_id>/plugins/asana/autocomplete/": for_people(400, 400, 404),
    "projects/": people_only(200),
    "projects/new/": people_only(200),
    "projects/<int:project_id>/": for_people(200, 200, 404),
    "projects/<int:project_id>/rename/": for_people(200, 403, 404),
    "projects/<int:project_id>/delete/": for_people(200, 403, 404),
    "projects/<int:project_id>/keys/": for_people(200, 200, 404),
    "projects/<int:project_id>/keys/<int:key_id>/": for_people(200, 403, 404),
    "projects/<int:project_id>/keys/<int:key_id>/disable/": people_only(405),
    "projects/<int:project_id>/keys/<int:key_id>/enable/": people_only(405),
    "projects/<int:project_id>/keys/<int:key_id>/rotate/": people_only(405),
    "onboarding/dismiss/": people_only(405),
    "projects/<int:project_id>/plugins/asana/": for_people(200, 403, 404),
    "projects/<int:project_id>/plugins/asana/autocomplete/": for_people(400, 403, 404),
    # Automation rules: owners only. No rule exists in this world, so an owner's edit is a 404.
    "projects/<int:project_id>/rules/": for_people(200, 403, 404),
    "projects/<int:project_id>/rules/new/": for_people(200, 403, 404),
    "projects/<int:project_id>/rules/<int:rule_id>/": for_people(404, 403, 404),
    "projects/<int:project_id>/rules/<int:rule_id>/delete/": people_only(405),
    "projects/<int:project_id>/rules/<int:rule_id>/toggle/": people_only(405),
    # The resolution sync line: a fragment for htmx (plain browsers go to the issue).
    "issues/<int:issue_id>/resolution-sync/": for_people(302, 302, 404),
    "issues/<int:issue_id>/resolution-sync/retry/": people_only(405),
    # Bulk create: a POST from the issue list, and the results page of the person's own run.
    "issues/bulk/<slug:slug>/": people_only(405),
    "issues/bulk/runs/<int:run_id>/": people_only(404),
    # Asana's webhook deliveries: public, POST only, each checked by its signature
    # (tests/webhooks/test_receiver.py).
    "hooks/asana/<int:webhook_id>/": everyone(405),
}

EXPECTED |= ACCOUNT_AND_AUTH
# The SDKs' ingestion is keyed by a DSN, never by a session: POST only, the same for everyone
# (its refusals are tested in tests/ingest/).
EXPECTED |= {
    "api/<int:project_id>/envelope/": everyone(405),
    "api/<int:project_id>/store/": everyone(405),
}


def expected_for(route: str) -> dict:
    if route.startswith("admin/"):
        return ADMIN_EXCEPTIONS.get(route, everyone("admin-login"))
    return EXPECTED[route]


# POST endpoints: what an outsider and an anonymous person get when they try to act.
POST_ROUTES = [
    "issues/<int:issue_id>/status/",
    "issues/<int:issue_id>/comments/<int:activity_id>/retry/",
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


def mounted_routes(resolver=None, prefix: str = "") -> list[str]:
    routes = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += mounted_routes(entry, route)
        elif isinstance(entry, URLPattern):
            routes.append(route)
    return routes


ROUTES = sorted(set(mounted_routes()))


def test_every_url_is_in_the_matrix():
    assert sorted(r for r in ROUTES if not r.startswith("admin/")) == sorted(EXPECTED)
    # social-auth's disconnect (which skips revocation) and the rest of its URLs stay unmounted
    assert [r for r in ROUTES if r.startswith("auth/")] == [
        "auth/complete/<str:backend>/",
        "auth/login/<str:backend>/",
    ]


PLACEHOLDERS = {
    "<str:backend>": "asana",
    "<uidb64>": "MQ",
    "<token>": "set-password",
    "<path:content_type_id>": "1",
    "<path:object_id>": "1",
    "<id>": "1",
    "<int:rule_id>": "1",
    "<int:activity_id>": "1",
    "<int:run_id>": "1",
    "<slug:slug>": "asana",
    "<int:webhook_id>": "1",
}


def concrete(route: str, issue, project) -> str:
    path = route.replace("<int:issue_id>", str(issue.pk))
    path = path.replace("<int:project_id>", str(project.pk))
    path = path.replace("<int:key_id>", str(project.keys.first().pk))
    for placeholder, value in PLACEHOLDERS.items():
        path = path.replace(placeholder, value)
    # The admin's two regular expressions: an app's index, and its catch-all.
    path = re.sub(r"\^\(\?P<app_label>[^)]*\)/\$", "auth/", path)
    path = path.replace("(?P<url>.*)$", "no-such-page/")
    assert "<" not in path and "(" not in path, path
    return "/" + path


@pytest.fixture
def people(owner, member, outsider):
    return {"owner": owner, "member": member, "outsider": outsider, "anonymous": None}


@pytest.fixture
def configured(project):
    return PluginConfig.objects.create(
        project=project, plugin="asana", options={"workspace": "1200000000000001"}
    )


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role", ["owner", "member", "outsider", "anonymous"])
def test_get_matrix(client, people, issue, project, configured, route, role):
    if people[role]:
        client.force_login(people[role])
    response = client.get(concrete(route, issue, project))
    expected = expected_for(route)[role]
    if expected == "login":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif expected == "admin-login":
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
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
