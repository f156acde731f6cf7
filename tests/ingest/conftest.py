from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counts and the queued-drain flag live in the cache: none leaks between tests."""
    cache.clear()
    yield
    cache.clear()
