"""Acting as a person in Asana (/_sandbox/act and the task page), sections and memberships, and
the delivery faults: drop, duplicate, delay, reorder, flush."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import requests

from .helpers import GRACE, KATHERINE, configure, control
from .receiver import Receiver, start_receiver


@pytest.fixture
def receiver(sandbox, ada, seed) -> Iterator[Receiver]:
    """A target with a webhook on the Backend project, its first heartbeat already in."""
    configure(sandbox, allow_local_webhooks=True)
    found, server = start_receiver()
    data = {"resource": seed["backend"], "target": found.url}
    assert ada.post("/webhooks", json={"data": data}).status_code == 201
    found.wait_for_deliveries(1)
    yield found
    server.shutdown()
    server.server_close()


def act(sandbox, **body) -> requests.Response:
    return control(sandbox, "POST", "act", json=body)


def events(receiver: Receiver, count: int) -> list[dict]:
    return receiver.wait_for(lambda: len(receiver.events()) >= count and receiver.events())


# --- /_sandbox/act -------------------------------------------------------------------------------


def test_completing_as_a_person_changes_the_task_and_fires_the_event_as_them(
    sandbox, receiver, seed, ada
):
    task = seed["engineering_task"]

    answer = act(sandbox, **{"as": GRACE, "action": "complete", "task": task})

    assert answer.status_code == 200, answer.text
    assert answer.json()["task"]["completed"] is True
    assert ada.get(f"/tasks/{task}").json()["data"]["completed"] is True
    (event,) = events(receiver, 1)
    assert event["user"] == {"gid": seed["grace"], "resource_type": "user"}
    assert event["change"] == {"field": "completed", "action": "changed"}


def test_reopening_assigning_and_commenting(sandbox, receiver, seed, ada):
    task = seed["engineering_task"]
    act(sandbox, **{"as": GRACE, "action": "complete", "task": task})
    act(sandbox, **{"as": GRACE, "action": "reopen", "task": task})
    act(sandbox, **{"as": GRACE, "action": "assign", "task": task, "assignee": "ada@acme.test"})
    comment = act(sandbox, **{"as": GRACE, "action": "comment", "task": task, "text": "Done?"})

    got = events(receiver, 4)
    assert [(e["action"], (e.get("change") or {}).get("field")) for e in got] == [
        ("changed", "completed"),
        ("changed", "completed"),
        ("changed", "assignee"),
        ("added", None),
    ]
    assert got[2]["change"]["new_value"] == {"gid": seed["ada"], "resource_type": "user"}
    story = comment.json()["story"]
    assert got[3]["resource"]["gid"] == story["gid"]
    data = ada.get(f"/tasks/{task}", params={"opt_fields": "completed,assignee"}).json()["data"]
    assert data["completed"] is False and data["assignee"]["gid"] == seed["ada"]
    stories = ada.get(f"/tasks/{task}/stories").json()["data"]
    assert stories[-1]["text"] == "Done?" and stories[-1]["created_by"]["gid"] == seed["grace"]


def test_a_persons_comment_modifies_the_task_as_asana_documents(sandbox, seed, ada):
    """Asana's Task.modified_at: "adding stories" modifies the task. The reconciliation reads
    a task's comments only once its modified_at moved."""
    task = seed["engineering_task"]
    before = ada.get(f"/tasks/{task}", params={"opt_fields": "modified_at"}).json()["data"]
    comment = act(sandbox, **{"as": GRACE, "action": "comment", "task": task, "text": "Why?"})
    story = comment.json()["story"]
    after = ada.get(f"/tasks/{task}", params={"opt_fields": "modified_at"}).json()["data"]
    assert after["modified_at"] > before["modified_at"]
    assert after["modified_at"] == story["created_at"]


def test_unassigning(sandbox, seed, ada):
    task = seed["engineering_task"]

    act(sandbox, **{"as": GRACE, "action": "assign", "task": task, "assignee": None})

    assert ada.get(f"/tasks/{task}").json()["data"]["assignee"] is None


