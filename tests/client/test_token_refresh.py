"""AuthApiClient's token care, with Asana mocked at the HTTP edge: refresh before expiry, once
more on a 401, and IdentityRequired when Asana will not renew the grant."""

from __future__ import annotations

import time

import pytest
import requests
from responses import matchers
from social_django.models import UserSocialAuth

from integrations.asana.client import AsanaClient
from integrations.exceptions import (
    ApiError,
    ApiTimeout,
    ApiUnavailable,
    IdentityRequired,
)
from integrations.identities import needs_reconnect
from tests.support import API, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, TOKEN_URL, token_answer

ME = {"data": {"gid": "1200000000000003", "name": "Ada Lovelace"}}


def bearer(token: str) -> list:
    return [matchers.header_matcher({"Authorization": f"Bearer {token}"})]


def stored(identity: UserSocialAuth) -> dict:
    return UserSocialAuth.objects.get(pk=identity.pk).extra_data


def token_calls(fake_asana) -> int:
    return sum(1 for call in fake_asana.calls if call.request.url == TOKEN_URL)


def test_fresh_token_is_used_without_refresh(fake_asana, identity):
    fake_asana.get(API + "/users/me", json=ME, match=bearer("access-1"))

    assert AsanaClient(auth=identity).get_me() == ME
    assert token_calls(fake_asana) == 0


def test_expired_token_is_refreshed_once_before_the_call(fake_asana, expired_identity):
    fake_asana.post(
        TOKEN_URL,
        json=token_answer("access-2"),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": "refresh-1",
                    "client_id": SANDBOX_CLIENT_ID,
                    "client_secret": SANDBOX_CLIENT_SECRET,
                },
                allow_blank=True,
            )
        ],
    )
    fake_asana.get(API + "/users/me", json=ME, match=bearer("access-2"))
    before = int(time.time())

    assert AsanaClient(auth=expired_identity).get_me() == ME

    assert token_calls(fake_asana) == 1
    data = stored(expired_identity)
    assert data["access_token"] == "access-2"
    assert data["auth_time"] >= before
    assert data["expires_in"] == 3600
    assert data["refresh_token"] == "refresh-1"
    # The caller's own object sees the new token as well.
    assert expired_identity.extra_data["access_token"] == "access-2"


def test_token_within_a_minute_of_expiry_is_refreshed(fake_asana, make_identity, owner):
    identity = make_identity(owner, auth_time=int(time.time()) - 3600 + 30)
    fake_asana.post(TOKEN_URL, json=token_answer("access-2"))
    fake_asana.get(API + "/users/me", json=ME, match=bearer("access-2"))

    AsanaClient(auth=identity).get_me()

    assert token_calls(fake_asana) == 1


def test_refresh_keeps_stored_refresh_token_when_answer_has_none(fake_asana, expired_identity):
    # Asana's refresh answer has no refresh_token; a null one must not erase ours either.
    fake_asana.post(TOKEN_URL, json=token_answer("access-2", refresh_token=None))
    fake_asana.get(API + "/users/me", json=ME)

    AsanaClient(auth=expired_identity).get_me()

    data = stored(expired_identity)
    assert data["refresh_token"] == "refresh-1"
    assert data["name"] == "Ada Lovelace"
    assert data["email"] == "ada@acme.test"


def test_refresh_stores_a_new_refresh_token_when_asana_rotates_it(fake_asana, expired_identity):
    fake_asana.post(TOKEN_URL, json=token_answer("access-2", refresh_token="refresh-2"))
    fake_asana.get(API + "/users/me", json=ME)

    AsanaClient(auth=expired_identity).get_me()

    assert stored(expired_identity)["refresh_token"] == "refresh-2"


def test_401_refreshes_once_and_retries_once(fake_asana, identity):
    fake_asana.get(
        API + "/users/me",
        status=401,
        json={"errors": [{"message": "Not Authorized"}]},
        match=bearer("access-1"),
    )
    fake_asana.post(TOKEN_URL, json=token_answer("access-2"))
    fake_asana.get(API + "/users/me", json=ME, match=bearer("access-2"))

    assert AsanaClient(auth=identity).get_me() == ME
    assert token_calls(fake_asana) == 1
    assert stored(identity)["access_token"] == "access-2"


