"""The OAuth dance as Asana documents it: consent page, code + PKCE, refresh, revoke."""

from __future__ import annotations

import base64

import requests

from asana_sandbox import SandboxServer

from .helpers import (
    ADA,
    CLIENT_ID,
    CLIENT_SECRET,
    KATHERINE,
    REDIRECT_URI,
    Client,
    approve,
    authorize,
    authorize_params,
    bearer,
    configure,
    control,
    dance,
    pkce_pair,
    redirected_query,
    token_request,
)


def me(sandbox: SandboxServer, token: str) -> requests.Response:
    return requests.get(f"{sandbox.url}/api/1.0/users/me", headers=bearer(token), timeout=5)


# --- the consent page --------------------------------------------------------------------------


def test_consent_page_offers_every_person_and_both_decisions(sandbox):
    _, challenge = pkce_pair()
    params = authorize_params(code_challenge=challenge, code_challenge_method="S256")

    page = authorize(sandbox, **params)

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert "width=device-width" in html
    for user in sandbox.state.users.values():
        assert f"name='user' value='{user.gid}'" in html
        assert user.name in html
    assert "name='decision' value='approve'" in html
    assert "name='decision' value='deny'" in html
    assert "action='/-/oauth_authorize'" in html
    for name in ("client_id", "redirect_uri", "state", "code_challenge", "scope"):
        assert f"type='hidden' name='{name}' value='{params[name]}'" in html


def test_consent_page_escapes_what_the_app_sent(sandbox):
    page = authorize(sandbox, **authorize_params(state="<script>alert(1)</script>"))

    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text


def test_full_dance_with_pkce_answers_asanas_token_json(sandbox):
    answer = dance(sandbox, ADA)

    assert answer["token_type"] == "bearer"
    assert answer["expires_in"] == 3600
    assert answer["access_token"] and answer["refresh_token"]
    ada = sandbox.state.find_user(ADA)
    assert answer["data"] == {"id": int(ada.gid), "gid": ada.gid, "name": ada.name, "email": ADA}
    assert me(sandbox, answer["access_token"]).json()["data"]["email"] == ADA


def test_the_person_picked_on_the_consent_page_is_who_the_token_acts_as(sandbox):
    answer = dance(sandbox, KATHERINE)

    assert answer["data"]["email"] == KATHERINE
    assert me(sandbox, answer["access_token"]).json()["data"]["email"] == KATHERINE


def test_deny_redirects_with_access_denied_and_the_state(sandbox):
    params = authorize_params()
    user = sandbox.state.find_user(ADA)

    answer = authorize(sandbox, "POST", **params, user=user.gid, decision="deny")

    query = redirected_query(answer)
    assert query["error"] == "access_denied"
    assert query["state"] == "xyz-state"
    assert "code" not in query


def test_approving_without_picking_a_person_shows_the_page_again(sandbox):
    answer = authorize(sandbox, "POST", **authorize_params(), decision="approve")

    assert answer.status_code == 400
    assert "Choose a person" in answer.text
    assert "Location" not in answer.headers


def test_unknown_client_id_shows_an_error_page_instead_of_redirecting(sandbox):
    answer = authorize(sandbox, **authorize_params(client_id="someone-else"))

    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert "Unknown app" in answer.text


def test_missing_redirect_uri_shows_an_error_page(sandbox):
    answer = authorize(sandbox, **authorize_params(redirect_uri=None))

    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_a_redirect_uri_other_than_the_registered_one_shows_an_error_page(sandbox):
    configure(sandbox, redirect_uri=REDIRECT_URI)

    wrong = authorize(sandbox, **authorize_params(redirect_uri="http://evil.test/cb"))
    right = authorize(sandbox, **authorize_params())

    assert wrong.status_code == 400
    assert "Location" not in wrong.headers
    assert "does not match" in wrong.text
    assert right.status_code == 200


def test_unsupported_response_type_redirects_with_the_error(sandbox):
    answer = authorize(sandbox, **authorize_params(response_type="token"))

    query = redirected_query(answer)
    assert query["error"] == "unsupported_response_type"
    assert query["state"] == "xyz-state"