def test_moving_to_another_section_and_project(sandbox, receiver, seed, ada):
    task = seed["engineering_task"]
    backend_sections = sandbox.state.sections_of(seed["backend"])
    web_app = next(p.gid for p in sandbox.state.projects.values() if p.name == "Web App")
    web_sections = sandbox.state.sections_of(web_app)

    act(
        sandbox, **{"as": GRACE, "action": "move", "task": task, "section": backend_sections[1].gid}
    )
    moved = events(receiver, 2)
    act(sandbox, **{"as": GRACE, "action": "move", "task": task, "project": web_app})
    left = events(receiver, 4)[2:]

    def parent(e):
        return (e["action"], e["parent"]["resource_type"], e["parent"]["gid"])

    assert [parent(e) for e in moved] == [
        ("removed", "section", backend_sections[0].gid),
        ("added", "section", backend_sections[1].gid),
    ]
    # The Backend webhook sees the task leave; what happens in Web App is not its business.
    assert [parent(e) for e in left] == [
        ("removed", "section", backend_sections[1].gid),
        ("removed", "project", seed["backend"]),
    ]
    fields = "memberships.project.name,memberships.section.name,projects"
    data = ada.get(f"/tasks/{task}", params={"opt_fields": fields}).json()["data"]
    assert data["projects"] == [{"gid": web_app, "resource_type": "project"}]
    assert data["memberships"] == [
        {
            "project": {"gid": web_app, "resource_type": "project", "name": "Web App"},
            "section": {"gid": web_sections[0].gid, "resource_type": "section", "name": "To do"},
        }
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "complete", "task": "{task}"}, "as: no sandbox user"),
        ({"as": GRACE, "action": "fly", "task": "{task}"}, "action must be one of"),
        ({"as": GRACE, "action": "complete", "task": "1"}, "task: no task"),
        ({"as": KATHERINE, "action": "complete", "task": "{task}"}, "not in the task's workspace"),
        ({"as": GRACE, "action": "comment", "task": "{task}", "text": " "}, "needs some text"),
        ({"as": GRACE, "action": "move", "task": "{task}", "project": "{website}"}, "another"),
        ({"as": GRACE, "action": "assign", "task": "{task}", "assignee": KATHERINE}, "assignee"),
    ],
)
def test_act_refuses_what_makes_no_sense(sandbox, seed, body, message):
    values = {"task": seed["engineering_task"], "website": seed["website"]}
    body = {k: v.format(**values) if isinstance(v, str) else v for k, v in body.items()}

    answer = act(sandbox, **body)

    assert answer.status_code == 400
    assert message in answer.json()["error"]


# --- tasks as Asana returns them -----------------------------------------------------------------


def test_a_task_carries_assignee_memberships_with_sections_and_due_date(ada, seed, sandbox):
    created = ada.post(
        "/tasks",
        json={"data": {"projects": [seed["backend"]], "assignee": "me", "due_on": "2026-12-01"}},
    ).json()["data"]

    first = sandbox.state.sections_of(seed["backend"])[0]
    assert created["memberships"] == [
        {
            "project": {"gid": seed["backend"], "resource_type": "project", "name": "Backend"},
            "section": {"gid": first.gid, "resource_type": "section", "name": "To do"},
        }
    ]
    assert created["due_on"] == "2026-12-01"
    assert created["assignee"]["gid"] == seed["ada"]


def test_a_projects_sections_are_listed(ada, seed):
    sections = ada.get(f"/projects/{seed['backend']}/sections").json()["data"]

    assert [s["name"] for s in sections] == ["To do", "In progress", "Done"]
    one = ada.get(f"/sections/{sections[1]['gid']}").json()["data"]
    assert one["project"]["gid"] == seed["backend"]


# --- the task page -------------------------------------------------------------------------------


def page_of(sandbox, seed) -> str:
    return f"{sandbox.url}/0/{seed['backend']}/{seed['engineering_task']}"


def test_the_task_page_completes_the_task_as_the_person_chosen(sandbox, receiver, seed, ada):
    url = page_of(sandbox, seed)
    page = requests.get(url, timeout=5).text
    assert "<form method='post'>" in page
    assert "name='action' value='complete'" in page
    assert re.search(r"<select id='as' name='as'>", page)

    done = requests.post(
        url, data={"as": seed["grace"], "action": "complete"}, allow_redirects=False, timeout=5
    )

    assert done.status_code == 303 and done.headers["Location"] == url.replace(sandbox.url, "")
    assert sandbox.state.tasks[seed["engineering_task"]].completed
    (event,) = events(receiver, 1)
    assert event["user"]["gid"] == seed["grace"]
    after = requests.get(url, timeout=5).text
    assert "name='action' value='reopen'" in after and "Completed" in after


