"""Which project key an SDK request carries, and its per-minute rate limit."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from urllib.parse import urlsplit

from django.core.cache import cache
from django.http import HttpRequest

from tracker.models import ProjectKey

log = logging.getLogger(__name__)
# What a request needs of its key: the one query every request makes, kept narrow.
KEY_FIELDS = ("id", "project_id", "is_active", "rate_limit_per_minute")
# Keys are cached between requests; saving or deleting one forgets it (see forget_key).
KEY_CACHE_SECONDS = 300
AUTH_PAIR = re.compile(r"([\w.-]+)\s*=\s*([^,\s]*)")


class Refused(Exception):
    """The request is refused with this status and reason."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None):
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers or {}


def key_from_request(request: HttpRequest) -> str | None:
    """`X-Sentry-Auth: Sentry sentry_key=…, sentry_version=7` (or Authorization), else the
    `sentry_key` query parameter browser SDKs use."""
    for header in ("X-Sentry-Auth", "Authorization"):
        value = request.headers.get(header, "")
        if value.lower().startswith("sentry "):
            pairs = dict(AUTH_PAIR.findall(value[7:]))
            if pairs.get("sentry_key"):
                return pairs["sentry_key"]
    return request.GET.get("sentry_key") or None


def key_from_dsn(dsn: object) -> str | None:
    if not isinstance(dsn, str):
        return None
    try:
        return urlsplit(dsn).username or None
    except ValueError:
        return None


def key_cache_name(public_key: str) -> str:
    return f"ingest:key:{public_key}"


def forget_key(sender: object, instance: ProjectKey, **kwargs: object) -> None:
    """On every save or delete of a key: a disabled or rotated key is refused at once."""
    try:
        cache.delete(key_cache_name(instance.public_key))
    except Exception:
        log.warning("key cache unavailable; key %s not forgotten", instance.pk, exc_info=True)


def lookup_key(public_key: str) -> ProjectKey | None:
    """The key, from the cache when it can (its query was a third of a request's cost)."""
    name = key_cache_name(public_key)
    try:
        fields = cache.get(name)
    except Exception:
        fields = None
    if fields is not None:
        # The real public key, so that no random default is drawn and forget_key works on it.
        return ProjectKey(public_key=public_key, **fields)
    key = ProjectKey.objects.filter(public_key=public_key).only(*KEY_FIELDS).first()
    if key is not None:
        with contextlib.suppress(Exception):
            cache.set(name, {field: getattr(key, field) for field in KEY_FIELDS}, KEY_CACHE_SECONDS)
    return key


def project_key(public_key: str | None, project_id: int) -> ProjectKey:
    if not public_key:
        raise Refused(403, "missing sentry_key (X-Sentry-Auth header or sentry_key parameter)")
    key = lookup_key(public_key[:32])
    if key is None:
        raise Refused(403, "unknown sentry_key")
    if key.project_id != project_id:
        raise Refused(403, "this key belongs to another project")
    if not key.is_active:
        raise Refused(403, "this key is disabled")
    return key


def check_rate_limit(key: ProjectKey, events: int) -> None:
    """Count `events` against the key's per-minute limit (shared through the cache)."""
    if not key.rate_limit_per_minute or not events:
        return
    now = time.time()
    minute = int(now // 60)
    name = f"ingest:rate:{key.pk}:{minute}"
    try:
        cache.add(name, 0, timeout=120)
        count = cache.incr(name, events)
    except Exception:
        # The cache is down: count nothing rather than refuse events we could keep.
        log.warning("rate-limit cache unavailable; key %s not limited", key.pk, exc_info=True)
        return
    if count > key.rate_limit_per_minute:
        retry_after = max(1, 60 - int(now % 60))
        raise Refused(
            429,
            "rate limit of this key reached",
            {
                "Retry-After": str(retry_after),
                # retry_after:categories:scope:reason_code, as the SDKs parse it.
                "X-Sentry-Rate-Limits": f"{retry_after}:error;default:key:key_quota",
            },
        )
