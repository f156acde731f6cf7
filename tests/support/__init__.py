"""The building blocks of the test world, in one place (as healthchecks' hc/test.py).

Fixtures in the conftest modules are built from these; tests and benchmarks import from here,
never from a conftest.
"""

from __future__ import annotations

import html
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from social_django.models import UserSocialAuth

from asana_sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer
from integrations.models import ExternalIssue, PluginConfig

# --- the sandbox's seed, as the tests name it --------------------------------------------------

SANDBOX_CLIENT_ID = DEFAULT_CLIENT_ID
SANDBOX_CLIENT_SECRET = DEFAULT_CLIENT_SECRET
SANDBOX_ADA = "ada@acme.test"  # a sandbox user in both workspaces
ENGINEERING = "1200000000000001"  # the "Acme Engineering" workspace
GRACE = "1200000000000004"  # "Grace Hopper", in Acme Engineering
BACKEND_PROJECT = "1200000000000008"  # "Backend", in Acme Engineering
EXISTING_TASK = "1200000000000015"  # "Fix N+1 query …", in Acme Engineering
# New tasks in Backend, assigned to Grace: a project's defaults, or the create form's fields
# once both are picked.
BACKEND_AND_GRACE = {
    "project": BACKEND_PROJECT,
    "project_label": "Backend",
    "assignee": GRACE,
    "assignee_label": "Grace Hopper",
}

HTMX = {"HX-Request": "true"}
TIMEOUT = 5


def nav_link(body: str, label: str) -> str | None:
    """The href of the link a page names `label` (e.g. "Older →"), as a browser would follow
    it; None when the page has no such link."""
    found = re.search(r'<a [^>]*href="([^"]*)"[^>]*>' + re.escape(label) + "</a>", body)
    return html.unescape(found.group(1)) if found else None


# --- people and identities -----------------------------------------------------------------------


def make_user(username: str, email: str | None = None, password: str = "s3cret-pass-123"):
    return get_user_model().objects.create_user(
        username=username,
        email=email or f"{username}@example.com",
        password=password,
        first_name=username.capitalize(),
    )


def make_identity(
    user,
    *,
    provider: str = "asana",
    uid: str = "1200000000000003",
    auth_time: float | None = None,
    **extra: Any,
) -> UserSocialAuth:
    """A connected identity as a finished OAuth dance stores it (tokens made up unless given)."""
    data = {
        "access_token": "access-1",
        "refresh_token": "refresh-1",
        "expires_in": 3600,
        "auth_time": int(time.time() if auth_time is None else auth_time),
        "token_type": "bearer",
        "gid": uid,
        "name": "Ada Lovelace",
        "email": SANDBOX_ADA,
    }
    data.update(extra)
    return UserSocialAuth.objects.create(user=user, provider=provider, uid=uid, extra_data=data)


def link_task(issue, external_id: str, title: str = "", **fields: Any) -> ExternalIssue:
    """An Asana task linked to `issue`, as the panel records it (`fields`: url, created_by…)."""
    return ExternalIssue.objects.create(
        issue=issue, provider="asana", external_id=external_id, title=title, **fields
    )


def configure_asana(
    project, workspace: str = ENGINEERING, options: dict | None = None, **fields: Any
) -> PluginConfig:
    """The project's Asana settings: the workspace, any other `options` (defaults, syncs), and
    model `fields` (e.g. `updated_by`, whose identity the webhooks are registered with)."""
    return PluginConfig.objects.create(
        project=project,
        plugin="asana",
        options={"workspace": workspace, **(options or {})},
        **fields,
    )


def connect_identity(
    user, sandbox: SandboxServer, who: str = SANDBOX_ADA, *, auth_time: float | None = None
) -> UserSocialAuth:
    """An Asana identity for `user` holding live sandbox tokens of the sandbox person `who`,
    granted what a connection made today is (two-way sync's scopes included)."""
    answer = sandbox.state.issue_tokens(who)
    person = answer["data"]
    return make_identity(
        user,
        uid=str(person["gid"]),
        auth_time=auth_time,
        access_token=answer["access_token"],
        refresh_token=answer["refresh_token"],
        expires_in=answer["expires_in"],
        name=person["name"],
        email=person["email"],
        scopes=list(settings.ASANA_SCOPES),
    )


# --- pages ---------------------------------------------------------------------------------------


def panel_url(action: str, issue, plugin: str = "asana") -> str:
    """The URL of an issue's plugin panel (action "panel") or of one of its actions."""
    return reverse(f"plugin_{plugin}_{action}", args=[issue.pk])


# --- the sandbox's controls --------------------------------------------------------------------


def reset_sandbox(sandbox: SandboxServer) -> None:
    requests.post(f"{sandbox.url}/_sandbox/reset", timeout=TIMEOUT).raise_for_status()


def sandbox_log(sandbox: SandboxServer, path_prefix: str = "") -> list[dict]:
    """The sandbox's request log (method, path, query, status), optionally under a path."""
    entries = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=TIMEOUT).json()
    entries = entries.get("data", entries) if isinstance(entries, dict) else entries
    return [e for e in entries if e["path"].startswith(path_prefix)]


def clear_sandbox_log(sandbox: SandboxServer) -> None:
    requests.delete(f"{sandbox.url}/_sandbox/requests", timeout=TIMEOUT).raise_for_status()


def fault(sandbox: SandboxServer, **spec: Any) -> None:
    """Make the sandbox fail as `spec` says (path, method, status, times, retry_after, delay…)."""
    requests.post(f"{sandbox.url}/_sandbox/faults", json=spec, timeout=TIMEOUT).raise_for_status()


def sandbox_refreshes(sandbox: SandboxServer) -> int:
    """How many token refreshes the sandbox answered."""
    return sum(1 for e in sandbox_log(sandbox, "/-/oauth_token") if e["method"] == "POST")


# --- Asana mocked at the HTTP edge (responses) --------------------------------------------------

FAKE_ASANA = "https://asana.example"
API = FAKE_ASANA + "/api/1.0"
TOKEN_URL = FAKE_ASANA + "/-/oauth_token"


def token_answer(access_token: str = "access-2", **extra: Any) -> dict[str, Any]:
    """Asana's answer to a refresh: a new access token and no new refresh token."""
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": 3600,
        "data": {"id": 1200000000000003, "gid": "1200000000000003", "name": "Ada Lovelace"},
        **extra,
    }


# --- databases and threads -----------------------------------------------------------------------


def require_postgresql(why: str = "row locks") -> None:
    """Row locks (or `why`) need PostgreSQL: skip on SQLite, except in CI, where this is a
    failure."""
    if connection.vendor == "postgresql":
        return
    message = f"needs PostgreSQL for {why} (DATABASE_URL=postgres://...)"
    if os.environ.get("CI"):
        pytest.fail(f"CI runs this test on PostgreSQL: {message}")
    pytest.skip(message)


def run_at_once(count: int, prepare: Callable[[], Any], act: Callable[[Any], Any]) -> list:
    """Run `act(prepare())` in `count` threads released together; returns each result or error.

    `prepare` runs before the threads meet (e.g. loading a row), `act` right after, so the
    calls really overlap. Each thread closes its own database connection.
    """
    start = threading.Barrier(count)
    results: list = []

    def one() -> None:
        try:
            ready = prepare()
            start.wait(timeout=30)
            results.append(act(ready))
        except Exception as exc:  # reported to the caller, with the others
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
