"""The shared people of the suite: an owner, a member and an outsider, and their issues."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from asana_sandbox import start_sandbox
from tests.support import clear_sandbox_log, connect_identity, make_user, reset_sandbox
from tracker.models import Event, Issue, Membership, Organization, Project


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


@pytest.fixture(scope="session")
def sandbox_server():
    with start_sandbox() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server, settings):
    """The sandbox reset to its seed, with Tasklink pointed at it and no cached answers."""
    reset_sandbox(sandbox_server)
    settings.ASANA_BASE_URL = sandbox_server.url
    cache.clear()
    return sandbox_server


@pytest.fixture
def connected_owner(owner, sandbox):
    """The owner's identity, connected to the sandbox's Ada; the sandbox's log starts empty."""
    identity = connect_identity(owner, sandbox)
    clear_sandbox_log(sandbox)
    return identity
