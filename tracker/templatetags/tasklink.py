from __future__ import annotations

import functools
from datetime import datetime

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import avoid_wrapping, format_html
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import get_language

from tracker.fragments import deferred_ago
from tracker.links import http_url

register = template.Library()


# Below four weeks no month can have passed, so the largest unit follows from the seconds alone,
# as timesince finds it; each worded count is made once per language. timesince itself (calendar
# arithmetic, lazy translations) was a tenth of the issue page's time: it runs for every entry.
UNITS = [("week", 7 * 24 * 3600), ("day", 24 * 3600), ("hour", 3600), ("minute", 60)]
UNIT_SECONDS_BELOW_A_MONTH = 28 * 24 * 3600


@register.filter
def ago(value: datetime | None) -> str:
    """'3 hours ago', or 'just now' for the last minute (timesince says '0 minutes'). In a
    fragment kept in the cache, a hole filled in on each request (tracker/fragments.py)."""
    if not value:
        return ""
    return deferred_ago(value) or words_ago(value)


def words_ago(value: datetime, now: datetime | None = None, language: str | None = None) -> str:
    """`ago` itself; `now` and `language` when they are known already (a page filling in its
    times asks the clock and the translation machinery once, not once per time)."""
    now = now or timezone.now()
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < UNIT_SECONDS_BELOW_A_MONTH:
        unit, size = next((unit, size) for unit, size in UNITS if seconds >= size)
        return worded_ago(language or get_language(), unit, int(seconds // size))
    return f"{timesince(value, now=now, depth=1)} ago"


@functools.lru_cache(maxsize=512)
def worded_ago(language: str | None, unit: str, count: int) -> str:
    """'3 hours ago' as timesince words it (no break inside), for the active `language`."""
    return f"{avoid_wrapping(TIME_STRINGS[unit] % {'num': count})} ago"


@register.simple_tag
def moment(value: datetime | None, prefix: str = "") -> str:
    """`<time>` saying how long ago, with the exact moment for machines and in the tooltip."""
    if not value:
        return ""
    local = timezone.localtime(value)
    exact = f"{prefix}{date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', value.isoformat(), exact.strip(), ago(value)
    )


@register.simple_tag
def fixed_url(name: str) -> str:
    """{% url name %} for a URL without arguments (the header's links), reversed once per
    URLconf and script prefix: the header reversed six URLs on every page."""
    return _reversed(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@functools.lru_cache(maxsize=128)
def _reversed(name: str, urlconf: str, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


@register.filter(name="http_url")
def http_url_filter(value: object) -> str:
    """A link's href only if it is http(s); "" otherwise, so the template shows no link."""
    return http_url(value)
