"""Connecting Asana through social-auth against the sandbox: the dance and its every failure."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse
from social_django.models import UserSocialAuth

from tests.support import (
    SANDBOX_ADA,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    connect_identity,
    fault,
    make_user,
    sandbox_log,
)

pytestmark = pytest.mark.django_db


def begin(client, next_url: str = "/") -> str:
    """Press Connect: Tasklink answers with a redirect to Asana's consent page."""
    response = client.post(reverse("social:begin", args=["asana"]), {"next": next_url})
    assert response.status_code == 302
    return response["Location"]


def consent(sandbox, authorize_url: str, decision: str = "approve", who: str = SANDBOX_ADA) -> str:
    """Pick a sandbox user on the consent page and press a button; returns the callback URL."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200 and "Allow" in page.text
    form = {**query, "decision": decision, "user": sandbox.state.find_user(who).gid}
    answer = requests.post(authorize_url.split("?")[0], data=form, allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303)
    return answer.headers["Location"]


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_connect_end_to_end_with_pkce_stores_the_identity(client, owner, sandbox):
    client.force_login(owner)
    authorize_url = begin(client, "/issues/1/")
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(sandbox.url + "/-/oauth_authorize")
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert set(query["scope"][0].split()) >= {"tasks:write", "workspaces.typeahead:read"}

    response = client.get(callback_path(consent(sandbox, authorize_url)))
    assert response.status_code == 302 and response["Location"] == "/issues/1/"

    identity = UserSocialAuth.objects.get(user=owner, provider="asana")
    ada = sandbox.state.find_user(SANDBOX_ADA)
    assert identity.uid == ada.gid
    data = identity.extra_data
    assert data["gid"] == ada.gid and data["email"] == SANDBOX_ADA and data["name"]
    assert data["access_token"] and data["refresh_token"] and data["expires_in"] > 0
    assert data["auth_time"] > 0
    # The sandbox checked the PKCE verifier when it exchanged the code.
    token_calls = sandbox_log(sandbox, "/-/oauth_token")
    assert [e["status"] for e in token_calls] == [200]

    page = client.get(reverse("identities"))
    assert ada.name.encode() in page.content and SANDBOX_ADA.encode() in page.content


def test_only_the_listed_keys_are_stored(client, owner, sandbox):
    client.force_login(owner)
    client.get(callback_path(consent(sandbox, begin(client))))
    identity = UserSocialAuth.objects.get(user=owner)
    assert set(identity.extra_data) <= {
        "access_token",
        "refresh_token",
        "expires_in",
        "auth_time",
        "gid",
        "name",
        "email",
        "token_type",
    }


def test_denying_consent_shows_a_message_and_stores_nothing(client, owner, sandbox):
    client.force_login(owner)
    response = client.get(
        callback_path(consent(sandbox, begin(client), decision="deny")), follow=True
    )
    assert response.status_code == 200
    assert b"You declined access at Asana" in response.content
    assert not UserSocialAuth.objects.exists()


def test_a_wrong_state_is_refused_with_403(client, owner, sandbox):
    client.force_login(owner)
    callback = consent(sandbox, begin(client))
    forged = callback.replace("state=", "state=forged")
    response = client.get(callback_path(forged))
    assert response.status_code == 403
    assert b"did not match a connection started here" in response.content
    assert not UserSocialAuth.objects.exists()


def test_a_missing_state_is_refused_with_403(client, owner, sandbox):
    client.force_login(owner)
    response = client.get(reverse("social:complete", args=["asana"]) + "?code=abc")
    assert response.status_code == 403


def test_a_replayed_callback_is_refused(client, owner, sandbox):
    client.force_login(owner)
    callback = callback_path(consent(sandbox, begin(client)))
    assert client.get(callback).status_code == 302
    replay = client.get(callback)
    assert replay.status_code == 403
    assert UserSocialAuth.objects.count() == 1


def test_asana_timing_out_is_a_message_not_a_500(client, owner, sandbox, settings):
    settings.SOCIAL_AUTH_REQUESTS_TIMEOUT = 0.3
    client.force_login(owner)
    callback = callback_path(consent(sandbox, begin(client)))
    requests.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"path": "/-/oauth_token", "delay": 1.5, "times": 1},
        timeout=5,
    )
    response = client.get(callback, follow=True)
    assert response.status_code == 200
    assert b"Asana did not answer in time" in response.content
    assert not UserSocialAuth.objects.exists()


@pytest.mark.parametrize("path", ["/-/oauth_token", "/api/1.0/users/me"])
def test_asana_errors_during_the_dance_are_messages(client, owner, sandbox, path):
    client.force_login(owner)
    callback = callback_path(consent(sandbox, begin(client)))
    requests.post(
        f"{sandbox.url}/_sandbox/faults", json={"path": path, "status": 500, "times": 1}, timeout=5
    )
    response = client.get(callback, follow=True)
    assert response.status_code == 200
    assert b"message-error" in response.content
    assert not UserSocialAuth.objects.exists()


def test_an_identity_of_another_user_is_refused(client, owner, sandbox):
    other = make_user("linus")
    connect_identity(other, sandbox, SANDBOX_ADA)
    client.force_login(owner)
    response = client.get(
        callback_path(consent(sandbox, begin(client), who=SANDBOX_ADA)), follow=True
    )
    assert b"already connected to another Tasklink user" in response.content
    assert not UserSocialAuth.objects.filter(user=owner).exists()
    assert UserSocialAuth.objects.get().user == other


def test_next_to_another_host_is_ignored(client, owner, sandbox):
    client.force_login(owner)
    response = client.get(
        callback_path(consent(sandbox, begin(client, "https://evil.example/steal")))
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_anonymous_people_are_sent_to_log_in_first(client, sandbox):
    response = client.post(reverse("social:begin", args=["asana"]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    response = client.get(reverse("identities"))
    assert response["Location"].startswith(reverse("login"))


def test_disconnect_asks_then_revokes_at_asana(client, owner, sandbox):
    client.force_login(owner)
    client.get(callback_path(consent(sandbox, begin(client))))
    refresh_token = UserSocialAuth.objects.get().extra_data["refresh_token"]

    confirm = client.get(reverse("identity_disconnect"))
    assert b"Disconnect Asana?" in confirm.content
    assert UserSocialAuth.objects.exists()

    response = client.post(reverse("identity_disconnect"), follow=True)
    assert b"Asana revoked Tasklink" in response.content
    assert not UserSocialAuth.objects.exists()
    assert [e["status"] for e in sandbox_log(sandbox, "/-/oauth_revoke")] == [200]
    again = refresh_at_sandbox(sandbox, refresh_token)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_disconnect_when_asana_is_down_still_forgets_the_tokens(client, owner, sandbox):
    connect_identity(owner, sandbox)
    client.force_login(owner)
    fault(sandbox, path="/-/oauth_revoke", status=503, times=1)
    response = client.post(reverse("identity_disconnect"), follow=True)
    assert b"did not confirm the revocation" in response.content
    assert not UserSocialAuth.objects.exists()


def test_reconnecting_heals_an_identity_marked_for_reconnection(client, owner, sandbox):
    identity = connect_identity(owner, sandbox)
    identity.extra_data["needs_reconnect"] = True
    identity.save()
    client.force_login(owner)
    assert b"Action needed" in client.get(reverse("identities")).content
    client.get(callback_path(consent(sandbox, begin(client))))
    identity.refresh_from_db()
    assert "needs_reconnect" not in identity.extra_data


def test_connecting_another_asana_account_replaces_the_first(client, owner, sandbox):
    first = connect_identity(owner, sandbox, "grace@acme.test")
    old_refresh = first.extra_data["refresh_token"]
    client.force_login(owner)
    client.get(callback_path(consent(sandbox, begin(client), who=SANDBOX_ADA)))
    [identity] = UserSocialAuth.objects.filter(user=owner)
    assert identity.uid == sandbox.state.find_user(SANDBOX_ADA).gid
    refused = refresh_at_sandbox(sandbox, old_refresh)
    assert refused.status_code == 400


def refresh_at_sandbox(sandbox, refresh_token: str) -> requests.Response:
    """Tasklink's app asking the sandbox for a new token, as social-auth would."""
    return requests.post(
        f"{sandbox.url}/-/oauth_token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": SANDBOX_CLIENT_ID,
            "client_secret": SANDBOX_CLIENT_SECRET,
        },
        timeout=5,
    )


