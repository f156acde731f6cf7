"""--state-file: the world survives a restart, and no gid is ever handed out twice."""

from __future__ import annotations

import json
import time

import pytest

from asana_sandbox import start_sandbox

from .helpers import ADA, bearer, client_for, control
from .receiver import start_receiver


def wait_for_file(path, check, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            document = json.loads(path.read_text())
            if check(document):
                return document
        time.sleep(0.05)
    raise AssertionError(f"{path} never showed the change")


def test_tasks_tokens_and_webhooks_survive_a_restart(tmp_path):
    path = tmp_path / "sandbox-state.json"
    found, server = start_receiver()
    with start_sandbox(state_file=path, allow_local_webhooks=True) as first:
        ada = client_for(first, ADA)
        ws = next(iter(first.state.workspaces))
        created = ada.post("/tasks", json={"data": {"workspace": ws, "name": "Keep me"}})
        gid = created.json()["data"]["gid"]
        hook = ada.post("/webhooks", json={"data": {"resource": gid, "target": found.url}})
        assert hook.status_code == 201
        # Written on change, before any stop.
        wait_for_file(path, lambda d: any(t["gid"] == gid for t in d["tasks"]))

    with start_sandbox(state_file=path, allow_local_webhooks=True) as second:
        again = client_for(second, ADA)
        assert again.get(f"/tasks/{gid}").json()["data"]["name"] == "Keep me"
        # The old token still works: nobody has to reconnect.
        me = again.get("/users/me", headers=bearer(ada.token))
        assert me.status_code == 200
        assert control(second, "GET", "webhooks").json()[0]["resource"] == gid
        again.put(f"/tasks/{gid}", json={"data": {"completed": True}})
        found.wait_for(lambda: found.events(), timeout=5)
        newer = again.post("/tasks", json={"data": {"workspace": ws}}).json()["data"]["gid"]
        assert len(second.state.tasks) == 32  # the seed is not added twice
    server.shutdown()
    server.server_close()
    assert int(newer) > int(gid)
    assert [p.name for p in tmp_path.iterdir()] == ["sandbox-state.json"]  # no temporary left


def test_no_gid_is_reused_after_a_restart_or_a_reset(tmp_path):
    path = tmp_path / "state.json"
    with start_sandbox(state_file=path) as first:
        ada = client_for(first, ADA)
        ws = next(iter(first.state.workspaces))
        made = [ada.post("/tasks", json={"data": {"workspace": ws}}).json()["data"]["gid"]]
        control(first, "POST", "reset")
        ada = client_for(first, ADA)
        made.append(ada.post("/tasks", json={"data": {"workspace": ws}}).json()["data"]["gid"])
    with start_sandbox(state_file=path) as second:
        ada = client_for(second, ADA)
        made.append(ada.post("/tasks", json={"data": {"workspace": ws}}).json()["data"]["gid"])

    assert made == sorted(made, key=int) and len(set(made)) == 3


def test_an_unreadable_state_file_stops_the_sandbox_instead_of_starting_over(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json")

    with pytest.raises(ValueError, match="Cannot read the sandbox state file"):
        start_sandbox(state_file=path)
    assert path.read_text() == "{not json"  # left for a person to look at


def test_without_a_state_file_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with start_sandbox() as sandbox:
        client_for(sandbox, ADA).get("/users/me")
    assert list(tmp_path.iterdir()) == []