def test_a_pkce_challenge_must_use_s256(sandbox):
    answer = authorize(
        sandbox, **authorize_params(code_challenge="a" * 43, code_challenge_method="plain")
    )

    assert redirected_query(answer)["error"] == "invalid_request"


def test_an_unknown_scope_is_refused(sandbox):
    answer = authorize(sandbox, **authorize_params(scope="tasks:read tasks:fly"))

    query = redirected_query(answer)
    assert query["error"] == "invalid_scope"
    assert "tasks:fly" in query["error_description"]


def test_auto_approve_redirects_at_once_with_a_code_for_the_first_person(sandbox):
    configure(sandbox, auto_approve=True)

    answer = authorize(sandbox, **authorize_params())

    query = redirected_query(answer)
    assert query["state"] == "xyz-state"
    tokens = token_request(
        sandbox, grant_type="authorization_code", code=query["code"], redirect_uri=REDIRECT_URI
    ).json()
    assert tokens["data"]["gid"] == sandbox.state.first_user().gid


def test_auto_approve_signs_in_as_the_sandbox_user_asked_for(sandbox):
    configure(sandbox, auto_approve=True)
    katherine = sandbox.state.find_user(KATHERINE)

    for ref in (KATHERINE, katherine.gid):
        query = redirected_query(authorize(sandbox, **authorize_params(sandbox_user=ref)))
        tokens = token_request(
            sandbox, grant_type="authorization_code", code=query["code"], redirect_uri=REDIRECT_URI
        ).json()
        assert tokens["data"]["gid"] == katherine.gid


def test_auto_approve_with_an_unknown_sandbox_user_shows_an_error_page(sandbox):
    configure(sandbox, auto_approve=True)

    answer = authorize(sandbox, **authorize_params(sandbox_user="nobody@acme.test"))

    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_auto_approve_from_the_constructor():
    from asana_sandbox import start_sandbox

    with start_sandbox(auto_approve=True, redirect_uri=REDIRECT_URI) as other:
        query = redirected_query(authorize(other, **authorize_params()))
        assert query["code"]
        assert (
            authorize(other, **authorize_params(redirect_uri="http://x.test/")).status_code == 400
        )


# --- the token endpoint ------------------------------------------------------------------------


def exchange(sandbox: SandboxServer, code: str, verifier: str | None = None, **extra):
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier is not None:
        fields["code_verifier"] = verifier
    fields.update(extra)
    return token_request(sandbox, **fields)


def assert_oauth_error(response: requests.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["error_description"]
    assert response.headers["Cache-Control"] == "no-store"


def test_a_code_works_once_and_a_replay_revokes_what_it_bought(sandbox):
    verifier, challenge = pkce_pair()
    code = approve(sandbox, ADA, challenge)
    first = exchange(sandbox, code, verifier)
    assert first.status_code == 200

    second = exchange(sandbox, code, verifier)

    assert_oauth_error(second, 400, "invalid_grant")
    assert me(sandbox, first.json()["access_token"]).status_code == 401


def test_a_code_expires_after_ten_minutes(sandbox):
    verifier, challenge = pkce_pair()
    code = approve(sandbox, ADA, challenge)
    control(sandbox, "POST", "advance-clock", json={"seconds": 601})

    assert_oauth_error(exchange(sandbox, code, verifier), 400, "invalid_grant")


def test_a_wrong_code_verifier_is_refused(sandbox):
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = approve(sandbox, ADA, challenge)

    assert_oauth_error(exchange(sandbox, code, other_verifier), 400, "invalid_grant")


def test_a_missing_code_verifier_is_refused_when_a_challenge_was_given(sandbox):
    _, challenge = pkce_pair()
    code = approve(sandbox, ADA, challenge)

    assert_oauth_error(exchange(sandbox, code), 400, "invalid_grant")


def test_a_code_without_pkce_needs_no_verifier(sandbox):
    code = approve(sandbox, ADA)

    assert exchange(sandbox, code).status_code == 200


def test_a_verifier_for_a_code_issued_without_a_challenge_is_refused(sandbox):
    """RFC 9700, 2.1.1: a PKCE downgrade. The code was never bound to a verifier, so a client
    that sends one is not the one that started the dance (or was tricked out of its challenge)."""
    verifier, _ = pkce_pair()
    code = approve(sandbox, ADA)  # no code_challenge

    assert_oauth_error(exchange(sandbox, code, verifier), 400, "invalid_grant")
    # The attempt spends the code: it cannot be retried without the verifier either.
    assert_oauth_error(exchange(sandbox, code), 400, "invalid_grant")


def test_the_redirect_uri_must_match_the_one_used_to_authorize(sandbox):
    verifier, challenge = pkce_pair()
    code = approve(sandbox, ADA, challenge)

    answer = exchange(sandbox, code, verifier, redirect_uri="http://tasklink.test/other/")

    assert_oauth_error(answer, 400, "invalid_grant")


def test_an_unknown_code_is_refused(sandbox):
    assert_oauth_error(exchange(sandbox, "not-a-code"), 400, "invalid_grant")


def test_a_wrong_client_secret_is_refused_401(sandbox):
    code = approve(sandbox, ADA)

    answer = exchange(sandbox, code, client_secret="wrong")

    assert_oauth_error(answer, 401, "invalid_client")


def test_a_wrong_client_id_is_refused_401(sandbox):
    code = approve(sandbox, ADA)

    assert_oauth_error(exchange(sandbox, code, client_id="someone-else"), 401, "invalid_client")


def test_client_credentials_may_come_as_http_basic(sandbox):
    code = approve(sandbox, ADA)
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}

    answer = requests.post(
        f"{sandbox.url}/-/oauth_token", data=fields, auth=(CLIENT_ID, CLIENT_SECRET), timeout=5
    )
    wrong = requests.post(
        f"{sandbox.url}/-/oauth_token", data=fields, auth=(CLIENT_ID, "nope"), timeout=5
    )

    assert answer.status_code == 200
    assert answer.json()["data"]["email"] == ADA
    assert_oauth_error(wrong, 401, "invalid_client")


