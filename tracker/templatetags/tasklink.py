from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timesince import timesince

from tracker.links import http_url

register = template.Library()


@register.filter
def ago(value: datetime | None) -> str:
    """'3 hours ago', or 'just now' for the last minute (timesince says '0 minutes')."""
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value, depth=1)} ago"


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


@register.filter(name="http_url")
def http_url_filter(value: object) -> str:
    """A link's href only if it is http(s); "" otherwise, so the template shows no link."""
    return http_url(value)
