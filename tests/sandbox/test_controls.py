"""/_sandbox/: fault injection, rate limiting, the request log, state and reset."""

from __future__ import annotations

import json
import time

import pytest
import requests

from asana_sandbox import start_sandbox

from .helpers import (
    ADA,
    CLIENT_ID,
    CLIENT_SECRET,
    KATHERINE,
    approve,
    client_for,
    configure,
    control,
    dance,
    error_message,
)


def add_fault(sandbox, **fault) -> dict:
    answer = control(sandbox, "POST", "faults", json=fault)
    assert answer.status_code == 201, answer.text
    return answer.json()


# --- faults ------------------------------------------------------------------------------------


def test_a_429_fault_answers_asanas_rate_limit_error_with_retry_after(sandbox, ada):
    add_fault(sandbox, path="/api/1.0/users/me", method="GET", status=429, retry_after=2)

    limited = ada.get("/users/me")
    after = ada.get("/users/me")

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert error_message(limited).startswith("You've made too many requests")
    assert after.status_code == 200  # times defaults to 1


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (400, "Bad Request"),
        (401, "Not Authorized"),
        (402, "Payment Required"),
        (403, "Forbidden"),
        (404, "Not Found"),
        (500, "Server Error"),
        (502, "Bad Gateway"),
        (503, "Service Unavailable"),
        (504, "Gateway Timeout"),
    ],
)
def test_an_error_fault_answers_an_asana_shaped_body(sandbox, ada, status, message):
    add_fault(sandbox, path="/api/1.0/workspaces", status=status)

    answer = ada.get("/workspaces")

    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/json; charset=UTF-8"
    (error,) = answer.json()["errors"]
    assert error["message"] == message
    if status == 500:
        assert error["phrase"]
    assert "Retry-After" not in answer.headers


