from __future__ import annotations

import pytest
from django.core.cache import cache

from ingest import store


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counts and the queued-drain flag live in the cache: none leaks between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def refuse_poison(monkeypatch):
    """The database refuses any event whose exception value is "poison"; others are stored."""
    real = store._event

    def refusing(issue_id, item, data):
        if data["exception_value"] == "poison":
            raise ValueError("refused")
        return real(issue_id, item, data)

    monkeypatch.setattr(store, "_event", refusing)
