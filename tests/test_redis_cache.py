"""The Redis cache (config/cache.py): Django's, with one Redis client per pool, not per call."""

from __future__ import annotations

import uuid

from config.cache import SharedClientRedisCache
from tests.ingest.worker import redis_url_or_skip


def make_cache() -> SharedClientRedisCache:
    return SharedClientRedisCache(
        redis_url_or_skip(), {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}", "TIMEOUT": 60}
    )


def test_values_round_trip_as_with_djangos_redis_cache():
    cache = make_cache()
    assert cache.add("flag", {"a": 1}) is True
    assert cache.add("flag", 2) is False
    assert cache.get("flag") == {"a": 1}
    assert cache.incr(cache.set("n", 1) or "n", 4) == 5
    cache.delete_many(["flag", "n"])
    assert cache.get("flag") is None


def test_one_redis_client_serves_every_call():
    cache = make_cache()
    client = cache._cache.get_client(write=True)
    cache.set("k", 1)
    cache.get("k")
    assert cache._cache.get_client() is client
    assert cache._cache.get_client(write=True) is client
    cache.delete("k")