def test_missing_parameters_are_invalid_request(sandbox):
    code = approve(sandbox, ADA)

    assert_oauth_error(token_request(sandbox, code=code), 400, "invalid_request")
    assert_oauth_error(
        token_request(sandbox, grant_type="authorization_code", redirect_uri=REDIRECT_URI),
        400,
        "invalid_request",
    )
    assert_oauth_error(
        token_request(sandbox, grant_type="authorization_code", code=code), 400, "invalid_request"
    )
    assert_oauth_error(
        token_request(
            sandbox,
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT_URI,
            client_secret=None,
        ),
        400,
        "invalid_request",
    )


def test_an_unsupported_grant_type_is_refused(sandbox):
    answer = token_request(sandbox, grant_type="password", username="ada", password="x")

    assert_oauth_error(answer, 400, "unsupported_grant_type")


# --- expiry and refresh ------------------------------------------------------------------------


def test_an_expired_token_is_401_until_refreshed(sandbox):
    configure(sandbox, token_ttl=60)
    tokens = dance(sandbox, ADA)
    assert tokens["expires_in"] == 60
    control(sandbox, "POST", "advance-clock", json={"seconds": 61})

    expired = me(sandbox, tokens["access_token"])
    refreshed = token_request(
        sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )

    assert expired.status_code == 401
    assert expired.json()["errors"][0]["message"] == "Not Authorized"
    assert refreshed.status_code == 200
    answer = refreshed.json()
    assert "refresh_token" not in answer  # as Asana: the refresh token stays the same
    assert answer["token_type"] == "bearer"
    assert answer["expires_in"] == 60
    assert answer["data"]["email"] == ADA
    assert answer["access_token"] != tokens["access_token"]
    assert me(sandbox, answer["access_token"]).status_code == 200


def test_the_same_refresh_token_keeps_working(sandbox):
    tokens = dance(sandbox, ADA)

    for _ in range(2):
        answer = token_request(
            sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        )
        assert answer.status_code == 200


