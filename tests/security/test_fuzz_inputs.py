"""Arbitrary text, huge inputs, unicode, null bytes and wrong types at every form and query
parameter: Tasklink answers with a page or a message, never a 500."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.models import PluginConfig
from tests.support import HTMX, connect_identity

pytestmark = pytest.mark.django_db

# Text as people and attackers type it: any unicode, control characters and null bytes
# included, sometimes huge.
anything = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.sampled_from(
        [
            "\x00",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "-1",
            "1e309",
            "9" * 40,
            "https://app.asana.com/0/1/2",
            "%00",
            "../../etc/passwd",
            "http://[::1",
            "https://x]/task/1",
            "a" * 300,
            " MALLORY@Example.com ",
        ]
    ),
    st.builds(
        lambda c, n: c * n,
        st.sampled_from(["a", "é", "\x00", "9"]),
        st.integers(min_value=1000, max_value=70000),
    ),
)
fields = st.dictionaries(
    st.sampled_from(
        [
            "title",
            "description",
            "project",
            "assignee",
            "project_label",
            "assignee_label",
            "idempotency_key",
            "issue_id",
            "comment",
            "workspace",
            "status",
            "query",
            "linked",
            "page",
            "autocomplete_field",
            "autocomplete_query",
            "email",
            "password1",
            "password2",
            "username",
            "password",
            "next",
            "event",
            "organization",
            "name",
            "platform",
            "confirm",
            "label",
            "rate_limit_per_minute",
        ]
    ),
    anything,
    max_size=8,
)
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def world(owner, issue, project, sandbox):
    PluginConfig.objects.create(
        project=project, plugin="asana", options={"workspace": "1200000000000001"}
    )
    connect_identity(owner, sandbox)
    client = Client()
    client.force_login(owner)
    return {
        "client": client,
        "issue": issue.pk,
        "project": project.pk,
        "key": project.keys.first().pk,
    }


def assert_no_server_error(response):
    assert response.status_code < 500 or response.status_code in (502, 504), (
        response.status_code,
        response.content[:500],
    )


POSTS = [
    "/issues/{issue}/status/",
    "/issues/{issue}/plugins/asana/create/",
    "/issues/{issue}/plugins/asana/link/",
    "/issues/{issue}/plugins/asana/unlink/",
    "/projects/{project}/plugins/asana/",
    "/projects/new/",
    "/projects/{project}/rename/",
    "/projects/{project}/delete/",
    "/projects/{project}/keys/",
    "/projects/{project}/keys/{key}/",
    "/onboarding/dismiss/",
]
GETS = [
    "/",
    "/issues/{issue}/",
    "/issues/{issue}/plugins/asana/",
    "/issues/{issue}/plugins/asana/autocomplete/",
    "/projects/{project}/plugins/asana/autocomplete/",
    "/projects/",
    "/projects/new/",
    "/projects/{project}/",
]


@pytest.mark.parametrize("path", POSTS)
@FUZZ
@given(data=fields, htmx=st.booleans())
def test_posts_never_fail(world, path, data, htmx):
    send(world, "post", path, data, htmx)


@pytest.mark.parametrize("path", GETS)
@FUZZ
@given(data=fields, htmx=st.booleans())
def test_gets_never_fail(world, path, data, htmx):
    send(world, "get", path, data, htmx)


def send(world, method: str, path: str, data, htmx: bool) -> None:
    headers = HTMX if htmx else {}
    request = getattr(world["client"], method)
    assert_no_server_error(request(path.format(**world), data, headers=headers))


@pytest.mark.parametrize(
    "path", ["/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"]
)
@FUZZ
@given(data=fields)
def test_account_forms_never_fail(db, path, data):
    cache.clear()
    assert_no_server_error(Client().post(path, data))


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
@FUZZ
@given(username=anything, password=anything, more=fields)
def test_logins_never_fail(db, path, username, password, more):
    cache.clear()
    data = {**more, "username": username, "password": password}
    assert_no_server_error(Client().post(path, data, REMOTE_ADDR="10.8.0.1"))


oauth_callback = st.dictionaries(
    st.sampled_from(["code", "state", "error", "error_description", "next", "redirect_state"]),
    anything,
    max_size=6,
)


@FUZZ
@given(params=oauth_callback, started=st.booleans())
def test_the_oauth_callback_never_fails(world, params, started):
    client = world["client"]
    if started:  # a dance begun here: the session holds a state and a PKCE verifier
        client.post("/auth/login/asana/", {"next": params.get("next", "/")})
    response = client.get("/auth/complete/asana/", params)
    assert_no_server_error(response)


@FUZZ
@given(data=fields)
def test_starting_the_oauth_dance_never_fails(world, data):
    assert_no_server_error(world["client"].post("/auth/login/asana/", data))


@FUZZ
@given(value=st.one_of(st.integers(), st.text(max_size=30)))
def test_object_ids_in_paths_never_fail(world, value):
    for path in (
        "/issues/{}/",
        "/issues/{}/plugins/asana/",
        "/projects/{}/plugins/asana/",
        "/projects/{}/",
        "/projects/{}/keys/",
    ):
        assert_no_server_error(world["client"].get(path.format(value)))