def test_the_task_page_comments_and_says_what_was_wrong(sandbox, seed):
    url = page_of(sandbox, seed)

    empty = requests.post(url, data={"as": seed["grace"], "action": "comment"}, timeout=5)
    said = requests.post(
        url, data={"as": seed["grace"], "action": "comment", "text": "Hi <b>"}, timeout=5
    )

    assert empty.status_code == 400 and "needs some text" in empty.text
    assert said.status_code == 200 and "Hi &lt;b&gt;" in said.text


# --- delivery faults -----------------------------------------------------------------------------


def complete(ada, task: str, done: bool = True) -> None:
    assert ada.put(f"/tasks/{task}", json={"data": {"completed": done}}).status_code == 200


def backend_tasks(sandbox, seed) -> list[str]:
    return [t.gid for t in sandbox.state.tasks.values() if seed["backend"] in t.projects]


def fault(sandbox, **body) -> None:
    assert control(sandbox, "POST", "webhook-faults", json=body).status_code == 201


def test_a_dropped_delivery_never_arrives_and_the_next_one_does(sandbox, receiver, seed, ada):
    one, two = backend_tasks(sandbox, seed)[3:5]
    fault(sandbox, mode="drop")

    complete(ada, one)
    complete(ada, two)

    got = events(receiver, 1)
    time.sleep(0.3)
    assert [e["resource"]["gid"] for e in receiver.events()] == [two]
    sent = control(sandbox, "GET", "webhook-deliveries").json()["sent"]
    assert [s["fault"] for s in sent if s["events"]] == ["drop", None]
    assert got


def test_a_duplicated_delivery_arrives_twice(sandbox, receiver, seed, ada):
    fault(sandbox, mode="duplicate")

    complete(ada, seed["engineering_task"])

    first, second = events(receiver, 2)
    assert first == second


def test_a_delayed_delivery_arrives_after_later_ones(sandbox, receiver, seed, ada):
    one, two = backend_tasks(sandbox, seed)[3:5]
    fault(sandbox, mode="delay", delay=0.5)

    complete(ada, one)
    # The first delivery is held back before the second change is made: otherwise both
    # events may still travel in one delivery, which has nothing to reorder.
    receiver.wait_for(lambda: control(sandbox, "GET", "webhook-deliveries").json()["pending"])
    complete(ada, two)

    assert [e["resource"]["gid"] for e in events(receiver, 2)] == [two, one]


def test_a_reordered_delivery_goes_right_after_the_next_one(sandbox, receiver, seed, ada):
    one, two = backend_tasks(sandbox, seed)[3:5]
    fault(sandbox, mode="reorder")

    complete(ada, one)
    # The first delivery is held back before the second change is made: otherwise both
    # events may still travel in one delivery, which has nothing to reorder.
    receiver.wait_for(lambda: control(sandbox, "GET", "webhook-deliveries").json()["pending"])
    complete(ada, two)

    assert [e["resource"]["gid"] for e in events(receiver, 2)] == [two, one]


def test_flush_delivers_what_is_held_back_now(sandbox, receiver, seed, ada):
    fault(sandbox, mode="delay", delay=600)
    complete(ada, seed["engineering_task"])
    assert control(sandbox, "GET", "webhook-deliveries").json()["pending"]

    flushed = control(sandbox, "POST", "webhooks/flush", json={"wait": 5}).json()

    assert [s["status"] for s in flushed["sent"]] == [200]
    assert flushed["pending"] == []
    assert len(receiver.events()) == 1


def test_fault_requests_are_checked(sandbox):
    assert control(sandbox, "POST", "webhook-faults", json={"mode": "lose"}).status_code == 400
    assert control(sandbox, "POST", "webhook-faults", json={"mode": "delay"}).status_code == 400
    fault(sandbox, mode="drop", times=2)
    assert control(sandbox, "GET", "webhook-faults").json() == [
        {"mode": "drop", "times": 2, "delay": None}
    ]
    assert control(sandbox, "DELETE", "webhook-faults").json() == []


def test_heartbeats_are_not_subject_to_faults(sandbox, receiver):
    fault(sandbox, mode="drop", times=5)
    configure(sandbox, webhook_heartbeat=0.2)

    receiver.wait_for_deliveries(3)
