"""The server itself: threads, ports, a clean stop, and `manage.py asana_sandbox`."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from asana_sandbox import start_sandbox

from .helpers import ADA, client_for, control

REPO = Path(__file__).parents[2]


def test_many_concurrent_requests_are_all_answered(sandbox, ada, seed):
    def read(_: int) -> int:
        return ada.get(f"/tasks/{seed['engineering_task']}").status_code

    def write(n: int) -> str:
        answer = ada.post(
            "/tasks", json={"data": {"workspace": seed["engineering"], "name": f"t{n}"}}
        )
        return answer.json()["data"]["gid"]

    with ThreadPoolExecutor(max_workers=32) as pool:
        reads = list(pool.map(read, range(100)))
        gids = list(pool.map(write, range(50)))

    assert reads == [200] * 100
    assert len(set(gids)) == 50
    assert len(sandbox.state.tasks) == 80
    assert len(control(sandbox, "GET", "requests").json()) == 150


def test_port_0_picks_a_free_port_and_stop_frees_it():
    with start_sandbox() as one, start_sandbox() as two:
        assert one.port != two.port
        assert one.url == f"http://127.0.0.1:{one.port}"
        assert requests.get(f"{one.url}/_sandbox/config", timeout=5).status_code == 200

    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{one.url}/_sandbox/config", timeout=1)


def test_stop_is_prompt_even_with_a_request_sleeping_on_a_delay():
    server = start_sandbox()
    control(server, "POST", "faults", json={"path": "/api/1.0/users/me", "delay": 30})
    client = client_for(server, ADA)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(client.get, "/users/me", timeout=10)
        deadline = time.monotonic() + 5
        while server.state.faults[0].times and time.monotonic() < deadline:
            time.sleep(0.01)  # until the request is in, asleep on its delay

        started = time.monotonic()
        server.stop()

        assert time.monotonic() - started < 2
        with contextlib.suppress(requests.exceptions.RequestException):
            pending.result(timeout=3)
    server.stop()  # a second stop is harmless


def test_options_reach_the_state():
    with start_sandbox(
        token_ttl=5, client_id="id-x", client_secret="secret-x", rate_limit=7
    ) as server:
        config = server.state.config
        assert (config.token_ttl, config.client_id, config.client_secret, config.rate_limit) == (
            5,
            "id-x",
            "secret-x",
            7,
        )
        answer = requests.post(
            f"{server.url}/-/oauth_token",
            data={"grant_type": "refresh_token", "refresh_token": "x"},
            auth=("sandbox-client-id", "sandbox-client-secret"),
            timeout=5,
        )
        assert answer.status_code == 401  # the defaults are not this sandbox's client


def test_the_home_page_lists_tasks_with_working_links(sandbox):
    page = requests.get(f"{sandbox.url}/", timeout=5)

    assert page.status_code == 200
    assert "Case study: how Globex cut triage time in half" in page.text


# --- python -m asana_sandbox -------------------------------------------------------------------


def _django_env() -> dict[str, str]:
    env = dict(os.environ)
    # The command needs settings to start Django, not a database or real secrets.
    env.setdefault("DJANGO_SECRET_KEY", "sandbox-command-test-key")
    env["PYTHONUNBUFFERED"] = "1"
    return env


LAUNCHERS = {
    "python -m asana_sandbox": [sys.executable, "-m", "asana_sandbox"],
    "manage.py asana_sandbox": [sys.executable, "manage.py", "asana_sandbox"],
}


@pytest.fixture(params=sorted(LAUNCHERS))
def command(request):
    """The sandbox's command (`python -m asana_sandbox` or its manage.py wrapper) on a free port
    in a subprocess; yields (process, url)."""
    processes: list[subprocess.Popen[str]] = []

    def run(*args: str) -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(
            [*LAUNCHERS[request.param], "--port", "0", *args],
            cwd=REPO,
            env=_django_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        line = process.stdout.readline().strip()
        if not line:
            problem = process.stderr.read()
            if "ImproperlyConfigured" in problem and not os.environ.get("CI"):
                pytest.skip(f"Django settings do not load yet: {problem.splitlines()[-1]}")
            pytest.fail(f"{request.param} did not start:\n{problem}")
        return process, line

    yield run
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_command_prints_its_url_and_serves(command):
    process, line = command("--auto-approve", "--token-ttl", "120", "--rate-limit", "50")

    prefix = "Asana sandbox listening on http://127.0.0.1:"
    assert line.startswith(prefix)
    url = line.removeprefix("Asana sandbox listening on ")
    config = requests.get(f"{url}/_sandbox/config", timeout=5).json()
    assert config == {
        "token_ttl": 120,
        "auto_approve": True,
        "rate_limit": 50,
        "redirect_uri": None,
        # Asana's own figures by default.
        "allow_local_webhooks": False,
        "webhook_heartbeat": 8 * 3600,
        "webhook_timeout": 10,
        "webhook_failure_window": 24 * 3600,
        "webhook_retry_base": 1,
        "webhooks_per_resource": 1000,
        "webhooks_per_user": 10000,
    }
    assert requests.get(f"{url}/api/1.0/users/me", timeout=5).status_code == 401


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_command_stops_cleanly(command, stop):
    process, _ = command()

    process.send_signal(stop)
    _, stderr = process.communicate(timeout=10)

    assert process.returncode == 0
    assert "Traceback" not in stderr


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_the_command_refuses_a_port_in_use(sandbox, launcher):
    process = subprocess.run(
        [*LAUNCHERS[launcher], "--port", str(sandbox.port)],
        cwd=REPO,
        env=_django_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )

    if "ImproperlyConfigured" in process.stderr and not os.environ.get("CI"):
        pytest.skip("Django settings do not load yet")
    assert process.returncode != 0
    assert "Cannot listen" in process.stderr
    assert "Traceback" not in process.stderr


def test_a_chunked_request_body_is_read(ada, seed):
    body = b'{"data": {"workspace": "%s", "name": "Sent in chunks"}}' % seed["engineering"].encode()

    answer = ada.post(
        "/tasks", data=iter([body[:10], body[10:]]), headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 201
    assert answer.json()["data"]["name"] == "Sent in chunks"