def test_post_refused_with_401_is_sent_again_after_refresh(fake_asana, identity):
    # A 401 means Asana did nothing, so sending the POST again cannot create a duplicate.
    fake_asana.post(API + "/tasks", status=401, match=bearer("access-1"))
    fake_asana.post(TOKEN_URL, json=token_answer("access-2"))
    fake_asana.post(API + "/tasks", json={"data": {"gid": "9"}}, match=bearer("access-2"))

    answer = AsanaClient(auth=identity).create_issue("1", {"title": "Crash", "description": ""})

    assert answer == {"data": {"gid": "9"}}
    assert [c.request.url.split("?")[0] for c in fake_asana.calls].count(API + "/tasks") == 2


def test_second_401_after_refresh_requires_reconnecting(fake_asana, identity):
    fake_asana.get(API + "/users/me", status=401, match=bearer("access-1"))
    fake_asana.post(TOKEN_URL, json=token_answer("access-2"))
    fake_asana.get(API + "/users/me", status=401, match=bearer("access-2"))

    with pytest.raises(IdentityRequired):
        AsanaClient(auth=identity).get_me()

    assert token_calls(fake_asana) == 1
    assert stored(identity)["needs_reconnect"] is True


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"error": "invalid_grant", "error_description": "The refresh token was revoked."}),
        (401, {"error": "invalid_grant"}),
        (400, {"error": "bad_refresh_token"}),
        (401, "Unauthorized"),
    ],
)
def test_refused_refresh_requires_reconnecting_and_marks_identity(
    fake_asana, expired_identity, status, body
):
    if isinstance(body, dict):
        fake_asana.post(TOKEN_URL, status=status, json=body)
    else:
        fake_asana.post(TOKEN_URL, status=status, body=body)

    with pytest.raises(IdentityRequired) as caught:
        AsanaClient(auth=expired_identity).get_me()

    assert str(caught.value) == (
        "Your Asana connection needs to be renewed. Reconnect Asana to continue."
    )
    # Only the refresh was tried: no call went to the API with the dead token.
    assert [c.request.url for c in fake_asana.calls] == [TOKEN_URL]
    assert needs_reconnect(UserSocialAuth.objects.get(pk=expired_identity.pk))
    assert needs_reconnect(expired_identity)


def test_refused_refresh_after_401_marks_identity(fake_asana, identity):
    fake_asana.get(API + "/users/me", status=401)
    fake_asana.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})

    with pytest.raises(IdentityRequired):
        AsanaClient(auth=identity).get_me()

    assert stored(identity)["needs_reconnect"] is True


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ({"body": requests.ConnectionError("refused")}, ApiUnavailable),
        ({"body": requests.ReadTimeout("slow")}, ApiTimeout),
        ({"status": 500, "body": "oops"}, ApiUnavailable),
        ({"status": 503, "json": {"error": "temporarily_unavailable"}}, ApiUnavailable),
    ],
)
def test_transient_refresh_failure_does_not_mark_identity(
    fake_asana, expired_identity, answer, kind
):
    fake_asana.post(TOKEN_URL, **answer)

    with pytest.raises(kind) as caught:
        AsanaClient(auth=expired_identity).get_me()

    assert not isinstance(caught.value, IdentityRequired)
    assert not needs_reconnect(UserSocialAuth.objects.get(pk=expired_identity.pk))
    assert stored(expired_identity)["access_token"] == "access-1"


def test_refused_client_credentials_are_not_blamed_on_the_person(fake_asana, expired_identity):
    fake_asana.post(TOKEN_URL, status=401, json={"error": "invalid_client"})

    with pytest.raises(ApiError) as caught:
        AsanaClient(auth=expired_identity).get_me()

    assert not isinstance(caught.value, IdentityRequired)
    assert "not configured correctly" in str(caught.value)
    assert not needs_reconnect(UserSocialAuth.objects.get(pk=expired_identity.pk))


