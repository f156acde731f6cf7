"""Tasklink live (pytest-django's live_server) with the sandbox delivering webhooks to it."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from integrations.models import PluginConfig
from tests.support import connect_identity, reset_sandbox

from .helpers import control, options


@pytest.fixture
def hooked(sandbox, live_server, settings):
    """The sandbox may deliver to this machine, and Tasklink's public URL is the live server."""
    if connection.vendor == "sqlite" and not os.environ.get("CI"):
        # Needs PostgreSQL: the sandbox's deliveries reach the live server on its own threads
        # while the test itself runs queries, and SQLite's in-memory test database is one
        # connection shared by every thread (a delivery mid-transaction breaks the test's).
        pytest.skip("needs PostgreSQL (concurrent webhook deliveries); runs in CI")
    control(sandbox, "config", {"allow_local_webhooks": True, "webhook_retry_base": 1})
    settings.APP_BASE_URL = live_server.url
    yield sandbox
    # No delivery (a retry, a held or delayed one) may reach the database after the test:
    # each queued one is tried (and answered, so processed) now, then the sandbox forgets all.
    control(sandbox, "webhooks/flush", {"wait": 15})
    reset_sandbox(sandbox)


@pytest.fixture
def identity(owner, hooked):
    return connect_identity(owner, hooked)


@pytest.fixture
def two_way(project, owner):
    """Asana may resolve (any completed task) and reopen the project's issues."""
    return PluginConfig.objects.create(
        project=project,
        plugin="asana",
        options=options(asana_completes="any", asana_reopens=True),
        updated_by=owner,
    )
