"""ApiClient and AuthApiClient at the HTTP edge: headers, JSON, errors, retries, logging."""

from __future__ import annotations

import json
import logging
import socket

import pytest
import requests
from responses import matchers

from integrations.asana.client import AsanaClient
from integrations.client import ApiClient, get_session
from integrations.exceptions import (
    ApiError,
    ApiForbidden,
    ApiNotFound,
    ApiRateLimited,
    ApiTimeout,
    ApiUnavailable,
)
from tests.support import API, FAKE_ASANA

ME = {"data": {"gid": "1200000000000003", "name": "Ada Lovelace", "resource_type": "user"}}


def asana_errors(*messages: str) -> dict:
    return {"errors": [{"message": m, "help": "For more information…"} for m in messages]}


class PlainClient(ApiClient):
    base_url = FAKE_ASANA + "/api/1.0"


def test_bearer_token_and_headers_are_sent(fake_asana, identity, settings):
    call = fake_asana.get(API + "/users/me", json=ME)

    assert AsanaClient(auth=identity).get_me() == ME

    headers = call.calls[0].request.headers
    assert headers["Authorization"] == "Bearer access-1"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith(f"Tasklink/{settings.VERSION}")


def test_json_goes_out_and_comes_back(fake_asana, identity):
    fake_asana.put(
        API + "/tasks/12",
        match=[matchers.json_params_matcher({"data": {"completed": True}})],
        json={"data": {"gid": "12", "completed": True}},
    )

    answer = AsanaClient(auth=identity).put("/tasks/12", data={"data": {"completed": True}})

    assert answer == {"data": {"gid": "12", "completed": True}}


def test_no_content_answers_none(fake_asana, identity):
    fake_asana.delete(API + "/tasks/12", status=204)

    assert AsanaClient(auth=identity).delete("/tasks/12") is None


def test_one_session_is_shared_by_all_clients(identity):
    assert get_session() is get_session()
    adapter = get_session().get_adapter("https://app.asana.com")
    assert adapter._pool_maxsize >= 10


def test_shared_session_keeps_no_cookies(fake_asana, identity):
    fake_asana.get(API + "/users/me", json=ME, headers={"Set-Cookie": "sid=someone; Path=/"})
    second = fake_asana.get(API + "/users/me", json=ME)

    client = AsanaClient(auth=identity)
    client.get_me()
    client.get_me()

    assert "Cookie" not in second.calls[-1].request.headers


def test_timeouts_come_from_settings(fake_asana, identity, settings):
    settings.ASANA_CONNECT_TIMEOUT = 1.5
    settings.ASANA_READ_TIMEOUT = 4.0
    fake_asana.get(API + "/users/me", json=ME)

    AsanaClient(auth=identity).get_me()

    assert fake_asana.calls[0].request.req_kwargs["timeout"] == (1.5, 4.0)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ApiError),
        (402, ApiError),
        (403, ApiForbidden),
        (404, ApiNotFound),
        (429, ApiRateLimited),
    ],
)
def test_error_status_maps_to_its_exception_with_asanas_message(
    fake_asana, identity, waits, status, kind
):
    fake_asana.post(API + "/tasks", status=status, json=asana_errors("name: Missing input"))

    with pytest.raises(kind) as caught:
        AsanaClient(auth=identity).post("/tasks", data={"data": {}})

    assert type(caught.value) is kind
    assert caught.value.status == status
    assert str(caught.value).startswith("name: Missing input")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_say_asana_is_having_trouble(fake_asana, identity, waits, status):
    fake_asana.post(API + "/tasks", status=status, json=asana_errors("Server Error"))

    with pytest.raises(ApiUnavailable) as caught:
        AsanaClient(auth=identity).post("/tasks", data={"data": {}})

    assert caught.value.status == status
    assert str(caught.value) == f"Asana is having trouble (HTTP {status}). Try again in a moment."


def test_several_asana_messages_are_joined(fake_asana, identity):
    fake_asana.get(API + "/tasks/1", status=400, json=asana_errors("first: bad", "second: worse"))

    with pytest.raises(ApiError, match=r"^first: bad; second: worse$"):
        AsanaClient(auth=identity).get("/tasks/1")


def test_error_body_that_is_not_json_gives_a_clear_message(fake_asana, identity):
    fake_asana.get(API + "/tasks/1", status=502, body="<html>Bad Gateway</html>")

    with pytest.raises(ApiUnavailable) as caught:
        AsanaClient(auth=identity).get("/tasks/1")

    assert caught.value.status == 502
    assert str(caught.value) == "Asana is having trouble (HTTP 502). Try again in a moment."


def test_malformed_success_body_is_an_api_error(fake_asana, identity):
    fake_asana.get(API + "/users/me", body="<html>Captive portal</html>")

    with pytest.raises(ApiError) as caught:
        AsanaClient(auth=identity).get_me()

    assert caught.value.status == 200
    assert str(caught.value) == "Asana answered with a malformed response."


def test_redirect_is_not_followed(fake_asana, identity):
    fake_asana.get(API + "/users/me", status=302, headers={"Location": "https://evil.example/"})

    with pytest.raises(ApiError) as caught:
        AsanaClient(auth=identity).get_me()

    assert caught.value.status == 302
    assert len(fake_asana.calls) == 1


def test_rate_limited_get_is_retried_after_retry_after(fake_asana, identity, waits):
    fake_asana.get(
        API + "/users/me",
        status=429,
        headers={"Retry-After": "2"},
        json=asana_errors("You have made too many requests recently."),
    )
    fake_asana.get(API + "/users/me", json=ME)

    assert AsanaClient(auth=identity).get_me() == ME
    assert waits == [2.0]
    assert len(fake_asana.calls) == 2


