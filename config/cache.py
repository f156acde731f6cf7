"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

Django 5.2's RedisCacheClient.get_client builds a new `redis.Redis` for every cache operation,
and redis-py 8 fills ~170 response callbacks in each constructor: about a third of a
millisecond of CPU per cache call, more than the call itself costs (it was the largest item
in an ingestion request's profile; every session read pays it too). A `redis.Redis` is safe to
share between threads (it takes a connection from its pool per command; Django keeps a cache
object per thread anyway), so each pool gets one, made once.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
