from __future__ import annotations

import pytest
from django.core.cache import cache

from integrations.models import PluginConfig
from integrations.rules import engine, tasks
from tests.support import ENGINEERING, connect_identity


@pytest.fixture(autouse=True)
def quick_waits(monkeypatch, settings):
    """Backoff and the limiter's waits in seconds would make the suite crawl: tests that
    are about waiting set their own."""
    monkeypatch.setattr(engine, "BACKOFF_SECONDS", 0)
    monkeypatch.setattr(tasks, "EAGER_WAIT_CAP", 0.05)
    settings.TASKLINK_RULES_CALLS_PER_MINUTE = 60000
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def asana_project(project, owner, sandbox):
    """The project set up for Asana, its owner connected to the sandbox."""
    PluginConfig.objects.create(project=project, plugin="asana", options={"workspace": ENGINEERING})
    connect_identity(owner, sandbox)
    return project


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Send a tracker signal as ingestion does, after commit: the queued work runs (eagerly)."""

    def send(signal, issue, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            signal.send(sender=type(issue), issue=issue, **kwargs)

    return send
