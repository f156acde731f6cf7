"""The event queue on Redis: what the endpoint hands an accepted event to, and the worker drains.

A request keeps an event with one round trip: an RPUSH of the event's bytes as the SDK sent
them, pipelined with the flag that says a drain is queued. (Before, it was a PostgreSQL INSERT
and its commit, then the flag: two round trips, a WAL flush, and the payload written and
TOASTed twice, once in the spool and once in the event table.)

The worker takes a batch atomically into a *claim* (a Lua script moves up to N events from the
queue into a list of their own and records the claim with the time it was taken), stores them
in PostgreSQL in one transaction, and only then deletes the claim. A worker killed between
those steps leaves its claim behind; `recover` puts such events back at the head of the queue
once the claim is older than INGEST_CLAIM_SECONDS, or at once when the same worker (same Celery
node name) starts again. Storing is idempotent on (issue, event_id), so an event whose batch
committed just before the kill is skipped the second time: each is stored exactly once.

Accepted means stored as long as Redis keeps what it acknowledged: run it with persistence
(`appendonly yes`; `appendfsync everysec` can lose the last second on a power cut, `always`
nothing). When Redis cannot be reached the endpoint spools the event in PostgreSQL instead
(ingest.models.PendingEvent), as it did before this queue existed.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.conf import settings

# Move up to ARGV[1] events from the queue into the claim's own list, and note when (Redis's
# clock, so that workers on machines with skewed clocks agree).
CLAIM = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return items end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('RPUSH', KEYS[3], unpack(items))
local now = redis.call('TIME')
redis.call('ZADD', KEYS[2], now[1] + now[2] / 1e6, ARGV[2])
return items
"""

# Put back the events of claims taken before ARGV[1] (expired), and of those taken by the node
# ARGV[3] before ARGV[2] (the node started again: its earlier self is dead). Head of the queue,
# in their order. Returns how many events went back.
RECOVER = """
local now = redis.call('TIME')
local now_s = now[1] + now[2] / 1e6
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now_s - tonumber(ARGV[1]))
if ARGV[3] ~= '' then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])) do
    if string.sub(id, 1, #ARGV[3]) == ARGV[3] then table.insert(stale, id) end
  end
end
local moved = 0
for _, id in ipairs(stale) do
  local key = ARGV[4] .. id
  local items = redis.call('LRANGE', key, 0, -1)
  for i = #items, 1, -1 do redis.call('LPUSH', KEYS[1], items[i]) end
  moved = moved + #items
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[2], id)
end
return moved
"""


@dataclass
class Queued:
    """One event as it waits in the queue."""

    project_id: int
    event_id: str
    received: datetime
    payload: bytes


@dataclass
class Claim:
    id: str
    events: list[Queued]


def enabled() -> bool:
    """The Redis queue is used when there is a broker; without one (the demo, tests) events go
    through the database spool and are drained in the request."""
    return bool(settings.INGEST_QUEUE_REDIS_URL)


@functools.cache
def _client(url: str) -> redis.Redis:
    # Short timeouts: a request must not hang on a Redis that is down; it spools instead.
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


def client() -> redis.Redis:
    return _client(settings.INGEST_QUEUE_REDIS_URL)


def key(name: str) -> str:
    # Named after the Celery queue, so installations sharing one Redis keep apart.
    return f"tasklink:ingest:{settings.CELERY_TASK_DEFAULT_QUEUE}:{name}"


def encode(event: Queued) -> bytes:
    """A header line, then the payload byte for byte (never parsed or serialized again)."""
    header = f"{event.project_id} {event.event_id} {event.received.timestamp():.6f}\n"
    return header.encode() + event.payload


def decode(item: bytes) -> Queued:
    header, _, payload = item.partition(b"\n")
    project_id, event_id, received = header.decode().split(" ")
    return Queued(int(project_id), event_id, datetime.fromtimestamp(float(received), UTC), payload)


def push(events: Iterable[Queued]) -> bool:
    """Append events to the queue (one round trip); True when no drain was queued yet, so the
    caller must queue one. Raises redis.RedisError when Redis cannot take them."""
    pipe = client().pipeline(transaction=False)
    pipe.rpush(key("events"), *(encode(event) for event in events))
    pipe.set(key("drain-queued"), 1, nx=True, ex=settings.INGEST_DRAIN_FLAG_SECONDS)
    _, flag_set = pipe.execute()
    return bool(flag_set)


def clear_drain_flag() -> None:
    client().delete(key("drain-queued"))


def take(batch_size: int, owner: str = "") -> Claim | None:
    """Claim up to batch_size events (None when the queue is empty)."""
    claim_id = f"{owner}:{uuid.uuid4().hex}"
    items = client().eval(
        CLAIM,
        3,
        key("events"),
        key("claims"),
        key(f"claim:{claim_id}"),
        batch_size,
        claim_id,
    )
    if not items:
        return None
    return Claim(claim_id, [decode(item) for item in items])


def release(claim: Claim) -> None:
    """The claim's events are stored (committed): forget them."""
    pipe = client().pipeline(transaction=True)
    pipe.delete(key(f"claim:{claim.id}"))
    pipe.zrem(key("claims"), claim.id)
    pipe.execute()


def recover(owner: str = "", started: float = 0.0) -> int:
    """Requeue the events of claims older than INGEST_CLAIM_SECONDS, and of `owner`'s claims
    taken before `started` (a Redis time, see server_time); returns how many events."""
    return int(
        client().eval(
            RECOVER,
            2,
            key("events"),
            key("claims"),
            settings.INGEST_CLAIM_SECONDS,
            started,
            f"{owner}:" if owner else "",
            key("claim:"),
        )
    )


def server_time() -> float:
    seconds, micros = client().time()
    return seconds + micros / 1e6


def waiting() -> int:
    """Events in the queue, not yet claimed."""
    return int(client().llen(key("events")))