def test_expire_tokens_control_expires_every_access_token_but_not_the_grant(sandbox, ada):
    tokens = dance(sandbox, KATHERINE)

    assert control(sandbox, "POST", "expire-tokens").status_code == 200

    assert me(sandbox, tokens["access_token"]).status_code == 401
    assert ada.get("/users/me").status_code == 401
    refreshed = token_request(
        sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200


def test_an_unknown_refresh_token_is_invalid_grant(sandbox):
    answer = token_request(sandbox, grant_type="refresh_token", refresh_token="1/nope")

    assert_oauth_error(answer, 400, "invalid_grant")


def test_refresh_needs_the_client_secret(sandbox):
    tokens = dance(sandbox, ADA)

    answer = token_request(
        sandbox,
        grant_type="refresh_token",
        refresh_token=tokens["refresh_token"],
        client_secret="wrong",
    )

    assert_oauth_error(answer, 401, "invalid_client")


# --- revoke ------------------------------------------------------------------------------------


def revoke(sandbox: SandboxServer, **fields: str | None) -> requests.Response:
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **fields}
    form = {k: v for k, v in data.items() if v is not None}
    return requests.post(f"{sandbox.url}/-/oauth_revoke", data=form, timeout=5)


def test_revoking_the_refresh_token_kills_it_and_its_access_tokens(sandbox):
    tokens = dance(sandbox, ADA)
    second = token_request(
        sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    ).json()
    other = dance(sandbox, KATHERINE)

    answer = revoke(sandbox, token=tokens["refresh_token"])

    assert answer.status_code == 200
    assert answer.content == b""
    assert me(sandbox, tokens["access_token"]).status_code == 401
    assert me(sandbox, second["access_token"]).status_code == 401
    refreshed = token_request(
        sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert_oauth_error(refreshed, 400, "invalid_grant")
    assert me(sandbox, other["access_token"]).status_code == 200


def test_revoke_accepts_http_basic_and_refuses_a_wrong_secret(sandbox):
    tokens = dance(sandbox, ADA)
    url = f"{sandbox.url}/-/oauth_revoke"
    data = {"token": tokens["refresh_token"]}

    wrong = requests.post(url, data=data, auth=(CLIENT_ID, "nope"), timeout=5)
    assert_oauth_error(wrong, 401, "invalid_client")
    assert me(sandbox, tokens["access_token"]).status_code == 200

    right = requests.post(url, data=data, auth=(CLIENT_ID, CLIENT_SECRET), timeout=5)
    assert right.status_code == 200
    assert me(sandbox, tokens["access_token"]).status_code == 401


def test_revoke_needs_a_token_but_an_unknown_one_is_fine(sandbox):
    assert_oauth_error(revoke(sandbox), 400, "invalid_request")
    assert revoke(sandbox, token="1/unknown").status_code == 200


def test_revoke_all_control_kills_every_grant(sandbox):
    first, second = dance(sandbox, ADA), dance(sandbox, KATHERINE)

    assert control(sandbox, "POST", "revoke-all").status_code == 200

    for tokens in (first, second):
        assert me(sandbox, tokens["access_token"]).status_code == 401
        refreshed = token_request(
            sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        )
        assert_oauth_error(refreshed, 400, "invalid_grant")


# --- scopes ------------------------------------------------------------------------------------


def test_a_token_only_reaches_what_its_scopes_allow(sandbox, seed):
    tokens = dance(sandbox, ADA, scope="users:read tasks:read")
    client = Client(sandbox, tokens["access_token"], tokens["refresh_token"])

    assert client.get("/users/me").status_code == 200
    assert client.get(f"/tasks/{seed['engineering_task']}").status_code == 200
    refused = client.get("/workspaces")
    assert refused.status_code == 403
    assert "workspaces:read" in refused.json()["errors"][0]["message"]


def test_both_spellings_of_the_typeahead_scope_grant_it(sandbox, seed):
    for scope in ("workspaces.typeahead:read", "workspace.typeahead:read"):
        tokens = dance(sandbox, ADA, scope=scope)
        client = Client(sandbox, tokens["access_token"], tokens["refresh_token"])
        answer = client.get(f"/workspaces/{seed['engineering']}/typeahead?resource_type=task")
        assert answer.status_code == 200


def test_basic_credentials_that_are_not_base64_are_refused(sandbox):
    junk = base64.b64encode(b"\xff\xfe").decode()
    answer = requests.post(
        f"{sandbox.url}/-/oauth_token",
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        headers={"Authorization": f"Basic {junk}"},
        timeout=5,
    )

    assert_oauth_error(answer, 400, "invalid_request")