def test_unavailable_get_is_retried_after_retry_after(fake_asana, identity, waits):
    fake_asana.get(API + "/users/me", status=503, headers={"Retry-After": "1"})
    fake_asana.get(API + "/users/me", json=ME)

    assert AsanaClient(auth=identity).get_me() == ME
    assert waits == [1.0]


def test_get_is_retried_only_once(fake_asana, identity, waits):
    for _ in range(2):
        fake_asana.get(API + "/users/me", status=429, headers={"Retry-After": "1"})

    with pytest.raises(ApiRateLimited) as caught:
        AsanaClient(auth=identity).get_me()

    assert caught.value.retry_after == 1
    assert waits == [1.0]
    assert len(fake_asana.calls) == 2


def test_long_retry_after_is_not_waited_for(fake_asana, identity, waits, settings):
    settings.ASANA_MAX_RETRY_WAIT = 3
    fake_asana.get(API + "/users/me", status=429, headers={"Retry-After": "30"})

    with pytest.raises(ApiRateLimited) as caught:
        AsanaClient(auth=identity).get_me()

    assert caught.value.retry_after == 30
    assert "Try again in 30 seconds" in str(caught.value)
    assert waits == []


def test_rate_limited_post_is_not_retried(fake_asana, identity, waits):
    fake_asana.post(API + "/tasks", status=429, headers={"Retry-After": "1"})

    with pytest.raises(ApiRateLimited) as caught:
        AsanaClient(auth=identity).post("/tasks", data={"data": {"name": "x"}})

    assert caught.value.retry_after == 1
    assert waits == []
    assert len(fake_asana.calls) == 1


def test_server_error_on_post_is_not_retried(fake_asana, identity, waits):
    fake_asana.post(API + "/tasks", status=500, json=asana_errors("Server Error"))

    with pytest.raises(ApiUnavailable) as caught:
        AsanaClient(auth=identity).post("/tasks", data={"data": {"name": "x"}})

    assert caught.value.status == 500
    assert waits == []
    assert len(fake_asana.calls) == 1


@pytest.mark.parametrize("failure", [requests.ReadTimeout, requests.ConnectTimeout])
def test_timeouts_raise_api_timeout(fake_asana, identity, failure):
    fake_asana.get(API + "/users/me", body=failure("took too long"))

    with pytest.raises(ApiTimeout) as caught:
        AsanaClient(auth=identity).get_me()

    assert str(caught.value) == "Asana did not answer in time. Try again in a moment."
    assert not isinstance(caught.value.__cause__, ApiError)


def test_connection_refused_raises_api_unavailable(identity, settings):
    # A port nobody listens on: the real socket error, not a mock.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ASANA_BASE_URL = f"http://127.0.0.1:{port}"

    with pytest.raises(ApiUnavailable) as caught:
        AsanaClient(auth=identity).get_me()

    assert type(caught.value) is ApiUnavailable
    assert str(caught.value) == "Asana cannot be reached right now. Try again in a moment."


def test_other_request_failures_do_not_leak_requests_exceptions(fake_asana, identity):
    fake_asana.get(API + "/users/me", body=requests.exceptions.TooManyRedirects("loop"))

    with pytest.raises(ApiError) as caught:
        AsanaClient(auth=identity).get_me()

    assert not isinstance(caught.value, requests.RequestException)


def test_full_urls_are_refused_so_the_token_stays_home(identity):
    with pytest.raises(ValueError):
        AsanaClient(auth=identity).get("https://evil.example/steal")


def test_plain_api_client_needs_no_identity(fake_asana):
    call = fake_asana.get(API + "/ping", json={"ok": True})

    assert PlainClient().get("/ping") == {"ok": True}
    assert "Authorization" not in call.calls[0].request.headers


def test_each_call_is_logged_without_token_or_query(fake_asana, identity, caplog):
    fake_asana.get(API + "/workspaces/1/typeahead", json={"data": []})
    caplog.set_level(logging.DEBUG)

    AsanaClient(auth=identity).search("1", "task", "secret search words")

    lines = [r.getMessage() for r in caplog.records if r.name == "tasklink.client"]
    assert len(lines) == 1
    method, path, status, duration = lines[0].split()
    assert (method, path, status) == ("GET", "/api/1.0/workspaces/1/typeahead", "200")
    assert duration.endswith("ms") and float(duration[:-2]) >= 0
    assert "access-1" not in caplog.text
    assert "secret" not in caplog.text


def test_failures_are_logged_without_token(fake_asana, identity, caplog):
    fake_asana.get(API + "/users/me", body=requests.ReadTimeout("slow"))
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ApiTimeout):
        AsanaClient(auth=identity).get_me()

    assert "GET /api/1.0/users/me failed: ReadTimeout" in caplog.text
    assert "access-1" not in caplog.text


def test_request_body_is_sent_as_json(fake_asana, identity):
    fake_asana.post(API + "/tasks", json={"data": {"gid": "9"}})

    AsanaClient(auth=identity).post("/tasks", data={"data": {"name": "é"}})

    request = fake_asana.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {"data": {"name": "é"}}


def test_unknown_status_class_is_still_an_api_error(fake_asana, identity):
    fake_asana.get(API + "/users/me", status=418, body="")

    with pytest.raises(ApiError, match=r"HTTP 418"):
        AsanaClient(auth=identity).get_me()