def test_a_fault_hits_as_many_times_as_asked(sandbox, ada):
    add_fault(sandbox, path="/api/1.0/workspaces", status=503, times=2)

    statuses = [ada.get("/workspaces").status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_a_fault_path_ending_in_a_star_is_a_prefix(sandbox, ada, seed):
    add_fault(sandbox, path="/api/1.0/tasks*", status=500, times=10)

    assert ada.get(f"/tasks/{seed['engineering_task']}").status_code == 500
    assert ada.post("/tasks", json={"data": {"workspace": seed["engineering"]}}).status_code == 500
    assert ada.get("/workspaces").status_code == 200


def test_a_fault_with_a_method_spares_other_methods(sandbox, ada, seed):
    add_fault(sandbox, path="/api/1.0/tasks", method="post", status=500)

    assert ada.get(f"/tasks/{seed['engineering_task']}").status_code == 200
    assert ada.post("/tasks", json={"data": {"workspace": seed["engineering"]}}).status_code == 500


def test_a_malformed_body_fault_answers_200_with_what_it_was_given(sandbox, ada):
    add_fault(sandbox, path="/api/1.0/users/me", status=200, body="not json")

    answer = ada.get("/users/me")

    assert answer.status_code == 200
    assert answer.text == "not json"
    with pytest.raises(ValueError):
        answer.json()


def test_a_delay_without_status_lets_the_real_handler_answer_late(sandbox, ada):
    add_fault(sandbox, path="/api/1.0/users/me", delay=0.3)

    started = time.monotonic()
    answer = ada.get("/users/me")

    assert time.monotonic() - started >= 0.3
    assert answer.status_code == 200
    assert answer.json()["data"]["email"] == ADA


def test_a_delay_longer_than_the_clients_timeout_is_a_timeout(sandbox, ada):
    add_fault(sandbox, path="/api/1.0/users/me", delay=1.0)

    with pytest.raises(requests.exceptions.ReadTimeout):
        ada.get("/users/me", timeout=0.2)
    # Meanwhile the sandbox keeps answering other requests.
    assert ada.get("/workspaces", timeout=0.5).status_code == 200


def test_a_fault_at_the_token_endpoint_answers_in_oauth_shape(sandbox):
    tokens = dance(sandbox, ADA)
    add_fault(sandbox, path="/-/oauth_token", status=400)

    answer = requests.post(
        f"{sandbox.url}/-/oauth_token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
        },
        timeout=5,
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_faults_can_be_listed_and_cleared(sandbox, ada):
    add_fault(sandbox, path="/api/1.0/workspaces", status=500, times=3)

    listed = control(sandbox, "GET", "faults").json()
    cleared = control(sandbox, "DELETE", "faults")

    assert [(f["path"], f["status"], f["times"]) for f in listed] == [
        ("/api/1.0/workspaces", 500, 3)
    ]
    assert cleared.status_code == 200
    assert control(sandbox, "GET", "faults").json() == []
    assert ada.get("/workspaces").status_code == 200


@pytest.mark.parametrize(
    "fault",
    [
        {},
        {"path": "no-slash"},
        {"path": "/x", "status": 99},
        {"path": "/x", "status": "500"},
        {"path": "/x", "times": 0},
        {"path": "/x", "delay": -1},
        {"path": "/x", "body": "lonely body"},
    ],
)
def test_a_malformed_fault_is_refused(sandbox, fault):
    answer = control(sandbox, "POST", "faults", json=fault)

    assert answer.status_code == 400
    assert answer.json()["error"]


# --- rate limiting -----------------------------------------------------------------------------


def test_the_rate_limit_is_per_token_per_minute(sandbox, ada, katherine):
    configure(sandbox, rate_limit=3)

    statuses = [ada.get("/users/me").status_code for _ in range(4)]
    limited = ada.get("/users/me")

    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert error_message(limited).startswith("You've made too many requests")
    assert katherine.get("/users/me").status_code == 200


def test_the_rate_limit_lifts_after_a_minute(sandbox, ada):
    configure(sandbox, rate_limit=1)
    assert ada.get("/users/me").status_code == 200
    assert ada.get("/users/me").status_code == 429

    control(sandbox, "POST", "advance-clock", json={"seconds": 61})

    assert ada.get("/users/me").status_code == 200


def test_the_rate_limit_option_of_start_sandbox():
    with start_sandbox(rate_limit=2) as other:
        client = client_for(other, KATHERINE)
        assert [client.get("/users/me").status_code for _ in range(3)] == [200, 200, 429]


# --- the request log ---------------------------------------------------------------------------


def test_the_log_records_every_request_but_the_controls(sandbox, ada):
    ada.get("/workspaces", params={"limit": 1})
    ada.get("/tasks/123")
    control(sandbox, "GET", "state")

    log = control(sandbox, "GET", "requests").json()

    # The sandbox is shared by the session: a late request of an earlier test may come first.
    assert [(e["method"], e["path"], e["status"]) for e in log][-2:] == [
        ("GET", "/api/1.0/workspaces", 200),
        ("GET", "/api/1.0/tasks/123", 404),
    ]
    assert not [e for e in log if e["path"].startswith("/_sandbox")]
    assert log[-2]["query"] == {"limit": "1"}
    assert log[-2]["time"].endswith("Z")


def test_the_log_records_faulted_requests_and_bodies(sandbox, ada, seed):
    add_fault(sandbox, path="/api/1.0/tasks", status=503)
    ada.post("/tasks", json={"data": {"workspace": seed["engineering"], "name": "x"}})

    (entry,) = control(sandbox, "GET", "requests").json()

    assert entry["status"] == 503
    assert entry["body"] == {"data": {"workspace": seed["engineering"], "name": "x"}}


def test_the_log_redacts_every_credential_of_the_oauth_dance(sandbox):
    answer = dance(sandbox, ADA)
    refresh = answer["refresh_token"]
    requests.post(
        f"{sandbox.url}/-/oauth_token",
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=5,
    )
    requests.post(
        f"{sandbox.url}/-/oauth_revoke",
        data={"token": refresh, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=5,
    )
    requests.get(
        f"{sandbox.url}/api/1.0/users/me",
        params={"access_token": answer["access_token"]},
        headers={"Authorization": f"Bearer {answer['access_token']}"},
        timeout=5,
    )

    log = control(sandbox, "GET", "requests").json()
    text = json.dumps(log)

    exchange, refreshed = [e for e in log if e["path"] == "/-/oauth_token"]
    (revoked,) = [e for e in log if e["path"] == "/-/oauth_revoke"]
    (me,) = [e for e in log if e["path"] == "/api/1.0/users/me"]
    for secret in (CLIENT_SECRET, refresh, answer["access_token"]):
        assert secret not in text
    assert exchange["body"]["client_secret"] == "[REDACTED]"
    assert exchange["body"]["code"] == "[REDACTED]"
    assert exchange["body"]["code_verifier"] == "[REDACTED]"
    assert exchange["body"]["grant_type"] == "authorization_code"  # the rest stays readable
    assert refreshed["body"]["refresh_token"] == "[REDACTED]"
    assert refreshed["headers"]["authorization"] == "Basic [REDACTED]"
    assert revoked["body"]["token"] == "[REDACTED]"
    assert me["query"]["access_token"] == "[REDACTED]"
    assert me["headers"]["authorization"] == "Bearer [REDACTED]"


def test_the_log_redacts_the_code_the_authorize_redirect_carries_nowhere_else(sandbox):
    """Codes leave the sandbox only in the Location header, which the log does not keep."""
    code = approve(sandbox, ADA)

    assert code not in json.dumps(control(sandbox, "GET", "requests").json())


def test_the_log_can_be_cleared(sandbox, ada):
    ada.get("/users/me")

    assert control(sandbox, "DELETE", "requests").status_code == 200

    assert control(sandbox, "GET", "requests").json() == []
    assert sandbox.state.request_log == []


# --- state and reset ---------------------------------------------------------------------------


def test_state_shows_the_seed(sandbox):
    state = control(sandbox, "GET", "state").json()

    assert [w["name"] for w in state["workspaces"]] == ["Acme Engineering", "Acme Marketing"]
    assert len(state["users"]) == 5
    assert len(state["projects"]) == 7
    assert len(state["tasks"]) == 30
    assert {p["workspace"] for p in state["projects"]} == {w["gid"] for w in state["workspaces"]}
    assert all(t["gid"].isdigit() and len(t["gid"]) == 16 for t in state["tasks"])
    assert state["stories"][0]["text"]


def test_the_seed_is_the_same_every_time():
    with start_sandbox() as one, start_sandbox() as two:
        first, second = one.state.snapshot(), two.state.snapshot()
    assert first == second


def test_reset_forgets_new_data_tokens_faults_and_config(sandbox, ada, seed):
    created = ada.post("/tasks", json={"data": {"workspace": seed["engineering"]}}).json()["data"]
    add_fault(sandbox, path="/api/1.0/workspaces", status=500)
    configure(sandbox, rate_limit=1, auto_approve=True)

    assert control(sandbox, "POST", "reset").status_code == 200

    assert control(sandbox, "GET", "requests").json() == []
    assert created["gid"] not in sandbox.state.tasks
    assert len(sandbox.state.tasks) == 30
    assert ada.get("/users/me").status_code == 401
    assert control(sandbox, "GET", "faults").json() == []
    assert control(sandbox, "GET", "config").json()["rate_limit"] is None
    assert control(sandbox, "GET", "config").json()["auto_approve"] is False


def test_an_unknown_control_is_404(sandbox):
    assert control(sandbox, "GET", "nothing").status_code == 404
    assert control(sandbox, "POST", "config", json={"colour": "red"}).status_code == 400
