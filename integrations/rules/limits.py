"""A per-identity limiter shared by every worker: how many calls a token may make per minute at
a tracker, and how many writes may run at once.

It lives in the cache, which is Redis when REDIS_URL is set, so all workers count together
(in-process otherwise: one process, one count). Asana allows 150 calls a minute per token on
free plans (1,500 paid) and 15 concurrent writes; TASKLINK_RULES_CALLS_PER_MINUTE sets the
first, and an identity's extra_data["calls_per_minute"] overrides it (a paid account).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from social_django.models import UserSocialAuth

# Windows of ten seconds: a minute's quota spread evenly, so a burst never spends it at once.
WINDOW_SECONDS = 10
# A slot held by a worker that died frees itself after this long.
SLOT_SECONDS = 60
# After a 429 the identity's rate is halved for this long: a limiter told more than the
# token's real quota learns it (Asana counts rejected calls against the quota too, so workers
# retrying into it on their own would keep it full for ever).
THROTTLED_SECONDS = 600
SLOWEST_FACTOR = 1 / 64


def calls_per_minute(identity: UserSocialAuth) -> int:
    override = identity.extra_data.get("calls_per_minute")
    value = override or getattr(settings, "TASKLINK_RULES_CALLS_PER_MINUTE", 150)
    return max(int(value), 1)


def max_concurrent_writes() -> int:
    return int(getattr(settings, "TASKLINK_RULES_CONCURRENT_WRITES", 15))


def identity_key(identity: UserSocialAuth) -> str:
    return f"tasklink:rules:{identity.provider}:{identity.uid}"


def throttled(identity: UserSocialAuth, retry_after: float, now: float | None = None) -> None:
    """The tracker answered 429: every worker's calls as this identity wait until
    `retry_after` seconds from now, then go at half the rate they went."""
    now = time.time() if now is None else now
    key = identity_key(identity)
    until = float(cache.get(f"{key}:until") or 0)
    cache.set(f"{key}:until", max(until, now + retry_after), math.ceil(retry_after) + 1)
    factor = float(cache.get(f"{key}:factor") or 1.0)
    cache.set(f"{key}:factor", max(factor / 2, SLOWEST_FACTOR), THROTTLED_SECONDS)


def take_call(identity: UserSocialAuth, calls: int = 1, now: float | None = None) -> float:
    """Count `calls` against the identity's quota: 0 when they may go now, otherwise the
    seconds to wait (nothing counted: the caller tries again then)."""
    now = time.time() if now is None else now
    blocked_until = float(cache.get(f"{identity_key(identity)}:until") or 0)
    if blocked_until > now:
        return blocked_until - now
    rate = calls_per_minute(identity) * float(cache.get(f"{identity_key(identity)}:factor") or 1)
    per_window = max(math.floor(rate * WINDOW_SECONDS / 60), 1)
    window = int(now // WINDOW_SECONDS)
    key = f"tasklink:rules:calls:{identity.provider}:{identity.uid}:{window}"
    cache.add(key, 0, WINDOW_SECONDS * 2)
    used = cache.incr(key, calls)
    if used <= per_window:
        return 0.0
    cache.decr(key, calls)
    return (window + 1) * WINDOW_SECONDS - now


@contextmanager
def write_slot(identity: UserSocialAuth) -> Iterator[bool]:
    """One of the identity's concurrent-write slots, or False when all are taken."""
    prefix = f"tasklink:rules:slot:{identity.provider}:{identity.uid}"
    held = next(
        (
            f"{prefix}:{i}"
            for i in range(max_concurrent_writes())
            if cache.add(f"{prefix}:{i}", 1, SLOT_SECONDS)
        ),
        None,
    )
    try:
        yield held is not None
    finally:
        if held:
            cache.delete(held)