# --- security round 2: every grant Tasklink stops using is revoked ------------------------


def live_grants(sandbox) -> set[str]:
    """The refresh tokens Asana would still honour."""
    return {token for token, grant in sandbox.state.grants.items() if not grant.revoked}


def test_reconnecting_the_same_account_revokes_the_grant_it_replaces(client, owner, sandbox):
    old_refresh = connect_identity(owner, sandbox).extra_data["refresh_token"]
    client.force_login(owner)
    client.get(callback_path(consent(sandbox, begin(client))))
    [identity] = UserSocialAuth.objects.filter(user=owner)
    assert identity.extra_data["refresh_token"] != old_refresh
    assert live_grants(sandbox) == {identity.extra_data["refresh_token"]}


def test_a_refused_connection_revokes_the_grant_asana_just_issued(client, owner, sandbox):
    other = make_user("linus")
    kept = connect_identity(other, sandbox, SANDBOX_ADA).extra_data["refresh_token"]
    client.force_login(owner)
    response = client.get(
        callback_path(consent(sandbox, begin(client), who=SANDBOX_ADA)), follow=True
    )
    assert b"already connected to another Tasklink user" in response.content
    assert live_grants(sandbox) == {kept}  # the other user's grant stays, the fresh one is gone


def test_social_auths_own_disconnect_route_is_not_mounted(client, owner, sandbox):
    identity = connect_identity(owner, sandbox)
    client.force_login(owner)
    for path in ("/auth/disconnect/asana/", f"/auth/disconnect/asana/{identity.pk}/"):
        assert client.post(path).status_code == 404
    assert UserSocialAuth.objects.filter(pk=identity.pk).exists()
    assert live_grants(sandbox) == {identity.extra_data["refresh_token"]}


