"""The shared people of the suite: an owner, a member and an outsider, and their issues."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tracker.models import Event, Issue, Membership, Organization, Project


def make_user(username: str, email: str | None = None, password: str = "s3cret-pass-123"):
    return get_user_model().objects.create_user(
        username=username,
        email=email or f"{username}@example.com",
        password=password,
        first_name=username.capitalize(),
    )


@pytest.fixture
def organization(db):
    return Organization.objects.create(name="Acme", slug="acme")


@pytest.fixture
def project(organization):
    return Project.objects.create(
        organization=organization,
        name="Backend",
        slug="backend",
        short_name="BACKEND",
        platform="python",
    )


@pytest.fixture
def owner(organization):
    user = make_user("ada")
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def member(organization):
    user = make_user("grace")
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def outsider(db):
    user = make_user("mallory")
    other = Organization.objects.create(name="Other", slug="other")
    Membership.objects.create(organization=other, user=user, role=Membership.Role.OWNER)
    Project.objects.create(organization=other, name="Theirs", slug="theirs", short_name="THEIRS")
    return user


@pytest.fixture
def issue(project):
    issue = Issue.objects.create(
        project=project,
        title="ZeroDivisionError: division by zero",
        culprit="billing.invoices.compute_discount",
    )
    Event.objects.create(
        issue=issue,
        event_id="e" * 32,
        message="division by zero",
        exception_type="ZeroDivisionError",
        exception_value="division by zero",
        frames=[
            {
                "filename": "billing/invoices.py",
                "function": "compute_discount",
                "lineno": 87,
                "context_line": "return a / b",
                "in_app": True,
            }
        ],
        tags={"environment": "production"},
    )
    return issue


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


# --- the Asana sandbox, in-process ----------------------------------------------------------

SANDBOX_ADA = "ada@acme.test"  # a sandbox user in both workspaces


@pytest.fixture(scope="session")
def sandbox_server():
    from asana_sandbox import start_sandbox

    with start_sandbox() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server, settings):
    """The sandbox reset to its seed, with Tasklink pointed at it."""
    import requests

    requests.post(f"{sandbox_server.url}/_sandbox/reset", timeout=5).raise_for_status()
    settings.ASANA_BASE_URL = sandbox_server.url
    from django.core.cache import cache

    cache.clear()
    return sandbox_server


def sandbox_log(sandbox, path_prefix: str = "") -> list[dict]:
    import requests

    entries = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=5).json()
    entries = entries.get("data", entries) if isinstance(entries, dict) else entries
    return [e for e in entries if e["path"].startswith(path_prefix)]


def connect_identity(user, sandbox, who: str = SANDBOX_ADA):
    """An Asana identity for `user` with live sandbox tokens, as a finished dance stores it."""
    import time

    from social_django.models import UserSocialAuth

    answer = sandbox.state.issue_tokens(who)
    person = answer["data"]
    return UserSocialAuth.objects.create(
        user=user,
        provider="asana",
        uid=str(person["gid"]),
        extra_data={
            "access_token": answer["access_token"],
            "refresh_token": answer["refresh_token"],
            "expires_in": answer["expires_in"],
            "auth_time": int(time.time()),
            "token_type": "bearer",
            "gid": str(person["gid"]),
            "name": person["name"],
            "email": person["email"],
        },
    )


def require_postgresql() -> None:
    """Row locks need PostgreSQL: skip on SQLite, except in CI, where this is a failure."""
    import os

    from django.db import connection

    if connection.vendor == "postgresql":
        return
    message = "needs PostgreSQL for row locks (DATABASE_URL=postgres://...)"
    if os.environ.get("CI"):
        pytest.fail(f"CI runs this test on PostgreSQL: {message}")
    pytest.skip(message)


def run_at_once(count: int, prepare, act) -> list:
    """Run `act(prepare())` in `count` threads released together; returns each result or error.

    `prepare` runs before the threads meet (e.g. loading a row), `act` right after, so the
    calls really overlap. Each thread closes its own database connection.
    """
    import threading

    from django.db import connection

    start = threading.Barrier(count)
    results: list = []

    def one() -> None:
        try:
            ready = prepare()
            start.wait(timeout=10)
            results.append(act(ready))
        except Exception as exc:  # reported to the test, with the others
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
