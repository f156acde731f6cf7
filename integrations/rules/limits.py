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


def calls_per_minute(identity: UserSocialAuth) -> int:
    override = identity.extra_data.get("calls_per_minute")
    value = override or getattr(settings, "TASKLINK_RULES_CALLS_PER_MINUTE", 150)
    return max(int(value), 1)


def max_concurrent_writes() -> int:
    return int(getattr(settings, "TASKLINK_RULES_CONCURRENT_WRITES", 15))


def take_call(identity: UserSocialAuth, calls: int = 1, now: float | None = None) -> float:
    """Count `calls` against the identity's quota: 0 when they may go now, otherwise the
    seconds to wait (nothing counted: the caller tries again then)."""
    now = time.time() if now is None else now
    per_window = max(math.floor(calls_per_minute(identity) * WINDOW_SECONDS / 60), 1)
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