@pytest.mark.parametrize("how", ["queryset", "user"])
def test_every_way_of_deleting_an_identity_revokes_its_grant(owner, sandbox, how):
    connect_identity(owner, sandbox)
    if how == "queryset":
        UserSocialAuth.objects.filter(user=owner).delete()
    else:
        owner.delete()
    assert not UserSocialAuth.objects.exists()
    assert live_grants(sandbox) == set()


def test_the_redirect_uri_is_always_under_app_base_url(rf, sandbox, settings):
    from social_django.utils import load_strategy

    from integrations.asana.backend import AsanaOAuth2

    settings.APP_BASE_URL = "https://tasklink.example.com"
    request = rf.get("/auth/login/asana/", HTTP_HOST="localhost:8000")
    request.session = {}
    backend = AsanaOAuth2(load_strategy(request), reverse("social:complete", args=["asana"]))
    query = parse_qs(urlsplit(backend.auth_url()).query)
    assert query["redirect_uri"] == ["https://tasklink.example.com/auth/complete/asana/"]


def test_a_visit_on_another_host_is_sent_to_app_base_urls_host_first(client, owner, sandbox):
    client.force_login(owner)
    response = client.post(
        reverse("social:begin", args=["asana"]), {"next": "/issues/1/"}, HTTP_HOST="localhost"
    )
    assert response.status_code == 302
    assert response["Location"] == "http://testserver/issues/1/"  # press Connect there
    assert sandbox_log(sandbox) == []  # no dance started on the wrong host
    elsewhere = client.post(
        reverse("social:begin", args=["asana"]), {"next": "//evil.test/"}, HTTP_HOST="localhost"
    )
    assert elsewhere["Location"] == "http://testserver/account/identities/"
    callback = client.get("/auth/complete/asana/?code=c&state=s", HTTP_HOST="localhost")
    assert callback["Location"] == "http://testserver/auth/complete/asana/?code=c&state=s"
    authorize_url = begin(client)  # on APP_BASE_URL's host the dance starts as usual
    assert parse_qs(urlsplit(authorize_url).query)["redirect_uri"] == [
        "http://testserver/auth/complete/asana/"
    ]


@pytest.mark.parametrize("gid", ["1" * 300, "12ab", "-1", "1" * 65])
def test_an_asana_account_id_that_is_not_a_gid_is_a_message(client, owner, sandbox, gid):
    from integrations.asana.backend import AsanaOAuth2

    client.force_login(owner)
    callback = callback_path(consent(sandbox, begin(client)))
    real_get_json = AsanaOAuth2.get_json

    def users_me_with_a_bad_gid(self, url, *args, **kwargs):
        if url.endswith("/users/me"):
            return {"data": {"gid": gid, "name": "Odd", "email": "odd@acme.test"}}
        return real_get_json(self, url, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AsanaOAuth2, "get_json", users_me_with_a_bad_gid)
        response = client.get(callback, follow=True)
    assert response.status_code == 200
    assert b"message-error" in response.content
    assert not UserSocialAuth.objects.exists()


# --- issue 17, item 7: every outcome lands where the person started, and says what happened ---


def test_declining_consent_lands_on_the_page_connect_was_pressed_on(client, owner, sandbox):
    client.force_login(owner)
    callback = consent(sandbox, begin(client, "/issues/1/"), decision="deny")
    response = client.get(callback_path(callback))
    assert response.status_code == 302 and response["Location"] == "/issues/1/"


def test_an_account_of_another_user_lands_where_connect_was_pressed(client, owner, sandbox):
    connect_identity(make_user("linus"), sandbox, SANDBOX_ADA)
    client.force_login(owner)
    callback = consent(sandbox, begin(client, "/projects/"), who=SANDBOX_ADA)
    response = client.get(callback_path(callback))
    assert response["Location"] == "/projects/"
    page = client.get("/projects/").content.decode()
    assert "already connected to another Tasklink user" in page


def test_a_successful_connect_is_confirmed(client, owner, sandbox):
    client.force_login(owner)
    response = client.get(callback_path(consent(sandbox, begin(client))), follow=True)
    assert "Connected Asana as Ada Lovelace (ada@acme.test)." in response.content.decode()


def test_reconnecting_the_same_account_says_reconnected(client, owner, sandbox):
    connect_identity(owner, sandbox)
    client.force_login(owner)
    response = client.get(callback_path(consent(sandbox, begin(client))), follow=True)
    assert "Reconnected Asana as Ada Lovelace (ada@acme.test)." in response.content.decode()


def test_reconnect_switching_to_another_account_says_so(client, owner, sandbox):
    connect_identity(owner, sandbox, "grace@acme.test")
    client.force_login(owner)
    callback = consent(sandbox, begin(client), who=SANDBOX_ADA)
    content = client.get(callback_path(callback), follow=True).content.decode()
    assert (
        "Connected Asana as Ada Lovelace (ada@acme.test), in place of Grace Hopper "
        "(grace@acme.test)" in content
    )