def test_malformed_refresh_answer_is_an_api_error(fake_asana, expired_identity):
    fake_asana.post(TOKEN_URL, body="<html>not json</html>")

    with pytest.raises(ApiError, match="malformed"):
        AsanaClient(auth=expired_identity).get_me()

    assert not needs_reconnect(UserSocialAuth.objects.get(pk=expired_identity.pk))


def test_identity_marked_for_reconnect_is_refused_without_calling_asana(
    fake_asana, make_identity, owner
):
    identity = make_identity(owner, needs_reconnect=True)

    with pytest.raises(IdentityRequired):
        AsanaClient(auth=identity).get_me()

    assert len(fake_asana.calls) == 0


def test_missing_identity_is_refused_without_calling_asana(fake_asana):
    with pytest.raises(IdentityRequired):
        AsanaClient(auth=None).get_me()

    assert len(fake_asana.calls) == 0


def test_expired_token_without_refresh_token_requires_reconnecting(
    fake_asana, make_identity, owner
):
    identity = make_identity(owner, auth_time=int(time.time()) - 7200)
    del identity.extra_data["refresh_token"]
    identity.save()

    with pytest.raises(IdentityRequired):
        AsanaClient(auth=identity).get_me()

    assert len(fake_asana.calls) == 0
    assert stored(identity)["needs_reconnect"] is True


def test_identity_disconnected_meanwhile_requires_identity(fake_asana, expired_identity):
    client = AsanaClient(auth=expired_identity)
    UserSocialAuth.objects.filter(pk=expired_identity.pk).delete()  # revokes the grant
    calls_before = len(fake_asana.calls)

    with pytest.raises(IdentityRequired):
        client.get_me()

    assert len(fake_asana.calls) == calls_before


def test_token_renewed_by_another_request_is_used_without_refreshing(fake_asana, owner, identity):
    # This request loaded the identity when the token was old; another one renewed it since.
    stale = UserSocialAuth.objects.get(pk=identity.pk)
    stale.extra_data["auth_time"] = int(time.time()) - 7200
    identity.extra_data.update(access_token="access-2", auth_time=int(time.time()))
    identity.save()
    fake_asana.get(API + "/users/me", json=ME, match=bearer("access-2"))

    AsanaClient(auth=stale).get_me()

    assert token_calls(fake_asana) == 0
    assert stale.extra_data["access_token"] == "access-2"


def test_401_after_another_request_renewed_uses_the_new_token(fake_asana, identity):
    stale = UserSocialAuth.objects.get(pk=identity.pk)
    identity.extra_data.update(access_token="access-2")
    identity.save()
    fake_asana.get(API + "/users/me", status=401, match=bearer("access-1"))
    fake_asana.get(API + "/users/me", json=ME, match=bearer("access-2"))

    AsanaClient(auth=stale).get_me()

    assert token_calls(fake_asana) == 0


def test_token_without_known_expiry_is_not_refreshed_ahead(fake_asana, make_identity, owner):
    identity = make_identity(owner, expires_in=None)
    fake_asana.get(API + "/users/me", json=ME, match=bearer("access-1"))

    AsanaClient(auth=identity).get_me()

    assert token_calls(fake_asana) == 0


def test_refresh_is_logged_without_tokens(fake_asana, expired_identity, caplog):
    fake_asana.post(TOKEN_URL, json=token_answer("access-2"))
    fake_asana.get(API + "/users/me", json=ME)
    caplog.set_level("DEBUG")

    AsanaClient(auth=expired_identity).get_me()

    assert f"Token of identity {expired_identity.pk} renewed" in caplog.text
    for secret in ("access-1", "access-2", "refresh-1", SANDBOX_CLIENT_SECRET):
        assert secret not in caplog.text


def test_identity_marked_by_another_call_meanwhile_is_refused(fake_asana, expired_identity):
    # This request loaded the identity before another one found the grant dead.
    UserSocialAuth.objects.filter(pk=expired_identity.pk).update(
        extra_data={**expired_identity.extra_data, "needs_reconnect": True}
    )

    with pytest.raises(IdentityRequired):
        AsanaClient(auth=expired_identity).get_me()

    assert len(fake_asana.calls) == 0
    assert needs_reconnect(expired_identity)
