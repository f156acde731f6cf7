"""Webhooks as Asana has them: the handshake, signed compact events, heartbeats, filters,
retries, deletion after failing, limits, and the /_sandbox/ controls around them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from .helpers import ADA, GRACE, client_for, configure, control, error_message
from .receiver import Receiver, signature_ok, start_receiver


@pytest.fixture
def receiver(sandbox) -> Iterator[Receiver]:
    configure(sandbox, allow_local_webhooks=True)
    found, server = start_receiver()
    yield found
    server.shutdown()
    server.server_close()


def create(client, resource: str, target: str, **data):
    return client.post("/webhooks", json={"data": {"resource": resource, "target": target, **data}})


@pytest.fixture
def hook(ada, receiver, seed) -> dict:
    """A webhook on the Backend project, its heartbeat received; {"gid", "secret"}."""
    answer = create(ada, seed["backend"], receiver.url)
    assert answer.status_code == 201, answer.text
    receiver.wait_for_deliveries(1)
    return {"gid": answer.json()["data"]["gid"], "secret": answer.headers["X-Hook-Secret"]}


def failed_event_delivery_logged(sandbox) -> bool:
    sent = control(sandbox, "GET", "webhook-deliveries").json()["sent"]
    return any(entry["events"] and entry["error"] for entry in sent)


def event_deliveries(receiver: Receiver) -> list:
    return [d for d in receiver.deliveries if d.events]


def wait_for_events(receiver: Receiver, count: int, timeout: float = 5.0) -> list[dict]:
    return receiver.wait_for(lambda: len(receiver.events()) >= count and receiver.events(), timeout)


# --- the handshake -------------------------------------------------------------------------------


def test_creating_a_webhook_shakes_hands_with_the_target_while_the_request_is_open(
    ada, receiver, seed
):
    answer = create(ada, seed["backend"], receiver.url)

    assert answer.status_code == 201, answer.text
    (handshake,) = receiver.handshakes  # already there when the 201 came back
    secret = handshake.headers["x-hook-secret"]
    assert len(secret) == 64
    assert answer.headers["X-Hook-Secret"] == secret
    assert answer.json()["X-Hook-Secret"] == secret
    data = answer.json()["data"]
    assert data["resource"] == {
        "gid": seed["backend"],
        "resource_type": "project",
        "name": "Backend",
    }
    assert data["target"] == receiver.url
    assert data["active"] is True
    assert data["resource_type"] == "webhook"


@pytest.mark.parametrize(
    ("echo", "status"), [(False, 200), (True, 500), (True, 302)], ids=["no-echo", "500", "302"]
)
def test_a_target_that_does_not_complete_the_handshake_gets_no_webhook(
    ada, receiver, seed, sandbox, echo, status
):
    receiver.behaviour.echo_secret = echo
    receiver.behaviour.handshake_status = status

    answer = create(ada, seed["backend"], receiver.url)

    assert answer.status_code == 400
    assert "handshake" in error_message(answer)
    assert sandbox.state.webhooks == {}


def test_a_target_that_answers_the_handshake_204_is_accepted(ada, receiver, seed):
    receiver.behaviour.handshake_status = 204

    assert create(ada, seed["backend"], receiver.url).status_code == 201


def test_a_target_nobody_listens_on_is_a_400(ada, receiver, seed):
    answer = create(ada, seed["backend"], "http://127.0.0.1:9/hooks/")

    assert answer.status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "http://localhost:8000/hooks/",
        "http://LOCALHOST./hooks/",
        "http://app.localhost/hooks/",
        "http://127.0.0.1:8000/hooks/",
        "http://127.1.2.3/hooks/",
        "http://[::1]:8000/hooks/",
        "http://0.0.0.0/hooks/",
    ],
)
def test_local_targets_are_refused_403_as_asana_does(ada, seed, target):
    answer = create(ada, seed["backend"], target)

    assert answer.status_code == 403
    assert "Invalid hostname" in error_message(answer)


def test_local_targets_are_accepted_when_started_with_allow_local_webhooks(seed):
    from asana_sandbox import start_sandbox

    with start_sandbox(allow_local_webhooks=True) as other:
        found, server = start_receiver()
        try:
            answer = create(client_for(other, ADA), seed["backend"], found.url)
        finally:
            server.shutdown()
            server.server_close()
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"target": "http://example.test/"}, "resource: Missing input"),
        ({"resource": "{backend}"}, "target: Missing input"),
        ({"resource": "123", "target": "http://example.test/"}, "resource: Unknown object"),
        ({"resource": "{backend}", "target": "ftp://example.test/"}, "target: Not a valid URL"),
        (
            {"resource": "{backend}", "target": "http://x.test/", "filters": [{"fields": ["a"]}]},
            "Only valid with action changed",
        ),
        (
            {"resource": "{backend}", "target": "http://x.test/", "filters": [{"colour": "r"}]},
            "Unknown field",
        ),
    ],
)
def test_bad_webhook_requests_are_400s(ada, seed, data, message):
    data = {k: v.format(**seed) if isinstance(v, str) else v for k, v in data.items()}

    answer = ada.post("/webhooks", json={"data": data})

    assert answer.status_code == 400
    assert message in error_message(answer)


def test_establishing_needs_the_webhooks_write_scope(sandbox, receiver, seed):
    reader = client_for(sandbox, ADA, ["tasks:read", "webhooks:read"])
    writer = client_for(sandbox, ADA, ["webhooks:write"])

    assert create(reader, seed["backend"], receiver.url).status_code == 403
    assert create(writer, seed["backend"], receiver.url).status_code == 201


def test_a_webhook_on_something_the_person_cannot_see_is_refused(katherine, receiver, seed):
    assert create(katherine, seed["backend"], receiver.url).status_code == 403


# --- deliveries --------------------------------------------------------------------------------


def test_the_first_delivery_is_an_empty_heartbeat_signed_with_the_secret(ada, receiver, seed):
    answer = create(ada, seed["backend"], receiver.url)

    (first,) = receiver.wait_for_deliveries(1)
    assert first.body == b'{"events":[]}'
    assert first.path == "/hooks/asana/1/"
    assert first.headers["content-type"] == "application/json"
    assert signature_ok(answer.headers["X-Hook-Secret"], first)
    assert not signature_ok("another secret", first)


def test_heartbeats_come_every_interval(sandbox, hook, receiver):
    configure(sandbox, webhook_heartbeat=0.3)

    beats = receiver.wait_for_deliveries(3, timeout=5)

    assert all(b.events == [] for b in beats)


def test_completing_a_task_through_the_api_delivers_a_compact_event_without_the_value(
    ada, hook, receiver, seed
):
    task = seed["engineering_task"]

    ada.put(f"/tasks/{task}", json={"data": {"completed": True}})

    (event,) = wait_for_events(receiver, 1)
    assert event == {
        "user": {"gid": seed["ada"], "resource_type": "user"},
        "created_at": event["created_at"],
        "action": "changed",
        "resource": {"gid": task, "resource_type": "task", "resource_subtype": "default_task"},
        "parent": None,
        "change": {"field": "completed", "action": "changed"},  # no new_value: read the task
    }
    assert event["created_at"].endswith("Z")
    assert all(signature_ok(hook["secret"], d) for d in receiver.deliveries)


def test_a_put_that_changes_nothing_fires_nothing(ada, hook, receiver, seed, sandbox):
    task = seed["engineering_task"]
    ada.put(f"/tasks/{task}", json={"data": {"completed": False}})  # it is open already
    ada.put(f"/tasks/{task}", json={"data": {"name": "Renamed"}})

    events = wait_for_events(receiver, 1)
    time.sleep(0.2)

    assert [e["change"]["field"] for e in receiver.events()] == ["name"]
    assert events[0]["change"] == {"field": "name", "action": "changed"}


def test_assignee_and_due_date_changes_carry_their_new_value(ada, hook, receiver, seed, sandbox):
    task = seed["engineering_task"]

    alan = sandbox.state.find_user("alan@acme.test").gid  # the task is Grace's

    ada.put(f"/tasks/{task}", json={"data": {"assignee": alan, "due_on": "2026-12-24"}})

    changes = {e["change"]["field"]: e["change"] for e in wait_for_events(receiver, 2)}
    assert changes["assignee"]["new_value"] == {"gid": alan, "resource_type": "user"}
    assert changes["due_on"]["new_value"] == "2026-12-24"


def test_a_comment_through_the_api_is_a_story_added_to_the_task(ada, hook, receiver, seed):
    task = seed["engineering_task"]

    story = ada.post(f"/tasks/{task}/stories", json={"data": {"text": "On it"}}).json()["data"]

    (event,) = wait_for_events(receiver, 1)
    assert event["action"] == "added"
    assert event["resource"] == {
        "gid": story["gid"],
        "resource_type": "story",
        "resource_subtype": "comment_added",
    }
    assert event["parent"] == {
        "gid": task,
        "resource_type": "task",
        "resource_subtype": "default_task",
    }
    assert "change" not in event


def test_a_project_webhook_sees_its_tasks_and_not_other_projects_tasks(
    ada, hook, receiver, seed, sandbox
):
    other = next(t for t in sandbox.state.tasks.values() if seed["backend"] not in t.projects)
    ada.put(f"/tasks/{other.gid}", json={"data": {"completed": True}})
    ada.put(f"/tasks/{seed['engineering_task']}", json={"data": {"completed": True}})

    wait_for_events(receiver, 1)
    time.sleep(0.2)

    assert [e["resource"]["gid"] for e in receiver.events()] == [seed["engineering_task"]]


def test_a_task_created_in_the_project_is_added_to_it_and_its_first_section(
    ada, hook, receiver, seed, sandbox
):
    created = ada.post("/tasks", json={"data": {"projects": [seed["backend"]]}}).json()["data"]

    events = wait_for_events(receiver, 2)
    first_section = sandbox.state.sections_of(seed["backend"])[0]
    assert [(e["action"], e["parent"]) for e in events] == [
        ("added", {"gid": seed["backend"], "resource_type": "project"}),
        ("added", {"gid": first_section.gid, "resource_type": "section"}),
    ]
    assert {e["resource"]["gid"] for e in events} == {created["gid"]}


def test_a_webhook_on_a_task_sees_only_that_task(ada, receiver, seed, sandbox):
    task = seed["engineering_task"]
    assert create(ada, task, receiver.url).status_code == 201
    other = next(t.gid for t in sandbox.state.tasks.values() if t.gid != task)
    ada.put(f"/tasks/{other}", json={"data": {"name": "Other"}})
    ada.put(f"/tasks/{task}", json={"data": {"name": "This"}})

    wait_for_events(receiver, 1)
    time.sleep(0.2)

    assert [e["resource"]["gid"] for e in receiver.events()] == [task]


def test_filters_let_through_only_what_they_name(ada, receiver, seed):
    only_completion = [{"resource_type": "task", "action": "changed", "fields": ["completed"]}]
    assert create(ada, seed["backend"], receiver.url, filters=only_completion).status_code == 201
    task = seed["engineering_task"]

    ada.put(f"/tasks/{task}", json={"data": {"name": "Not delivered"}})
    ada.post(f"/tasks/{task}/stories", json={"data": {"text": "Not delivered either"}})
    ada.put(f"/tasks/{task}", json={"data": {"completed": True}})

    wait_for_events(receiver, 1)
    time.sleep(0.2)
    assert [e["change"]["field"] for e in receiver.events()] == ["completed"]


def test_deliveries_never_wait_in_the_api_request(ada, hook, receiver, seed, sandbox):
    configure(sandbox, webhook_timeout=5)
    receiver.behaviour.sleep = 1.0  # a slow target

    started = time.monotonic()
    ada.put(f"/tasks/{seed['engineering_task']}", json={"data": {"completed": True}})
    took = time.monotonic() - started

    assert took < 0.5
    wait_for_events(receiver, 1, timeout=5)


# --- failures ------------------------------------------------------------------------------------


def test_a_failed_delivery_is_retried_with_backoff_until_it_succeeds(
    ada, hook, receiver, seed, sandbox
):
    configure(sandbox, webhook_retry_base=0.2)
    receiver.behaviour.status = 503
    ada.put(f"/tasks/{seed['engineering_task']}", json={"data": {"completed": True}})
    receiver.wait_for(lambda: len(event_deliveries(receiver)) >= 3, timeout=5)
    failing = event_deliveries(receiver)
    webhook = ada.get(f"/webhooks/{hook['gid']}").json()["data"]
    assert webhook["delivery_retry_count"] >= 2
    assert webhook["last_failure_content"].startswith("503")
    assert webhook["failure_deletion_timestamp"]

    receiver.behaviour.status = 200
    receiver.wait_for(lambda: len(event_deliveries(receiver)) > len(failing), timeout=5)

    time.sleep(0.1)
    webhook = ada.get(f"/webhooks/{hook['gid']}").json()["data"]
    assert webhook["delivery_retry_count"] == 0
    assert webhook["last_success_at"] and webhook["failure_deletion_timestamp"] is None
    sent = control(sandbox, "GET", "webhook-deliveries").json()["sent"]
    gaps = [b["time"] for b in sent if b["events"]]
    assert len(gaps) >= 4  # three failures, one success, all logged
    assert control(sandbox, "GET", "webhook-deliveries").json()["pending"] == []


def test_no_answer_within_the_timeout_is_a_failure(ada, hook, receiver, seed, sandbox):
    configure(sandbox, webhook_timeout=0.3, webhook_retry_base=30)
    receiver.behaviour.sleep = 1.0
    ada.put(f"/tasks/{seed['engineering_task']}", json={"data": {"completed": True}})

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        sent = control(sandbox, "GET", "webhook-deliveries").json()["sent"]
        if any(s["events"] for s in sent):
            break
        time.sleep(0.05)
    (failed,) = [s for s in sent if s["events"]]
    assert failed["status"] is None and "no answer" in failed["error"]


def test_a_webhook_failing_for_the_whole_window_is_deleted(ada, hook, receiver, seed, sandbox):
    configure(sandbox, webhook_retry_base=0.1, webhook_failure_window=0.6)
    receiver.behaviour.status = 500
    ada.put(f"/tasks/{seed['engineering_task']}", json={"data": {"completed": True}})

    def inactive():
        answer = ada.get(f"/webhooks/{hook['gid']}")
        return answer.status_code == 404 or not answer.json()["data"]["active"]

    receiver.wait_for(inactive, timeout=5)
    receiver.wait_for(lambda: ada.get(f"/webhooks/{hook['gid']}").status_code == 404, timeout=5)
    assert ada.get("/webhooks", params={"workspace": seed["engineering"]}).json()["data"] == []


def test_advancing_the_clock_past_the_window_deletes_a_failing_webhook(
    ada, hook, receiver, seed, sandbox
):
    configure(sandbox, webhook_retry_base=1000)
    receiver.behaviour.status = 500
    ada.put(f"/tasks/{seed['engineering_task']}", json={"data": {"completed": True}})
    receiver.wait_for(lambda: event_deliveries(receiver), timeout=5)
    # The receiver has the request before the sandbox has its answer: advancing the clock in
    # between would start the failure window after the jump.
    receiver.wait_for(lambda: failed_event_delivery_logged(sandbox), timeout=5)

    control(sandbox, "POST", "advance-clock", json={"seconds": 24 * 3600 + 120})

    # (The token has expired by now too: look through the controls.)
    receiver.wait_for(lambda: control(sandbox, "GET", "webhooks").json() == [], timeout=5)


# --- reading, changing and deleting webhooks ----------------------------------------------------


def test_webhooks_are_listed_per_workspace_and_resource_paginated(ada, receiver, seed, sandbox):
    for resource in (seed["backend"], seed["backend"], seed["engineering_task"]):
        assert create(ada, resource, receiver.url).status_code == 201
    grace = client_for(sandbox, GRACE)
    ws = seed["engineering"]

    everything = ada.get("/webhooks", params={"workspace": ws}).json()["data"]
    on_backend = ada.get("/webhooks", params={"workspace": ws, "resource": seed["backend"]})
    first = ada.get("/webhooks", params={"workspace": ws, "limit": 2}).json()
    second = ada.get(
        "/webhooks", params={"workspace": ws, "limit": 2, "offset": first["next_page"]["offset"]}
    ).json()

    assert len(everything) == 3
    assert set(everything[0]) == {"gid", "resource_type", "active", "resource", "target"}
    assert len(on_backend.json()["data"]) == 2
    assert [w["gid"] for w in first["data"] + second["data"]] == [w["gid"] for w in everything]
    assert second["next_page"] is None
    assert grace.get("/webhooks", params={"workspace": ws}).json()["data"] == []
    assert ada.get("/webhooks").status_code == 400  # workspace is required
    assert ada.get("/webhooks", params={"workspace": seed["marketing"]}).json()["data"] == []


def test_a_webhook_is_read_updated_and_deleted_by_its_owner_only(
    ada, hook, receiver, seed, sandbox
):
    grace = client_for(sandbox, GRACE)
    url = f"/webhooks/{hook['gid']}"
    filters = [{"resource_type": "task", "action": "changed", "fields": ["completed"]}]

    assert ada.get(url).json()["data"]["created_at"].endswith("Z")
    assert grace.get(url).status_code == 404
    updated = ada.put(url, json={"data": {"filters": filters}})
    assert updated.status_code == 200
    assert updated.json()["data"]["filters"] == filters
    assert ada.put(url, json={"data": {"target": "http://x.test/"}}).status_code == 400
    assert grace.request("DELETE", url).status_code == 404

    deleted = ada.request("DELETE", url)

    assert deleted.status_code == 200 and deleted.json() == {"data": {}}
    assert ada.get(url).status_code == 404
    ada.put(f"/tasks/{seed['engineering_task']}", json={"data": {"completed": True}})
    time.sleep(0.3)
    assert receiver.events() == []


def test_reading_and_deleting_need_their_own_scopes(sandbox, receiver, seed):
    writer = client_for(sandbox, ADA, ["webhooks:write"])
    gid = create(writer, seed["backend"], receiver.url).json()["data"]["gid"]

    assert writer.get(f"/webhooks/{gid}").status_code == 403
    assert writer.request("DELETE", f"/webhooks/{gid}").status_code == 403
    everything = client_for(sandbox, ADA, ["webhooks:read", "webhooks:delete"])
    assert everything.get(f"/webhooks/{gid}").status_code == 200
    assert everything.request("DELETE", f"/webhooks/{gid}").status_code == 200


def test_the_limits_per_resource_and_per_user_and_app(ada, receiver, seed, sandbox):
    configure(sandbox, webhooks_per_resource=2, webhooks_per_user=3)
    assert create(ada, seed["backend"], receiver.url).status_code == 201
    assert create(ada, seed["backend"], receiver.url).status_code == 201

    per_resource = create(ada, seed["backend"], receiver.url)
    assert create(ada, seed["engineering_task"], receiver.url).status_code == 201
    per_user = create(ada, seed["website"], receiver.url)

    assert per_resource.status_code == 403 and "on resource" in error_message(per_resource)
    assert per_user.status_code == 403 and "user and app" in error_message(per_user)
    grace = client_for(sandbox, GRACE)
    assert create(grace, seed["engineering_task"], receiver.url).status_code == 201
